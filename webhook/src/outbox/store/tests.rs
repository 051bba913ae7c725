use super::*;
use crate::outbox::StoredCommand;
use crate::zeebe::Variables;

fn entry(order_key: Option<&str>) -> Entry {
    Entry {
        id: 0,
        webhook: "w".into(),
        order_key: order_key.map(str::to_owned),
        command: StoredCommand::CreateProcessInstance {
            bpmn_process_id: "p".into(),
            version: -1,
            tenant_id: None,
            variables: Default::default(),
        },
        accepted_ms: 1,
        attempts: 0,
        next_attempt_ms: 0,
        last_error: None,
        finished_ms: None,
    }
}

fn request(entry: Option<Entry>, keys: &[&str], now_ms: u64) -> Write {
    Write::Enqueue(Enqueue {
        entry,
        keys: keys.iter().map(|k| digest(k)).collect(),
        now_ms,
        expires_ms: now_ms + 100,
    })
}

fn enqueued(answer: Answer) -> Enqueued {
    match answer.unwrap() {
        Written::Enqueued(enqueued) => enqueued,
        other => panic!("an enqueue answered {other:?}"),
    }
}

/// A batch of one.
fn one(store: &Store, write: Write) -> Answer {
    let mut answers = store.write_batch(vec![write]).unwrap();
    assert_eq!(answers.len(), 1);
    answers.pop().unwrap()
}

fn enqueue(store: &Store, entry: Option<Entry>, keys: &[&str], now_ms: u64) -> Enqueued {
    enqueued(one(store, request(entry, keys, now_ms)))
}

fn settle(store: &Store, entry: &Entry, to: EntryState) {
    assert_eq!(
        one(store, Write::Settle(vec![Settlement::new(entry, to)])).unwrap(),
        Written::Settled
    );
}

fn count(store: &Store, write: Write) -> u64 {
    match one(store, write).unwrap() {
        Written::Count(n) => n,
        other => panic!("{other:?}"),
    }
}

fn ids(entries: &[Entry]) -> Vec<u64> {
    entries.iter().map(|e| e.id).collect()
}

fn open(path: &Path) -> Store {
    Store::open(path, OpenMode::Create).unwrap()
}

fn problem(result: Result<Store, OutboxError>) -> String {
    match result {
        Err(e @ OutboxError::Unreadable { .. }) => e.to_string(),
        other => panic!("expected an unreadable store, got {other:?}"),
    }
}

#[test]
fn a_later_event_for_a_key_waits_for_the_earlier_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("s.log"));
    for key in [Some("k"), Some("k"), None, Some("j")] {
        enqueue(&store, Some(entry(key)), &[], 10);
    }
    let (due, _) = store.take_due(10, 10).unwrap();
    assert_eq!(ids(&due), [1, 3, 4]);
    store.put_back(&[3, 4]);

    // The head of `k` backs off: its successor still waits.
    let mut first = due[0].clone();
    first.next_attempt_ms = 50;
    settle(&store, &first, EntryState::Pending);
    let (due, next) = store.take_due(10, 10).unwrap();
    assert_eq!((ids(&due), next), (vec![3, 4], Some(50)));
    store.put_back(&[3, 4]);

    assert!(store.has_pending("k"));
    settle(&store, &first, EntryState::Delivered);
    let (due, _) = store.take_due(10, 10).unwrap();
    assert_eq!(ids(&due), [2, 3, 4]);
    store.put_back(&[3, 4]);
    assert!(store.has_pending("k"));
    settle(&store, &due[0], EntryState::Dead);
    assert!(!store.has_pending("k"));
    let retry = Write::Retry {
        ids: None,
        now_ms: 10,
    };
    assert_eq!(count(&store, retry), 1);
    assert!(store.has_pending("k"));
    assert_eq!(store.stats().pending, 3);
    assert!(!store.has_pending("nope"));
    // A retried entry's command is read back from the log.
    let (due, _) = store.take_due(10, 10).unwrap();
    assert_eq!(ids(&due), [2, 3, 4]);
    assert_eq!(due[0].command, entry(None).command);
}

