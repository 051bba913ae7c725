//! Wide arithmetic behind [`Number`](super::Number): exact big integers and a
//! 72-digit fixed point, so that division, square roots, logarithms and powers
//! come out correct to the last digit a number holds (rust_decimal's own maths
//! functions are fast but not always exact to 28 digits).
//!
//! Everything here is private to the number module and works on magnitudes;
//! nothing allocates more than a few dozen limbs for any input a `Number` can
//! hold.

use std::cmp::Ordering;

/// One limb holds nine decimal digits.
const BASE: u64 = 1_000_000_000;
const LIMB_DIGITS: usize = 9;

/// An unsigned integer in base 10⁹, least significant limb first, with no
/// leading zero limbs (zero is the empty vector).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Big(Vec<u32>);

impl Big {
    pub(super) fn zero() -> Big {
        Big(Vec::new())
    }

    pub(super) fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v > 0 {
            limbs.push((v % u128::from(BASE)) as u32);
            v /= u128::from(BASE);
        }
        Big(limbs)
    }

    pub(super) fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn trim(mut self) -> Big {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
        self
    }

    pub(super) fn cmp(&self, other: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    pub(super) fn add(&self, other: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len().max(other.0.len()) + 1);
        let mut carry = 0u64;
        for i in 0..self.0.len().max(other.0.len()) {
            let s = u64::from(*self.0.get(i).unwrap_or(&0))
                + u64::from(*other.0.get(i).unwrap_or(&0))
                + carry;
            out.push((s % BASE) as u32);
            carry = s / BASE;
        }
        if carry > 0 {
            out.push(carry as u32);
        }
        Big(out)
    }

    /// `self - other`; the caller guarantees `self >= other`.
    pub(super) fn sub(&self, other: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let mut d = i64::from(self.0[i]) - i64::from(*other.0.get(i).unwrap_or(&0)) - borrow;
            borrow = 0;
            if d < 0 {
                d += BASE as i64;
                borrow = 1;
            }
            out.push(d as u32);
        }
        Big(out).trim()
    }

    pub(super) fn mul(&self, other: &Big) -> Big {
        if self.is_zero() || other.is_zero() {
            return Big::zero();
        }
        let mut acc = vec![0u64; self.0.len() + other.0.len() + 1];
        for (i, &a) in self.0.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.0.iter().enumerate() {
                let t = acc[i + j] + u64::from(a) * u64::from(b) + carry;
                acc[i + j] = t % BASE;
                carry = t / BASE;
            }
            let mut k = i + other.0.len();
            while carry > 0 {
                let t = acc[k] + carry;
                acc[k] = t % BASE;
                carry = t / BASE;
                k += 1;
            }
        }
        Big(acc.into_iter().map(|l| l as u32).collect()).trim()
    }

    /// `self * m` for `m < 10⁹`.
    pub(super) fn mul_small(&self, m: u32) -> Big {
        let mut out = Vec::with_capacity(self.0.len() + 1);
        let mut carry = 0u64;
        for &l in &self.0 {
            let t = u64::from(l) * u64::from(m) + carry;
            out.push((t % BASE) as u32);
            carry = t / BASE;
        }
        if carry > 0 {
            out.push(carry as u32);
        }
        Big(out).trim()
    }

    /// `self / d` (truncating) for `0 < d < 10⁹`.
    pub(super) fn div_small(&self, d: u32) -> Big {
        let mut out = vec![0u32; self.0.len()];
        let mut rem = 0u64;
        for i in (0..self.0.len()).rev() {
            let cur = rem * BASE + u64::from(self.0[i]);
            out[i] = (cur / u64::from(d)) as u32;
            rem = cur % u64::from(d);
        }
        Big(out).trim()
    }

    /// `self * 10^k`.
    pub(super) fn shl10(&self, k: usize) -> Big {
        if self.is_zero() {
            return Big::zero();
        }
        let mut limbs = vec![0u32; k / LIMB_DIGITS];
        limbs.extend_from_slice(&self.0);
        Big(limbs).mul_small(10u32.pow((k % LIMB_DIGITS) as u32))
    }

    /// `self / 10^(9 * n)`, truncating.
    fn shr_limbs(&self, n: usize) -> Big {
        Big(self.0.get(n..).map(<[u32]>::to_vec).unwrap_or_default())
    }

    /// The decimal digits, most significant first (`"0"` for zero).
    pub(super) fn digits(&self) -> Vec<u8> {
        let Some((top, rest)) = self.0.split_last() else {
            return vec![b'0'];
        };
        let mut s = top.to_string();
        for l in rest.iter().rev() {
            s.push_str(&format!("{l:09}"));
        }
        s.into_bytes()
    }
}

