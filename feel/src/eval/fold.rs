//! Constant folding: the subexpressions that depend on no variable are
//! computed once, when the expression is compiled.
//!
//! A subexpression is constant when it is made of literals, operators and
//! calls of built-ins by name on constants (`(1 + 2) * 3.5`,
//! `date("2024-01-01") + duration("P1D")`, `upper case("a")`). It is folded
//! only when computing it gives a value with no warning and no error, so
//! everything an evaluation would report is still reported where it happens.
//! Operators on literals alone become a [`ExprKind::Literal`]. Calls become an
//! [`ExprKind::Folded`] that keeps the expression as written: a variable
//! holding a function takes the place of the built-in of its name (a context
//! entry, a filtered item's entry, a caller's variable), so the evaluator
//! checks for such variables before it uses the value.
//!
//! Never folded: names of host functions (the engine's own, which are not
//! ours to call early), built-ins called without arguments (`now()`,
//! `today()`, `random number()`, `uuid()`), and anything that reads the clock
//! while it is computed (`to json` does, for zone offsets).

use std::sync::Arc;

use super::Evaluator;
use crate::ast::{Args, Domain, Expr, ExprKind, Folded, Name, UnaryTest, UnaryTestKind};
use crate::builtins;
use crate::config::Config;
use crate::stack::{RED_ZONE, STACK_SEGMENT};
use crate::value::{Context, Value};

/// The built-in names of several constants, each once.
fn merge(constants: impl IntoIterator<Item = Vec<Name>>) -> Vec<Name> {
    let mut calls: Vec<Name> = Vec::new();
    for name in constants.into_iter().flatten() {
        if !calls.contains(&name) {
            calls.push(name);
        }
    }
    calls
}

/// The most work one folded constant may take (in fuel units): constants are
/// small, and compiling must stay cheap whatever the expression.
const FOLD_FUEL: u64 = 10_000;

/// The most memory one folded constant may build (bytes): a constant is
/// kept in the compiled expression for as long as it lives, so a large one
/// is left to be computed (and paid for) by each evaluation instead.
const FOLD_MEMORY: u64 = 64 * 1024;

/// What a subexpression is made of, if it is constant: the built-ins it
/// calls by name.
type Constant = Option<Vec<Name>>;

struct Folder<'e> {
    config: &'e Config,
    empty: Context,
}

/// Folds the constant subexpressions of `expr`.
pub(crate) fn expression(config: &Config, expr: &mut Expr) {
    let folder = Folder {
        config,
        empty: Context::new(),
    };
    if let Some(calls) = folder.visit(expr) {
        folder.replace(expr, calls);
    }
}

/// Folds the constant subexpressions of each test.
pub(crate) fn unary_tests(config: &Config, tests: &mut [UnaryTest]) {
    let folder = Folder {
        config,
        empty: Context::new(),
    };
    folder.tests(tests);
}

