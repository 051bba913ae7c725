//! End-to-end tests: the app on 127.0.0.1:0, signed requests, a recording
//! dispatcher. The `feel_*` tests exercise the FEEL-dependent steps
//! (activation, keys, result and response expressions).

// Test code: a failed unwrap is a failed test (.clippy.toml only relaxes
// these lints inside #[test] functions, not in shared helpers).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod cluster;
mod config;
mod dispatch;
mod feel_pipeline;
mod hostile;
mod limits;
mod outbox;
mod outbox_faults;
mod routing;
mod signature;
mod support;
mod twilio;
