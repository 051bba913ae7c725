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

/// How a range was written, where that matters beyond its bounds.
///
/// DMN 1.5 writes a range as a comparison and one endpoint (rule 7.a): `< 10`
/// and the like are intervals with one bound missing, but `= 10` and `!= 10`
/// are not intervals. `= x` has `x` as both bounds, included, and holds `x`
/// alone; `!= x` has `x` as both bounds, excluded, and holds every value but
/// `x`. Neither equals the interval with the same bounds (`(= 10) = [10..10]`
/// is false, TCK 0068 `range_010`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RangeForm {
    /// An interval: `[1..10]`, `(1..10]`, `< 10`, `>= 1`.
    #[default]
    Interval,
    /// `= x`
    Equal,
    /// `!= x`
    NotEqual,
}

/// A range of values between a start and an end bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// The lower bound.
    pub start: Bound,
    /// The upper bound.
    pub end: Bound,
    /// How it was written ([`RangeForm::Interval`] for everything but `= x`
    /// and `!= x`).
    pub form: RangeForm,
}

impl Range {
    /// The interval between `start` and `end`.
    pub fn new(start: Bound, end: Bound) -> Range {
        Range {
            start,
            end,
            form: RangeForm::Interval,
        }
    }
}
