//! Tests of `webhook::zeebe` against the fakes of `webhook::testing`,
//! over loopback only: what each transport puts on the wire, how every
//! status comes back, deadlines, OAuth caching, TLS, the journal and the
//! environment/flag configuration.

// Test code: a failed unwrap is a failed test (.clippy.toml only relaxes
// these lints inside #[test] functions, not in shared helpers).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth;
mod grpc;
mod journal;
mod rest;
mod retry;
mod settings;
mod support;
mod tls;
