//! The abstract syntax tree of FEEL expressions and unary tests.
//!
//! Every node carries the [`Span`] of the source text it was parsed from, so
//! warnings and errors can point at it. The tree has no behaviour: the parser
//! (`crate::parser`) builds it and the evaluator (`crate::eval`) walks it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::error::Span;
pub use crate::value::RangeForm;
use crate::value::Value;

/// A name as written in the source (FEEL names may contain spaces).
pub type Name = Arc<str>;

/// Where a path step last found its key among a context's entries (the
/// entry's position), tried first the next time: contexts given to one
/// expression again and again (a webhook's payloads) tend to have the same
/// keys in the same order, so one key comparison replaces a search or a hash.
/// A wrong guess costs that one comparison. Shared between threads evaluating
/// the same expression (relaxed atomics: any value is only a guess).
#[derive(Default)]
pub struct KeyHint(AtomicU32);

impl KeyHint {
    /// The position last seen.
    #[inline]
    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed) as usize
    }

    /// Remembers a position (positions past `u32::MAX` are not remembered).
    #[inline]
    pub(crate) fn set(&self, at: usize) {
        if let Ok(at) = u32::try_from(at) {
            self.0.store(at, Ordering::Relaxed);
        }
    }
}

impl Clone for KeyHint {
    fn clone(&self) -> Self {
        KeyHint(AtomicU32::new(self.0.load(Ordering::Relaxed)))
    }
}

/// Hints never make two trees differ.
impl PartialEq for KeyHint {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for KeyHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyHint")
    }
}

/// An expression node with its source span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Where it was written.
    pub span: Span,
}

impl Expr {
    /// Creates a node.
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Expr { kind, span }
    }

    /// The node's kind, taken out of it.
    pub fn into_kind(mut self) -> ExprKind {
        std::mem::replace(&mut self.kind, ExprKind::Literal(Value::Null))
    }
}

impl Drop for Expr {
    /// Trees are as deep as the depth limit lets them be (`a.b.c…` with
    /// thousands of steps): dropping one recurses that deep, so a node with
    /// children drops them where the stack has room.
    fn drop(&mut self) {
        if !matches!(self.kind, ExprKind::Literal(_) | ExprKind::Name(_)) {
            let kind = std::mem::replace(&mut self.kind, ExprKind::Literal(Value::Null));
            crate::stack::grow_stack(move || drop(kind));
        }
    }
}

/// The kinds of expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal already turned into a value at parse time: `null`, `true`,
    /// `1.5`, `"text"`, and `@"2020-01-01"` temporal literals.
    Literal(Value),
    /// A variable or function name (`a`, `Monthly Salary`, `date and time`), or
    /// `?` (the input value of unary tests).
    Name(Name),
    /// `base.name`: a path into a context, a list of contexts (mapped), or a
    /// property of a temporal, duration or range value. The hint remembers
    /// where `name` was found in the last context looked into.
    Path(Box<Expr>, Name, KeyHint),
    /// `base[filter]`: a list filter or index.
    Filter(Box<Expr>, Box<Expr>),
    /// `callee(args)`: a function invocation.
    Call(Box<Expr>, Args),
    /// `-operand`: arithmetic negation.
    Neg(Box<Expr>),
    /// `left op right` for arithmetic and comparison operators.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `left and right` (three-valued).
    And(Box<Expr>, Box<Expr>),
    /// `left or right` (three-valued).
    Or(Box<Expr>, Box<Expr>),
    /// `value between low and high`.
    Between(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `value in tests`: `x in (1, 2)`, `x in [1..5]`, `x in < 3`.
    In(Box<Expr>, Vec<UnaryTest>),
    /// `value instance of type`.
    InstanceOf(Box<Expr>, Type),
    /// `if condition then a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `for a in x, b in y return body`.
    For(Vec<Iteration>, Box<Expr>),
    /// `some`/`every a in x, b in y satisfies condition`.
    Quantified(Quantifier, Vec<Iteration>, Box<Expr>),
    /// `[a, b, c]`.
    List(Vec<Expr>),
    /// `{a: 1, "b c": 2}`: later entries see earlier ones.
    Context(Vec<(Name, Expr)>),
    /// A range: `[1..10]`, `(1..10)`, `]1..10[`, or a unary test used as an
    /// expression (`< 10`, `>= @"2020-01-01"`), which has one bound only, or
    /// (DMN 1.5) `(= 10)`, `(!= 10)`.
    Range(Box<RangeExpr>),
    /// `function(a, b: number) body`.
    Function(Arc<FunctionDef>),
    /// A subexpression that calls built-ins on constants only, computed when
    /// the expression was compiled (`date("2024-01-01") + duration("P1D")`).
    /// Operators on literals alone fold into a [`ExprKind::Literal`].
    Folded(Box<Folded>),
}

