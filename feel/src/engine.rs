//! The engine: configuration (functions, clock, limits) and compilation.

use std::fmt;
use std::sync::Arc;

use crate::ast::Name;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, ParseError};
use crate::expression::{Evaluation, Expression, UnaryTests};
use crate::parser;
use crate::value::{Context, Function, FunctionRepr, HostFn, Value};

/// The default nesting depth limit (parser and evaluator).
pub const DEFAULT_MAX_DEPTH: usize = 256;

/// Which FEEL an engine speaks where the DMN 1.5 standard and Camunda's
/// engine (feel-scala, the FEEL of Camunda 8 models) disagree.
///
/// Every difference is listed in the crate documentation (the table under
/// [Dialects](crate#dialects), in `feel/src/lib.rs`). Expressions that do not
/// touch one of them evaluate the same in both dialects.
///
/// # Examples
///
/// ```
/// use feel::{Dialect, Engine, Value};
///
/// let standard = Engine::new();
/// let camunda = Engine::builder().dialect(Dialect::Camunda).build();
/// let vars = Default::default();
/// let src = r#"string(duration("P0D"))"#;
/// assert_eq!(standard.evaluate_expression(src, &vars)?.value, Value::from("PT0S"));
/// assert_eq!(camunda.evaluate_expression(src, &vars)?.value, Value::from("P0D"));
/// # Ok::<(), feel::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Dialect {
    /// DMN 1.5 as the specification and the DMN TCK read it (the default).
    #[default]
    Standard,
    /// Camunda 8's FEEL: feel-scala's documented behaviour where it departs
    /// from the standard.
    Camunda,
}

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
    pub(crate) inner: Arc<EngineInner>,
}

pub(crate) struct EngineInner {
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) fuel: Option<u64>,
    pub(crate) max_depth: usize,
    pub(crate) functions: Context,
    pub(crate) fold_constants: bool,
    pub(crate) dialect: Dialect,
}

impl Engine {
    /// An engine with the built-ins, the system clock, no fuel limit and the
    /// default depth limit.
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
        let mut ast =
            parser::parse_expression_with(source, self.inner.max_depth, self.inner.fold_constants)?;
        if self.inner.fold_constants {
            crate::eval::fold::expression(self, &mut ast);
        }
        Ok(Expression::new(self.clone(), source, ast))
    }

    /// Parses unary tests (`< 10`, `"a", "b"`, `not(1, 2)`, `-`, `? > 3`).
    pub fn compile_unary_tests(&self, source: &str) -> Result<UnaryTests, ParseError> {
        let mut ast = parser::parse_unary_tests(source, self.inner.max_depth)?;
        if self.inner.fold_constants {
            crate::eval::fold::unary_tests(self, &mut ast);
        }
        Ok(UnaryTests::new(self.clone(), source, ast))
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
            inner: Arc::new(EngineInner {
                clock: self.clock,
                fuel: self.fuel,
                max_depth: self.max_depth,
                functions: self.functions,
                fold_constants: self.fold_constants,
                dialect: self.dialect,
            }),
        }
    }
}

impl fmt::Debug for EngineBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineBuilder")
            .field("fuel", &self.fuel)
            .field("max_depth", &self.max_depth)
            .field("dialect", &self.dialect)
            .finish_non_exhaustive()
    }
}
