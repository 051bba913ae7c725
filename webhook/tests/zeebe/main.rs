//! Tests of `webhook::zeebe` against the fakes of `webhook::zeebe::testing`,
//! over loopback only: what each transport puts on the wire, how every
//! status comes back, deadlines, OAuth caching, TLS, the journal and the
//! environment/flag configuration.

mod auth;
mod config;
mod grpc;
mod journal;
mod rest;
mod support;
mod tls;
