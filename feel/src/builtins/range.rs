//! Range functions (DMN 1.5 §10.3.4.9): `before`, `after`, `meets`, `met by`,
//! `overlaps`, `overlaps before`, `overlaps after`, `finishes`, `finished by`,
//! `includes`, `during`, `starts`, `started by`, `coincides`, and the
//! conversion `range(from)`.
//!
//! Each function follows the spec's definition over points and ranges
//! literally. A missing bound (`< 10` has no start) behaves as an infinity
//! that no point equals. Points compare with FEEL ordering; values that cannot
//! be compared make the result null with a warning.

use std::cmp::Ordering;
use std::sync::Arc;

use super::args::{or_null, string, Out, Overload};
use super::ctx::Ctx;
use crate::error::WarningKind;
use crate::value::{Bound, Brief, Number, Range, Value, ValueKind};

pub(crate) const FUNCTIONS: &[Overload] = &[
    Overload::new("before", &["point1", "point2"], before),
    Overload::new("before", &["point", "range"], before),
    Overload::new("before", &["range", "point"], before),
    Overload::new("before", &["range1", "range2"], before),
    Overload::new("after", &["point1", "point2"], after),
    Overload::new("after", &["point", "range"], after),
    Overload::new("after", &["range", "point"], after),
    Overload::new("after", &["range1", "range2"], after),
    Overload::new("meets", &["range1", "range2"], meets),
    Overload::new("met by", &["range1", "range2"], met_by),
    Overload::new("overlaps", &["range1", "range2"], overlaps),
    Overload::new("overlaps before", &["range1", "range2"], overlaps_before),
    Overload::new("overlaps after", &["range1", "range2"], overlaps_after),
    Overload::new("finishes", &["point", "range"], finishes),
    Overload::new("finishes", &["range1", "range2"], finishes),
    Overload::new("finished by", &["range", "point"], finished_by),
    Overload::new("finished by", &["range1", "range2"], finished_by),
    Overload::new("includes", &["range", "point"], includes),
    Overload::new("includes", &["range1", "range2"], includes),
    Overload::new("during", &["point", "range"], during),
    Overload::new("during", &["range1", "range2"], during),
    Overload::new("starts", &["point", "range"], starts),
    Overload::new("starts", &["range1", "range2"], starts),
    Overload::new("started by", &["range", "point"], started_by),
    Overload::new("started by", &["range1", "range2"], started_by),
    Overload::new("coincides", &["point1", "point2"], coincides),
    Overload::new("coincides", &["range1", "range2"], coincides),
    Overload::new("range", &["from"], range_from),
];

/// One end of a range as the definitions use it: a value, or an infinity.
#[derive(Clone, Copy)]
enum End<'v> {
    NegInf,
    At(&'v Value),
    PosInf,
}

/// A range viewed through its ends (a point is the closed range `[p..p]`
/// only where the spec says so; the point forms are written out below).
struct R<'v> {
    start: End<'v>,
    start_in: bool,
    end: End<'v>,
    end_in: bool,
}

impl<'v> R<'v> {
    fn of(r: &'v Range) -> R<'v> {
        let end = |b: &'v Bound, inf: End<'v>| match b {
            Bound::Included(v) | Bound::Excluded(v) => End::At(v),
            Bound::Unbounded => inf,
        };
        R {
            start: end(&r.start, End::NegInf),
            start_in: r.start.is_included(),
            end: end(&r.end, End::PosInf),
            end_in: r.end.is_included(),
        }
    }
}

/// Why a comparison failed: the two values.
struct Incomparable(String);

fn cmp(a: End<'_>, b: End<'_>) -> Result<Ordering, Incomparable> {
    match (a, b) {
        (End::NegInf, End::NegInf) | (End::PosInf, End::PosInf) => Ok(Ordering::Equal),
        (End::NegInf, _) | (_, End::PosInf) => Ok(Ordering::Less),
        (_, End::NegInf) | (End::PosInf, _) => Ok(Ordering::Greater),
        (End::At(x), End::At(y)) => x
            .feel_cmp(y)
            .ok_or_else(|| Incomparable(format!("cannot compare {} with {}", Brief(x), Brief(y)))),
    }
}

type B = Result<bool, Incomparable>;

fn lt(a: End<'_>, b: End<'_>) -> B {
    Ok(cmp(a, b)? == Ordering::Less)
}

fn gt(a: End<'_>, b: End<'_>) -> B {
    Ok(cmp(a, b)? == Ordering::Greater)
}

/// Equality of ends: an infinity equals only the same infinity.
fn eq(a: End<'_>, b: End<'_>) -> B {
    Ok(cmp(a, b)? == Ordering::Equal)
}

/// The two arguments, each a point or a range.
enum Args<'v> {
    Points(End<'v>, End<'v>),
    PointRange(End<'v>, R<'v>),
    RangePoint(R<'v>, End<'v>),
    Ranges(R<'v>, R<'v>),
}

