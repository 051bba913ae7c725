//! FEEL numbers.
//!
//! This is the only module that knows the representation (`rust_decimal`, 28
//! significant digits): every other module goes through [`Number`]. Results
//! that do not fit are `None` (the caller turns that into null plus a warning);
//! nothing here panics or wraps.

use std::cmp::Ordering;
use std::fmt;

use rust_decimal::prelude::*;
use rust_decimal::Decimal;

use wide::{Big, Fixed};

mod fast;
mod wide;

/// 10^28: mantissas below it have at most 28 digits.
const TEN_POW_28: u128 = 10_000_000_000_000_000_000_000_000_000;

/// A FEEL number: a decimal with up to 28 significant digits.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Number(Decimal);

impl Number {
    /// Zero.
    pub const ZERO: Number = Number(Decimal::ZERO);
    /// One.
    pub const ONE: Number = Number(Decimal::ONE);

    /// Parses a FEEL numeral (`12`, `-1.5`, `.5`). Exponents are not FEEL syntax
    /// but are accepted here for conversions (`1e3`, `1.2E-5`); digits beyond
    /// what the type holds are rounded half to even. Returns `None` on anything
    /// else, and for values too large to hold.
    pub fn parse(s: &str) -> Option<Number> {
        let t = s.trim();
        let (neg, body) = match t.as_bytes().first()? {
            b'-' => (true, &t[1..]),
            b'+' => (false, &t[1..]),
            _ => (false, t),
        };
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(i) => {
                let e = &body[i + 1..];
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                // Exponents beyond any representable value saturate.
                let e: i64 = e.parse().unwrap_or(if e.starts_with('-') {
                    -100_000
                } else {
                    100_000
                });
                (&body[..i], e.clamp(-100_000, 100_000))
            }
            None => (body, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        if frac.is_empty() && exponent == 0 && int.len() < 19 {
            // The common case: a small integer.
            let i: i64 = int.parse().ok()?;
            return Some(Number::from(if neg { -i } else { i }));
        }
        if exponent == 0 {
            if let Some(d) = fast::decimal(neg, int, frac) {
                return Some(Number(d));
            }
        }
        Number::parse_digits(neg, int, frac, exponent)
    }

    /// The general path of [`Number::parse`], for validated digits.
    fn parse_digits(neg: bool, int: &str, frac: &str, exponent: i64) -> Option<Number> {
        let digits: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
        round_digits(neg, &digits, int.len() as i64 + exponent, false)
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
        if let Some(answer) = fast::to_i64(self.0) {
            return answer;
        }
        if self.is_integer() {
            self.0.to_i64()
        } else {
            None
        }
    }

    /// The value as an `i64` after truncating any fraction, if in range.
    pub fn trunc_i64(self) -> Option<i64> {
        if let Some(i) = fast::trunc_i64(self.0) {
            return Some(i);
        }
        self.0.trunc().to_i64()
    }

    /// Whether the value has no fractional part.
    pub fn is_integer(self) -> bool {
        self.0.scale() == 0 || self.0.fract().is_zero()
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

    /// The unsigned mantissa and the scale: `|self| = mantissa × 10^-scale`.
    fn parts(self) -> (u128, u32) {
        (self.0.mantissa().unsigned_abs(), self.0.scale())
    }

    fn to_fixed(self) -> Fixed {
        let (m, s) = self.parts();
        Fixed::from_parts(self.is_negative(), m, s)
    }

    fn from_fixed(f: &Fixed) -> Option<Number> {
        let (digits, point) = f.digits();
        round_digits(f.neg, &digits, point, false)
    }

    /// `self + rhs`, rounded half to even to 28 significant digits; `None` on
    /// overflow.
    #[expect(
        clippy::should_implement_trait,
        reason = "checked arithmetic: the result is an Option, unlike the operator's"
    )]
    pub fn add(self, rhs: Number) -> Option<Number> {
        if let Some(d) = fast::add(self.0, rhs.0) {
            return Some(Number(d));
        }
        self.add_general(rhs)
    }

    /// `self + rhs` without the fast path (every case).
    fn add_general(self, rhs: Number) -> Option<Number> {
        let scale = self.0.scale().max(rhs.0.scale());
        match self.0.checked_add(rhs.0) {
            // Exact (nothing was rounded away) and short enough: the common case.
            Some(d) if d.scale() == scale && d.mantissa().unsigned_abs() < TEN_POW_28 => {
                Some(Number(d))
            }
            _ => self.add_exact(rhs),
        }
    }

