//! What one webhook is: where it was defined ([`Origin`], [`Source`]), the
//! element's raw properties ([`RawWebhook`]), and the compiled form the
//! pipeline runs ([`WebhookDefinition`]).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::secret::Secret;
use crate::settings::DispatchMode;
use crate::twilio::Algorithm;

/// Where definitions are read: a file, or a process definition deployed to
/// the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A BPMN or TOML file.
    File(PathBuf),
    /// A deployed process definition (cluster discovery).
    Deployed(Deployment),
}

/// One process definition deployed to the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Deployment {
    /// The BPMN process id.
    pub process_id: String,
    /// Its version (per process id and tenant).
    pub version: i32,
    /// Its key.
    pub key: i64,
    /// Its tenant.
    pub tenant_id: String,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Deployed(d) => write!(
                f,
                "process `{}` version {} (key {}, tenant `{}`)",
                d.process_id, d.version, d.key, d.tenant_id
            ),
        }
    }
}

/// Where a webhook was defined, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file or the deployed definition.
    pub source: Source,
    /// The BPMN element id (or `webhook[N]` for the TOML file).
    pub element_id: String,
    /// The 1-based line of the element, when known.
    pub line: Option<u32>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.source, self.line) {
            (Source::File(path), Some(line)) => write!(f, "{}:{line}", path.display())?,
            (Source::File(path), None) => write!(f, "{}", path.display())?,
            (deployed @ Source::Deployed(_), _) => write!(f, "{deployed},")?,
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
            self.origin.source
        )
    }
}
