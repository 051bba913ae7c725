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
/// evaluation fails (fuel, depth or memory exhausted), 2 on bad usage or bad
/// input.
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

/// The fuel of one evaluation (one batch case) unless `--fuel` says
/// otherwise (the default of `--fuel` spells it out too).
pub const DEFAULT_FUEL: u64 = 10_000_000;

/// Evaluation limits and the clock, shared by all subcommands.
///
/// Every limit has a default that a mistyped or hostile expression cannot
/// get past into gigabytes or minutes; the flags raise them (`unlimited`
/// lifts the fuel and memory limits).
#[derive(Debug, Args)]
pub struct Limits {
    /// Stop an evaluation after this many steps, or `unlimited`.
    #[arg(long, global = true, value_name = "STEPS", default_value = "10000000", value_parser = parse_limit)]
    pub fuel: Limit,
    /// Stop an evaluation that would build more than this many bytes of
    /// values (`K`, `M` and `G` suffixes count in KiB, MiB and GiB), or
    /// `unlimited`.
    #[arg(long, global = true, value_name = "BYTES", default_value = "64M", value_parser = parse_limit)]
    pub memory: Limit,
    /// Maximum nesting depth of the parser and the evaluator.
    #[arg(long, global = true, value_name = "DEPTH", default_value_t = feel::DEFAULT_MAX_DEPTH)]
    pub max_depth: usize,
    /// Refuse expressions and unary tests longer than this many bytes
    /// (suffixes as for `--memory`), before parsing them.
    #[arg(long, global = true, value_name = "BYTES", default_value = "64K", value_parser = parse_limit)]
    pub max_input_length: Limit,
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

/// A limit given on the command line: a number of units, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// At most this many.
    At(u64),
    /// No limit.
    Unlimited,
}

impl Limit {
    /// The limit as the engine builder takes it.
    pub fn get(self) -> Option<u64> {
        match self {
            Limit::At(n) => Some(n),
            Limit::Unlimited => None,
        }
    }
}

/// `123`, `64K`, `64M`, `1G` (binary multiples) or `unlimited`.
fn parse_limit(s: &str) -> Result<Limit, String> {
    if s.eq_ignore_ascii_case("unlimited") {
        return Ok(Limit::Unlimited);
    }
    let (digits, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c.to_ascii_uppercase()),
        _ => (s, ' '),
    };
    let shift = match unit {
        ' ' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        other => return Err(format!("unknown unit '{other}' (use K, M or G)")),
    };
    let n: u64 = digits.parse().map_err(|_| {
        format!("{s:?} is not a number (with an optional K, M or G) or `unlimited`")
    })?;
    n.checked_mul(1 << shift)
        .map(Limit::At)
        .ok_or_else(|| format!("{s} is too large"))
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
    fn limits_have_safe_defaults_and_take_units() {
        let cli = Cli::try_parse_from(["feel", "eval", "1"]).unwrap();
        assert_eq!(cli.limits.fuel, Limit::At(DEFAULT_FUEL));
        assert_eq!(cli.limits.memory, Limit::At(64 << 20));
        assert_eq!(cli.limits.max_input_length, Limit::At(64 << 10));
        let cli = Cli::try_parse_from([
            "feel",
            "--memory",
            "2g",
            "--fuel",
            "unlimited",
            "--max-input-length",
            "1000",
            "eval",
            "1",
        ])
        .unwrap();
        assert_eq!(cli.limits.memory, Limit::At(2 << 30));
        assert_eq!(cli.limits.fuel, Limit::Unlimited);
        assert_eq!(cli.limits.max_input_length, Limit::At(1000));
        for bad in ["12X", "lots", "-1", "99999999999G"] {
            let r = Cli::try_parse_from(["feel", "--memory", bad, "eval", "1"]);
            assert!(r.is_err(), "{bad}");
        }
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