/// A constant computed at compile time from built-in calls (see
/// [`ExprKind::Folded`]).
///
/// A variable holding a function takes the place of a built-in of its name,
/// so the value stands only while no variable in scope holds a function
/// named like one of `calls`; otherwise `expr`, as written, is evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct Folded {
    /// The value `expr` has.
    pub value: Value,
    /// The built-ins `expr` calls by name.
    pub calls: Vec<Name>,
    /// The expression as written.
    pub expr: Expr,
}

/// Arithmetic and comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `**`
    Pow,
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl BinaryOp {
    /// The operator as written in FEEL.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "**",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
        }
    }
}

/// Arguments of an invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Args {
    /// `f(a, b)`
    Positional(Vec<Expr>),
    /// `f(x: a, y: b)`
    Named(Vec<(Name, Expr)>),
}

/// `some` or `every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// `some … satisfies`
    Some,
    /// `every … satisfies`
    Every,
}

/// One iteration context of `for`, `some` or `every`: `name in domain`.
#[derive(Debug, Clone, PartialEq)]
pub struct Iteration {
    /// The variable bound on each step.
    pub name: Name,
    /// What it iterates over.
    pub domain: Domain,
    /// Where `name in domain` was written.
    pub span: Span,
}

/// The domain of an iteration.
#[derive(Debug, Clone, PartialEq)]
pub enum Domain {
    /// An expression yielding a list (or a range of integers, or a single value).
    Expr(Expr),
    /// `low..high`: the integers from low to high, counting down if low > high.
    Span(Expr, Expr),
}

/// A range expression. A literal range has both bounds; a unary comparison
/// (`< 10`) has one. The forms `= x` and `!= x` have their one endpoint in
/// `start` (and `form` says which they are): their value has it as both
/// bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeExpr {
    /// The lower bound, if any.
    pub start: Option<Expr>,
    /// Whether the lower bound is included (`[`) or not (`(` or `]`).
    pub start_included: bool,
    /// The upper bound, if any.
    pub end: Option<Expr>,
    /// Whether the upper bound is included (`]`) or not (`)` or `[`).
    pub end_included: bool,
    /// How it was written.
    pub form: RangeForm,
}

/// A user-defined function.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    /// The formal parameters, with their optional declared types.
    pub params: Vec<(Name, Option<Type>)>,
    /// The body.
    pub body: Expr,
}

/// A type in `instance of` and in function parameter declarations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// `Any`
    Any,
    /// `Null`
    Null,
    /// `number`
    Number,
    /// `string`
    String,
    /// `boolean`
    Boolean,
    /// `date`
    Date,
    /// `time`
    Time,
    /// `date and time`
    DateTime,
    /// `days and time duration`
    DayTimeDuration,
    /// `years and months duration`
    YearMonthDuration,
    /// `list<T>` (`list` alone is `list<Any>`)
    List(Box<Type>),
    /// `context<a: T, …>` (`context` alone has no required entries)
    Context(Vec<(Name, Type)>),
    /// `range<T>` (`range` alone is `range<Any>`)
    Range(Box<Type>),
    /// `function<T, …> -> R` (`function` alone accepts any function)
    Function(Option<(Vec<Type>, Box<Type>)>),
    /// Any other name: an item definition the engine does not know. Values are
    /// never instances of it.
    Other(Name),
}

/// One unary test, as in decision table input entries and after `in`.
#[derive(Debug, Clone, PartialEq)]
pub struct UnaryTest {
    /// What the test is.
    pub kind: UnaryTestKind,
    /// Where it was written.
    pub span: Span,
}

/// The kinds of unary test.
#[derive(Debug, Clone, PartialEq)]
pub enum UnaryTestKind {
    /// `-`: matches anything.
    Any,
    /// An expression. The input matches if the expression is a boolean computed
    /// from `?` that is true, or equals the input, or is a list or range that
    /// contains it. Unary comparisons (`< 10`) and range literals arrive here as
    /// [`ExprKind::Range`].
    Expr(Expr),
    /// `not(tests)`: matches when none of the tests match.
    Not(Vec<UnaryTest>),
}
