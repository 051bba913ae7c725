//! `{{secrets.NAME}}` and the legacy `secrets.NAME` in `inbound.*` properties,
//! resolved from the environment (`SECRET_NAME`; the prefix is a setting) as
//! Camunda's self-managed environment provider does.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use regex::{Captures, Regex};

/// Where secret values come from.
pub trait SecretSource: Send + Sync {
    /// The value of secret `name`, if it exists.
    fn get(&self, name: &str) -> Option<String>;

    /// Where secret `name` would be, to tell an operator what to set.
    fn location(&self, name: &str) -> String {
        format!("secret `{name}`")
    }
}

/// Secrets from environment variables: `{{secrets.X}}` reads `<prefix>X`.
#[derive(Debug, Clone)]
pub struct EnvSecrets {
    /// The variable name prefix (`SECRET_` by default).
    pub prefix: String,
}

impl Default for EnvSecrets {
    fn default() -> Self {
        EnvSecrets {
            prefix: crate::settings::DEFAULT_SECRET_PREFIX.to_owned(),
        }
    }
}

impl EnvSecrets {
    /// Secrets from the variables named `<prefix>NAME`.
    pub fn new(prefix: impl Into<String>) -> EnvSecrets {
        EnvSecrets {
            prefix: prefix.into(),
        }
    }
}

impl SecretSource for EnvSecrets {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(format!("{}{name}", self.prefix)).ok()
    }

    fn location(&self, name: &str) -> String {
        format!("the environment variable {}{name}", self.prefix)
    }
}

/// Secrets from a map (tests, embedding).
#[derive(Debug, Clone, Default)]
pub struct MapSecrets(pub HashMap<String, String>);

impl SecretSource for MapSecrets {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

/// A secret a property names but the source doesn't have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingSecret {
    /// Its name.
    pub name: String,
    /// Where it would be ([`SecretSource::location`]).
    pub location: String,
}

impl fmt::Display for MissingSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "secret `{}` is not available (set {})",
            self.name, self.location
        )
    }
}

impl std::error::Error for MissingSecret {}

#[expect(
    clippy::expect_used,
    reason = "constant patterns, covered by the unit tests"
)]
fn patterns() -> &'static (Regex, Regex) {
    static PATTERNS: OnceLock<(Regex, Regex)> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let braces = Regex::new(r"\{\{\s*secrets\.(\S+?)\s*\}\}").expect("valid pattern");
        let legacy =
            Regex::new(r"secrets\.((?:[a-zA-Z0-9]+[/._-])*[a-zA-Z0-9]+)").expect("valid pattern");
        (braces, legacy)
    })
}

/// Replaces every secret reference in `value`; the first missing one is an error.
pub fn resolve(value: &str, source: &dyn SecretSource) -> Result<String, MissingSecret> {
    let (braces, legacy) = patterns();
    let mut missing = None;
    let mut replace = |caps: &Captures<'_>| {
        let name = caps[1].trim();
        match source.get(name) {
            Some(v) => v,
            None => {
                missing.get_or_insert_with(|| MissingSecret {
                    name: name.to_owned(),
                    location: source.location(name),
                });
                String::new()
            }
        }
    };
    let once = braces.replace_all(value, &mut replace).into_owned();
    let twice = legacy.replace_all(&once, &mut replace).into_owned();
    match missing {
        Some(m) => Err(m),
        None => Ok(twice),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> MapSecrets {
        MapSecrets(HashMap::from([
            ("TWILIO_AUTH_TOKEN".to_owned(), "tok".to_owned()),
            ("a/b.c-d".to_owned(), "x".to_owned()),
        ]))
    }

    #[test]
    fn both_syntaxes() {
        assert_eq!(
            resolve("{{secrets.TWILIO_AUTH_TOKEN}}", &source()).unwrap(),
            "tok"
        );
        assert_eq!(
            resolve("{{ secrets.TWILIO_AUTH_TOKEN }}", &source()).unwrap(),
            "tok"
        );
        assert_eq!(
            resolve("pre-secrets.TWILIO_AUTH_TOKEN", &source()).unwrap(),
            "pre-tok"
        );
        assert_eq!(resolve("secrets.a/b.c-d", &source()).unwrap(), "x");
        assert_eq!(
            resolve("no secrets here", &source()).unwrap(),
            "no secrets here"
        );
    }

    #[test]
    fn missing_is_an_error_naming_the_variable() {
        let err = resolve("{{secrets.NOPE}}", &source()).unwrap_err();
        assert_eq!(err.name, "NOPE");
        let err = resolve("{{secrets.NOPE}}", &EnvSecrets::default()).unwrap_err();
        assert!(
            err.to_string()
                .contains("the environment variable SECRET_NOPE"),
            "{err}"
        );
        let err = resolve("{{secrets.NOPE}}", &EnvSecrets::new("CAMUNDA_SECRET_")).unwrap_err();
        assert!(err.to_string().contains("CAMUNDA_SECRET_NOPE"), "{err}");
    }
}
