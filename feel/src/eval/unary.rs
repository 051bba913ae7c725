//! Unary tests against an input value (`?`), `in`, and `instance of`.

use std::cmp::Ordering;

use super::Evaluator;
use crate::ast::{Args, Domain, Expr, ExprKind, Type, UnaryTest, UnaryTestKind};
use crate::error::{Error, WarningKind};
use crate::value::{Bound, Brief, Range, RangeForm, Value};

impl Evaluator<'_> {
    /// Whether `input` passes any of `tests` (a disjunction): true if one
    /// test is true, else null if one could not be decided, else false.
    pub(super) fn test_any(&mut self, input: &Value, tests: &[UnaryTest]) -> Result<Value, Error> {
        let mut undecided = false;
        for test in tests {
            match self.test_one(input, test)? {
                Some(true) => return Ok(Value::Boolean(true)),
                Some(false) => {}
                None => undecided = true,
            }
        }
        Ok(if undecided {
            Value::Null
        } else {
            Value::Boolean(false)
        })
    }

    fn test_one(&mut self, input: &Value, test: &UnaryTest) -> Result<Option<bool>, Error> {
        match &test.kind {
            UnaryTestKind::Any => Ok(Some(true)),
            UnaryTestKind::Not(tests) => Ok(
                match crate::stack::grow_stack(|| self.test_any(input, tests))? {
                    Value::Boolean(b) => Some(!b),
                    _ => None,
                },
            ),
            UnaryTestKind::Expr(expr) => {
                let mark = self.scope.mark();
                self.scope
                    .push_var(super::scope::fixed_name("?"), input.clone());
                let v = self.eval(expr);
                self.scope.truncate(mark);
                let v = v?;
                Ok(self.matches(input, &v, expr))
            }
        }
    }

    /// Whether `input` matches the value `v` of a positive unary test.
    fn matches(&mut self, input: &Value, v: &Value, expr: &Expr) -> Option<bool> {
        match v {
            // A boolean computed from `?` is the outcome; so is a boolean
            // computed without `?` when the input is not a boolean (a
            // condition such as `today() > deadline`). A boolean input is
            // compared with a boolean constant.
            Value::Boolean(b) if uses_input(expr) || !matches!(input, Value::Boolean(_)) => {
                Some(*b)
            }
            Value::Range(r) => {
                let inside = range_contains(r, input);
                if inside.is_none() && !input.is_null() {
                    self.warn(
                        WarningKind::NotComparable,
                        format!("can't test whether {} is in {}", Brief(input), Brief(v)),
                        expr.span,
                    );
                }
                inside
            }
            Value::List(items) => {
                // A list input also matches an equal list.
                if matches!(input, Value::List(_)) && input.feel_eq(v) == Some(true) {
                    return Some(true);
                }
                // Membership: an item that is a range contains the input, any
                // other item equals it; items of another kind don't match.
                Some(items.iter().any(|item| match item {
                    Value::Range(r) => range_contains(r, input) == Some(true),
                    other => other.feel_eq(input) == Some(true),
                }))
            }
            // An invalid range literal (`(null..10]`) leaves the test undecided.
            Value::Null if matches!(expr.kind, ExprKind::Range(_)) => None,
            _ => self.equal_or_warn(input, v, expr),
        }
    }

    fn equal_or_warn(&mut self, input: &Value, v: &Value, expr: &Expr) -> Option<bool> {
        let eq = input.feel_eq(v);
        if eq.is_none() {
            self.warn(
                WarningKind::NotComparable,
                format!(
                    "can't compare {input} with {v} ({} and {})",
                    input.kind(),
                    v.kind()
                ),
                expr.span,
            );
        }
        eq
    }
}

/// Whether `x` lies in the range; `None` if not comparable.
pub(crate) fn range_contains(r: &Range, x: &Value) -> Option<bool> {
    match (r.form, r.start.value()) {
        (RangeForm::Equal, Some(v)) => return x.feel_eq(v),
        (RangeForm::NotEqual, Some(v)) => return x.feel_eq(v).map(|eq| !eq),
        _ => {}
    }
    let low = match &r.start {
        Bound::Unbounded => true,
        Bound::Included(s) => s.feel_cmp(x)? != Ordering::Greater,
        Bound::Excluded(s) => s.feel_cmp(x)? == Ordering::Less,
    };
    let high = match &r.end {
        Bound::Unbounded => true,
        Bound::Included(e) => x.feel_cmp(e)? != Ordering::Greater,
        Bound::Excluded(e) => x.feel_cmp(e)? == Ordering::Less,
    };
    Some(low && high)
}

