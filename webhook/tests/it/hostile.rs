//! Clients that hold connections instead of sending requests: slow bodies
//! without a valid signature, and idle connections beyond the open-files
//! limit. Each must leave room for a genuine Twilio request.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::{self, bpmn, form_body, send, sign_form, spawn_with, Answer, FORM, TOKEN};

/// A genuine signed Twilio SMS to `/inbound/sms-start`.
async fn genuine(addr: SocketAddr) -> Answer {
    let fields = [
        ("SmsStatus", "received"),
        ("From", "+15005550001"),
        ("Body", "hi"),
        ("MessageSid", "SM9"),
    ];
    let target = "/inbound/sms-start";
    let signature = sign_form(&format!("https://hooks.example.com{target}"), &fields);
    send(
        addr,
        "POST",
        target,
        &[("Content-Type", FORM), ("X-Twilio-Signature", &signature)],
        form_body(&fields).as_bytes(),
    )
    .await
}

/// Opens a connection that sends its head and one byte of a 100-byte body,
/// then stalls.
async fn slow_body(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /inbound/sms-start HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {FORM}\r\nX-Twilio-Signature: bogus\r\nContent-Length: 100\r\n\r\nB"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_unsigned_bodies_take_no_in_flight_slot() {
    let app = spawn_with(&[bpmn("start-event.bpmn")], |settings| {
        settings.limits.max_in_flight = 4;
        // Longer than the test: only the fix can let the genuine one in.
        settings.limits.body_read_timeout = Duration::from_secs(60);
        settings.limits.max_connections = 5000;
    })
    .await;
    let mut slow = Vec::new();
    for _ in 0..1000 {
        slow.push(slow_body(app.addr).await);
    }
    // Every slow client is inside the handler, reading its body.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(5), genuine(app.addr))
        .await
        .expect("the genuine request is answered");
    println!(
        "1000 slow bodies open: the genuine request got {} in {:?}",
        answer.status,
        started.elapsed()
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(app.dispatcher.commands().len(), 1);
    drop(slow);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_beyond_the_open_files_limit_leave_room_for_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let addr = support::free_addr();
    // systemd's default: 1,024 open files, soft and hard.
    let script = format!(
        "ulimit -n 1024 && exec '{}' --bpmn '{}' --listen {addr} --public-url https://hooks.example.com --no-outbox --journal '{}' --reload-interval-ms 0",
        env!("CARGO_BIN_EXE_webhook"),
        bpmn("start-event.bpmn").display(),
        dir.path().join("journal.jsonl").display(),
    );
    let log_path = dir.path().join("service.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let binary = support::Binary {
        child: Command::new("bash")
            .args(["-c", &script])
            .env("SECRET_TEST_TWILIO_TOKEN", TOKEN)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap(),
    };
    support::wait_listening(addr).await;
    // 2,000 clients connect and say nothing.
    let mut idle = Vec::new();
    for _ in 0..2000 {
        match TcpStream::connect(addr).await {
            Ok(stream) => idle.push(stream),
            Err(e) => panic!("connect failed after {}: {e}", idle.len()),
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    // Well under the 10 s header timeout that would otherwise free room.
    let answer = tokio::time::timeout(Duration::from_secs(5), genuine(addr))
        .await
        .expect("the genuine request is answered before idle ones time out");
    println!(
        "2000 idle connections at nofile 1024: the genuine request got {} in {:?}",
        answer.status,
        started.elapsed()
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    let health = tokio::time::timeout(
        Duration::from_secs(5),
        send(addr, "GET", "/health", &[], b""),
    )
    .await
    .expect("/health is answered");
    assert_eq!(health.status, 200);
    let metrics = send(addr, "GET", "/metrics", &[], b"").await.body;
    assert!(metrics.contains("webhook_connections_max 896"), "{metrics}");
    let shed: u64 = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix("webhook_connections_shed_total ")?
                .parse()
                .ok()
        })
        .unwrap();
    assert!(shed > 0, "{metrics}");
    drop(idle);
    drop(binary);
    // The cap kept the service below the limit: `accept` never ran out of
    // descriptors (which would leave genuine clients queued behind idle ones).
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(!log.contains("Too many open files"), "{log}");
}
