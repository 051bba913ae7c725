//! FEEL equality and ordering across kinds (DMN 1.5 §10.3.2.2 and the
//! semantics tables of §10.3.2.9): not Rust's `Eq`/`Ord`.

use std::cmp::Ordering;

use super::{Bound, Value};
use crate::dialect::Dialect;
use crate::temporal;

/// Pairwise equality: false if any pair differs, else null if any pair
/// can't be compared, else true. Symmetric and independent of pair order.
/// With `items_must_match` (Camunda), a pair that can't be compared counts
/// as a difference, so the answer is never null.
fn all_equal<'a>(
    pairs: impl Iterator<Item = (&'a Value, &'a Value)>,
    items_must_match: bool,
) -> Option<bool> {
    let mut undecided = false;
    for (x, y) in pairs {
        match x.eq_items(y, items_must_match) {
            Some(false) => return Some(false),
            Some(true) => {}
            None if items_must_match => return Some(false),
            None => undecided = true,
        }
    }
    if undecided {
        None
    } else {
        Some(true)
    }
}

impl Value {
    /// FEEL `=`: `Some(bool)` when the two values can be compared, `None` when
    /// they cannot (different kinds, functions), which FEEL answers with null.
    /// `null = null` is true and `null = x` is false.
    ///
    /// Inside lists and contexts, an item pair that can't be compared makes
    /// the whole comparison null (`[1] = [true]` is null), as DMN 1.5 has
    /// it; see [`Value::feel_eq_in`] for Camunda's reading.
    pub fn feel_eq(&self, other: &Value) -> Option<bool> {
        self.eq_items(other, false)
    }

    /// FEEL `=` in a dialect. [`Dialect::Camunda`] differs from
    /// [`Value::feel_eq`] inside lists and contexts only: items of kinds that
    /// can't be compared are unequal, so `[1] = [true]` is false rather than
    /// null (feel-scala compares collections item by item and counts a failed
    /// comparison as a difference). Two values that can't be compared at
    /// the top level are still `None` in both dialects.
    ///
    /// # Examples
    ///
    /// ```
    /// use feel::{Dialect, Value};
    ///
    /// let a = Value::list([Value::from(1)]);
    /// let b = Value::list([Value::from(true)]);
    /// assert_eq!(a.feel_eq_in(&b, Dialect::Standard), None);
    /// assert_eq!(a.feel_eq_in(&b, Dialect::Camunda), Some(false));
    /// ```
    pub fn feel_eq_in(&self, other: &Value, dialect: Dialect) -> Option<bool> {
        self.eq_items(other, dialect == Dialect::Camunda)
    }

