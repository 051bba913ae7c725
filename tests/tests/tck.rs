//! The DMN TCK conformance run: `../shared/feel-tck/dev.jsonl` through the
//! same code path as `feel batch`, scored by the corpus's own `check.py`.
//! Prints the pass rates by tag and fails if either half (cases expecting a
//! value, cases expecting null) drops below the floor in `tck-floor.json`.
//! Skips with a visible message when `../shared` or `python3` is absent.

use std::io::BufReader;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use feel_cli::batch;
use feel_cli::cli::DEFAULT_FUEL;
use feel_conformance::{shared_dir, skip};

fn floor(half: &str) -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tck-floor.json");
    let text = std::fs::read_to_string(&path).expect("tests/tck-floor.json is readable");
    let json: serde_json::Value = serde_json::from_str(&text).expect("tck-floor.json is JSON");
    json[half]
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or_else(|| panic!("tck-floor.json has no number '{half}'"))
}

/// Runs check.py and returns its whole output and the `N passed` count.
fn check(corpus: &Path, results: &Path, args: &[&str]) -> (String, usize) {
    let out = Command::new("python3")
        .arg(
            corpus
                .parent()
                .expect("corpus in a folder")
                .join("check.py"),
        )
        .arg(corpus)
        .arg(results)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "check.py failed: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let last = text.lines().last().unwrap_or_default().to_owned();
    let passed = last
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected check.py summary: {last}"));
    (text, passed)
}

#[test]
fn tck_pass_rate_stays_above_the_floor() {
    let Some(shared) = shared_dir() else {
        skip("TCK conformance", "../shared is not beside the repository");
        return;
    };
    let corpus = shared.join("feel-tck/dev.jsonl");
    if !corpus.is_file() {
        skip("TCK conformance", "../shared/feel-tck/dev.jsonl is missing");
        return;
    }
    if Command::new("python3").arg("--version").output().is_err() {
        skip(
            "TCK conformance",
            "python3 (needed for check.py) is not installed",
        );
        return;
    }

    let engine = feel::Engine::builder().fuel(DEFAULT_FUEL).build();
    let options = batch::Options {
        timeout: Duration::from_secs(10),
        warnings: false,
    };
    let input = BufReader::new(std::fs::File::open(&corpus).expect("corpus readable"));
    let mut output = Vec::new();
    let summary = batch::run(engine, input, &mut output, &options).expect("batch runs");
    assert_eq!(summary.panics, 0, "no case may panic: {summary:?}");
    assert_eq!(summary.timeouts, 0, "no case may hang: {summary:?}");

    let dir = std::env::temp_dir().join(format!("feel-tck-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let results = dir.join("results.jsonl");
    std::fs::write(&results, &output).expect("results written");

    let (report, _) = check(&corpus, &results, &[]);
    println!("{report}");
    let (_, value) = check(&corpus, &results, &["--expect", "value", "--quiet"]);
    let (_, null) = check(&corpus, &results, &["--expect", "null", "--quiet"]);
    println!("TCK: {value} cases expecting a value pass, {null} cases expecting null pass");
    let _ = std::fs::remove_dir_all(&dir);

    assert!(
        value >= floor("value"),
        "value half regressed: {value} < floor {}",
        floor("value")
    );
    assert!(
        null >= floor("null"),
        "null half regressed: {null} < floor {}",
        floor("null")
    );
}
