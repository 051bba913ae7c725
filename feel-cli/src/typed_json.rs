//! Typed JSON ↔ [`feel::Value`].
//!
//! Typed JSON is the TCK corpus encoding (see `shared/feel-tck/README.md`):
//! plain JSON for null, booleans, strings, lists and contexts, and one-key
//! objects for the scalars JSON has no type for:
//!
//! | FEEL value | typed JSON |
//! | --- | --- |
//! | number | `{"$number": "-12.50"}` |
//! | date | `{"$date": "2017-01-01"}` |
//! | time | `{"$time": "10:00:00@Europe/Paris"}` |
//! | date and time | `{"$dateTime": "2017-01-01T10:00:00Z"}` |
//! | either duration | `{"$duration": "P1Y2M"}`, `{"$duration": "PT0.5S"}` |
//!
//! Plain JSON is valid typed JSON (a bare JSON number reads as a FEEL number),
//! so the CLI reads every context through here. Temporal payloads are parsed
//! by the engine's own parsers (`feel::Date::parse`, …), so the CLI accepts
//! exactly what `date("…")` and friends accept. Ranges and functions have no
//! encoding.

use std::fmt;

use feel::{Context, Date, DateTime, DayTimeDuration, Number, Time, Value, YearMonthDuration};
use serde_json::{Map, Value as Json};

/// The tag of a typed scalar, with what it decodes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Number,
    Date,
    Time,
    DateTime,
    Duration,
}

impl Tag {
    const ALL: [Tag; 5] = [
        Tag::Number,
        Tag::Date,
        Tag::Time,
        Tag::DateTime,
        Tag::Duration,
    ];

    fn key(self) -> &'static str {
        match self {
            Tag::Number => "$number",
            Tag::Date => "$date",
            Tag::Time => "$time",
            Tag::DateTime => "$dateTime",
            Tag::Duration => "$duration",
        }
    }

    fn from_key(key: &str) -> Option<Tag> {
        Tag::ALL.into_iter().find(|t| t.key() == key)
    }

    /// What a payload of this tag must be, for error messages.
    fn describe(self) -> &'static str {
        match self {
            Tag::Number => "a decimal number such as \"-12.50\"",
            Tag::Date => "a date such as \"2017-01-01\"",
            Tag::Time => "a time such as \"10:00:00\" or \"10:00:00@Europe/Paris\"",
            Tag::DateTime => "a date and time such as \"2017-01-01T10:00:00Z\"",
            Tag::Duration => "a duration such as \"P1Y2M\" or \"P1DT2H\"",
        }
    }
}

/// Why a typed JSON document could not be read: where (a JSONPath-like
/// location such as `$.loan.rate`) and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Where in the document.
    pub path: String,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.path, self.message)
    }
}

impl std::error::Error for DecodeError {}

/// Why a value has no typed JSON form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    /// Where in the value (`$` is the value itself).
    pub path: String,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.path, self.message)
    }
}

impl std::error::Error for EncodeError {}

/// Reads typed JSON text, keeping every digit of bare JSON numbers (through
/// [`Value::from_json_text`]; `serde_json` would round them to an `f64`).
pub fn decode_text(text: &str) -> Result<Value, DecodeError> {
    let plain = Value::from_json_text(text).map_err(|e| DecodeError {
        path: "$".into(),
        message: e.detail().to_owned(),
    })?;
    let mut path = String::from("$");
    untag(plain, &mut path)
}

/// Reads a typed JSON object of variables from text (see [`decode_text`]);
/// `null` reads as no variables.
pub fn decode_context_text(text: &str) -> Result<Context, DecodeError> {
    match decode_text(text)? {
        Value::Null => Ok(Context::new()),
        Value::Context(c) => Ok(c),
        other => Err(error(
            "$",
            format!(
                "expected a JSON object of variables, found {}",
                other.kind()
            ),
        )),
    }
}

/// Turns the tagged scalars of plain JSON read as FEEL values into the values
/// they stand for.
fn untag(v: Value, path: &mut String) -> Result<Value, DecodeError> {
    match v {
        Value::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(untag(item.clone(), path)?);
                path.truncate(len);
            }
            Ok(Value::from(out))
        }
        Value::Context(map) => {
            if let Some(tag) = tag_of(map.keys().map(|k| &**k), map.len(), path)? {
                return match map.get(tag.key()) {
                    Some(Value::String(text)) => scalar_text(tag, text, path),
                    other => Err(not_a_string(
                        tag,
                        &other.map_or("nothing".into(), |v| v.kind().to_string()),
                        path,
                    )),
                };
            }
            let mut out = Context::new();
            for (key, item) in map.iter() {
                let len = path.len();
                push_key(path, key);
                out.insert(key.clone(), untag(item.clone(), path)?);
                path.truncate(len);
            }
            Ok(Value::Context(out))
        }
        other => Ok(other),
    }
}

