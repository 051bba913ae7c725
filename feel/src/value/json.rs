//! JSON in and out through `serde_json`.
//!
//! JSON → FEEL keeps integers exactly up to the decimal range (beyond it:
//! null). Other numbers are as exact as `serde_json` delivers them: without
//! its `arbitrary_precision` feature (not enabled here) a JSON text is read
//! into an f64, so `0.1` stays 0.1 but a fraction with more than about 17
//! significant digits comes back rounded to the nearest f64. To keep every
//! digit, read the text with [`Value::from_json_text`] instead (no feature
//! needed); with `arbitrary_precision` on, [`Value::from_json`] keeps them
//! too, since it reads each number's text. FEEL → JSON writes
//! numbers as JSON numbers (integers when integral, otherwise the closest
//! float, which may lose digits), temporal values and durations as their ISO
//! strings, ranges as `{"start", "end", "start included", "end included"}`
//! contexts, and functions as null.

use serde_json::Value as Json;

use super::{Bound, Context, Number, Value};

impl Value {
    /// Converts JSON into a FEEL value: objects become contexts (in document
    /// order), arrays lists, numbers decimals.
    pub fn from_json(json: &Json) -> Value {
        match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Boolean(*b),
            Json::Number(n) => json_number(n).map_or(Value::Null, Value::Number),
            Json::String(s) => Value::String(s.as_str().into()),
            Json::Array(items) => Value::List(items.iter().map(Value::from_json).collect()),
            Json::Object(map) => Value::Context(
                map.iter()
                    .map(|(k, v)| (k.as_str(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Converts a FEEL value into JSON (see the module docs for what is lossy).
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null | Value::Function(_) => Json::Null,
            Value::Boolean(b) => Json::Bool(*b),
            Value::Number(n) => number_json(*n),
            // `str::to_owned`, not `to_string`: no formatting machinery.
            Value::String(s) => Json::String(s.as_ref().to_owned()),
            Value::Date(d) => Json::String(d.to_string()),
            Value::Time(t) => Json::String(t.to_string()),
            Value::DateTime(d) => Json::String(d.to_string()),
            Value::DayTimeDuration(d) => Json::String(d.to_string()),
            Value::YearMonthDuration(d) => Json::String(d.to_string()),
            Value::List(items) => Json::Array(items.iter().map(Value::to_json).collect()),
            Value::Context(c) => Json::Object(
                c.iter()
                    .map(|(k, v)| (k.as_ref().to_owned(), v.to_json()))
                    .collect(),
            ),
            Value::Range(r) => {
                let bound = |b: &Bound| b.value().map_or(Json::Null, Value::to_json);
                let mut m = serde_json::Map::new();
                m.insert("start".into(), bound(&r.start));
                m.insert("end".into(), bound(&r.end));
                m.insert("start included".into(), Json::Bool(r.start.is_included()));
                m.insert("end included".into(), Json::Bool(r.end.is_included()));
                Json::Object(m)
            }
        }
    }
}

impl Context {
    /// A context from a JSON object; `None` if the JSON is not an object.
    pub fn from_json(json: &Json) -> Option<Context> {
        match Value::from_json(json) {
            Value::Context(c) => Some(c),
            _ => None,
        }
    }
}

fn json_number(n: &serde_json::Number) -> Option<Number> {
    if let Some(i) = n.as_i64() {
        return Some(Number::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Number::parse(&u.to_string());
    }
    // Parse the textual form so `0.1` stays exactly 0.1.
    Number::parse(&n.to_string()).or_else(|| n.as_f64().and_then(Number::from_f64))
}

fn number_json(n: Number) -> Json {
    if let Some(i) = n.to_i64() {
        return Json::from(i);
    }
    serde_json::Number::from_f64(n.to_f64()).map_or(Json::Null, Json::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_keep_order_and_decimals() {
        let j = json!({"b": 1, "a": [true, null, "x", 0.1], "c": {"d": -2.5}});
        let v = Value::from_json(&j);
        assert_eq!(
            v.to_string(),
            r#"{b: 1, a: [true, null, "x", 0.1], c: {d: -2.5}}"#
        );
        assert_eq!(v.to_json(), j);
    }

    #[test]
    fn numbers_are_as_exact_as_serde_json_delivers_them() {
        let text = "[0.1000000000000000055511151231, 12345678901234567890123]";
        let v = Value::from_json(&serde_json::from_str(text).unwrap());
        let exact = Value::from_json_text(text).unwrap();
        // With serde_json's `arbitrary_precision` (a workspace may turn it
        // on) every digit arrives; without it the f64 rounding shows.
        let probe: Json = serde_json::from_str("0.10000000000000000001").unwrap();
        let text = probe.to_string();
        let arbitrary = text == "0.10000000000000000001";
        if arbitrary {
            assert_eq!(v, exact);
        } else {
            assert_eq!(v.to_string(), "[0.1, 12345678901234568000000]");
            assert_ne!(v, exact);
        }
    }
}
