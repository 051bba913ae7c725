//! The public API: compile once and evaluate many times, limits, host
//! functions, warnings and error shapes.

// Test helpers fail loudly on broken fixtures; the library lints are for user input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use feel::{Context, Engine, ErrorKind, Evaluation, Expression, UnaryTests, Value, WarningKind};

fn vars(json: serde_json::Value) -> Context {
    Context::from_json(&json).expect("a JSON object")
}

fn eval(source: &str) -> Evaluation {
    Engine::new()
        .evaluate_expression(source, &Context::new())
        .unwrap_or_else(|e| panic!("{source}: {e}"))
}

#[test]
fn compiled_expressions_and_tests_are_send_sync_and_cheap_to_share() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Engine>();
    assert_send_sync::<Expression>();
    assert_send_sync::<UnaryTests>();
    assert_send_sync::<Value>();
}

#[test]
fn one_compilation_serves_many_evaluations() {
    let expr = Engine::new()
        .compile_expression("request.body.SmsStatus = \"received\"")
        .unwrap();
    let yes = vars(serde_json::json!({"request": {"body": {"SmsStatus": "received"}}}));
    let no = vars(serde_json::json!({"request": {"body": {"SmsStatus": "failed"}}}));
    assert_eq!(expr.evaluate(&yes).unwrap().value, Value::Boolean(true));
    assert_eq!(expr.evaluate(&no).unwrap().value, Value::Boolean(false));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let expr = expr.clone();
            let yes = yes.clone();
            std::thread::spawn(move || expr.evaluate(&yes).unwrap().value)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), Value::Boolean(true));
    }
}

#[test]
fn parse_errors_carry_line_column_caret_and_expectations() {
    let err = Engine::new()
        .compile_expression("{a: 1,\n b: }")
        .unwrap_err();
    assert_eq!(err.line(), 2);
    assert_eq!(err.column(), 5);
    assert!(err.excerpt().contains('^'), "{}", err.excerpt());
    assert!(!err.expected().is_empty(), "{err}");
    let shown = err.to_string();
    assert!(shown.contains("line 2, column 5"), "{shown}");
}

#[test]
fn nulls_come_with_warnings_that_say_why_and_where() {
    let source = "missing + 1";
    let eval = eval(source);
    assert_eq!(eval.value, Value::Null);
    let w = &eval.warnings[0];
    assert_eq!(w.kind, WarningKind::NoVariableFound);
    assert!(w.message.contains("missing"), "{}", w.message);
    assert_eq!(&source[w.span.range()], "missing");

    let eval = self::eval("no such function(1)");
    assert_eq!(eval.warnings[0].kind, WarningKind::NoFunctionFound);

    let eval = self::eval("1 + \"a\"");
    assert_eq!(eval.value, Value::Null);
    assert_eq!(eval.warnings[0].kind, WarningKind::InvalidType);
}

#[test]
fn fuel_stops_runaway_evaluations() {
    let engine = Engine::builder().fuel(1_000).build();
    let err = engine
        .evaluate_expression("for i in 1..100000 return i * 2", &Context::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FuelExhausted);
    // The same expression within budget works.
    let engine = Engine::builder().fuel(1_000_000).build();
    let eval = engine
        .evaluate_expression("count(for i in 1..1000 return i * 2)", &Context::new())
        .unwrap();
    assert_eq!(eval.value, Value::from(1000));
}

