//! A lexical pass over the source before pest sees it.
//!
//! It is cheap (one pass over the bytes, no allocation in the common case) and
//! catches two things early, with precise messages: text that never ends (an
//! unclosed string, backtick name or block comment) and brackets nested deeper
//! than the configured limit, which pest would otherwise follow recursively.

use crate::error::{ParseError, Span};

/// What the scan found out about a source that passed it.
pub(super) struct Scan {
    /// Whether the source holds anything but white space and comments.
    pub has_content: bool,
}

/// Scans `source`; fails on unterminated text or bracket nesting above `max_depth`.
///
/// The bracket count must never exceed the real nesting, or valid input would
/// be refused. `)`, `]` and `}` always close. `(`, `{` and `[` open, except a
/// `[` that ends a range (`[1..2[`): one seen after `..` in the same bracket
/// closes. A `]` that opens a range (`]1..2]`) is counted as closing, which can
/// only make the count lower than the truth; deeper nesting that slips through
/// is still caught by the depth limit of the tree builder.
pub(super) fn scan(source: &str, max_depth: usize) -> Result<Scan, ParseError> {
    let bytes = source.as_bytes();
    // One entry per open bracket: whether `..` appeared directly inside it.
    let mut open: Vec<bool> = Vec::new();
    let mut has_content = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
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
                i = source[i..]
                    .find(['\n', '\r'])
                    .map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                match source[i + 2..].find("*/") {
                    Some(end) => i += end + 4,
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
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            has_content = true;
        }
        i += 1;
    }
    Ok(Scan { has_content })
}

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