/// Reads a typed JSON value.
pub fn decode(json: &Json) -> Result<Value, DecodeError> {
    let mut path = String::from("$");
    value(json, &mut path)
}

/// Reads a typed JSON object as a context. `null` reads as the empty context
/// (no variables).
pub fn decode_context(json: &Json) -> Result<Context, DecodeError> {
    match json {
        Json::Null => Ok(Context::new()),
        Json::Object(map) => {
            let mut path = String::from("$");
            context(map, &mut path)
        }
        other => Err(DecodeError {
            path: "$".into(),
            message: format!(
                "expected a JSON object of variables, found {}",
                json_kind(other)
            ),
        }),
    }
}

fn value(json: &Json, path: &mut String) -> Result<Value, DecodeError> {
    match json {
        Json::Null => Ok(Value::Null),
        Json::Bool(b) => Ok(Value::Boolean(*b)),
        // A bare number: not the corpus form, but plain JSON must work too.
        Json::Number(_) => match Value::from_json(json) {
            Value::Null => Err(error(path, format!("the number {json} is out of range"))),
            v => Ok(v),
        },
        Json::String(s) => Ok(Value::from(s.as_str())),
        Json::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(value(item, path)?);
                path.truncate(len);
            }
            Ok(Value::from(out))
        }
        Json::Object(map) => match tag_of(map.keys().map(String::as_str), map.len(), path)? {
            Some(tag) => match &map[tag.key()] {
                Json::String(text) => scalar_text(tag, text, path),
                other => Err(not_a_string(tag, json_kind(other), path)),
            },
            None => Ok(Value::Context(context(map, path)?)),
        },
    }
}

fn context(map: &Map<String, Json>, path: &mut String) -> Result<Context, DecodeError> {
    let mut ctx = Context::new();
    for (key, item) in map {
        let len = path.len();
        push_key(path, key);
        let value = value(item, path)?;
        path.truncate(len);
        ctx.insert(key.as_str(), value);
    }
    Ok(ctx)
}

/// The error for a tag whose payload is not a string (`found`: what it is).
fn not_a_string(tag: Tag, found: &str, path: &str) -> DecodeError {
    error(
        path,
        format!(
            "`{}` takes a string, {}; found {found}",
            tag.key(),
            tag.describe()
        ),
    )
}

fn scalar_text(tag: Tag, text: &str, path: &str) -> Result<Value, DecodeError> {
    let invalid = |why: &str| {
        error(
            path,
            format!("`{}`: \"{text}\" is not {}{why}", tag.key(), tag.describe()),
        )
    };
    if tag == Tag::Duration && mixes_duration_kinds(text) {
        return Err(invalid(
            " (it mixes years/months with days/time; FEEL has no such duration)",
        ));
    }
    let value = match tag {
        Tag::Number => Number::parse(text).map(Value::Number),
        Tag::Date => Date::parse(text).map(Value::Date),
        Tag::Time => Time::parse(text).map(Value::Time),
        Tag::DateTime => DateTime::parse(text).map(Value::DateTime),
        Tag::Duration => YearMonthDuration::parse(text)
            .map(Value::YearMonthDuration)
            .or_else(|| DayTimeDuration::parse(text).map(Value::DayTimeDuration)),
    };
    value.ok_or_else(|| invalid(""))
}

/// Whether an ISO duration has both a years/months part and a days/time part
/// (`P1Y2D`, `P1MT1H`), which neither FEEL duration type holds.
fn mixes_duration_kinds(text: &str) -> bool {
    let (date_part, time_part) = text.split_once('T').unwrap_or((text, ""));
    let year_month = date_part.contains(['Y', 'M']);
    year_month && (date_part.contains(['D', 'W']) || !time_part.is_empty())
}

/// If an object with these `keys` (`len` of them) is a tagged scalar, its
/// tag. An object with a key starting with `$` must be exactly one known tag:
/// the same rule for JSON read by serde and for JSON read as FEEL.
fn tag_of<'k>(
    mut keys: impl Iterator<Item = &'k str>,
    len: usize,
    path: &str,
) -> Result<Option<Tag>, DecodeError> {
    let Some(key) = keys.find(|k| k.starts_with('$')) else {
        return Ok(None);
    };
    let Some(tag) = Tag::from_key(key) else {
        let known: Vec<&str> = Tag::ALL.iter().map(|t| t.key()).collect();
        return Err(error(
            path,
            format!("unknown tag `{key}` (known tags: {})", known.join(", ")),
        ));
    };
    if len != 1 {
        return Err(error(
            path,
            format!("a `{key}` object must have that one key only, found {len} keys"),
        ));
    }
    Ok(Some(tag))
}

