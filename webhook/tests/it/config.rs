//! Start-up errors, reloading, and the `check` / `sign` subcommands.

use std::process::Command as Process;
use std::sync::Arc;
use std::time::Duration;

use crate::support::*;

fn load_error(sources: &[std::path::PathBuf]) -> String {
    match service(settings(sources)).load() {
        Ok(_) => panic!("expected a start-up error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn duplicate_ids_name_both_elements() {
    let text = load_error(&[
        bpmn("start-event.bpmn"),
        bpmn("broken/duplicate-of-start.bpmn"),
    ]);
    assert!(
        text.contains("webhook id `sms-start` is already used by"),
        "{text}"
    );
    assert!(text.contains("duplicate-of-start.bpmn"), "{text}");
    assert!(text.contains("StartEvent_Other"), "{text}");
    assert!(text.contains("start-event.bpmn"), "{text}");
    assert!(text.contains("StartEvent_Sms"), "{text}");
}

#[test]
fn missing_secret_stops_start_up() {
    let text = load_error(&[bpmn("broken/missing-secret.bpmn")]);
    assert!(text.contains("StartEvent_Secret"), "{text}");
    assert!(text.contains("property `inbound.hmacSecret`"), "{text}");
    assert!(
        text.contains("secret `NOT_SET_ANYWHERE_42` is not available"),
        "{text}"
    );
}

#[test]
fn bad_feel_names_file_element_property_and_points_at_it() {
    let text = load_error(&[bpmn("broken/bad-feel.bpmn")]);
    assert!(text.contains("bad-feel.bpmn"), "{text}");
    assert!(text.contains("element `StartEvent_Bad`"), "{text}");
    assert!(
        text.contains("property `inbound.activationCondition`"),
        "{text}"
    );
    assert!(text.contains('^'), "a caret under the error: {text}");
}

#[test]
fn missing_files_are_reported() {
    let text = load_error(&[bpmn("does-not-exist.bpmn")]);
    assert!(text.contains("does-not-exist.bpmn: cannot read"), "{text}");
}

async fn wait_for_ids(app: &App, expected: serde_json::Value) {
    for _ in 0..100 {
        let health = send(app.addr, "GET", "/health", &[], b"").await.json();
        if health["webhooks"] == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let health = send(app.addr, "GET", "/health", &[], b"").await.json();
    panic!("webhooks never became {expected}; now {health}");
}

fn legacy_with_id(id: &str) -> String {
    std::fs::read_to_string(bpmn("start-event-v1.bpmn"))
        .unwrap()
        .replace("\"sms-legacy\" />", &format!("\"{id}\" />"))
}

#[tokio::test]
async fn directories_reload_and_broken_files_keep_the_old_version() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hooks.bpmn");
    std::fs::write(&file, legacy_with_id("first")).unwrap();
    let app = spawn_with(&[dir.path().to_owned()], |c| {
        c.sources.reload_interval = Some(Duration::from_millis(50))
    })
    .await;
    wait_for_ids(&app, serde_json::json!(["first"])).await;

    // A changed file is picked up.
    std::fs::write(&file, legacy_with_id("second")).unwrap();
    wait_for_ids(&app, serde_json::json!(["second"])).await;
    assert_eq!(
        send(app.addr, "GET", "/inbound/second", &[], b"")
            .await
            .status,
        200
    );

    // A broken file keeps the previous version serving.
    std::fs::write(&file, "<bpmn:definitions").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    wait_for_ids(&app, serde_json::json!(["second"])).await;
    assert_eq!(
        send(app.addr, "GET", "/inbound/second", &[], b"")
            .await
            .status,
        200
    );

    // A new file adds its webhooks; a conflicting one is refused as a whole.
    std::fs::write(dir.path().join("more.bpmn"), legacy_with_id("third")).unwrap();
    wait_for_ids(&app, serde_json::json!(["second", "third"])).await;
    std::fs::write(dir.path().join("clash.bpmn"), legacy_with_id("third")).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    wait_for_ids(&app, serde_json::json!(["second", "third"])).await;

    // Removing a file removes its webhooks.
    std::fs::remove_file(dir.path().join("clash.bpmn")).unwrap();
    std::fs::remove_file(dir.path().join("more.bpmn")).unwrap();
    wait_for_ids(&app, serde_json::json!(["second"])).await;
    let _ = Arc::clone(&app.dispatcher);
    app.stop().await;
}

fn bin() -> Process {
    let mut p = Process::new(env!("CARGO_BIN_EXE_webhook"));
    p.env("SECRET_TEST_TWILIO_TOKEN", TOKEN);
    p
}

#[test]
fn check_lists_webhooks_and_fails_on_errors() {
    let out = bin()
        .arg("check")
        .arg(bpmn("start-event.bpmn"))
        .arg(bpmn("start-event-v1.bpmn"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("/inbound/sms-start\tstart event StartEvent_Sms, starts process `sms-intake`, Twilio signature"), "{stdout}");
    assert!(stdout.contains("/inbound/sms-legacy\tstart event StartEvent_Legacy, starts process `sms-legacy`, no signature check"), "{stdout}");

    let out = bin()
        .arg("check")
        .arg(bpmn("broken/missing-secret.bpmn"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SECRET_NOT_SET_ANYWHERE_42"));
}

#[test]
fn sign_prints_the_twilio_header() {
    let out = bin()
        .args([
            "sign",
            "--token",
            "12345",
            "--url",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
        ])
        .args([
            "--form",
            "CallSid=CA1234567890ABCDE",
            "--form",
            "Caller=+14158675309",
            "--form",
            "Digits=1234",
        ])
        .args(["--form", "From=+14158675309", "--form", "To=+18005551212"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout.contains("X-Twilio-Signature: RSOYDt4T1cUTdK1PDd93/VVr8B8=\n"),
        "{stdout}"
    );

    let out = bin()
        .args([
            "sign",
            "--token",
            "12345",
            "--url",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
        ])
        .args(["--json", r#"{"property": "value", "boolean": true}"#])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("X-Twilio-Signature: a9nBmqA0ju/hNViExpshrM61xv4="),
        "{stdout}"
    );
}

/// `--feel-fuel` sets the steps every evaluation may take: with 2,000, an
/// expression of a few hundred steps runs and one of tens of thousands
/// answers 422 naming the fuel (both run under the default of 100,000).
#[tokio::test]
async fn the_feel_fuel_flag_bounds_every_evaluation() {
    let dir = tempfile::tempdir().unwrap();
    let toml = toml_file(
        &dir,
        "[[webhook]]\nid = \"small\"\nstart_process = \"p\"\n\
         result_expression = \"={n: count(for i in 1..50 return i)}\"\n\n\
         [[webhook]]\nid = \"large\"\nstart_process = \"p\"\n\
         result_expression = \"={n: count(for i in 1..20000 return i)}\"\n",
    );
    let addr = free_addr();
    // Killed when dropped, the test failing or not.
    let _service = Binary {
        child: bin()
            .arg("--config")
            .arg(&toml)
            .args(["--listen", &addr.to_string(), "--no-outbox"])
            .arg("--journal")
            .arg(dir.path().join("journal.jsonl"))
            .args(["--feel-fuel", "2000", "--reload-interval-ms", "0"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    };
    wait_listening(addr).await;
    let post = |path: &'static str| async move {
        send(addr, "POST", path, &[("Content-Type", FORM)], b"Body=hi").await
    };
    let small = post("/inbound/small").await;
    let large = post("/inbound/large").await;
    assert_eq!(small.status, 200, "{small:?}");
    assert_eq!(large.status, 422, "{large:?}");
    let reason = large.json()["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("fuel"), "{reason}");
}
