//! Limits against hostile expressions and input (issue 12, items 6 to 8):
//! the memory budget of an evaluation, the stack at any depth limit, and
//! the length of a source.

// Test helpers fail loudly on broken fixtures; the library lints are for user input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use feel::{Context, Engine, Error, ErrorKind, Value};

/// A context with `body` bound to a string of `len` bytes.
fn body(len: usize) -> Context {
    [("body", Value::from("x".repeat(len)))]
        .into_iter()
        .collect()
}

fn run(engine: &Engine, source: &str, vars: &Context) -> Result<Value, Error> {
    engine.evaluate_expression(source, vars).map(|e| e.value)
}

/// Asserts that `source` stops with the memory error, pointing at `at`.
fn exhausts(engine: &Engine, source: &str, vars: &Context, at: &str) {
    let err = run(engine, source, vars).expect_err(source);
    assert_eq!(err.kind(), ErrorKind::MemoryExhausted, "{source}: {err}");
    assert!(err.to_string().contains("budget"), "{err}");
    let span = err.span().expect("a span");
    assert!(
        source[span.range()].starts_with(at),
        "{source}: points at {:?}, not {at:?}",
        &source[span.range()]
    );
}

// ------------------------------------------------------------------ memory

#[test]
fn joining_a_long_string_many_times_stops_at_the_budget() {
    // The webhook attack: 300 copies of a 1 MB body would be 300 MB.
    let vars = body(1 << 20);
    let source = "string join(for i in 1..300 return body)";
    exhausts(&Engine::new(), source, &vars, "string join");
    // Within the budget the same expression works.
    let value = run(
        &Engine::new(),
        "string join(for i in 1..3 return body)",
        &vars,
    )
    .unwrap();
    assert_eq!(value.as_str().map(str::len), Some(3 << 20));
    // And without a budget it builds what it is asked to.
    let engine = Engine::builder().memory_budget(None).build();
    let value = run(&engine, "string join(for i in 1..80 return body)", &vars).unwrap();
    assert_eq!(value.as_str().map(str::len), Some(80 << 20));
}

#[test]
fn a_billion_iterations_stop_at_the_budget_without_fuel() {
    // No fuel limit: only the memory budget stops the results list.
    let source = "count(for a in 1..1000, b in 1..1000, c in 1..1000 return 1)";
    // (The inner range is made again for each outer item, and paid for.)
    exhausts(&Engine::new(), source, &Context::new(), "c in 1..1000");
}

#[test]
fn doubling_a_string_stops_at_the_budget() {
    let mut source = String::from("{s0: \"ab\"");
    for i in 1..=30 {
        source.push_str(&format!(", s{i}: s{} + s{}", i - 1, i - 1));
    }
    source.push_str("}.s30");
    exhausts(&Engine::new(), &source, &Context::new(), "s2");
    // A small budget stops it early.
    let engine = Engine::builder().memory_budget(Some(4096)).build();
    // (The context's 31 entries take 1,736 bytes, s8 512 and s9 1,024: s10
    // does not fit.)
    exhausts(&engine, &source, &Context::new(), "s9 + s9");
}

