//! What a built-in sees of the evaluation running it: warnings, fuel and
//! memory, the clock, the dialect, and calls of function values. The
//! evaluator provides it through [`Host`]; the built-ins know nothing else of
//! the evaluator.

use chrono::FixedOffset;

use crate::dialect::Dialect;
use crate::error::{Error, Span, WarningKind};
use crate::value::{list_bytes, Brief, Function, Value};

/// What the evaluator does for a built-in.
pub(crate) trait Host {
    /// Records a warning and returns null.
    fn warn(&mut self, kind: WarningKind, message: String, span: Span) -> Value;
    /// Spends `amount` fuel.
    fn burn(&mut self, amount: u64, span: Span) -> Result<(), Error>;
    /// Spends `bytes` of the memory budget, before building a value that
    /// size; fails if that would pass the budget.
    fn charge(&mut self, bytes: usize, span: Span) -> Result<(), Error>;
    /// The bytes left in the memory budget.
    fn memory_left(&self) -> usize;
    /// The current instant from the engine's clock.
    fn now(&self) -> chrono::DateTime<FixedOffset>;
    /// The engine's dialect.
    fn dialect(&self) -> Dialect;
    /// Invokes a function value with positional arguments.
    fn call(&mut self, function: &Function, args: Vec<Value>, span: Span) -> Result<Value, Error>;
}

/// One call of a built-in: the evaluation running it, where the call is, and
/// the built-in's name (for its warnings).
pub(crate) struct Ctx<'a> {
    host: &'a mut dyn Host,
    span: Span,
    function: &'static str,
}

impl<'a> Ctx<'a> {
    /// The call of the built-in `function` at `span`.
    pub(crate) fn new(host: &'a mut dyn Host, span: Span, function: &'static str) -> Self {
        Ctx {
            host,
            span,
            function,
        }
    }

    /// Records a warning (prefixed with the function's name) and returns null.
    pub(crate) fn null(&mut self, kind: WarningKind, message: impl Into<String>) -> Value {
        let message = message.into();
        let message = if message.starts_with(self.function) {
            message
        } else {
            format!("{}: {message}", self.function)
        };
        self.host.warn(kind, message, self.span)
    }

    /// Records that argument `param` should have been `expected` and returns null.
    pub(crate) fn invalid_type(&mut self, param: &str, expected: &str, got: &Value) -> Value {
        let message = format!(
            "`{param}` must be {expected}, not {} ({})",
            got.kind().type_name(),
            Brief(got)
        );
        self.null(WarningKind::InvalidType, message)
    }

    /// The name of the built-in being called.
    pub(crate) fn function_name(&self) -> &'static str {
        self.function
    }

    /// The current instant from the engine's clock.
    pub(crate) fn now(&self) -> chrono::DateTime<FixedOffset> {
        self.host.now()
    }

    /// The engine's dialect.
    pub(crate) fn dialect(&self) -> Dialect {
        self.host.dialect()
    }

    /// Invokes a function value with positional arguments.
    pub(crate) fn call(&mut self, f: &Value, args: &[Value]) -> Result<Value, Error> {
        match f {
            Value::Function(func) => self.host.call(func, args.to_vec(), self.span),
            other => Ok(self.invalid_type("function", "a function", other)),
        }
    }

    /// Spends fuel for work proportional to input size (long loops in built-ins).
    pub(crate) fn burn(&mut self, amount: u64) -> Result<(), Error> {
        self.host.burn(amount, self.span)
    }

    /// Spends `bytes` of the memory budget before building a value that size.
    #[inline]
    pub(crate) fn charge(&mut self, bytes: usize) -> Result<(), Error> {
        self.host.charge(bytes, self.span)
    }

    /// Pays for a new list of `n` items.
    #[inline]
    pub(crate) fn charge_list(&mut self, n: usize) -> Result<(), Error> {
        self.charge(list_bytes(n))
    }

    /// The bytes left in the memory budget: a built-in that cannot tell the
    /// size of its result in advance builds at most this much, then charges
    /// what it built (or what it would have needed, which fails).
    pub(crate) fn memory_left(&self) -> usize {
        self.host.memory_left()
    }
}
