//! Literals and names: string escapes, numbers, `@"…"` temporal literals, and
//! the spelling of names.

use std::borrow::Cow;

use crate::error::Span;
use crate::value::{Number, Value};

/// A problem inside a literal: where (byte range in the source) and what.
pub(super) struct LiteralError {
    pub span: Span,
    pub message: String,
}

/// Decodes the text between the quotes of a string literal (rules 35, 66).
///
/// `offset` is the byte offset of `raw` in the source, for error spans.
/// `\'`, `\"`, `\\`, `\n`, `\r` and `\t` are decoded; `\uXXXX` takes four hex
/// digits and combines a surrogate pair (`\uD83D\uDE00`); `\U` takes six hex
/// digits as the spec says (`\U01F40E`), or eight when all eight are hex
/// digits that form a code point (`\U0001F600`). Any other backslash is kept
/// as written, because FEEL strings carry regular expressions (`split(s,
/// "\s")` must see `\s`, as the TCK checks). A malformed or lone-surrogate
/// code point escape is an error.
///
/// Text without a backslash is returned as it is, without a copy.
pub(super) fn unescape(raw: &str, offset: usize) -> Result<Cow<'_, str>, LiteralError> {
    if !raw.contains('\\') {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape_start = offset + (raw.len() - rest.len()) + at;
        let after = &rest[at + 1..];
        let mut chars = after.chars();
        let Some(c) = chars.next() else {
            out.push('\\');
            rest = after;
            break;
        };
        let (decoded, used) = match c {
            '\'' => ('\''.into(), 1),
            '"' => ('"'.into(), 1),
            '\\' => ('\\'.into(), 1),
            'n' => ('\n'.into(), 1),
            'r' => ('\r'.into(), 1),
            't' => ('\t'.into(), 1),
            'u' => {
                let (ch, used) = utf16_escape(after, escape_start)?;
                (ch.into(), used)
            }
            'U' => {
                let (ch, used) = long_escape(after, escape_start)?;
                (ch.into(), used)
            }
            other => {
                let mut kept = String::from('\\');
                kept.push(other);
                (kept, other.len_utf8())
            }
        };
        out.push_str(&decoded);
        rest = &after[used..];
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// `after` starts with `u`: decodes `uXXXX` (and a following `\uXXXX` low
/// surrogate). Returns the char and the bytes used after the backslash.
fn utf16_escape(after: &str, escape_start: usize) -> Result<(char, usize), LiteralError> {
    let high = hex_digits(&after[1..], 4).ok_or_else(|| LiteralError {
        span: Span::new(escape_start, escape_start + 2),
        message: "a \\u escape needs four hex digits (\\u00E9)".into(),
    })?;
    let end = escape_start + 6;
    if (0xD800..0xDC00).contains(&high) {
        let low = after[5..]
            .strip_prefix("\\u")
            .and_then(|s| hex_digits(s, 4))
            .filter(|low| (0xDC00..0xE000).contains(low));
        return match low {
            Some(low) => {
                let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                char::from_u32(code)
                    .map(|c| (c, 11))
                    .ok_or_else(|| lone_surrogate(escape_start, end))
            }
            None => Err(lone_surrogate(escape_start, end)),
        };
    }
    char::from_u32(high)
        .map(|c| (c, 5))
        .ok_or_else(|| lone_surrogate(escape_start, end))
}

fn lone_surrogate(start: usize, end: usize) -> LiteralError {
    LiteralError {
        span: Span::new(start, end),
        message:
            "a \\u escape of a UTF-16 surrogate must be a high surrogate followed by a low one"
                .into(),
    }
}

/// `after` starts with `U`: six hex digits, or eight when they form a code point.
fn long_escape(after: &str, escape_start: usize) -> Result<(char, usize), LiteralError> {
    let digits = &after[1..];
    let eight = hex_digits(digits, 8).and_then(char::from_u32);
    let six = || hex_digits(digits, 6).and_then(char::from_u32);
    match (eight, six()) {
        (Some(c), _) => Ok((c, 9)),
        (None, Some(c)) => Ok((c, 7)),
        (None, None) => Err(LiteralError {
            span: Span::new(escape_start, escape_start + 2),
            message: "a \\U escape needs six hex digits naming a Unicode code point (\\U01F600)"
                .into(),
        }),
    }
}

/// The value of the first `n` chars of `s` if they are all hex digits.
fn hex_digits(s: &str, n: usize) -> Option<u32> {
    let digits = s.get(..n)?;
    if digits.len() != n || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

/// A numeric literal (rule 37) without its sign.
pub(super) fn number(text: &str, span: Span) -> Result<Value, LiteralError> {
    // Most numerals are short integers: their digits are the value (what
    // `Number::parse` makes of them too, after its general checks).
    if let Some(n) = small_integer(text) {
        return Ok(Value::Number(Number::from(n)));
    }
    Number::parse(text)
        .map(Value::Number)
        .ok_or_else(|| LiteralError {
            span,
            message: format!("the number {text} is too large for a FEEL number"),
        })
}

/// The value of a numeral of 1 to 18 decimal digits and nothing else.
fn small_integer(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 18 {
        return None;
    }
    text.bytes().try_fold(0i64, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
    })
}

/// Turns the text of an `@"…"` literal into a value at parse time.
///
/// An invalid literal is a parse error, not null: the text is fixed in the
/// expression, so the author should hear about it when compiling (the TCK
/// expects an error for `@"foo"`).
pub(super) fn at_literal(text: &str, span: Span) -> Result<Value, LiteralError> {
    crate::temporal::parse_literal(text).ok_or_else(|| LiteralError {
        span,
        message: format!(
            "@\"{text}\" is not a valid date, time, date and time or duration literal"
        ),
    })
}

/// The white space of rule 63, which may also separate the words of a name.
pub(super) fn is_feel_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\r'
            | ' '
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{180E}'
            | '\u{2000}'
            ..='\u{200B}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// The name a name token stands for: its words joined by single spaces, so
/// `Monthly   Salary` and a name broken over two lines mean `Monthly Salary`.
pub(super) fn name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(is_feel_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Whether `word` is one of FEEL's reserved words, which no name starts with
/// (the grammar's `reserved` rule).
pub(super) fn is_reserved(word: &str) -> bool {
    matches!(
        word,
        "and"
            | "between"
            | "else"
            | "every"
            | "false"
            | "for"
            | "function"
            | "if"
            | "instance"
            | "in"
            | "null"
            | "or"
            | "return"
            | "satisfies"
            | "some"
            | "then"
            | "true"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_small_integer_path_agrees_with_the_general_one() {
        let mut numerals: Vec<String> = [
            "0",
            "7",
            "00",
            "007",
            "10",
            "4711",
            "999999999999999999",
            "1000000000000000000",
            "9223372036854775807",
            "1.5",
            "1e3",
            ".5",
            "",
        ]
        .map(String::from)
        .to_vec();
        numerals.extend((0..18).map(|k| "9".repeat(k + 1)));
        for text in &numerals {
            if let Some(n) = small_integer(text) {
                assert_eq!(Some(Number::from(n)), Number::parse(text), "{text}");
                assert_eq!(
                    Number::from(n).to_string(),
                    Number::parse(text)
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                );
            } else {
                assert!(
                    text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) || text.is_empty(),
                    "{text}"
                );
            }
        }
    }
}
