//! Numeric functions (DMN 1.5 §10.3.4.5): `decimal`, `floor`, `ceiling`, the
//! `round …` family, `abs`, `modulo`, `sqrt`, `log`, `exp`, `odd`, `even`, and
//! Camunda's `random number`.
//!
//! All arithmetic goes through [`Number`]; a result the type cannot hold is
//! null with a warning.

use super::args::{integer, number, number_result, or_null, Out, Overload};
use super::ctx::Ctx;
use crate::error::WarningKind;
use crate::temporal::{DayTimeDuration, YearMonthDuration};
use crate::value::{Number, Rounding, Value};

pub(crate) const FUNCTIONS: &[Overload] = &[
    Overload::new("decimal", &["n", "scale"], decimal),
    Overload::new("decimal", &["n", "scale", "mode"], decimal_mode),
    Overload::new("floor", &["n"], floor),
    Overload::new("floor", &["n", "scale"], floor_scale),
    Overload::new("ceiling", &["n"], ceiling),
    Overload::new("ceiling", &["n", "scale"], ceiling_scale),
    Overload::new("round up", &["n", "scale"], round_up),
    Overload::new("round down", &["n", "scale"], round_down),
    Overload::new("round half up", &["n", "scale"], round_half_up),
    Overload::new("round half down", &["n", "scale"], round_half_down),
    Overload::new("abs", &["n"], abs),
    Overload::new("abs", &["number"], abs),
    Overload::new("modulo", &["dividend", "divisor"], modulo),
    Overload::new("sqrt", &["number"], sqrt),
    Overload::new("log", &["number"], log),
    Overload::new("exp", &["number"], exp),
    Overload::new("odd", &["number"], odd),
    Overload::new("even", &["number"], even),
    Overload::new("random number", &[], random_number),
];

/// The scale range DMN 1.5 allows (that of IEEE 754 decimal128).
const SCALE_RANGE: std::ops::RangeInclusive<i64> = -6111..=6176;

/// Rounds `n` (argument 0) to `scale` (argument 1, when given) in `mode`.
fn round(ctx: &mut Ctx<'_>, a: &[Value], mode: Rounding) -> Out {
    let n = or_null!(number(ctx, &a[0], "n"));
    let scale = match a.get(1) {
        Some(v) => or_null!(integer(ctx, v, "scale")),
        None => 0,
    };
    if !SCALE_RANGE.contains(&scale) {
        return Ok(ctx.null(
            WarningKind::InvalidValue,
            format!("`scale` must be between -6111 and 6176, not {scale}"),
        ));
    }
    let r = n.round(scale, mode);
    Ok(number_result(ctx, r, "the rounded value"))
}

/// `decimal(n, scale)`: `n` rounded half to even to `scale` decimal places.
fn decimal(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    round(ctx, a, Rounding::HalfEven)
}

/// `decimal(n, scale, mode)` (Camunda extension): `n` rounded to `scale`
/// decimal places in a `java.math.RoundingMode`, named in any case: `UP`,
/// `DOWN`, `CEILING`, `FLOOR`, `HALF_UP`, `HALF_DOWN`, `HALF_EVEN`, or
/// `UNNECESSARY` (null with a warning when digits would be dropped).
fn decimal_mode(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let mode = match &a[2] {
        Value::String(s) => s.to_ascii_uppercase(),
        other => return Ok(ctx.invalid_type("mode", "a rounding mode name", other)),
    };
    let rounding = match mode.as_str() {
        "UP" => Rounding::Up,
        "DOWN" | "UNNECESSARY" => Rounding::Down,
        "CEILING" => Rounding::Ceiling,
        "FLOOR" => Rounding::Floor,
        "HALF_UP" => Rounding::HalfUp,
        "HALF_DOWN" => Rounding::HalfDown,
        "HALF_EVEN" => Rounding::HalfEven,
        _ => {
            return Ok(ctx.null(
                WarningKind::InvalidValue,
                format!(
                    "`mode` \"{}\" is not a rounding mode (UP, DOWN, CEILING, FLOOR, \
                     HALF_UP, HALF_DOWN, HALF_EVEN, UNNECESSARY)",
                    a[2].as_str().unwrap_or_default()
                ),
            ))
        }
    };
    let rounded = round(ctx, a, rounding)?;
    if mode == "UNNECESSARY" {
        if let (Value::Number(r), Value::Number(n)) = (&rounded, &a[0]) {
            if r.compare(*n).is_ne() {
                return Ok(ctx.null(
                    WarningKind::InvalidValue,
                    format!(
                        "rounding {n} to scale {} is necessary (mode UNNECESSARY)",
                        a[1]
                    ),
                ));
            }
        }
    }
    Ok(rounded)
}