    fn eq_items(&self, other: &Value, items_must_match: bool) -> Option<bool> {
        match (self, other) {
            (Value::Null, Value::Null) => Some(true),
            (Value::Null, _) | (_, Value::Null) => Some(false),
            (Value::Boolean(a), Value::Boolean(b)) => Some(a == b),
            (Value::Number(a), Value::Number(b)) => Some(a.compare(*b).is_eq()),
            (Value::String(a), Value::String(b)) => Some(a == b),
            (Value::List(a), Value::List(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                // Lists nest as deep as they were built: on a stack with room.
                crate::stack::grow_stack(|| all_equal(a.iter().zip(b.iter()), items_must_match))
            }
            (Value::Context(a), Value::Context(b)) => {
                // Same keys first (so the answer can't depend on entry order),
                // then the values.
                if a.len() != b.len() || a.keys().any(|k| !b.contains_key(k)) {
                    return Some(false);
                }
                crate::stack::grow_stack(|| {
                    all_equal(
                        a.iter().filter_map(|(k, x)| b.get(k).map(|y| (x, y))),
                        items_must_match,
                    )
                })
            }
            (Value::Range(a), Value::Range(b)) => {
                let bounds_eq = |x: &Bound, y: &Bound| -> Option<bool> {
                    match (x, y) {
                        (Bound::Unbounded, Bound::Unbounded) => Some(true),
                        (Bound::Included(p), Bound::Included(q))
                        | (Bound::Excluded(p), Bound::Excluded(q)) => p.feel_eq(q),
                        _ => Some(false),
                    }
                };
                if a.form != b.form {
                    return Some(false);
                }
                Some(bounds_eq(&a.start, &b.start)? && bounds_eq(&a.end, &b.end)?)
            }
            (Value::Function(a), Value::Function(b)) => Some(a == b),
            // DMN 1.5 §10.3.2.3.4: where a date meets a date and time, it
            // stands for midnight of that day (UTC against a zoned value), so
            // `=` agrees with `<=` and `>=`.
            (Value::Date(_), Value::DateTime(_)) | (Value::DateTime(_), Value::Date(_)) => {
                temporal::equal(self, other)
            }
            _ if self.kind() == other.kind() => temporal::equal(self, other),
            _ => None,
        }
    }

    /// FEEL ordering (`<`, `<=`, `>`, `>=`): `Some` for two numbers, two
    /// strings, or two temporal values of one comparable kind; `None` otherwise.
    pub fn feel_cmp(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Number(a), Value::Number(b)) => Some(a.compare(*b)),
            (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
            (Value::Date(_), Value::Date(_))
            | (Value::Time(_), Value::Time(_))
            | (Value::DateTime(_), Value::DateTime(_))
            | (Value::DayTimeDuration(_), Value::DayTimeDuration(_))
            | (Value::YearMonthDuration(_), Value::YearMonthDuration(_)) => {
                temporal::compare(self, other)
            }
            // feel-scala and the TCK compare a date with a date and time by
            // treating the date as midnight of that day.
            (Value::Date(_), Value::DateTime(_)) | (Value::DateTime(_), Value::Date(_)) => {
                temporal::compare(self, other)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Context;

    fn n(i: i64) -> Value {
        Value::from(i)
    }

    #[test]
    fn null_equals_only_null() {
        assert_eq!(Value::Null.feel_eq(&Value::Null), Some(true));
        assert_eq!(Value::Null.feel_eq(&n(1)), Some(false));
        assert_eq!(n(1).feel_eq(&Value::from("1")), None);
    }

    #[test]
    fn lists_and_contexts_compare_deeply() {
        let a = Value::list([n(1), Value::from("x")]);
        let b = Value::list([n(1), Value::from("x")]);
        assert_eq!(a.feel_eq(&b), Some(true));
        assert_eq!(a.feel_eq(&Value::list([n(1)])), Some(false));
        let c1: super::super::Context = [("a", n(1)), ("b", n(2))].into_iter().collect();
        let c2: super::super::Context = [("b", n(2)), ("a", n(1))].into_iter().collect();
        assert_eq!(Value::from(c1).feel_eq(&Value::from(c2)), Some(true));
    }

    #[test]
    fn equality_of_lists_and_contexts_is_symmetric() {
        // Found by the value_ops fuzz target: a missing key and an
        // incomparable entry gave false one way and null the other.
        let a: Context = [
            ("a.b", Value::Null),
            (
                "date",
                Value::from(Context::from_iter([("é", Value::Null)])),
            ),
        ]
        .into_iter()
        .collect();
        let b: Context = [("date", Value::list([])), ("a", Value::Null)]
            .into_iter()
            .collect();
        let (a, b) = (Value::from(a), Value::from(b));
        assert_eq!(a.feel_eq(&b), Some(false));
        assert_eq!(b.feel_eq(&a), Some(false));
        // A known difference wins over an incomparable pair, in any position.
        let l1 = Value::list([n(1), Value::from("x")]);
        let l2 = Value::list([Value::from("y"), n(2)]);
        assert_eq!(l1.feel_eq(&l2), None);
        let l3 = Value::list([n(1), n(2)]);
        let l4 = Value::list([Value::from("y"), n(3)]);
        assert_eq!(l3.feel_eq(&l4), Some(false));
        assert_eq!(l4.feel_eq(&l3), Some(false));
    }

    #[test]
    fn camunda_counts_incomparable_items_as_different() {
        let eq = |a: &Value, b: &Value, d| a.feel_eq_in(b, d);
        let (one, yes) = (Value::list([n(1)]), Value::list([Value::Boolean(true)]));
        assert_eq!(eq(&one, &yes, Dialect::Standard), None);
        assert_eq!(eq(&one, &yes, Dialect::Camunda), Some(false));
        assert_eq!(eq(&yes, &one, Dialect::Camunda), Some(false));
        let c1 = Value::from(Context::from_iter([("a", n(1))]));
        let c2 = Value::from(Context::from_iter([("a", Value::from("1"))]));
        assert_eq!(eq(&c1, &c2, Dialect::Standard), None);
        assert_eq!(eq(&c1, &c2, Dialect::Camunda), Some(false));
        // Nested: the inner list's mismatch decides.
        let deep1 = Value::list([Value::list([n(1)])]);
        let deep2 = Value::list([Value::list([Value::from("x")])]);
        assert_eq!(eq(&deep1, &deep2, Dialect::Camunda), Some(false));
        // Equal items stay equal, and the top level is unchanged.
        assert_eq!(eq(&one, &one.clone(), Dialect::Camunda), Some(true));
        assert_eq!(eq(&n(1), &Value::Boolean(true), Dialect::Camunda), None);
    }

    #[test]
    fn a_date_equals_the_midnight_that_starts_it() {
        let v = |s: &str| crate::temporal::parse_literal(s).unwrap();
        let day = v("2018-12-08");
        assert_eq!(day.feel_eq(&v("2018-12-08T00:00:00Z")), Some(true));
        assert_eq!(v("2018-12-08T00:00:00Z").feel_eq(&day), Some(true));
        assert_eq!(day.feel_eq(&v("2018-12-08T00:00:00")), Some(true));
        assert_eq!(day.feel_eq(&v("2018-12-08T00:00:00+01:00")), Some(false));
        assert_eq!(day.feel_eq(&v("2018-12-08T00:00:01")), Some(false));
        // Equality agrees with the ordering.
        for other in [
            "2018-12-08T00:00:00Z",
            "2018-12-07T23:00:00-01:00",
            "2018-12-09T00:00:00",
        ] {
            let o = v(other);
            assert_eq!(
                day.feel_eq(&o),
                day.feel_cmp(&o).map(Ordering::is_eq),
                "{other}"
            );
        }
    }

    #[test]
    fn ordering_only_within_a_kind() {
        assert_eq!(n(1).feel_cmp(&n(2)), Some(Ordering::Less));
        assert_eq!(
            Value::from("b").feel_cmp(&Value::from("a")),
            Some(Ordering::Greater)
        );
        assert_eq!(n(1).feel_cmp(&Value::from("a")), None);
        assert_eq!(Value::Boolean(true).feel_cmp(&Value::Boolean(false)), None);
    }
}