#[test]
fn depth_limits_stop_deep_input_and_deep_recursion() {
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    // (Longer than the default source limit: lifted, to reach the depth check.)
    let engine = Engine::builder().max_input_length(usize::MAX).build();
    let err = engine.compile_expression(&deep).unwrap_err();
    assert!(err.message().contains("deep"), "{err}");

    let engine = Engine::builder().max_depth(64).build();
    let err = engine
        .evaluate_expression(
            "{f: function(n) if n = 0 then 0 else 1 + f(n - 1), r: f(1000)}.r",
            &Context::new(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DepthExceeded);
}

#[test]
fn host_functions_are_called_with_positional_and_named_arguments() {
    let engine = Engine::builder()
        .function("greet", &["greeting", "name"], |args| {
            let g = args[0].as_str().unwrap_or("hello");
            let n = args[1].as_str().unwrap_or("world");
            Ok(Value::from(format!("{g}, {n}")))
        })
        .function("fail", &[], |_| Err("the backend is down".into()))
        .build();
    let ctx = Context::new();
    let positional = engine
        .evaluate_expression("greet(\"hi\", \"ada\")", &ctx)
        .unwrap();
    assert_eq!(positional.value, Value::from("hi, ada"));
    let named = engine
        .evaluate_expression("greet(name: \"bob\", greeting: \"hey\")", &ctx)
        .unwrap();
    assert_eq!(named.value, Value::from("hey, bob"));
    let err = engine.evaluate_expression("fail()", &ctx).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HostFunction);
    assert!(err.to_string().contains("the backend is down"), "{err}");
}

#[test]
fn unary_tests_evaluate_against_an_input() {
    let engine = Engine::new();
    let tests = engine.compile_unary_tests("< 10, [20..30], \"x\"").unwrap();
    let check = |v: Value| tests.evaluate(&v, &Context::new()).unwrap().value;
    assert_eq!(check(Value::from(5)), Value::Boolean(true));
    assert_eq!(check(Value::from(25)), Value::Boolean(true));
    // 15 fails the first two tests and can't be compared with "x": the
    // disjunction false or false or null is null, and a warning says why.
    let undecided = tests.evaluate(&Value::from(15), &Context::new()).unwrap();
    assert_eq!(undecided.value, Value::Null);
    assert_eq!(undecided.warnings[0].kind, WarningKind::NotComparable);
    assert_eq!(check(Value::from("y")), Value::Null);
    assert_eq!(check(Value::from("x")), Value::Boolean(true));
    let any = engine.compile_unary_tests("-").unwrap();
    assert_eq!(
        any.evaluate(&Value::Null, &Context::new()).unwrap().value,
        Value::Boolean(true)
    );
}

#[test]
fn json_convenience_evaluates_in_one_call() {
    let result = feel::evaluate(
        "{sender: request.body.From, n: count(request.body.Media)}",
        &serde_json::json!({"request": {"body": {"From": "+1", "Media": [1, 2]}}}),
    )
    .unwrap();
    assert_eq!(
        result.value.to_json(),
        serde_json::json!({"sender": "+1", "n": 2})
    );
    let err = feel::evaluate("1", &serde_json::json!([1])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn deep_but_allowed_input_evaluates_on_a_small_stack() {
    // 250 nested lists (within the default depth limit of 256) on a 256 KiB
    // thread: the evaluator grows its stack instead of overflowing.
    let source = format!("{}1{}", "[".repeat(250), "]".repeat(250));
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let engine = Engine::new();
            let expr = engine.compile_expression(&source).unwrap();
            expr.evaluate(&Context::new()).unwrap().value
        })
        .unwrap();
    let value = handle.join().unwrap();
    assert!(matches!(value, Value::List(_)));
}

