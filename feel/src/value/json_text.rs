//! JSON text straight into FEEL values, keeping every digit of its numbers.
//!
//! `serde_json` reads a number into an `f64` unless its `arbitrary_precision`
//! feature is on, and that feature changes `serde_json::Number` for every
//! crate of a build (it breaks `#[serde(untagged)]` enums with numeric
//! variants, for one). This reader needs no feature and no dependency: it
//! follows RFC 8259 and hands each number's text to [`Number::parse`], so a
//! number keeps its digits up to the 28 significant digits a FEEL number
//! holds (more are rounded half to even). A number beyond the range of FEEL
//! numbers (about ±7.9 × 10²⁸) becomes null, as in [`Value::from_json`].
//!
//! Objects become contexts in document order (a repeated key keeps its first
//! position and its last value, as `serde_json` with `preserve_order` does),
//! arrays lists, strings strings.

use std::sync::Arc;

use super::{Context, Number, Value};
use crate::error::{Error, ErrorKind};

/// Nesting deeper than this is refused rather than followed recursively.
const MAX_NESTING: usize = 512;

impl Value {
    /// Parses JSON text into a FEEL value, keeping the digits of its numbers
    /// (see the module docs). Invalid JSON is an [`ErrorKind::InvalidInput`]
    /// error naming the line and column.
    ///
    /// # Examples
    ///
    /// ```
    /// use feel::Value;
    ///
    /// let v = Value::from_json_text(r#"{"amount": 1234567890123456789.123456789}"#)?;
    /// assert_eq!(v.to_string(), "{amount: 1234567890123456789.123456789}");
    /// assert!(Value::from_json_text("[1, 2").is_err());
    /// # Ok::<(), feel::Error>(())
    /// ```
    pub fn from_json_text(text: &str) -> Result<Value, Error> {
        let mut r = Reader {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            depth: 0,
        };
        r.skip_ws();
        let v = r.value()?;
        r.skip_ws();
        if r.pos < r.bytes.len() {
            return Err(r.error("unexpected text after the JSON value"));
        }
        Ok(v)
    }
}

