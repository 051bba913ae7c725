//! A lexical pass over the source before pest sees it.
//!
//! It is cheap (one pass over the bytes, no allocation in the common case) and
//! catches two things early, with precise messages: text that never ends (an
//! unclosed string, backtick name or block comment) and brackets nested deeper
//! than the configured limit, which pest would otherwise follow recursively.
//!
//! It also hands pest a simpler text when the source needs one (see
//! [`Scan::text`]): comments and the non-ASCII white space of rule 63 become
//! ASCII spaces, so the grammar's white space is one character range; control
//! characters that are not white space become U+0001, which the grammar
//! refuses as it refused them before (its range of white space would
//! otherwise take U+000E to U+001F). Every replacement keeps the byte length,
//! so spans into the text are spans into the source. Strings and backtick
//! names are left alone.

use std::borrow::Cow;

use crate::error::{ParseError, Span};

/// What the scan found out about a source that passed it.
pub(super) struct Scan<'s> {
    /// Whether the source holds anything but white space and comments.
    pub has_content: bool,
    /// The text for pest: the source itself, or a copy with comments and
    /// non-ASCII white space blanked out.
    pub text: Cow<'s, str>,
}

/// Scans `source`; fails on unterminated text or bracket nesting above `max_depth`.
///
/// The bracket count must never exceed the real nesting, or valid input would
/// be refused. `)`, `]` and `}` always close. `(`, `{` and `[` open, except a
/// `[` that ends a range (`[1..2[`): one seen after `..` in the same bracket
/// closes. A `]` that opens a range (`]1..2]`) is counted as closing, which can
/// only make the count lower than the truth; deeper nesting that slips through
/// is still caught by the depth limit of the tree builder.
pub(super) fn scan(source: &str, max_depth: usize) -> Result<Scan<'_>, ParseError> {
    let bytes = source.as_bytes();
    // One entry per open bracket: whether `..` appeared directly inside it.
    let mut open: Vec<bool> = Vec::new();
    let mut has_content = false;
    // Byte ranges to blank out (comments, non-ASCII white space) or to mark
    // as refused (other control characters); usually none.
    let mut blanks: Vec<(usize, usize, u8)> = Vec::new();
    // Operator characters in a row (white space between them allowed): each
    // may be a prefix operator (`- - x`, `< - x`), which pest reads by
    // recursion, so a long run is refused here like deep brackets.
    let mut operators = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // Most bytes need no more than a look at their class.
        match CLASS[usize::from(b)] {
            PLAIN => {
                operators = 0;
                has_content = true;
                i += 1;
                continue;
            }
            SPACE => {
                i += 1;
                continue;
            }
            OPERATOR => {
                operators += 1;
                if operators > max_depth {
                    return Err(ParseError::new(
                        source,
                        Span::new(i, i + 1),
                        format!(
                            "the expression is nested too deeply (the limit is {max_depth} levels)"
                        ),
                        Vec::new(),
                    ));
                }
                has_content = true;
                i += 1;
                continue;
            }
            _ => {
                // `/` may start a comment, which leaves the run as it is.
                if b != b'/' || !matches!(bytes.get(i + 1), Some(b'/' | b'*')) {
                    operators = 0;
                }
            }
        }
        match b {
            b'"' => {
                has_content = true;
                i = skip_string(source, i)?;
                continue;
            }
            b'`' => {
                has_content = true;
                match source[i + 1..].find('`') {
                    Some(end) => i += end + 2,
                    None => {
                        return Err(unterminated(
                            source,
                            i,
                            "this backtick name is never closed",
                            "\"`\"",
                        ))
                    }
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = source[i..]
                    .find(['\n', '\r'])
                    .map_or(bytes.len(), |n| i + n);
                blanks.push((i, end, b' '));
                i = end;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                match source[i + 2..].find("*/") {
                    Some(end) => {
                        blanks.push((i, i + end + 4, b' '));
                        i += end + 4;
                    }
                    None => {
                        return Err(unterminated(
                            source,
                            i,
                            "this comment is never closed",
                            "\"*/\"",
                        ))
                    }
                }
                continue;
            }
            b'(' | b'{' => push(&mut open, source, i, max_depth)?,
            b'[' => {
                if open.last() == Some(&true) {
                    open.pop();
                } else {
                    push(&mut open, source, i, max_depth)?;
                }
            }
            b')' | b']' | b'}' => {
                open.pop();
            }
            b'.' if bytes.get(i + 1) == Some(&b'.') => {
                if let Some(dots) = open.last_mut() {
                    *dots = true;
                }
                i += 2;
                has_content = true;
                continue;
            }
            0x0E..=0x1F => blanks.push((i, i + 1, 0x01)),
            0x80.. => {
                // Only the white space of rule 63 is replaced; other
                // characters are the grammar's business.
                let c = source[i..].chars().next().unwrap_or(' ');
                let len = c.len_utf8();
                if super::literals::is_feel_whitespace(c) {
                    blanks.push((i, i + len, b' '));
                } else {
                    has_content = true;
                }
                i += len;
                continue;
            }
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            has_content = true;
        }
        i += 1;
    }
    let text = if blanks.is_empty() {
        Cow::Borrowed(source)
    } else {
        let mut text = bytes.to_vec();
        for (start, end, fill) in blanks {
            text[start..end].fill(fill);
        }
        // Whole characters were replaced by ASCII bytes: still UTF-8.
        Cow::Owned(String::from_utf8(text).unwrap_or_else(|_| source.to_owned()))
    };
    Ok(Scan { has_content, text })
}