/// `floor(n)`: the greatest integer ≤ `n`.
fn floor(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    round(ctx, a, Rounding::Floor)
}

/// `floor(n, scale)`: rounded toward negative infinity at `scale`.
fn floor_scale(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    round(ctx, a, Rounding::Floor)
}

/// `ceiling(n)`: the least integer ≥ `n`.
fn ceiling(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    round(ctx, a, Rounding::Ceiling)
}

/// `ceiling(n, scale)`: rounded toward positive infinity at `scale`.
fn ceiling_scale(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    round(ctx, a, Rounding::Ceiling)
}

/// `round up(n, scale)`: rounded away from zero.
fn round_up(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    round(ctx, a, Rounding::Up)
}

/// `round down(n, scale)`: rounded toward zero.
fn round_down(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    round(ctx, a, Rounding::Down)
}

/// `round half up(n, scale)`: to the nearest, ties away from zero.
fn round_half_up(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    round(ctx, a, Rounding::HalfUp)
}

/// `round half down(n, scale)`: to the nearest, ties toward zero.
fn round_half_down(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    round(ctx, a, Rounding::HalfDown)
}

/// `abs(n)`: the absolute value of a number or of either kind of duration.
fn abs(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    Ok(match &a[0] {
        Value::Number(n) => Value::Number(n.abs()),
        Value::DayTimeDuration(d) => Value::DayTimeDuration(DayTimeDuration(d.0.saturating_abs())),
        Value::YearMonthDuration(d) => {
            Value::YearMonthDuration(YearMonthDuration(d.0.saturating_abs()))
        }
        other => ctx.invalid_type("n", "a number or a duration", other),
    })
}

/// `modulo(dividend, divisor)`: the remainder, with the divisor's sign.
fn modulo(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let dividend = or_null!(number(ctx, &a[0], "dividend"));
    let divisor = or_null!(number(ctx, &a[1], "divisor"));
    if divisor.is_zero() {
        return Ok(ctx.null(WarningKind::ArithmeticError, "`divisor` is zero"));
    }
    let r = dividend.modulo(divisor);
    Ok(number_result(ctx, r, "the remainder"))
}

/// `sqrt(number)`: the square root; null for negative numbers.
fn sqrt(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let n = or_null!(number(ctx, &a[0], "number"));
    if n.is_negative() {
        return Ok(ctx.null(
            WarningKind::InvalidValue,
            format!("`number` must not be negative, got {n}"),
        ));
    }
    Ok(number_result(ctx, n.sqrt(), "the square root"))
}

/// `log(number)`: the natural logarithm; null unless `number > 0`.
fn log(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let n = or_null!(number(ctx, &a[0], "number"));
    if n.is_negative() || n.is_zero() {
        return Ok(ctx.null(
            WarningKind::InvalidValue,
            format!("`number` must be greater than zero, got {n}"),
        ));
    }
    Ok(number_result(ctx, n.ln(), "the logarithm"))
}

/// `exp(number)`: e raised to `number`.
fn exp(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let n = or_null!(number(ctx, &a[0], "number"));
    Ok(number_result(ctx, n.exp(), "exp"))
}