#[test]
fn partial_results_cost_fuel_so_quadratic_loops_stay_bounded() {
    let engine = Engine::builder().fuel(100_000).build();
    // 2,000 steps of a few nodes each fit the budget...
    let plain = engine
        .evaluate_expression("count(for i in 1..2000 return i)", &Context::new())
        .unwrap();
    assert_eq!(plain.value, Value::from(2000));
    // ...but copying `partial` on every step (about two million items in
    // all) does not.
    let err = engine
        .evaluate_expression(
            "count(for i in 1..2000 return count(partial))",
            &Context::new(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FuelExhausted);
}

#[test]
fn a_value_displays_as_feel_that_evaluates_back_to_it() {
    // Keys that are names are written bare, anything else quoted; either way
    // the text must read back as the same context (fuzz findings: `º`, U+00BA,
    // is alphabetic to Unicode but no name character in FEEL; a name reads
    // its words with one space between them, so `c  d` is not a name).
    let keys = [
        "a",
        "total amount",
        "_x1",
        "é",
        "黺",
        "黺º",
        "º",
        "a'b",
        "a-b",
        "1a",
        "a ",
        " a",
        "c  d",
        "n  i in",
        "a\tb",
        "true",
        "if",
        "x·y",
        "a\"b",
        "",
    ];
    for key in keys {
        let context: Context = [(key, Value::from(1))].into_iter().collect();
        let text = Value::Context(context.clone()).to_string();
        let again = eval(&text);
        assert_eq!(
            again.value,
            Value::Context(context),
            "{key:?} written as {text}"
        );
    }
}

/// A clock that moves one day forward each time it is read.
#[derive(Debug, Default)]
struct TickingClock(std::sync::atomic::AtomicI64);

impl feel::Clock for TickingClock {
    fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        let day = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let start = chrono::DateTime::parse_from_rfc3339("2024-01-01T12:00:00Z").unwrap();
        start + chrono::TimeDelta::days(day)
    }
}

#[test]
fn constants_are_computed_once_but_the_clock_is_read_at_each_evaluation() {
    let engine = Engine::builder().clock(TickingClock::default()).build();
    let expr = engine
        .compile_expression(
            r#"[string(date(now())), string(date("2024-01-01") + duration("P1D"))]"#,
        )
        .unwrap();
    let first = expr.evaluate(&Context::new()).unwrap().value;
    let second = expr.evaluate(&Context::new()).unwrap().value;
    assert_ne!(first, second, "now() was read once, at compile time");
    assert_eq!(first.as_list().unwrap()[1], Value::from("2024-01-02"));

    // A host function of a built-in's name is never called early.
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&calls);
    let engine = Engine::builder()
        .function("upper case", &["s"], move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(Value::from("host"))
        })
        .build();
    let expr = engine.compile_expression(r#"upper case("a")"#).unwrap();
    assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 0);
    assert_eq!(
        expr.evaluate(&Context::new()).unwrap().value,
        Value::from("host")
    );
    assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 1);
}

#[test]
fn numbers_round_in_every_mode_named_from_outside_the_crate() {
    use feel::{Number, Rounding};
    let n = |text: &str| Number::parse(text).unwrap();
    let cases = [
        (Rounding::HalfEven, "2.5", "2"),
        (Rounding::HalfUp, "2.5", "3"),
        (Rounding::HalfDown, "2.5", "2"),
        (Rounding::Up, "2.1", "3"),
        (Rounding::Down, "-2.9", "-2"),
    ];
    for (mode, input, expected) in cases {
        assert_eq!(
            n(input).round(0, mode),
            Some(n(expected)),
            "{input} {mode:?}"
        );
    }
}

#[test]
fn fuel_counts_the_same_for_the_shortest_expressions() {
    let vars: Context = [("x", Value::from(1))].into_iter().collect();
    let run = |fuel: u64, source: &str| {
        Engine::builder()
            .fuel(fuel)
            .build()
            .compile_expression(source)
            .unwrap()
            .evaluate(&vars)
            .map(|e| e.value)
            .map_err(|e| e.kind())
    };
    // A variable is one node, a comparison of a variable and a literal three.
    assert_eq!(run(0, "x"), Err(ErrorKind::FuelExhausted));
    assert_eq!(run(1, "x"), Ok(Value::from(1)));
    assert_eq!(run(2, "x = 1"), Err(ErrorKind::FuelExhausted));
    assert_eq!(run(3, "x = 1"), Ok(Value::Boolean(true)));
    assert_eq!(run(0, "2 * 3"), Err(ErrorKind::FuelExhausted));
    assert_eq!(run(1, "2 * 3"), Ok(Value::from(6)));
}
