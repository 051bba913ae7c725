//! Which parts of the input an expression may read: a static analysis of the
//! syntax tree, run once at compile time.
//!
//! The result is the set of *access paths* of the free variables: every name
//! the expression does not bind itself, followed by the literal context keys
//! applied directly to it (`request.body.From` is `request`, `body`, `From`; a
//! name used whole, as in `count(xs)`, is just `xs`). An embedder asks
//! [`Expression::reads`](crate::Expression::reads) whether a part of the input
//! is needed, and may skip building the parts that are not.
//!
//! The analysis is sound for the evaluator in `crate::eval`: it may report a
//! read that never happens, never miss one. It follows the evaluator's scopes:
//!
//! - Bound, so not inputs: the names of `for`/`some`/`every` iterations (in
//!   later domains and in the body), function parameters (in the body), the
//!   earlier entries of a context literal (in the later entries), `partial` in
//!   a `for` body, and `?` inside unary tests.
//! - A name bound around a filter stays bound inside its condition: the filter
//!   only pushes the item's entries and `item` on top of it. Every other name
//!   in a condition stays free, `item` included (a filter on an empty list
//!   evaluates its condition without binding `item`).
//! - A function body is evaluated on top of its caller's scope, so its free
//!   names are free wherever it is called: they count as inputs.
//! - A called name counts as read: a variable holding a function hides a
//!   built-in of the same name (`count(xs)` reads `count` and `xs`).
//! - A path stops at anything but a key on a name (`f(x).b`, `xs[1].b`): the
//!   names inside count, with the path cut there.
//!
//! What no analysis of the expression can see: a user-defined function value
//! passed *in* through the variables (a closure made by an earlier evaluation)
//! evaluates its body on top of the caller's scope, so it may read variables it
//! names freely. Host functions and built-ins read only their arguments.

use std::fmt;

use crate::ast::{Args, Domain, Expr, ExprKind, Iteration, Name, UnaryTest, UnaryTestKind};
use crate::stack::{RED_ZONE, STACK_SEGMENT};

/// A place in the input that an expression may read: a variable name followed
/// by the context keys applied to it (`request.body.From` is `["request",
/// "body", "From"]`).
///
/// # Examples
///
/// ```
/// let expr = feel::Engine::new().compile_expression("request.body.From = \"+1555\"")?;
/// let path = &expr.input_paths()[0];
/// assert_eq!(path.segments().collect::<Vec<_>>(), ["request", "body", "From"]);
/// assert_eq!(path.to_string(), "request.body.From");
/// # Ok::<(), feel::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InputPath(Box<[Name]>);

impl InputPath {
    /// The variable name, then the context keys, outermost first.
    pub fn segments(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.0.iter().map(|s| &**s)
    }

    /// Whether one of `self` and `path` is a prefix of the other: reading one
    /// of them may read the other.
    fn overlaps(&self, path: &[&str]) -> bool {
        self.0.iter().zip(path).all(|(a, b)| **a == **b)
    }
}

impl fmt::Display for InputPath {
    /// The segments joined with `.` (`request.body.From`); names with dots or
    /// other special characters are not quoted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(segment)?;
        }
        Ok(())
    }
}

/// The access paths of an expression or of unary tests: sorted, and none a
/// prefix of another (the shorter one already covers the longer).
#[derive(Debug)]
pub(crate) struct Inputs {
    paths: Box<[InputPath]>,
}

impl Inputs {
    /// The inputs of an expression (where `?` is an ordinary, free name).
    pub(crate) fn of_expression(expr: &Expr) -> Self {
        let mut walker = Walker::default();
        walker.expr(expr);
        walker.finish()
    }

    /// The inputs of unary tests (where `?` is the tested value).
    pub(crate) fn of_unary_tests(tests: &[UnaryTest]) -> Self {
        let mut walker = Walker::default();
        walker.bound.push("?");
        walker.tests(tests);
        walker.finish()
    }

    pub(crate) fn paths(&self) -> &[InputPath] {
        &self.paths
    }

    /// Whether the value at `path`, or something inside it, may be read.
    pub(crate) fn reads(&self, path: &[&str]) -> bool {
        self.paths.iter().any(|p| p.overlaps(path))
    }
}

/// Walks the tree with the names bound at each point.
#[derive(Default)]
struct Walker<'a> {
    /// The names bound here by the expression itself, innermost last.
    bound: Vec<&'a str>,
    /// The access paths of free names found so far.
    found: Vec<InputPath>,
    /// Treat every name as free (tests list every path an expression names).
    #[cfg(test)]
    everything: bool,
}

