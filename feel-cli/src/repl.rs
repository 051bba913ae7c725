//! `feel repl`: evaluate FEEL a line at a time.
//!
//! On a terminal the lines come through rustyline (editing, history for the
//! session, Ctrl-C to drop a line, Ctrl-D to leave); from a pipe they are read
//! plainly, without a prompt, so a transcript can be scripted. Each line is:
//!
//! * `name: expression`: evaluates the expression and binds `name` to its
//!   value for the lines that follow (a later binding replaces it);
//! * `:help`, `:vars`, `:clear`, `:quit` (also `:q`, `:exit`);
//! * anything else: an expression, whose value is printed in FEEL syntax with
//!   any warnings under it.
//!
//! A line that does not parse prints the error with a caret under it, and the
//! REPL goes on. Everything goes to stdout, in the order it happens.

use std::io::{self, BufRead, IsTerminal, Write};

use feel::{Context, Engine, Evaluation, Value};

use crate::evaluate::describe_warning;
use crate::Failure;

/// The prompt on a terminal.
const PROMPT: &str = "feel> ";

const HELP: &str = "\
Enter a FEEL expression to evaluate it, or `name: expression` to bind `name`
to its value for later lines. Commands:
  :help   this text
  :vars   the variables in scope, with their values
  :clear  forget the bindings (the --context variables come back)
  :quit   leave (also :q, :exit, or Ctrl-D)";

/// What to do after a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Print this text (possibly empty) and read the next line.
    Print(String),
    /// Leave the REPL.
    Quit,
}

/// The REPL's state: the engine and the variables in scope.
#[derive(Debug)]
pub struct Repl {
    engine: Engine,
    initial: Context,
    vars: Context,
}

impl Repl {
    /// A REPL evaluating with `engine`, starting with `vars` in scope.
    pub fn new(engine: Engine, vars: Context) -> Repl {
        Repl {
            engine,
            initial: vars.clone(),
            vars,
        }
    }

    /// The variables in scope.
    pub fn vars(&self) -> &Context {
        &self.vars
    }

    /// Handles one input line.
    pub fn line(&mut self, line: &str) -> Step {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return Step::Print(String::new());
        }
        if let Some(command) = trimmed.strip_prefix(':') {
            return self.command(command.trim());
        }
        match binding(trimmed) {
            Some((name, source)) => {
                let (text, value) = self.evaluate(source);
                match value {
                    Some(v) => {
                        let shown = format!("{name}: {text}");
                        self.vars.insert(name.as_str(), v);
                        Step::Print(shown)
                    }
                    None => Step::Print(text),
                }
            }
            None => Step::Print(self.evaluate(trimmed).0),
        }
    }

    fn command(&mut self, command: &str) -> Step {
        match command {
            "q" | "quit" | "exit" => Step::Quit,
            "help" | "h" | "?" => Step::Print(HELP.to_owned()),
            "vars" => Step::Print(if self.vars.is_empty() {
                "(no variables)".to_owned()
            } else {
                let lines: Vec<String> = self
                    .vars
                    .iter()
                    .map(|(k, v)| format!("{}: {v}", show_name(k)))
                    .collect();
                lines.join("\n")
            }),
            "clear" => {
                self.vars = self.initial.clone();
                Step::Print("bindings cleared".to_owned())
            }
            other => Step::Print(format!("unknown command :{other} (:help lists them)")),
        }
    }

    /// The text to print for `source` and, when it evaluated, its value.
    fn evaluate(&self, source: &str) -> (String, Option<Value>) {
        let compiled = match self.engine.compile_expression(source) {
            Ok(c) => c,
            Err(e) => return (e.to_string(), None),
        };
        match compiled.evaluate(&self.vars) {
            Ok(Evaluation {
                value, warnings, ..
            }) => {
                let mut text = value.to_string();
                for w in &warnings {
                    text.push('\n');
                    text.push_str(&describe_warning(source, w));
                }
                (text, Some(value))
            }
            Err(e) => (format!("error: {e}"), None),
        }
    }
}

/// A name as the user would type it: backticks around a name that a bare
/// name could not spell.
fn show_name(name: &str) -> String {
    if is_plain_name(name) {
        name.to_owned()
    } else {
        format!("`{name}`")
    }
}

fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '\'' || c == ' ')
        && !name.ends_with(' ')
        && !name.contains("  ")
}

/// `name: expression` → the name (inner white space made single spaces, or
/// the text between backticks) and the expression. Anything that is not a
/// name before the first `:` makes the line an expression (`{a: 1}`,
/// `f(x: 1)`).
fn binding(line: &str) -> Option<(String, &str)> {
    let (head, source) = line.split_once(':')?;
    let source = source.trim();
    if source.is_empty() {
        return None;
    }
    let head = head.trim();
    if let Some(quoted) = head.strip_prefix('`').and_then(|h| h.strip_suffix('`')) {
        return (!quoted.is_empty() && !quoted.contains('`')).then(|| (quoted.to_owned(), source));
    }
    let name = head.split_whitespace().collect::<Vec<_>>().join(" ");
    is_plain_name(&name).then_some((name, source))
}

