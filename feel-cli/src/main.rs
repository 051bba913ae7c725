//! The `feel` command-line tool: evaluate FEEL expressions and unary tests,
//! one at a time (`feel eval`, `feel unary`), as a JSON-Lines batch
//! (`feel batch`) or interactively (`feel repl`). Run `feel --help` for usage.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use feel_cli::cli::{Cli, Command, Limits};
use feel_cli::{batch, evaluate, repl, Failure};

/// Builds the engine the subcommands evaluate with.
fn engine(limits: &Limits) -> feel::Engine {
    let mut builder = feel::Engine::builder()
        .max_depth(limits.max_depth)
        .memory_budget(limits.memory.get())
        .max_input_length(
            limits
                .max_input_length
                .get()
                .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX)),
        )
        .dialect(limits.dialect.into());
    if let Some(fuel) = limits.fuel.get() {
        builder = builder.fuel(fuel);
    }
    if let Some(now) = limits.now {
        builder = builder.clock(feel::FixedClock(now));
    }
    builder.build()
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Eval {
            expression,
            context,
            output,
        } => evaluate::expression(&engine(&cli.limits), &expression, &context, &output),
        Command::Unary {
            tests,
            input,
            context,
            output,
        } => evaluate::unary_tests(&engine(&cli.limits), &tests, &input, &context, &output),
        Command::Batch {
            file,
            timeout_ms,
            warnings,
        } => {
            let options = batch::Options {
                timeout: std::time::Duration::from_millis(timeout_ms),
                warnings,
            };
            let engine = engine(&cli.limits);
            batch::run_file(engine, file.as_deref(), &options)
        }
        Command::Repl { context } => {
            let vars = evaluate::read_context(&context)?;
            repl::run(engine(&cli.limits), vars)
        }
        Command::Functions => {
            let mut out = io::stdout().lock();
            for name in feel::builtin_names() {
                writeln!(out, "{name}")?;
            }
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(failure) => {
            // Nothing sensible is left to do if stderr is gone too.
            let _ = writeln!(io::stderr().lock(), "error: {failure}");
            failure.exit_code()
        }
    }
}
