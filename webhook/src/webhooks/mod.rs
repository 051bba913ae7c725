//! Webhook definitions: what each `/inbound/<id>` does, where that comes from
//! (BPMN files, a TOML file), how the properties are read, and the compiled
//! form the pipeline uses.
//!
//! Both sources produce a [`RawWebhook`]: an element's properties as the
//! Camunda runtime sees them (names like `inbound.context`, first occurrence
//! wins). [`compile`] turns one into a [`WebhookDefinition`], compiling every
//! FEEL expression and resolving secrets, so that start-up fails on any error
//! instead of a request failing later.

pub mod bpmn;
mod properties;
pub mod secrets;
pub mod toml;
pub mod watch;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use properties::compile;
use secrets::SecretSource;

use crate::secret::Secret;
use crate::settings::DispatchMode;
use crate::twilio::Algorithm;

/// The only `inbound.type` this service serves.
pub const WEBHOOK_TYPE: &str = "io.camunda:webhook:1";

/// The message time-to-live when `messageTtl` is absent (Camunda's default).
pub const DEFAULT_MESSAGE_TTL: Duration = Duration::from_secs(3600);

/// Where a webhook was defined, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file.
    pub file: PathBuf,
    /// The BPMN element id (or `webhook[N]` for the TOML file).
    pub element_id: String,
    /// The 1-based line of the element, when known.
    pub line: Option<u32>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, " (element `{}`)", self.element_id)
    }
}

/// The kind of BPMN element a webhook belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementKind {
    /// A none start event: starts a process instance.
    StartEvent,
    /// A message start event (also in an event sub-process).
    MessageStartEvent,
    /// A message intermediate catch event.
    IntermediateCatchEvent,
    /// A message boundary event.
    BoundaryEvent,
    /// A receive task.
    ReceiveTask,
}

impl ElementKind {
    /// A short human name.
    pub fn label(self) -> &'static str {
        match self {
            ElementKind::StartEvent => "start event",
            ElementKind::MessageStartEvent => "message start event",
            ElementKind::IntermediateCatchEvent => "intermediate catch event",
            ElementKind::BoundaryEvent => "boundary event",
            ElementKind::ReceiveTask => "receive task",
        }
    }
}

/// The message a message element waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRef {
    /// `bpmn:message name`.
    pub name: String,
    /// The process-side `zeebe:subscription correlationKey` (Zeebe evaluates
    /// it; kept for `webhook check`).
    pub subscription_key: Option<String>,
}

/// One element's properties before compilation.
#[derive(Debug, Clone)]
pub struct RawWebhook {
    /// Where it was defined.
    pub origin: Origin,
    /// The element kind.
    pub kind: ElementKind,
    /// The BPMN process id it belongs to.
    pub process_id: String,
    /// The process version for `CreateProcessInstance` (-1 = latest).
    pub version: i32,
    /// The tenant, if any.
    pub tenant_id: Option<String>,
    /// The message, for message elements.
    pub message: Option<MessageRef>,
    /// `zeebe:property` name/value pairs in document order.
    pub properties: Vec<(String, String)>,
}

/// Which HTTP methods a webhook accepts (`inbound.method`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodFilter {
    /// Any method.
    Any,
    /// Only this one (upper case).
    Only(String),
}

impl MethodFilter {
    /// Whether `method` is accepted (case-insensitive).
    pub fn allows(&self, method: &str) -> bool {
        match self {
            MethodFilter::Any => true,
            MethodFilter::Only(m) => m.eq_ignore_ascii_case(method),
        }
    }
}

/// How a request's signature is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Twilio's algorithm (scopes `url`, `body`, `parameters`).
    Twilio {
        /// The Auth Token.
        secret: Secret,
        /// The header carrying the signature (lower case).
        header: String,
        /// The hash (SHA-1 for Auth Tokens).
        algorithm: Algorithm,
    },
    /// A plain HMAC over the raw body (scope `body` alone).
    Body {
        /// The shared secret.
        secret: Secret,
        /// The header carrying the signature (lower case).
        header: String,
        /// The hash.
        algorithm: Algorithm,
    },
}

impl Verification {
    /// The (lower-case) header carrying the signature.
    pub fn header(&self) -> &str {
        match self {
            Verification::Twilio { header, .. } | Verification::Body { header, .. } => header,
        }
    }
}

/// A compiled FEEL property.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The property it came from.
    pub property: &'static str,
    /// The expression text (leading `=` removed).
    pub source: String,
    /// The compiled expression.
    pub expression: feel::Expression,
}

