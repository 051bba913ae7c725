//! Where an accepted command goes: committed to the outbox (and delivered by
//! its worker), sent inline with Zeebe's answer (`--dispatch sync`, queued
//! when Zeebe cannot take it now), or, without an outbox, sent inline only.

use std::time::Duration;

use crate::error::AppError;
use crate::outbox::{is_retryable, Enqueued, Outbox, OutboxError};
use crate::settings::DispatchMode;
use crate::state::AppState;
use crate::webhooks::WebhookDefinition;
use crate::zeebe::{Command, DispatchError, Dispatcher, Outcome, StatusCode as Grpc};

/// What became of an accepted command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// Zeebe's answer, or [`Outcome::Journaled`] when the event waits in the
    /// outbox (or was a duplicate).
    pub outcome: Outcome,
    /// The metrics label: `accepted` or `duplicate`.
    pub label: &'static str,
}

impl Delivered {
    fn accepted(outcome: Outcome) -> Delivered {
        Delivered {
            outcome,
            label: "accepted",
        }
    }

    fn duplicate() -> Delivered {
        tracing::info!("duplicate delivery: answered, not dispatched");
        Delivered {
            outcome: Outcome::Journaled,
            label: "duplicate",
        }
    }
}

/// Delivers `command` for `webhook` as the settings (and the webhook's own
/// `webhook.dispatch`) say; `dedup_keys` are claimed first when there is an
/// outbox.
pub async fn deliver(
    state: &AppState,
    webhook: &WebhookDefinition,
    command: Command,
    dedup_keys: Vec<String>,
) -> Result<Delivered, AppError> {
    let timeout = state.settings().delivery.dispatch_timeout;
    let Some(outbox) = state.outbox() else {
        return dispatch_inline(state.dispatcher(), timeout, command)
            .await
            .map(Delivered::accepted);
    };
    let mode = webhook.dispatch.unwrap_or(state.settings().delivery.mode);
    match mode {
        DispatchMode::Outbox => queue(outbox, &webhook.id, command, dedup_keys).await,
        DispatchMode::Sync => {
            dispatch_sync(
                state.dispatcher(),
                timeout,
                outbox,
                &webhook.id,
                command,
                dedup_keys,
            )
            .await
        }
    }
}

/// Sends the command now and maps Zeebe's answer: `ALREADY_EXISTS` on a
/// message is success; no answer within `timeout` is `DEADLINE_EXCEEDED`.
async fn dispatch_inline(
    dispatcher: &dyn Dispatcher,
    timeout: Duration,
    command: Command,
) -> Result<Outcome, AppError> {
    let is_publish = matches!(command, Command::PublishMessage { .. });
    match tokio::time::timeout(timeout, dispatcher.dispatch(command)).await {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(DispatchError {
            status: Grpc::AlreadyExists,
            ..
        })) if is_publish => Ok(Outcome::MessageAlreadyPublished),
        Ok(Err(e)) => Err(AppError::Dispatch(e)),
        Err(_) => Err(AppError::Dispatch(DispatchError {
            status: Grpc::DeadlineExceeded,
            message: format!("no answer within {timeout:?}"),
        })),
    }
}

fn outbox_error(e: OutboxError) -> AppError {
    match e.unavailable() {
        // A full disk: nothing was stored; Twilio retries a 503.
        Some(reason) => AppError::Unavailable(reason.to_owned()),
        None => AppError::Internal(format!("the event could not be stored: {e}")),
    }
}

/// Commits the event to the outbox (unless it is a duplicate).
async fn queue(
    outbox: &Outbox,
    webhook: &str,
    command: Command,
    keys: Vec<String>,
) -> Result<Delivered, AppError> {
    match outbox
        .accept(webhook, command, keys)
        .await
        .map_err(outbox_error)?
    {
        Enqueued::Stored(entry) => {
            tracing::info!(entry, "queued in the outbox");
            Ok(Delivered::accepted(Outcome::Journaled))
        }
        Enqueued::Duplicate => Ok(Delivered::duplicate()),
    }
}

/// `--dispatch sync`: Zeebe's answer inline, the outbox when Zeebe is
/// unreachable, pushing back, or an earlier event for the key is queued.
async fn dispatch_sync(
    dispatcher: &dyn Dispatcher,
    timeout: Duration,
    outbox: &Outbox,
    webhook: &str,
    command: Command,
    keys: Vec<String>,
) -> Result<Delivered, AppError> {
    if outbox.must_wait(&command).await.map_err(outbox_error)? {
        return queue(outbox, webhook, command, keys).await;
    }
    if outbox.claim(keys.clone()).await.map_err(outbox_error)? == Enqueued::Duplicate {
        return Ok(Delivered::duplicate());
    }
    match dispatch_inline(dispatcher, timeout, command.clone()).await {
        Ok(outcome) => {
            outbox.set_reachable(true);
            Ok(Delivered::accepted(outcome))
        }
        Err(AppError::Dispatch(e)) if is_retryable(e.status) => {
            outbox.set_reachable(false);
            tracing::warn!(error = %e, "Zeebe unavailable: queued in the outbox");
            // The keys are already claimed by this request.
            queue(outbox, webhook, command, Vec::new()).await
        }
        Err(error) => {
            // Nothing was delivered: a retry of this request may try again.
            if let Err(e) = outbox.release(keys).await {
                tracing::error!(error = %e, "cannot release the deduplication keys");
            }
            Err(error)
        }
    }
}
