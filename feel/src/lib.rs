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
//!
//! # Dialects
//!
//! An engine follows DMN 1.5 as the specification and the DMN TCK read it
//! ([`Dialect::Standard`], the default). Expressions written in Camunda 8
//! models expect Camunda's engine (feel-scala) where the two disagree;
//! [`EngineBuilder::dialect`] with [`Dialect::Camunda`] gives that. This table
//! is every difference; the corpus shows each one twice, under
//! `tests/corpus/dialect/standard/` and `tests/corpus/dialect/camunda/`.
//!
//! | Where | Standard | Camunda |
//! |---|---|---|
//! | `=` on lists or contexts whose items can't be compared (`[1] = [true]`, `{a: 1} = {a: "1"}`) | null, with a warning | false |
//! | `string()` of a zero days-and-time duration | `"PT0S"` | `"P0D"` |
//! | `string()` of a zero years-and-months duration | `"P0M"` | `"P0Y"` |
//! | `string()` of a context | FEEL literal text: `{a: 1, b: "x"}`, `{"a b": 1}` | `{a:1, b:"x"}`, `{a b:1}`: key as it is, no space after `:` |
//! | `string()` of strings and temporal values inside lists, contexts and ranges | FEEL literals: `["a\"b", date("2024-01-31"), duration("PT0S")]` | quoted, not escaped, temporal values as bare ISO text: `["a"b", 2024-01-31, P0D]` |
//! | `to json` of a range | an object: `{"start":1,"end":10,"start included":true,"end included":true}` | the string of its text: `"[1..10]"` |
//! | `to json` of a function | `null` | `"<function>"` |
//! | `to json` of a time in a zone id | `"10:30:00@Europe/Berlin"` | `"10:30:00+01:00[Europe/Berlin]"` (the zone's standard offset at the clock's now) |
//! | `duration(from)` with a sign on a component: `PT-5M`, `P-1Y2M`, `PT1H-30M` | null (XML Schema allows one leading sign only), with a warning | read as `java.time` reads them: `-PT5M`, `-P10M`, `PT30M` |
//! | `context put(context, keys, value)` through an entry that is missing or not a context | null, with a warning (the spec defines the path through `get value`) | the entry becomes a new context: `context put({x: 1}, ["y", "z"], 2)` is `{x: 1, y: {z: 2}}` |
//! | `context put` with a key path under the name `key` | null, with a warning (the TCK expects it) | the same as `keys` |
//! | `context merge(c1, c2, …)`, the contexts one by one | null, with a warning (one parameter, a list) | merged, as `context merge([c1, c2, …])` |
//!
//! Camunda's extensions that the standard lacks (`and`/`or` as functions,
//! `decimal(n, scale, mode)`, `context merge`, `get value` and `context put`
//! with key paths, `is blank`, `extract`, `to json`, feel-scala's parameter
//! names such as `abs(number: …)`, …) are there in both dialects: they give
//! no standard expression a different result. Literals are read before a
//! dialect applies, so `@"PT-5M"` is a syntax error in both.

#![forbid(unsafe_code)]

#[cfg(feature = "unstable-ast")]
pub mod ast;
#[cfg(not(feature = "unstable-ast"))]
mod ast;
mod builtins;
mod clock;
mod config;
mod dialect;
mod engine;
mod error;
mod eval;
mod expression;
mod inputs;
mod parser;
mod stack;
mod temporal;
#[cfg(test)]
mod test_support;
mod value;

pub use builtins::names as builtin_names;
pub use clock::{Clock, FixedClock, SystemClock};
pub use dialect::Dialect;
#[cfg(feature = "json")]
pub use engine::evaluate;
pub use engine::{
    Engine, EngineBuilder, DEFAULT_MAX_DEPTH, DEFAULT_MAX_INPUT_LENGTH, DEFAULT_MEMORY_BUDGET,
};
pub use error::{Error, ErrorKind, ParseError, Span, Warning, WarningKind};
pub use eval::Evaluation;
pub use expression::{Expression, UnaryTests};
pub use inputs::InputPath;
pub use value::{
    Bound, Context, Date, DateTime, DayTimeDuration, Function, Number, Range, RangeForm, Rounding,
    Time, Value, ValueKind, YearMonthDuration, Zone,
};