/// What an accepted request turns into.
#[derive(Debug, Clone)]
pub enum Target {
    /// `CreateProcessInstance`.
    StartProcess {
        /// The BPMN process id.
        bpmn_process_id: String,
        /// The version (-1 = latest).
        version: i32,
    },
    /// `PublishMessage`.
    Message {
        /// The message name.
        name: String,
        /// `correlationKeyExpression`.
        correlation_key: Option<Compiled>,
        /// Whether a missing key is an error (all but message start events).
        key_required: bool,
        /// `messageIdExpression`.
        message_id: Option<Compiled>,
        /// `messageTtl`.
        time_to_live: Duration,
        /// The process-side subscription key, for display.
        subscription_key: Option<String>,
    },
}

/// The parts of the `request` context built only when some expression may
/// read them (the body is always built: signatures, deduplication and the
/// default message id read it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextParts {
    /// `request.headers`.
    pub headers: bool,
    /// `request.params`.
    pub params: bool,
}

impl ContextParts {
    /// Everything (a result variable hands the whole context to Zeebe).
    pub const ALL: ContextParts = ContextParts {
        headers: true,
        params: true,
    };
    /// Only the body.
    pub const BODY: ContextParts = ContextParts {
        headers: false,
        params: false,
    };

    /// The parts `expression` may read when the context is in scope under
    /// `prefix` (`&[]`: its entries are the variables; `&["response"]`: it
    /// is the variable `response`).
    pub fn read_by(expression: &feel::Expression, prefix: &[&str]) -> ContextParts {
        let reads = |part: &str| {
            let mut path = prefix.to_vec();
            path.extend(["request", part]);
            expression.reads(&path)
        };
        ContextParts {
            headers: reads("headers"),
            params: reads("params"),
        }
    }

    /// The parts either needs.
    pub fn union(self, other: ContextParts) -> ContextParts {
        ContextParts {
            headers: self.headers || other.headers,
            params: self.params || other.params,
        }
    }
}

/// One webhook, ready to serve.
#[derive(Debug, Clone)]
pub struct WebhookDefinition {
    /// The webhook id (`inbound.context`), the last path segment.
    pub id: String,
    /// Where it was defined.
    pub origin: Origin,
    /// The element kind.
    pub kind: ElementKind,
    /// The BPMN process id.
    pub process_id: String,
    /// `inbound.method`.
    pub method: MethodFilter,
    /// The signature check, when `inbound.shouldValidateHmac` is `enabled`.
    pub verification: Option<Verification>,
    /// `activationCondition` (or the deprecated `inbound.activationCondition`).
    pub activation: Option<Compiled>,
    /// `consumeUnmatchedEvents`.
    pub consume_unmatched: bool,
    /// What to send to Zeebe.
    pub target: Target,
    /// `resultVariable`.
    pub result_variable: Option<String>,
    /// `resultExpression`.
    pub result_expression: Option<Compiled>,
    /// `inbound.responseExpression`.
    pub response_expression: Option<Compiled>,
    /// The tenant, if any.
    pub tenant_id: Option<String>,
    /// `webhook.dispatch` (`outbox` or `sync`, our extension): overrides
    /// `--dispatch` for this webhook.
    pub dispatch: Option<DispatchMode>,
    /// The parts of the `request` context its expressions may read (see
    /// [`WebhookDefinition::parts_read`]); the others are not built.
    pub context_parts: ContextParts,
}

impl WebhookDefinition {
    /// The parts of the `request` context this webhook's expressions (and
    /// result variable) may read.
    pub fn parts_read(&self) -> ContextParts {
        if self.result_variable.is_some() {
            return ContextParts::ALL;
        }
        let mut parts = ContextParts::BODY;
        let mut add = |compiled: Option<&Compiled>, prefix: &[&str]| {
            if let Some(c) = compiled {
                parts = parts.union(ContextParts::read_by(&c.expression, prefix));
            }
        };
        add(self.activation.as_ref(), &[]);
        if let Target::Message {
            correlation_key,
            message_id,
            ..
        } = &self.target
        {
            add(correlation_key.as_ref(), &[]);
            add(message_id.as_ref(), &[]);
        }
        // The result expression sees the context also as `response`.
        add(self.result_expression.as_ref(), &[]);
        add(self.result_expression.as_ref(), &["response"]);
        add(self.response_expression.as_ref(), &[]);
        parts
    }

