//! Test support: fake Zeebe endpoints on `127.0.0.1:0`.
//!
//! Compiled only with the cargo feature `testing` (the crate's own tests turn
//! it on through a dev-dependency on itself), so neither the fakes nor
//! tonic's server side are in the release binary. Each fake records every request it gets and
//! answers from a script: replies queued with `push_reply` (or
//! `fail_next(n, status)`) are used in order, and once the queue is empty
//! every call succeeds.
//!
//! - [`FakeGateway`]: a gRPC gateway built from the same proto as the client.
//! - [`FakeRestGateway`]: the REST API v2 (`/v2/process-instances`,
//!   `/v2/messages/publication`), answering errors as problem+json the way
//!   Camunda does.
//! - [`FakeCamunda`]: a cluster's REST API with deployments tests change at
//!   run time (search with cursor paging, statistics, XML, `DELETED`
//!   definitions, tenants, Basic or bearer auth), for cluster discovery.
//! - [`FakeTokenEndpoint`]: an OAuth token endpoint that counts requests and
//!   hands out `token-1`, `token-2`, … so tests can see caching and refresh.
//!
//! Each has a `start_tls` twin taking a PEM certificate chain and key; its
//! address then uses `https://localhost:<port>`.
//!
//! Dropping a fake stops it and releases calls parked by [`Reply::Hang`].
//!
//! # Examples
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::path::Path;
//! use webhook::testing::{FakeGateway, GrpcCall};
//! use webhook::zeebe::{Command, StatusCode, Transport, ZeebeSettings};
//!
//! let gateway = FakeGateway::start().await?;
//! let config = ZeebeSettings {
//!     transport: Some(Transport::Grpc { address: gateway.address() }),
//!     ..ZeebeSettings::default()
//! };
//! let dispatcher = config.build_dispatcher(Path::new("unused.jsonl"))?;
//! let start = Command::CreateProcessInstance {
//!     bpmn_process_id: "twilio-sms".into(),
//!     version: -1,
//!     tenant_id: None,
//!     variables: Default::default(),
//! };
//!
//! gateway.fail_next(1, StatusCode::NotFound);
//! let error = dispatcher.dispatch(start.clone()).await.unwrap_err();
//! assert_eq!(error.http_status(), 404);
//!
//! dispatcher.dispatch(start).await?;
//! let calls = gateway.calls();
//! assert!(matches!(&calls[1].call, GrpcCall::CreateProcessInstance(r) if r.version == -1));
//! # Ok(())
//! # }
//! ```

mod camunda;
mod grpc;
mod http;

pub use camunda::{FakeAuth, FakeCamunda, FakeDefinition};
pub use grpc::{FakeGateway, GrpcCall, RecordedGrpc};
pub use http::{FakeRestGateway, FakeTokenEndpoint, RecordedHttp};

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use crate::sync::lock;
use crate::zeebe::StatusCode;

/// How a fake answers one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Success, with made-up keys.
    Ok,
    /// Fail with this status and message.
    Fail(StatusCode, String),
    /// Wait this long, then succeed.
    Delay(Duration),
    /// Never answer (until the fake is dropped).
    Hang,
    /// REST and token fakes only: answer exactly this HTTP status, content
    /// type and body. (The gRPC fake treats it as `Ok`.)
    Raw {
        /// HTTP status.
        status: u16,
        /// Content type.
        content_type: String,
        /// Body.
        body: String,
    },
}

impl Reply {
    /// `Fail(status, message)`.
    pub fn fail(status: StatusCode, message: impl Into<String>) -> Self {
        Self::Fail(status, message.into())
    }
}

/// The answer queue and the recordings of one fake.
#[derive(Debug)]
struct Script<T> {
    replies: Mutex<VecDeque<Reply>>,
    calls: Mutex<Vec<T>>,
}

impl<T: Clone> Script<T> {
    fn new() -> Self {
        Self {
            replies: Mutex::new(VecDeque::new()),
            calls: Mutex::new(Vec::new()),
        }
    }

    fn push(&self, reply: Reply) {
        lock(&self.replies).push_back(reply);
    }

    /// Records `call` and takes the next scripted reply.
    fn next(&self, call: T) -> Reply {
        lock(&self.calls).push(call);
        lock(&self.replies).pop_front().unwrap_or(Reply::Ok)
    }

    fn calls(&self) -> Vec<T> {
        lock(&self.calls).clone()
    }
}

/// How long [`Reply::Hang`] waits at most (a bound for runaway tests).
const HANG_LIMIT: Duration = Duration::from_secs(300);