#[test]
fn a_taken_entry_is_not_handed_out_again_until_settled_or_put_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("s.log"));
    for key in [Some("k"), Some("k"), None, None] {
        enqueue(&store, Some(entry(key)), &[], 10);
    }
    // The limit: two now, the rest later, never the same one twice.
    let (first, _) = store.take_due(10, 2).unwrap();
    assert_eq!(ids(&first), [1, 3]);
    let (second, _) = store.take_due(10, 10).unwrap();
    // 2 waits behind 1, which is taken but not settled: it holds `k`.
    assert_eq!(ids(&second), [4]);
    assert_eq!(store.take_due(10, 10).unwrap().0, []);

    // Settling hands the next of the key out; a settled retry comes back
    // once it is due; a put back entry comes back at once.
    settle(&store, &first[0], EntryState::Delivered);
    let mut retry = first[1].clone();
    retry.next_attempt_ms = 50;
    settle(&store, &retry, EntryState::Pending);
    store.put_back(&[4]);
    let (third, next) = store.take_due(10, 10).unwrap();
    assert_eq!((ids(&third), next), (vec![2, 4], Some(50)));
    let (fourth, _) = store.take_due(50, 10).unwrap();
    assert_eq!(ids(&fourth), [3]);
    // Its command was handed over with the first take: it is read back.
    assert_eq!(fourth[0].command, entry(None).command);
    assert_eq!(store.stats().pending, 3);
}

#[test]
fn dedup_keys_expire_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.log");
    let keys = ["w\u{0}key\u{0}SM1"];
    {
        let store = open(&path);
        let first = enqueue(&store, Some(entry(None)), &keys, 0);
        assert_eq!(first, Enqueued::Stored(1));
    }
    let store = open(&path);
    let again = enqueue(&store, Some(entry(None)), &keys, 99);
    assert_eq!(again, Enqueued::Duplicate);
    assert_eq!(store.stats().pending, 1);
    // Past the window (expiry 0 + 100) the key is free again.
    let later = enqueue(&store, Some(entry(None)), &keys, 100);
    assert_eq!(later, Enqueued::Stored(2));
    // Released keys are free at once, also after reopening.
    one(&store, Write::Release(vec![keys[0].to_owned()])).unwrap();
    drop(store);
    let store = open(&path);
    assert_eq!(enqueue(&store, None, &keys, 101), Enqueued::Stored(0));
}

#[test]
fn pending_entries_cannot_be_purged() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("s.log"));
    enqueue(&store, Some(entry(None)), &[], 1);
    assert!(matches!(
        one(&store, Write::Purge(EntryState::Pending)),
        Err(OutboxError::Refused(_))
    ));
    assert_eq!(count(&store, Write::Purge(EntryState::Dead)), 0);
    assert_eq!(store.stats().pending, 1);
}

#[test]
fn a_batch_deduplicates_in_arrival_order_and_numbers_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("s.log"));
    let answers: Vec<Enqueued> = store
        .write_batch(vec![
            request(Some(entry(Some("k"))), &["a"], 10),
            request(Some(entry(Some("k"))), &["b", "a"], 10),
            request(None, &["c"], 10),
            request(Some(entry(Some("k"))), &["c"], 10),
            request(Some(entry(None)), &[], 10),
            request(Some(entry(Some("j"))), &["d"], 10),
            request(Some(entry(Some("k"))), &["d"], 10),
        ])
        .unwrap()
        .into_iter()
        .map(enqueued)
        .collect();
    use Enqueued::{Duplicate, Stored};
    assert_eq!(
        answers,
        [
            Stored(1),
            Duplicate,
            Stored(0),
            Duplicate,
            Stored(2),
            Stored(3),
            Duplicate
        ]
    );
    // A duplicate writes nothing: not even its other, fresh key.
    assert_eq!(enqueue(&store, None, &["b"], 10), Stored(0));
    let pending = store.list(EntryState::Pending, 10).unwrap();
    assert_eq!(ids(&pending), [1, 2, 3]);
    assert_eq!(store.stats().pending, 3);
    // One pending entry each for `k` and `j`: settling it frees the key.
    for (id, key) in [(1, "k"), (3, "j")] {
        assert!(store.has_pending(key));
        let entry = pending.iter().find(|e| e.id == id).unwrap();
        settle(&store, entry, EntryState::Delivered);
        assert!(!store.has_pending(key), "{key}");
    }
    // Ids keep growing after the batch.
    assert_eq!(enqueue(&store, Some(entry(None)), &[], 10), Stored(4));
}

