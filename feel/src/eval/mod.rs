//! The tree-walking evaluator.
//!
//! An [`Evaluator`] walks the AST with a [`Scope`] stack, a warning sink, a
//! fuel counter and a depth counter. Run-time problems follow FEEL: the value
//! is null and a [`Warning`] records why. Only exceeded limits and failing
//! host functions are an `Err`.

mod call;
pub(crate) mod fold;
mod iteration;
mod ops;
mod scope;
mod unary;

use std::sync::Arc;

use chrono::FixedOffset;

use crate::ast::{Expr, ExprKind, UnaryTest};
use crate::builtins::Host;
use crate::config::Config;
use crate::dialect::Dialect;
use crate::error::{Error, ErrorKind, Span, Warning, WarningKind};
use crate::value::{
    context_bytes, list_bytes, quick, Bound, Context, Function, FunctionRepr, Range, RangeForm,
    Value,
};

pub(crate) use scope::Scope;

/// The result of an evaluation: the value, and the warnings that explain any
/// null produced along the way (a missing variable, a type mismatch, …).
/// New fields may be added; only the engine builds one.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Evaluation {
    /// The value.
    pub value: Value,
    /// Why parts of the evaluation yielded null, in the order they happened.
    pub warnings: Vec<Warning>,
}

/// At most this many warnings are kept per evaluation (a loop over a large
/// list could otherwise produce one per item).
const MAX_WARNINGS: usize = 100;

pub(crate) type EvalResult = Result<Value, Error>;

/// Check the remaining stack every this many nesting levels...
const STACK_CHECK_EVERY: usize = 8;
/// ...and grow it when less than this much is left...
const STACK_RED_ZONE: usize = 256 * 1024;
/// ...by this much.
const STACK_GROWTH: usize = 2 * 1024 * 1024;

pub(crate) struct Evaluator<'e> {
    config: &'e Config,
    scope: Scope<'e>,
    warnings: Vec<Warning>,
    fuel: Option<u64>,
    /// The bytes left to build ([`EngineBuilder::memory_budget`]; `u64::MAX`
    /// without a budget, which no evaluation can spend).
    ///
    /// [`EngineBuilder::memory_budget`]: crate::EngineBuilder::memory_budget
    memory: u64,
    depth: usize,
    /// The depth at which [`Evaluator::eval_inner`] next checks the stack.
    next_stack_check: usize,
    /// Whether a built-in read the clock (such a value is not a constant).
    read_clock: std::cell::Cell<bool>,
    /// The built-ins called so far, by the address of the callee's name
    /// (names live as long as the expression, which outlives the evaluator).
    /// (A few slots, no allocation; an empty slot has key 0.)
    builtin_cache: [(usize, &'static [&'static crate::builtins::Overload]); 4],
}

impl<'e> Evaluator<'e> {
    fn new(config: &'e Config, root: &'e Context) -> Self {
        Evaluator {
            config,
            scope: Scope::new(root),
            warnings: Vec::new(),
            fuel: config.fuel,
            memory: config.memory_budget.unwrap_or(u64::MAX),
            depth: 0,
            next_stack_check: 0,
            read_clock: std::cell::Cell::new(false),
            builtin_cache: [(0, &[]); 4],
        }
    }

