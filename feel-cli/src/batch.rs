//! `feel batch`: JSON-Lines cases in, one JSON line per case out.
//!
//! The cases run one at a time, in input order, on a worker thread with a
//! large stack. Nothing one case does stops the batch:
//! - every evaluation has a fuel budget, so loops end with an error;
//! - a panic is caught (`catch_unwind`) and reported as that case's error;
//! - a case that still runs after the timeout is abandoned: it is reported as
//!   an error, its worker thread is left behind (Rust cannot kill a thread)
//!   and a fresh worker takes the next case.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Once};
use std::thread;
use std::time::Duration;

use feel::{Engine, Evaluation};
use serde_json::{json, Map, Value as Json};

use crate::evaluate::describe_warning;
use crate::typed_json::{self, json_kind};
use crate::Failure;

/// The name of worker threads; the panic hook recognises them by it.
const WORKER_NAME: &str = "feel-batch-worker";

/// The stack of a worker thread: deep enough for any nesting the depth limit
/// lets through. Only the pages a case touches are ever committed.
const WORKER_STACK: usize = 256 * 1024 * 1024;

/// How a batch runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long one case may run before it is abandoned.
    pub timeout: Duration,
    /// Whether result lines carry the evaluation's warnings.
    pub warnings: bool,
}

/// What happened, case by case, for the closing line on stderr.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Lines that held a case (blank lines do not count).
    pub cases: usize,
    /// Cases answered with a value.
    pub results: usize,
    /// Cases answered with an error (including the two below).
    pub errors: usize,
    /// Cases whose evaluation panicked.
    pub panics: usize,
    /// Cases abandoned after the timeout.
    pub timeouts: usize,
}

/// Runs the cases of `file` (stdin for `None` or `-`) and writes the results
/// to stdout, then a summary to stderr.
pub fn run_file(engine: Engine, file: Option<&Path>, options: &Options) -> Result<(), Failure> {
    let input: Box<dyn BufRead> = match file {
        Some(path) if path != Path::new("-") => {
            let f = File::open(path)
                .map_err(|e| Failure::Input(format!("cannot open {}: {e}", path.display())))?;
            Box::new(BufReader::new(f))
        }
        _ => Box::new(io::stdin().lock()),
    };
    let mut out = io::stdout().lock();
    let summary = run(engine, input, &mut out, options)?;
    let _ = writeln!(
        io::stderr().lock(),
        "batch: {} cases: {} results, {} errors ({} panics, {} timeouts)",
        summary.cases,
        summary.results,
        summary.errors,
        summary.panics,
        summary.timeouts
    );
    Ok(())
}

/// Runs the cases of `input`, writing one line per case to `out`.
pub fn run(
    engine: Engine,
    mut input: impl BufRead,
    out: &mut impl Write,
    options: &Options,
) -> Result<Summary, Failure> {
    install_panic_hook();
    let mut runner = Runner::new(engine, options)?;
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    loop {
        buf.clear();
        let read = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| Failure::Input(format!("cannot read the cases: {e}")))?;
        if read == 0 {
            break;
        }
        line_no += 1;
        if let Some(line) = runner.line(line_no, &buf)? {
            write_line(out, &line)?;
        }
    }
    out.flush()?;
    Ok(runner.summary)
}

/// Turns input lines into output lines, keeping count.
struct Runner {
    shared: Arc<Shared>,
    worker: Worker,
    timeout: Duration,
    summary: Summary,
}

impl Runner {
    fn new(engine: Engine, options: &Options) -> Result<Runner, Failure> {
        let shared = Arc::new(Shared {
            engine,
            warnings: options.warnings,
        });
        let worker = Worker::spawn(&shared)?;
        Ok(Runner {
            shared,
            worker,
            timeout: options.timeout,
            summary: Summary::default(),
        })
    }

