//! A compact S-expression form of the AST for one-line test assertions.

use crate::ast::{
    Args, Domain, Expr, ExprKind, Quantifier, RangeExpr, RangeForm, Type, UnaryTest, UnaryTestKind,
};
use crate::value::Value;

pub(super) fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Literal(v) => literal(v),
        ExprKind::Folded(f) => format!("(folded {} {})", literal(&f.value), expr(&f.expr)),
        ExprKind::Name(n) => name(n),
        ExprKind::Path(base, n, _) => format!("(. {} {})", expr(base), name(n)),
        ExprKind::Filter(base, f) => format!("(filter {} {})", expr(base), expr(f)),
        ExprKind::Call(f, args) => {
            let mut s = format!("(call {}", expr(f));
            match args {
                Args::Positional(args) => args.iter().for_each(|a| s += &format!(" {}", expr(a))),
                Args::Named(args) => args
                    .iter()
                    .for_each(|(n, a)| s += &format!(" {}: {}", name(n), expr(a))),
            }
            s + ")"
        }
        ExprKind::Neg(x) => format!("(neg {})", expr(x)),
        ExprKind::Binary(op, l, r) => format!("({} {} {})", op.symbol(), expr(l), expr(r)),
        ExprKind::And(l, r) => format!("(and {} {})", expr(l), expr(r)),
        ExprKind::Or(l, r) => format!("(or {} {})", expr(l), expr(r)),
        ExprKind::Between(x, a, b) => format!("(between {} {} {})", expr(x), expr(a), expr(b)),
        ExprKind::In(x, t) => format!("(in {} {})", expr(x), tests(t)),
        ExprKind::InstanceOf(x, t) => format!("(instance-of {} {})", expr(x), ty(t)),
        ExprKind::If(c, t, e) => format!("(if {} {} {})", expr(c), expr(t), expr(e)),
        ExprKind::For(its, body) => {
            format!("(for {} {})", iterations(its), expr(body))
        }
        ExprKind::Quantified(q, its, body) => {
            let q = match q {
                Quantifier::Some => "some",
                Quantifier::Every => "every",
            };
            format!("({q} {} {})", iterations(its), expr(body))
        }
        ExprKind::List(items) => {
            format!("[{}]", items.iter().map(expr).collect::<Vec<_>>().join(" "))
        }
        ExprKind::Context(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", name(k), expr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ExprKind::Range(r) => range(r),
        ExprKind::Function(def) => {
            let params: Vec<String> = def
                .params
                .iter()
                .map(|(n, t)| match t {
                    Some(t) => format!("{}:{}", name(n), ty(t)),
                    None => name(n),
                })
                .collect();
            format!("(fn ({}) {})", params.join(" "), expr(&def.body))
        }
    }
}

pub(super) fn tests(tests: &[UnaryTest]) -> String {
    tests.iter().map(test).collect::<Vec<_>>().join(" ")
}

fn test(t: &UnaryTest) -> String {
    match &t.kind {
        UnaryTestKind::Any => "-".into(),
        UnaryTestKind::Expr(e) => expr(e),
        UnaryTestKind::Not(t) => format!("(not {})", tests(t)),
    }
}

fn iterations(its: &[crate::ast::Iteration]) -> String {
    its.iter()
        .map(|it| match &it.domain {
            Domain::Expr(d) => format!("({} in {})", name(&it.name), expr(d)),
            Domain::Span(a, b) => format!("({} in {}..{})", name(&it.name), expr(a), expr(b)),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn range(r: &RangeExpr) -> String {
    match (r.form, &r.start) {
        (RangeForm::Equal, Some(a)) => return format!("={}", expr(a)),
        (RangeForm::NotEqual, Some(a)) => return format!("!={}", expr(a)),
        _ => {}
    }
    match (&r.start, &r.end) {
        (Some(a), Some(b)) => format!(
            "{}{}..{}{}",
            if r.start_included { "[" } else { "(" },
            expr(a),
            expr(b),
            if r.end_included { "]" } else { ")" }
        ),
        (None, Some(b)) => format!("{}{}", if r.end_included { "<=" } else { "<" }, expr(b)),
        (Some(a), None) => format!("{}{}", if r.start_included { ">=" } else { ">" }, expr(a)),
        (None, None) => "(..)".into(),
    }
}

fn literal(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Boolean(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        other => format!("@{other:?}"),
    }
}

fn name(n: &str) -> String {
    if n.chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '?')
    {
        n.to_string()
    } else {
        format!("`{n}`")
    }
}

fn ty(t: &Type) -> String {
    match t {
        Type::Any => "Any".into(),
        Type::Null => "Null".into(),
        Type::Number => "number".into(),
        Type::String => "string".into(),
        Type::Boolean => "boolean".into(),
        Type::Date => "date".into(),
        Type::Time => "time".into(),
        Type::DateTime => "date-and-time".into(),
        Type::DayTimeDuration => "days-and-time-duration".into(),
        Type::YearMonthDuration => "years-and-months-duration".into(),
        Type::List(t) => format!("list<{}>", ty(t)),
        Type::Range(t) => format!("range<{}>", ty(t)),
        Type::Context(entries) => format!(
            "context<{}>",
            entries
                .iter()
                .map(|(n, t)| format!("{}: {}", name(n), ty(t)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Type::Function(None) => "function".into(),
        Type::Function(Some((params, result))) => format!(
            "function<{}>->{}",
            params.iter().map(ty).collect::<Vec<_>>().join(", "),
            ty(result)
        ),
        Type::Other(n) => format!("other:{n}"),
    }
}

/// The number of nodes on the longest root-to-leaf path (types count too).
pub(super) fn depth(e: &Expr) -> usize {
    let kids: Vec<&Expr> = match &e.kind {
        ExprKind::Literal(_) | ExprKind::Name(_) | ExprKind::Folded(_) => vec![],
        ExprKind::Path(b, ..) | ExprKind::Neg(b) => vec![b],
        ExprKind::Filter(a, b)
        | ExprKind::Binary(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b) => vec![a, b],
        ExprKind::Call(f, args) => {
            let mut v = vec![&**f];
            match args {
                Args::Positional(a) => v.extend(a.iter()),
                Args::Named(a) => v.extend(a.iter().map(|(_, e)| e)),
            }
            v
        }
        ExprKind::Between(a, b, c) | ExprKind::If(a, b, c) => vec![a, b, c],
        ExprKind::In(x, tests) => {
            let mut v = vec![&**x];
            v.extend(tests.iter().filter_map(|t| match &t.kind {
                UnaryTestKind::Expr(e) => Some(e),
                _ => None,
            }));
            v
        }
        ExprKind::InstanceOf(x, _) => vec![x],
        ExprKind::For(its, body) | ExprKind::Quantified(_, its, body) => {
            let mut v = vec![&**body];
            for it in its {
                match &it.domain {
                    Domain::Expr(d) => v.push(d),
                    Domain::Span(a, b) => v.extend([a, b]),
                }
            }
            v
        }
        ExprKind::List(items) => items.iter().collect(),
        ExprKind::Context(entries) => entries.iter().map(|(_, e)| e).collect(),
        ExprKind::Range(r) => r.start.iter().chain(r.end.iter()).collect(),
        ExprKind::Function(def) => vec![&def.body],
    };
    1 + kids.into_iter().map(depth).max().unwrap_or(0)
}