#[test]
fn every_growing_built_in_pays_before_it_builds() {
    let engine = Engine::builder().memory_budget(Some(1 << 20)).build();
    let vars = body(64 * 1024);
    let list = "for i in 1..100 return body";
    // `l` is 5,000 items (160 KB), built once; the calls share it.
    let with_l = |e: &str| format!("{{l: for i in 1..5000 return i, r: {e}}}.r");
    for (source, at) in [
        (format!("string join({list}, \",\")"), "string join"),
        (with_l("concatenate(l, l, l, l, l, l, l, l)"), "concatenate"),
        (with_l("flatten(for i in 1..20 return l)"), "flatten"),
        (with_l("union(l, l, l, l, l, l, l, l)"), "union"),
        (format!("string({list})"), "string"),
        (format!("to json({list})"), "to json"),
        (
            r#"replace(body, "x", "$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0")"#.into(),
            "replace",
        ),
        (
            r#"replace(body, "x+", "$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0")"#.into(),
            "replace",
        ),
        ("split(body, \"x\")".into(), "split"),
        (
            "count(for i in 1..100 return upper case(body))".into(),
            "upper case",
        ),
        (
            "count(for i in 1..100 return substring(body, 2))".into(),
            "substring",
        ),
        (
            "count(for i in 1..100 return to base64(body))".into(),
            "to base64",
        ),
        (
            "count(for i in 1..100 return body + \"y\")".into(),
            "body + \"y\"",
        ),
        (
            with_l("count(for i in 1..100 return append(l, 1))"),
            "append",
        ),
        (
            with_l("count(for i in 1..100 return reverse(l))"),
            "reverse",
        ),
        (
            with_l("count(for i in 1..100 return sublist(l, 2))"),
            "sublist",
        ),
        (
            with_l("count(for i in 1..100 return l[item > 1])"),
            "l[item > 1]",
        ),
        (
            "count(for i in 1..5000 return count(partial))".into(),
            "for i",
        ),
        ("for i in 1..100000000 return i".into(), "i in 1..100000000"),
        (
            "count(for i in 1..100 return string join([body, body]))".into(),
            "string join",
        ),
        (
            "count(for i in 1..10000 return {a: i, b: i, c: i})".into(),
            "{a: i",
        ),
    ] {
        exhausts(&engine, &source, &vars, at);
    }
}

#[test]
fn small_expressions_need_no_budget_at_all() {
    // The shortest expressions build nothing the budget counts.
    let engine = Engine::builder().memory_budget(Some(0)).build();
    let vars: Context = [("x", Value::from(7)), ("s", Value::from("received"))]
        .into_iter()
        .collect();
    for (source, expected) in [
        ("x + 1", Value::from(8)),
        ("x > 5 and s = \"received\"", Value::Boolean(true)),
        ("if x > 5 then \"big\" else \"small\"", Value::from("big")),
        ("s + \"!\"", Value::from("received!")),
    ] {
        assert_eq!(run(&engine, source, &vars).unwrap(), expected, "{source}");
    }
    // A list is counted.
    let err = run(&engine, "[x]", &vars).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MemoryExhausted);
}

#[test]
fn the_budget_is_per_evaluation() {
    let engine = Engine::builder().memory_budget(Some(1 << 20)).build();
    let expr = engine
        .compile_expression("string join(for i in 1..10 return body)")
        .unwrap();
    let vars = body(64 * 1024);
    for _ in 0..5 {
        let value = expr.evaluate(&vars).unwrap().value;
        assert_eq!(value.as_str().map(str::len), Some(640 * 1024));
    }
}

// ------------------------------------------------------------------ stack

/// Runs `f` on a thread with the standard library's default stack (2 MiB),
/// as a host's worker threads have.
fn on_a_normal_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn recursive_functions_do_not_overflow_the_stack_at_a_high_depth_limit() {
    // Before the fix this aborted the process (SIGABRT): the stack guard
    // did not cover the function-call path.
    let value = on_a_normal_thread(|| {
        let engine = Engine::builder().max_depth(64_000).build();
        let source = "{f: function(n) if n = 0 then 0 else 1 + f(n - 1), r: f(15000)}.r";
        run(&engine, source, &Context::new())
    });
    assert_eq!(value.unwrap(), Value::from(15000));
    // Past the limit it is an error, not an abort.
    let err = on_a_normal_thread(|| {
        let engine = Engine::builder().max_depth(16_000).build();
        let source = "{f: function(n) if n = 0 then 0 else 1 + f(n - 1), r: f(15000)}.r";
        run(&engine, source, &Context::new())
    })
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DepthExceeded, "{err}");
}

#[test]
fn recursion_through_built_ins_does_not_overflow_the_stack() {
    // `sort` calls its function, which recurses through `sort` again.
    let value = on_a_normal_thread(|| {
        let engine = Engine::builder().max_depth(64_000).build();
        let source = "{f: function(n) if n = 0 then 0 \
                      else sort([n, n], function(x, y) f(n - 1) < 0)[1], r: f(3000)}.r";
        run(&engine, source, &Context::new())
    });
    assert_eq!(value.unwrap(), Value::from(3000));
}