/// Whether `expr` mentions `?` outside nested function bodies.
fn uses_input(expr: &Expr) -> bool {
    mentions(expr, "?")
}

/// Whether `expr` mentions the name `name` outside nested function bodies.
pub(crate) fn mentions(expr: &Expr, name: &str) -> bool {
    crate::stack::grow_stack(|| mentions_in(expr, name))
}

fn mentions_in(expr: &Expr, name: &str) -> bool {
    let uses_input = |e: &Expr| mentions(e, name);
    let any = |es: &[Expr]| es.iter().any(|e| mentions(e, name));
    match &expr.kind {
        ExprKind::Name(n) => &**n == name,
        ExprKind::Literal(_) => false,
        ExprKind::Folded(folded) => uses_input(&folded.expr),
        // `?` inside a function body is that function's business; any other
        // name may be captured by the closure.
        ExprKind::Function(def) => name != "?" && mentions(&def.body, name),
        ExprKind::Path(b, ..) | ExprKind::Neg(b) | ExprKind::InstanceOf(b, _) => uses_input(b),
        ExprKind::Filter(a, b)
        | ExprKind::Binary(_, a, b)
        | ExprKind::And(a, b)
        | ExprKind::Or(a, b) => uses_input(a) || uses_input(b),
        ExprKind::Call(callee, args) => {
            uses_input(callee)
                || match args {
                    Args::Positional(es) => any(es),
                    Args::Named(pairs) => pairs.iter().any(|(_, e)| uses_input(e)),
                }
        }
        ExprKind::Between(a, b, c) | ExprKind::If(a, b, c) => {
            uses_input(a) || uses_input(b) || uses_input(c)
        }
        ExprKind::In(v, tests) => {
            uses_input(v)
                || tests.iter().any(|t| match &t.kind {
                    UnaryTestKind::Expr(e) => uses_input(e),
                    _ => false,
                })
        }
        ExprKind::For(its, body) | ExprKind::Quantified(_, its, body) => {
            uses_input(body)
                || its.iter().any(|it| match &it.domain {
                    Domain::Expr(e) => uses_input(e),
                    Domain::Span(a, b) => uses_input(a) || uses_input(b),
                })
        }
        ExprKind::List(es) => any(es),
        ExprKind::Context(entries) => entries.iter().any(|(_, e)| uses_input(e)),
        ExprKind::Range(r) => {
            r.start.as_ref().is_some_and(|e| mentions(e, name))
                || r.end.as_ref().is_some_and(|e| mentions(e, name))
        }
    }
}

/// `value instance of type` (DMN 1.5 §10.3.2.9.4 type conformance).
pub(crate) fn instance_of(v: &Value, ty: &Type) -> bool {
    match (ty, v) {
        (Type::Null, Value::Null) => true,
        (Type::Any, v) => !v.is_null(),
        (_, Value::Null) => false,
        (Type::Number, Value::Number(_))
        | (Type::String, Value::String(_))
        | (Type::Boolean, Value::Boolean(_))
        | (Type::Date, Value::Date(_))
        | (Type::Time, Value::Time(_))
        | (Type::DateTime, Value::DateTime(_))
        | (Type::DayTimeDuration, Value::DayTimeDuration(_))
        | (Type::YearMonthDuration, Value::YearMonthDuration(_)) => true,
        (Type::List(item), Value::List(items)) => {
            items.iter().all(|i| i.is_null() || instance_of(i, item))
        }
        (Type::Context(entries), Value::Context(c)) => entries
            .iter()
            .all(|(k, t)| c.get(k).is_some_and(|v| v.is_null() || instance_of(v, t))),
        (Type::Range(t), Value::Range(r)) => [&r.start, &r.end]
            .iter()
            .filter_map(|b| b.value())
            .all(|b| instance_of(b, t)),
        (Type::Function(_), Value::Function(_)) => true,
        _ => false,
    }
}
