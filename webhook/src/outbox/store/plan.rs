//! Deciding one batch of writes against the state in memory: deduplication,
//! ids, what each write records. Nothing changes until the batch's frame is
//! durable.

use std::collections::{HashMap, HashSet};

use super::entries::{digest, Answer, Enqueue, Enqueued, EntryState, Write, Written};
use super::keys::Digests;
use super::state::State;
use crate::outbox::log::{FrameBuilder, Key, Record};
use crate::outbox::OutboxError;

/// One batch being decided: what the state plus the batch's earlier writes
/// say, and the frame the decisions go into.
pub(super) struct Plan<'a> {
    pub(super) state: &'a State,
    /// Keys claimed (`Some(expiry)`) or released (`None`) earlier in the batch.
    pub(super) keys: HashMap<u128, Option<u64>, Digests>,
    /// Entries settled, retried or purged earlier in the batch.
    pub(super) touched: HashSet<u64>,
    pub(super) next_id: u64,
    /// The latest `now_ms` of the batch's enqueues: the requests' clock.
    pub(super) now_ms: u64,
    pub(super) frame: &'a mut FrameBuilder,
    pub(super) planned: &'a mut Vec<(Record, (usize, usize))>,
}

impl Plan<'_> {
    fn live(&self, key: u128, now_ms: u64) -> bool {
        match self.keys.get(&key) {
            Some(claimed) => claimed.is_some_and(|expiry| expiry > now_ms),
            None => self.state.keys.live(key, now_ms),
        }
    }

    /// Puts `record` into the frame, to be applied once the frame is durable.
    fn record(&mut self, record: Record) -> Result<(), OutboxError> {
        let at = self
            .frame
            .push(&record)
            .map_err(|e| OutboxError::Corrupt(format!("cannot encode an outbox record: {e}")))?;
        self.planned.push((record, at));
        Ok(())
    }

    pub(super) fn decide(&mut self, write: Write) -> Answer {
        match write {
            Write::Enqueue(request) => self.enqueue(request),
            Write::Settle(settlements) => {
                for settled in settlements {
                    self.touched.insert(settled.id);
                    self.record(Record::Settle {
                        id: settled.id,
                        state: settled.to,
                        attempts: settled.attempts,
                        next_attempt_ms: settled.next_attempt_ms,
                        last_error: settled.last_error,
                        finished_ms: settled.finished_ms,
                    })?;
                }
                Ok(Written::Settled)
            }
            Write::Release(keys) => {
                let keys: Vec<u128> = keys.iter().map(|k| digest(k)).collect();
                for &key in &keys {
                    self.keys.insert(key, None);
                }
                self.record(Record::Release { keys })?;
                Ok(Written::Settled)
            }
            Write::Retry { ids, now_ms } => {
                let chosen: Vec<u64> = match ids {
                    Some(ids) => ids,
                    None => self.state.slots.keys().copied().collect(),
                };
                let mut moved = 0;
                for id in chosen {
                    let Some(slot) = self.state.slots.get(&id) else {
                        continue;
                    };
                    if slot.state != EntryState::Dead || !self.touched.insert(id) {
                        continue;
                    }
                    self.record(Record::Settle {
                        id,
                        state: EntryState::Pending,
                        attempts: 0,
                        next_attempt_ms: now_ms,
                        last_error: slot.last_error.clone(),
                        finished_ms: None,
                    })?;
                    moved += 1;
                }
                Ok(Written::Count(moved))
            }
            Write::Purge(which) => {
                if which == EntryState::Pending {
                    return Err(OutboxError::Refused(
                        "pending entries are never purged; wait for them or let them fail".into(),
                    ));
                }
                let ids: Vec<u64> = self
                    .state
                    .slots
                    .iter()
                    .filter(|(id, s)| s.state == which && !self.touched.contains(id))
                    .map(|(&id, _)| id)
                    .collect();
                let count = ids.len() as u64;
                if count > 0 {
                    self.touched.extend(ids.iter().copied());
                    self.record(Record::Forget { ids })?;
                }
                Ok(Written::Count(count))
            }
        }
    }

    /// The one place that deduplicates and stores an event.
    fn enqueue(&mut self, request: Enqueue) -> Answer {
        self.now_ms = self.now_ms.max(request.now_ms);
        let keys = request.keys;
        if keys.iter().any(|&k| self.live(k, request.now_ms)) {
            return Ok(Written::Enqueued(Enqueued::Duplicate));
        }
        let claimed: Vec<Key> = keys.iter().map(|&k| (k, request.expires_ms)).collect();
        let Some(mut entry) = request.entry else {
            if !claimed.is_empty() {
                self.record(Record::Keys {
                    keys: claimed.clone(),
                })?;
            }
            for (key, expiry) in claimed {
                self.keys.insert(key, Some(expiry));
            }
            return Ok(Written::Enqueued(Enqueued::Stored(0)));
        };
        let id = self.next_id;
        let Some(next_id) = id.checked_add(1) else {
            return Err(OutboxError::Refused(
                "the outbox has used up its entry ids".into(),
            ));
        };
        entry.id = id;
        self.record(Record::Event {
            entry,
            state: EntryState::Pending,
            keys: claimed.clone(),
        })?;
        self.next_id = next_id;
        for (key, expiry) in claimed {
            self.keys.insert(key, Some(expiry));
        }
        Ok(Written::Enqueued(Enqueued::Stored(id)))
    }
}
