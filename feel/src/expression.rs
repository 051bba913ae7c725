//! Compiled expressions and unary tests, and the result of evaluating them.

use std::fmt;
use std::sync::Arc;

use crate::ast::{Expr, UnaryTest};
use crate::engine::Engine;
use crate::error::{Error, Warning};
use crate::eval;
use crate::value::{Context, Value};

/// The result of an evaluation: the value, and the warnings that explain any
/// null produced along the way (a missing variable, a type mismatch, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The value.
    pub value: Value,
    /// Why parts of the evaluation yielded null, in the order they happened.
    pub warnings: Vec<Warning>,
}

/// A compiled FEEL expression: owned, `Send + Sync`, cheap to clone; evaluate
/// it as often as you like.
///
/// # Examples
///
/// ```
/// use feel::{Engine, Value};
///
/// let expr = Engine::new().compile_expression("if x > 10 then \"big\" else \"small\"")?;
/// let vars = [("x", Value::from(12))].into_iter().collect();
/// assert_eq!(expr.evaluate(&vars)?.value, Value::from("big"));
/// # Ok::<(), feel::Error>(())
/// ```
#[derive(Clone)]
pub struct Expression {
    engine: Engine,
    source: Arc<str>,
    ast: Arc<Expr>,
}

impl Expression {
    pub(crate) fn new(engine: Engine, source: &str, ast: Expr) -> Self {
        Expression {
            engine,
            source: source.into(),
            ast: Arc::new(ast),
        }
    }

    /// Evaluates the expression with `vars` in scope.
    pub fn evaluate(&self, vars: &Context) -> Result<Evaluation, Error> {
        eval::evaluate_expression(&self.engine, vars, &self.ast)
    }

    /// Evaluates the expression with the entries of a JSON object in scope.
    ///
    /// # Examples
    ///
    /// ```
    /// let expr = feel::Engine::new().compile_expression("request.body.From")?;
    /// let json = serde_json::json!({"request": {"body": {"From": "+1555"}}});
    /// assert_eq!(expr.evaluate_json(&json)?.value.to_json(), json!("+1555"));
    /// # use serde_json::json;
    /// # Ok::<(), feel::Error>(())
    /// ```
    #[cfg(feature = "json")]
    pub fn evaluate_json(&self, vars: &serde_json::Value) -> Result<Evaluation, Error> {
        self.evaluate(&json_context(vars)?)
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The syntax tree (unstable: no compatibility promise).
    #[cfg(feature = "unstable-ast")]
    pub fn ast(&self) -> &Expr {
        &self.ast
    }
}

impl fmt::Debug for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Expression").field(&self.source).finish()
    }
}

/// Compiled unary tests (`< 10`, `"a", "b"`, `not([1..5])`, `-`).
///
/// # Examples
///
/// ```
/// use feel::{Engine, Value};
///
/// let tests = Engine::new().compile_unary_tests("[1..5], > 10")?;
/// let matches = |x: i64| tests.evaluate(&Value::from(x), &Default::default());
/// assert_eq!(matches(3)?.value, Value::Boolean(true));
/// assert_eq!(matches(7)?.value, Value::Boolean(false));
/// # Ok::<(), feel::Error>(())
/// ```
#[derive(Clone)]
pub struct UnaryTests {
    engine: Engine,
    source: Arc<str>,
    tests: Arc<[UnaryTest]>,
}

impl UnaryTests {
    pub(crate) fn new(engine: Engine, source: &str, tests: Vec<UnaryTest>) -> Self {
        UnaryTests {
            engine,
            source: source.into(),
            tests: tests.into(),
        }
    }

    /// Tests `input` (the value of `?`) with `vars` in scope. The value is a
    /// boolean, or null when a test could not be decided.
    pub fn evaluate(&self, input: &Value, vars: &Context) -> Result<Evaluation, Error> {
        eval::evaluate_unary_tests(&self.engine, vars, input, &self.tests)
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl fmt::Debug for UnaryTests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnaryTests").field(&self.source).finish()
    }
}

#[cfg(feature = "json")]
pub(crate) fn json_context(vars: &serde_json::Value) -> Result<Context, Error> {
    match vars {
        serde_json::Value::Null => Ok(Context::new()),
        other => Context::from_json(other).ok_or_else(|| {
            Error::new(
                crate::ErrorKind::InvalidInput,
                "the variables must be a JSON object",
            )
        }),
    }
}

/// Parses `source` as an expression and evaluates it with the entries of the
/// JSON object `vars` in scope, using a default [`Engine`].
///
/// # Examples
///
/// ```
/// let result = feel::evaluate("upper case(name)", &serde_json::json!({"name": "ada"}))?;
/// assert_eq!(result.value, feel::Value::from("ADA"));
/// # Ok::<(), feel::Error>(())
/// ```
#[cfg(feature = "json")]
pub fn evaluate(source: &str, vars: &serde_json::Value) -> Result<Evaluation, Error> {
    let engine = Engine::new();
    engine.compile_expression(source)?.evaluate_json(vars)
}