    /// `self + rhs` through big integers, rounded once.
    fn add_exact(self, rhs: Number) -> Option<Number> {
        let ((ma, sa), (mb, sb)) = (self.parts(), rhs.parts());
        let scale = sa.max(sb);
        let a = Big::from_u128(ma).shl10((scale - sa) as usize);
        let b = Big::from_u128(mb).shl10((scale - sb) as usize);
        let (neg, mag) = if self.is_negative() == rhs.is_negative() {
            (self.is_negative(), a.add(&b))
        } else if a.cmp(&b) != Ordering::Less {
            (self.is_negative(), a.sub(&b))
        } else {
            (rhs.is_negative(), b.sub(&a))
        };
        let digits = mag.digits();
        let point = digits.len() as i64 - i64::from(scale);
        round_digits(neg, &digits, point, false)
    }

    /// `self - rhs`, rounded half to even to 28 significant digits; `None` on
    /// overflow.
    #[expect(
        clippy::should_implement_trait,
        reason = "checked arithmetic: the result is an Option, unlike the operator's"
    )]
    pub fn sub(self, rhs: Number) -> Option<Number> {
        self.add(rhs.neg())
    }

    /// `self * rhs`, rounded half to even to 28 significant digits; `None` on
    /// overflow.
    #[expect(
        clippy::should_implement_trait,
        reason = "checked arithmetic: the result is an Option, unlike the operator's"
    )]
    pub fn mul(self, rhs: Number) -> Option<Number> {
        if let Some(d) = fast::mul(self.0, rhs.0) {
            return Some(Number(d));
        }
        self.mul_general(rhs)
    }

    /// `self * rhs` without the fast path (every case).
    fn mul_general(self, rhs: Number) -> Option<Number> {
        let ((ma, sa), (mb, sb)) = (self.parts(), rhs.parts());
        let exact_fits = sa + sb <= 28 && ma.checked_mul(mb).is_some_and(|p| p < TEN_POW_28);
        if exact_fits {
            return self.0.checked_mul(rhs.0).map(Number);
        }
        let product = Big::from_u128(ma).mul(&Big::from_u128(mb));
        let digits = product.digits();
        let point = digits.len() as i64 - i64::from(sa + sb);
        round_digits(
            self.is_negative() != rhs.is_negative(),
            &digits,
            point,
            false,
        )
    }

    /// `self / rhs`, correctly rounded (half to even) to 28 significant
    /// digits; `None` on division by zero or overflow.
    #[expect(
        clippy::should_implement_trait,
        reason = "checked arithmetic: the result is an Option, unlike the operator's"
    )]
    pub fn div(self, rhs: Number) -> Option<Number> {
        if let Some(d) = fast::div(self.0, rhs.0) {
            return Some(Number(d));
        }
        self.div_general(rhs)
    }

    /// `self / rhs` without the fast path (every case).
    fn div_general(self, rhs: Number) -> Option<Number> {
        if rhs.is_zero() {
            return None;
        }
        let ((ma, sa), (mb, sb)) = (self.parts(), rhs.parts());
        let (digits, point, rem) = divide_u128(ma, mb);
        let point = point + i64::from(sb) - i64::from(sa);
        round_digits(self.is_negative() != rhs.is_negative(), &digits, point, rem)
    }

    /// `-self`.
    #[expect(
        clippy::should_implement_trait,
        reason = "checked arithmetic: the result is an Option, unlike the operator's"
    )]
    pub fn neg(self) -> Number {
        Number(-self.0)
    }

    /// `self ** rhs`, correct to the last digit; `None` when undefined (`0 **
    /// -1`, a negative base with a fractional exponent) or out of range.
    pub fn pow(self, rhs: Number) -> Option<Number> {
        if rhs.0.scale() == 0 && !rhs.0.is_sign_negative() {
            if let Some(d) = u32::try_from(rhs.0.mantissa())
                .ok()
                .filter(|&n| n > 0)
                .and_then(|n| fast::pow(self.0, n))
            {
                return Some(Number(d));
            }
        }
        self.pow_general(rhs)
    }

    /// `self ** rhs` without the fast path (every case).
    fn pow_general(self, rhs: Number) -> Option<Number> {
        if rhs.is_zero() {
            return Some(Number::ONE);
        }
        if self.is_zero() {
            return if rhs.is_negative() {
                None
            } else {
                Some(Number::ZERO)
            };
        }
        let neg = self.is_negative();
        if let Some(e) = rhs.to_i64() {
            let n = e.unsigned_abs();
            let odd = n % 2 == 1;
            // Exact big-integer powers while the digits stay few (a mantissa
            // has at most 29 digits).
            if n <= 100 {
                let (digits, point, rem) = exact_power(self.parts(), n, e < 0);
                return round_digits(neg && odd, &digits, point, rem);
            }
            let r = self.abs().pow_fixed(rhs)?;
            return Some(if neg && odd { r.neg() } else { r });
        }
        if neg {
            return None;
        }
        self.pow_fixed(rhs)
    }

    /// `self ** rhs` for a positive base, as e^(rhs·ln self).
    fn pow_fixed(self, rhs: Number) -> Option<Number> {
        // Far out of range (|rhs·ln self| well above the 70 at which
        // `exp_fixed` gives up) is told from doubles, before the wide
        // logarithm, which costs about 0.1 ms: `x ** 9980` in a loop.
        let base = self.to_f64();
        let estimate = rhs.to_f64() * base.ln();
        if estimate > 80.0 {
            return None;
        }
        if estimate < -80.0 {
            return Some(Number::ZERO);
        }
        let t = wide::ln(&self.to_fixed(), base).mul(&rhs.to_fixed());
        Number::exp_fixed(&t)
    }

    fn exp_fixed(t: &Fixed) -> Option<Number> {
        if t.exceeds(70) {
            return if t.neg { Some(Number::ZERO) } else { None };
        }
        Number::from_fixed(&wide::exp(t))
    }

    /// e^self, correct to the last digit; `None` when too large.
    pub fn exp(self) -> Option<Number> {
        Number::exp_fixed(&self.to_fixed())
    }

    /// The natural logarithm, correct to the last digit; `None` unless
    /// `self > 0`.
    pub fn ln(self) -> Option<Number> {
        if self.is_negative() || self.is_zero() {
            return None;
        }
        if self.compare(Number::ONE).is_eq() {
            return Some(Number::ZERO);
        }
        Number::from_fixed(&wide::ln(&self.to_fixed(), self.to_f64()))
    }

    /// The square root, correctly rounded; `None` for negative numbers.
    pub fn sqrt(self) -> Option<Number> {
        if self.is_negative() {
            return None;
        }
        if self.is_zero() {
            return Some(Number::ZERO);
        }
        Number::from_fixed(&wide::sqrt(&self.to_fixed(), self.to_f64()))
    }

    /// Rounds to `scale` digits after the point (a negative scale rounds to
    /// tens, hundreds, …) in the given mode. `None` if the result does not fit.
    pub fn round(self, scale: i64, mode: Rounding) -> Option<Number> {
        let (m, s) = self.parts();
        if scale >= i64::from(s) {
            return Some(self);
        }
        let digits = m.to_string().into_bytes();
        let point = digits.len() as i64 - i64::from(s);
        round_at(
            self.is_negative(),
            &digits,
            point,
            scale.max(-100),
            mode,
            false,
        )
        .map(Number::normalized)
    }

    /// `modulo(self, divisor)`: the remainder whose sign is the divisor's
    /// (DMN 1.5 §10.3.4.5: `dividend - divisor * floor(dividend / divisor)`).
    /// `None` for a zero divisor.
    pub fn modulo(self, divisor: Number) -> Option<Number> {
        if divisor.is_zero() {
            return None;
        }
        let r = self.0.checked_rem(divisor.0)?;
        if r.is_zero() || r.is_sign_negative() == divisor.0.is_sign_negative() {
            Some(Number(r).normalized())
        } else {
            r.checked_add(divisor.0).map(|d| Number(d).normalized())
        }
    }

    /// The absolute value.
    pub fn abs(self) -> Number {
        Number(self.0.abs())
    }

    /// Compares numerically (`1.0` equals `1`).
    pub fn compare(self, rhs: Number) -> Ordering {
        fast::compare(self.0, rhs.0).unwrap_or_else(|| self.0.cmp(&rhs.0))
    }
}

