//! An embeddable FEEL engine: the Friendly Enough Expression Language of OMG
//! DMN 1.5 (chapter 10), with Camunda's extensions.
//!
//! Compile once, evaluate many times:
//!
//! ```
//! use feel::{Engine, Value};
//!
//! let engine = Engine::new();
//! let expr = engine.compile_expression(r#"request.body.SmsStatus = "received""#)?;
//! let vars = serde_json::json!({"request": {"body": {"SmsStatus": "received"}}});
//! assert_eq!(expr.evaluate_json(&vars)?.value, Value::Boolean(true));
//! # Ok::<(), feel::Error>(())
//! ```
//!
//! Evaluation follows FEEL: most run-time problems (a missing variable, a type
//! mismatch) yield `null`, and the [`Evaluation`] carries a [`Warning`] that
//! says why. Only parse errors and exceeded limits are an [`Error`].

#![forbid(unsafe_code)]

#[cfg(feature = "unstable-ast")]
pub mod ast;
#[cfg(not(feature = "unstable-ast"))]
mod ast;
mod builtins;
mod clock;
mod engine;
mod error;
mod eval;
mod expression;
mod inputs;
mod parser;
mod temporal;
#[cfg(test)]
mod test_support;
mod value;

pub use builtins::names as builtin_names;
pub use clock::{Clock, FixedClock, SystemClock};
pub use engine::{Engine, EngineBuilder, DEFAULT_MAX_DEPTH};
pub use error::{Error, ErrorKind, ParseError, Span, Warning, WarningKind};
#[cfg(feature = "json")]
pub use expression::evaluate;
pub use expression::{Evaluation, Expression, UnaryTests};
pub use inputs::InputPath;
pub use value::{
    Bound, Context, Date, DateTime, DayTimeDuration, Function, Number, Range, RangeForm, Time,
    Value, ValueKind, YearMonthDuration, Zone,
};
