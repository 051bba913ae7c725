//! String functions (DMN 1.5 §10.3.4.3) and Camunda's string extensions
//! (`extract`, `trim`, `uuid`, `to base64`, `from base64`, `is blank`,
//! `string join` with prefix and suffix, `fromAi`).
//!
//! Positions and lengths count Unicode code points, not bytes or UTF-16
//! units. Patterns are XPath regular expressions (see `regex.rs`).

use super::args::{built, integer, list_or_item, or_null, string, Out, Overload};
use super::ctx::Ctx;
use super::regex as xre;
use crate::error::WarningKind;
use crate::value::{Brief, Number, Value};

pub(crate) const FUNCTIONS: &[Overload] = &[
    Overload::new("substring", &["string", "start position"], substring),
    Overload::new(
        "substring",
        &["string", "start position", "length"],
        substring,
    ),
    Overload::new("string length", &["string"], string_length),
    Overload::new("upper case", &["string"], upper_case),
    Overload::new("lower case", &["string"], lower_case),
    Overload::new("substring before", &["string", "match"], substring_before),
    Overload::new("substring after", &["string", "match"], substring_after),
    Overload::new("contains", &["string", "match"], contains),
    Overload::new("starts with", &["string", "match"], starts_with),
    Overload::new("ends with", &["string", "match"], ends_with),
    Overload::new("matches", &["input", "pattern"], matches),
    Overload::new("matches", &["input", "pattern", "flags"], matches),
    Overload::new("replace", &["input", "pattern", "replacement"], replace),
    Overload::new(
        "replace",
        &["input", "pattern", "replacement", "flags"],
        replace,
    ),
    Overload::new("split", &["string", "delimiter"], split),
    Overload::new("string join", &["list"], string_join),
    Overload::new("string join", &["list", "delimiter"], string_join),
    Overload::new(
        "string join",
        &["list", "delimiter", "prefix", "suffix"],
        string_join,
    ),
    Overload::new("extract", &["string", "pattern"], extract),
    Overload::new("extract", &["input", "pattern"], extract),
    Overload::new("trim", &["string"], trim),
    Overload::new("uuid", &[], uuid),
    Overload::new("to base64", &["value"], to_base64),
    Overload::new("from base64", &["value"], from_base64),
    Overload::new("is blank", &["string"], is_blank),
    Overload::new("fromAi", &["value"], from_ai),
    Overload::new("fromAi", &["value", "description"], from_ai),
    Overload::new("fromAi", &["value", "description", "type"], from_ai),
    Overload::new(
        "fromAi",
        &["value", "description", "type", "schema"],
        from_ai,
    ),
    Overload::new(
        "fromAi",
        &["value", "description", "type", "schema", "options"],
        from_ai,
    ),
];

/// `substring(string, start position, length?)`: the code points from `start
/// position` (1-based; negative counts from the end, -1 being the last), at
/// most `length` of them. A start beyond either end is clamped; a negative
/// length is null. Fractional positions and lengths are truncated.
fn substring(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let s = or_null!(string(ctx, &a[0], "string"));
    let start = or_null!(integer(ctx, &a[1], "start position"));
    let len = s.chars().count() as i64;
    let from = if start > 0 {
        start - 1
    } else if start < 0 {
        (len + start).max(0)
    } else {
        return Ok(ctx.null(
            WarningKind::InvalidValue,
            "`start position` must not be 0 (positions start at 1, or -1 from the end)",
        ));
    };
    let take = match a.get(2) {
        Some(v) => {
            let l = or_null!(integer(ctx, v, "length"));
            if l < 0 {
                return Ok(ctx.null(
                    WarningKind::InvalidValue,
                    format!("`length` must not be negative, got {l}"),
                ));
            }
            l
        }
        None => len,
    };
    // A slice of the argument: one allocation, or none for all of it.
    let mut bounds = s.char_indices().map(|(i, _)| i).chain([s.len()]);
    let first = from.min(len) as usize;
    let start = bounds.nth(first).unwrap_or(s.len());
    let count = take.min(len - first as i64) as usize;
    let end = match count {
        0 => start,
        n => bounds.nth(n - 1).unwrap_or(s.len()),
    };
    match &a[0] {
        Value::String(whole) if start == 0 && end == s.len() => Ok(Value::String(whole.clone())),
        _ => built(ctx, Value::from(&s[start..end])),
    }
}

