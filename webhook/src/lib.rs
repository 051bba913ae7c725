//! The webhook service: Twilio-verified `/inbound/<id>` → FEEL → Zeebe.
//!
//! Start it with [`Service::start`] (or [`Service::run`] until a signal):
//! the binary and the integration tests both do. One request walks through
//! the modules in this order (`webhook/README.md`, "Layout", says the same
//! with file names):
//!
//! 1. [`http`]: the accept loop hands the connection to a worker thread, the
//!    routes match `/inbound/<id>` and take an in-flight slot, the handler
//!    reads the body within its limits;
//! 2. [`inbound`]: the signature is verified ([`twilio`], [`form`]), the
//!    `request` context is built, the webhook's expressions decide and build
//!    the command, and [`inbound::delivery`] commits it to the [`outbox`] or
//!    sends it through [`zeebe`];
//! 3. [`error`] turns any failure into exactly one status and JSON body;
//!    [`http::reply`] builds the success reply.
//!
//! Around them: [`settings`] (the service's settings and every default),
//! [`webhooks`] (the definitions, read from BPMN and TOML), [`state`] (what
//! requests share), [`admin`] (the outbox commands), [`metrics`].

pub mod admin;
mod app;
pub mod error;
pub mod form;
pub mod http;
mod http_client;
pub mod inbound;
pub mod metrics;
pub mod outbox;
pub mod secret;
pub mod settings;
pub mod state;
mod sync;
#[cfg(feature = "testing")]
pub mod testing;
pub mod twilio;
pub mod webhooks;
pub mod zeebe;

pub use app::{Running, Service, StartError};
pub use http::server::shutdown_signal;
pub use settings::Settings;