/// Long division of `num` by `den` (non-zero): the decimal digits of the
/// quotient, the position of the decimal point within them (the count of
/// integer digits, possibly negative or beyond the digits), and whether a
/// remainder was left. Produces at least `sig` significant digits.
pub(super) fn divide(num: &Big, den: &Big, sig: usize) -> (Vec<u8>, i64, bool) {
    let num_digits = num.digits();
    let mut quotient = Vec::new();
    let mut rem = Big::zero();
    let mut significant = 0usize;
    let mut produced = 0usize;
    loop {
        let next = num_digits.get(produced).map_or(0, |d| d - b'0');
        if produced >= num_digits.len() && (significant >= sig || rem.is_zero()) {
            break;
        }
        rem = rem.mul_small(10).add(&Big::from_u128(u128::from(next)));
        let mut q = 0u8;
        while rem.cmp(den) != Ordering::Less {
            rem = rem.sub(den);
            q += 1;
        }
        if q > 0 || significant > 0 {
            significant += 1;
        }
        quotient.push(b'0' + q);
        produced += 1;
    }
    let point = num_digits.len() as i64;
    (quotient, point, !rem.is_zero())
}

/// Digits after the point in [`Fixed`].
pub(super) const FRAC_DIGITS: usize = 72;
const FRAC_LIMBS: usize = FRAC_DIGITS / LIMB_DIGITS;

/// A signed fixed-point number with [`FRAC_DIGITS`] digits after the point.
#[derive(Clone, Debug)]
pub(super) struct Fixed {
    pub(super) neg: bool,
    /// The value times 10^72.
    pub(super) mag: Big,
}

impl Fixed {
    /// `±mantissa × 10^-scale` exactly (`scale` ≤ 72).
    pub(super) fn from_parts(neg: bool, mantissa: u128, scale: u32) -> Fixed {
        Fixed {
            neg,
            mag: Big::from_u128(mantissa).shl10(FRAC_DIGITS - scale as usize),
        }
        .fix_zero()
    }

    pub(super) fn one() -> Fixed {
        Fixed::from_parts(false, 1, 0)
    }

    fn fix_zero(mut self) -> Fixed {
        if self.mag.is_zero() {
            self.neg = false;
        }
        self
    }

    pub(super) fn neg(mut self) -> Fixed {
        self.neg = !self.neg;
        self.fix_zero()
    }

    pub(super) fn add(&self, other: &Fixed) -> Fixed {
        if self.neg == other.neg {
            return Fixed {
                neg: self.neg,
                mag: self.mag.add(&other.mag),
            };
        }
        match self.mag.cmp(&other.mag) {
            Ordering::Less => Fixed {
                neg: other.neg,
                mag: other.mag.sub(&self.mag),
            },
            _ => Fixed {
                neg: self.neg,
                mag: self.mag.sub(&other.mag),
            }
            .fix_zero(),
        }
    }

    pub(super) fn sub(&self, other: &Fixed) -> Fixed {
        self.add(&other.clone().neg())
    }

    pub(super) fn mul(&self, other: &Fixed) -> Fixed {
        Fixed {
            neg: self.neg != other.neg,
            mag: self.mag.mul(&other.mag).shr_limbs(FRAC_LIMBS),
        }
        .fix_zero()
    }

    pub(super) fn div_small(&self, d: u32) -> Fixed {
        Fixed {
            neg: self.neg,
            mag: self.mag.div_small(d),
        }
        .fix_zero()
    }

    /// Whether |self| > `limit` (a small whole number).
    pub(super) fn exceeds(&self, limit: u32) -> bool {
        self.mag
            .cmp(&Big::from_u128(u128::from(limit)).shl10(FRAC_DIGITS))
            == Ordering::Greater
    }

    /// The value's digits and the position of the point within them.
    pub(super) fn digits(&self) -> (Vec<u8>, i64) {
        let d = self.mag.digits();
        let point = d.len() as i64 - FRAC_DIGITS as i64;
        (d, point)
    }