/// `string length(string)`: the number of code points.
fn string_length(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let s = or_null!(string(ctx, &a[0], "string"));
    Ok(Value::Number(Number::from(s.chars().count())))
}

/// `upper case(string)`.
fn upper_case(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let s = or_null!(string(ctx, &a[0], "string"));
    changed_case(ctx, &a[0], s, true)
}

/// `lower case(string)`.
fn lower_case(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let s = or_null!(string(ctx, &a[0], "string"));
    changed_case(ctx, &a[0], s, false)
}

/// Upper or lower case of `s` (the string in `arg`), paid for unless it is
/// `arg` itself (nothing changed).
fn changed_case(ctx: &mut Ctx<'_>, arg: &Value, s: &str, upper: bool) -> Out {
    let v = match ascii_case(arg, s, upper) {
        Some(v) => v,
        None if upper => Value::from(s.to_uppercase()),
        None => Value::from(s.to_lowercase()),
    };
    match (&v, arg) {
        (Value::String(new), Value::String(old)) if std::sync::Arc::ptr_eq(new, old) => Ok(v),
        _ => built(ctx, v),
    }
}

/// Upper or lower case of a short ASCII string with one allocation (none
/// when nothing changes); `None` for other strings.
fn ascii_case(arg: &Value, s: &str, upper: bool) -> Option<Value> {
    if !s.is_ascii() {
        return None;
    }
    let changes = |b: &u8| {
        if upper {
            b.is_ascii_lowercase()
        } else {
            b.is_ascii_uppercase()
        }
    };
    if !s.as_bytes().iter().any(changes) {
        if let Value::String(same) = arg {
            return Some(Value::String(same.clone()));
        }
    }
    let mut buf = [0u8; 64];
    let out = buf.get_mut(..s.len())?;
    out.copy_from_slice(s.as_bytes());
    if upper {
        out.make_ascii_uppercase();
    } else {
        out.make_ascii_lowercase();
    }
    std::str::from_utf8(out).ok().map(Value::from)
}

/// The `string` and `match` arguments of the two-string functions.
fn two<'v>(ctx: &mut Ctx<'_>, a: &'v [Value]) -> Option<(&'v str, &'v str)> {
    let s = string(ctx, &a[0], "string")?;
    let m = string(ctx, &a[1], "match")?;
    Some((s, m))
}

/// `substring before(string, match)`: the part before the first `match`;
/// `""` when there is none.
fn substring_before(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let (s, m) = or_null!(two(ctx, a));
    built(ctx, Value::from(s.find(m).map_or("", |i| &s[..i])))
}

/// `substring after(string, match)`: the part after the first `match`; `""`
/// when there is none (and all of `string` for an empty `match`).
fn substring_after(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let (s, m) = or_null!(two(ctx, a));
    built(
        ctx,
        Value::from(s.find(m).map_or("", |i| &s[i + m.len()..])),
    )
}

/// `contains(string, match)`.
fn contains(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let (s, m) = or_null!(two(ctx, a));
    Ok(Value::Boolean(s.contains(m)))
}

/// `starts with(string, match)`.
fn starts_with(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let (s, m) = or_null!(two(ctx, a));
    Ok(Value::Boolean(s.starts_with(m)))
}

/// `ends with(string, match)`.
fn ends_with(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let (s, m) = or_null!(two(ctx, a));
    Ok(Value::Boolean(s.ends_with(m)))
}

/// Compiles argument `pattern_at` with the flags at `flags_at` (if given), or
/// records why it cannot be.
fn pattern(
    ctx: &mut Ctx<'_>,
    a: &[Value],
    pattern_at: usize,
    flags_at: Option<usize>,
) -> Option<xre::Pattern> {
    let p = string(ctx, &a[pattern_at], "pattern")?;
    let flags = match flags_at.and_then(|i| a.get(i)) {
        // A null `flags` means no flags, as feel-scala reads it.
        None | Some(Value::Null) => "",
        Some(v) => string(ctx, v, "flags")?,
    };
    if let Err(e) = xre::check_flags(flags) {
        ctx.null(WarningKind::InvalidValue, format!("`flags` {flags:?}: {e}"));
        return None;
    }
    match xre::compile(p, flags) {
        Ok(re) => Some(re),
        Err(e) => {
            ctx.null(WarningKind::InvalidValue, format!("`pattern` {p:?}: {e}"));
            None
        }
    }
}

