//! Operator precedence for the flat sequences the grammar produces (operands
//! with prefixes and postfixes, joined by infix operators), by shunting-yard:
//! no recursion, so a chain of 100 000 additions costs no stack, and every
//! node built is checked against the depth limit as it is made.
//!
//! Levels, lowest first (all left-associative):
//! `or` < `and` < comparisons, `between`, `in`, `instance of` < unary tests
//! (`< x`, `= x`) < `+ -` < `* /` < `**` < negation < path, filter, call.

use pest::iterators::{Pair, Pairs};

use super::{equality_test, Builder, Built, Rule};
use crate::ast::{BinaryOp, Expr, ExprKind, RangeExpr, RangeForm, UnaryTest};
use crate::error::{ParseError, Span};
use crate::value::Value;

const OR: u8 = 1;
const AND: u8 = 2;
/// The level of comparisons and of the `between`/`in`/`instance of` forms.
const COMPARISON: u8 = 3;
/// A unary test at the start of an operand takes everything tighter.
const UNARY_TEST: u8 = 4;
const NEGATION: u8 = 8;

/// Where an expression stands, which decides what `= x` and `!= x` at its
/// start mean.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Position {
    /// Anywhere else: they are refused.
    Plain,
    /// A positive unary test: they compare the input (`? = x`).
    Test,
    /// Inside parentheses: ranges (DMN 1.5 `(= 10)`).
    Parenthesized,
}

#[derive(Clone, Copy)]
enum Infix {
    Or,
    And,
    Binary(BinaryOp),
}

impl Infix {
    fn of(text: &str) -> Option<Infix> {
        Some(Infix::Binary(match text {
            "+" => BinaryOp::Add,
            "-" => BinaryOp::Sub,
            "*" => BinaryOp::Mul,
            "/" => BinaryOp::Div,
            "**" => BinaryOp::Pow,
            "=" => BinaryOp::Eq,
            "!=" => BinaryOp::Ne,
            "<" => BinaryOp::Lt,
            "<=" => BinaryOp::Le,
            ">" => BinaryOp::Gt,
            ">=" => BinaryOp::Ge,
            "or" => return Some(Infix::Or),
            "and" => return Some(Infix::And),
            _ => return None,
        }))
    }

    fn precedence(self) -> u8 {
        match self {
            Infix::Or => OR,
            Infix::And => AND,
            Infix::Binary(op) => match op {
                BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Gt
                | BinaryOp::Ge => COMPARISON,
                BinaryOp::Add | BinaryOp::Sub => 5,
                BinaryOp::Mul | BinaryOp::Div => 6,
                BinaryOp::Pow => 7,
            },
        }
    }
}

/// An operator waiting for its right operand.
enum Pending {
    Infix(Infix),
    /// `in`, whose right operand is a test or a list of tests.
    In,
    /// Negation, starting at the given offset.
    Neg(usize),
    /// A unary test operator at the start of an operand; `after_in` when it
    /// is the test of an `in` (and so may be followed by more).
    Unary {
        op: BinaryOp,
        span: Span,
        after_in: bool,
    },
}

impl Pending {
    fn precedence(&self) -> u8 {
        match self {
            Pending::Infix(op) => op.precedence(),
            Pending::In => COMPARISON,
            Pending::Neg(_) => NEGATION,
            Pending::Unary { .. } => UNARY_TEST,
        }
    }
}

/// An operand on the stack.
enum Operand {
    /// An expression; `fresh` while it is still the operand as written (a
    /// negation of a fresh number literal folds into the literal).
    Expr { built: Built, fresh: bool },
    /// The parenthesised list of tests after `in`.
    Tests(Vec<UnaryTest>, usize, Span),
}

impl Operand {
    fn span(&self) -> Span {
        match self {
            Operand::Expr { built, .. } => built.expr.span,
            Operand::Tests(_, _, span) => *span,
        }
    }
}

/// The state of one flat sequence.
struct Climb {
    operands: Vec<Operand>,
    pending: Vec<Pending>,
}

