//! `feel repl` through a pipe and through a pseudo-terminal.

use std::io::Write;
use std::process::{Command, Stdio};

fn piped(stdin: &str, args: &[&str]) -> (String, String, bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_feel"))
        .args(args)
        .arg("repl")
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
    let o = child.wait_with_output().unwrap();
    (
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
        o.status.success(),
    )
}

#[test]
fn through_a_pipe() {
    let script = "\
rate: 0.25
amount: 120
amount * rate
missing + 1
amount *
{total: amount * (1 + rate)}
:vars
:clear
:vars
:quit
amount
";
    let (out, err, ok) = piped(script, &["--dialect", "standard"]);
    assert!(ok, "{err}");
    assert_eq!(err, "");
    let expected = "\
rate: 0.25
amount: 120
30
null
warning: 1:1: no variable found with name 'missing'
parse error at line 1, column 9: unexpected end of input, expected an expression
  |
1 | amount *
  |         ^
{total: 150}
rate: 0.25
amount: 120
bindings cleared
(no variables)
";
    assert_eq!(out, expected);
}

#[test]
fn through_a_pipe_with_context_and_dialect() {
    let (out, err, ok) = piped(
        "[1] = [true]\nstring(@\"P0D\")\nbig\n",
        &["--dialect", "camunda"],
    );
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "false\n\"P0D\"\nnull\nwarning: 1:1: no variable found with name 'big'\n"
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_feel"))
        .args(["repl", "--context", r#"{"big": 1.10000000000000000000001}"#])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"big * 2\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        "2.20000000000000000000002\n"
    );
}

/// Drives the REPL on a pseudo-terminal with Python's `pty` module: waits
/// for each prompt, types a line (with a backspace and an arrow key, which
/// only a line editor understands), and prints what the terminal showed.
const PTY_DRIVER: &str = r#"
import os, pty, sys, time, select
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "repl"])
out = b""
def wait_for(needle, count, limit=20.0):
    global out
    end = time.time() + limit
    while out.count(needle) < count and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            out += chunk
lines = [b"x: 20\r", b"x + 2\x7f\x7f33\r", b"\x1b[A\r", b":quit\r"]
for i, line in enumerate(lines):
    wait_for(b"feel> ", i + 1)
    os.write(fd, line)
wait_for(b"\x00", 1, 5.0)  # read until the REPL exits
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.stdout.write("\nEXIT %d\n" % os.waitstatus_to_exitcode(status))
"#;

#[test]
fn through_a_pseudo_terminal() {
    let python = Command::new("python3")
        .arg("-c")
        .arg(PTY_DRIVER)
        .arg(env!("CARGO_BIN_EXE_feel"))
        .output();
    let o = match python {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            eprintln!(
                "SKIPPED through_a_pseudo_terminal: the pty driver failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            return;
        }
        Err(e) => {
            eprintln!("SKIPPED through_a_pseudo_terminal: python3 is not available ({e})");
            return;
        }
    };
    let screen = String::from_utf8(o.stdout).unwrap().replace('\r', "");
    // The terminal path: a banner and a prompt, which piped input never gets.
    assert!(screen.contains("REPL; :help for help"), "{screen}");
    assert!(screen.contains("feel> "), "{screen}");
    // `x + 2`, two backspaces, `33`: the editor saw `x + 33`.
    let results: Vec<&str> = screen
        .lines()
        .filter(|l| l.trim() == "53" || l.trim() == "x: 20")
        .collect();
    assert_eq!(results, ["x: 20", "53", "53"], "{screen}");
    assert!(screen.trim_end().ends_with("EXIT 0"), "{screen}");
}