/// Byte classes for the scan: bytes that need nothing but a note that there
/// is content, white space, operator characters, and the rest (brackets,
/// quotes, `/`, `.`, control characters, non-ASCII) that the scan looks at.
const PLAIN: u8 = 0;
const SPACE: u8 = 1;
const OPERATOR: u8 = 2;
const OTHER: u8 = 3;
static CLASS: [u8; 256] = {
    let mut class = [OTHER; 256];
    let mut b = 0x20;
    while b < 0x7F {
        class[b] = PLAIN;
        b += 1;
    }
    let mut b = b'\t' as usize;
    while b <= b'\r' as usize {
        class[b] = SPACE;
        b += 1;
    }
    class[b' ' as usize] = SPACE;
    class[b'-' as usize] = OPERATOR;
    class[b'<' as usize] = OPERATOR;
    class[b'>' as usize] = OPERATOR;
    class[b'=' as usize] = OPERATOR;
    class[b'!' as usize] = OPERATOR;
    class[b'"' as usize] = OTHER;
    class[b'`' as usize] = OTHER;
    class[b'/' as usize] = OTHER;
    class[b'(' as usize] = OTHER;
    class[b')' as usize] = OTHER;
    class[b'[' as usize] = OTHER;
    class[b']' as usize] = OTHER;
    class[b'{' as usize] = OTHER;
    class[b'}' as usize] = OTHER;
    class[b'.' as usize] = OTHER;
    class
};

fn push(open: &mut Vec<bool>, source: &str, at: usize, max_depth: usize) -> Result<(), ParseError> {
    if open.len() >= max_depth {
        return Err(ParseError::new(
            source,
            Span::new(at, at + 1),
            format!("brackets are nested too deeply (the limit is {max_depth} levels)"),
            Vec::new(),
        ));
    }
    open.push(false);
    Ok(())
}

/// Returns the offset just past the string literal that starts at `start`.
fn skip_string(source: &str, start: usize) -> Result<usize, ParseError> {
    let bytes = source.as_bytes();
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err(unterminated(
        source,
        start,
        "this string is never closed",
        "'\"'",
    ))
}

fn unterminated(source: &str, at: usize, message: &str, expected: &str) -> ParseError {
    ParseError::new(
        source,
        Span::new(at, source.len()),
        format!("{message}: expected {expected} before the end of the input"),
        vec![expected.to_string()],
    )
}
