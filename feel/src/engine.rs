//! The engine: configuration (functions, clock, limits) and compilation.

use std::fmt;
use std::sync::Arc;

use crate::ast::Name;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::dialect::Dialect;
use crate::error::{Error, ParseError, Span};
use crate::eval::Evaluation;
use crate::expression::{Expression, UnaryTests};
use crate::parser;
use crate::value::{Context, Function, FunctionRepr, HostFn, Value};

/// The default nesting depth limit (parser and evaluator).
pub const DEFAULT_MAX_DEPTH: usize = 256;

/// The default memory budget of one evaluation: 64 MiB of values built (see
/// [`EngineBuilder::memory_budget`]).
///
/// Far above what expressions over ordinary data build (a webhook's
/// expressions build kilobytes), and far below what takes a host down:
/// `string join(for i in 1..300 return s)` over a 1 MB `s` stops here
/// instead of building 300 MB.
pub const DEFAULT_MEMORY_BUDGET: u64 = 64 * 1024 * 1024;

/// The default longest source an engine compiles: 64 KiB (see
/// [`EngineBuilder::max_input_length`]).
///
/// Real expressions and unary tests are far shorter; parsing costs up to a
/// few hundred bytes of memory per byte of source, so this keeps the parse
/// of hostile text to tens of megabytes and milliseconds.
pub const DEFAULT_MAX_INPUT_LENGTH: usize = 64 * 1024;

/// Compiles FEEL expressions and unary tests and holds what they share: host
/// functions, the clock, and limits. Cheap to clone (shared).
///
/// # Examples
///
/// ```
/// use feel::{Engine, Context, Value};
///
/// let engine = Engine::new();
/// let expr = engine.compile_expression("price * quantity")?;
/// let vars: Context = [("price", Value::from(3)), ("quantity", Value::from(4))]
///     .into_iter()
///     .collect();
/// assert_eq!(expr.evaluate(&vars)?.value, Value::from(12));
/// # Ok::<(), feel::Error>(())
/// ```
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Config>,
}

impl Engine {
    /// An engine with the built-ins, the system clock, no fuel limit, and the
    /// default limits of depth ([`DEFAULT_MAX_DEPTH`]), memory
    /// ([`DEFAULT_MEMORY_BUDGET`]) and source length
    /// ([`DEFAULT_MAX_INPUT_LENGTH`]).
    pub fn new() -> Engine {
        EngineBuilder::new().build()
    }