/// Long division of two mantissas (below 2^96, `b` non-zero): 30 significant
/// digits of `a / b`, the point's position among them, and whether a
/// remainder was left. All in `u128`: the remainder stays below `b`, so ten
/// times it cannot overflow.
fn divide_u128(a: u128, b: u128) -> (Vec<u8>, i64, bool) {
    let q = a / b;
    let mut r = a % b;
    let mut digits: Vec<u8> = if q == 0 {
        Vec::new()
    } else {
        q.to_string().into_bytes()
    };
    let point = digits.len() as i64;
    let mut significant = digits.len();
    while significant < 30 && r != 0 {
        r *= 10;
        let d = (r / b) as u8;
        r %= b;
        if d != 0 || significant > 0 {
            significant += 1;
        }
        digits.push(b'0' + d);
    }
    (digits, point, r != 0)
}

/// `(mantissa × 10^-scale)^±n` exactly, as digits, the point position and
/// whether a remainder was left (for negative powers).
fn exact_power((m, s): (u128, u32), n: u64, negative: bool) -> (Vec<u8>, i64, bool) {
    let mut power = Big::from_u128(1);
    let mut base = Big::from_u128(m);
    let mut k = n;
    while k > 0 {
        if k & 1 == 1 {
            power = power.mul(&base);
        }
        k >>= 1;
        if k > 0 {
            base = base.mul(&base);
        }
    }
    let shift = i64::from(s) * n as i64;
    if negative {
        let (digits, point, rem) = wide::divide(&Big::from_u128(1), &power, 30);
        (digits, point + shift, rem)
    } else {
        let digits = power.digits();
        let point = digits.len() as i64 - shift;
        (digits, point, false)
    }
}

