//! The embedded journal: one valid JSON line per command, even under
//! concurrent writers.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use webhook::zeebe::{Command, Dispatcher, JournalDispatcher, Outcome, SyncPolicy, ZeebeSettings};

use crate::support::{create, publish, variables};

/// A fresh path under the target directory's temp folder.
fn temp_journal(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zeebe-journal-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

fn lines(path: &PathBuf) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("bad line {line:?}: {e}")))
        .collect()
}

#[tokio::test]
async fn each_command_becomes_one_json_line() {
    let path = temp_journal("shape");
    let journal = JournalDispatcher::open(&path, SyncPolicy::EveryLine).unwrap();

    let first = journal
        .dispatch(publish("sms", "+1555", "SM1", Some("t")))
        .await;
    let second = journal.dispatch(create("proc", -1, None)).await;

    assert_eq!(first, Ok(Outcome::Journaled));
    assert_eq!(second, Ok(Outcome::Journaled));
    let mut entries = lines(&path);
    assert_eq!(entries.len(), 2);
    for entry in &entries {
        let mut keys: Vec<_> = entry.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["command", "recordedAtMs"]);
    }
    for entry in &mut entries {
        let at = entry
            .as_object_mut()
            .and_then(|o| o.remove("recordedAtMs"))
            .expect("recordedAtMs");
        assert!(at.as_u64().is_some_and(|ms| ms > 1_600_000_000_000), "{at}");
    }
    assert_eq!(
        entries[0]["command"],
        json!({
            "command": "publishMessage",
            "name": "sms",
            "correlationKey": "+1555",
            "messageId": "SM1",
            "timeToLive": 3_600_000,
            "tenantId": "t",
            "variables": {"body": "yes"},
        })
    );
    assert_eq!(
        entries[1]["command"],
        json!({
            "command": "createProcessInstance",
            "bpmnProcessId": "proc",
            "version": -1,
            "variables": {"sms": {"From": "+15550001", "Body": "hi"}, "n": 1},
        })
    );
}

#[tokio::test]
async fn reopening_appends() {
    let path = temp_journal("append");
    for _ in 0..2 {
        let journal = JournalDispatcher::open(&path, SyncPolicy::OsBuffered).unwrap();
        journal.dispatch(create("p", 1, None)).await.unwrap();
    }
    assert_eq!(lines(&path).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_never_interleave_lines() {
    let path = temp_journal("concurrent");
    let journal: Arc<dyn Dispatcher> =
        Arc::new(JournalDispatcher::open(&path, SyncPolicy::OsBuffered).unwrap());
    // Lines far larger than a pipe buffer or a page, so a torn write would show.
    let filler = "x".repeat(64 * 1024);
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..8 {
        for n in 0..25 {
            let journal = Arc::clone(&journal);
            let filler = filler.clone();
            tasks.spawn(async move {
                let command = Command::PublishMessage {
                    name: "m".to_owned(),
                    correlation_key: format!("{writer}-{n}"),
                    message_id: String::new(),
                    time_to_live: Duration::from_secs(1),
                    tenant_id: None,
                    variables: variables(json!({"filler": filler})),
                };
                journal.dispatch(command).await
            });
        }
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap(), Ok(Outcome::Journaled));
    }

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with('\n'), "last line incomplete");
    let keys: BTreeSet<String> = lines(&path)
        .iter()
        .map(|entry| {
            assert_eq!(
                entry["command"]["variables"]["filler"]
                    .as_str()
                    .map(str::len),
                Some(64 * 1024)
            );
            entry["command"]["correlationKey"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let expected: BTreeSet<String> = (0..8)
        .flat_map(|w| (0..25).map(move |n| format!("{w}-{n}")))
        .collect();
    assert_eq!(text.lines().count(), 200);
    assert_eq!(keys, expected);
}

#[tokio::test]
async fn no_zeebe_configured_means_the_journal() {
    let path = temp_journal("default");
    let dispatcher = ZeebeSettings::default().build_dispatcher(&path).unwrap();

    let outcome = dispatcher.dispatch(create("p", 2, None)).await;

    assert_eq!(outcome, Ok(Outcome::Journaled));
    assert_eq!(lines(&path)[0]["command"]["bpmnProcessId"], json!("p"));
}

#[tokio::test]
async fn an_unwritable_journal_fails_at_startup_naming_the_file() {
    let error = ZeebeSettings::default()
        .build_dispatcher(std::path::Path::new("/nonexistent-dir/journal.jsonl"))
        .unwrap_err();

    assert_eq!(error.setting(), "--journal");
    assert!(
        error.message().contains("/nonexistent-dir/journal.jsonl"),
        "{error}"
    );
}
