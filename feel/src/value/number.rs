//! FEEL numbers.
//!
//! This is the only module that knows the representation (`rust_decimal`, 28
//! significant digits): every other module goes through [`Number`]. Results
//! that do not fit are `None` (the caller turns that into null plus a warning);
//! nothing here panics or wraps.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use rust_decimal::prelude::*;
use rust_decimal::Decimal;

/// A FEEL number: a decimal with up to 28 significant digits.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Number(Decimal);

impl Number {
    /// Zero.
    pub const ZERO: Number = Number(Decimal::ZERO);
    /// One.
    pub const ONE: Number = Number(Decimal::ONE);

    /// Parses a FEEL numeral (`12`, `-1.5`, `.5`). Exponents are not FEEL syntax
    /// but are accepted here for conversions (`1e3`); digits beyond what the
    /// type holds are rounded half to even. Returns `None` on anything else.
    pub fn parse(s: &str) -> Option<Number> {
        let t = s.trim();
        if t.is_empty() {
            return None;
        }
        let (neg, digits) = match t.as_bytes()[0] {
            b'-' => (true, &t[1..]),
            b'+' => (false, &t[1..]),
            _ => (false, t),
        };
        if digits.is_empty() || digits.starts_with(['+', '-']) {
            return None;
        }
        let plain = digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && digits.bytes().filter(|&b| b == b'.').count() <= 1
            && digits != ".";
        let d = if plain {
            Decimal::from_str(digits)
                .or_else(|_| parse_rounding(digits))
                .ok()?
        } else if digits.contains(['e', 'E']) {
            Decimal::from_scientific(digits).ok()?
        } else {
            return None;
        };
        Some(Number(if neg { -d } else { d }).normalized())
    }

    /// Wraps a decimal.
    pub fn from_decimal(d: Decimal) -> Number {
        Number(d)
    }

    /// The decimal inside.
    pub fn to_decimal(self) -> Decimal {
        self.0
    }

    /// Converts a float (JSON numbers that are not integers), rounding to the
    /// shortest decimal that reads back as the same float. `None` for NaN and
    /// infinities.
    pub fn from_f64(f: f64) -> Option<Number> {
        if !f.is_finite() {
            return None;
        }
        // Display of f64 gives the shortest round-tripping decimal form.
        Number::parse(&format!("{f}")).or_else(|| Decimal::from_f64(f).map(Number))
    }

    /// The value as a float (lossy).
    pub fn to_f64(self) -> f64 {
        self.0.to_f64().unwrap_or(f64::NAN)
    }

    /// The value as an `i64`, if it is an integer in range.
    pub fn to_i64(self) -> Option<i64> {
        if self.is_integer() {
            self.0.to_i64()
        } else {
            None
        }
    }

    /// The value as an `i64` after truncating any fraction, if in range.
    pub fn trunc_i64(self) -> Option<i64> {
        self.0.trunc().to_i64()
    }

    /// Whether the value has no fractional part.
    pub fn is_integer(self) -> bool {
        self.0.fract().is_zero()
    }

    /// Whether the value is zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// Whether the value is below zero.
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    fn normalized(self) -> Number {
        Number(self.0.normalize())
    }

    /// `self + rhs`, `None` on overflow.
    pub fn add(self, rhs: Number) -> Option<Number> {
        self.0.checked_add(rhs.0).map(Number)
    }

    /// `self - rhs`, `None` on overflow.
    pub fn sub(self, rhs: Number) -> Option<Number> {
        self.0.checked_sub(rhs.0).map(Number)
    }

    /// `self * rhs`, `None` on overflow.
    pub fn mul(self, rhs: Number) -> Option<Number> {
        self.0.checked_mul(rhs.0).map(Number)
    }

    /// `self / rhs`, `None` on division by zero or overflow.
    pub fn div(self, rhs: Number) -> Option<Number> {
        if rhs.0.is_zero() {
            return None;
        }
        self.0.checked_div(rhs.0).map(|d| Number(d).normalized())
    }

    /// `-self`.
    pub fn neg(self) -> Number {
        Number(-self.0)
    }

    /// `self ** rhs`, `None` when undefined or out of range.
    pub fn pow(self, rhs: Number) -> Option<Number> {
        if let Some(e) = rhs.to_i64() {
            if self.0.is_zero() && e < 0 {
                return None;
            }
            return self.0.checked_powi(e).map(|d| Number(d).normalized());
        }
        if self.0.is_sign_negative() {
            return None;
        }
        if self.0.is_zero() {
            return Some(Number::ZERO);
        }
        // x^y = exp(y * ln x)
        let ln = self.0.checked_ln()?;
        let p = ln.checked_mul(rhs.0)?;
        p.checked_exp().map(|d| Number(d).normalized())
    }

    /// The absolute value.
    pub fn abs(self) -> Number {
        Number(self.0.abs())
    }

    /// Compares numerically (`1.0` equals `1`).
    pub fn compare(self, rhs: Number) -> Ordering {
        self.0.cmp(&rhs.0)
    }
}

/// Parses a plain numeral with more digits than the type holds by rounding
/// away the excess fraction digits.
fn parse_rounding(digits: &str) -> Result<Decimal, rust_decimal::Error> {
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let int = int.trim_start_matches('0');
    if int.len() > 28 {
        return Err(rust_decimal::Error::ExceedsMaximumPossibleValue);
    }
    let keep = 28usize.saturating_sub(int.len().max(1));
    let frac_keep = &frac[..frac.len().min(keep + 1)];
    let s = format!("{}.{}", if int.is_empty() { "0" } else { int }, frac_keep);
    let d = Decimal::from_str(&s)?;
    Ok(d.round_dp_with_strategy(keep as u32, RoundingStrategy::MidpointNearestEven))
}

impl From<i64> for Number {
    fn from(i: i64) -> Self {
        Number(Decimal::from(i))
    }
}

impl From<i32> for Number {
    fn from(i: i32) -> Self {
        Number(Decimal::from(i))
    }
}

impl From<u32> for Number {
    fn from(i: u32) -> Self {
        Number(Decimal::from(i))
    }
}

impl From<usize> for Number {
    fn from(i: usize) -> Self {
        Number(Decimal::from(i))
    }
}

impl fmt::Display for Number {
    /// The canonical FEEL numeral: no exponent, no trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.normalize(), f)
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn parses_feel_numerals() {
        assert_eq!(n("12").to_string(), "12");
        assert_eq!(n(".5").to_string(), "0.5");
        assert_eq!(n("-1.50").to_string(), "-1.5");
        assert_eq!(Number::parse("1.2.3"), None);
        assert_eq!(Number::parse("abc"), None);
        assert_eq!(Number::parse("--1"), None);
        assert_eq!(Number::parse(""), None);
    }

    #[test]
    fn long_fractions_round_instead_of_failing() {
        assert_eq!(
            n("0.33333333333333333333333333333333").to_string(),
            "0.3333333333333333333333333333"
        );
    }

    #[test]
    fn overflow_is_none_not_a_panic() {
        let max = Number::from_decimal(Decimal::MAX);
        assert_eq!(max.add(max), None);
        assert_eq!(max.mul(max), None);
        assert_eq!(Number::ONE.div(Number::ZERO), None);
        assert_eq!(n("10").pow(n("1000")), None);
    }

    #[test]
    fn division_is_exact_to_28_digits() {
        assert_eq!(n("1").div(n("3")).unwrap().to_string(), "0.3333333333333333333333333333");
        assert_eq!(n("10").div(n("4")).unwrap().to_string(), "2.5");
    }
}