    /// The output line for input line `line_no`; `None` for a blank line.
    fn line(&mut self, line_no: usize, bytes: &[u8]) -> Result<Option<Json>, Failure> {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Ok(Some(self.count(error_line(
                Json::Null,
                format!("line {line_no}: not valid UTF-8"),
            ))));
        };
        if text.trim().is_empty() {
            return Ok(None);
        }
        let case = match Case::parse(text) {
            Ok(case) => case,
            Err((id, message)) => {
                return Ok(Some(
                    self.count(error_line(id, format!("line {line_no}: {message}"))),
                ))
            }
        };
        let id = case.id.clone();
        let line = match self.worker.run(case, self.timeout) {
            Outcome::Done(line) => line,
            Outcome::Panicked(message) => {
                self.summary.panics += 1;
                error_line(id, format!("the engine panicked: {message}"))
            }
            Outcome::TimedOut => {
                self.summary.timeouts += 1;
                self.worker = Worker::spawn(&self.shared)?;
                let ms = self.timeout.as_millis();
                error_line(
                    id,
                    format!("no result within {ms} ms; the evaluation was abandoned"),
                )
            }
            Outcome::Died => {
                self.summary.panics += 1;
                self.worker = Worker::spawn(&self.shared)?;
                error_line(id, "the evaluation thread died".into())
            }
        };
        Ok(Some(self.count(line)))
    }

    fn count(&mut self, line: Json) -> Json {
        self.summary.cases += 1;
        if line.get("error").is_some() {
            self.summary.errors += 1;
        } else {
            self.summary.results += 1;
        }
        line
    }
}

