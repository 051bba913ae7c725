//! The `feel` command-line tool as a library: the `eval`, `unary` and
//! `batch` subcommands, and the typed JSON of the DMN TCK corpus. The binary
//! (`src/main.rs`) only parses arguments; the conformance suite in `tests/`
//! runs the TCK through [`batch::run`], the same code path as `feel batch`.

#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod batch;
pub mod cli;
pub mod evaluate;
pub mod repl;
pub mod typed_json;

use std::fmt;
use std::io;
use std::process::ExitCode;
/// Why the tool stopped; each kind has its exit status.
#[derive(Debug)]
pub enum Failure {
    /// The expression did not parse, or its evaluation failed (exit 1).
    Feel(String),
    /// Bad usage or bad input: unreadable file, invalid JSON (exit 2).
    Input(String),
    /// Writing the output failed (exit 2); a closed pipe is not reported.
    Output(io::Error),
}

impl Failure {
    /// The process exit status for this failure.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Feel(_) => ExitCode::from(1),
            Failure::Input(_) | Failure::Output(_) => ExitCode::from(2),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Feel(m) | Failure::Input(m) => f.write_str(m),
            Failure::Output(e) => write!(f, "cannot write the output: {e}"),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}