    /// Records a warning and returns null.
    pub(crate) fn warn(&mut self, kind: WarningKind, message: String, span: Span) -> Value {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(Warning {
                kind,
                message,
                span,
            });
        }
        Value::Null
    }

    /// Spends `amount` fuel.
    #[inline]
    pub(crate) fn burn(&mut self, amount: u64, span: Span) -> Result<(), Error> {
        if let Some(fuel) = &mut self.fuel {
            if *fuel < amount {
                *fuel = 0;
                return Err(out_of_fuel(span));
            }
            *fuel -= amount;
        }
        Ok(())
    }

    /// Spends `bytes` of the memory budget, before building a value that
    /// size; fails if that would pass the budget.
    #[inline]
    pub(crate) fn charge(&mut self, bytes: usize, span: Span) -> Result<(), Error> {
        let bytes = bytes as u64;
        if bytes > self.memory {
            return Err(self.out_of_memory(bytes, span));
        }
        self.memory -= bytes;
        Ok(())
    }

    /// The bytes left in the memory budget.
    pub(crate) fn memory_left(&self) -> usize {
        usize::try_from(self.memory).unwrap_or(usize::MAX)
    }

    #[cold]
    fn out_of_memory(&mut self, bytes: u64, span: Span) -> Error {
        let budget = self.config.memory_budget.unwrap_or(u64::MAX);
        let used = budget - self.memory;
        self.memory = 0;
        Error::new(
            ErrorKind::MemoryExhausted,
            format!(
                "the evaluation ran out of memory: it has built {used} bytes of values, and \
                 {bytes} more would pass its budget of {budget} bytes"
            ),
        )
        .with_span(span)
    }

    #[inline]
    fn enter(&mut self, span: Span) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > self.config.max_depth {
            return Err(too_deep(self.config.max_depth, span));
        }
        Ok(())
    }

    /// Evaluates one expression.
    #[inline]
    pub(crate) fn eval(&mut self, expr: &Expr) -> EvalResult {
        self.burn(1, expr.span)?;
        // Leaves need no depth bookkeeping: they do not recurse.
        match &expr.kind {
            ExprKind::Literal(v) => Ok(v.clone()),
            ExprKind::Name(name) => Ok(self.lookup(name, expr.span)),
            _ => self.eval_inner(expr),
        }
    }

    /// Evaluates a node that has children, counting its depth.
    fn eval_inner(&mut self, expr: &Expr) -> EvalResult {
        // A path through context entries (`request.body.From`) does not
        // recurse either.
        if let ExprKind::Path(..) = &expr.kind {
            if let Some(v) = self.context_path(expr) {
                return Ok(v.clone());
            }
        }
        self.enter(expr.span)?;
        // The depth limit bounds recursion, but frames are large in debug
        // builds and callers' threads may have small stacks: grow on demand.
        // Checking every few levels is enough (the red zone covers them).
        // Every recursion of the evaluator passes here (function calls and
        // built-ins that call functions too, adding levels of their own), so
        // the check is due once the depth has grown by a few levels since
        // the last one, whatever the levels were.
        let result = if self.depth >= self.next_stack_check {
            let saved = self.next_stack_check;
            self.next_stack_check = self.depth + STACK_CHECK_EVERY;
            let r = stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || self.eval_kind(expr));
            self.next_stack_check = saved;
            r
        } else {
            self.eval_kind(expr)
        };
        self.depth -= 1;
        result
    }

    fn eval_kind(&mut self, expr: &Expr) -> EvalResult {
        let span = expr.span;
        match &expr.kind {
            ExprKind::Literal(v) => Ok(v.clone()),
            ExprKind::Name(name) => Ok(self.lookup(name, span)),
            ExprKind::Path(base, name, _) => {
                // Fast path: a chain of context entries (`request.body.From`)
                // is followed by reference, cloning only the final value.
                if let Some(v) = self.context_path(expr) {
                    return Ok(v.clone());
                }
                let base = self.eval(base)?;
                self.path(base, name, span)
            }
            ExprKind::Filter(base, filter) => {
                let base = self.eval(base)?;
                self.filter(base, filter, span)
            }
            ExprKind::Call(callee, args) => self.call_expr(callee, args, span),
            ExprKind::Neg(operand) => {
                let v = self.eval(operand)?;
                Ok(self.negate(v, span))
            }
            ExprKind::Binary(op, left, right) => {
                // Operands that are variables, paths or literals are looked
                // at where they are, without copying them.
                if let (Some(l), Some(r)) = (self.peek(left), self.peek(right)) {
                    if let Some(v) = quick(*op, l, r) {
                        self.burn(2, span)?;
                        return Ok(v);
                    }
                }
                // One level down, as in `x * x > 1000`: the left operand
                // computed in place, without a nested evaluation.
                if let Some(l) = self.quick_operand(left) {
                    self.burn(3, left.span)?;
                    if let Some(v) = self.peek(right).and_then(|r| quick(*op, &l, r)) {
                        self.burn(1, span)?;
                        return Ok(v);
                    }
                    let r = self.eval(right)?;
                    return self.binary(*op, l, r, span);
                }
                let l = self.eval(left)?;
                let r = self.eval(right)?;
                self.binary(*op, l, r, span)
            }
            ExprKind::And(left, right) => self.and(left, right),
            ExprKind::Or(left, right) => self.or(left, right),
            ExprKind::Between(value, low, high) => {
                let v = self.eval(value)?;
                let lo = self.eval(low)?;
                let hi = self.eval(high)?;
                Ok(self.between(v, lo, hi, span))
            }
            ExprKind::In(value, tests) => {
                let v = self.eval(value)?;
                self.test_any(&v, tests)
            }
            ExprKind::InstanceOf(value, ty) => {
                let v = self.eval(value)?;
                Ok(Value::Boolean(unary::instance_of(&v, ty)))
            }
            ExprKind::If(cond, then, otherwise) => match self.eval(cond)? {
                Value::Boolean(true) => self.eval(then),
                _ => self.eval(otherwise),
            },
            ExprKind::For(iterations, body) => self.for_loop(iterations, body, span),
            ExprKind::Quantified(q, iterations, cond) => self.quantified(*q, iterations, cond),
            ExprKind::List(items) => {
                self.charge(list_bytes(items.len()), span)?;
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.eval(item)?);
                }
                Ok(Value::List(values.into()))
            }
            ExprKind::Context(entries) => self.context_literal(entries, span),
            ExprKind::Range(range) if range.form != RangeForm::Interval => {
                // `= x`, `!= x`: x is both bounds.
                let Some(e) = &range.start else {
                    return Ok(Value::Null);
                };
                let v = self.eval(e)?;
                let bound = |v: Value| {
                    if range.form == RangeForm::Equal {
                        Bound::Included(v)
                    } else {
                        Bound::Excluded(v)
                    }
                };
                Ok(Value::Range(Arc::new(Range {
                    start: bound(v.clone()),
                    end: bound(v),
                    form: range.form,
                })))
            }
            ExprKind::Range(range) => {
                let start = match &range.start {
                    Some(e) => Some(self.eval(e)?),
                    None => None,
                };
                let end = match &range.end {
                    Some(e) => Some(self.eval(e)?),
                    None => None,
                };
                Ok(self.make_range(start, range.start_included, end, range.end_included, span))
            }
            ExprKind::Folded(folded) => {
                // A variable holding a function takes the place of a built-in.
                let shadowed = folded
                    .calls
                    .iter()
                    .any(|name| matches!(self.scope.get(name), Some(Value::Function(_))));
                if shadowed {
                    self.eval(&folded.expr)
                } else {
                    Ok(folded.value.clone())
                }
            }
            ExprKind::Function(def) => {
                let captured = self.scope.capture();
                self.charge(context_bytes(captured.len()), span)?;
                Ok(Value::Function(Function(Arc::new(FunctionRepr::User {
                    def: Arc::clone(def),
                    captured,
                }))))
            }
        }
    }

    /// The value of a literal, a variable or a chain of context entries
    /// (`a.b.c`), by reference; `None` for anything else, and when looking it
    /// up would warn (the general path handles those).
    #[inline]
    fn peek<'a>(&'a self, expr: &'a Expr) -> Option<&'a Value> {
        match &expr.kind {
            ExprKind::Literal(v) => Some(v),
            ExprKind::Name(name) => self.scope.get(name),
            ExprKind::Path(..) => self.context_path(expr),
            _ => None,
        }
    }

    /// The value of an operator on operands [`Evaluator::peek`] sees, when
    /// the shortcut answers (the caller pays the fuel: three units).
    #[inline]
    fn quick_operand(&self, expr: &Expr) -> Option<Value> {
        match &expr.kind {
            ExprKind::Binary(op, a, b) => quick(*op, self.peek(a)?, self.peek(b)?),
            _ => None,
        }
    }

    /// The value at `a.b.c` when `a` is a variable and every step is an entry
    /// of a context; `None` for anything else (the general path handles it).
    #[inline(never)]
    fn context_path<'a>(&'a self, expr: &'a Expr) -> Option<&'a Value> {
        context_path_in(expr, |name| self.scope.get(name))
    }

    /// The value of a name: a variable in scope, then a host function, then a
    /// built-in (as a function value). Unknown names are null with a warning.
    fn lookup(&mut self, name: &crate::ast::Name, span: Span) -> Value {
        if let Some(v) = self.scope.get(name) {
            return v.clone();
        }
        if let Some(f) = self.named_function(name) {
            return Value::Function(f);
        }
        self.warn(
            WarningKind::NoVariableFound,
            format!("no variable found with name '{name}'"),
            span,
        )
    }

    fn context_literal(&mut self, entries: &[(crate::ast::Name, Expr)], span: Span) -> EvalResult {
        self.charge(context_bytes(entries.len()), span)?;
        let mark = self.scope.mark();
        let mut built: Vec<(crate::ast::Name, Value)> = Vec::with_capacity(entries.len());
        let mut result = Ok(());
        for (i, (key, expr)) in entries.iter().enumerate() {
            // (Keys of one expression share their allocations when equal.)
            let twice = built
                .iter()
                .any(|(k, _)| Arc::ptr_eq(k, key) || crate::value::same_text(k, key));
            if twice {
                let span = expr.span;
                self.scope.truncate(mark);
                return Ok(self.warn(
                    WarningKind::InvalidValue,
                    format!("the context has the key '{key}' twice"),
                    span,
                ));
            }
            match self.eval(expr) {
                Ok(v) => {
                    // Later entries see earlier ones (the last one has none).
                    if i + 1 < entries.len() {
                        self.scope.push_var(Arc::clone(key), v.clone());
                    }
                    built.push((Arc::clone(key), v));
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.scope.truncate(mark);
        result.map(|()| Value::Context(Context::from_distinct(built)))
    }

    /// Builds a range value, checking that the bounds are comparable.
    fn make_range(
        &mut self,
        start: Option<Value>,
        start_included: bool,
        end: Option<Value>,
        end_included: bool,
        span: Span,
    ) -> Value {
        let bound = |v: Option<Value>, included: bool| match v {
            None => Bound::Unbounded,
            Some(v) if included => Bound::Included(v),
            Some(v) => Bound::Excluded(v),
        };
        let comparable = |v: &Value| {
            matches!(
                v,
                Value::Number(_)
                    | Value::String(_)
                    | Value::Date(_)
                    | Value::Time(_)
                    | Value::DateTime(_)
                    | Value::DayTimeDuration(_)
                    | Value::YearMonthDuration(_)
            )
        };
        match (&start, &end) {
            (Some(a), Some(b)) => {
                if a.is_null() || b.is_null() {
                    return self.warn(
                        WarningKind::InvalidType,
                        "a range bound is null".into(),
                        span,
                    );
                }
                if a.feel_cmp(b).is_none() {
                    return self.warn(
                        WarningKind::NotComparable,
                        format!(
                            "range bounds {} and {} are not comparable ({} and {})",
                            crate::value::Brief(a),
                            crate::value::Brief(b),
                            a.kind(),
                            b.kind()
                        ),
                        span,
                    );
                }
            }
            (Some(v), None) | (None, Some(v)) => {
                if !comparable(v) {
                    return self.warn(
                        WarningKind::InvalidType,
                        format!("a range bound must be comparable, not {}", v.kind()),
                        span,
                    );
                }
            }
            (None, None) => {}
        }
        Value::Range(Arc::new(Range::new(
            bound(start, start_included),
            bound(end, end_included),
        )))
    }
}

#[cold]
fn out_of_fuel(span: Span) -> Error {
    Error::new(ErrorKind::FuelExhausted, "the evaluation ran out of fuel").with_span(span)
}

#[cold]
fn too_deep(max_depth: usize, span: Span) -> Error {
    Error::new(
        ErrorKind::DepthExceeded,
        format!("the evaluation nested deeper than {max_depth} levels"),
    )
    .with_span(span)
}

/// What the built-ins may ask of the evaluation.
impl Host for Evaluator<'_> {
    fn warn(&mut self, kind: WarningKind, message: String, span: Span) -> Value {
        Evaluator::warn(self, kind, message, span)
    }

    fn burn(&mut self, amount: u64, span: Span) -> Result<(), Error> {
        Evaluator::burn(self, amount, span)
    }

    #[inline]
    fn charge(&mut self, bytes: usize, span: Span) -> Result<(), Error> {
        Evaluator::charge(self, bytes, span)
    }

    fn memory_left(&self) -> usize {
        Evaluator::memory_left(self)
    }

    fn now(&self) -> chrono::DateTime<FixedOffset> {
        self.read_clock.set(true);
        self.config.clock.now()
    }

    fn dialect(&self) -> Dialect {
        self.config.dialect
    }

    fn call(&mut self, function: &Function, args: Vec<Value>, span: Span) -> Result<Value, Error> {
        self.call_function(function, args, span)
    }
}

pub(crate) fn evaluate_expression(
    config: &Config,
    vars: &Context,
    expr: &Expr,
) -> Result<Evaluation, Error> {
    // A constant, a variable or a path through context entries (a webhook's
    // correlation key, `request.body.From`) needs no evaluator: one node, one
    // unit of fuel, no warnings. (Anything else, and any miss, takes the
    // general way.)
    if config.fuel.is_none_or(|f| f >= 3) {
        // A comparison (or other operator) of such values, as a webhook's
        // activation condition `request.body.SmsStatus = "received"`: three
        // nodes, three units.
        if let ExprKind::Binary(op, l, r) = &expr.kind {
            if let Some(value) = root_operand(vars, l)
                .zip(root_operand(vars, r))
                .and_then(|(l, r)| quick(*op, l, r))
            {
                return Ok(Evaluation {
                    value,
                    warnings: Vec::new(),
                });
            }
        }
    }
    if config.fuel != Some(0) {
        let quick = match &expr.kind {
            ExprKind::Literal(v) => Some(v),
            ExprKind::Name(..) | ExprKind::Path(..) => root_path(vars, expr),
            // A constant stands unless a variable holding a function takes
            // the place of a built-in it called.
            ExprKind::Folded(f)
                if !f
                    .calls
                    .iter()
                    .any(|n| matches!(vars.get(n), Some(Value::Function(_)))) =>
            {
                Some(&f.value)
            }
            _ => None,
        };
        if let Some(v) = quick {
            return Ok(Evaluation {
                value: v.clone(),
                warnings: Vec::new(),
            });
        }
    }
    let mut ev = Evaluator::new(config, vars);
    let value = ev.eval(expr)?;
    Ok(Evaluation {
        value,
        warnings: ev.warnings,
    })
}

/// A literal's value, or [`root_path`]'s.
fn root_operand<'a>(vars: &'a Context, expr: &'a Expr) -> Option<&'a Value> {
    match &expr.kind {
        ExprKind::Literal(v) => Some(v),
        _ => root_path(vars, expr),
    }
}

/// The value at `a.b.c` in `vars` when every step is a context entry (the
/// scope of an evaluation that has not started is the variables alone).
#[inline]
fn root_path<'a>(vars: &'a Context, expr: &'a Expr) -> Option<&'a Value> {
    context_path_in(expr, |name| vars.get(name))
}

/// The value at `a.b.c` when `root` finds `a` and every step is an entry of a
/// context; `None` for anything else. The keys, from the top down, are found
/// walking to the name at the bottom: a loop, not one level of recursion per
/// step, and no allocation for the usual few steps.
#[inline]
fn context_path_in<'a>(
    expr: &'a Expr,
    root: impl Fn(&'a crate::ast::Name) -> Option<&'a Value>,
) -> Option<&'a Value> {
    const STEPS: usize = 8;
    let mut keys: [Option<(&crate::ast::Name, &crate::ast::KeyHint)>; STEPS] = [None; STEPS];
    let mut depth = 0;
    let mut node = expr;
    loop {
        match &node.kind {
            ExprKind::Path(base, key, hint) => {
                if depth == STEPS {
                    return context_path_deep(expr, root);
                }
                keys[depth] = Some((key, hint));
                depth += 1;
                node = base;
            }
            ExprKind::Name(name) => {
                let mut value = root(name)?;
                for (key, hint) in keys[..depth].iter().rev().flatten() {
                    value = match value {
                        Value::Context(c) => c.get_hinted(key, hint)?,
                        _ => return None,
                    };
                }
                return Some(value);
            }
            _ => return None,
        }
    }
}