impl Context {
    /// Parses a JSON object into a context, keeping the digits of its numbers
    /// (see [`Value::from_json_text`]); an error if the text is not JSON or
    /// not an object.
    pub fn from_json_text(text: &str) -> Result<Context, Error> {
        match Value::from_json_text(text)? {
            Value::Context(c) => Ok(c),
            other => Err(Error::new(
                ErrorKind::InvalidInput,
                format!("expected a JSON object, got {}", other.kind()),
            )),
        }
    }
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Reader<'_> {
    fn error(&self, what: &str) -> Error {
        let before = &self.text[..self.pos.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Error::new(
            ErrorKind::InvalidInput,
            format!("invalid JSON at line {line}, column {column}: {what}"),
        )
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, b: u8, what: &str) -> Result<(), Error> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    fn value(&mut self) -> Result<Value, Error> {
        match self.peek() {
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => Ok(Value::String(self.string()?.into())),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.word("true", Value::Boolean(true)),
            Some(b'f') => self.word("false", Value::Boolean(false)),
            Some(b'n') => self.word("null", Value::Null),
            Some(_) => Err(self.error("expected a JSON value")),
            None => Err(self.error("unexpected end of input, expected a JSON value")),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Value, Error>) -> Result<Value, Error> {
        if self.depth >= MAX_NESTING {
            return Err(self.error(&format!("nested deeper than {MAX_NESTING} levels")));
        }
        self.depth += 1;
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn word(&mut self, word: &str, v: Value) -> Result<Value, Error> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn object(&mut self) -> Result<Value, Error> {
        self.pos += 1;
        let mut c = Context::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Context(c));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key: Arc<str> = self.string()?.into();
            self.skip_ws();
            self.expect(b':', "expected ':' after the key")?;
            self.skip_ws();
            let v = self.value()?;
            c.insert(key, v);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Context(c));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self) -> Result<Value, Error> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::List(items.into()));
        }
        loop {
            self.skip_ws();
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::List(items.into()));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("expected a digit after '.'"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected a digit in the exponent"));
            }
        }
        // Too large for a FEEL number: null, as `Value::from_json` does.
        Ok(Number::parse(&self.text[start..self.pos]).map_or(Value::Null, Value::Number))
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let Some(hex) = self.text.get(self.pos..self.pos + 4) else {
            return Err(self.error("expected four hex digits after \\u"));
        };
        let v = u32::from_str_radix(hex, 16)
            .ok()
            .filter(|_| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("expected four hex digits after \\u"))?;
        self.pos += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, Error> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control character.
            let run = self.bytes[self.pos..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .ok_or_else(|| {
                    self.pos = self.bytes.len();
                    self.error("unterminated string")
                })?;
            out.push_str(&self.text[self.pos..self.pos + run]);
            self.pos += run;
            match self.bytes[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.error("unterminated string"));
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                if !self.bytes[self.pos..].starts_with(b"\\u") {
                                    return Err(self.error("lone leading surrogate in \\u escape"));
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(
                                        self.error("invalid trailing surrogate in \\u escape")
                                    );
                                }
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                            } else {
                                char::from_u32(hi)
                            };
                            match c {
                                Some(c) => out.push(c),
                                None => {
                                    return Err(self.error("lone trailing surrogate in \\u escape"))
                                }
                            }
                        }
                        _ => return Err(self.error("invalid escape")),
                    }
                }
                _ => return Err(self.error("control character in a string")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> String {
        match Value::from_json_text(s) {
            Ok(v) => v.to_string(),
            Err(e) => format!("error: {}", e.detail()),
        }
    }

    #[test]
    fn numbers_keep_their_digits() {
        assert_eq!(
            read("1234567890123456789.123456789"),
            "1234567890123456789.123456789"
        );
        assert_eq!(read("0.1"), "0.1");
        assert_eq!(read("-0.000000000000000000001"), "-0.000000000000000000001");
        assert_eq!(read("9007199254740993"), "9007199254740993");
        assert_eq!(read("1.5e3"), "1500");
        assert_eq!(read("1E-2"), "0.01");
        assert_eq!(read("-0"), "0");
        // Beyond 28 significant digits: rounded half to even.
        assert_eq!(
            read("0.33333333333333333333333333335"),
            "0.3333333333333333333333333334"
        );
        // Beyond the range of FEEL numbers: null.
        assert_eq!(read("1e400"), "null");
    }

    #[test]
    fn structure_order_and_strings() {
        assert_eq!(
            read(r#" {"b": [true, false, null], "a": {"x": "y"}, "b": 2} "#),
            r#"{b: 2, a: {x: "y"}}"#
        );
        assert_eq!(read("[]"), "[]");
        assert_eq!(read("{}"), "{}");
        assert_eq!(
            read(r#""a\"b\\c\/\n\t\u00e9\ud83d\ude00""#),
            "\"a\\\"b\\\\c/\\n\\té😀\""
        );
        assert_eq!(read(r#""käse""#), "\"käse\"");
    }

    #[test]
    fn bad_json_is_an_error_with_a_position() {
        for bad in [
            "",
            "[1, 2",
            "{\"a\" 1}",
            "{a: 1}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "[1,]",
            "\"abc",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"a\u{1}\"",
            "tru",
            "nul",
            "1 2",
            "NaN",
            "\"\\u12g4\"",
        ] {
            let e = Value::from_json_text(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
            assert!(
                e.detail().starts_with("invalid JSON at line 1"),
                "{bad}: {e}"
            );
        }
        let e = Value::from_json_text("{\n  \"a\": x}").unwrap_err();
        assert!(e.detail().contains("line 2, column 8"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused_not_followed() {
        let deep = "[".repeat(100_000);
        let e = Value::from_json_text(&deep).unwrap_err();
        assert!(e.detail().contains("nested deeper"), "{e}");
        let ok = format!("{}{}", "[".repeat(500), "]".repeat(500));
        assert!(Value::from_json_text(&ok).is_ok());
    }

    #[test]
    fn context_wants_an_object() {
        assert_eq!(Context::from_json_text(r#"{"a": 1}"#).unwrap().len(), 1);
        assert!(Context::from_json_text("[1]").is_err());
    }

    #[cfg(feature = "json")]
    #[test]
    fn agrees_with_serde_json_where_f64_is_exact() {
        let text = r#"{"a": [1, -2.5, "x", null, true, {"b": 0.1}], "c": "\u00e9"}"#;
        let via_serde = Value::from_json(&serde_json::from_str(text).unwrap());
        assert_eq!(Value::from_json_text(text).unwrap(), via_serde);
    }
}