impl<'a> Walker<'a> {
    fn finish(mut self) -> Inputs {
        self.found.sort_unstable();
        // After sorting, the extensions of a path follow it directly.
        let mut paths: Vec<InputPath> = Vec::with_capacity(self.found.len());
        for path in self.found {
            let covered = paths.last().is_some_and(|prev| path.0.starts_with(&prev.0));
            if !covered {
                paths.push(path);
            }
        }
        Inputs {
            paths: paths.into(),
        }
    }

    fn is_bound(&self, name: &str) -> bool {
        #[cfg(test)]
        if self.everything {
            return false;
        }
        self.bound.contains(&name)
    }

    fn expr(&mut self, expr: &'a Expr) {
        stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || self.expr_kind(expr));
    }

    fn expr_kind(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::Literal(_) => {}
            // The built-ins a folded constant calls are read as when it is
            // evaluated as written.
            ExprKind::Folded(folded) => self.expr(&folded.expr),
            // A called name is read like any other: the evaluator looks for a
            // function-valued variable before the host functions and built-ins.
            ExprKind::Name(_) | ExprKind::Path(..) => self.path(expr),
            ExprKind::Filter(base, cond) => {
                self.expr(base);
                self.expr(cond);
            }
            ExprKind::Call(callee, args) => {
                self.expr(callee);
                match args {
                    Args::Positional(args) => args.iter().for_each(|a| self.expr(a)),
                    Args::Named(args) => args.iter().for_each(|(_, a)| self.expr(a)),
                }
            }
            ExprKind::Neg(a) | ExprKind::InstanceOf(a, _) => self.expr(a),
            ExprKind::Binary(_, a, b) | ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Between(a, b, c) | ExprKind::If(a, b, c) => {
                self.expr(a);
                self.expr(b);
                self.expr(c);
            }
            ExprKind::In(value, tests) => {
                self.expr(value);
                let mark = self.bound.len();
                self.bound.push("?");
                self.tests(tests);
                self.bound.truncate(mark);
            }
            ExprKind::For(iterations, body) => {
                let mark = self.bound.len();
                self.iterations(iterations);
                // The evaluator binds `partial` (the results so far) in the
                // body whenever the body mentions it, so it is never free there.
                self.bound.push("partial");
                self.expr(body);
                self.bound.truncate(mark);
            }
            ExprKind::Quantified(_, iterations, cond) => {
                let mark = self.bound.len();
                self.iterations(iterations);
                self.expr(cond);
                self.bound.truncate(mark);
            }
            ExprKind::List(items) => items.iter().for_each(|i| self.expr(i)),
            ExprKind::Context(entries) => {
                let mark = self.bound.len();
                for (key, value) in entries {
                    self.expr(value);
                    self.bound.push(key);
                }
                self.bound.truncate(mark);
            }
            ExprKind::Range(range) => {
                if let Some(start) = &range.start {
                    self.expr(start);
                }
                if let Some(end) = &range.end {
                    self.expr(end);
                }
            }
            ExprKind::Function(def) => {
                let mark = self.bound.len();
                self.bound
                    .extend(def.params.iter().map(|(name, _)| &**name));
                self.expr(&def.body);
                self.bound.truncate(mark);
            }
        }
    }

    /// A name with the keys applied to it (`a.b.c`), or a path on something
    /// else, which is walked as a whole.
    fn path(&mut self, expr: &'a Expr) {
        let mut keys = Vec::new();
        let mut base = expr;
        while let ExprKind::Path(inner, key, _) = &base.kind {
            keys.push(key);
            base = inner;
        }
        match &base.kind {
            ExprKind::Name(name) if self.is_bound(name) => {}
            ExprKind::Name(name) => {
                let segments = std::iter::once(name).chain(keys.into_iter().rev());
                self.found.push(InputPath(segments.cloned().collect()));
            }
            _ => self.expr(base),
        }
    }

    /// The domains of `for`/`some`/`every`, each seeing the names before it;
    /// leaves the names bound.
    fn iterations(&mut self, iterations: &'a [Iteration]) {
        for it in iterations {
            match &it.domain {
                Domain::Expr(e) => self.expr(e),
                Domain::Span(low, high) => {
                    self.expr(low);
                    self.expr(high);
                }
            }
            self.bound.push(&it.name);
        }
    }

    fn tests(&mut self, tests: &'a [UnaryTest]) {
        for test in tests {
            match &test.kind {
                UnaryTestKind::Any => {}
                UnaryTestKind::Expr(e) => self.expr(e),
                UnaryTestKind::Not(tests) => self.tests(tests),
            }
        }
    }
}

#[cfg(test)]
mod tests;