impl Builder<'_> {
    /// Builds the tree of an `expression`, `arithmetic` or `range_bound` pair
    /// (given its inner pairs) at `depth`.
    pub(super) fn climb(
        &self,
        pairs: Pairs<'_, Rule>,
        depth: usize,
        position: Position,
    ) -> Result<Built, ParseError> {
        // A lone operand (a call's argument, a name, a literal) is the
        // whole tree: no operator stacks to set up.
        if pairs.len() == 1 {
            let mut only = pairs.clone();
            if let Some(pair) = only.next() {
                if !matches!(pair.as_rule(), Rule::neg | Rule::unary_op | Rule::in_list) {
                    return self.primary(pair, depth);
                }
            }
        }
        let mut climb = Climb {
            operands: Vec::with_capacity(4),
            pending: Vec::with_capacity(4),
        };
        let mut expect_operand = true;
        let mut first = true;
        let mut after_in = false;
        // Set when `= x` or `!= x` opened the sequence in a test position.
        let mut equality_root: Option<(BinaryOp, Span)> = None;
        for pair in pairs {
            let rule = pair.as_rule();
            let was_after_in = std::mem::take(&mut after_in);
            let was_first = std::mem::take(&mut first);
            if expect_operand {
                match rule {
                    Rule::neg => climb.pending.push(Pending::Neg(pair.as_span().start())),
                    Rule::unary_op => {
                        let span = self.span(&pair);
                        let op = match pair.as_str() {
                            "<" => BinaryOp::Lt,
                            "<=" => BinaryOp::Le,
                            ">" => BinaryOp::Gt,
                            ">=" => BinaryOp::Ge,
                            "=" => BinaryOp::Eq,
                            _ => BinaryOp::Ne,
                        };
                        if matches!(op, BinaryOp::Eq | BinaryOp::Ne) && !was_after_in {
                            if !was_first || position == Position::Plain {
                                return Err(self.unexpected(span, &["an expression"], ""));
                            }
                            if position == Position::Test {
                                equality_root = Some((op, span));
                            }
                        }
                        climb.pending.push(Pending::Unary {
                            op,
                            span,
                            after_in: was_after_in,
                        });
                    }
                    Rule::in_list => {
                        let span = self.span(&pair);
                        let (tests, height) = self.in_list(pair, depth + 1)?;
                        climb.operands.push(Operand::Tests(tests, height, span));
                        expect_operand = false;
                    }
                    _ => {
                        let built = self.primary(pair, depth)?;
                        climb.operands.push(Operand::Expr { built, fresh: true });
                        expect_operand = false;
                    }
                }
                continue;
            }
            match rule {
                Rule::name | Rule::filter | Rule::invocation => {
                    let Some(Operand::Expr { built, .. }) = climb.operands.pop() else {
                        return Err(self.internal(&pair));
                    };
                    let built = self.postfix(built, pair, depth)?;
                    climb.operands.push(Operand::Expr {
                        built,
                        fresh: false,
                    });
                }
                Rule::op | Rule::arith_op_token => {
                    let op = Infix::of(pair.as_str()).ok_or_else(|| self.internal(&pair))?;
                    self.reduce_while(&mut climb, op.precedence(), Some(&pair), depth)?;
                    climb.pending.push(Pending::Infix(op));
                    expect_operand = true;
                }
                Rule::in_op => {
                    self.reduce_while(&mut climb, COMPARISON, Some(&pair), depth)?;
                    climb.pending.push(Pending::In);
                    expect_operand = true;
                    after_in = true;
                }
                Rule::between_tail | Rule::instance_tail => {
                    self.reduce_while(&mut climb, COMPARISON, Some(&pair), depth)?;
                    let Some(Operand::Expr { built, .. }) = climb.operands.pop() else {
                        return Err(self.internal(&pair));
                    };
                    let built = self.tail(built, pair, depth)?;
                    climb.operands.push(Operand::Expr {
                        built,
                        fresh: false,
                    });
                }
                _ => return Err(self.internal(&pair)),
            }
        }
        self.reduce_while(&mut climb, 0, None, depth)?;
        let built = match (climb.operands.pop(), climb.operands.is_empty()) {
            (Some(Operand::Expr { built, .. }), true) => built,
            (Some(Operand::Tests(_, _, span)), true) => return Err(self.internal_at(span)),
            _ => return Err(self.internal_at(Span::new(0, self.text().len()))),
        };
        Ok(match equality_root {
            // `= x` as a whole positive unary test: `? = x`.
            Some((op, op_span)) => {
                let span = built.expr.span;
                match built.expr.into_kind() {
                    ExprKind::Range(range) if range.form != RangeForm::Interval => {
                        let value = range.start.ok_or_else(|| self.internal_at(op_span))?;
                        let input = self.intern("?");
                        Built {
                            expr: equality_test(op, input, op_span, value, span),
                            height: built.height,
                        }
                    }
                    kind => Built {
                        expr: Expr::new(kind, span),
                        height: built.height,
                    },
                }
            }
            None => built,
        })
    }

    /// Applies pending operators while their precedence is at least `min`.
    /// `next` is the operator that asks for it (none at the end).
    fn reduce_while(
        &self,
        climb: &mut Climb,
        min: u8,
        next: Option<&Pair<'_, Rule>>,
        depth: usize,
    ) -> Result<(), ParseError> {
        while let Some(op) = climb.pending.last() {
            if op.precedence() < min {
                break;
            }
            let op = climb
                .pending
                .pop()
                .ok_or_else(|| self.internal_at(Span::default()))?;
            let operand = climb
                .operands
                .pop()
                .ok_or_else(|| self.internal_at(Span::default()))?;
            let reduced = match op {
                Pending::Neg(start) => self.negate(operand, start, depth)?,
                Pending::Unary { op, span, after_in } => {
                    if let (Some(next), false) = (next, after_in) {
                        // A unary test ends its expression: `< 5 = x` is
                        // refused, `(< 5) = x` is fine.
                        return Err(self.unexpected(
                            self.span(next),
                            &["an operator"],
                            "a unary test such as \"< 5\" ends its expression; \
                             put it in parentheses to use it as an operand",
                        ));
                    }
                    self.unary_test(op, span, after_in, operand, depth)?
                }
                Pending::In => {
                    let left = climb
                        .operands
                        .pop()
                        .ok_or_else(|| self.internal_at(Span::default()))?;
                    self.in_tests(left, operand, depth)?
                }
                Pending::Infix(op) => {
                    let left = climb
                        .operands
                        .pop()
                        .ok_or_else(|| self.internal_at(Span::default()))?;
                    let (Operand::Expr { built: lhs, .. }, Operand::Expr { built: rhs, .. }) =
                        (left, operand)
                    else {
                        return Err(self.internal_at(Span::default()));
                    };
                    let span = Span::new(lhs.expr.span.start, rhs.expr.span.end);
                    let height = lhs.height.max(rhs.height);
                    if let (true, Infix::Binary(op), ExprKind::Literal(a), ExprKind::Literal(b)) =
                        (self.fold, op, &lhs.expr.kind, &rhs.expr.kind)
                    {
                        // Constant folding's first step: an operator on
                        // literals that needs no warning is its value. (The
                        // height stays that of the node, for the depth limit.)
                        if let Some(v) = crate::value::quick(op, a, b) {
                            self.check_depth(depth + height, span)?;
                            climb.operands.push(Operand::Expr {
                                built: Built {
                                    expr: Expr::new(ExprKind::Literal(v), span),
                                    height: height + 1,
                                },
                                fresh: false,
                            });
                            continue;
                        }
                    }
                    let (l, r) = (Box::new(lhs.expr), Box::new(rhs.expr));
                    let kind = match op {
                        Infix::Or => ExprKind::Or(l, r),
                        Infix::And => ExprKind::And(l, r),
                        Infix::Binary(op) => ExprKind::Binary(op, l, r),
                    };
                    self.node(kind, span, depth, height)?
                }
            };
            climb.operands.push(Operand::Expr {
                built: reduced,
                fresh: false,
            });
        }
        Ok(())
    }

    /// `-operand`; `-5` is the literal -5 (rule 37 puts the sign in the
    /// literal), only for the negation written right before the literal.
    fn negate(&self, operand: Operand, start: usize, depth: usize) -> Result<Built, ParseError> {
        let Operand::Expr { built, fresh } = operand else {
            return Err(self.internal_at(operand.span()));
        };
        let span = Span::new(start, built.expr.span.end);
        let inner_span = built.expr.span;
        match built.expr.into_kind() {
            ExprKind::Literal(Value::Number(n)) if fresh => Ok(Built {
                expr: Expr::new(ExprKind::Literal(Value::Number(n.neg())), span),
                height: built.height,
            }),
            kind => {
                let inner = Expr::new(kind, inner_span);
                self.node(ExprKind::Neg(Box::new(inner)), span, depth, built.height)
            }
        }
    }

    /// `< x`, `<= x`, `> x`, `>= x` as a range with one bound; `= x` and
    /// `!= x` as the ranges of those forms, or as the tests `? = x`, `? != x`
    /// after `in`.
    fn unary_test(
        &self,
        op: BinaryOp,
        op_span: Span,
        after_in: bool,
        operand: Operand,
        depth: usize,
    ) -> Result<Built, ParseError> {
        let Operand::Expr { built, .. } = operand else {
            return Err(self.internal_at(operand.span()));
        };
        let span = Span::new(op_span.start, built.expr.span.end);
        let bound = Some(built.expr);
        let range = match op {
            BinaryOp::Eq | BinaryOp::Ne if after_in => {
                let Some(value) = bound else {
                    return Err(self.internal_at(span));
                };
                let input = self.intern("?");
                let test = equality_test(op, input, op_span, value, span);
                return self.node(test.into_kind(), span, depth, built.height);
            }
            BinaryOp::Eq | BinaryOp::Ne => RangeExpr {
                start: bound,
                start_included: op == BinaryOp::Eq,
                end: None,
                end_included: op == BinaryOp::Eq,
                form: if op == BinaryOp::Eq {
                    RangeForm::Equal
                } else {
                    RangeForm::NotEqual
                },
            },
            BinaryOp::Lt | BinaryOp::Le => RangeExpr {
                start: None,
                start_included: false,
                end: bound,
                end_included: op == BinaryOp::Le,
                form: RangeForm::Interval,
            },
            _ => RangeExpr {
                start: bound,
                start_included: op == BinaryOp::Ge,
                end: None,
                end_included: false,
                form: RangeForm::Interval,
            },
        };
        self.node(ExprKind::Range(Box::new(range)), span, depth, built.height)
    }

    /// `left in right`: the right operand is a list of tests, or one test.
    fn in_tests(&self, left: Operand, right: Operand, depth: usize) -> Result<Built, ParseError> {
        let Operand::Expr { built: left, .. } = left else {
            return Err(self.internal_at(left.span()));
        };
        let (tests, height, end) = match right {
            Operand::Tests(tests, height, span) => (tests, height, span.end),
            Operand::Expr { built, .. } => {
                let end = built.expr.span.end;
                (vec![Builder::test(built.expr)], built.height, end)
            }
        };
        let span = Span::new(left.expr.span.start, end);
        let kind = ExprKind::In(Box::new(left.expr), tests);
        self.node(kind, span, depth, left.height.max(height))
    }

    /// `lhs between a and b`, `lhs instance of type`.
    fn tail(&self, lhs: Built, pair: Pair<'_, Rule>, depth: usize) -> Result<Built, ParseError> {
        let end = pair.as_span().end();
        let span = Span::new(lhs.expr.span.start, end);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner().filter(|p| {
            !matches!(
                p.as_rule(),
                Rule::kw_between | Rule::between_and | Rule::kw_instance | Rule::kw_of
            )
        });
        let mut next = || inner.next().ok_or_else(|| self.internal_at(span));
        match rule {
            Rule::between_tail => {
                let low = self.climb(next()?.into_inner(), depth + 1, Position::Plain)?;
                let high = self.climb(next()?.into_inner(), depth + 1, Position::Plain)?;
                let height = lhs.height.max(low.height).max(high.height);
                let kind =
                    ExprKind::Between(Box::new(lhs.expr), Box::new(low.expr), Box::new(high.expr));
                self.node(kind, span, depth, height)
            }
            Rule::instance_tail => {
                let (ty, height) = self.type_ref(next()?, depth + 1)?;
                let kind = ExprKind::InstanceOf(Box::new(lhs.expr), ty);
                self.node(kind, span, depth, lhs.height.max(height))
            }
            _ => Err(self.internal_at(span)),
        }
    }
}
