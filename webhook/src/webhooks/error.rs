//! Problems in webhook definitions, each with where it is.

use std::fmt;
use std::path::Path;

use super::{Origin, Source};

/// A configuration problem, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    /// The file or deployed definition, and the element at fault.
    pub origin: Option<Origin>,
    /// The file or deployed definition, when there is no element.
    pub source: Option<Source>,
    /// The property at fault.
    pub property: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl DefinitionError {
    /// An error about a whole file.
    pub fn file(file: &Path, message: impl Into<String>) -> DefinitionError {
        DefinitionError::source(&Source::File(file.to_owned()), message)
    }

    /// An error about a whole file or deployed definition.
    pub fn source(source: &Source, message: impl Into<String>) -> DefinitionError {
        DefinitionError {
            origin: None,
            source: Some(source.clone()),
            property: None,
            message: message.into(),
        }
    }

    /// An error about one element's property.
    pub fn property(
        origin: &Origin,
        property: &str,
        message: impl Into<String>,
    ) -> DefinitionError {
        DefinitionError {
            origin: Some(origin.clone()),
            source: None,
            property: Some(property.to_owned()),
            message: message.into(),
        }
    }

    /// An error about one element.
    pub fn element(origin: &Origin, message: impl Into<String>) -> DefinitionError {
        DefinitionError {
            origin: Some(origin.clone()),
            source: None,
            property: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.origin, &self.source) {
            (Some(origin), _) => write!(f, "{origin}")?,
            (None, Some(source)) => write!(f, "{source}")?,
            (None, None) => f.write_str("configuration")?,
        }
        if let Some(property) = &self.property {
            write!(f, ", property `{property}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for DefinitionError {}

/// All errors of one load, printed one per paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionErrors(pub Vec<DefinitionError>);

impl fmt::Display for DefinitionErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DefinitionErrors {}