/// Writes a value as typed JSON. Ranges and functions (anywhere inside) have
/// no encoding, nor do context keys starting with `$` (reserved for tags).
pub fn encode(value: &Value) -> Result<Json, EncodeError> {
    let mut path = String::from("$");
    encode_at(value, &mut path)
}

fn encode_at(value: &Value, path: &mut String) -> Result<Json, EncodeError> {
    let tagged = |tag: Tag, text: String| {
        let mut map = Map::with_capacity(1);
        map.insert(tag.key().to_owned(), Json::String(text));
        Json::Object(map)
    };
    Ok(match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::String(s) => Json::String(s.to_string()),
        // Number's Display is the canonical plain numeral (no exponent).
        Value::Number(n) => tagged(Tag::Number, n.to_string()),
        Value::Date(d) => tagged(Tag::Date, d.to_string()),
        Value::Time(t) => tagged(Tag::Time, t.to_string()),
        Value::DateTime(d) => tagged(Tag::DateTime, d.to_string()),
        Value::DayTimeDuration(d) => tagged(Tag::Duration, d.to_string()),
        Value::YearMonthDuration(d) => tagged(Tag::Duration, d.to_string()),
        Value::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(encode_at(item, path)?);
                path.truncate(len);
            }
            Json::Array(out)
        }
        Value::Context(ctx) => {
            let mut out = Map::with_capacity(ctx.len());
            for (key, item) in ctx.iter() {
                if key.starts_with('$') {
                    return Err(EncodeError {
                        path: path.clone(),
                        message: format!(
                            "the context key \"{key}\" starts with `$`, which typed JSON reserves for tags"
                        ),
                    });
                }
                let len = path.len();
                push_key(path, key);
                out.insert(key.to_string(), encode_at(item, path)?);
                path.truncate(len);
            }
            Json::Object(out)
        }
        other => {
            return Err(EncodeError {
                path: path.clone(),
                message: format!("a {} ({other}) has no typed JSON encoding", other.kind()),
            })
        }
    })
}

/// Appends `.key`, or `["key"]` when the key is not a plain identifier.
fn push_key(path: &mut String, key: &str) {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&Json::String(key.to_owned()).to_string());
        path.push(']');
    }
}

fn error(path: &str, message: String) -> DecodeError {
    DecodeError {
        path: path.to_owned(),
        message,
    }
}