fn args<'v>(ctx: &mut Ctx<'_>, a: &'v [Value]) -> Option<Args<'v>> {
    for (i, v) in a.iter().enumerate() {
        if v.is_null() {
            let which = if i == 0 { "first" } else { "second" };
            ctx.null(
                WarningKind::InvalidType,
                format!("the {which} argument must be a point or a range, not null"),
            );
            return None;
        }
    }
    Some(match (&a[0], &a[1]) {
        (Value::Range(x), Value::Range(y)) => Args::Ranges(R::of(x), R::of(y)),
        (Value::Range(x), p) => Args::RangePoint(R::of(x), End::At(p)),
        (p, Value::Range(y)) => Args::PointRange(End::At(p), R::of(y)),
        (p, q) => Args::Points(End::At(p), End::At(q)),
    })
}

/// Evaluates a definition, turning an incomparable pair into a warning.
fn answer(ctx: &mut Ctx<'_>, r: Option<B>) -> Out {
    Ok(match r {
        Some(Ok(b)) => Value::Boolean(b),
        Some(Err(Incomparable(msg))) => ctx.null(WarningKind::NotComparable, msg),
        None => ctx.null(
            WarningKind::InvalidType,
            "this combination of points and ranges is not defined",
        ),
    })
}

/// Runs `f` over the arguments; `f` returns `None` for combinations the
/// function does not define.
fn run(ctx: &mut Ctx<'_>, a: &[Value], f: impl FnOnce(Args<'_>) -> Option<B>) -> Out {
    let parsed = or_null!(args(ctx, a));
    let r = f(parsed);
    answer(ctx, r)
}

/// `before(a, b)`: `a` lies entirely before `b`.
fn before(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    run(ctx, a, |args| {
        Some(match args {
            Args::Points(p, q) => lt(p, q),
            Args::PointRange(p, r) => {
                (|| Ok(lt(p, r.start)? || (eq(p, r.start)? && !r.start_in)))()
            }
            Args::RangePoint(r, p) => (|| Ok(lt(r.end, p)? || (eq(r.end, p)? && !r.end_in)))(),
            Args::Ranges(x, y) => {
                (|| Ok(lt(x.end, y.start)? || (eq(x.end, y.start)? && (!x.end_in || !y.start_in))))(
                )
            }
        })
    })
}

/// `after(a, b)`: `a` lies entirely after `b`.
fn after(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    run(ctx, a, |args| {
        Some(match args {
            Args::Points(p, q) => gt(p, q),
            Args::PointRange(p, r) => (|| Ok(gt(p, r.end)? || (eq(p, r.end)? && !r.end_in)))(),
            Args::RangePoint(r, p) => {
                (|| Ok(gt(r.start, p)? || (eq(r.start, p)? && !r.start_in)))()
            }
            Args::Ranges(x, y) => {
                (|| Ok(gt(x.start, y.end)? || (eq(x.start, y.end)? && (!x.start_in || !y.end_in))))(
                )
            }
        })
    })
}

/// `meets(range1, range2)`: range1 ends, included, where range2 starts, included.
fn meets(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    run(ctx, a, |args| match args {
        Args::Ranges(x, y) => Some((|| Ok(x.end_in && y.start_in && eq(x.end, y.start)?))()),
        _ => None,
    })
}

/// `met by(range1, range2)`: range1 starts, included, where range2 ends, included.
fn met_by(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    run(ctx, a, |args| match args {
        Args::Ranges(x, y) => Some((|| Ok(x.start_in && y.end_in && eq(x.start, y.end)?))()),
        _ => None,
    })
}