impl Folder<'_> {
    fn tests(&self, tests: &mut [UnaryTest]) {
        for test in tests {
            match &mut test.kind {
                UnaryTestKind::Expr(e) => self.fold(e),
                UnaryTestKind::Not(tests) => self.tests(tests),
                UnaryTestKind::Any => {}
            }
        }
    }

    /// Folds `e` if it is constant, else its constant parts.
    fn fold(&self, e: &mut Expr) {
        if let Some(calls) = self.visit(e) {
            self.replace(e, calls);
        }
    }

    /// Folds the constant parts of `e` that are not all of it; returns what
    /// `e` is made of if it is constant as a whole (the caller decides
    /// whether to fold it or a larger constant around it).
    fn visit(&self, e: &mut Expr) -> Constant {
        stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || self.visit_kind(e))
    }

    fn visit_kind(&self, e: &mut Expr) -> Constant {
        match &mut e.kind {
            ExprKind::Literal(_) => Some(Vec::new()),
            ExprKind::Name(_) | ExprKind::Folded(_) => None,
            ExprKind::Path(base, ..) | ExprKind::Neg(base) | ExprKind::InstanceOf(base, _) => {
                self.visit(base)
            }
            ExprKind::Filter(a, b)
            | ExprKind::Binary(_, a, b)
            | ExprKind::And(a, b)
            | ExprKind::Or(a, b) => self.all_of([&mut **a, &mut **b]),
            ExprKind::Between(a, b, c) | ExprKind::If(a, b, c) => {
                self.all_of([&mut **a, &mut **b, &mut **c])
            }
            ExprKind::List(items) => self.all(items.iter_mut()),
            ExprKind::Range(range) => {
                let bounds = range.start.iter_mut().chain(range.end.iter_mut());
                self.all(bounds)
            }
            ExprKind::Call(callee, args) => {
                let callee = match &callee.kind {
                    ExprKind::Name(name) if self.foldable_call(name, args) => Some(name.clone()),
                    _ => {
                        self.fold(callee);
                        None
                    }
                };
                let args = match args {
                    Args::Positional(args) => match args.as_mut_slice() {
                        [a] => self.visit(a),
                        [a, b] => self.all_of([a, b]),
                        [a, b, c] => self.all_of([a, b, c]),
                        args => self.all(args.iter_mut()),
                    },
                    Args::Named(args) => self.all(args.iter_mut().map(|(_, a)| a)),
                };
                let (Some(name), Some(mut calls)) = (callee, args) else {
                    return None;
                };
                if !calls.contains(&name) {
                    calls.push(name);
                }
                Some(calls)
            }
            // The tests of `in` are expressions too (`?` in them is a name).
            ExprKind::In(value, tests) => {
                let mut exprs = vec![&mut **value];
                let mut other = false;
                for test in tests.iter_mut() {
                    match &mut test.kind {
                        UnaryTestKind::Expr(e) => exprs.push(e),
                        _ => other = true,
                    }
                }
                let constant = self.all(exprs);
                if other {
                    self.tests(tests);
                    return None;
                }
                constant
            }
            // Loops and functions bind names: only their parts can be constant.
            // A later entry of a context sees the earlier ones, but only by
            // name: entries that are all constant make a constant context.
            ExprKind::Context(entries) => self.all(entries.iter_mut().map(|(_, v)| v)),
            ExprKind::For(iterations, body) | ExprKind::Quantified(_, iterations, body) => {
                for it in iterations {
                    match &mut it.domain {
                        Domain::Expr(d) => self.fold(d),
                        Domain::Span(a, b) => {
                            self.fold(a);
                            self.fold(b);
                        }
                    }
                }
                self.fold(body);
                None
            }
            ExprKind::Function(def) => {
                // A fresh tree: the definition is not shared yet.
                if let Some(def) = Arc::get_mut(def) {
                    self.fold(&mut def.body);
                }
                None
            }
        }
    }

    /// [`Folder::all`] for a fixed number of children, without allocating.
    fn all_of<const N: usize>(&self, mut children: [&mut Expr; N]) -> Constant {
        let mut constants: [Constant; N] = std::array::from_fn(|_| None);
        for (child, constant) in children.iter_mut().zip(constants.iter_mut()) {
            *constant = self.visit(child);
        }
        if constants.iter().all(Option::is_some) {
            return Some(merge(constants.into_iter().flatten()));
        }
        for (child, constant) in children.into_iter().zip(constants) {
            if let Some(calls) = constant {
                self.replace(child, calls);
            }
        }
        None
    }

    /// Whether the children are all constant; if not, folds those that are.
    fn all<'x>(&self, children: impl IntoIterator<Item = &'x mut Expr>) -> Constant {
        let mut visited: Vec<(&'x mut Expr, Constant)> = Vec::new();
        for child in children {
            let constant = self.visit(child);
            visited.push((child, constant));
        }
        if visited.iter().all(|(_, c)| c.is_some()) {
            return Some(merge(visited.into_iter().filter_map(|(_, c)| c)));
        }
        for (child, constant) in visited {
            if let Some(calls) = constant {
                self.replace(child, calls);
            }
        }
        None
    }

    /// Whether a call of `name` with these arguments may be made early: a
    /// built-in (not a host function, which comes first), with arguments.
    fn foldable_call(&self, name: &str, args: &Args) -> bool {
        let given = match args {
            Args::Positional(a) => a.len(),
            Args::Named(a) => a.len(),
        };
        given > 0 && self.config.functions.get(name).is_none() && builtins::lookup(name).is_some()
    }

    /// Computes the constant `e` and puts the value in its place, unless that
    /// gives a warning or an error, or reads the clock.
    fn replace(&self, e: &mut Expr, calls: Vec<Name>) {
        if matches!(e.kind, ExprKind::Literal(_)) {
            return;
        }
        let mut ev = Evaluator::new(self.config, &self.empty);
        ev.fuel = Some(ev.fuel.map_or(FOLD_FUEL, |f| f.min(FOLD_FUEL)));
        ev.memory = ev.memory.min(FOLD_MEMORY);
        let value = match ev.eval(e) {
            Ok(v) if ev.warnings.is_empty() && !ev.read_clock.get() => v,
            _ => return,
        };
        let span = e.span;
        let kind = if calls.is_empty() {
            ExprKind::Literal(value)
        } else {
            let expr = std::mem::replace(e, Expr::new(ExprKind::Literal(Value::Null), span));
            ExprKind::Folded(Box::new(Folded { value, calls, expr }))
        };
        *e = Expr::new(kind, span);
    }
}