    /// Starts configuring an engine.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::new()
    }

    /// Parses an expression once, for evaluating many times.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = feel::Engine::new().compile_expression("1 +").unwrap_err();
    /// assert_eq!((err.line(), err.column()), (1, 4));
    /// ```
    pub fn compile_expression(&self, source: &str) -> Result<Expression, ParseError> {
        self.check_length(source, "expression")?;
        let mut ast =
            parser::parse_expression_with(source, self.inner.max_depth, self.inner.fold_constants)?;
        if self.inner.fold_constants {
            crate::eval::fold::expression(&self.inner, &mut ast);
        }
        Ok(Expression::new(Arc::clone(&self.inner), source, ast))
    }

    /// Parses unary tests (`< 10`, `"a", "b"`, `not(1, 2)`, `-`, `? > 3`).
    pub fn compile_unary_tests(&self, source: &str) -> Result<UnaryTests, ParseError> {
        self.check_length(source, "unary tests")?;
        let mut ast = parser::parse_unary_tests(source, self.inner.max_depth)?;
        if self.inner.fold_constants {
            crate::eval::fold::unary_tests(&self.inner, &mut ast);
        }
        Ok(UnaryTests::new(Arc::clone(&self.inner), source, ast))
    }

    /// Refuses a source longer than the engine's limit before any parsing.
    fn check_length(&self, source: &str, what: &str) -> Result<(), ParseError> {
        let limit = self.inner.max_input_length;
        if source.len() <= limit {
            return Ok(());
        }
        // The error points at the first character past the limit.
        let mut at = limit;
        while !source.is_char_boundary(at) {
            at -= 1;
        }
        let next = source[at..].chars().next().map_or(0, char::len_utf8);
        Err(ParseError::new(
            source,
            Span::new(at, at + next),
            format!(
                "the {what} is {} bytes long, more than the limit of {limit} bytes \
                 (EngineBuilder::max_input_length)",
                source.len()
            ),
            Vec::new(),
        ))
    }

    /// Parses and evaluates an expression in one step.
    pub fn evaluate_expression(&self, source: &str, vars: &Context) -> Result<Evaluation, Error> {
        self.compile_expression(source)?.evaluate(vars)
    }

    /// The clock `now()` and `today()` read.
    pub fn clock(&self) -> &dyn Clock {
        &*self.inner.clock
    }

    /// The dialect this engine evaluates in.
    pub fn dialect(&self) -> Dialect {
        self.inner.dialect
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("clock", &self.inner.clock)
            .field("fuel", &self.inner.fuel)
            .field("max_depth", &self.inner.max_depth)
            .field("memory_budget", &self.inner.memory_budget)
            .field("max_input_length", &self.inner.max_input_length)
            .field("dialect", &self.inner.dialect)
            .field(
                "functions",
                &self.inner.functions.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Configures an [`Engine`].
///
/// # Examples
///
/// ```
/// use feel::{Engine, Value};
///
/// let engine = Engine::builder()
///     .fuel(10_000)
///     .function("double", &["x"], |args| {
///         Ok(match args[0].as_number() {
///             Some(n) => Value::Number(n.add(n).unwrap_or(n)),
///             None => Value::Null,
///         })
///     })
///     .build();
/// let value = engine.evaluate_expression("double(21)", &Default::default())?.value;
/// assert_eq!(value, Value::from(42));
/// # Ok::<(), feel::Error>(())
/// ```
pub struct EngineBuilder {
    clock: Arc<dyn Clock>,
    fuel: Option<u64>,
    max_depth: usize,
    memory_budget: Option<u64>,
    max_input_length: usize,
    functions: Context,
    fold_constants: bool,
    dialect: Dialect,
}

impl EngineBuilder {
    fn new() -> Self {
        EngineBuilder {
            clock: Arc::new(SystemClock),
            fuel: None,
            max_depth: DEFAULT_MAX_DEPTH,
            memory_budget: Some(DEFAULT_MEMORY_BUDGET),
            max_input_length: DEFAULT_MAX_INPUT_LENGTH,
            functions: Context::new(),
            fold_constants: true,
            dialect: Dialect::Standard,
        }
    }

    /// Chooses the dialect: [`Dialect::Standard`] (the default) follows DMN
    /// 1.5; [`Dialect::Camunda`] follows Camunda 8 (feel-scala) where the two
    /// disagree, for expressions written in Camunda models.
    pub fn dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// Sets the clock for `now()` and `today()`.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Limits the work of one evaluation: each evaluated node and each
    /// iteration step costs one unit. An evaluation that runs out fails with
    /// [`ErrorKind::FuelExhausted`](crate::ErrorKind::FuelExhausted).
    pub fn fuel(mut self, fuel: u64) -> Self {
        self.fuel = Some(fuel);
        self
    }

    /// Limits nesting depth, in the parser (brackets, operators) and in the
    /// evaluator (nested calls, recursion). Parsing deeper input fails with a
    /// parse error; evaluating deeper fails with
    /// [`ErrorKind::DepthExceeded`](crate::ErrorKind::DepthExceeded).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth.max(1);
        self
    }

    /// Limits the memory one evaluation may build, in bytes; `None` lifts
    /// the limit. The default is [`DEFAULT_MEMORY_BUDGET`] (64 MiB).
    ///
    /// Fuel counts steps, and one step can build a lot: a string
    /// concatenation, a `string join`, a `for` over a range. The budget
    /// counts the bytes of the values an evaluation builds as it builds them:
    /// the characters of new strings, a machine word or so per item of a new
    /// list (the items themselves are shared, not copied), an entry of a new
    /// context, and what every built-in whose result grows with its input
    /// makes (`concatenate`, `flatten`, `sort`, `replace`, `string`, `to
    /// json`, …). Like fuel it is spent, not given back: a value that is
    /// built and dropped still counts. Small fixed-size values (numbers,
    /// dates, a range's bounds) cost nothing; fuel bounds how many of those
    /// an evaluation makes. Values from the variables are not counted (the
    /// caller built them), nor are constants folded at compile time.
    ///
    /// An evaluation that would pass the budget stops before building the
    /// value, with [`ErrorKind::MemoryExhausted`](crate::ErrorKind::MemoryExhausted),
    /// whose span is the part of the expression that asked for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use feel::{Engine, ErrorKind};
    ///
    /// let engine = Engine::builder().memory_budget(Some(1024 * 1024)).build();
    /// let vars = Default::default();
    /// let err = engine
    ///     .evaluate_expression(r#"string join(for i in 1..100000 return "0123456789abcdef")"#, &vars)
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::MemoryExhausted);
    /// ```
    pub fn memory_budget(mut self, bytes: Option<u64>) -> Self {
        self.memory_budget = bytes;
        self
    }

    /// Limits the length of the sources the engine compiles, in bytes
    /// (default [`DEFAULT_MAX_INPUT_LENGTH`], 64 KiB; `usize::MAX` lifts
    /// it). A longer source is refused before it is parsed, with a
    /// [`ParseError`] that gives the limit and the length: parsing costs
    /// memory in proportion to the source (a few hundred bytes per byte for
    /// `1+1+…` or a long list literal), so a 10 MB source would take gigabytes
    /// before any other check could refuse it.
    ///
    /// # Examples
    ///
    /// ```
    /// let engine = feel::Engine::builder().max_input_length(10).build();
    /// let err = engine.compile_expression("1 + 2 + 3 + 4").unwrap_err();
    /// assert!(err.message().contains("13 bytes long"), "{err}");
    /// assert!(engine.compile_expression("1 + 2").is_ok());
    /// ```
    pub fn max_input_length(mut self, bytes: usize) -> Self {
        self.max_input_length = bytes;
        self
    }

    /// Registers a host function, callable from FEEL by `name` with positional
    /// or named arguments. A variable of the same name in the evaluation
    /// context shadows it; it shadows a built-in of the same name.
    pub fn function<F>(mut self, name: &str, params: &[&str], f: F) -> Self
    where
        F: Fn(&[Value]) -> Result<Value, Box<dyn std::error::Error + Send + Sync>>
            + Send
            + Sync
            + 'static,
    {
        let call: Arc<HostFn> = Arc::new(f);
        let repr = FunctionRepr::Host {
            name: Name::from(name),
            params: params.iter().map(|p| Name::from(*p)).collect(),
            call,
        };
        self.functions
            .insert(name, Value::Function(Function(Arc::new(repr))));
        self
    }

    /// Whether compiling computes the parts of an expression that depend on
    /// no variable once, ahead of every evaluation (on by default). Values
    /// and warnings are the same either way; an evaluation of folded parts
    /// takes less time and fuel. Turning it off is for checking exactly that.
    pub fn fold_constants(mut self, on: bool) -> Self {
        self.fold_constants = on;
        self
    }

    /// Builds the engine.
    pub fn build(self) -> Engine {
        Engine {
            inner: Arc::new(Config {
                clock: self.clock,
                fuel: self.fuel,
                max_depth: self.max_depth,
                memory_budget: self.memory_budget,
                max_input_length: self.max_input_length,
                functions: self.functions,
                fold_constants: self.fold_constants,
                dialect: self.dialect,
            }),
        }
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

impl fmt::Debug for EngineBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineBuilder")
            .field("fuel", &self.fuel)
            .field("max_depth", &self.max_depth)
            .field("memory_budget", &self.memory_budget)
            .field("max_input_length", &self.max_input_length)
            .field("dialect", &self.dialect)
            .finish_non_exhaustive()
    }
}
