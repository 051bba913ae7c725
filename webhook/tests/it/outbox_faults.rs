//! Fault tests for the outbox's storage: the service killed at random points
//! during bursts, a power cut tearing the last write, a damaged, empty or
//! foreign store file, and a full disk (injected, and a real one on a small
//! tmpfs when this process may mount one). Each prints its counts.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use webhook::outbox::log::{self, FrameBuilder, Record};
use webhook::outbox::{EntryState, OpenMode, Outbox, StoredCommand};
use webhook::testing::{FakeGateway, GrpcCall, Reply};
use webhook::zeebe::Command;

use super::outbox::{
    drained, message_sid, metric, send_sms, signed, sms_fields, start_binary, start_binary_logging,
};
use crate::support::{
    bpmn, fast_retries, free_addr, send, spawn_with_outbox, wait_listening, FakeDispatcher, FORM,
};

/// MessageSid → how many PublishMessage calls carried it, checking that each
/// call's message id is its MessageSid (so Zeebe drops a second delivery).
fn published(gateway: &FakeGateway) -> HashMap<String, usize> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for call in gateway.calls() {
        if let GrpcCall::PublishMessage(request) = call.call {
            let variables: serde_json::Value = serde_json::from_str(&request.variables).unwrap();
            let sid = variables["twilioRequest"]["request"]["body"]["MessageSid"]
                .as_str()
                .unwrap()
                .to_owned();
            assert_eq!(request.message_id, sid, "delivered under another id");
            *counts.entry(sid).or_default() += 1;
        }
    }
    counts
}

