//! The parser: the only code that sees pest.
//!
//! `grammar/feel.pest` (at the workspace root) holds the whole FEEL grammar,
//! with comments that cite the DMN 1.5 rule numbers. This module runs it and
//! turns pest's pairs into the [`ast`](crate::ast): [`pratt`] orders the
//! operators of an expression's flat sequence, [`literals`] decodes strings,
//! numbers, `@"…"` literals and names, [`types`] reads types, and [`errors`]
//! turns pest errors into [`ParseError`]s with human "expected …" lists.
//! [`prescan`] looks at the source first and hands pest a text whose white
//! space is plain ASCII.
//!
//! Depth. Every tree it returns is at most `max_depth` nodes deep (a pair of
//! parentheses and a nested type count as a level too). Three guards share the
//! work: [`prescan`] refuses brackets nested deeper than the limit before pest
//! recurses into them, pest's native stack guard stops other runaway recursion
//! (`if if if …`), and the tree builder checks the height of every node it
//! makes, which also bounds operator chains (`1+1+…`) and postfix chains
//! (`a.b.c…`, `x[1][1]…`) that the grammar reads without recursion. The tree
//! builder runs on `stacker`, so debug builds with small thread stacks reach
//! the limit too.
//!
//! What the evaluator gets:
//! - Names as written, with the white space between words reduced to one
//!   space (`Monthly   Salary` is `Monthly Salary`); backtick names without
//!   the backticks; `?` as [`ExprKind::Name`]`("?")`. A name never starts with
//!   a reserved word and ends before `and`, `or`, `in`, `instance`, `between`,
//!   `then`, `else`, `return` and `satisfies`; other reserved words may occur
//!   inside it (`no such function`). Built-in names containing `and`/`or`
//!   (`date and time`, `years and months duration`, `get or else`, `days and
//!   time duration`) are matched whole. Equal names of one expression share
//!   one allocation.
//! - `a.b` is always a path. Context keys may use the spec's additional name
//!   symbols (`{foo+bar: 1}`) and reserved words; other names may not.
//! - A negative number literal (`-5`) is a [`Value::Number`] literal whose
//!   span includes the sign; other negations are [`ExprKind::Neg`].
//! - `x in (1, 2)` is `In(x, [test 1, test 2])`; `x in (1..2)` and `x in
//!   [1..2]` are `In(x, [test Range])`; `x in y` is `In(x, [test y])`.
//! - `< 10` is a `Range` with only an end bound (`end_included: false`);
//!   `>= 10` one with only a start bound. A missing bound is never "included".
//!   Such a unary test ends its expression (`< 10 = x` is refused; `(< 10) =
//!   x` is fine), unless it is the test of an `in`.
//! - In unary-test positions (top level, after `in`), `= x` is the test
//!   `? = x` and `!= x` is `? != x` (a `Binary` whose left side is the name
//!   `?`, spanning the operator). In parentheses, `(= x)` and `(!= x)` are
//!   ranges of the forms [`RangeForm::Equal`] and [`RangeForm::NotEqual`]
//!   (DMN 1.5); anywhere else they are refused.
//! - `(a)` is the node for `a` with its span widened to the parentheses.
//! - An `@"…"` literal is converted by `temporal::parse_literal` at parse
//!   time; text it refuses is a parse error pointing at the literal.

mod errors;
mod literals;
mod pratt;
mod prescan;
#[cfg(test)]
mod tests;
mod types;

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;

use pest::iterators::Pair;
use pest::Parser as _;

use crate::ast::{
    Args, BinaryOp, Domain, Expr, ExprKind, FunctionDef, Iteration, Name, Quantifier, RangeExpr,
    RangeForm, UnaryTest, UnaryTestKind,
};
use crate::error::{ParseError, Span};
use crate::stack::{RED_ZONE, STACK_SEGMENT};
use crate::value::Value;
use literals::LiteralError;

mod grammar {
    #![allow(clippy::all, missing_docs)]
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/feel.pest"]
    pub(super) struct FeelParser;
}
use grammar::{FeelParser, Rule};

