//! The HTTP edge: the accept loop over worker threads ([`server`],
//! [`workers`]), the warp filters ([`routes`]), one async fn per endpoint
//! ([`handlers`]), the limits that keep hostile clients cheap ([`limits`]),
//! and the success replies ([`reply`]). Failures become replies in
//! [`crate::error`].

pub mod connections;
pub mod handlers;
pub mod limits;
pub mod reply;
pub mod routes;
pub mod server;
pub mod workers;

pub use routes::routes;