#[test]
fn long_paths_and_many_iteration_contexts_do_not_overflow_the_stack() {
    let value = on_a_normal_thread(|| {
        let engine = Engine::builder()
            .max_depth(64_000)
            .max_input_length(usize::MAX)
            .build();
        let path = format!("{{a: 1}}{}", ".a".repeat(20_000));
        let missing = run(&engine, &path, &Context::new());
        let mut vars = Context::new();
        vars.insert("x", Value::from(Context::new()));
        let deep = run(&engine, &format!("x{}", ".a".repeat(20_000)), &vars);
        let clauses: Vec<String> = (0..20_000).map(|i| format!("v{i} in [1]")).collect();
        let source = format!("count(for {} return 1)", clauses.join(", "));
        let loops = run(&engine, &source, &Context::new());
        let source = format!("some {} satisfies false", clauses.join(", "));
        let some = run(&engine, &source, &Context::new());
        (missing, deep, loops, some)
    });
    assert_eq!(value.0.unwrap(), Value::Null);
    assert_eq!(value.1.unwrap(), Value::Null);
    assert_eq!(value.2.unwrap(), Value::from(1));
    assert_eq!(value.3.unwrap(), Value::Boolean(false));
}

// ------------------------------------------------------------------ source length

#[test]
fn long_sources_are_refused_before_parsing() {
    let ten_mb = format!("1{}", "+1".repeat(5 * 1024 * 1024));
    let started = std::time::Instant::now();
    let err = Engine::new().compile_expression(&ten_mb).unwrap_err();
    assert!(
        err.message()
            .contains(&format!("{} bytes long", ten_mb.len())),
        "{err}"
    );
    assert!(err.message().contains("limit of 65536 bytes"), "{err}");
    assert_eq!(err.span().start, 65536);
    // Refused at a glance (parsing it took seconds and gigabytes).
    assert!(started.elapsed() < std::time::Duration::from_secs(2));

    let list = format!("[{}1]", "1,".repeat(5 * 1024 * 1024));
    let err = Engine::new().compile_unary_tests(&list).unwrap_err();
    assert!(err.message().contains("bytes long"), "{err}");

    // The limit can be raised, and sources up to it parse.
    let engine = Engine::builder().max_input_length(ten_mb.len()).build();
    let value = engine
        .evaluate_expression(&ten_mb[..201], &Context::new())
        .unwrap()
        .value;
    assert_eq!(value, Value::from(101));
}

#[test]
fn sources_up_to_the_limit_parse() {
    let engine = Engine::new();
    let n = (feel::DEFAULT_MAX_INPUT_LENGTH - 2) / 2;
    let list = format!("[{}1]", "1,".repeat(n - 1));
    assert!(list.len() <= feel::DEFAULT_MAX_INPUT_LENGTH);
    let value = engine
        .evaluate_expression(&format!("count({list})"), &Context::new())
        .map(|e| e.value);
    // (`count(…)` makes it 7 bytes longer than the limit.)
    assert_eq!(value.unwrap_err().kind(), ErrorKind::Syntax);
    let value = engine
        .compile_expression(&list)
        .unwrap()
        .evaluate(&Context::new())
        .unwrap()
        .value;
    assert_eq!(value.as_list().map(<[Value]>::len), Some(n));
}

#[test]
fn warnings_show_large_values_cut_short() {
    // A warning about a megabyte string (or a list holding it 300 times)
    // copied all of it into its message: 100 warnings of a loop were 100 MB.
    let vars = body(1 << 20);
    let engine = Engine::new();
    for source in [
        "count(for i in 1..300 return body + 1)",
        "[for i in 1..300 return body] < 1",
        "-(for i in 1..300 return body)",
        "count(for i in 1..300 return sum([body]))",
    ] {
        let eval = engine.evaluate_expression(source, &vars).unwrap();
        assert!(!eval.warnings.is_empty(), "{source}");
        for w in &eval.warnings {
            assert!(
                w.message.len() < 1000,
                "{source}: {} bytes",
                w.message.len()
            );
            assert!(w.message.contains("xxx…"), "{source}: {}", w.message);
        }
    }
}