#[test]
fn a_request_that_fails_alone_leaves_the_rest_of_its_batch_intact() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("s.log"));
    // The last id: the next event cannot be numbered.
    lock(&store.state).next_id = u64::MAX;
    let answers = store
        .write_batch(vec![
            request(None, &["a"], 10),
            request(Some(entry(Some("k"))), &["b"], 10),
            request(None, &["c"], 10),
        ])
        .unwrap();
    assert_eq!(answers.len(), 3);
    assert!(matches!(
        answers[0],
        Ok(Written::Enqueued(Enqueued::Stored(0)))
    ));
    assert!(
        matches!(&answers[1], Err(OutboxError::Refused(m)) if m.contains("ids")),
        "{:?}",
        answers[1]
    );
    assert!(matches!(
        answers[2],
        Ok(Written::Enqueued(Enqueued::Stored(0)))
    ));
    // Its neighbours' keys are claimed; its own key and entry are not.
    assert_eq!(enqueue(&store, None, &["a"], 20), Enqueued::Duplicate);
    assert_eq!(enqueue(&store, None, &["c"], 20), Enqueued::Duplicate);
    assert_eq!(enqueue(&store, None, &["b"], 20), Enqueued::Stored(0));
    assert_eq!(store.stats().pending, 0);
    assert!(!store.has_pending("k"));
}

#[test]
fn settles_and_enqueues_share_a_batch_and_keep_the_key_counts() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("s.log"));
    enqueue(&store, Some(entry(Some("k"))), &[], 10);
    enqueue(&store, Some(entry(Some("j"))), &[], 10);
    let (due, _) = store.take_due(10, 10).unwrap();
    let (first_k, first_j) = (due[0].clone(), due[1].clone());
    let mut retry_j = first_j.clone();
    retry_j.attempts = 1;
    let answers = store
        .write_batch(vec![
            Write::Settle(vec![Settlement::new(&first_k, EntryState::Delivered)]),
            request(Some(entry(Some("k"))), &[], 20),
            Write::Settle(vec![Settlement::new(&retry_j, EntryState::Pending)]),
        ])
        .unwrap();
    assert_eq!(
        answers.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
        [
            Written::Settled,
            Written::Enqueued(Enqueued::Stored(3)),
            Written::Settled
        ]
    );
    assert_eq!(store.get(1).unwrap().unwrap().0, EntryState::Delivered);
    let (state, j) = store.get(2).unwrap().unwrap();
    assert_eq!((state, j.attempts), (EntryState::Pending, 1));
    // `k`: one delivered, one newly pending.
    assert!(store.has_pending("k"));
    let (due, _) = store.take_due(20, 10).unwrap();
    assert_eq!(ids(&due), [2, 3]);
    settle(&store, &due[1], EntryState::Dead);
    assert!(!store.has_pending("k"));
    assert!(store.has_pending("j"));
    let stats = store.stats();
    assert_eq!((stats.pending, stats.dead), (1, 1));
}

