//! The state the outbox log describes, in memory: every entry but the
//! commands of finished ones, the pending set, order keys and deduplication
//! keys. It changes only through [`State::apply`], on replay and after each
//! durable commit alike.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use super::entries::{Entry, EntryState, Stats};
use super::keys::Keys;
use crate::outbox::command::StoredCommand;
use crate::outbox::log::{self, FrameBuilder, Record};
use crate::outbox::OutboxError;

/// A compaction frame is closed once it passes this size.
const SNAPSHOT_FRAME: usize = 4 << 20;
/// Live keys per record in a snapshot.
const KEYS_PER_RECORD: usize = 10_000;

/// Where a record's JSON is in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Loc {
    pub(super) offset: u64,
    pub(super) len: usize,
}

/// One entry in memory: everything but the command, which only pending
/// entries keep (the others are read back from `loc` when asked for).
#[derive(Debug, Clone)]
pub(super) struct Slot {
    pub(super) state: EntryState,
    pub(super) webhook: String,
    pub(super) order_key: Option<String>,
    pub(super) command: Option<StoredCommand>,
    pub(super) accepted_ms: u64,
    pub(super) attempts: u32,
    pub(super) next_attempt_ms: u64,
    pub(super) last_error: Option<String>,
    pub(super) finished_ms: Option<u64>,
    /// The record holding the command.
    pub(super) loc: Loc,
    /// Taken by the worker ([`super::Store::take_due`]) and not settled
    /// since: not handed out again. Memory only: after a restart every
    /// pending entry is due again (at least once).
    pub(super) taken: bool,
}

impl Slot {
    /// The entry this slot describes, its command taken out of the slot,
    /// or read back from the log (`file`) when the slot does not hold it.
    pub(super) fn take_entry(
        &mut self,
        id: u64,
        file: Option<&File>,
    ) -> Result<Entry, OutboxError> {
        let command = match self.command.take() {
            Some(command) => command,
            None => state_command(file, id, self.loc)?,
        };
        Ok(self.entry(id, command))
    }

    /// The entry this slot describes, with its command (which the slot may
    /// not hold: see [`state_command`]).
    pub(super) fn entry(&self, id: u64, command: StoredCommand) -> Entry {
        Entry {
            id,
            webhook: self.webhook.clone(),
            order_key: self.order_key.clone(),
            command,
            accepted_ms: self.accepted_ms,
            attempts: self.attempts,
            next_attempt_ms: self.next_attempt_ms,
            last_error: self.last_error.clone(),
            finished_ms: self.finished_ms,
        }
    }
}

/// A new log file's bytes, and where each kept entry's record is in them.
pub(super) type Snapshot = (Vec<u8>, Vec<(u64, Loc)>);

/// The state the log describes.
#[derive(Debug)]
pub(super) struct State {
    /// The log, for reading commands back (`None`: replayed from bytes
    /// alone, see [`super::inspect`]).
    pub(super) file: Option<Arc<File>>,
    pub(super) next_id: u64,
    pub(super) slots: BTreeMap<u64, Slot>,
    pub(super) pending: BTreeSet<u64>,
    /// The pending entries not taken (see [`Slot::taken`]): those the
    /// worker may be handed, oldest first.
    pub(super) waiting: BTreeSet<u64>,
    /// The order keys of taken entries (each holds its key until settled),
    /// with how many hold each.
    pub(super) holding: HashMap<String, u32>,
    pub(super) dead: BTreeSet<u64>,
    /// Pending entries per order key.
    pub(super) order: HashMap<String, u32>,
    /// Deduplication keys → expiry (Unix ms).
    pub(super) keys: Keys,
}

impl State {
    pub(super) fn new(file: Option<Arc<File>>) -> State {
        State {
            file,
            next_id: 1,
            slots: BTreeMap::new(),
            pending: BTreeSet::new(),
            waiting: BTreeSet::new(),
            holding: HashMap::new(),
            dead: BTreeSet::new(),
            order: HashMap::new(),
            keys: Keys::default(),
        }
    }

    fn count_order(&mut self, key: Option<&str>, up: bool) {
        if let Some(key) = key {
            count(&mut self.order, key, up);
        }
    }

    /// Marks `id` taken by the worker: out of `waiting`, its key held.
    pub(super) fn take(&mut self, id: u64) {
        let Some(slot) = self.slots.get_mut(&id) else {
            return;
        };
        slot.taken = true;
        self.waiting.remove(&id);
        if let Some(key) = &slot.order_key {
            count(&mut self.holding, key, true);
        }
    }

    /// Ends `id`'s taking (settled, or put back): its key is free, and it
    /// waits again if it is still pending.
    pub(super) fn untake(&mut self, id: u64) {
        let Some(slot) = self.slots.get_mut(&id) else {
            return;
        };
        if !std::mem::take(&mut slot.taken) {
            return;
        }
        if let Some(key) = &slot.order_key {
            count(&mut self.holding, key, false);
        }
        if slot.state == EntryState::Pending {
            self.waiting.insert(id);
        }
    }

