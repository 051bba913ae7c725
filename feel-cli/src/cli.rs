//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Evaluate FEEL (DMN 1.5) expressions and unary tests.
///
/// Contexts and inputs are JSON; the typed-JSON tags of the TCK corpus
/// (`{"$number": "1.5"}`, `{"$date": "2024-01-31"}`, `$time`, `$dateTime`,
/// `$duration`) give values plain JSON has no type for.
///
/// Exit status: 0 on success, 1 when the expression does not parse or its
/// evaluation fails (fuel or depth exhausted), 2 on bad usage or bad input.
#[derive(Debug, Parser)]
#[command(name = "feel", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub limits: Limits,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate an expression and print its value.
    ///
    /// Example: feel eval 'sum(prices) * 1.2' --context '{"prices": [1, 2.5]}'
    Eval {
        /// The expression; `-` reads it from stdin.
        expression: String,
        #[command(flatten)]
        context: ContextArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Evaluate unary tests (`< 10`, `"a", "b"`, `[1..5]`, `not(3)`) against an input.
    ///
    /// Example: feel unary '[1..5], > 10' --input 12
    Unary {
        /// The unary tests (`-` is the test that accepts any input).
        tests: String,
        /// The input value (`?`) as (typed) JSON.
        #[arg(long, value_name = "JSON")]
        input: String,
        #[command(flatten)]
        context: ContextArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Run JSON-Lines test cases (the format of the TCK corpus) and print one
    /// result line per case.
    ///
    /// Each input line is {"id", "expression", "context", "tags"}; a case
    /// tagged `unary-test` is parsed as unary tests with the context entry `?`
    /// as input. Each output line is {"id", "result": <typed JSON>} or
    /// {"id", "error": "..."}. A case that panics, runs out of fuel or times
    /// out is reported as an error and the batch goes on.
    Batch {
        /// The cases file; stdin when absent or `-`.
        file: Option<PathBuf>,
        /// Abandon a case that runs longer than this (milliseconds).
        #[arg(long, value_name = "MS", default_value_t = 10_000)]
        timeout_ms: u64,
        /// Add a `warnings` array to result lines that produced warnings.
        #[arg(long)]
        warnings: bool,
    },
    /// List the names of the built-in functions, one per line.
    Functions,
    /// Evaluate expressions a line at a time.
    ///
    /// `name: expression` binds `name` for the lines that follow; any other
    /// line is evaluated and its value printed in FEEL syntax, with warnings
    /// under it. `:help`, `:vars`, `:clear`, `:quit`. On a terminal, lines can
    /// be edited and recalled; piped input is read line by line.
    Repl {
        #[command(flatten)]
        context: ContextArgs,
    },
}

/// Where the variables come from.
#[derive(Debug, Args)]
pub struct ContextArgs {
    /// The variables, as a (typed) JSON object.
    #[arg(long, value_name = "JSON", conflicts_with = "context_file")]
    pub context: Option<String>,
    /// Read the variables from a (typed) JSON file.
    #[arg(long, value_name = "FILE")]
    pub context_file: Option<PathBuf>,
}

/// How to print the value.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print the value as plain JSON (numbers as JSON numbers, temporal
    /// values as ISO strings) instead of FEEL literal syntax.
    #[arg(long, conflicts_with = "typed")]
    pub json: bool,
    /// Print the value as typed JSON (the TCK encoding).
    #[arg(long)]
    pub typed: bool,
}

/// Evaluation limits and the clock, shared by all subcommands.
#[derive(Debug, Args)]
pub struct Limits {
    /// Stop an evaluation after this many steps (default: unlimited for
    /// eval/unary, 10000000 per case for batch).
    #[arg(long, global = true, value_name = "STEPS")]
    pub fuel: Option<u64>,
    /// Maximum nesting depth of the parser and the evaluator.
    #[arg(long, global = true, value_name = "DEPTH", default_value_t = feel::DEFAULT_MAX_DEPTH)]
    pub max_depth: usize,
    /// Pin `now()` and `today()` to this RFC 3339 instant
    /// (e.g. 2024-05-01T12:00:00+02:00).
    #[arg(long, global = true, value_name = "INSTANT", value_parser = parse_instant)]
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Where DMN 1.5 and Camunda 8 disagree, follow this one.
    #[arg(long, global = true, value_enum, default_value_t = DialectArg::Standard)]
    pub dialect: DialectArg,
}

/// The `--dialect` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DialectArg {
    /// DMN 1.5 as the specification and the TCK read it.
    Standard,
    /// Camunda 8's FEEL (feel-scala).
    Camunda,
}

impl From<DialectArg> for feel::Dialect {
    fn from(d: DialectArg) -> Self {
        match d {
            DialectArg::Standard => feel::Dialect::Standard,
            DialectArg::Camunda => feel::Dialect::Camunda,
        }
    }
}

fn parse_instant(s: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map_err(|e| format!("not an RFC 3339 date and time with offset ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn context_sources_conflict() {
        let r = Cli::try_parse_from([
            "feel",
            "eval",
            "1",
            "--context",
            "{}",
            "--context-file",
            "f",
        ]);
        assert_eq!(
            r.unwrap_err().kind(),
            clap::error::ErrorKind::ArgumentConflict
        );
    }

    #[test]
    fn dialect_defaults_to_the_standard() {
        let cli = Cli::try_parse_from(["feel", "eval", "1"]).unwrap();
        assert_eq!(cli.limits.dialect, DialectArg::Standard);
        let cli = Cli::try_parse_from(["feel", "eval", "1", "--dialect", "camunda"]).unwrap();
        assert_eq!(
            feel::Dialect::from(cli.limits.dialect),
            feel::Dialect::Camunda
        );
        assert!(Cli::try_parse_from(["feel", "eval", "1", "--dialect", "scala"]).is_err());
    }

    #[test]
    fn now_must_be_rfc3339() {
        let r = Cli::try_parse_from(["feel", "eval", "now()", "--now", "yesterday"]);
        assert!(r.unwrap_err().to_string().contains("RFC 3339"));
        let cli = Cli::try_parse_from(["feel", "--now", "2024-05-01T12:00:00Z", "eval", "now()"])
            .unwrap();
        assert!(cli.limits.now.is_some());
    }
}
