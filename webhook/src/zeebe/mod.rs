//! Dispatch to Zeebe: the commands the service sends and the one trait every
//! transport implements (gRPC, REST v2, and the embedded journal used when no
//! Zeebe is configured).
//!
//! Start-up reads [`ZeebeSettings::from_process_env`] (or the pure
//! [`ZeebeSettings::from_env_and_flags`]) and builds the `Arc<dyn Dispatcher>`
//! with [`ZeebeSettings::build_dispatcher`] ([`JournalDispatcher`] when no
//! Zeebe is configured); each accepted event is one [`Dispatcher::dispatch`];
//! [`http_status`] maps a [`DispatchError`] to the status the webhook answers.
//!
//! Transports: [`GrpcDispatcher`] (the default, as Camunda's connectors
//! runtime), [`RestDispatcher`] (Camunda 8 REST API v2) and the
//! [`JournalDispatcher`]. Both network transports share one OAuth token cache
//! ([`OAuthCredentials`]), put a deadline on every call (token fetch included) and
//! retry back-pressure (`RESOURCE_EXHAUSTED`) a few times inside it. Fakes of
//! the gateways for tests are in `crate::testing` (cargo feature `testing`).

mod auth;
pub mod cluster;
pub(crate) mod grpc;
mod journal;
pub mod proto;
mod rest;
mod retry;
mod settings;
mod variables;

pub use auth::{Auth, OAuthCredentials};
pub use grpc::GrpcDispatcher;
pub use journal::{JournalDispatcher, SyncPolicy};
pub use rest::RestDispatcher;
pub use settings::{Connection, SettingsError, Transport, ZeebeAddresses, ZeebeSettings};
pub use variables::Variables;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::Serialize;

/// A command for Zeebe, built from one accepted webhook request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "command", rename_all = "camelCase")]
pub enum Command {
    /// Start a process instance (none start event).
    #[serde(rename_all = "camelCase")]
    CreateProcessInstance {
        /// The BPMN process id.
        bpmn_process_id: String,
        /// The process version; -1 = latest.
        version: i32,
        /// The tenant, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        tenant_id: Option<String>,
        /// The variables (a JSON object).
        variables: Variables,
    },
    /// Publish a message (message start, intermediate, boundary, receive task).
    #[serde(rename_all = "camelCase")]
    PublishMessage {
        /// The message name (`bpmn:message name`).
        name: String,
        /// The correlation key ("" for none).
        correlation_key: String,
        /// The message id for deduplication ("" for none).
        message_id: String,
        /// How long Zeebe buffers the message.
        #[serde(with = "millis")]
        time_to_live: Duration,
        /// The tenant, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        tenant_id: Option<String>,
        /// The variables (a JSON object).
        variables: Variables,
    },
}

impl Command {
    /// The same command without its variables (what a reply may tell about
    /// it), cheap to keep beside the command that goes on.
    pub fn without_variables(&self) -> Command {
        match self {
            Command::CreateProcessInstance {
                bpmn_process_id,
                version,
                tenant_id,
                ..
            } => Command::CreateProcessInstance {
                bpmn_process_id: bpmn_process_id.clone(),
                version: *version,
                tenant_id: tenant_id.clone(),
                variables: Variables::empty(),
            },
            Command::PublishMessage {
                name,
                correlation_key,
                message_id,
                time_to_live,
                tenant_id,
                ..
            } => Command::PublishMessage {
                name: name.clone(),
                correlation_key: correlation_key.clone(),
                message_id: message_id.clone(),
                time_to_live: *time_to_live,
                tenant_id: tenant_id.clone(),
                variables: Variables::empty(),
            },
        }
    }
}

mod millis {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(super::millis(*d))
    }
}

/// What Zeebe answered on success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "camelCase")]
pub enum Outcome {
    /// A process instance was created.
    #[serde(rename_all = "camelCase")]
    ProcessInstanceCreated {
        /// Its key.
        process_instance_key: i64,
        /// Its tenant.
        tenant_id: Option<String>,
    },
    /// A message was published.
    #[serde(rename_all = "camelCase")]
    MessagePublished {
        /// Its key.
        message_key: i64,
        /// Its tenant.
        tenant_id: Option<String>,
    },
    /// A message with this id was already published (`ALREADY_EXISTS`), which
    /// counts as success.
    MessageAlreadyPublished,
    /// No Zeebe is configured: the command went to the embedded journal.
    Journaled,
}

/// gRPC status codes (the REST transport maps its problem types onto these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StatusCode {
    /// CANCELLED
    Cancelled,
    /// UNKNOWN
    Unknown,
    /// INVALID_ARGUMENT
    InvalidArgument,
    /// DEADLINE_EXCEEDED
    DeadlineExceeded,
    /// NOT_FOUND
    NotFound,
    /// ALREADY_EXISTS
    AlreadyExists,
    /// PERMISSION_DENIED
    PermissionDenied,
    /// RESOURCE_EXHAUSTED
    ResourceExhausted,
    /// FAILED_PRECONDITION
    FailedPrecondition,
    /// ABORTED
    Aborted,
    /// OUT_OF_RANGE
    OutOfRange,
    /// UNIMPLEMENTED
    Unimplemented,
    /// INTERNAL
    Internal,
    /// UNAVAILABLE
    Unavailable,
    /// DATA_LOSS
    DataLoss,
    /// UNAUTHENTICATED
    Unauthenticated,
}