    /// Takes `id` out of the pending/dead bookkeeping (not out of `slots`).
    fn leave(&mut self, id: u64, state: EntryState, order_key: Option<&str>) {
        match state {
            EntryState::Pending => {
                self.pending.remove(&id);
                self.waiting.remove(&id);
                self.count_order(order_key, false);
            }
            EntryState::Dead => {
                self.dead.remove(&id);
            }
            EntryState::Delivered => {}
        }
    }

    fn enter(&mut self, id: u64, state: EntryState, order_key: Option<&str>) {
        match state {
            EntryState::Pending => {
                self.pending.insert(id);
                self.waiting.insert(id);
                self.count_order(order_key, true);
            }
            EntryState::Dead => {
                self.dead.insert(id);
            }
            EntryState::Delivered => {}
        }
    }

    /// Applies one durable record. `loc` is where its JSON is in the file.
    pub(super) fn apply(&mut self, record: Record, loc: Loc) {
        match record {
            Record::Event { entry, state, keys } => {
                self.keys.extend(keys);
                self.next_id = self.next_id.max(entry.id.saturating_add(1));
                self.untake(entry.id);
                if let Some(old) = self.slots.remove(&entry.id) {
                    self.leave(entry.id, old.state, old.order_key.as_deref());
                }
                self.enter(entry.id, state, entry.order_key.as_deref());
                let slot = Slot {
                    state,
                    webhook: entry.webhook,
                    order_key: entry.order_key,
                    command: (state == EntryState::Pending).then_some(entry.command),
                    accepted_ms: entry.accepted_ms,
                    attempts: entry.attempts,
                    next_attempt_ms: entry.next_attempt_ms,
                    last_error: entry.last_error,
                    finished_ms: entry.finished_ms,
                    loc,
                    taken: false,
                };
                self.slots.insert(entry.id, slot);
            }
            Record::Keys { keys } => self.keys.extend(keys),
            Record::Release { keys } => {
                for key in keys {
                    self.keys.remove(key);
                }
            }
            Record::Settle {
                id,
                state,
                attempts,
                next_attempt_ms,
                last_error,
                finished_ms,
            } => {
                self.untake(id);
                let Some(slot) = self.slots.get_mut(&id) else {
                    // Its event was purged, or lost to damage that salvage
                    // skipped: nothing to settle.
                    return;
                };
                let from = slot.state;
                slot.state = state;
                slot.attempts = attempts;
                slot.next_attempt_ms = next_attempt_ms;
                slot.last_error = last_error;
                slot.finished_ms = finished_ms;
                if state != EntryState::Pending {
                    slot.command = None;
                }
                if from != state {
                    let order_key = slot.order_key.clone();
                    self.leave(id, from, order_key.as_deref());
                    self.enter(id, state, order_key.as_deref());
                }
            }
            Record::Forget { ids } => {
                for id in ids {
                    let purgeable = self
                        .slots
                        .get(&id)
                        .is_some_and(|s| s.state != EntryState::Pending);
                    if purgeable {
                        if let Some(slot) = self.slots.remove(&id) {
                            self.leave(id, slot.state, slot.order_key.as_deref());
                        }
                    }
                }
            }
            Record::NextId { next_id } => self.next_id = self.next_id.max(next_id),
        }
    }

    /// The command of `slot`: from memory, or read back from the log.
    pub(super) fn command(&self, id: u64, slot: &Slot) -> Result<StoredCommand, OutboxError> {
        match &slot.command {
            Some(command) => Ok(command.clone()),
            None => state_command(self.file.as_deref(), id, slot.loc),
        }
    }

    pub(super) fn entry(&self, id: u64, slot: &Slot) -> Result<Entry, OutboxError> {
        Ok(slot.entry(id, self.command(id, slot)?))
    }

    pub(super) fn stats(&self) -> Stats {
        let oldest = self
            .pending
            .first()
            .and_then(|id| self.slots.get(id))
            .map(|slot| slot.accepted_ms);
        Stats {
            pending: self.pending.len() as u64,
            dead: self.dead.len() as u64,
            oldest_pending_ms: oldest,
        }
    }

    /// What a snapshot of the live state needs (see [`Frozen`]): the
    /// entries that are not delivered, with their commands or where to read
    /// them, and the keys live at `now_ms`. Its cost grows with the pending
    /// and dead entries only: the keys are shared, not copied (see
    /// [`Keys`]).
    pub(super) fn freeze(&self, now_ms: u64) -> Frozen {
        let mut ids: Vec<u64> = self.pending.iter().chain(&self.dead).copied().collect();
        ids.sort_unstable();
        let entries = ids
            .into_iter()
            .filter_map(|id| Some((id, self.slots.get(&id)?.clone())))
            .collect();
        Frozen {
            file: self.file.clone(),
            next_id: self.next_id,
            entries,
            keys: self.keys.clone(),
            now_ms,
        }
    }
}