/// `matches(input, pattern, flags?)`: whether `pattern` matches anywhere in
/// `input`.
fn matches(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let input = or_null!(string(ctx, &a[0], "input"));
    let re = or_null!(pattern(ctx, a, 1, Some(2)));
    Ok(match re.is_match(input) {
        Ok(b) => Value::Boolean(b),
        Err(e) => ctx.null(WarningKind::InvalidValue, e),
    })
}

/// `replace(input, pattern, replacement, flags?)`: every match replaced, with
/// `$N` naming groups (XPath `fn:replace`). A pattern that matches the empty
/// string is an error there, and null here.
fn replace(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let input = or_null!(string(ctx, &a[0], "input"));
    let re = or_null!(pattern(ctx, a, 1, Some(3)));
    let replacement = or_null!(string(ctx, &a[2], "replacement"));
    // With the `q` flag the replacement is literal too (XPath `fn:replace`).
    let literal = a
        .get(3)
        .and_then(Value::as_str)
        .is_some_and(|f| f.contains('q'));
    if !literal {
        if let Err(e) = xre::check_replacement(replacement) {
            return Ok(ctx.null(WarningKind::InvalidValue, e));
        }
    }
    if re.is_match("") != Ok(false) {
        return Ok(ctx.null(
            WarningKind::InvalidValue,
            "`pattern` matches the empty string, so there is nothing to replace",
        ));
    }
    let all = match re.captures_all(input) {
        Ok(all) => all,
        Err(e) => return Ok(ctx.null(WarningKind::InvalidValue, e)),
    };
    ctx.charge(xre::groups_bytes(&all))?;
    // The result can be far longer than the input (`$0$0$0…` doubles every
    // match three times): it is built up to what the budget has left, and
    // paid for in full only once built.
    let room = ctx.memory_left();
    let mut out = String::with_capacity(input.len().min(room));
    let mut last = 0;
    let mut exceeded = false;
    for caps in &all {
        let Some(Some((start, end))) = caps.first() else {
            continue;
        };
        out.push_str(&input[last..*start]);
        if literal {
            out.push_str(replacement);
        } else {
            match xre::expand(replacement, input, caps, &mut out, room) {
                Ok(fits) => exceeded = !fits,
                Err(e) => return Ok(ctx.null(WarningKind::InvalidValue, e)),
            }
        }
        last = *end;
        exceeded |= out.len() > room;
        if exceeded {
            break;
        }
    }
    if !exceeded {
        out.push_str(&input[last..]);
    }
    // Past the room left, this fails (without a budget there is no limit).
    let needed = if exceeded {
        room.saturating_add(1).max(out.len())
    } else {
        out.len()
    };
    ctx.charge(needed)?;
    Ok(Value::from(out))
}

/// `split(string, delimiter)`: the parts between matches of the `delimiter`
/// pattern, keeping empty parts (`split("a;;b", ";")` is `["a", "", "b"]`).
fn split(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let s = or_null!(string(ctx, &a[0], "string"));
    let d = or_null!(string(ctx, &a[1], "delimiter"));
    // A delimiter without regular-expression syntax (" ", ",") is itself.
    if !d.is_empty()
        && !d.contains([
            '\\', '^', '$', '.', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}',
        ])
    {
        // Paid for before the parts are made: a new string and a list slot
        // each. (One ASCII byte is searched for as a byte: no substring
        // searcher.)
        return Ok(match d.as_bytes() {
            [b] => {
                let c = char::from(*b);
                ctx.charge_list(s.matches(c).count() + 1)?;
                ctx.charge(s.len())?;
                Value::list(s.split(c).map(Value::from))
            }
            _ => {
                ctx.charge_list(s.matches(d).count() + 1)?;
                ctx.charge(s.len())?;
                Value::list(s.split(d).map(Value::from))
            }
        });
    }
    let re = match xre::compile(d, "") {
        Ok(re) => re,
        Err(e) => return Ok(ctx.null(WarningKind::InvalidValue, format!("`delimiter` {d:?}: {e}"))),
    };
    if re.is_match("") != Ok(false) {
        return Ok(ctx.null(
            WarningKind::InvalidValue,
            "`delimiter` matches the empty string",
        ));
    }
    Ok(match re.split(s) {
        Ok(parts) => {
            ctx.charge_list(parts.len().saturating_mul(2))?;
            ctx.charge(s.len())?;
            Value::list(parts.into_iter().map(Value::from))
        }
        Err(e) => ctx.null(WarningKind::InvalidValue, e),
    })
}

