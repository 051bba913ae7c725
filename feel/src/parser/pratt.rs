//! Operator precedence for the flat `term (operator term)*` sequences the
//! grammar produces, by shunting-yard: no recursion, so a chain of 100 000
//! additions costs no stack, and every node built is checked against the
//! depth limit as it is made.
//!
//! Levels, lowest first (all left-associative):
//! `or` < `and` < comparisons, `between`, `in`, `instance of` < `+ -` < `* /` < `**`.

use pest::iterators::{Pair, Pairs};

use super::{Builder, Built, Rule};
use crate::ast::{BinaryOp, ExprKind};
use crate::error::{ParseError, Span};

/// The level of comparisons and of the `between`/`in`/`instance of` tails.
const COMPARISON: u8 = 3;

#[derive(Clone, Copy)]
enum Infix {
    Or,
    And,
    Binary(BinaryOp),
}

impl Infix {
    fn of(rule: Rule) -> Option<Infix> {
        Some(match rule {
            Rule::op_or => Infix::Or,
            Rule::op_and => Infix::And,
            Rule::op_eq => Infix::Binary(BinaryOp::Eq),
            Rule::op_ne => Infix::Binary(BinaryOp::Ne),
            Rule::op_lt => Infix::Binary(BinaryOp::Lt),
            Rule::op_le => Infix::Binary(BinaryOp::Le),
            Rule::op_gt => Infix::Binary(BinaryOp::Gt),
            Rule::op_ge => Infix::Binary(BinaryOp::Ge),
            Rule::op_add => Infix::Binary(BinaryOp::Add),
            Rule::op_sub => Infix::Binary(BinaryOp::Sub),
            Rule::op_mul => Infix::Binary(BinaryOp::Mul),
            Rule::op_div => Infix::Binary(BinaryOp::Div),
            Rule::op_pow => Infix::Binary(BinaryOp::Pow),
            _ => return None,
        })
    }

    fn precedence(self) -> u8 {
        match self {
            Infix::Or => 1,
            Infix::And => 2,
            Infix::Binary(op) => match op {
                BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Gt
                | BinaryOp::Ge => COMPARISON,
                BinaryOp::Add | BinaryOp::Sub => 4,
                BinaryOp::Mul | BinaryOp::Div => 5,
                BinaryOp::Pow => 6,
            },
        }
    }
}

impl Builder<'_> {
    /// Builds the tree of an `expression` or `arithmetic` pair at `depth`.
    pub(super) fn climb(&self, pairs: Pairs<'_, Rule>, depth: usize) -> Result<Built, ParseError> {
        let mut operands: Vec<Built> = Vec::new();
        let mut operators: Vec<Infix> = Vec::new();
        for pair in pairs {
            let rule = pair.as_rule();
            if matches!(rule, Rule::term | Rule::open_term | Rule::bound_term) {
                operands.push(self.term(pair, depth)?);
            } else if let Some(op) = Infix::of(rule) {
                self.reduce_while(&mut operands, &mut operators, op.precedence(), depth)?;
                operators.push(op);
            } else {
                self.reduce_while(&mut operands, &mut operators, COMPARISON, depth)?;
                let lhs = operands.pop().ok_or_else(|| self.internal(&pair))?;
                operands.push(self.tail(lhs, pair, depth)?);
            }
        }
        self.reduce_while(&mut operands, &mut operators, 0, depth)?;
        match (operands.pop(), operands.is_empty()) {
            (Some(built), true) => Ok(built),
            _ => Err(ParseError::new(
                self.source,
                Span::new(0, self.source.len()),
                "internal parser error: unbalanced operator sequence".into(),
                Vec::new(),
            )),
        }
    }

    /// Applies stacked operators while their precedence is at least `min`.
    fn reduce_while(
        &self,
        operands: &mut Vec<Built>,
        operators: &mut Vec<Infix>,
        min: u8,
        depth: usize,
    ) -> Result<(), ParseError> {
        while let Some(&op) = operators.last() {
            if op.precedence() < min {
                break;
            }
            operators.pop();
            let (Some(rhs), Some(lhs)) = (operands.pop(), operands.pop()) else {
                return Err(ParseError::new(
                    self.source,
                    Span::new(0, self.source.len()),
                    "internal parser error: missing operand".into(),
                    Vec::new(),
                ));
            };
            let span = Span::new(lhs.expr.span.start, rhs.expr.span.end);
            let height = lhs.height.max(rhs.height);
            let (l, r) = (Box::new(lhs.expr), Box::new(rhs.expr));
            let kind = match op {
                Infix::Or => ExprKind::Or(l, r),
                Infix::And => ExprKind::And(l, r),
                Infix::Binary(op) => ExprKind::Binary(op, l, r),
            };
            operands.push(self.node(kind, span, depth, height)?);
        }
        Ok(())
    }

    /// `lhs between a and b`, `lhs in tests`, `lhs instance of type`.
    fn tail(&self, lhs: Built, pair: Pair<'_, Rule>, depth: usize) -> Result<Built, ParseError> {
        let end = pair.as_span().end();
        let span = Span::new(lhs.expr.span.start, end);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner().filter(|p| {
            !matches!(
                p.as_rule(),
                Rule::kw_between
                    | Rule::between_and
                    | Rule::kw_in
                    | Rule::kw_instance
                    | Rule::kw_of
            )
        });
        let mut next = || inner.next().ok_or_else(|| self.internal_at(span));
        match rule {
            Rule::between_tail => {
                let low = self.climb(next()?.into_inner(), depth + 1)?;
                let high = self.climb(next()?.into_inner(), depth + 1)?;
                let height = lhs.height.max(low.height).max(high.height);
                let kind =
                    ExprKind::Between(Box::new(lhs.expr), Box::new(low.expr), Box::new(high.expr));
                self.node(kind, span, depth, height)
            }
            Rule::in_tail => {
                let tests = next()?;
                let (tests, height) = match tests.as_rule() {
                    Rule::in_list => self.in_list(tests, depth + 1)?,
                    Rule::equality_test => {
                        let test = self.equality_test(tests, depth + 1)?;
                        (vec![Builder::test(test.expr)], test.height)
                    }
                    _ => {
                        let test = self.climb(tests.into_inner(), depth + 1)?;
                        (vec![Builder::test(test.expr)], test.height)
                    }
                };
                let kind = ExprKind::In(Box::new(lhs.expr), tests);
                self.node(kind, span, depth, lhs.height.max(height))
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