fn write_line(out: &mut impl Write, line: &Json) -> Result<(), Failure> {
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

fn error_line(id: Json, message: String) -> Json {
    json!({"id": id, "error": message})
}

/// One case, as read from its line.
#[derive(Debug, Clone)]
struct Case {
    id: Json,
    source: String,
    context: Json,
    unary: bool,
}

impl Case {
    /// Reads a case; on failure, the id (if one could be read) and why.
    fn parse(line: &str) -> Result<Case, (Json, String)> {
        let json: Json =
            serde_json::from_str(line).map_err(|e| (Json::Null, format!("not valid JSON: {e}")))?;
        let Json::Object(mut map) = json else {
            return Err((
                Json::Null,
                format!("expected a JSON object, found {}", json_kind(&json)),
            ));
        };
        let id = map.remove("id").unwrap_or(Json::Null);
        let fail = |message: String| Err((id.clone(), message));
        let source = match map.remove("expression") {
            Some(Json::String(s)) => s,
            Some(other) => {
                return fail(format!(
                    "`expression` must be a string, found {}",
                    json_kind(&other)
                ))
            }
            None => return fail("the case has no `expression`".into()),
        };
        let context = map.remove("context").unwrap_or(Json::Null);
        let unary = match map.get("tags") {
            None | Some(Json::Null) => false,
            Some(Json::Array(tags)) => tags.iter().any(|t| t.as_str() == Some("unary-test")),
            Some(other) => {
                return fail(format!(
                    "`tags` must be an array, found {}",
                    json_kind(other)
                ))
            }
        };
        Ok(Case {
            id,
            source,
            context,
            unary,
        })
    }
}

/// What every worker needs.
struct Shared {
    engine: Engine,
    warnings: bool,
}

/// How a case ended, seen from the main thread.
enum Outcome {
    Done(Json),
    Panicked(String),
    TimedOut,
    Died,
}

/// A thread that evaluates the cases sent to it, one at a time.
struct Worker {
    jobs: Sender<Case>,
    results: Receiver<Result<Json, String>>,
}

impl Worker {
    fn spawn(shared: &Arc<Shared>) -> Result<Worker, Failure> {
        let (jobs, job_rx) = mpsc::channel::<Case>();
        let (result_tx, results) = mpsc::channel();
        let shared = Arc::clone(shared);
        thread::Builder::new()
            .name(WORKER_NAME.into())
            .stack_size(WORKER_STACK)
            .spawn(move || {
                for case in job_rx {
                    let outcome =
                        panic::catch_unwind(AssertUnwindSafe(|| evaluate(&shared, &case)))
                            .map_err(|payload| panic_message(payload.as_ref()));
                    if result_tx.send(outcome).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| Failure::Input(format!("cannot start a worker thread: {e}")))?;
        Ok(Worker { jobs, results })
    }

    fn run(&self, case: Case, timeout: Duration) -> Outcome {
        if self.jobs.send(case).is_err() {
            return Outcome::Died;
        }
        match self.results.recv_timeout(timeout) {
            Ok(Ok(line)) => Outcome::Done(line),
            Ok(Err(message)) => Outcome::Panicked(message),
            Err(RecvTimeoutError::Timeout) => Outcome::TimedOut,
            Err(RecvTimeoutError::Disconnected) => Outcome::Died,
        }
    }
}

/// Evaluates one case into its output line.
fn evaluate(shared: &Shared, case: &Case) -> Json {
    match evaluation(shared, case) {
        Ok(evaluation) => match typed_json::encode(&evaluation.value) {
            Ok(result) => {
                let mut line = Map::new();
                line.insert("id".into(), case.id.clone());
                line.insert("result".into(), result);
                if shared.warnings && !evaluation.warnings.is_empty() {
                    let warnings = evaluation
                        .warnings
                        .iter()
                        .map(|w| Json::String(describe_warning(&case.source, w)))
                        .collect();
                    line.insert("warnings".into(), Json::Array(warnings));
                }
                Json::Object(line)
            }
            Err(e) => error_line(case.id.clone(), format!("the result {e}")),
        },
        Err(message) => error_line(case.id.clone(), message),
    }
}

fn evaluation(shared: &Shared, case: &Case) -> Result<Evaluation, String> {
    let mut vars =
        typed_json::decode_context(&case.context).map_err(|e| format!("bad context {e}"))?;
    let parse_error = |e: feel::ParseError| {
        format!(
            "parse error at {}:{}: {}",
            e.line(),
            e.column(),
            e.message()
        )
    };
    let result = if case.unary {
        let input = vars.remove("?").unwrap_or_default();
        let tests = shared
            .engine
            .compile_unary_tests(&case.source)
            .map_err(parse_error)?;
        tests.evaluate(&input, &vars)
    } else {
        let expression = shared
            .engine
            .compile_expression(&case.source)
            .map_err(parse_error)?;
        expression.evaluate(&vars)
    };
    result.map_err(|e| e.to_string())
}

thread_local! {
    /// The last panic on this thread, as the hook saw it (with its location).
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keeps panics of worker threads off stderr (they become error lines) and
/// records where they happened; other threads keep the default hook.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if thread::current().name() == Some(WORKER_NAME) {
                let text = info.to_string().replace('\n', " ");
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
            } else {
                default(info);
            }
        }));
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(recorded) = LAST_PANIC.with(|p| p.borrow_mut().take()) {
        return recorded;
    }
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(engine: Engine, input: &str, timeout_ms: u64) -> (Summary, Vec<Json>) {
        let options = Options {
            timeout: Duration::from_millis(timeout_ms),
            warnings: true,
        };
        let mut out = Vec::new();
        let summary = run(engine, input.as_bytes(), &mut out, &options).unwrap();
        let lines = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (summary, lines)
    }

    #[test]
    fn malformed_lines_get_error_lines_and_the_batch_goes_on() {
        let input = concat!(
            "not json\n",
            "\n",
            "[1]\n",
            "{\"id\": \"no-expr\"}\n",
            "{\"id\": 7, \"expression\": 1}\n",
            "{\"id\": \"tags\", \"expression\": \"1\", \"tags\": \"x\"}\n",
            "{\"id\": \"ctx\", \"expression\": \"1\", \"context\": {\"a\": {\"$nope\": 1}}}\n",
        );
        let (summary, lines) = batch(Engine::new(), input, 10_000);
        assert_eq!(summary.cases, 6);
        assert_eq!(summary.errors, 6);
        let errors: Vec<(&Json, &str)> = lines
            .iter()
            .map(|l| (&l["id"], l["error"].as_str().unwrap()))
            .collect();
        assert!(
            errors[0].1.starts_with("line 1: not valid JSON"),
            "{errors:?}"
        );
        assert!(errors[1]
            .1
            .contains("line 3: expected a JSON object, found an array"));
        assert_eq!(errors[2].0, "no-expr");
        assert!(errors[2].1.contains("no `expression`"));
        assert_eq!(errors[3].0, 7);
        assert!(errors[4].1.contains("`tags` must be an array"));
        assert_eq!(errors[5].0, "ctx");
        assert!(
            errors[5].1.contains("$.a") && errors[5].1.contains("$nope"),
            "{}",
            errors[5].1
        );
    }

    #[test]
    fn invalid_utf8_is_one_error_line() {
        let mut input = b"{\"id\": 1, \"expression\": \"\xff\"}\n".to_vec();
        input.extend_from_slice(b"{\"id\": 2, \"expression\": \"true\"}\n");
        let options = Options {
            timeout: Duration::from_secs(10),
            warnings: false,
        };
        let mut out = Vec::new();
        let summary = run(Engine::new(), &input[..], &mut out, &options).unwrap();
        assert_eq!((summary.cases, summary.errors), (2, 1));
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], r#"{"id":null,"error":"line 1: not valid UTF-8"}"#);
        assert_eq!(lines[1], r#"{"id":2,"result":true}"#);
    }

    #[test]
    fn a_panicking_host_function_is_one_error_line() {
        let engine = Engine::builder()
            .function("boom", &[], |_| panic!("boom went the function"))
            .build();
        let input = concat!(
            "{\"id\": \"a\", \"expression\": \"boom()\"}\n",
            "{\"id\": \"b\", \"expression\": \"\\\"still here\\\"\"}\n",
        );
        let (summary, lines) = batch(engine, input, 10_000);
        assert_eq!(summary.panics, 1);
        let message = lines[0]["error"].as_str().unwrap();
        assert!(message.contains("boom went the function"), "{message}");
        assert!(
            message.contains("batch.rs"),
            "the location is kept: {message}"
        );
        assert_eq!(lines[1], json!({"id": "b", "result": "still here"}));
    }

    #[test]
    fn a_case_past_the_timeout_is_abandoned() {
        let engine = Engine::builder()
            .function("sleep", &[], |_| {
                thread::sleep(Duration::from_millis(2_000));
                Ok(feel::Value::Null)
            })
            .build();
        let input = concat!(
            "{\"id\": \"slow\", \"expression\": \"sleep()\"}\n",
            "{\"id\": \"next\", \"expression\": \"true\"}\n",
        );
        let (summary, lines) = batch(engine, input, 100);
        assert_eq!(summary.timeouts, 1);
        assert!(lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("within 100 ms"));
        assert_eq!(lines[1], json!({"id": "next", "result": true}));
    }

    #[test]
    fn results_are_typed_json_with_warnings() {
        let input = concat!(
            "{\"id\": \"n\", \"expression\": \"x * 2\", \"context\": {\"x\": {\"$number\": \"1.25\"}}}\n",
            "{\"id\": \"w\", \"expression\": \"missing\"}\n",
            "{\"id\": \"p\", \"expression\": \"1 +\"}\n",
            "{\"id\": \"r\", \"expression\": \"[1..2]\"}\n",
        );
        let (summary, lines) = batch(Engine::new(), input, 10_000);
        assert_eq!((summary.results, summary.errors), (2, 2));
        assert_eq!(lines[0], json!({"id": "n", "result": {"$number": "2.5"}}));
        assert_eq!(lines[1]["result"], Json::Null);
        assert!(lines[1]["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("warning: 1:1: "));
        assert!(lines[2]["error"]
            .as_str()
            .unwrap()
            .starts_with("parse error at 1:4"));
        assert!(lines[3]["error"].as_str().unwrap().contains("range"));
    }

    #[test]
    fn unary_cases_take_their_input_from_question_mark() {
        let input = concat!(
            "{\"id\": \"u1\", \"expression\": \"< 10\", \"context\": {\"?\": 3}, \"tags\": [\"unary-test\"]}\n",
            "{\"id\": \"u2\", \"expression\": \"[1..5], > limit\", \"context\": {\"?\": 30, \"limit\": 20}, \"tags\": [\"unary-test\"]}\n",
            "{\"id\": \"u3\", \"expression\": \"< 10\", \"context\": {\"?\": 30}, \"tags\": [\"unary-test\"]}\n",
        );
        let (_, lines) = batch(Engine::new(), input, 10_000);
        let results: Vec<&Json> = lines.iter().map(|l| &l["result"]).collect();
        assert_eq!(results, [&json!(true), &json!(true), &json!(false)]);
    }

    #[test]
    fn loops_run_out_of_fuel() {
        let engine = Engine::builder().fuel(10_000).build();
        let input = "{\"id\": \"loop\", \"expression\": \"count(for i in 1..1000000 return i)\"}\n";
        let (_, lines) = batch(engine, input, 10_000);
        let message = lines[0]["error"].as_str().unwrap();
        assert!(message.contains("fuel"), "{message}");
    }
}