/// `string join(list)`, `string join(list, delimiter)` and (Camunda
/// extension) `string join(list, delimiter, prefix, suffix)`: the strings of
/// `list` joined; null items are skipped, any other non-string makes the
/// result null. A null delimiter, prefix or suffix counts as empty.
fn string_join(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let items = or_null!(list_or_item(ctx, &a[0], "list"));
    let mut opt = |i: usize, name: &str| -> Option<String> {
        match a.get(i) {
            None | Some(Value::Null) => Some(String::new()),
            Some(v) => string(ctx, v, name).map(str::to_string),
        }
    };
    let delimiter = or_null!(opt(1, "delimiter"));
    let prefix = or_null!(opt(2, "prefix"));
    let suffix = or_null!(opt(3, "suffix"));
    // Paid for before it is built: the list may hold one long string many
    // times. (A non-string item makes the result null; it is found below.)
    let strings = items.iter().filter_map(Value::as_str);
    let (count, bytes) = strings.fold((0usize, 0usize), |(n, b), s| {
        (n + 1, b.saturating_add(s.len()))
    });
    let joinable = items
        .iter()
        .all(|v| matches!(v, Value::String(_) | Value::Null));
    let (count, bytes) = if joinable { (count, bytes) } else { (0, 0) };
    let joints = delimiter.len().saturating_mul(count.saturating_sub(1));
    ctx.charge(
        bytes
            .saturating_add(joints)
            .saturating_add(prefix.len() + suffix.len()),
    )?;
    let mut out = prefix;
    let mut first = true;
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::Null => continue,
            Value::String(s) => {
                if !first {
                    out.push_str(&delimiter);
                }
                out.push_str(s);
                first = false;
            }
            other => {
                let what = format!("item {} of `list` is not a string: {}", i + 1, Brief(other));
                return Ok(ctx.null(WarningKind::InvalidType, what));
            }
        }
    }
    out.push_str(&suffix);
    Ok(Value::from(out))
}

/// `extract(string, pattern)`: every match of `pattern` (Camunda extension).
fn extract(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let s = or_null!(string(ctx, &a[0], "string"));
    let re = or_null!(pattern(ctx, a, 1, None));
    let all = match re.captures_all(s) {
        Ok(all) => all,
        Err(e) => return Ok(ctx.null(WarningKind::InvalidValue, e)),
    };
    ctx.charge(xre::groups_bytes(&all))?;
    // Matches do not overlap: their text is at most the input's.
    ctx.charge_list(all.len())?;
    ctx.charge(s.len())?;
    Ok(Value::list(
        all.iter()
            .filter_map(|caps| caps.first().copied().flatten())
            .map(|(start, end)| Value::from(&s[start..end])),
    ))
}

/// `trim(string)`: without leading and trailing white space (Camunda
/// extension).
fn trim(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let s = or_null!(string(ctx, &a[0], "string"));
    built(ctx, Value::from(s.trim()))
}

/// `is blank(string)`: whether the string is empty or only white space
/// (Camunda extension).
fn is_blank(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let s = or_null!(string(ctx, &a[0], "string"));
    Ok(Value::Boolean(s.trim().is_empty()))
}

/// Random bits from the standard library's per-process random hash keys and a
/// counter: unpredictable enough for identifiers, not for secrets.
pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.finish()
}