/// Why a dispatch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchError {
    /// The status Zeebe (or the transport) reported.
    pub status: StatusCode,
    /// Zeebe's message, or the transport's.
    pub message: String,
}

impl fmt::Display for DispatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for DispatchError {}

/// A call that got no answer counts as Zeebe being unreachable.
impl From<crate::http_client::HttpError> for DispatchError {
    fn from(e: crate::http_client::HttpError) -> Self {
        DispatchError::new(StatusCode::Unavailable, e.0)
    }
}

impl DispatchError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// The HTTP status to answer the webhook caller with (see [`http_status`]).
    pub fn http_status(&self) -> u16 {
        http_status(self.status)
    }
}

impl StatusCode {
    /// The canonical gRPC name, e.g. `RESOURCE_EXHAUSTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cancelled => "CANCELLED",
            Self::Unknown => "UNKNOWN",
            Self::InvalidArgument => "INVALID_ARGUMENT",
            Self::DeadlineExceeded => "DEADLINE_EXCEEDED",
            Self::NotFound => "NOT_FOUND",
            Self::AlreadyExists => "ALREADY_EXISTS",
            Self::PermissionDenied => "PERMISSION_DENIED",
            Self::ResourceExhausted => "RESOURCE_EXHAUSTED",
            Self::FailedPrecondition => "FAILED_PRECONDITION",
            Self::Aborted => "ABORTED",
            Self::OutOfRange => "OUT_OF_RANGE",
            Self::Unimplemented => "UNIMPLEMENTED",
            Self::Internal => "INTERNAL",
            Self::Unavailable => "UNAVAILABLE",
            Self::DataLoss => "DATA_LOSS",
            Self::Unauthenticated => "UNAUTHENTICATED",
        }
    }

    /// Every status, in gRPC code order (1..=16).
    pub const ALL: [StatusCode; 16] = [
        Self::Cancelled,
        Self::Unknown,
        Self::InvalidArgument,
        Self::DeadlineExceeded,
        Self::NotFound,
        Self::AlreadyExists,
        Self::PermissionDenied,
        Self::ResourceExhausted,
        Self::FailedPrecondition,
        Self::Aborted,
        Self::OutOfRange,
        Self::Unimplemented,
        Self::Internal,
        Self::Unavailable,
        Self::DataLoss,
        Self::Unauthenticated,
    ];

    /// Parses a canonical gRPC name (`RESOURCE_EXHAUSTED`); `None` for
    /// anything else, including `OK`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == name)
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The HTTP status the webhook answers with when Zeebe failed with `status`,
/// as Camunda's connectors runtime does (its `ZeebeClientStatusCodeMapper`
/// maps gRPC status codes to HTTP statuses this way).
///
/// `RESOURCE_EXHAUSTED` (back-pressure) is 429, so callers may retry later.
/// Note that `ALREADY_EXISTS` from a message publication never gets here: the
/// transports report it as [`Outcome::MessageAlreadyPublished`].
///
/// # Examples
/// ```
/// use webhook::zeebe::{http_status, StatusCode};
/// assert_eq!(http_status(StatusCode::ResourceExhausted), 429);
/// assert_eq!(http_status(StatusCode::DeadlineExceeded), 504);
/// ```
pub fn http_status(status: StatusCode) -> u16 {
    match status {
        StatusCode::Cancelled => 499,
        StatusCode::Unknown | StatusCode::Internal | StatusCode::DataLoss => 500,
        StatusCode::InvalidArgument => 400,
        StatusCode::DeadlineExceeded => 504,
        StatusCode::NotFound => 404,
        StatusCode::AlreadyExists | StatusCode::Aborted => 409,
        StatusCode::PermissionDenied => 403,
        StatusCode::ResourceExhausted => 429,
        StatusCode::FailedPrecondition => 412,
        StatusCode::OutOfRange => 416,
        StatusCode::Unimplemented => 501,
        StatusCode::Unavailable => 503,
        StatusCode::Unauthenticated => 401,
    }
}

/// A duration in whole milliseconds, saturating at `u64::MAX`.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Unix time in milliseconds (0 on a clock set before 1970).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, millis)
}

/// A time to live in whole milliseconds, saturating at `i64::MAX`.
pub(crate) fn ttl_millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}

/// A boxed future, so the trait stays object-safe.
pub type DispatchFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Outcome, DispatchError>> + Send + 'a>>;

/// Sends commands to Zeebe (or somewhere standing in for it).
pub trait Dispatcher: Send + Sync + fmt::Debug {
    /// Sends one command, with a deadline.
    fn dispatch(&self, command: Command) -> DispatchFuture<'_>;
}