/// How [`Number::round`] treats the digits it drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// To the nearest, ties to the even neighbour (`decimal`).
    HalfEven,
    /// To the nearest, ties away from zero (`round half up`).
    HalfUp,
    /// To the nearest, ties toward zero (`round half down`).
    HalfDown,
    /// Away from zero (`round up`).
    Up,
    /// Toward zero (`round down`).
    Down,
    /// Toward negative infinity (`floor`).
    Floor,
    /// Toward positive infinity (`ceiling`).
    Ceiling,
}

/// The number `±0.d₁d₂d₃… × 10^point` (ASCII digits, `sticky` meaning more
/// non-zero digits follow) rounded half to even to what the type holds: 28
/// significant digits and at most 28 decimal places. `None` if too large.
fn round_digits(neg: bool, digits: &[u8], point: i64, sticky: bool) -> Option<Number> {
    let lead = digits.iter().take_while(|&&d| d == b'0').count();
    let digits = &digits[lead..];
    let point = point - lead as i64;
    if digits.is_empty() {
        return Some(Number::ZERO);
    }
    let frac = (28 - point).min(28);
    round_at(neg, digits, point, frac, Rounding::HalfEven, sticky).map(Number::normalized)
}

/// Keeps `frac` digits after the point of `±0.d₁d₂… × 10^point`, rounding the
/// rest away in `mode`.
fn round_at(
    neg: bool,
    digits: &[u8],
    point: i64,
    frac: i64,
    mode: Rounding,
    sticky: bool,
) -> Option<Number> {
    let keep = point + frac;
    let (kept, dropped): (&[u8], &[u8]) = if keep <= 0 {
        (&[], digits)
    } else {
        digits.split_at((keep as usize).min(digits.len()))
    };
    // The first dropped digit is an implied zero when rounding above the
    // leading digit.
    let (first, rest) = if keep < 0 {
        (0, dropped)
    } else {
        dropped
            .split_first()
            .map_or((0, &[][..]), |(d, r)| (d - b'0', r))
    };
    let rest_nonzero = sticky || rest.iter().any(|&d| d != b'0');
    let any_dropped = first != 0 || rest_nonzero;
    let last_odd = kept.last().is_some_and(|d| (d - b'0') % 2 == 1);
    let up = match mode {
        Rounding::HalfEven => first > 5 || (first == 5 && (rest_nonzero || last_odd)),
        Rounding::HalfUp => first >= 5,
        Rounding::HalfDown => first > 5 || (first == 5 && rest_nonzero),
        Rounding::Up => any_dropped,
        Rounding::Down => false,
        Rounding::Floor => neg && any_dropped,
        Rounding::Ceiling => !neg && any_dropped,
    };
    let mut mantissa: u128 = 0;
    for &d in kept {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(u128::from(d - b'0'))?;
    }
    // Zeros beyond the given digits (a short integer kept at a fine scale).
    for _ in kept.len() as i64..keep.max(0) {
        mantissa = mantissa.checked_mul(10)?;
    }
    if up {
        mantissa += 1;
    }
    let scale = if frac < 0 {
        for _ in 0..(-frac) {
            mantissa = mantissa.checked_mul(10)?;
        }
        0
    } else {
        frac as u32
    };
    let m = i128::try_from(mantissa).ok()?;
    let d = Decimal::try_from_i128_with_scale(if neg { -m } else { m }, scale).ok()?;
    Some(Number(d))
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
mod tests;