/// `uuid()`: a random (version 4) UUID in its 36-character form (Camunda
/// extension).
fn uuid(_ctx: &mut Ctx<'_>, _a: &[Value]) -> Out {
    let bits = (u128::from(random_u64()) << 64) | u128::from(random_u64());
    // Version 4, variant 10xx.
    let bits = (bits & !(0xF << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    Ok(Value::from(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )))
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `to base64(value)`: the UTF-8 bytes of the string in standard, padded
/// Base64 (Camunda extension).
fn to_base64(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let s = or_null!(string(ctx, &a[0], "value"));
    ctx.charge(s.len().div_ceil(3).saturating_mul(4))?;
    let mut out = String::with_capacity(s.len().div_ceil(3) * 4);
    for chunk in s.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    Ok(Value::from(out))
}

/// `from base64(value)`: decodes standard Base64 (padding optional) into a
/// UTF-8 string (Camunda extension); null if it is not Base64 or not UTF-8.
fn from_base64(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let s = or_null!(string(ctx, &a[0], "value"));
    let body = s.trim_end_matches('=');
    ctx.charge(body.len() * 3 / 4)?;
    let mut bytes = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for (i, c) in body.bytes().enumerate() {
        let Some(v) = BASE64.iter().position(|&b| b == c) else {
            let what = format!(
                "`value` is not Base64: unexpected {:?} at {}",
                c as char,
                i + 1
            );
            return Ok(ctx.null(WarningKind::InvalidValue, what));
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if body.len() % 4 == 1 || s.len() - body.len() > 2 {
        return Ok(ctx.null(
            WarningKind::InvalidValue,
            "`value` is not Base64: wrong length",
        ));
    }
    Ok(match String::from_utf8(bytes) {
        Ok(text) => Value::from(text),
        Err(_) => ctx.null(
            WarningKind::InvalidValue,
            "`value` decodes to bytes that are not UTF-8 text",
        ),
    })
}

/// `fromAi(value, description?, type?, schema?, options?)`: `value` itself
/// (Camunda extension). The other arguments describe the value for an AI agent
/// integration, which reads them from the expression, not from the result.
fn from_ai(_ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    Ok(a[0].clone())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::value::Value;

    const T: Value = Value::Boolean(true);
    const F: Value = Value::Boolean(false);

    #[test]
    fn substring_counts_code_points() {
        assert_text("substring", &[s("foobar"), n("3")], "\"obar\"");
        assert_text("substring", &[s("foobar"), n("3"), n("3")], "\"oba\"");
        assert_text("substring", &[s("foobar"), n("3"), n("3.8")], "\"oba\"");
        assert_text("substring", &[s("foobar"), n("-2"), n("1")], "\"a\"");
        assert_text("substring", &[s("foobar"), n("-6"), n("6")], "\"foobar\"");
        assert_text("substring", &[s("foobar"), n("-10"), n("3")], "\"foo\"");
        assert_text("substring", &[s("foobar"), n("10")], "\"\"");
        assert_text("substring", &[s("🐎foo"), n("2")], "\"foo\"");
        assert_null("substring", &[s("foobar"), n("0")]);
        assert_null("substring", &[s("foobar"), n("1"), n("-1")]);
        assert_null("substring", &[n("1"), n("1")]);
    }

    #[test]
    fn simple_string_functions() {
        assert_text("string length", &[s("🐎😀")], "2");
        assert_text("upper case", &[s("aBc4ß")], "\"ABC4SS\"");
        assert_text("lower case", &[s("aBc4")], "\"abc4\"");
        assert_text("substring before", &[s("foobar"), s("bar")], "\"foo\"");
        assert_text("substring before", &[s("foobar"), s("xyz")], "\"\"");
        assert_text("substring after", &[s("foobar"), s("ob")], "\"ar\"");
        assert_text("substring after", &[s("abc"), s("")], "\"abc\"");
        assert_eq!(call("contains", &[s("foobar"), s("of")]), F);
        assert_eq!(call("contains", &[s(""), s("")]), T);
        assert_eq!(call("starts with", &[s("foobar"), s("fo")]), T);
        assert_eq!(call("ends with", &[s("foobar"), s("r")]), T);
        assert_null("contains", &[Value::Null, s("a")]);
        assert_text("trim", &[s("  hello world \n")], "\"hello world\"");
        assert_eq!(call("is blank", &[s(" \t")]), T);
        assert_eq!(call("is blank", &[s(" a ")]), F);
    }

    #[test]
    fn regex_functions() {
        assert_eq!(call("matches", &[s("foobar"), s("^fo*b")]), T);
        assert_eq!(call("matches", &[s("FooBar"), s("foo"), s("i")]), T);
        assert_eq!(call("matches", &[s("a"), s("(a)\\1")]), F);
        assert_eq!(call("matches", &[s("xaay"), s("(a)\\1")]), T);
        assert_null("matches", &[s("a"), s("\\1(a)")]);
        assert_null("matches", &[s("a"), s("a"), s("z")]);
        let r = |args: &[Value], want: &str| assert_text("replace", args, want);
        r(
            &[s("abcd"), s("(ab)|(a)"), s("[1=$1][2=$2]")],
            "\"[1=ab][2=]cd\"",
        );
        r(
            &[
                s("0123456789"),
                s("(\\d{3})(\\d{3})(\\d{4})"),
                s("($1) $2-$3"),
            ],
            "\"(012) 345-6789\"",
        );
        r(&[s("abracadabra"), s("a.*?a"), s("*")], "\"*c*bra\"");
        r(&[s("darted"), s("^(.*?)d(.*)$"), s("$1c$2")], "\"carted\"");
        r(&[s("abc"), s("[A-Z]"), s("#"), s("i")], "\"###\"");
        r(&[s("a.b.c."), s("[a-z]"), s("#"), s("s")], "\"#.#.#.\"");
        r(
            &[s("facetiously"), s("[iouy]"), s("[$0]")],
            "\"facet[i][o][u]sl[y]\"",
        );
        r(&[s("a$b"), s("\\$"), s("\\$\\\\")], "\"a$\\\\b\"");
        r(&[s("a.b"), s("."), s("$1\\"), s("q")], "\"a$1\\\\b\"");
        assert_null("replace", &[s("abc"), s("x*"), s("-")]);
        assert_null("replace", &[s("abc"), s("b"), s("$")]);
        assert_text("split", &[s("John Doe"), s("\\s")], "[\"John\", \"Doe\"]");
        assert_text(
            "split",
            &[s("a;b;c;;"), s(";")],
            "[\"a\", \"b\", \"c\", \"\", \"\"]",
        );
        assert_null("split", &[s("abc"), s("")]);
        assert_text(
            "extract",
            &[s("references are 1234, 1256, 1378"), s("12[0-9]*")],
            "[\"1234\", \"1256\"]",
        );
    }

    #[test]
    fn string_join_skips_nulls() {
        let abc = l([s("a"), Value::Null, s("c")]);
        assert_text("string join", std::slice::from_ref(&abc), "\"ac\"");
        assert_text("string join", &[abc.clone(), s("X")], "\"aXc\"");
        assert_text("string join", &[abc, s(", "), s("["), s("]")], "\"[a, c]\"");
        assert_text("string join", &[s("a"), s("X")], "\"a\"");
        assert_text("string join", &[l([]), s("X")], "\"\"");
        assert_text("string join", &[l([s("a"), s("b")]), Value::Null], "\"ab\"");
        assert_null("string join", &[l([n("1")]), s("X")]);
        assert_null("string join", &[Value::Null]);
    }

    #[test]
    fn camunda_generators_and_codecs() {
        let Value::String(u) = call("uuid", &[]) else {
            panic!("not a string")
        };
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        assert_ne!(call("uuid", &[]), call("uuid", &[]));
        assert_text("to base64", &[s("FEEL")], "\"RkVFTA==\"");
        assert_text("to base64", &[s("ab")], "\"YWI=\"");
        assert_text("to base64", &[s("abc")], "\"YWJj\"");
        assert_text("from base64", &[s("RkVFTA==")], "\"FEEL\"");
        assert_text("from base64", &[s("YWI")], "\"ab\"");
        assert_null("from base64", &[s("R!")]);
        assert_null("from base64", &[s("/w==")]);
        assert_eq!(call("fromAi", &[n("7"), s("the id"), s("number")]), n("7"));
    }
}
