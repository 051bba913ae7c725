//! Fast paths for the common numbers: mantissas that fit in an `i128` with
//! room to spare and results that are exact. Each function returns `None`
//! when its case is not the easy one, and the caller then takes the general
//! path (`super`), which handles every case. Where a fast path answers, its
//! answer is the general path's, digit for digit and scale for scale (the
//! unit tests and a property test in `tests.rs` hold them to that).

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::TEN_POW_28;

/// Powers of ten that fit in an `i128` with a 96-bit factor to spare.
const POW10: [i128; 19] = {
    let mut table = [1i128; 19];
    let mut i = 1;
    while i < 19 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// The signed mantissa and the scale: `d = mantissa × 10^-scale`.
#[inline]
fn parts(d: Decimal) -> (i128, u32) {
    (d.mantissa(), d.scale())
}

/// `m × 10^-scale` when it fits what a number holds (28 digits, scale ≤ 28).
#[inline]
fn make(m: i128, scale: u32) -> Option<Decimal> {
    if m.unsigned_abs() < TEN_POW_28 && scale <= 28 {
        Some(Decimal::from_i128_with_scale(m, scale))
    } else {
        None
    }
}

/// Both mantissas at the larger scale, if that needs at most 18 more digits.
#[inline]
fn aligned(a: Decimal, b: Decimal) -> Option<(i128, i128, u32)> {
    let ((ma, sa), (mb, sb)) = (parts(a), parts(b));
    match sa.cmp(&sb) {
        Ordering::Equal => Some((ma, mb, sa)),
        Ordering::Less => Some((ma.checked_mul(*POW10.get((sb - sa) as usize)?)?, mb, sb)),
        Ordering::Greater => Some((ma, mb.checked_mul(*POW10.get((sa - sb) as usize)?)?, sa)),
    }
}

/// `a + b` when exact in 28 digits and neither the operands nor the sum are
/// zero (the general path decides the scale of those).
#[inline]
pub(super) fn add(a: Decimal, b: Decimal) -> Option<Decimal> {
    if a.is_zero() || b.is_zero() {
        return None;
    }
    let (x, y, scale) = aligned(a, b)?;
    // Aligned operands the decimal type holds exactly are added exactly by
    // it too, at the larger scale: the general path's answer.
    if x.unsigned_abs() >= TEN_POW_28 || y.unsigned_abs() >= TEN_POW_28 {
        return None;
    }
    let sum = x + y;
    if sum == 0 {
        return None;
    }
    make(sum, scale)
}

/// `a × b` when the exact product has at most 28 digits and 28 decimals,
/// and neither factor is zero.
#[inline]
pub(super) fn mul(a: Decimal, b: Decimal) -> Option<Decimal> {
    let ((ma, sa), (mb, sb)) = (parts(a), parts(b));
    let (ua, ub) = (ma.unsigned_abs(), mb.unsigned_abs());
    if ua == 0 || ub == 0 || ua > u128::from(u64::MAX) || ub > u128::from(u64::MAX) {
        return None;
    }
    // One widening multiplication: both factors fit in 64 bits.
    let product = ua * ub;
    if product >= TEN_POW_28 {
        return None;
    }
    let m = product as i128;
    make(if (ma < 0) != (mb < 0) { -m } else { m }, sa + sb)
}

/// `a / b` when the quotient is exact (the division ends) in 28 digits; the
/// result is normalized, as the general path's is.
#[inline]
pub(super) fn div(a: Decimal, b: Decimal) -> Option<Decimal> {
    let ((ma, sa), (mb, sb)) = (parts(a), parts(b));
    if ma == 0 || mb == 0 {
        return None;
    }
    let (ua, ub) = (ma.unsigned_abs(), mb.unsigned_abs());
    let mut q = ua / ub;
    let mut r = ua % ub;
    let mut scale = i64::from(sa) - i64::from(sb);
    // Long division, one decimal at a time, while the quotient stays short.
    while r != 0 {
        if q >= TEN_POW_28 / 10 || scale >= 28 {
            return None;
        }
        r *= 10;
        q = q * 10 + r / ub;
        r %= ub;
        scale += 1;
    }
    while scale < 0 {
        q = q.checked_mul(10)?;
        scale += 1;
    }
    while scale > 0 && q % 10 == 0 {
        q /= 10;
        scale -= 1;
    }
    let q = i128::try_from(q).ok()?;
    let neg = (ma < 0) != (mb < 0);
    make(if neg { -q } else { q }, u32::try_from(scale).ok()?)
}

/// `a ** n` for a small whole exponent when the exact power has at most 28
/// digits and 28 decimals; normalized, as the general path's result is.
#[inline]
pub(super) fn pow(a: Decimal, n: u32) -> Option<Decimal> {
    let (m, s) = parts(a);
    if m == 0 || n > 64 {
        return None;
    }
    let mut power: i128 = 1;
    for _ in 0..n {
        power = power.checked_mul(m)?;
        if power.unsigned_abs() >= TEN_POW_28 {
            return None;
        }
    }
    let mut scale = s.checked_mul(n)?;
    while scale > 0 && power % 10 == 0 {
        power /= 10;
        scale -= 1;
    }
    make(power, scale)
}

/// The numeric order of `a` and `b` when their scales can be aligned in an
/// `i128`.
#[inline]
pub(super) fn compare(a: Decimal, b: Decimal) -> Option<Ordering> {
    let (x, y, _) = aligned(a, b)?;
    Some(x.cmp(&y))
}

/// `Some(Some(i))` if `a` is the whole number `i`, `Some(None)` if it is not
/// a whole number or out of range, `None` when the scale is too large to
/// tell cheaply.
#[inline]
pub(super) fn to_i64(a: Decimal) -> Option<Option<i64>> {
    let (m, s) = parts(a);
    let p = *POW10.get(s as usize)?;
    Some(if m % p == 0 {
        i64::try_from(m / p).ok()
    } else {
        None
    })
}

/// The whole part of `a` as an `i64`, when its scale is small and it fits.
#[inline]
pub(super) fn trunc_i64(a: Decimal) -> Option<i64> {
    let (m, s) = parts(a);
    // Whole numbers (the usual positions and lengths) need no division, and
    // a mantissa in i64 range no 128-bit one.
    if s == 0 {
        return i64::try_from(m).ok();
    }
    let p = *POW10.get(s as usize)?;
    match (i64::try_from(m), i64::try_from(p)) {
        (Ok(m), Ok(p)) => Some(m / p),
        _ => i64::try_from(m / p).ok(),
    }
}

/// The numeral `int.frac` (ASCII digits) when it has at most 28 digits and
/// 28 decimals, normalized (no trailing zeros after the point), as the
/// general path makes it.
#[inline]
pub(super) fn decimal(neg: bool, int: &str, frac: &str) -> Option<Decimal> {
    let frac = frac.trim_end_matches('0');
    if int.len() + frac.len() > 28 {
        return None;
    }
    let mut m: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        m = m * 10 + i128::from(b - b'0');
    }
    make(if neg { -m } else { m }, u32::try_from(frac.len()).ok()?)
}