/// Below this much free stack, pest runs on a fresh segment: its own guard
/// refuses to recurse when the stack runs low, which on a small thread would
/// turn moderately nested input into a bogus "nested too deeply" error.
const PEST_RED_ZONE: usize = 1024 * 1024;
/// The size of that segment (mapped lazily: only touched pages cost memory).
const PEST_STACK: usize = 8 * 1024 * 1024;

/// Runs pest on `text` (the pre-scanned `source`) with enough stack for any
/// input the pre-scan let through. Errors point into `source`.
fn run_pest<'t>(
    rule: Rule,
    text: &'t str,
    source: &str,
) -> Result<pest::iterators::Pairs<'t, Rule>, ParseError> {
    stacker::maybe_grow(PEST_RED_ZONE, PEST_STACK, || FeelParser::parse(rule, text))
        .map_err(|e| errors::convert(source, &e))
}

/// Parses a FEEL expression (the grammar's `expression`, rule 1), as
/// written.
#[cfg(test)]
pub(crate) fn parse_expression(source: &str, max_depth: usize) -> Result<Expr, ParseError> {
    parse_expression_with(source, max_depth, false)
}

/// [`parse_expression`], computing operators on literals as it builds the
/// tree (`(1 + 2) * 3` is the literal 9): the first step of constant folding
/// (`crate::eval::fold`), which spares building those nodes at all.
pub(crate) fn parse_expression_with(
    source: &str,
    max_depth: usize,
    fold: bool,
) -> Result<Expr, ParseError> {
    let scan = check_input(source, max_depth, "expression")?;
    let text: &str = &scan.text;
    let mut pairs = run_pest(Rule::expression_input, text, source)?;
    let mut builder = Builder::new(source, text, max_depth);
    builder.fold = fold;
    let expression = pairs
        .next()
        .and_then(|input| input.into_inner().find(|p| p.as_rule() == Rule::expression))
        .ok_or_else(|| builder.internal_at(Span::default()))?;
    Ok(builder.expression(expression, 1)?.expr)
}

/// Parses FEEL unary tests (rule 17): `-`, `not(…)` or a comma-separated list.
pub(crate) fn parse_unary_tests(
    source: &str,
    max_depth: usize,
) -> Result<Vec<UnaryTest>, ParseError> {
    let scan = check_input(source, max_depth, "unary tests")?;
    let text: &str = &scan.text;
    let mut pairs = run_pest(Rule::unary_tests_input, text, source)?;
    let builder = Builder::new(source, text, max_depth);
    let input = pairs
        .next()
        .ok_or_else(|| builder.internal_at(Span::default()))?;
    for pair in input.into_inner() {
        let span = builder.trimmed_span(&pair);
        match pair.as_rule() {
            Rule::any_input => {
                return Ok(vec![UnaryTest {
                    kind: UnaryTestKind::Any,
                    span,
                }])
            }
            Rule::negated_tests => {
                let tests = pair
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::positive_unary_tests)
                    .ok_or_else(|| builder.internal_at(span))?;
                let (tests, _) = builder.positive_unary_tests(tests, 2)?;
                return Ok(vec![UnaryTest {
                    kind: UnaryTestKind::Not(tests),
                    span,
                }]);
            }
            Rule::positive_unary_tests => return Ok(builder.positive_unary_tests(pair, 1)?.0),
            _ => {}
        }
    }
    Err(builder.internal_at(Span::default()))
}

/// The checks before pest runs: nothing but white space, unterminated text,
/// brackets nested too deeply.
fn check_input<'s>(
    source: &'s str,
    max_depth: usize,
    what: &str,
) -> Result<prescan::Scan<'s>, ParseError> {
    let scan = prescan::scan(source, max_depth)?;
    if !scan.has_content {
        return Err(ParseError::new(
            source,
            Span::new(source.len(), source.len()),
            format!("the {what} is empty"),
            vec!["an expression".into()],
        ));
    }
    Ok(scan)
}

/// A node with the height of the tree under it (a leaf has height 1).
pub(super) struct Built {
    pub expr: Expr,
    pub height: usize,
}

