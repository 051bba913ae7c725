//! Compiled expressions and unary tests, and the result of evaluating them.

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::ast::{Expr, UnaryTest};
use crate::config::Config;
use crate::error::Error;
use crate::eval::{self, Evaluation};
use crate::inputs::{InputPath, Inputs};
use crate::value::{Context, Value};

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
    config: Arc<Config>,
    compiled: Arc<Compiled>,
}

/// What an [`Expression`] shares between its clones (one allocation).
struct Compiled {
    source: Box<str>,
    ast: Expr,
    /// What it may read, worked out on the first question (an expression
    /// compiled to be evaluated once never asks).
    inputs: OnceLock<Inputs>,
}

impl Expression {
    pub(crate) fn new(config: Arc<Config>, source: &str, ast: Expr) -> Self {
        Expression {
            config,
            compiled: Arc::new(Compiled {
                source: source.into(),
                ast,
                inputs: OnceLock::new(),
            }),
        }
    }

    fn inputs(&self) -> &Inputs {
        let compiled = &*self.compiled;
        compiled
            .inputs
            .get_or_init(|| Inputs::of_expression(&compiled.ast))
    }

    /// Evaluates the expression with `vars` in scope.
    pub fn evaluate(&self, vars: &Context) -> Result<Evaluation, Error> {
        eval::evaluate_expression(&self.config, vars, &self.compiled.ast)
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

    /// Whether evaluating the expression may read the value at `path` (a
    /// variable name followed by context keys, such as `["request",
    /// "headers"]`) or anything inside it.
    ///
    /// The answer comes from an analysis of the expression made when it was
    /// compiled, so asking is cheap. It is conservative: `true` means the
    /// value may be read, `false` that no evaluation reads it, so the caller
    /// may leave it out of the variables (or give it any value) without
    /// changing the result or the warnings. A path is read when the
    /// expression uses it, a part of it (`request.body.From` reads
    /// `["request", "body"]`) or a value containing it (`get value(request,
    /// "headers")` reads `["request", "headers", "Host"]`). An empty `path`
    /// asks whether the expression reads any variable at all.
    ///
    /// Names the expression binds itself are not inputs: `for`, `some` and
    /// `every` variables, function parameters, earlier entries of a context
    /// literal. Names called as functions are (`count(xs)` reads `count` too),
    /// since a variable holding a function hides the built-in of that name.
    ///
    /// One thing is out of its sight: a user-defined function passed *in*
    /// through the variables (a closure made by an earlier evaluation) runs
    /// its body in the caller's scope and may read variables that body names.
    ///
    /// # Examples
    ///
    /// ```
    /// let expr = feel::Engine::new().compile_expression("request.body.From = \"+1555\"")?;
    /// assert!(expr.reads(&["request", "body", "From"]));
    /// assert!(expr.reads(&["request", "body"]));
    /// assert!(expr.reads(&["request"]));
    /// assert!(!expr.reads(&["request", "headers"]));
    /// assert!(!expr.reads(&["other"]));
    /// # Ok::<(), feel::ParseError>(())
    /// ```
    pub fn reads(&self, path: &[&str]) -> bool {
        self.inputs().reads(path)
    }

    /// The places in the variables the expression may read (see
    /// [`reads`](Self::reads)), sorted, and none a prefix of another.
    ///
    /// # Examples
    ///
    /// ```
    /// let expr = feel::Engine::new()
    ///     .compile_expression("for m in messages return m.body + request.body.To")?;
    /// let paths: Vec<String> = expr.input_paths().iter().map(|p| p.to_string()).collect();
    /// assert_eq!(paths, ["messages", "request.body.To"]);
    /// # Ok::<(), feel::ParseError>(())
    /// ```
    pub fn input_paths(&self) -> &[InputPath] {
        self.inputs().paths()
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.compiled.source
    }

    /// The syntax tree (unstable: no compatibility promise).
    #[cfg(feature = "unstable-ast")]
    pub fn ast(&self) -> &Expr {
        &self.compiled.ast
    }
}

impl fmt::Debug for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Expression")
            .field(&self.compiled.source)
            .finish()
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
    config: Arc<Config>,
    source: Arc<str>,
    tests: Arc<[UnaryTest]>,
    /// What they may read, worked out on the first question.
    inputs: Arc<OnceLock<Inputs>>,
}

impl UnaryTests {
    pub(crate) fn new(config: Arc<Config>, source: &str, tests: Vec<UnaryTest>) -> Self {
        UnaryTests {
            config,
            source: source.into(),
            tests: tests.into(),
            inputs: Arc::new(OnceLock::new()),
        }
    }

    fn inputs(&self) -> &Inputs {
        self.inputs
            .get_or_init(|| Inputs::of_unary_tests(&self.tests))
    }

    /// Tests `input` (the value of `?`) with `vars` in scope. The value is a
    /// boolean, or null when a test could not be decided.
    pub fn evaluate(&self, input: &Value, vars: &Context) -> Result<Evaluation, Error> {
        eval::evaluate_unary_tests(&self.config, vars, input, &self.tests)
    }

    /// Whether evaluating the tests may read the value at `path` in `vars` (a
    /// variable name followed by context keys) or anything inside it; the
    /// tested value (`?`) is not a variable. The same analysis as
    /// [`Expression::reads`], with the same guarantee: `false` means no
    /// evaluation reads it.
    ///
    /// # Examples
    ///
    /// ```
    /// let tests = feel::Engine::new().compile_unary_tests("> limits.low, ? < 100")?;
    /// assert!(tests.reads(&["limits", "low"]));
    /// assert!(!tests.reads(&["limits", "high"]));
    /// assert!(!tests.reads(&["?"]));
    /// # Ok::<(), feel::ParseError>(())
    /// ```
    pub fn reads(&self, path: &[&str]) -> bool {
        self.inputs().reads(path)
    }

    /// The places in the variables the tests may read (see
    /// [`reads`](Self::reads)), sorted, and none a prefix of another.
    pub fn input_paths(&self) -> &[InputPath] {
        self.inputs().paths()
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