/// [`context_path_in`] for long chains (as long as the depth limit allows).
#[cold]
fn context_path_deep<'a>(
    expr: &'a Expr,
    root: impl Fn(&'a crate::ast::Name) -> Option<&'a Value>,
) -> Option<&'a Value> {
    let mut keys: Vec<(&crate::ast::Name, &crate::ast::KeyHint)> = Vec::new();
    let mut node = expr;
    let mut value = loop {
        match &node.kind {
            ExprKind::Path(base, key, hint) => {
                keys.push((key, hint));
                node = base;
            }
            ExprKind::Name(name) => break root(name)?,
            _ => return None,
        }
    };
    for (key, hint) in keys.iter().rev() {
        value = match value {
            Value::Context(c) => c.get_hinted(key, hint)?,
            _ => return None,
        };
    }
    Some(value)
}

pub(crate) fn evaluate_unary_tests(
    config: &Config,
    vars: &Context,
    input: &Value,
    tests: &[UnaryTest],
) -> Result<Evaluation, Error> {
    let mut ev = Evaluator::new(config, vars);
    let value = ev.test_any(input, tests)?;
    Ok(Evaluation {
        value,
        warnings: ev.warnings,
    })
}

/// Calls a built-in by name with positional arguments, outside any expression:
/// for unit tests of the built-in tables.
#[cfg(test)]
pub(crate) fn call_builtin(name: &str, args: &[Value]) -> (Value, Vec<Warning>) {
    let engine = crate::Engine::new();
    let root = Context::new();
    let mut ev = Evaluator::new(&engine.inner, &root);
    let func = Function(Arc::new(FunctionRepr::Builtin(
        crate::builtins::static_name(name).unwrap_or_else(|| panic!("no built-in {name}")),
    )));
    let value = ev
        .call_function(&func, args.to_vec(), Span::default())
        .unwrap_or_else(|e| panic!("{name} failed: {e}"));
    (value, ev.warnings)
}
