//! The variables of a [`super::Command`], held as JSON text.

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value as Json};

/// The variables of a command: a JSON object, kept as its compact JSON text.
///
/// They are written once, where the request's expressions make them, and
/// then go as they are wherever they are needed: into the outbox's log, the
/// journal, the `variables` field of Zeebe's gRPC requests (a JSON document)
/// and the body of its REST requests. Kept as a tree, they were encoded
/// again at each of those steps, and a tree built on a connection thread
/// was freed, node by node, on the outbox's threads.
///
/// Equal variables are equal texts: two objects with the same entries in
/// another order are not equal.
#[derive(Clone)]
pub struct Variables(Option<Box<RawValue>>);

/// The text of no variables.
const EMPTY: &str = "{}";

impl Variables {
    /// No variables: `{}`.
    pub fn empty() -> Variables {
        Variables(None)
    }

    /// The variables of `map`, written as compact JSON in its order.
    pub fn new(map: &Map<String, Json>) -> Result<Variables, serde_json::Error> {
        if map.is_empty() {
            return Ok(Variables::empty());
        }
        serde_json::value::to_raw_value(map).map(|raw| Variables(Some(raw)))
    }

    /// The compact JSON text, e.g. `{"body":"yes"}`.
    pub fn as_str(&self) -> &str {
        self.0.as_deref().map_or(EMPTY, RawValue::get)
    }

    /// The length of [`Variables::as_str`] in bytes.
    pub fn len(&self) -> usize {
        self.as_str().len()
    }

    /// Whether there is no variable (the text is `{}`).
    pub fn is_empty(&self) -> bool {
        self.as_str() == EMPTY
    }

    /// The variables parsed back from the text.
    pub fn parse(&self) -> Result<Map<String, Json>, serde_json::Error> {
        serde_json::from_str(self.as_str())
    }

    /// The text, without a copy.
    pub fn into_string(self) -> String {
        match self.0 {
            Some(raw) => String::from(Box::<str>::from(raw)),
            None => EMPTY.to_owned(),
        }
    }
}

impl Default for Variables {
    fn default() -> Variables {
        Variables::empty()
    }
}

impl PartialEq for Variables {
    fn eq(&self, other: &Variables) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Variables {}

impl fmt::Debug for Variables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Variables {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(raw) => raw.serialize(serializer),
            None => serializer.serialize_map(Some(0))?.end(),
        }
    }
}

/// Read as an object and written back as text: the records holding
/// variables are internally tagged enums, which serde reads through a
/// buffer that keeps no raw text. Reading happens when a log is opened and
/// when an entry's command is read back from it, not per request.
impl<'de> Deserialize<'de> for Variables {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Variables, D::Error> {
        let map = Map::<String, Json>::deserialize(deserializer)?;
        Variables::new(&map).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn variables(value: Json) -> Variables {
        match value {
            Json::Object(map) => Variables::new(&map).unwrap(),
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn the_text_is_the_compact_json_of_the_object_in_its_order() {
        let v = variables(json!({"b": 1, "a": {"x": [true, null]}}));
        assert_eq!(v.as_str(), r#"{"b":1,"a":{"x":[true,null]}}"#);
        assert_eq!(v.len(), 29);
        assert_eq!(
            Json::Object(v.parse().unwrap()),
            json!({"b": 1, "a": {"x": [true, null]}})
        );
        assert!(!v.is_empty());
        assert!(Variables::default().is_empty());
        assert_eq!(Variables::empty().into_string(), "{}");
        assert_eq!(format!("{v:?}"), v.as_str());
    }

    #[test]
    fn it_is_written_as_it_is_inside_other_json() {
        #[derive(Serialize)]
        struct Around<'a> {
            variables: &'a Variables,
        }
        let v = variables(json!({"text": "a \"quote\"\n"}));
        let text = serde_json::to_string(&Around { variables: &v }).unwrap();
        assert_eq!(text, r#"{"variables":{"text":"a \"quote\"\n"}}"#);
    }

    #[test]
    fn it_reads_back_inside_an_internally_tagged_enum() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        enum Tagged {
            One { variables: Variables },
        }
        let one = Tagged::One {
            variables: variables(json!({"n": 1.5, "s": "é", "big": 18446744073709551615u64})),
        };
        let text = serde_json::to_string(&one).unwrap();
        assert_eq!(
            text,
            r#"{"kind":"One","variables":{"n":1.5,"s":"é","big":18446744073709551615}}"#
        );
        assert_eq!(serde_json::from_str::<Tagged>(&text).unwrap(), one);
    }

    #[test]
    fn anything_but_an_object_is_refused_when_read() {
        #[derive(Debug, Deserialize)]
        struct Holder {
            #[allow(dead_code)]
            variables: Variables,
        }
        for text in [r#"{"variables":[1]}"#, r#"{"variables":"x"}"#] {
            let error = serde_json::from_str::<Holder>(text).unwrap_err();
            assert!(error.to_string().contains("expected a map"), "{error}");
        }
    }
}
