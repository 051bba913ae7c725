//! Operator commands on the outbox (`webhook outbox list|show|retry|purge`),
//! run either directly on the store (service stopped: the store is one
//! process's: it locks the file) or through the running service's admin endpoint: `POST /outbox`
//! on a loopback address (`--admin-listen`, [`server`]), which takes an
//! [`Op`] as JSON and answers the result as JSON; [`client`] sends it.

pub mod client;
mod guard;
pub mod server;

pub use guard::Guard;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

use crate::outbox::{EntryState, Outbox, OutboxError};

/// One operator command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Op {
    /// Entries in one state, oldest first.
    List {
        /// Which table.
        state: EntryState,
        /// At most this many.
        limit: usize,
    },
    /// One entry, wherever it is.
    Show {
        /// Its id.
        id: u64,
    },
    /// Dead entries back to pending (`ids: None`: all dead entries).
    Retry {
        /// The ids.
        ids: Option<Vec<u64>>,
    },
    /// Delete delivered and/or dead entries.
    Purge {
        /// Delivered entries.
        delivered: bool,
        /// Dead entries.
        dead: bool,
    },
}

/// Runs `op` on the outbox; the answer as JSON.
pub async fn apply(outbox: &Outbox, op: Op) -> Result<Json, OutboxError> {
    Ok(match op {
        Op::List { state, limit } => {
            let entries = outbox.list(state, limit).await?;
            json!({"state": state, "entries": entries})
        }
        Op::Show { id } => match outbox.get(id).await? {
            Some((state, entry)) => json!({"state": state, "entry": entry}),
            None => return Err(OutboxError::Refused(format!("no outbox entry {id}"))),
        },
        Op::Retry { ids } => json!({"moved": outbox.retry(ids).await?}),
        Op::Purge { delivered, dead } => {
            let mut removed = 0;
            if delivered {
                removed += outbox.purge(EntryState::Delivered).await?;
            }
            if dead {
                removed += outbox.purge(EntryState::Dead).await?;
            }
            json!({"removed": removed})
        }
    })
}