    /// One line for `webhook check`: path, element, target, signature, file.
    pub fn describe(&self) -> String {
        let target = match &self.target {
            Target::StartProcess {
                bpmn_process_id, ..
            } => {
                format!("starts process `{bpmn_process_id}`")
            }
            Target::Message {
                name,
                correlation_key,
                subscription_key,
                ..
            } => {
                let mut text = format!("publishes message `{name}`");
                if let Some(key) = correlation_key {
                    text.push_str(&format!(" with key `{}`", key.source));
                }
                if let Some(key) = subscription_key {
                    text.push_str(&format!(" (process side `{key}`)"));
                }
                text
            }
        };
        let signed = match &self.verification {
            Some(Verification::Twilio { .. }) => "Twilio signature",
            Some(Verification::Body { .. }) => "HMAC over the body",
            None => "no signature check",
        };
        format!(
            "/inbound/{}\t{} {}, {target}, {signed}\t{}",
            self.id,
            self.kind.label(),
            self.origin.element_id,
            self.origin.file.display()
        )
    }
}

/// A configuration problem, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    /// The file (and element) at fault.
    pub origin: Option<Origin>,
    /// The file, when there is no element.
    pub file: Option<PathBuf>,
    /// The property at fault.
    pub property: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl DefinitionError {
    /// An error about a whole file.
    pub fn file(file: &Path, message: impl Into<String>) -> DefinitionError {
        DefinitionError {
            origin: None,
            file: Some(file.to_owned()),
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
            file: None,
            property: Some(property.to_owned()),
            message: message.into(),
        }
    }

    /// An error about one element.
    pub fn element(origin: &Origin, message: impl Into<String>) -> DefinitionError {
        DefinitionError {
            origin: Some(origin.clone()),
            file: None,
            property: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.origin, &self.file) {
            (Some(origin), _) => write!(f, "{origin}")?,
            (None, Some(file)) => write!(f, "{}", file.display())?,
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

/// The webhooks being served, by id.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    by_id: BTreeMap<String, Arc<WebhookDefinition>>,
}

impl Registry {
    /// Builds a registry; two definitions claiming one id is an error naming both.
    pub fn build<I>(definitions: I) -> Result<Registry, DefinitionErrors>
    where
        I: IntoIterator<Item = Arc<WebhookDefinition>>,
    {
        let mut by_id: BTreeMap<String, Arc<WebhookDefinition>> = BTreeMap::new();
        let mut errors = Vec::new();
        for def in definitions {
            if let Some(first) = by_id.get(&def.id) {
                errors.push(DefinitionError::property(
                    &def.origin,
                    "inbound.context",
                    format!(
                        "webhook id `{}` is already used by {} (process `{}`)",
                        def.id, first.origin, first.process_id
                    ),
                ));
                continue;
            }
            by_id.insert(def.id.clone(), def);
        }
        if errors.is_empty() {
            Ok(Registry { by_id })
        } else {
            Err(DefinitionErrors(errors))
        }
    }

    /// The webhook with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<WebhookDefinition>> {
        self.by_id.get(id)
    }

    /// The ids, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.by_id.keys().map(String::as_str)
    }

    /// All definitions, sorted by id.
    pub fn definitions(&self) -> impl Iterator<Item = &Arc<WebhookDefinition>> {
        self.by_id.values()
    }

    /// How many webhooks there are.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// What a source file yields: its webhooks, or every error found in it.
pub type FileResult = Result<Vec<Arc<WebhookDefinition>>, DefinitionErrors>;

/// Loads one file: `.toml` as a webhook file, anything else as BPMN.
pub fn load_file(path: &Path, engine: &feel::Engine, secrets: &dyn SecretSource) -> FileResult {
    let text = std::fs::read_to_string(path).map_err(|e| {
        DefinitionErrors(vec![DefinitionError::file(
            path,
            format!("cannot read: {e}"),
        )])
    })?;
    let raws = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        toml::parse(path, &text)?
    } else {
        bpmn::parse(path, &text)?
    };
    compile_all(raws, engine, secrets)
}

/// Compiles a file's raw webhooks, collecting every error.
pub fn compile_all(
    raws: Vec<RawWebhook>,
    engine: &feel::Engine,
    secrets: &dyn SecretSource,
) -> FileResult {
    let mut defs = Vec::new();
    let mut errors = Vec::new();
    for raw in raws {
        match compile(&raw, engine, secrets) {
            Ok(def) => defs.push(Arc::new(def)),
            Err(mut e) => errors.append(&mut e.0),
        }
    }
    if errors.is_empty() {
        // Duplicates inside one file are reported here, naming both elements.
        Registry::build(defs.iter().cloned())?;
        Ok(defs)
    } else {
        Err(DefinitionErrors(errors))
    }
}

/// The files a `--bpmn` argument stands for: the file itself, or every
/// `.bpmn` file below a directory (sorted, recursively).
pub fn expand(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        // Surface a missing file as an error now.
        std::fs::metadata(path)?;
        return Ok(vec![path.to_owned()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let p = entry.path();
            // Hidden files are editor and VCS artefacts.
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            // `file_type` does not follow symlinks, so a link cycle cannot loop.
            if entry.file_type()?.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("bpmn"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}
