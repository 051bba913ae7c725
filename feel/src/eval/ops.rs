//! Arithmetic, comparison, and three-valued logic (DMN 1.5 §10.3.2.9 tables).

use std::cmp::Ordering;

use super::{EvalResult, Evaluator};
use crate::ast::{BinaryOp, Expr};
use crate::error::{Span, WarningKind};
use crate::temporal;
use crate::value::{quick, Brief, DayTimeDuration, Number, Value, YearMonthDuration};

impl Evaluator<'_> {
    /// `-v`
    pub(super) fn negate(&mut self, v: Value, span: Span) -> Value {
        match v {
            Value::Number(n) => Value::Number(n.neg()),
            Value::DayTimeDuration(d) => match d.0.checked_neg() {
                Some(n) => Value::DayTimeDuration(DayTimeDuration(n)),
                None => self.overflow("-", span),
            },
            Value::YearMonthDuration(d) => match d.0.checked_neg() {
                Some(m) => Value::YearMonthDuration(YearMonthDuration(m)),
                None => self.overflow("-", span),
            },
            Value::Null => Value::Null,
            other => self.warn(
                WarningKind::InvalidType,
                format!("can't negate {} ({})", other.kind(), Brief(&other)),
                span,
            ),
        }
    }

    fn overflow(&mut self, op: &str, span: Span) -> Value {
        self.warn(
            WarningKind::ArithmeticError,
            format!("the result of '{op}' is out of range"),
            span,
        )
    }

    /// `l op r` for arithmetic and comparison operators.
    pub(super) fn binary(&mut self, op: BinaryOp, l: Value, r: Value, span: Span) -> EvalResult {
        if let Some(v) = quick(op, &l, &r) {
            return Ok(v);
        }
        if let (BinaryOp::Add, Value::String(a), Value::String(b)) = (op, &l, &r) {
            // A new string: paid for before it is built.
            self.charge(a.len() + b.len(), span)?;
        }
        Ok(self.binary_general(op, l, r, span))
    }

    /// `l op r` without the shortcut of [`quick`]: every case.
    pub(super) fn binary_general(&mut self, op: BinaryOp, l: Value, r: Value, span: Span) -> Value {
        match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Pow => {
                self.arithmetic(op, l, r, span)
            }
            BinaryOp::Eq => self.equals(&l, &r, span),
            BinaryOp::Ne => match self.equals(&l, &r, span) {
                Value::Boolean(b) => Value::Boolean(!b),
                other => other,
            },
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                match self.compare(&l, &r, op.symbol(), span) {
                    Some(ord) => Value::Boolean(match op {
                        BinaryOp::Lt => ord == Ordering::Less,
                        BinaryOp::Le => ord != Ordering::Greater,
                        BinaryOp::Gt => ord == Ordering::Greater,
                        _ => ord != Ordering::Less,
                    }),
                    None => Value::Null,
                }
            }
        }
    }

    /// FEEL `=`, with a warning when the values can't be compared.
    pub(super) fn equals(&mut self, l: &Value, r: &Value, span: Span) -> Value {
        match l.feel_eq_in(r, self.config.dialect) {
            Some(b) => Value::Boolean(b),
            None => self.warn(
                WarningKind::NotComparable,
                format!(
                    "can't compare {} with {} ({} and {})",
                    Brief(l),
                    Brief(r),
                    l.kind(),
                    r.kind()
                ),
                span,
            ),
        }
    }

    /// FEEL ordering, with a warning when the values can't be ordered.
    pub(super) fn compare(
        &mut self,
        l: &Value,
        r: &Value,
        op: &str,
        span: Span,
    ) -> Option<Ordering> {
        let ord = l.feel_cmp(r);
        if ord.is_none() && !l.is_null() && !r.is_null() {
            self.warn(
                WarningKind::NotComparable,
                format!(
                    "can't compare {} {op} {} ({} and {})",
                    Brief(l),
                    Brief(r),
                    l.kind(),
                    r.kind()
                ),
                span,
            );
        }
        ord
    }

    fn arithmetic(&mut self, op: BinaryOp, l: Value, r: Value, span: Span) -> Value {
        if let (Value::Number(a), Value::Number(b)) = (&l, &r) {
            let (a, b) = (*a, *b);
            let result = match op {
                BinaryOp::Add => a.add(b),
                BinaryOp::Sub => a.sub(b),
                BinaryOp::Mul => a.mul(b),
                BinaryOp::Div => {
                    if b.is_zero() {
                        return self.warn(
                            WarningKind::ArithmeticError,
                            format!("division by zero ({a} / 0)"),
                            span,
                        );
                    }
                    a.div(b)
                }
                _ => a.pow(b),
            };
            return match result {
                Some(n) => Value::Number(n),
                None => self.overflow(op.symbol(), span),
            };
        }
        if l.is_null() || r.is_null() {
            return Value::Null;
        }
        let result = match (op, &l, &r) {
            (BinaryOp::Add, Value::String(a), Value::String(b)) => {
                let mut s = String::with_capacity(a.len() + b.len());
                s.push_str(a);
                s.push_str(b);
                Some(Value::from(s))
            }
            (BinaryOp::Add, ..) => temporal::add(&l, &r),
            (BinaryOp::Sub, ..) => temporal::sub(&l, &r),
            (BinaryOp::Mul, ..) => temporal::mul(&l, &r),
            (BinaryOp::Div, _, Value::Number(n)) if n.is_zero() => {
                return self.warn(
                    WarningKind::ArithmeticError,
                    format!("division by zero ({} / 0)", Brief(&l)),
                    span,
                );
            }
            (BinaryOp::Div, ..) => temporal::div(&l, &r),
            _ => None,
        };
        match result {
            Some(v) => v,
            // A defined operation that gave nothing overflowed.
            None if temporal::defined(temporal_op(op), &l, &r) => self.warn(
                WarningKind::ArithmeticError,
                format!(
                    "{} {} {} is outside the range of FEEL values (years ±999,999,999)",
                    Brief(&l),
                    op.symbol(),
                    Brief(&r)
                ),
                span,
            ),
            None => self.warn(
                WarningKind::InvalidType,
                format!(
                    "can't apply '{}' to {} and {} ({} and {})",
                    op.symbol(),
                    Brief(&l),
                    Brief(&r),
                    l.kind(),
                    r.kind()
                ),
                span,
            ),
        }
    }

    /// Three-valued `and`: false wins, then null; non-booleans count as null
    /// (with a warning).
    pub(super) fn and(&mut self, left: &Expr, right: &Expr) -> EvalResult {
        let l = self.logic_operand(left, "and")?;
        if l == Some(false) {
            return Ok(Value::Boolean(false));
        }
        let r = self.logic_operand(right, "and")?;
        Ok(match (l, r) {
            (_, Some(false)) => Value::Boolean(false),
            (Some(true), Some(true)) => Value::Boolean(true),
            _ => Value::Null,
        })
    }

    /// Three-valued `or`: true wins, then null; non-booleans count as null
    /// (with a warning).
    pub(super) fn or(&mut self, left: &Expr, right: &Expr) -> EvalResult {
        let l = self.logic_operand(left, "or")?;
        if l == Some(true) {
            return Ok(Value::Boolean(true));
        }
        let r = self.logic_operand(right, "or")?;
        Ok(match (l, r) {
            (_, Some(true)) => Value::Boolean(true),
            (Some(false), Some(false)) => Value::Boolean(false),
            _ => Value::Null,
        })
    }

    fn logic_operand(&mut self, e: &Expr, op: &str) -> Result<Option<bool>, crate::error::Error> {
        // A comparison of variables, paths or literals (`n > 0`) is computed
        // in place, for the fuel a nested evaluation would take.
        if let Some(Value::Boolean(b)) = self.quick_operand(e) {
            self.burn(3, e.span)?;
            return Ok(Some(b));
        }
        Ok(match self.eval(e)? {
            Value::Boolean(b) => Some(b),
            Value::Null => None,
            other => {
                self.warn(
                    WarningKind::InvalidType,
                    format!(
                        "'{op}' needs booleans, not {} ({})",
                        other.kind(),
                        Brief(&other)
                    ),
                    e.span,
                );
                None
            }
        })
    }

    /// `v between lo and hi` = `lo <= v and v <= hi`.
    pub(super) fn between(&mut self, v: Value, lo: Value, hi: Value, span: Span) -> Value {
        let low = self
            .compare(&lo, &v, "<=", span)
            .map(|o| o != Ordering::Greater);
        let high = self
            .compare(&v, &hi, "<=", span)
            .map(|o| o != Ordering::Greater);
        match (low, high) {
            (Some(false), _) | (_, Some(false)) => Value::Boolean(false),
            (Some(true), Some(true)) => Value::Boolean(true),
            _ => Value::Null,
        }
    }
}