/// The JSON type of a value, for messages.
pub fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode(j: Json) -> Result<Value, DecodeError> {
        super::decode(&j)
    }

    fn num(s: &str) -> Value {
        Value::Number(feel::Number::parse(s).unwrap())
    }

    #[test]
    fn plain_json_scalars_and_containers() {
        assert_eq!(decode(json!(null)).unwrap(), Value::Null);
        assert_eq!(decode(json!(true)).unwrap(), Value::Boolean(true));
        assert_eq!(decode(json!("a\"b")).unwrap(), Value::from("a\"b"));
        assert_eq!(decode(json!(0.1)).unwrap(), num("0.1"));
        let v = decode(json!({"b": [1, "x"], "a": {"c": null}})).unwrap();
        assert_eq!(v.to_string(), r#"{b: [1, "x"], a: {c: null}}"#);
    }

    #[test]
    fn numbers_are_exact_decimals() {
        assert_eq!(decode(json!({"$number": "-12.50"})).unwrap(), num("-12.5"));
        let big = "12345678901234567890.12345678";
        assert_eq!(decode(json!({"$number": big})).unwrap().to_string(), big);
    }

    #[test]
    fn number_encoding_is_plain_decimal() {
        for s in [
            "0",
            "-12.5",
            "0.0000000000000000000000000001",
            "9999999999999999999999999999",
        ] {
            assert_eq!(encode(&num(s)).unwrap(), json!({"$number": s}), "{s}");
        }
    }

    #[test]
    fn containers_encode_recursively_in_order() {
        let v = decode(json!({"z": [{"$number": "1"}, null, "s"], "a": {"b": false}})).unwrap();
        let j = encode(&v).unwrap();
        assert_eq!(
            j.to_string(),
            r#"{"z":[{"$number":"1"},null,"s"],"a":{"b":false}}"#
        );
    }

    #[test]
    fn json_read_as_feel_text_follows_the_same_tag_rules() {
        let e = decode_text(r#"{"a": [1, {"$numbr": "1"}]}"#).unwrap_err();
        assert_eq!(e.path, "$.a[1]");
        assert!(e.message.contains("unknown tag `$numbr`"), "{e}");

        let e = decode_text(r#"{"$number": "1", "x": 2}"#).unwrap_err();
        assert!(e.message.contains("one key only, found 2 keys"), "{e}");

        let e = decode_text(r#"{"$date": 20170101}"#).unwrap_err();
        assert!(e.message.contains("`$date` takes a string"), "{e}");
        assert!(e.message.contains("found number"), "{e}");

        assert_eq!(
            decode_text(r#"{"d": {"$date": "2017-01-01"}}"#).unwrap(),
            decode(json!({"d": {"$date": "2017-01-01"}})).unwrap()
        );
    }

    #[test]
    fn bad_tags_are_errors_with_a_path() {
        let e = decode(json!({"a": [1, {"$numbr": "1"}]})).unwrap_err();
        assert_eq!(e.path, "$.a[1]");
        assert!(e.message.contains("unknown tag `$numbr`"), "{e}");

        let e = decode(json!({"$number": "1", "x": 2})).unwrap_err();
        assert!(e.message.contains("one key only"), "{e}");

        let e = decode(json!({"$number": 1.5})).unwrap_err();
        assert!(e.message.contains("takes a string"), "{e}");

        let e = decode(json!({"odd key": {"$number": "1.2.3"}})).unwrap_err();
        assert_eq!(e.path, r#"$["odd key"]"#);
        assert!(
            e.message.contains("\"1.2.3\" is not a decimal number"),
            "{e}"
        );
    }

    #[test]
    fn contexts_must_be_objects() {
        assert!(decode_context(&json!(null)).unwrap().is_empty());
        let e = decode_context(&json!([1])).unwrap_err();
        assert!(e.message.contains("found an array"), "{e}");
        let ctx = decode_context(&json!({"Full Name": "Ada"})).unwrap();
        assert_eq!(ctx.get("Full Name"), Some(&Value::from("Ada")));
    }

    #[test]
    fn reserved_keys_do_not_encode() {
        let ctx: Context = [("$number", Value::from("1"))].into_iter().collect();
        let e = encode(&Value::Context(ctx)).unwrap_err();
        assert!(e.message.contains("reserves"), "{e}");
    }

    #[test]
    fn ranges_and_functions_do_not_encode() {
        let range = feel::Engine::new()
            .evaluate_expression("[1..2]", &Context::new())
            .unwrap()
            .value;
        let e = encode(&Value::list([Value::Null, range])).unwrap_err();
        assert_eq!(e.path, "$[1]");
        assert!(e.message.contains("range"), "{e}");

        let f = feel::Engine::new()
            .evaluate_expression("function(x) x", &Context::new())
            .unwrap()
            .value;
        assert!(encode(&f).unwrap_err().message.contains("function"));
    }

    /// Each temporal tag reads through FEEL's conversion and writes back the
    /// same lexical form.
    #[test]
    fn temporal_round_trips() {
        let cases = [
            ("$date", "2017-01-01"),
            ("$time", "10:00:00"),
            ("$time", "10:00:00.5+01:00"),
            ("$time", "10:00:00@Europe/Paris"),
            ("$dateTime", "2017-01-01T10:00:00Z"),
            ("$dateTime", "2017-01-01T10:00:00@Europe/Paris"),
            ("$duration", "P1Y2M"),
            ("$duration", "-P3M"),
            ("$duration", "P1DT2H"),
            ("$duration", "PT0.5S"),
        ];
        for (tag, text) in cases {
            let j = json!({ tag: text });
            let v = decode(j.clone()).unwrap_or_else(|e| panic!("{tag} {text}: {e}"));
            assert_eq!(encode(&v).unwrap(), j, "{tag} {text} read as {v}");
        }
        let kinds = [
            ("$date", "2017-01-01", "date"),
            ("$duration", "P1Y", "years and months duration"),
            ("$duration", "P1D", "days and time duration"),
        ];
        for (tag, text, kind) in kinds {
            let v = decode(json!({ tag: text })).unwrap();
            assert_eq!(v.kind().type_name(), kind);
        }
    }

    #[test]
    fn invalid_temporal_payloads_are_errors() {
        for (tag, text) in [
            ("$date", "2017-13-01"),
            ("$time", "25:00:00"),
            ("$dateTime", "yesterday"),
            ("$duration", "P1Y2D"),
            ("$date", "10:00:00"),
        ] {
            let e = decode(json!({"x": { tag: text }})).unwrap_err();
            assert_eq!(e.path, "$.x", "{tag} {text}");
            assert!(e.message.contains(text), "{e}");
        }
    }
}