/// Turns pairs into the AST, checking the depth limit.
///
/// Every method takes the `depth` of the node it builds (the root is at 1).
/// A node at depth `d` whose subtree is `h` high reaches depth `d + h - 1`;
/// [`Builder::node`] refuses it when that exceeds `max_depth`.
pub(super) struct Builder<'s> {
    /// The source as written: what errors show.
    source: &'s str,
    /// The text pest parsed (the source with its white space normalized):
    /// what pairs point into. Byte offsets are the same in both.
    text: &'s str,
    max_depth: usize,
    /// The distinct names made so far, so equal names share an allocation.
    names: RefCell<Vec<Name>>,
    /// Whether operators on literals are computed as the tree is built.
    fold: bool,
}

impl<'s> Builder<'s> {
    fn new(source: &'s str, text: &'s str, max_depth: usize) -> Self {
        Builder {
            source,
            text,
            max_depth,
            names: RefCell::new(Vec::new()),
            fold: false,
        }
    }

    /// The span of a pair. (No rule of the grammar ends in white space, but
    /// for the unary-test forms that end with `sp* ~ &EOI`.)
    #[inline]
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(s.start(), s.end())
    }

    /// The span of a pair without white space at its end.
    fn trimmed_span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let trimmed = s.as_str().trim_end_matches(literals::is_feel_whitespace);
        Span::new(s.start(), s.start() + trimmed.len())
    }

    /// Makes a node whose tallest child is `child_height` high.
    #[inline]
    pub(super) fn node(
        &self,
        kind: ExprKind,
        span: Span,
        depth: usize,
        child_height: usize,
    ) -> Result<Built, ParseError> {
        let height = child_height + 1;
        self.check_depth(depth + height - 1, span)?;
        Ok(Built {
            expr: Expr::new(kind, span),
            height,
        })
    }

    fn leaf(&self, kind: ExprKind, span: Span, depth: usize) -> Result<Built, ParseError> {
        self.node(kind, span, depth, 0)
    }

    #[inline]
    fn check_depth(&self, depth: usize, span: Span) -> Result<(), ParseError> {
        if depth > self.max_depth {
            return Err(self.too_deep(span));
        }
        Ok(())
    }

    #[cold]
    fn too_deep(&self, span: Span) -> ParseError {
        ParseError::new(
            self.source,
            span,
            format!(
                "the expression is nested too deeply (the limit is {} levels)",
                self.max_depth
            ),
            Vec::new(),
        )
    }

    pub(super) fn internal(&self, pair: &Pair<'_, Rule>) -> ParseError {
        self.internal_at(self.span(pair))
    }

    /// A pair tree the grammar cannot produce: a bug here, reported as an error
    /// rather than a panic.
    #[cold]
    pub(super) fn internal_at(&self, span: Span) -> ParseError {
        ParseError::new(
            self.source,
            span,
            "internal parser error: unexpected syntax tree".into(),
            Vec::new(),
        )
    }

    /// A parse error at `span` in the style of the grammar's own: "unexpected
    /// `found`, expected …".
    #[cold]
    pub(super) fn unexpected(&self, span: Span, expected: &[&str], note: &str) -> ParseError {
        let found = match self.source.get(span.range()) {
            Some("") | None => "end of input".to_string(),
            Some(text) => format!("\"{text}\""),
        };
        let expected: Vec<String> = expected.iter().map(|e| e.to_string()).collect();
        let mut message = format!("unexpected {found}");
        if !expected.is_empty() {
            message.push_str(", expected ");
            message.push_str(&errors::join(&expected));
        }
        if !note.is_empty() {
            message.push_str(" (");
            message.push_str(note);
            message.push(')');
        }
        ParseError::new(self.source, span, message, expected)
    }

    fn literal_error(&self, e: LiteralError) -> ParseError {
        ParseError::new(self.source, e.span, e.message, Vec::new())
    }

    /// The inner pairs that carry meaning (keywords and punctuation dropped).
    fn parts<'i>(pair: Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
        pair.into_inner().filter(|p| {
            !matches!(
                p.as_rule(),
                Rule::open_paren
                    | Rule::close_paren
                    | Rule::close_bracket
                    | Rule::close_brace
                    | Rule::comma
                    | Rule::colon
                    | Rule::range_dots
                    | Rule::kw_if
                    | Rule::kw_then
                    | Rule::kw_else
                    | Rule::kw_for
                    | Rule::kw_return
                    | Rule::kw_in
                    | Rule::kw_satisfies
                    | Rule::kw_function
                    | Rule::kw_list
                    | Rule::kw_range
                    | Rule::kw_context
                    | Rule::kw_not
                    | Rule::kw_some
                    | Rule::kw_every
            )
        })
    }

    // ------------------------------------------------------------ expressions

    /// An `expression` pair where `= x` and `!= x` are not expected.
    fn expression(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Built, ParseError> {
        self.expression_in(pair, depth, pratt::Position::Plain)
    }

    fn expression_in(
        &self,
        pair: Pair<'_, Rule>,
        depth: usize,
        position: pratt::Position,
    ) -> Result<Built, ParseError> {
        self.check_depth(depth, self.span(&pair))?;
        // Each level of nesting costs tens of kilobytes of stack in debug
        // builds; grow the stack rather than limit `max_depth` by thread size.
        stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
            self.climb(pair.into_inner(), depth, position)
        })
    }

    /// `.name`, `[filter]` or `(arguments)` applied to `base`.
    pub(super) fn postfix(
        &self,
        base: Built,
        pair: Pair<'_, Rule>,
        depth: usize,
    ) -> Result<Built, ParseError> {
        let span = Span::new(base.expr.span.start, pair.as_span().end());
        match pair.as_rule() {
            Rule::name => {
                let name = self.name(pair)?;
                let kind = ExprKind::Path(Box::new(base.expr), name, Default::default());
                self.node(kind, span, depth, base.height)
            }
            Rule::filter => {
                let filter = pair
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::expression)
                    .ok_or_else(|| self.internal_at(span))?;
                let filter = self.expression(filter, depth + 1)?;
                let height = base.height.max(filter.height);
                let kind = ExprKind::Filter(Box::new(base.expr), Box::new(filter.expr));
                self.node(kind, span, depth, height)
            }
            Rule::invocation => {
                let (args, height) = match Self::parts(pair).next() {
                    None => (Args::Positional(Vec::new()), 0),
                    Some(args) => self.arguments(args, depth + 1)?,
                };
                let kind = ExprKind::Call(Box::new(base.expr), args);
                self.node(kind, span, depth, base.height.max(height))
            }
            _ => Err(self.internal_at(span)),
        }
    }

    fn arguments(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<(Args, usize), ParseError> {
        let mut height = 0;
        if pair.as_rule() == Rule::named_args {
            let mut args = Vec::new();
            for arg in Self::parts(pair) {
                let span = self.span(&arg);
                let mut parts = Self::parts(arg);
                let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
                    return Err(self.internal_at(span));
                };
                let name = self.name(name)?;
                let value = self.expression(value, depth)?;
                height = height.max(value.height);
                args.push((name, value.expr));
            }
            Ok((Args::Named(args), height))
        } else {
            let mut args = Vec::new();
            for arg in Self::parts(pair) {
                let value = self.expression(arg, depth)?;
                height = height.max(value.height);
                args.push(value.expr);
            }
            Ok((Args::Positional(args), height))
        }
    }

    /// An operand: a literal, a name or one of the bracketed and keyword forms.
    pub(super) fn primary(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Built, ParseError> {
        let span = self.span(&pair);
        self.check_depth(depth, span)?;
        match pair.as_rule() {
            Rule::name | Rule::and_or_name => {
                let name = if pair.as_rule() == Rule::name {
                    self.name(pair)?
                } else {
                    self.intern(pair.as_str())
                };
                self.leaf(ExprKind::Name(name), span, depth)
            }
            Rule::number => {
                let value =
                    literals::number(pair.as_str(), span).map_err(|e| self.literal_error(e))?;
                self.leaf(ExprKind::Literal(value), span, depth)
            }
            Rule::string => {
                let value = Arc::from(&*self.string(pair)?);
                self.leaf(ExprKind::Literal(Value::String(value)), span, depth)
            }
            Rule::at_literal => {
                let string = pair
                    .into_inner()
                    .next()
                    .ok_or_else(|| self.internal_at(span))?;
                let text = self.string(string)?;
                let value = literals::at_literal(&text, span).map_err(|e| self.literal_error(e))?;
                self.leaf(ExprKind::Literal(value), span, depth)
            }
            Rule::null_lit => self.leaf(ExprKind::Literal(Value::Null), span, depth),
            Rule::true_lit => self.leaf(ExprKind::Literal(Value::Boolean(true)), span, depth),
            Rule::false_lit => self.leaf(ExprKind::Literal(Value::Boolean(false)), span, depth),
            Rule::input_value => self.leaf(ExprKind::Name(self.intern("?")), span, depth),
            Rule::paren => self.paren(pair, depth),
            Rule::bracket => self.bracket(pair, depth),
            Rule::open_range => {
                let mut parts = Self::parts(pair);
                let (Some(start), Some(rest)) = (parts.next(), parts.next()) else {
                    return Err(self.internal_at(span));
                };
                let start = self.expression(start, depth + 1)?;
                self.range(start, false, rest, span, depth)
            }
            Rule::context => self.context(pair, depth),
            Rule::if_expr => {
                let mut parts = Self::parts(pair);
                let mut next = || {
                    parts
                        .next()
                        .ok_or_else(|| self.internal_at(span))
                        .and_then(|p| self.expression(p, depth + 1))
                };
                let (c, t, e) = (next()?, next()?, next()?);
                let height = c.height.max(t.height).max(e.height);
                let kind = ExprKind::If(Box::new(c.expr), Box::new(t.expr), Box::new(e.expr));
                self.node(kind, span, depth, height)
            }
            Rule::for_expr => {
                let (iterations, body, height) = self.iterations(pair, depth)?;
                self.node(
                    ExprKind::For(iterations, Box::new(body)),
                    span,
                    depth,
                    height,
                )
            }
            Rule::quantified_expr => {
                let quantifier = match pair.clone().into_inner().next().map(|p| p.as_rule()) {
                    Some(Rule::kw_every) => Quantifier::Every,
                    _ => Quantifier::Some,
                };
                let (iterations, body, height) = self.iterations(pair, depth)?;
                let kind = ExprKind::Quantified(quantifier, iterations, Box::new(body));
                self.node(kind, span, depth, height)
            }
            Rule::function_def => self.function_def(pair, depth),
            _ => Err(self.internal_at(span)),
        }
    }

    /// `( expression )` or a range opened with `(`. Inside the parentheses,
    /// `= x` and `!= x` are ranges (DMN 1.5).
    fn paren(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Built, ParseError> {
        let span = self.span(&pair);
        let mut parts = Self::parts(pair);
        let first = parts.next().ok_or_else(|| self.internal_at(span))?;
        let first = self.expression_in(first, depth + 1, pratt::Position::Parenthesized)?;
        match parts.next() {
            Some(rest) => self.range(first, false, rest, span, depth),
            None => {
                // The parentheses count as a level; the node keeps its kind.
                self.check_depth(depth + first.height, span)?;
                Ok(Built {
                    expr: Expr::new(first.expr.into_kind(), span),
                    height: first.height + 1,
                })
            }
        }
    }

    /// `[]`, `[a, b]` or a range opened with `[`.
    fn bracket(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Built, ParseError> {
        let span = self.span(&pair);
        let mut parts = Self::parts(pair);
        let Some(first) = parts.next() else {
            return self.leaf(ExprKind::List(Vec::new()), span, depth);
        };
        let first = self.expression(first, depth + 1)?;
        let rest = parts.next().ok_or_else(|| self.internal_at(span))?;
        if rest.as_rule() == Rule::range_rest {
            return self.range(first, true, rest, span, depth);
        }
        let mut height = first.height;
        let mut items = vec![first.expr];
        for item in Self::parts(rest) {
            let item = self.expression(item, depth + 1)?;
            height = height.max(item.height);
            items.push(item.expr);
        }
        self.node(ExprKind::List(items), span, depth, height)
    }

    /// A range literal: `start` is built; `rest` is `.. end close`.
    fn range(
        &self,
        start: Built,
        start_included: bool,
        rest: Pair<'_, Rule>,
        span: Span,
        depth: usize,
    ) -> Result<Built, ParseError> {
        let mut parts = Self::parts(rest);
        let (Some(end), Some(close)) = (parts.next(), parts.next()) else {
            return Err(self.internal_at(span));
        };
        let end = self.expression_in(end, depth + 1, pratt::Position::Plain)?;
        let height = start.height.max(end.height);
        let range = RangeExpr {
            start: Some(start.expr),
            start_included,
            end: Some(end.expr),
            end_included: close.as_str() == "]",
            form: RangeForm::Interval,
        };
        self.node(ExprKind::Range(Box::new(range)), span, depth, height)
    }

    fn context(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Built, ParseError> {
        let span = self.span(&pair);
        let mut entries = Vec::new();
        let mut height = 0;
        for entry in Self::parts(pair) {
            let entry_span = self.span(&entry);
            let mut parts = Self::parts(entry);
            let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
                return Err(self.internal_at(entry_span));
            };
            let key: Name = match key.as_rule() {
                Rule::string => self.intern(&self.string(key)?),
                Rule::context_key => self.intern_name(key.as_str()),
                _ => self.name(key)?,
            };
            let value = self.expression(value, depth + 1)?;
            height = height.max(value.height);
            entries.push((key, value.expr));
        }
        self.node(ExprKind::Context(entries), span, depth, height)
    }

    /// The iteration contexts and the body of `for`, `some` and `every`.
    fn iterations(
        &self,
        pair: Pair<'_, Rule>,
        depth: usize,
    ) -> Result<(Vec<Iteration>, Expr, usize), ParseError> {
        let span = self.span(&pair);
        let mut iterations = Vec::new();
        let mut height = 0;
        let mut body = None;
        for part in Self::parts(pair) {
            match part.as_rule() {
                Rule::iteration => {
                    let it_span = self.span(&part);
                    let mut parts = Self::parts(part);
                    let (Some(name), Some(first)) = (parts.next(), parts.next()) else {
                        return Err(self.internal_at(it_span));
                    };
                    let name = self.name(name)?;
                    let first = self.expression(first, depth + 1)?;
                    height = height.max(first.height);
                    let domain = match parts.next() {
                        Some(end) => {
                            let end = self.expression(end, depth + 1)?;
                            height = height.max(end.height);
                            Domain::Span(first.expr, end.expr)
                        }
                        None => Domain::Expr(first.expr),
                    };
                    iterations.push(Iteration {
                        name,
                        domain,
                        span: it_span,
                    });
                }
                Rule::expression => {
                    let built = self.expression(part, depth + 1)?;
                    height = height.max(built.height);
                    body = Some(built.expr);
                }
                _ => {}
            }
        }
        let body = body.ok_or_else(|| self.internal_at(span))?;
        Ok((iterations, body, height))
    }

    fn function_def(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Built, ParseError> {
        let span = self.span(&pair);
        let mut params = Vec::new();
        let mut height = 0;
        let mut body = None;
        for part in Self::parts(pair) {
            match part.as_rule() {
                Rule::formal_param => {
                    let mut parts = Self::parts(part);
                    let name = self.name(parts.next().ok_or_else(|| self.internal_at(span))?)?;
                    let ty = match parts.next() {
                        Some(ty) => {
                            let (ty, h) = self.type_ref(ty, depth + 1)?;
                            height = height.max(h);
                            Some(ty)
                        }
                        None => None,
                    };
                    params.push((name, ty));
                }
                Rule::external_body => {
                    return Err(ParseError::new(
                        self.source,
                        self.span(&part),
                        "external functions (`function(…) external {…}`) are not supported".into(),
                        Vec::new(),
                    ))
                }
                Rule::expression => {
                    let built = self.expression(part, depth + 1)?;
                    height = height.max(built.height);
                    body = Some(built.expr);
                }
                _ => {}
            }
        }
        let body = body.ok_or_else(|| self.internal_at(span))?;
        let def = FunctionDef { params, body };
        self.node(ExprKind::Function(Arc::new(def)), span, depth, height)
    }

    // ------------------------------------------------------------ unary tests

    pub(super) fn test(expr: Expr) -> UnaryTest {
        let span = expr.span;
        UnaryTest {
            kind: UnaryTestKind::Expr(expr),
            span,
        }
    }

    fn positive_unary_tests(
        &self,
        pair: Pair<'_, Rule>,
        depth: usize,
    ) -> Result<(Vec<UnaryTest>, usize), ParseError> {
        let mut tests = Vec::new();
        let mut height = 0;
        for test in Self::parts(pair) {
            let built = self.expression_in(test, depth, pratt::Position::Test)?;
            height = height.max(built.height);
            tests.push(Builder::test(built.expr));
        }
        Ok((tests, height))
    }

    /// `( test, … )` or `( a .. b )` after `in`.
    pub(super) fn in_list(
        &self,
        pair: Pair<'_, Rule>,
        depth: usize,
    ) -> Result<(Vec<UnaryTest>, usize), ParseError> {
        let span = self.span(&pair);
        let mut tests: Vec<UnaryTest> = Vec::new();
        let mut height = 0;
        for part in Self::parts(pair) {
            match part.as_rule() {
                Rule::expression => {
                    let built = self.expression_in(part, depth + 1, pratt::Position::Test)?;
                    height = height.max(built.height);
                    tests.push(Builder::test(built.expr));
                }
                Rule::range_rest => {
                    let start = tests.pop().ok_or_else(|| self.internal_at(span))?;
                    let UnaryTestKind::Expr(start) = start.kind else {
                        return Err(self.internal_at(start.span));
                    };
                    let start = Built {
                        expr: start,
                        height,
                    };
                    let range = self.range(start, false, part, span, depth + 1)?;
                    height = range.height;
                    tests.push(Builder::test(range.expr));
                }
                _ => {}
            }
        }
        Ok((tests, height + 1))
    }

    // ---------------------------------------------------------------- tokens

    /// The text of a string literal, escapes decoded (borrowed from the
    /// source when it has none).
    fn string<'i>(&self, pair: Pair<'i, Rule>) -> Result<Cow<'i, str>, ParseError> {
        let span = self.span(&pair);
        let content = pair
            .into_inner()
            .next()
            .ok_or_else(|| self.internal_at(span))?;
        literals::unescape(content.as_str(), content.as_span().start())
            .map_err(|e| self.literal_error(e))
    }

    /// The name a `name` pair stands for. A name whose first word is reserved
    /// is refused here (the grammar leaves that test to this code outside
    /// operands).
    fn name(&self, pair: Pair<'_, Rule>) -> Result<Name, ParseError> {
        let text = pair.as_str();
        if let Some(inner) = text.strip_prefix('`') {
            return Ok(self.intern(inner.strip_suffix('`').unwrap_or(inner)));
        }
        let first = text
            .split(|c: char| literals::is_feel_whitespace(c))
            .next()
            .unwrap_or(text);
        if literals::is_reserved(first) {
            let start = pair.as_span().start();
            return Err(self.unexpected(
                Span::new(start, start + first.len()),
                &["a name"],
                "a reserved word",
            ));
        }
        Ok(self.intern_name(text))
    }

    /// The name for the text of a name token (white space between words
    /// reduced to one space), shared with equal names made before.
    fn intern_name(&self, text: &str) -> Name {
        // Pest saw ASCII white space only (the pre-scan replaced the rest):
        // anything but single spaces between words is reduced.
        let bytes = text.as_bytes();
        let irregular = bytes
            .iter()
            .enumerate()
            .any(|(i, &b)| b < b' ' || (b == b' ' && bytes.get(i + 1) == Some(&b' ')));
        if irregular {
            return self.intern(&literals::name(text));
        }
        self.intern(text)
    }

    /// `text` as a name, shared with an equal name made before.
    pub(super) fn intern(&self, text: &str) -> Name {
        let mut names = self.names.borrow_mut();
        if let Some(n) = names.iter().find(|n| &***n == text) {
            return Arc::clone(n);
        }
        let name: Name = Arc::from(text);
        names.push(Arc::clone(&name));
        name
    }

    /// The text pest parsed (offsets as in the source).
    pub(super) fn text(&self) -> &str {
        self.text
    }
}

/// The equality test `? = x` or `? != x` made of a unary test `= x` or `!= x`
/// (`op_span` is the operator's, `span` the whole test's).
pub(super) fn equality_test(
    op: BinaryOp,
    input: Name,
    op_span: Span,
    value: Expr,
    span: Span,
) -> Expr {
    let input = Expr::new(ExprKind::Name(input), op_span);
    Expr::new(ExprKind::Binary(op, Box::new(input), Box::new(value)), span)
}
