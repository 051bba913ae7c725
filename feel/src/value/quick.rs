//! `l op r` on the common operands, without an evaluator: the evaluator's
//! fast path, and the parser's constant folding.

use std::cmp::Ordering;

use super::{same_text, Value};
use crate::ast::BinaryOp;

/// The longest concatenation [`quick`] builds: short strings cost no more
/// than the other values it makes, which the memory budget does not count.
const QUICK_CONCAT: usize = 256;

/// `l op r` for the common operands (two numbers, two strings, two
/// booleans) when the result needs no warning; `None` for anything else,
/// which the evaluator then works out in full. Where it answers, the
/// answer is the one the evaluator gives; the parser folds constants with it.
#[inline]
pub(crate) fn quick(op: BinaryOp, l: &Value, r: &Value) -> Option<Value> {
    let ord = match (l, r) {
        (Value::Number(a), Value::Number(b)) => {
            let n = match op {
                BinaryOp::Add => a.add(*b),
                BinaryOp::Sub => a.sub(*b),
                BinaryOp::Mul => a.mul(*b),
                BinaryOp::Div if b.is_zero() => return None,
                BinaryOp::Div => a.div(*b),
                BinaryOp::Pow => a.pow(*b),
                _ => return Some(Value::Boolean(test(op, a.compare(*b)))),
            };
            return n.map(Value::Number);
        }
        (Value::String(a), Value::String(b)) => match op {
            // Longer strings are built where the memory budget is kept.
            BinaryOp::Add if a.len() + b.len() > QUICK_CONCAT => return None,
            BinaryOp::Add => {
                let mut s = String::with_capacity(a.len() + b.len());
                s.push_str(a);
                s.push_str(b);
                return Some(Value::from(s));
            }
            BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Pow => return None,
            BinaryOp::Eq => return Some(Value::Boolean(same_text(a, b))),
            BinaryOp::Ne => return Some(Value::Boolean(!same_text(a, b))),
            _ => a.cmp(b),
        },
        (Value::Boolean(a), Value::Boolean(b)) => match op {
            BinaryOp::Eq => return Some(Value::Boolean(a == b)),
            BinaryOp::Ne => return Some(Value::Boolean(a != b)),
            _ => return None,
        },
        _ => return None,
    };
    Some(Value::Boolean(test(op, ord)))
}

/// Whether `ord` satisfies the comparison operator `op` (`=`, `!=`, `<`, …).
#[inline]
fn test(op: BinaryOp, ord: Ordering) -> bool {
    match op {
        BinaryOp::Eq => ord == Ordering::Equal,
        BinaryOp::Ne => ord != Ordering::Equal,
        BinaryOp::Lt => ord == Ordering::Less,
        BinaryOp::Le => ord != Ordering::Greater,
        BinaryOp::Gt => ord == Ordering::Greater,
        _ => ord != Ordering::Less,
    }
}