/// Waits until every one of `sids` reached the gateway.
async fn all_published(gateway: &FakeGateway, sids: &HashSet<String>) -> HashMap<String, usize> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let counts = published(gateway);
        if sids.iter().all(|sid| counts.contains_key(sid)) {
            return counts;
        }
        let missing = sids.iter().filter(|s| !counts.contains_key(*s)).count();
        assert!(
            Instant::now() < deadline,
            "{missing} acknowledged events were never delivered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every entry of the (stopped) store, by MessageSid.
async fn stored_by_sid(store: &Path) -> HashMap<String, Vec<u64>> {
    let outbox = Outbox::open_with(store, fast_retries(), OpenMode::Existing).unwrap();
    let mut by_sid: HashMap<String, Vec<u64>> = HashMap::new();
    for state in EntryState::ALL {
        for entry in outbox.list(state, usize::MAX).await.unwrap() {
            let sid = message_sid(&Command::from(entry.command));
            by_sid.entry(sid).or_default().push(entry.id);
        }
    }
    by_sid
}

/// A small xorshift generator: the kill points differ per run, and the seed
/// is printed so a failing run can be repeated.
struct Random(u64);

impl Random {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_of_bursts_loses_nothing_and_stores_nothing_twice() {
    const ITERATIONS: usize = 6;
    const PER_BURST: usize = 60;
    let seed = std::env::var("KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    let mut random = Random(seed);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("outbox.log");
    let gateway = FakeGateway::start().await.unwrap();
    // Slow deliveries, so the kills find events still pending.
    for _ in 0..150 {
        gateway.push_reply(Reply::Delay(Duration::from_millis(20)));
    }
    let addr = free_addr();
    let mut service = start_binary(addr, &store, &gateway.address()).await;
    let mut acked_before_kills: HashSet<String> = HashSet::new();
    let mut all_sids: HashSet<String> = HashSet::new();
    let mut kill_points = Vec::new();
    for iteration in 0..ITERATIONS {
        let ids = iteration * 1000..iteration * 1000 + PER_BURST;
        let burst = tokio::spawn({
            let ids = ids.clone();
            async move { futures_util::future::join_all(ids.map(|n| send_sms(addr, n))).await }
        });
        let kill_after = Duration::from_millis(random.next(150));
        kill_points.push(kill_after.as_millis());
        tokio::time::sleep(kill_after).await;
        service.child.kill().unwrap(); // SIGKILL
        service.child.wait().unwrap();
        acked_before_kills.extend(burst.await.unwrap().into_iter().flatten());
        // Restarted on the same store; Twilio retries every request it got
        // no 2xx for, and we retry the others too: each must be answered 2xx
        // (stored now, or a duplicate of what was stored before the kill).
        service = start_binary(addr, &store, &gateway.address()).await;
        for n in ids {
            let sid = send_sms(addr, n).await;
            assert!(sid.is_some(), "SMS {n} was refused after the restart");
            all_sids.extend(sid);
        }
    }
    let counts = all_published(&gateway, &all_sids).await;
    // Let the last outcomes be recorded, then read the store itself.
    tokio::time::sleep(Duration::from_millis(500)).await;
    service.child.kill().unwrap();
    service.child.wait().unwrap();
    let stored = stored_by_sid(&store).await;
    let twice: Vec<_> = stored.iter().filter(|(_, ids)| ids.len() > 1).collect();
    let delivered: usize = counts.values().sum();
    println!(
        "random kills (seed {seed}, kills after {kill_points:?} ms): {ITERATIONS} bursts, sent {}, \
         acknowledged before the kills {}, acknowledged after retries {}, delivered {delivered} \
         ({} distinct, every acknowledged one), re-deliveries {} (same message id), stored twice {}",
        ITERATIONS * PER_BURST,
        acked_before_kills.len(),
        all_sids.len(),
        counts.len(),
        delivered - counts.len(),
        twice.len()
    );
    assert!(acked_before_kills.is_subset(&all_sids));
    assert_eq!(all_sids.len(), ITERATIONS * PER_BURST);
    assert!(twice.is_empty(), "events stored twice: {twice:?}");
    for sid in &all_sids {
        assert_eq!(stored.get(sid).map(Vec::len), Some(1), "{sid} not stored");
    }
}

/// The first half of a frame holding one more event, as a power cut in the
/// middle of its write leaves it (never synced, so never acknowledged).
fn torn_frame() -> Vec<u8> {
    let entry = webhook::outbox::Entry {
        id: 1_000_000,
        webhook: "sms-msgstart".into(),
        order_key: None,
        command: StoredCommand::PublishMessage {
            name: "sms".into(),
            correlation_key: String::new(),
            message_id: "SM-torn".into(),
            time_to_live_ms: 1000,
            tenant_id: None,
            variables: Default::default(),
        },
        accepted_ms: 1,
        attempts: 0,
        next_attempt_ms: 0,
        last_error: None,
        finished_ms: None,
    };
    let mut frame = FrameBuilder::default();
    frame
        .push(&Record::Event {
            entry,
            state: EntryState::Pending,
            keys: Vec::new(),
        })
        .unwrap();
    let bytes = frame.finish();
    bytes[..bytes.len() / 2].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_power_cut_mid_write_is_cut_off_at_start_and_nothing_acknowledged_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("outbox.log");
    let gateway = FakeGateway::start().await.unwrap();
    let addr = free_addr();
    let mut service = start_binary(addr, &store, &gateway.address()).await;
    let first: HashSet<String> = futures_util::future::join_all((0..20).map(|n| send_sms(addr, n)))
        .await
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(first.len(), 20);
    service.child.kill().unwrap();
    service.child.wait().unwrap();
    // The torn frame goes where the next commit would have written it: right
    // after the last good frame, into the zeros written ahead (or past them).
    let mut bytes = std::fs::read(&store).unwrap();
    let good = log::scan(&bytes).unwrap().end;
    let torn = torn_frame();
    let at = good as usize;
    bytes.resize(bytes.len().max(at + torn.len()), 0);
    bytes[at..at + torn.len()].copy_from_slice(&torn);
    std::fs::write(&store, &bytes).unwrap();

    let log_path = dir.path().join("service.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let mut service =
        start_binary_logging(addr, &store, &gateway.address(), Stdio::from(log_file)).await;
    let second: HashSet<String> =
        futures_util::future::join_all((20..30).map(|n| send_sms(addr, n)))
            .await
            .into_iter()
            .flatten()
            .collect();
    assert_eq!(second.len(), 10);
    let acked: HashSet<String> = first.union(&second).cloned().collect();
    let counts = all_published(&gateway, &acked).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    service.child.kill().unwrap();
    service.child.wait().unwrap();

    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(logged.contains("cut short"), "{logged}");
    assert!(
        !counts.contains_key("SM-torn"),
        "the torn event was delivered"
    );
    // The torn bytes are gone: the file reads as good frames only.
    let bytes = std::fs::read(&store).unwrap();
    let scanned = log::scan(&bytes).unwrap();
    assert_eq!(scanned.torn, None);
    assert!(scanned.frames.iter().any(|f| f.offset == good));
    println!(
        "power cut: {} torn bytes cut off at byte {good}; acknowledged {}, delivered {} ({} distinct)",
        torn.len(),
        acked.len(),
        counts.values().sum::<usize>(),
        counts.len()
    );
}

/// Runs the binary with `args`; (success, stdout, stderr).
fn run(args: &[&str], dir: &Path) -> (bool, String, String) {
    let out = Process::new(env!("CARGO_BIN_EXE_webhook"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .env("SECRET_TEST_TWILIO_TOKEN", crate::support::TOKEN)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_clear_refusal(stderr: &str, file: &Path, needle: &str) {
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(stderr.contains(needle), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_store_is_refused_by_name_and_salvage_copies_what_is_readable() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("outbox.log");
    {
        let outbox = Outbox::open(&store, fast_retries()).unwrap();
        for n in 0..3 {
            let command = Command::CreateProcessInstance {
                bpmn_process_id: format!("p{n}"),
                version: -1,
                tenant_id: None,
                variables: Default::default(),
            };
            outbox.accept("w", command, Vec::new()).await.unwrap();
        }
    }
    let mut bytes = std::fs::read(&store).unwrap();
    let second = log::scan(&bytes).unwrap().frames[1].offset as usize;
    bytes[second + 30] ^= 0x04;
    std::fs::write(&store, &bytes).unwrap();
    let path = store.to_str().unwrap();

    let (ok, _, stderr) = run(&["outbox", "--outbox", path, "list"], dir.path());
    assert!(!ok);
    assert_clear_refusal(&stderr, &store, "salvage");
    assert!(stderr.contains(&format!("at byte {second}")), "{stderr}");
    let (ok, _, stderr) = run(
        &[
            "--bpmn",
            bpmn("start-event.bpmn").to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--outbox",
            path,
        ],
        dir.path(),
    );
    assert!(!ok, "the service started on a damaged store");
    assert_clear_refusal(&stderr, &store, "salvage");
    assert_eq!(
        std::fs::read(&store).unwrap(),
        bytes,
        "the file was changed"
    );

    let salvaged = dir.path().join("salvaged.log");
    let (ok, stdout, stderr) = run(
        &[
            "outbox",
            "--outbox",
            path,
            "salvage",
            salvaged.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(ok, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["pending"], 2, "{report}");
    assert_eq!(report["skipped"][0][0], second, "{report}");
    let (ok, stdout, stderr) = run(
        &["outbox", "--outbox", salvaged.to_str().unwrap(), "list"],
        dir.path(),
    );
    assert!(ok, "{stderr}");
    let listed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let ids: Vec<u64> = listed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 3]);
    println!("damaged store: frame at byte {second} skipped, entries {ids:?} salvaged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_or_foreign_store_is_refused_unless_a_new_store_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, b"").unwrap();
    let foreign = dir.path().join("notes.txt");
    std::fs::write(&foreign, b"shopping list: milk\n").unwrap();
    for file in [&empty, &foreign] {
        let (ok, _, stderr) = run(
            &["outbox", "--outbox", file.to_str().unwrap(), "list"],
            dir.path(),
        );
        assert!(!ok);
        assert_clear_refusal(&stderr, file, "--new-store");
    }
    let (ok, _, stderr) = run(
        &[
            "--bpmn",
            bpmn("start-event.bpmn").to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--outbox",
            empty.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!ok);
    assert_clear_refusal(&stderr, &empty, "empty");
    assert_eq!(std::fs::read(&empty).unwrap(), b"");

    // Asked for: the file is set aside and a new store starts.
    let addr = free_addr();
    let mut service = Process::new(env!("CARGO_BIN_EXE_webhook"))
        .args(["--bpmn", bpmn("start-event.bpmn").to_str().unwrap()])
        .args(["--listen", &addr.to_string(), "--new-store"])
        .args(["--outbox", foreign.to_str().unwrap()])
        .args(["--public-url", "https://hooks.example.com"])
        .env("SECRET_TEST_TWILIO_TOKEN", crate::support::TOKEN)
        .env("RUST_LOG", "error")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_listening(addr).await;
    let _ = service.kill();
    let _ = service.wait();
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("notes.txt.unreadable-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(
        std::fs::read(dir.path().join(&aside[0])).unwrap(),
        b"shopping list: milk\n"
    );
    assert!(log::check_header(&std::fs::read(&foreign).unwrap()).is_ok());
}

/// Posts SMS number `n` to the in-process app; the answer.
async fn post(addr: SocketAddr, n: usize) -> crate::support::Answer {
    let (target, signature, body) = signed("sms-start", &sms_fields(n));
    send(
        addr,
        "POST",
        &target,
        &[("Content-Type", FORM), ("X-Twilio-Signature", &signature)],
        body.as_bytes(),
    )
    .await
}

async fn get(addr: SocketAddr, path: &str) -> crate::support::Answer {
    send(addr, "GET", path, &[], b"").await
}

/// Waits until `/health` answers `status`.
async fn health_becomes(addr: SocketAddr, status: u16, within: Duration) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let health = get(addr, "/health").await;
        if health.status == status {
            return health.json();
        }
        assert!(
            Instant::now() < deadline,
            "/health stayed {}: {}",
            health.status,
            health.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How often each MessageSid reached the dispatcher.
fn dispatched(dispatcher: &FakeDispatcher) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for command in dispatcher.commands() {
        *counts.entry(message_sid(&command)).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_with_retry_after_and_recovers_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let dispatcher = FakeDispatcher::new();
    let (app, outbox) = spawn_with_outbox(
        &[bpmn("start-event.bpmn")],
        dispatcher.clone(),
        dir.path(),
        |_| {},
    )
    .await;
    assert_eq!(post(app.addr, 1).await.status, 200);
    // Delivered and recorded first: an outcome that cannot be recorded is
    // sent again later (at least once), which would blur the counts below.
    drained(&outbox, Duration::from_secs(5)).await;

    outbox.inject_write_error(Some(28)); // ENOSPC, as the kernel reports it
    let refused = post(app.addr, 2).await;
    assert_eq!(refused.status, 503, "{refused:?}");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(!refused.body.contains("space"), "5xx bodies stay generic");
    let health = health_becomes(app.addr, 503, Duration::from_secs(1)).await;
    assert_eq!(health["status"], "unavailable");
    assert!(
        health["reason"].as_str().unwrap().contains("No space left"),
        "{health}"
    );
    let metrics = get(app.addr, "/metrics").await.body;
    assert_eq!(metric(&metrics, "webhook_outbox_unavailable"), 1);
    assert!(metric(&metrics, "webhook_outbox_commit_failures_total") >= 1);
    assert!(
        metrics.contains(r#"outcome="unavailable""#),
        "the 503 is counted: {metrics}"
    );

    // Space is back: with no traffic at all, the writer's probe notices.
    outbox.inject_write_error(None);
    health_becomes(app.addr, 200, Duration::from_secs(5)).await;
    let metrics = get(app.addr, "/metrics").await.body;
    assert_eq!(metric(&metrics, "webhook_outbox_unavailable"), 0);
    // Twilio retries the refused SMS.
    assert_eq!(post(app.addr, 2).await.status, 200);
    drained(&outbox, Duration::from_secs(5)).await;
    let counts = dispatched(&dispatcher);
    let expected: HashMap<String, usize> = [1, 2].map(|n| (sms_fields(n)[3].1.clone(), 1)).into();
    assert_eq!(counts, expected);
    app.stop().await;
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` when this process may not mount (not root, or a sandbox).
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let mounted = Process::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Process::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_full_disk_on_a_small_tmpfs_answers_503_and_loses_nothing() {
    let Some(tmpfs) = Tmpfs::mount("256k") else {
        println!("real full disk: skipped (cannot mount a tmpfs here)");
        return;
    };
    // Most of the space taken, so a few events fill the rest.
    let filler = tmpfs.path().join("filler");
    std::fs::write(&filler, vec![1u8; 200 * 1024]).unwrap();
    let dispatcher = FakeDispatcher::new();
    let (app, outbox) = spawn_with_outbox(
        &[bpmn("start-event.bpmn")],
        dispatcher.clone(),
        tmpfs.path(),
        |_| {},
    )
    .await;
    let mut acked = Vec::new();
    let mut refused = None;
    for n in 0..500 {
        let answer = post(app.addr, n).await;
        match answer.status {
            200 => acked.push(n),
            503 => {
                assert_eq!(answer.header("retry-after"), Some("1"));
                refused = Some(n);
                break;
            }
            other => panic!("SMS {n}: {other} {}", answer.body),
        }
    }
    let refused = refused.expect("the tmpfs never filled up");
    let health = health_becomes(app.addr, 503, Duration::from_secs(1)).await;
    assert!(
        health["reason"].as_str().unwrap().contains("No space left"),
        "{health}"
    );
    // Still full: still refused, nothing half-stored.
    assert_eq!(post(app.addr, refused).await.status, 503);

    std::fs::remove_file(&filler).unwrap();
    health_becomes(app.addr, 200, Duration::from_secs(5)).await;
    assert_eq!(post(app.addr, refused).await.status, 200);
    acked.push(refused);
    drained(&outbox, Duration::from_secs(10)).await;
    let counts = dispatched(&dispatcher);
    println!(
        "real full disk: {} acknowledged before the disk was full, SMS {refused} refused (503) \
         until space was back, then accepted; delivered {} ({} distinct)",
        acked.len() - 1,
        counts.values().sum::<usize>(),
        counts.len()
    );
    // At least once: a delivery whose outcome could not be recorded while
    // the disk was full is sent again (Zeebe drops a message id it has).
    for n in &acked {
        assert!(counts.get(&sms_fields(*n)[3].1) >= Some(&1), "SMS {n} lost");
    }
    assert_eq!(counts.len(), acked.len());
    app.stop().await;
}