/// A store with one entry in each state, a released key and a purge, and
/// what it should look like: (state, id, attempts, last error) per entry.
fn busy_store(path: &Path) -> Vec<(EntryState, Entry)> {
    let store = open(path);
    // Keys claimed now for an hour, so compaction and salvage (which drop
    // expired ones by the clock) keep them.
    let now = now_ms();
    for n in 0..5 {
        let claim = Write::Enqueue(Enqueue {
            entry: Some(entry(Some("k"))),
            keys: vec![digest(&format!("key{n}"))],
            now_ms: now,
            expires_ms: now + 3_600_000,
        });
        enqueued(one(&store, claim));
    }
    let (due, _) = store.take_due(10, 10).unwrap();
    let mut first = due[0].clone();
    first.attempts = 1;
    first.finished_ms = Some(11);
    settle(&store, &first, EntryState::Delivered);
    let (due, _) = store.take_due(10, 10).unwrap();
    let mut second = due[0].clone();
    second.attempts = 1;
    second.last_error = Some("NOT_FOUND: no process".into());
    second.finished_ms = Some(12);
    settle(&store, &second, EntryState::Dead);
    let (due, _) = store.take_due(10, 10).unwrap();
    let mut third = due[0].clone();
    third.attempts = 2;
    third.next_attempt_ms = 500;
    third.last_error = Some("UNAVAILABLE".into());
    settle(&store, &third, EntryState::Pending);
    one(&store, Write::Release(vec!["key4".into()])).unwrap();
    let mut all = Vec::new();
    for id in 1..=5 {
        all.push(store.get(id).unwrap().unwrap());
    }
    all
}

fn everything(store: &Store) -> Vec<(EntryState, Entry)> {
    let mut all = Vec::new();
    for id in 1..=5 {
        if let Some(found) = store.get(id).unwrap() {
            all.push(found);
        }
    }
    all
}

#[test]
fn reopening_replays_every_state_key_and_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.log");
    let before = busy_store(&path);
    let store = Store::open(&path, OpenMode::Existing).unwrap();
    assert_eq!(everything(&store), before);
    let stats = store.stats();
    assert_eq!((stats.pending, stats.dead), (3, 1));
    assert!(store.has_pending("k"));
    for n in 0..4 {
        let key = format!("key{n}");
        assert_eq!(enqueue(&store, None, &[&key], 20), Enqueued::Duplicate);
    }
    assert_eq!(enqueue(&store, None, &["key4"], 20), Enqueued::Stored(0));
    assert_eq!(
        enqueue(&store, Some(entry(None)), &[], 20),
        Enqueued::Stored(6)
    );
}

#[test]
fn compaction_keeps_pending_dead_keys_and_ids_and_drops_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.log");
    let before = busy_store(&path);
    let store = open(&path);
    let grown = store.log_bytes();
    let (was, now) = store.compact().unwrap();
    assert_eq!(was, grown);
    assert!(now < was, "{now} < {was}");
    let kept = undelivered(before);
    assert_eq!(everything(&store), kept);
    // It goes on appending to the compacted file, and reopens as it is.
    assert_eq!(
        enqueue(&store, Some(entry(None)), &["key0"], 20),
        Enqueued::Duplicate
    );
    assert_eq!(
        enqueue(&store, Some(entry(None)), &[], 20),
        Enqueued::Stored(6)
    );
    let after = everything(&store);
    drop(store);
    let store = open(&path);
    assert_eq!(everything(&store), after);
    assert_eq!(store.get(6).unwrap().unwrap().0, EntryState::Pending);
    assert!(!path.with_extension("log.new").exists());
}

/// A [`busy_store`] in `dir`, open and frozen for a compaction.
fn frozen_busy_store(dir: &tempfile::TempDir) -> (PathBuf, Store, compaction::Mark, state::Frozen) {
    let path = dir.path().join("s.log");
    busy_store(&path);
    let store = open(&path);
    let (mark, frozen) = store.freeze();
    (path, store, mark, frozen)
}

/// A new event claiming the key `late` for an hour.
fn late(now: u64) -> Write {
    Write::Enqueue(Enqueue {
        entry: Some(entry(None)),
        keys: vec![digest("late")],
        now_ms: now,
        expires_ms: now + 3_600_000,
    })
}

