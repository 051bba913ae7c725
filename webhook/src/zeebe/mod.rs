//! Dispatch to Zeebe: the commands the service sends and the one trait every
//! transport implements (gRPC, REST v2, and the embedded journal used when no
//! Zeebe is configured).
//!
//! INTERFACE FIXED FIRST so the HTTP side and the transports can be written
//! in parallel; transports live in submodules of this folder.

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
        variables: serde_json::Map<String, serde_json::Value>,
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
        variables: serde_json::Map<String, serde_json::Value>,
    },
}

mod millis {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
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
        write!(f, "{:?}: {}", self.status, self.message)
    }
}

impl std::error::Error for DispatchError {}

/// A boxed future, so the trait stays object-safe.
pub type DispatchFuture<'a> = Pin<Box<dyn Future<Output = Result<Outcome, DispatchError>> + Send + 'a>>;

/// Sends commands to Zeebe (or somewhere standing in for it).
pub trait Dispatcher: Send + Sync + fmt::Debug {
    /// Sends one command, with a deadline.
    fn dispatch(&self, command: Command) -> DispatchFuture<'_>;
}