    /// A fixed-point approximation of a float (exact binary value, truncated).
    pub(super) fn from_f64(f: f64) -> Fixed {
        // 40 significant digits are plenty for a starting guess.
        let s = format!("{:.40e}", f.abs());
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i64 = exp.parse().unwrap_or(0);
        let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
        // value = 0.d1d2… × 10^(exp + 1)
        let shift = FRAC_DIGITS as i64 + exp + 1 - digits.len() as i64;
        let mut mag = Big::zero();
        for d in &digits {
            mag = mag.mul_small(10).add(&Big::from_u128(u128::from(d - b'0')));
        }
        let mag = if shift >= 0 {
            mag.shl10(shift as usize)
        } else {
            let mut m = mag;
            for _ in 0..(-shift) {
                m = m.div_small(10);
            }
            m
        };
        Fixed { neg: f < 0.0, mag }.fix_zero()
    }
}

/// e^x for |x| ≤ 70: halve the argument twenty times, sum the Taylor series,
/// square back.
pub(super) fn exp(x: &Fixed) -> Fixed {
    const HALVINGS: u32 = 20;
    let r = x.div_small(1 << HALVINGS);
    let mut sum = Fixed::one();
    let mut term = Fixed::one();
    for k in 1..40u32 {
        term = term.mul(&r).div_small(k);
        if term.mag.is_zero() {
            break;
        }
        sum = sum.add(&term);
    }
    for _ in 0..HALVINGS {
        sum = sum.mul(&sum);
    }
    sum
}

/// ln x for x > 0 (given as a fixed-point value and a float approximation),
/// by Newton's method on e^y = x: y ← y + x·e^(−y) − 1.
pub(super) fn ln(x: &Fixed, approx: f64) -> Fixed {
    let mut y = Fixed::from_f64(approx.ln());
    let one = Fixed::one();
    for _ in 0..4 {
        let e = exp(&y.clone().neg());
        y = y.add(&x.mul(&e)).sub(&one);
    }
    y
}

/// √x for x > 0, through the inverse square root y ← y(3 − x·y²)/2, which
/// needs no division.
pub(super) fn sqrt(x: &Fixed, approx: f64) -> Fixed {
    let mut y = Fixed::from_f64(1.0 / approx.sqrt());
    let three = Fixed::from_parts(false, 3, 0);
    for _ in 0..5 {
        let t = three.sub(&x.mul(&y.mul(&y)));
        y = y.mul(&t).div_small(2);
    }
    x.mul(&y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: &Fixed) -> String {
        let (d, point) = f.digits();
        let s = String::from_utf8(d).unwrap();
        let p = point.max(0) as usize;
        format!("{}.{}", if p == 0 { "0" } else { &s[..p] }, &s[p..p + 40])
    }

    #[test]
    fn big_integer_arithmetic() {
        let a = Big::from_u128(u128::MAX);
        let b = Big::from_u128(123_456_789_012_345_678_901);
        assert_eq!(
            String::from_utf8(a.mul(&b).digits()).unwrap(),
            "42010168377579896403460218461160783255736856600282500010955"
        );
        assert_eq!(a.add(&b).sub(&b), a);
        assert_eq!(Big::from_u128(1000).div_small(7), Big::from_u128(142));
        assert_eq!(Big::from_u128(5).shl10(20).digits().len(), 21);
    }

    #[test]
    fn long_division_reports_the_remainder() {
        let (q, point, rem) = divide(&Big::from_u128(1), &Big::from_u128(8), 28);
        assert_eq!(
            (String::from_utf8(q).unwrap().as_str(), point, rem),
            ("0125", 1, false)
        );
        let (q, _, rem) = divide(&Big::from_u128(2), &Big::from_u128(3), 5);
        assert_eq!(
            (String::from_utf8(q).unwrap().as_str(), rem),
            ("066666", true)
        );
    }

    #[test]
    fn exp_ln_and_sqrt_to_40_digits() {
        // Expected values from Python: decimal.getcontext().prec = 60;
        // Decimal(2).exp(), Decimal(2).ln(), Decimal(2).sqrt().
        let two = Fixed::from_parts(false, 2, 0);
        assert_eq!(
            text(&exp(&two)),
            "7.3890560989306502272304274605750078131803"
        );
        assert_eq!(
            text(&ln(&two, 2.0)),
            "0.6931471805599453094172321214581765680755"
        );
        assert_eq!(
            text(&sqrt(&two, 2.0)),
            "1.4142135623730950488016887242096980785696"
        );
    }
}