/// `overlaps(range1, range2)`: the ranges share at least one point.
fn overlaps(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    run(ctx, a, |args| match args {
        Args::Ranges(x, y) => Some((|| {
            Ok(
                (gt(x.end, y.start)? || (eq(x.end, y.start)? && x.end_in && y.start_in))
                    && (lt(x.start, y.end)? || (eq(x.start, y.end)? && x.start_in && y.end_in)),
            )
        })()),
        _ => None,
    })
}

/// Whether `x` overlaps `y` and starts before it (the shared definition of
/// `overlaps before`, and of `overlaps after` with the arguments swapped).
fn overlaps_first(x: &R<'_>, y: &R<'_>) -> B {
    Ok(
        (lt(x.start, y.start)? || (eq(x.start, y.start)? && x.start_in && !y.start_in))
            && (gt(x.end, y.start)? || (eq(x.end, y.start)? && x.end_in && y.start_in))
            && (lt(x.end, y.end)? || (eq(x.end, y.end)? && (!x.end_in || y.end_in))),
    )
}

/// `overlaps before(range1, range2)`: range1 starts before range2 and ends
/// inside it.
fn overlaps_before(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    run(ctx, a, |args| match args {
        Args::Ranges(x, y) => Some(overlaps_first(&x, &y)),
        _ => None,
    })
}

/// `overlaps after(range1, range2)`: range2 starts before range1 and ends
/// inside it.
fn overlaps_after(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    run(ctx, a, |args| match args {
        Args::Ranges(x, y) => Some(overlaps_first(&y, &x)),
        _ => None,
    })
}

/// Whether `x` ends where `y` ends and starts no earlier (`finishes`).
fn finishes_ranges(x: &R<'_>, y: &R<'_>) -> B {
    Ok(x.end_in == y.end_in
        && eq(x.end, y.end)?
        && (gt(x.start, y.start)? || (eq(x.start, y.start)? && (!x.start_in || y.start_in))))
}

/// `finishes(point, range)` / `finishes(range1, range2)`.
fn finishes(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    run(ctx, a, |args| match args {
        Args::PointRange(p, r) => Some((|| Ok(r.end_in && eq(r.end, p)?))()),
        Args::Ranges(x, y) => Some(finishes_ranges(&x, &y)),
        _ => None,
    })
}

/// `finished by(range, point)` / `finished by(range1, range2)`.
fn finished_by(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    run(ctx, a, |args| match args {
        Args::RangePoint(r, p) => Some((|| Ok(r.end_in && eq(r.end, p)?))()),
        Args::Ranges(x, y) => Some(finishes_ranges(&y, &x)),
        _ => None,
    })
}

/// Whether point `p` lies in `r`.
fn contains_point(r: &R<'_>, p: End<'_>) -> B {
    Ok((lt(r.start, p)? && gt(r.end, p)?)
        || (eq(r.start, p)? && r.start_in)
        || (eq(r.end, p)? && r.end_in))
}

/// Whether `outer` includes all of `inner`.
fn contains_range(outer: &R<'_>, inner: &R<'_>) -> B {
    Ok((lt(outer.start, inner.start)?
        || (eq(outer.start, inner.start)? && (outer.start_in || !inner.start_in)))
        && (gt(outer.end, inner.end)?
            || (eq(outer.end, inner.end)? && (outer.end_in || !inner.end_in))))
}

/// `includes(range, point)` / `includes(range1, range2)`.
fn includes(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    run(ctx, a, |args| match args {
        Args::RangePoint(r, p) => Some(contains_point(&r, p)),
        Args::Ranges(x, y) => Some(contains_range(&x, &y)),
        _ => None,
    })
}

/// `during(point, range)` / `during(range1, range2)`.
fn during(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    run(ctx, a, |args| match args {
        Args::PointRange(p, r) => Some(contains_point(&r, p)),
        Args::Ranges(x, y) => Some(contains_range(&y, &x)),
        _ => None,
    })
}

/// Whether `x` starts where `y` starts and ends no later (`starts`).
fn starts_ranges(x: &R<'_>, y: &R<'_>) -> B {
    Ok(eq(x.start, y.start)?
        && x.start_in == y.start_in
        && (lt(x.end, y.end)? || (eq(x.end, y.end)? && (!x.end_in || y.end_in))))
}

/// `starts(point, range)` / `starts(range1, range2)`.
fn starts(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    run(ctx, a, |args| match args {
        Args::PointRange(p, r) => Some((|| Ok(r.start_in && eq(r.start, p)?))()),
        Args::Ranges(x, y) => Some(starts_ranges(&x, &y)),
        _ => None,
    })
}

