//! Rust types and tonic stubs generated from `proto/gateway.proto` (a minimal
//! subset of Zeebe's gateway protocol) by `build.rs`.
//!
//! Public so tests can inspect what went over the wire (see
//! `crate::testing`, behind the `testing` feature); it is generated code,
//! not a stable API.

#![allow(clippy::all, clippy::pedantic, missing_docs, unreachable_pub)]

include!(concat!(env!("OUT_DIR"), "/gateway_protocol.rs"));
