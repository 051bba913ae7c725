//! FEEL ranges: intervals over ordered values, with open, closed or missing bounds.

use super::Value;

/// One end of a range.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    /// The end point belongs to the range (`[1..` or `..10]`, `<= 10`).
    Included(Value),
    /// The end point does not belong to the range (`(1..`, `]1..`, `< 10`).
    Excluded(Value),
    /// No bound on this side (`< 10` has no start).
    Unbounded,
}

impl Bound {
    /// The end point, if any.
    pub fn value(&self) -> Option<&Value> {
        match self {
            Bound::Included(v) | Bound::Excluded(v) => Some(v),
            Bound::Unbounded => None,
        }
    }

    /// Whether the end point belongs to the range.
    pub fn is_included(&self) -> bool {
        matches!(self, Bound::Included(_))
    }
}

/// A range of values between a start and an end bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// The lower bound.
    pub start: Bound,
    /// The upper bound.
    pub end: Bound,
}