/// Runs the REPL on stdin: with line editing on a terminal, plainly when
/// piped.
pub fn run(engine: Engine, vars: Context) -> Result<(), Failure> {
    let mut repl = Repl::new(engine, vars);
    if io::stdin().is_terminal() {
        interactive(&mut repl)
    } else {
        piped(&mut repl, io::stdin().lock(), &mut io::stdout().lock())
    }
}

/// Reads lines from `input` until it ends or `:quit`, writing to `output`.
pub fn piped(repl: &mut Repl, input: impl BufRead, output: &mut impl Write) -> Result<(), Failure> {
    for line in input.lines() {
        let line = line.map_err(|e| Failure::Input(format!("cannot read stdin: {e}")))?;
        match repl.line(&line) {
            Step::Quit => break,
            Step::Print(text) => {
                if !text.is_empty() {
                    writeln!(output, "{text}")?;
                    output.flush()?;
                }
            }
        }
    }
    Ok(())
}

fn interactive(repl: &mut Repl) -> Result<(), Failure> {
    use rustyline::error::ReadlineError;

    let mut editor = rustyline::DefaultEditor::new()
        .map_err(|e| Failure::Input(format!("cannot set up the terminal: {e}")))?;
    let mut out = io::stdout();
    writeln!(
        out,
        "FEEL {} REPL; :help for help, :quit to leave",
        env!("CARGO_PKG_VERSION")
    )?;
    loop {
        match editor.readline(PROMPT) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    // History is a convenience: a failure to record is no reason to stop.
                    let _ = editor.add_history_entry(line.as_str());
                }
                match repl.line(&line) {
                    Step::Quit => break,
                    Step::Print(text) => {
                        if !text.is_empty() {
                            writeln!(out, "{text}")?;
                        }
                    }
                }
            }
            // Ctrl-C drops the line being typed.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(Failure::Input(format!("cannot read the terminal: {e}"))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repl() -> Repl {
        Repl::new(Engine::new(), Context::new())
    }

    fn print(r: &mut Repl, line: &str) -> String {
        match r.line(line) {
            Step::Print(t) => t,
            Step::Quit => panic!("{line} quit"),
        }
    }

    #[test]
    fn bindings_carry_to_later_lines() {
        let mut r = repl();
        assert_eq!(print(&mut r, "price: 12.5"), "price: 12.5");
        assert_eq!(print(&mut r, "unit  count : 4"), "unit count: 4");
        assert_eq!(print(&mut r, "price * unit count"), "50");
        assert_eq!(print(&mut r, "price: price + 1"), "price: 13.5");
        assert_eq!(print(&mut r, "`a-b`: 1"), "a-b: 1");
        assert_eq!(print(&mut r, "`a-b` + 1"), "2");
        assert_eq!(
            print(&mut r, ":vars"),
            "price: 13.5\nunit count: 4\n`a-b`: 1"
        );
    }

    #[test]
    fn colons_inside_expressions_are_not_bindings() {
        let mut r = repl();
        assert_eq!(print(&mut r, "{a: 1}.a"), "1");
        assert_eq!(
            print(&mut r, r#"substring(string: "abc", start position: 2)"#),
            r#""bc""#
        );
        assert_eq!(print(&mut r, "if true then {b: 2} else null"), "{b: 2}");
        assert_eq!(print(&mut r, ":vars"), "(no variables)");
    }

    #[test]
    fn warnings_follow_the_value_and_parse_errors_show_a_caret() {
        let mut r = repl();
        assert_eq!(
            print(&mut r, "1 + x"),
            "null\nwarning: 1:5: no variable found with name 'x'"
        );
        let err = print(&mut r, "x: 1 +");
        assert!(err.starts_with("parse error at line 1, column 4"), "{err}");
        assert!(err.contains('^'), "{err}");
        // A failed binding binds nothing; the REPL goes on.
        assert_eq!(print(&mut r, ":vars"), "(no variables)");
        assert_eq!(print(&mut r, "2 * 3"), "6");
    }

    #[test]
    fn commands() {
        let mut r = Repl::new(
            Engine::new(),
            [("start", Value::from(1))].into_iter().collect(),
        );
        assert!(print(&mut r, ":help").contains(":vars"));
        print(&mut r, "y: start + 1");
        assert_eq!(print(&mut r, ":clear"), "bindings cleared");
        assert_eq!(print(&mut r, ":vars"), "start: 1");
        assert!(print(&mut r, ":frobnicate").starts_with("unknown command"));
        assert_eq!(print(&mut r, "   "), "");
        assert_eq!(r.line(":quit"), Step::Quit);
        assert_eq!(r.line(" :q "), Step::Quit);
    }

    #[test]
    fn piped_input_stops_at_quit() {
        let mut r = repl();
        let input = "a: 2\n\na * 21\n:quit\n99\n";
        let mut out = Vec::new();
        piped(&mut r, input.as_bytes(), &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a: 2\n42\n");
    }
}
