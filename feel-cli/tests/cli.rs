//! Runs the built `feel` binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value as Json};

fn feel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_feel"))
        .args(args)
        .output()
        .unwrap()
}

fn feel_with_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_feel"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn eval_prints_feel_literal_syntax() {
    let o = feel(&[
        "eval",
        "{total: sum(prices) * 2, who: upper case(name)}",
        "--context",
        r#"{"prices": [1, 2.25], "name": "ada"}"#,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "{total: 6.5, who: \"ADA\"}\n");
    assert_eq!(stderr(&o), "");
}

#[test]
fn eval_json_and_typed_output() {
    let o = feel(&["eval", "[1.5, date(\"2024-02-29\")]", "--json"]);
    assert_eq!(stdout(&o), "[1.5,\"2024-02-29\"]\n", "{}", stderr(&o));
    let o = feel(&["eval", "[1.5, date(\"2024-02-29\")]", "--typed"]);
    let typed: Json = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(typed, json!([{"$number": "1.5"}, {"$date": "2024-02-29"}]));
}

#[test]
fn eval_reads_typed_context_from_a_file() {
    let dir = std::env::temp_dir().join(format!("feel-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ctx.json");
    std::fs::write(
        &path,
        r#"{"due": {"$date": "2024-01-31"}, "n": {"$number": "0.1"}}"#,
    )
    .unwrap();
    let o = feel(&[
        "eval",
        "[due + duration(\"P1D\"), n + 0.2]",
        "--context-file",
        path.to_str().unwrap(),
    ]);
    assert_eq!(
        stdout(&o),
        "[date(\"2024-02-01\"), 0.3]\n",
        "{}",
        stderr(&o)
    );
}

#[test]
fn eval_reads_the_expression_from_stdin() {
    let o = feel_with_stdin(&["eval", "-"], "// a comment\n1 + 1\n");
    assert_eq!(stdout(&o), "2\n", "{}", stderr(&o));
}

#[test]
fn warnings_go_to_stderr_with_line_and_column() {
    let o = feel(&["eval", "1 +\n  missing"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), "null\n");
    let err = stderr(&o);
    assert!(err.starts_with("warning: 2:3: "), "{err}");
    assert!(err.contains("missing"), "{err}");
}

#[test]
fn parse_error_exits_1_with_a_caret() {
    let o = feel(&["eval", "1 + * 2"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(err.contains("line 1, column 5"), "{err}");
    assert!(err.contains("1 | 1 + * 2"), "{err}");
    assert!(err.contains("  |     ^"), "{err}");
}

#[test]
fn memory_bombs_stop_at_the_default_budget() {
    // Before the budget, each of these took the process past 2 GB.
    let doubling: String = (1..=30).fold(String::from("{s0: \"ab\""), |s, i| {
        format!("{s}, s{i}: s{} + s{}", i - 1, i - 1)
    }) + "}.s30";
    for source in [
        "count(for a in 1..1000, b in 1..1000, c in 1..1000 return 1)",
        doubling.as_str(),
    ] {
        for limits in [&[][..], &["--fuel", "unlimited"]] {
            let o = feel(&[limits, &["eval", source]].concat());
            assert_eq!(o.status.code(), Some(1), "{source}: {}", stdout(&o));
            let err = stderr(&o);
            assert!(err.contains("memory budget"), "{source}: {err}");
            assert!(err.contains("67108864 bytes"), "{source}: {err}");
            // Where: the line and column of the part that asked for more.
            assert!(err.starts_with("error: 1:"), "{source}: {err}");
        }
    }
    // `--memory` raises the budget (suffixes count in binary multiples).
    let join = "string length(string join(for i in 1..100 return x))";
    let dir = std::env::temp_dir().join(format!("feel-cli-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("context.json");
    std::fs::write(&path, format!("{{\"x\": \"{}\"}}", "y".repeat(1 << 20))).unwrap();
    let context = path.to_str().unwrap();
    let o = feel(&["eval", join, "--context-file", context]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let o = feel(&["--memory", "128M", "eval", join, "--context-file", context]);
    assert_eq!(stdout(&o).trim(), "104857600", "{}", stderr(&o));
    let o = feel(&[
        "--memory",
        "unlimited",
        "eval",
        join,
        "--context-file",
        context,
    ]);
    assert_eq!(stdout(&o).trim(), "104857600", "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn long_expressions_are_refused_before_parsing() {
    let long = format!("1{}", "+1".repeat(5 * 1024 * 1024));
    let o = feel_with_stdin(&["eval", "-"], &long);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("10485761 bytes long, more than the limit of 65536 bytes"),
        "{err}"
    );
    let list = format!("[{}1]", "1,".repeat(40_000));
    let o = feel_with_stdin(&["eval", "-"], &list);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let o = feel_with_stdin(&["--max-input-length", "1M", "eval", "-"], &list);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn deep_recursion_at_a_raised_depth_limit_does_not_abort() {
    // Before the fix this died of SIGABRT (stack overflow).
    let source = "{f: function(n) if n = 0 then 0 else 1 + f(n - 1), r: f(15000)}.r";
    let o = feel(&["--max-depth", "16000", "eval", source]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("nested deeper than 16000"),
        "{}",
        stderr(&o)
    );
    let o = feel(&["--max-depth", "70000", "eval", source]);
    assert_eq!(stdout(&o).trim(), "15000", "{}", stderr(&o));
}

#[test]
fn fuel_exhaustion_exits_1() {
    let o = feel(&[
        "--fuel",
        "1000",
        "eval",
        "count(for i in 1..100000 return i)",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("fuel"), "{}", stderr(&o));
}

#[test]
fn bad_context_exits_2_and_says_where() {
    let o = feel(&["eval", "x", "--context", "{\"x\": }"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--context is not valid JSON"),
        "{}",
        stderr(&o)
    );

    let o = feel(&[
        "eval",
        "x",
        "--context",
        r#"{"x": {"$date": "2024-13-01"}}"#,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("$.x") && err.contains("2024-13-01"), "{err}");

    let o = feel(&["eval", "x", "--context", "[1, 2]"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("expected a JSON object"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(feel(&["eval"]).status.code(), Some(2));
    assert_eq!(feel(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        feel(&["unary", "< 3"]).status.code(),
        Some(2),
        "--input is required"
    );
    let o = feel(&["eval", "1", "--context-file", "/nonexistent/ctx.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/ctx.json"));
}

#[test]
fn pinned_clock() {
    let o = feel(&["eval", "today()", "--now", "2024-05-01T23:30:00-02:00"]);
    assert_eq!(stdout(&o), "date(\"2024-05-01\")\n", "{}", stderr(&o));
}

#[test]
fn unary_tests_against_an_input() {
    let o = feel(&[
        "unary",
        "[1..5], > limit",
        "--input",
        "12",
        "--context",
        r#"{"limit": 10}"#,
    ]);
    assert_eq!(stdout(&o), "true\n", "{}", stderr(&o));
    let o = feel(&["unary", "< 10", "--input", r#"{"$number": "10"}"#]);
    assert_eq!(stdout(&o), "false\n", "{}", stderr(&o));
    let o = feel(&["unary", "< 10,", "--input", "1"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}

/// One line per case, in order, even when cases crash, loop or are garbage.
#[test]
fn batch_survives_bad_cases() {
    let cases = [
        json!({"id": "ok", "expression": "\"Hello \" + Full Name", "context": {"Full Name": "John Doe"}}),
        json!({"id": "loop", "expression": "count(for i in 1..1000000 return i)", "context": {}}),
        json!({"id": "deep", "expression": format!("{}1{}", "(".repeat(5000), ")".repeat(5000))}),
        json!({"id": "typed", "expression": "d + duration(\"P1D\")", "context": {"d": {"$date": "2017-01-01"}}}),
        json!({"id": "parse", "expression": "1 +"}),
        json!({"id": "unary", "expression": "> 5", "context": {"?": {"$number": "7"}}, "tags": ["unary-test"]}),
        json!({"id": "recursion", "expression": "{f: function(n) f(n + 1), r: f(0)}.r"}),
    ];
    let mut input: String = cases.iter().map(|c| format!("{c}\n")).collect();
    input.push_str("{broken\n");
    let o = feel_with_stdin(&["--fuel", "100000", "batch"], &input);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<Json> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), cases.len() + 1, "{}", stdout(&o));
    let ids: Vec<&Json> = lines.iter().map(|l| &l["id"]).collect();
    let expected: Vec<Json> = cases
        .iter()
        .map(|c| c["id"].clone())
        .chain([Json::Null])
        .collect();
    assert_eq!(ids, expected.iter().collect::<Vec<_>>());

    assert_eq!(lines[0]["result"], json!("Hello John Doe"));
    assert!(
        lines[1]["error"].as_str().unwrap().contains("fuel"),
        "{}",
        lines[1]
    );
    assert!(lines[2].get("error").is_some(), "too deep: {}", lines[2]);
    assert_eq!(lines[3]["result"], json!({"$date": "2017-01-02"}));
    assert!(lines[4]["error"]
        .as_str()
        .unwrap()
        .starts_with("parse error"));
    assert_eq!(lines[5]["result"], json!(true));
    // Unbounded recursion ends in an error (depth or fuel), or in null if
    // the engine does not let `f` see itself; either way the batch goes on.
    assert!(
        lines[6].get("error").is_some() || lines[6]["result"].is_null(),
        "{}",
        lines[6]
    );
    assert!(lines[7]["error"].as_str().unwrap().contains("line 8"));
    assert!(stderr(&o).contains("8 cases"), "{}", stderr(&o));
}

#[test]
fn batch_reads_a_file() {
    let dir = std::env::temp_dir().join(format!("feel-cli-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cases.jsonl");
    std::fs::write(
        &path,
        "{\"id\": 1, \"expression\": \"2 ** 10\"}\n\n{\"id\": 2, \"expression\": \"[1, \\\"a\\\"]\"}\n",
    )
    .unwrap();
    let o = feel(&["batch", path.to_str().unwrap()]);
    assert_eq!(
        stdout(&o),
        "{\"id\":1,\"result\":{\"$number\":\"1024\"}}\n{\"id\":2,\"result\":[{\"$number\":\"1\"},\"a\"]}\n",
        "{}",
        stderr(&o)
    );
}

#[test]
fn functions_lists_the_builtins() {
    let o = feel(&["functions"]);
    assert!(o.status.success());
    let names: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    for name in ["date and time", "string length", "sum", "upper case"] {
        assert!(
            names.iter().any(|n| n == name),
            "{name} missing from {names:?}"
        );
    }
}