/// A copy of the live state, taken at one point of the log, that can be
/// written out as a new log file elsewhere (on another thread) while the
/// state goes on changing: commands not in memory are read back from the
/// log, which only grows.
#[derive(Debug)]
pub(super) struct Frozen {
    file: Option<Arc<File>>,
    next_id: u64,
    /// The entries that are not delivered, by id.
    entries: Vec<(u64, Slot)>,
    /// The keys; those live at `now_ms` are kept.
    keys: Keys,
    now_ms: u64,
}

impl Frozen {
    /// The new log file's bytes, and where each entry's record is in them.
    pub(super) fn encode(self) -> Result<Snapshot, OutboxError> {
        let mut out = Vec::new();
        let (_, locs) = self.encode_to(&mut |bytes| {
            out.extend_from_slice(bytes);
            Ok(())
        })?;
        Ok((out, locs))
    }

    /// Hands the new log file's bytes to `sink`, a frame at a time (a few
    /// MiB, not the whole file in memory: under load a snapshot is 100 MB
    /// and more); returns their length and where each entry's record is.
    pub(super) fn encode_to(
        self,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), OutboxError>,
    ) -> Result<(u64, Vec<(u64, Loc)>), OutboxError> {
        let header = log::header();
        sink(&header)?;
        let mut len = header.len() as u64;
        let mut locs = Vec::new();
        let mut frame = FrameBuilder::default();
        let mut in_frame: Vec<(u64, (usize, usize))> = Vec::new();
        let encode = |e: serde_json::Error| OutboxError::Corrupt(e.to_string());
        let mut flush = |frame: &mut FrameBuilder,
                         in_frame: &mut Vec<(u64, (usize, usize))>,
                         locs: &mut Vec<(u64, Loc)>|
         -> Result<(), OutboxError> {
            let start = len;
            let bytes = frame.finish();
            sink(bytes)?;
            len += bytes.len() as u64;
            for (id, (at, len)) in in_frame.drain(..) {
                let offset = start + at as u64;
                locs.push((id, Loc { offset, len }));
            }
            *frame = FrameBuilder::default();
            Ok(())
        };
        frame
            .push(&Record::NextId {
                next_id: self.next_id,
            })
            .map_err(encode)?;
        for (id, mut slot) in self.entries {
            let record = Record::Event {
                entry: slot.take_entry(id, self.file.as_deref())?,
                state: slot.state,
                keys: Vec::new(),
            };
            in_frame.push((id, frame.push(&record).map_err(encode)?));
            if frame.len() >= SNAPSHOT_FRAME {
                flush(&mut frame, &mut in_frame, &mut locs)?;
            }
        }
        let mut live = self.keys.iter_live(self.now_ms).peekable();
        while live.peek().is_some() {
            let keys = live.by_ref().take(KEYS_PER_RECORD).collect();
            frame.push(&Record::Keys { keys }).map_err(encode)?;
            if frame.len() >= SNAPSHOT_FRAME {
                flush(&mut frame, &mut in_frame, &mut locs)?;
            }
        }
        flush(&mut frame, &mut in_frame, &mut locs)?;
        Ok((len, locs))
    }
}

/// Counts `key` up or down in `counts`, dropping it at zero.
fn count(counts: &mut HashMap<String, u32>, key: &str, up: bool) {
    if up {
        *counts.entry(key.to_owned()).or_default() += 1;
    } else if let Some(n) = counts.get_mut(key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            counts.remove(key);
        }
    }
}

/// The command of entry `id`, read back from its record at `loc`.
pub(super) fn state_command(
    file: Option<&File>,
    id: u64,
    loc: Loc,
) -> Result<StoredCommand, OutboxError> {
    let Some(file) = file else {
        return Err(OutboxError::Corrupt(format!(
            "entry {id}: no file to read it back from"
        )));
    };
    let mut bytes = vec![0; loc.len];
    file.read_exact_at(&mut bytes, loc.offset).map_err(|e| {
        OutboxError::Corrupt(format!(
            "entry {id}: cannot read it back at byte {}: {e}",
            loc.offset
        ))
    })?;
    match log::decode(&bytes) {
        Ok(Record::Event { entry, .. }) if entry.id == id => Ok(entry.command),
        Ok(_) => Err(OutboxError::Corrupt(format!(
            "entry {id}: the record at byte {} is another one",
            loc.offset
        ))),
        Err(e) => Err(OutboxError::Corrupt(format!(
            "entry {id}: the record at byte {} does not decode: {e}",
            loc.offset
        ))),
    }
}