#[test]
fn commits_during_a_compaction_are_kept_and_read_back_from_the_new_file() {
    let dir = tempfile::tempdir().unwrap();
    // 1 delivered, 2 dead, 3 pending (retry at 500), 4 and 5 pending behind
    // it (all of key `k`). The state is frozen here...
    let (path, store, mark, frozen) = frozen_busy_store(&dir);
    // ...and commits go on: a new event with its key, 3 delivered, and the
    // new one dead at once (so its command is read back from the file).
    let now = now_ms();
    assert_eq!(enqueued(one(&store, late(now))), Enqueued::Stored(6));
    let (due, _) = store.take_due(500, 10).unwrap();
    assert_eq!(ids(&due), [3, 6]);
    settle(&store, &due[0], EntryState::Delivered);
    settle(&store, &due[1], EntryState::Dead);
    let all = |store: &Store| -> Vec<(EntryState, Entry)> {
        (1..=6).filter_map(|id| store.get(id).unwrap()).collect()
    };
    let expected: Vec<_> = all(&store).into_iter().filter(|(_, e)| e.id != 1).collect();
    let grown = store.log_bytes();

    let prepared = compaction::prepare(&path, frozen, &store.tail(mark)).unwrap();
    // A short tail is left to the finish.
    assert_eq!(prepared.copied(), mark.from());
    let (was, now_bytes) = store.finish_compaction(mark, prepared).unwrap();
    assert_eq!(was, grown);
    assert!(now_bytes < was, "{now_bytes} < {was}");
    // Entry 1 was delivered before the freeze: gone. The others are read
    // back (commands included) from the snapshot (2, 3) or the tail (6).
    assert_eq!(all(&store), expected);
    assert_eq!(
        enqueue(&store, None, &["late"], now + 1),
        Enqueued::Duplicate
    );
    assert_eq!(
        enqueue(&store, None, &["key0"], now + 1),
        Enqueued::Duplicate
    );
    assert!(!sibling(&path, ".new").exists());
    // The new file replays to the same state, and compacts again.
    drop(store);
    let store = open(&path);
    assert_eq!(all(&store), expected);
    assert_eq!(store.stats().pending, 2);
    store.compact().unwrap();
    assert_eq!(all(&store), undelivered(expected));
}

#[test]
fn a_long_tail_is_copied_before_the_finish_and_the_rest_at_it() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store, mark, frozen) = frozen_busy_store(&dir);
    // Events 6 to 105, about 400 KiB, committed before the thread copies
    // the tail...
    let now = now_ms();
    for n in 0..100 {
        let mut big = entry(None);
        if let StoredCommand::CreateProcessInstance { variables, .. } = &mut big.command {
            let mut map = serde_json::Map::new();
            map.insert("text".into(), format!("{n}{}", "x".repeat(4096)).into());
            *variables = Variables::new(&map).unwrap();
        }
        enqueue(&store, Some(big), &[], now);
    }
    let copied_by_the_thread = store.log_bytes();
    let prepared = compaction::prepare(&path, frozen, &store.tail(mark)).unwrap();
    assert_eq!(prepared.copied(), copied_by_the_thread);
    // ...and more after it, which the finish copies: event 106, and 50
    // delivered.
    assert_eq!(enqueued(one(&store, late(now))), Enqueued::Stored(106));
    let fiftieth = store.get(50).unwrap().unwrap().1;
    settle(&store, &fiftieth, EntryState::Delivered);
    let all = |store: &Store| -> Vec<(EntryState, Entry)> {
        (2..=106).filter_map(|id| store.get(id).unwrap()).collect()
    };
    let expected = all(&store);
    assert_eq!(expected.len(), 105);

    store.finish_compaction(mark, prepared).unwrap();
    assert_eq!(all(&store), expected);
    assert_eq!(
        enqueue(&store, None, &["late"], now + 1),
        Enqueued::Duplicate
    );
    drop(store);
    let store = open(&path);
    assert_eq!(all(&store), expected);
    // 3 to 5, 6 to 105 but 50, and 106.
    assert_eq!(store.stats().pending, 3 + 99 + 1);
}

