//! The request inspector: the latest `/inbound` requests, what Twilio sent
//! and what every step made of it, on the admin endpoint at `GET /inspect`
//! (a page) and `/inspect/api/...` (the same as JSON).
//!
//! * [`capture`]: what the request path keeps of each request (copied bytes
//!   cut at fixed caps, the webhook definition shared by `Arc`), in a ring
//!   of the latest `--inspect-capacity` requests. Memory only: the bodies
//!   hold phone numbers and message text.
//! * [`view`]: everything else is worked out when a page asks, from those
//!   bytes and the definition the request ran with: the `request` context,
//!   the signature check (the URL variants tried, never the expected MAC),
//!   every expression with its value and warnings, the command, the
//!   deduplication keys, the outbox entry; and, on demand, a dry run
//!   against the definition served now and any expression tried against a
//!   captured request.
//! * [`expressions`]: the webhook's expressions over a request, step by
//!   step, and expressions tried against it.
//! * [`routes`]: the page (a static HTML file, a script and a style sheet
//!   compiled into the binary) and the JSON API, behind the admin
//!   endpoint's `Host` and token checks.
//!
//! With a capacity of 0 nothing is captured: the handler's hooks see `None`.

pub mod capture;
pub mod expressions;
mod rebuild;
pub mod routes;
pub mod view;

pub use capture::{Capture, Inspector, Record};

use serde::Serialize;

use crate::error::AppError;

/// The steps of a request, in the order it meets them; a failed request
/// names the one that refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Finding the webhook by its id.
    Webhook,
    /// The method the webhook accepts.
    Method,
    /// Reading the body (size, time) and decoding a form.
    Body,
    /// The signature check.
    Signature,
    /// The webhook's in-flight limit.
    Limit,
    /// Building the `request` context (query string, JSON body).
    Context,
    /// The activation condition.
    Activation,
    /// The result expression, the variables' size, the keys.
    Expressions,
    /// Committing to the outbox or sending to Zeebe.
    Delivery,
    /// The reply.
    Reply,
    /// Answered with success.
    Done,
}

impl Stage {
    /// The name the page and the API use.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Webhook => "webhook",
            Stage::Method => "method",
            Stage::Body => "body",
            Stage::Signature => "signature",
            Stage::Limit => "limit",
            Stage::Context => "context",
            Stage::Activation => "activation",
            Stage::Expressions => "expressions",
            Stage::Delivery => "delivery",
            Stage::Reply => "reply",
            Stage::Done => "done",
        }
    }

    /// The stage `error` stopped a request at, given the furthest stage it
    /// was seen to reach.
    pub fn of_error(error: &AppError, reached: Stage) -> Stage {
        match error {
            AppError::NoRoute | AppError::UnknownWebhook(_) => Stage::Webhook,
            AppError::MethodNotAllowed(_) => Stage::Method,
            AppError::PayloadTooLarge { .. } | AppError::BodyRead(_) => Stage::Body,
            AppError::MissingSignature(_) | AppError::InvalidSignature => Stage::Signature,
            // A malformed form is refused before the signature check; a
            // malformed query or JSON body while building the context.
            AppError::BadRequest(_) if reached < Stage::Context => Stage::Body,
            AppError::BadRequest(_) => Stage::Context,
            AppError::TooManyRequests { .. } => Stage::Limit,
            AppError::ActivationConditionNotMet => Stage::Activation,
            AppError::InvalidInput { .. } => Stage::Expressions,
            AppError::Dispatch(_) => Stage::Delivery,
            // Storage failures happen while delivering.
            _ if reached >= Stage::Context => Stage::Delivery,
            _ => reached,
        }
    }
}