/// Whether `number` is an odd (`want_odd`) or even integer.
fn parity(ctx: &mut Ctx<'_>, a: &[Value], want_odd: bool) -> Out {
    let n = or_null!(number(ctx, &a[0], "number"));
    if !n.is_integer() {
        return Ok(ctx.null(
            WarningKind::InvalidValue,
            format!("`number` must be an integer, got {n}"),
        ));
    }
    let two = Number::from(2);
    let odd = n.modulo(two).is_some_and(|r| !r.is_zero());
    Ok(Value::Boolean(odd == want_odd))
}

/// `odd(number)`: whether an integer is odd; null for fractions.
fn odd(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    parity(ctx, a, true)
}

/// `even(number)`: whether an integer is even; null for fractions.
fn even(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    parity(ctx, a, false)
}

/// `random number()`: a number in [0, 1) with 18 random digits (Camunda
/// extension). Not for cryptographic use.
fn random_number(_ctx: &mut Ctx<'_>, _a: &[Value]) -> Out {
    let r = super::string::random_u64() % 1_000_000_000_000_000_000;
    let n = Number::from(r as i64).div(Number::from(1_000_000_000_000_000_000i64));
    Ok(n.map_or(Value::Null, Value::Number))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::value::Value;

    #[test]
    fn rounding_functions_follow_the_spec_examples() {
        assert_text("decimal", &[n("1.5"), n("0")], "2");
        assert_text("decimal", &[n("2.5"), n("0")], "2");
        assert_text("decimal", &[n("0.515"), n("2")], "0.52");
        assert_text("decimal", &[n("0.3333"), n("2.5")], "0.33");
        assert_text("floor", &[n("-1.5")], "-2");
        assert_text("floor", &[n("-1.56"), n("1")], "-1.6");
        assert_text("ceiling", &[n("-1.5")], "-1");
        assert_text("ceiling", &[n("1.56"), n("1")], "1.6");
        assert_text("round up", &[n("-5.5"), n("0")], "-6");
        assert_text("round up", &[n("1.121"), n("2")], "1.13");
        assert_text("round down", &[n("-5.5"), n("0")], "-5");
        assert_text("round down", &[n("1.126"), n("2")], "1.12");
        assert_text("round half up", &[n("-5.5"), n("0")], "-6");
        assert_text("round half up", &[n("1.125"), n("2")], "1.13");
        assert_text("round half down", &[n("-5.5"), n("0")], "-5");
        assert_text("round half down", &[n("1.126"), n("2")], "1.13");
        assert_null("decimal", &[n("1"), n("7000")]);
        assert_null("floor", &[s("1.5")]);
        assert_null("floor", &[n("1.5"), Value::Null]);
    }

    #[test]
    fn abs_modulo_and_parity() {
        assert_text("abs", &[n("-10.5")], "10.5");
        assert_null("abs", &[s("-1")]);
        assert_text("modulo", &[n("-12"), n("5")], "3");
        assert_text("modulo", &[n("10.1"), n("-4.5")], "-3.4");
        assert_null("modulo", &[n("10"), n("0")]);
        assert_text("odd", &[n("-1")], "true");
        assert_text("odd", &[n("0")], "false");
        assert_text("even", &[n("-2")], "true");
        assert_null("even", &[n("1.5")]);
        assert_null("odd", &[Value::Boolean(true)]);
    }

    #[test]
    fn sqrt_log_exp() {
        assert_text("sqrt", &[n("16")], "4");
        assert_null("sqrt", &[n("-1")]);
        // Python decimal, prec 60: Decimal(4).ln(), Decimal(4).exp(), rounded
        // to 28 significant digits.
        assert_text("log", &[n("4")], "1.386294361119890618834464243");
        assert_text("exp", &[n("4")], "54.5981500331442390781102612");
        assert_null("log", &[n("0")]);
        assert_null("exp", &[n("1000")]);
    }

    #[test]
    fn random_number_is_in_the_unit_interval() {
        for _ in 0..20 {
            let Value::Number(r) = call("random number", &[]) else {
                panic!("not a number");
            };
            assert!(!r.is_negative() && r.compare(crate::value::Number::ONE).is_lt());
        }
        assert_ne!(call("random number", &[]), call("random number", &[]));
    }
}