/// `started by(range, point)` / `started by(range1, range2)`.
fn started_by(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    run(ctx, a, |args| match args {
        Args::RangePoint(r, p) => Some((|| Ok(r.start_in && eq(r.start, p)?))()),
        Args::Ranges(x, y) => Some(starts_ranges(&y, &x)),
        _ => None,
    })
}

/// `coincides(point1, point2)` / `coincides(range1, range2)`: the same point,
/// or the same range.
fn coincides(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    run(ctx, a, |args| match args {
        Args::Points(p, q) => Some(eq(p, q)),
        Args::Ranges(x, y) => Some((|| {
            Ok(eq(x.start, y.start)?
                && x.start_in == y.start_in
                && eq(x.end, y.end)?
                && x.end_in == y.end_in)
        })()),
        _ => None,
    })
}

/// `range(from)`: a range from its FEEL literal text: `"[1..10)"`,
/// `"]1..10["`, `"(\"a\"..\"z\")"`, `"[date(\"2020-01-01\")..@\"2021-01-01\"]"`.
/// Both ends must be literals of one kind that can be ordered, the start not
/// after the end. Comparisons (`">= 10"`) and open ends (`"[1..]"`) are not
/// range literals here, as the TCK expects.
fn range_from(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let text = or_null!(string(ctx, &a[0], "from"));
    Ok(match parse_range(text) {
        Ok(r) => Value::Range(Arc::new(r)),
        Err(e) => ctx.null(
            WarningKind::InvalidValue,
            format!("`from` is not a range literal ({e}): {text:?}"),
        ),
    })
}

fn parse_range(text: &str) -> Result<Range, String> {
    let t = text.trim();
    let mut chars = t.chars();
    let open = chars.next().ok_or("it is empty")?;
    let close = chars.next_back().ok_or("it is too short")?;
    let start_in = match open {
        '[' => true,
        '(' | ']' => false,
        _ => return Err("it must start with '[', '(' or ']'".into()),
    };
    let end_in = match close {
        ']' => true,
        ')' | '[' => false,
        _ => return Err("it must end with ']', ')' or '['".into()),
    };
    let inner = chars.as_str();
    let dots = split_dots(inner).ok_or("expected '..' between the end points")?;
    let lo = endpoint(&inner[..dots])?;
    let hi = endpoint(&inner[dots + 2..])?;
    if lo.kind() != hi.kind() {
        return Err(format!(
            "the end points are a {} and a {}",
            lo.kind(),
            hi.kind()
        ));
    }
    match lo.feel_cmp(&hi) {
        None => return Err(format!("{} values cannot be ordered", lo.kind())),
        Some(Ordering::Greater) => return Err(format!("it starts at {lo}, after its end {hi}")),
        Some(_) => {}
    }
    let bound = |v, inc| {
        if inc {
            Bound::Included(v)
        } else {
            Bound::Excluded(v)
        }
    };
    Ok(Range::new(bound(lo, start_in), bound(hi, end_in)))
}

/// The byte offset of the `..` that separates the end points (outside
/// string literals, and not the `.` of a number such as `1.5..2`).
fn split_dots(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut in_string = false;
    let mut i = 0;
    while i + 1 < b.len() {
        match b[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'.' if !in_string && b[i + 1] == b'.' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// An end point: a number, a string literal, `@"…"`, or `date(…)`, `time(…)`,
/// `date and time(…)`, `duration(…)` with a string literal.
fn endpoint(s: &str) -> Result<Value, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("an end point is missing".into());
    }
    if s.starts_with('"') {
        return string_literal(s).map(Value::from);
    }
    if let Some(lit) = s.strip_prefix('@') {
        let text = string_literal(lit)?;
        return crate::temporal::parse_literal(&text)
            .ok_or_else(|| format!("@{lit} is not a date, time or duration"));
    }
    for (name, kinds) in [
        ("date and time", &[ValueKind::DateTime][..]),
        ("date", &[ValueKind::Date]),
        ("time", &[ValueKind::Time]),
        (
            "duration",
            &[ValueKind::DayTimeDuration, ValueKind::YearMonthDuration],
        ),
    ] {
        if let Some(rest) = s.strip_prefix(name) {
            let arg = rest
                .trim()
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| format!("expected {name}(\"…\")"))?;
            let text = string_literal(arg.trim())?;
            return match crate::temporal::parse_literal(&text) {
                Some(v) if kinds.contains(&v.kind()) => Ok(v),
                _ => Err(format!("{name}({arg}) is not a valid {name}")),
            };
        }
    }
    let numeral = s.strip_prefix('-').unwrap_or(s);
    let is_numeral = !numeral.is_empty()
        && numeral.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && numeral.bytes().filter(|&b| b == b'.').count() <= 1
        && numeral != ".";
    match Number::parse(s) {
        Some(n) if is_numeral => Ok(Value::Number(n)),
        _ => Err(format!("{s} is not a literal")),
    }
}