/// What a compaction keeps of `entries`.
fn undelivered(entries: Vec<(EntryState, Entry)>) -> Vec<(EntryState, Entry)> {
    entries
        .into_iter()
        .filter(|(s, _)| *s != EntryState::Delivered)
        .collect()
}

/// [`busy_store`] opened with its compaction due, so that the next commit
/// starts one; with what it holds and the log's size.
fn due_for_compaction(path: &Path) -> (Store, Vec<(EntryState, Entry)>, u64) {
    let before = busy_store(path);
    let store = open(path);
    let grown = store.log_bytes();
    lock(&store.log).compact_at = 0;
    (store, before, grown)
}

#[test]
fn the_writer_compacts_in_the_background_and_installs_it_at_a_later_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.log");
    let (store, before, grown) = due_for_compaction(&path);
    // This commit starts the compaction; it does not wait for it.
    assert_eq!(enqueue(&store, None, &["a"], now_ms()), Enqueued::Stored(0));
    let started = std::time::Instant::now();
    while !lock(&store.compaction)
        .as_ref()
        .is_some_and(|running| running.is_finished())
    {
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(store.log_bytes() > grown, "not installed yet");
    // The next commit (or an idle second) installs it.
    store.idle();
    assert!(lock(&store.compaction).is_none());
    assert!(store.log_bytes() < grown, "{} < {grown}", store.log_bytes());
    assert_eq!(enqueue(&store, None, &["a"], now_ms()), Enqueued::Duplicate);
    let kept = undelivered(before);
    assert_eq!(everything(&store), kept);
    drop(store);
    assert_eq!(everything(&open(&path)), kept);
}

#[test]
fn a_store_dropped_during_a_compaction_waits_for_it_and_leaves_the_log_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.log");
    let (store, before, grown) = due_for_compaction(&path);
    assert_eq!(enqueue(&store, None, &["a"], now_ms()), Enqueued::Stored(0));
    assert!(lock(&store.compaction).is_some(), "a compaction started");
    drop(store);
    assert!(!sibling(&path, ".new").exists());
    let store = open(&path);
    assert!(
        store.log_bytes() > grown,
        "the old log, with the last commit"
    );
    assert_eq!(enqueue(&store, None, &["a"], now_ms()), Enqueued::Duplicate);
    assert_eq!(everything(&store), before);
}

/// The file's frames, without the zeros written ahead of them.
fn frames_only(path: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    let end = log::scan(&bytes).unwrap().end;
    bytes.truncate(end as usize);
    bytes
}

#[test]
fn a_torn_last_frame_is_cut_off_and_everything_before_it_stays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.log");
    let before = busy_store(&path);
    let good = frames_only(&path);
    // One more commit, which the "power cut" interrupts at every byte.
    {
        let store = open(&path);
        enqueue(&store, Some(entry(None)), &["late"], 20);
    }
    let full = frames_only(&path);
    for cut in good.len()..full.len() {
        std::fs::write(&path, &full[..cut]).unwrap();
        let store = open(&path);
        assert_eq!(everything(&store), before, "cut at {cut}");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), good.len() as u64);
        // The interrupted event was never acknowledged: its key is free.
        assert_eq!(enqueue(&store, None, &["late"], 20), Enqueued::Stored(0));
    }
}

