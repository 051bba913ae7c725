//! The tree-walking evaluator. SKELETON, in progress.

use chrono::FixedOffset;

use crate::ast::{Expr, UnaryTest};
use crate::engine::Engine;
use crate::error::{Error, Span, Warning, WarningKind};
use crate::expression::Evaluation;
use crate::value::{Context, Value};

pub(crate) struct Evaluator<'e> {
    engine: &'e Engine,
    warnings: Vec<Warning>,
}

/// What a built-in sees of the evaluation: warnings, the clock, and calls of
/// function values.
pub(crate) struct Ctx<'a, 'e> {
    ev: &'a mut Evaluator<'e>,
    span: Span,
    function: &'static str,
}

impl Ctx<'_, '_> {
    /// Records a warning (prefixed with the function's name) and returns null.
    pub(crate) fn null(&mut self, kind: WarningKind, message: impl Into<String>) -> Value {
        let message = message.into();
        let message = if message.starts_with(self.function) {
            message
        } else {
            format!("{}: {message}", self.function)
        };
        self.ev.warnings.push(Warning {
            kind,
            message,
            span: self.span,
        });
        Value::Null
    }

    /// Records that argument `param` should have been `expected` and returns null.
    pub(crate) fn invalid_type(&mut self, param: &str, expected: &str, got: &Value) -> Value {
        let message = format!(
            "`{param}` must be {expected}, not {} ({got})",
            got.kind().type_name()
        );
        self.null(WarningKind::InvalidType, message)
    }

    /// The name of the built-in being called.
    pub(crate) fn function_name(&self) -> &'static str {
        self.function
    }

    /// The current instant from the engine's clock.
    pub(crate) fn now(&self) -> chrono::DateTime<FixedOffset> {
        self.ev.engine.clock().now()
    }

    /// Invokes a function value with positional arguments.
    pub(crate) fn call(&mut self, _f: &Value, _args: &[Value]) -> Result<Value, Error> {
        Ok(Value::Null)
    }
}

pub(crate) fn evaluate_expression(
    engine: &Engine,
    _vars: &Context,
    _expr: &Expr,
) -> Result<Evaluation, Error> {
    let ev = Evaluator {
        engine,
        warnings: Vec::new(),
    };
    Ok(Evaluation {
        value: Value::Null,
        warnings: ev.warnings,
    })
}

pub(crate) fn evaluate_unary_tests(
    engine: &Engine,
    _vars: &Context,
    _input: &Value,
    _tests: &[UnaryTest],
) -> Result<Evaluation, Error> {
    let _ = engine;
    Ok(Evaluation {
        value: Value::Null,
        warnings: Vec::new(),
    })
}

/// Calls a built-in by name with positional arguments, outside any expression:
/// for unit tests of the built-in tables.
#[cfg(test)]
pub(crate) fn call_builtin(name: &str, args: &[Value]) -> (Value, Vec<Warning>) {
    let engine = Engine::new();
    let mut ev = Evaluator {
        engine: &engine,
        warnings: Vec::new(),
    };
    let overloads = crate::builtins::lookup(name).unwrap_or_else(|| panic!("no built-in {name}"));
    let o = overloads
        .iter()
        .find(|o| o.params.len() == args.len() || (o.variadic && args.len() + 1 >= o.params.len()))
        .unwrap_or_else(|| panic!("no overload of {name} for {} arguments", args.len()));
    let mut bound: Vec<Value> = args[..o.params.len().min(args.len())].to_vec();
    if o.variadic {
        let fixed = o.params.len() - 1;
        bound.truncate(fixed);
        bound.push(Value::list(args[fixed..].iter().cloned()));
    }
    let mut ctx = Ctx {
        ev: &mut ev,
        span: Span::default(),
        function: o.name,
    };
    let value = (o.call)(&mut ctx, &bound).unwrap_or_else(|e| panic!("{name} failed: {e}"));
    (value, ev.warnings)
}