/// The integers of a `for` span domain `a..b`.
pub(super) fn integer_span(a: Number, b: Number) -> Option<(i64, i64)> {
    Some((a.to_i64()?, b.to_i64()?))
}

/// The operator character `temporal::defined` knows, or a blank.
fn temporal_op(op: BinaryOp) -> char {
    match op {
        BinaryOp::Add => '+',
        BinaryOp::Sub => '-',
        BinaryOp::Mul => '*',
        BinaryOp::Div => '/',
        _ => ' ',
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::value::Context;

    fn values() -> Vec<Value> {
        let n = |s: &str| Value::Number(Number::parse(s).unwrap_or(Number::ZERO));
        vec![
            n("0"),
            n("1"),
            n("-1"),
            n("2.50"),
            n("0.1"),
            n("3"),
            n("-7.25"),
            n("998000"),
            n("79228162514264337593543950335"),
            n("0.0000000000000000000000000001"),
            n("1000000000000000000"),
            Value::from(""),
            Value::from("a"),
            Value::from("abc"),
            Value::from("b"),
            Value::Boolean(true),
            Value::Boolean(false),
            Value::Null,
            Value::list([Value::from(1)]),
        ]
    }

    /// Where the shortcut answers, it answers as the general path does, which
    /// then warns of nothing.
    #[test]
    fn quick_agrees_with_the_general_path() {
        let engine = Engine::new();
        let root = Context::new();
        let ops = [
            BinaryOp::Add,
            BinaryOp::Sub,
            BinaryOp::Mul,
            BinaryOp::Div,
            BinaryOp::Pow,
            BinaryOp::Eq,
            BinaryOp::Ne,
            BinaryOp::Lt,
            BinaryOp::Le,
            BinaryOp::Gt,
            BinaryOp::Ge,
        ];
        let mut answered = 0;
        for l in values() {
            for r in values() {
                for op in ops {
                    let Some(fast) = quick(op, &l, &r) else {
                        continue;
                    };
                    answered += 1;
                    let mut ev = Evaluator::new(&engine.inner, &root);
                    let general = ev.binary_general(op, l.clone(), r.clone(), Span::default());
                    assert_eq!(fast, general, "{l} {} {r}", op.symbol());
                    assert!(ev.warnings.is_empty(), "{l} {} {r}", op.symbol());
                }
            }
        }
        assert!(
            answered > 500,
            "the shortcut answered only {answered} cases"
        );
    }
}