/// The text of a FEEL string literal (the whole of `s`), with its escapes.
fn string_literal(s: &str) -> Result<String, String> {
    let body = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .filter(|_| s.len() >= 2)
        .ok_or_else(|| format!("{s} is not a string literal"))?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Err(format!("{s} is not a single string literal")),
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some(c @ ('"' | '\\' | '\'')) => out.push(c),
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let c = u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| format!("bad escape \\u{hex}"))?;
                    out.push(c);
                }
                other => return Err(format!("bad escape \\{}", other.unwrap_or(' '))),
            },
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    const T: Value = Value::Boolean(true);
    const F: Value = Value::Boolean(false);

    /// A range from its literal text.
    fn r(text: &str) -> Value {
        Value::Range(Arc::new(parse_range(text).unwrap()))
    }

    fn check(name: &str, a: Value, b: Value, want: Value) {
        let (got, w) = call_w(name, &[a.clone(), b.clone()]);
        assert_eq!(got, want, "{name}({a}, {b}), warnings {w:?}");
    }

    #[test]
    fn parses_range_literals() {
        assert_eq!(r("[1..10)").to_string(), "[1..10)");
        assert_eq!(r("]1.5..10[").to_string(), "(1.5..10)");
        assert_eq!(r("[\"a..b\"..\"z\"]").to_string(), "[\"a..b\"..\"z\"]");
        assert!(parse_range("").is_err());
        assert!(parse_range("[1..\"a\"]")
            .unwrap_err()
            .contains("number and a string"));
        assert!(parse_range("[1..]").is_err());
        assert!(parse_range("[true..false]").is_err());
        assert!(parse_range("1..2").is_err());
        assert!(parse_range(">= 10").is_err());
        assert!(parse_range("[3..1]").unwrap_err().contains("after its end"));
        assert_eq!(r("[1..1]").to_string(), "[1..1]");
        assert_text("range", &[s("[1..3]")], "[1..3]");
        assert_null("range", &[s("")]);
        assert_null("range", &[n("1")]);
    }

    // The cases below are the examples of DMN 1.5 §10.3.4.9, one per line.

    #[test]
    fn before_and_after() {
        check("before", n("1"), n("10"), T);
        check("before", n("10"), n("1"), F);
        check("before", n("1"), r("[2..5]"), T);
        check("before", r("[1..5]"), n("10"), T);
        check("before", r("[1..5]"), r("[6..8]"), T);
        check("before", r("[1..5]"), r("[5..8]"), F);
        check("before", r("[1..5)"), r("[5..8]"), T);
        check("before", r("[1..5]"), r("(5..8]"), T);
        check("before", n("1"), r("(1..5]"), T);
        check("before", r("[1..5)"), n("5"), T);
        check("after", n("10"), n("1"), T);
        check("after", n("12"), r("[2..5]"), T);
        check("after", r("[11..20]"), n("12"), F);
        check("after", r("[6..8]"), r("[1..5]"), T);
        check("after", r("(5..8]"), r("[1..5]"), T);
        check("after", r("[5..8]"), r("[1..5)"), T);
        check("after", r("[5..8]"), r("[1..5]"), F);
        check("after", r("(5..8]"), r("[1..5)"), T);
    }

    #[test]
    fn meets_and_overlaps() {
        check("meets", r("[1..5]"), r("[5..10]"), T);
        check("meets", r("[1..3]"), r("[4..6]"), F);
        check("meets", r("[1..5)"), r("[5..10]"), F);
        check("met by", r("[5..10]"), r("[1..5]"), T);
        check("met by", r("(5..10]"), r("[1..5]"), F);
        check("overlaps", r("[5..10]"), r("[1..6]"), T);
        check("overlaps", r("(3..7]"), r("[1..4]"), T);
        check("overlaps", r("[1..3]"), r("[4..6]"), F);
        check("overlaps", r("[1..5)"), r("[5..6]"), F);
        check("overlaps", r("(5..8]"), r("[1..5]"), F);
        check("overlaps before", r("[1..5]"), r("[3..8]"), T);
        check("overlaps before", r("[1..5]"), r("[6..8]"), F);
        check("overlaps before", r("[1..5]"), r("[5..8]"), T);
        check("overlaps before", r("[1..5]"), r("(5..8]"), F);
        check("overlaps before", r("[1..5)"), r("(1..5]"), T);
        check("overlaps before", r("[1..5]"), r("[1..5]"), F);
        check("overlaps after", r("[3..8]"), r("[1..5]"), T);
        check("overlaps after", r("(5..8]"), r("[1..5]"), F);
        check("overlaps after", r("(1..5]"), r("[1..5)"), T);
        check("overlaps after", r("[1..5]"), r("[1..5]"), F);
    }

    #[test]
    fn finishes_includes_during() {
        check("finishes", n("10"), r("[1..10]"), T);
        check("finishes", n("10"), r("[1..10)"), F);
        check("finishes", r("[5..10]"), r("[1..10]"), T);
        check("finishes", r("[5..10)"), r("[1..10]"), F);
        check("finishes", r("[1..10]"), r("(1..10]"), F);
        check("finished by", r("[1..10]"), n("10"), T);
        check("finished by", r("[1..10]"), r("[5..10]"), T);
        check("finished by", r("(1..10]"), r("[1..10]"), F);
        check("includes", r("[1..10]"), n("5"), T);
        check("includes", r("(1..10]"), n("1"), F);
        check("includes", r("[1..10]"), r("[4..6]"), T);
        check("includes", r("[1..10)"), r("[1..10]"), F);
        check("includes", r("(1..10)"), r("(1..10)"), T);
        check("during", n("5"), r("[1..10]"), T);
        check("during", n("12"), r("[1..10]"), F);
        check("during", n("1"), r("(1..10]"), F);
        check("during", r("[4..6]"), r("[1..10)"), T);
        check("during", r("[1..10]"), r("[1..10)"), F);
        check("during", r("(1..5]"), r("[1..10]"), T);
    }

    #[test]
    fn starts_and_coincides() {
        check("starts", n("1"), r("[1..5]"), T);
        check("starts", n("1"), r("(1..8]"), F);
        check("starts", r("[1..5]"), r("[1..10]"), T);
        check("starts", r("(1..5]"), r("[1..10]"), F);
        check("started by", r("[1..10]"), n("1"), T);
        check("started by", r("[1..10]"), r("[1..5]"), T);
        check("started by", r("(1..10]"), r("[1..5]"), F);
        check("coincides", n("5"), n("5"), T);
        check("coincides", n("3"), n("4"), F);
        check("coincides", r("[1..5]"), r("[1..5]"), T);
        check("coincides", r("(1..5)"), r("[1..5)"), F);
    }

    #[test]
    fn open_ends_and_bad_arguments() {
        let below = |b: Bound| Value::Range(Arc::new(Range::new(Bound::Unbounded, b)));
        let above = |b: Bound| Value::Range(Arc::new(Range::new(b, Bound::Unbounded)));
        let five = || n("5");
        check(
            "before",
            below(Bound::Excluded(five())),
            above(Bound::Excluded(five())),
            T,
        );
        check(
            "before",
            below(Bound::Included(five())),
            above(Bound::Included(five())),
            F,
        );
        check("includes", above(Bound::Excluded(five())), n("1000000"), T);
        check(
            "coincides",
            below(Bound::Excluded(five())),
            below(Bound::Excluded(five())),
            T,
        );
        check(
            "overlaps",
            below(Bound::Excluded(five())),
            above(Bound::Excluded(n("2"))),
            T,
        );
        check(
            "after",
            above(Bound::Included(five())),
            below(Bound::Included(five())),
            F,
        );
        assert_null("before", &[n("1"), s("a")]);
        assert_null("before", &[r("[1..5]"), s("a")]);
        assert_null("meets", &[n("1"), r("[1..5]")]);
        assert_null("before", &[Value::Null, n("1")]);
    }
}