#[test]
fn a_damaged_frame_in_the_middle_is_an_error_naming_the_file_and_salvage_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.log");
    busy_store(&path);
    let good = std::fs::read(&path).unwrap();
    let frames: Vec<u64> = log::scan(&good)
        .unwrap()
        .frames
        .iter()
        .map(|f| f.offset)
        .collect();
    // Flip one bit in the second frame (entry 2's event).
    let mut bad = good.clone();
    let at = frames[1] as usize + 20;
    bad[at] ^= 0x10;
    std::fs::write(&path, &bad).unwrap();
    let message = problem(Store::open(&path, OpenMode::Create));
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains(&format!("at byte {}", frames[1])),
        "{message}"
    );
    assert!(message.contains("salvage"), "{message}");
    // Nothing was changed.
    assert_eq!(std::fs::read(&path).unwrap(), bad);

    let to = dir.path().join("salvaged.log");
    let salvaged = Store::salvage(&path, &to).unwrap();
    assert_eq!(salvaged.skipped.len(), 1);
    assert_eq!(salvaged.skipped[0].0, frames[1]);
    // Entry 2 is gone with its frame; its later settle finds nothing.
    let store = open(&to);
    let kept: Vec<u64> = everything(&store).iter().map(|(_, e)| e.id).collect();
    assert_eq!(kept, [3, 4, 5]);
    assert_eq!(
        enqueue(&store, Some(entry(None)), &["key3"], 20),
        Enqueued::Duplicate
    );
    assert_eq!(
        enqueue(&store, Some(entry(None)), &[], 20),
        Enqueued::Stored(6)
    );
    // Salvage never overwrites.
    assert!(matches!(
        Store::salvage(&path, &to),
        Err(OutboxError::Refused(_))
    ));
}

#[test]
fn an_empty_or_foreign_file_is_refused_unless_a_new_store_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents) in [
        ("empty.log", &b""[..]),
        (
            "foreign.log",
            &b"redb\x1a\x0a\xa9\x0d\x00\x00some database"[..],
        ),
        ("text.log", &b"hello, I am a text file\n"[..]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        let message = problem(Store::open(&path, OpenMode::Create));
        assert!(message.contains(name), "{message}");
        assert!(message.contains("--new-store"), "{message}");
        assert_eq!(std::fs::read(&path).unwrap(), contents, "{name} untouched");

        let store = Store::open(&path, OpenMode::Replace).unwrap();
        assert_eq!(store.stats(), Stats::default());
        enqueue(&store, Some(entry(None)), &[], 1);
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(&format!("{name}.unreadable-")))
            .collect();
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert_eq!(std::fs::read(dir.path().join(&aside[0])).unwrap(), contents);
    }
    // A missing file is an error for the operator commands.
    let missing = dir.path().join("missing.log");
    let message = problem(Store::open(&missing, OpenMode::Existing));
    assert!(message.contains("no such file"), "{message}");
    assert!(!missing.exists());
}

#[test]
fn a_second_open_of_the_same_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.log");
    let _first = open(&path);
    assert!(matches!(
        Store::open(&path, OpenMode::Create),
        Err(OutboxError::Locked(_))
    ));
}

#[test]
fn a_failed_commit_stores_nothing_and_the_store_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.log");
    let store = open(&path);
    enqueue(&store, Some(entry(None)), &["a"], 10);
    let size = store.log_bytes();

    store.inject_write_error(Some(28)); // ENOSPC
    let error = store
        .write_batch(vec![
            request(Some(entry(None)), &["b"], 10),
            request(None, &["c"], 10),
        ])
        .unwrap_err();
    assert!(error.unavailable().is_some(), "{error}");
    assert!(error.to_string().contains("No space left"), "{error}");
    let (reason, _) = store.unavailable().unwrap();
    assert!(reason.contains(&path.display().to_string()), "{reason}");
    assert_eq!(store.commit_failures(), 1);
    // Still failing: idle does not pretend otherwise.
    store.idle();
    assert!(store.unavailable().is_some());
    // Duplicates of stored events are still answered without a write.
    assert_eq!(enqueue(&store, None, &["a"], 10), Enqueued::Duplicate);

    store.inject_write_error(None);
    store.idle();
    assert!(store.unavailable().is_none());
    // Nothing of the failed batch was kept: its keys are free, its id unused.
    assert_eq!(
        enqueue(&store, Some(entry(None)), &["b"], 10),
        Enqueued::Stored(2)
    );
    assert_eq!(enqueue(&store, None, &["c"], 10), Enqueued::Stored(0));
    assert!(store.log_bytes() > size);
    drop(store);
    let store = open(&path);
    assert_eq!(store.stats().pending, 2);
}
