//! `Expression::reads` and `UnaryTests::reads`: which parts of the variables an
//! expression may read. The last tests check soundness against the evaluator:
//! a part the analysis says is not read can change without changing the
//! result.

// Test helpers fail loudly on broken fixtures; the library lints are for user input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use feel::{Context, Engine, Expression, UnaryTests, Value};

#[path = "support/paths.rs"]
mod paths;

fn compile(source: &str) -> Expression {
    Engine::new()
        .compile_expression(source)
        .unwrap_or_else(|e| panic!("{source}: {e}"))
}

fn compile_tests(source: &str) -> UnaryTests {
    Engine::new()
        .compile_unary_tests(source)
        .unwrap_or_else(|e| panic!("{source}: {e}"))
}

/// The input paths of an expression, written `a.b.c`.
fn paths(source: &str) -> Vec<String> {
    let expr = compile(source);
    expr.input_paths().iter().map(|p| p.to_string()).collect()
}

fn test_paths(source: &str) -> Vec<String> {
    let tests = compile_tests(source);
    tests.input_paths().iter().map(|p| p.to_string()).collect()
}

fn split(path: &str) -> Vec<&str> {
    path.split('.').collect()
}

/// Asserts which of the `path`s (`a.b.c`) the expression reads.
fn check_reads(source: &str, read: &[&str], not_read: &[&str]) {
    let expr = compile(source);
    for p in read {
        assert!(expr.reads(&split(p)), "{source} should read {p}");
    }
    for p in not_read {
        assert!(!expr.reads(&split(p)), "{source} should not read {p}");
    }
}

#[test]
fn a_path_reads_itself_its_parents_and_its_contents_only() {
    check_reads(
        r#"request.body.From = "x""#,
        &[
            "request",
            "request.body",
            "request.body.From",
            "request.body.From.inner",
        ],
        &[
            "request.headers",
            "request.body.To",
            "other",
            "body",
            "From",
        ],
    );
    assert!(compile("request.body.From").reads(&[]));
}

#[test]
fn a_value_used_whole_reads_everything_inside_it() {
    check_reads(
        r#"get value(request, "headers")"#,
        &["request", "request.headers", "request.body.From"],
        &["other"],
    );
    check_reads(
        "request.body = x",
        &["request.body.From", "x.y"],
        &["request.headers"],
    );
}

#[test]
fn literals_and_builtin_calls_read_nothing_but_the_called_name() {
    for source in [
        r#""text""#,
        "1.5",
        "null",
        "true",
        "@\"2020-01-01\"",
        "[1, 2]",
    ] {
        assert_eq!(paths(source), Vec::<String>::new(), "{source}");
        assert!(!compile(source).reads(&[]), "{source}");
    }
    // A variable holding a function hides the built-in, so the called name
    // counts as read.
    assert_eq!(
        paths(r#"upper case("a") + string(1)"#),
        ["string", "upper case"]
    );
    assert_eq!(paths("count(xs)"), ["count", "xs"]);
}

#[test]
fn iteration_variables_are_bound_in_later_domains_and_the_body() {
    assert_eq!(
        paths("for x in xs, y in x.items return x.a + y.b + z"),
        ["xs", "z"]
    );
    assert_eq!(paths("some x in xs satisfies x > limit"), ["limit", "xs"]);
    assert_eq!(
        paths("every x in xs, y in ys satisfies x < y"),
        ["xs", "ys"]
    );
    // A variable is not bound in its own domain, nor after the expression.
    assert_eq!(paths("for x in x return x"), ["x"]);
    assert_eq!(paths("(for x in [1] return x) = x"), ["x"]);
    assert_eq!(paths("for i in a..b return i"), ["a", "b"]);
    // `partial` is bound in the body of a `for` only.
    assert_eq!(paths("for x in [1, 2] return count(partial)"), ["count"]);
    assert_eq!(paths("partial"), ["partial"]);
}

#[test]
fn function_parameters_are_bound_in_the_body() {
    assert_eq!(paths("(function(a, b) a + b + c)(x, 2)"), ["c", "x"]);
    assert_eq!(paths("{f: function(n: number) n * k, r: f(2)}.r"), ["k"]);
    assert_eq!(
        paths("sort(xs, function(a, b) a.rank < b.rank)"),
        ["sort", "xs"]
    );
}

#[test]
fn context_entries_see_only_the_earlier_entries() {
    assert_eq!(paths("{a: 1, b: a + 1}"), Vec::<String>::new());
    assert_eq!(paths("{b: a + 1, a: 1}"), ["a"]);
    assert_eq!(paths("{a: a}"), ["a"]);
    assert_eq!(paths("{a: 1, b: {c: a.x}}.b.c + a.y"), ["a.y"]);
    assert_eq!(
        paths(r#"{"first name": 1, b: first name}"#),
        Vec::<String>::new()
    );
}

#[test]
fn names_inside_a_filter_stay_free_unless_bound_around_it() {
    assert_eq!(paths("xs[a > 1]"), ["a", "xs"]);
    assert_eq!(
        paths("xs[item.a > limit.low]"),
        ["item.a", "limit.low", "xs"]
    );
    assert_eq!(
        paths("for x in xs return ys[x > item]"),
        ["item", "xs", "ys"]
    );
    assert_eq!(paths("request.body.Items[1].name"), ["request.body.Items"]);
    check_reads(
        "request.body.Items[1].name",
        &["request.body.Items.name"],
        &["request.body.From"],
    );
}

#[test]
fn a_path_stops_where_the_chain_of_keys_on_a_name_does() {
    assert_eq!(paths("f(x).b"), ["f", "x"]);
    assert_eq!(paths("(a).b.c"), ["a.b.c"]);
    assert_eq!(paths("(if c then a else b).d"), ["a", "b", "c"]);
    assert_eq!(paths("a.f(y).z"), ["a.f", "y"]);
    assert_eq!(paths("[a, b].c"), ["a", "b"]);
}

#[test]
fn names_with_spaces_are_names_like_any_other() {
    assert_eq!(paths("Monthly   Salary * 12"), ["Monthly Salary"]);
    check_reads(
        "first name + \" \" + person.last name",
        &["first name", "person.last name"],
        &["person.first name"],
    );
}

#[test]
fn the_input_of_unary_tests_is_not_a_variable() {
    assert_eq!(test_paths("< 10, [1..max], y.z"), ["max", "y.z"]);
    assert_eq!(test_paths("not(\"x\", y.z)"), ["y.z"]);
    // Not at the top, `not(…)` is a call of the built-in function.
    assert_eq!(test_paths("1, not(y)"), ["not", "y"]);
    assert_eq!(test_paths("-"), Vec::<String>::new());
    assert_eq!(test_paths("? > limit and count(?) > 1"), ["count", "limit"]);
    assert_eq!(test_paths("= x, != y"), ["x", "y"]);
    assert!(!compile_tests("? > 1").reads(&["?"]));
    // Inside `in`, `?` is the tested value; outside unary tests it is a name.
    assert_eq!(paths("x in (? > 1, y)"), ["x", "y"]);
    assert_eq!(paths("? + 1"), ["?"]);
}

// --- Soundness: what the analysis says is not read can change freely. ---

fn input_json() -> serde_json::Value {
    serde_json::json!({
        "request": {
            "body": {"From": "+1555", "To": "+1666", "Items": [{"name": "a", "n": 1}, {"name": "b", "n": 2}]},
            "headers": {"Host": "example.com", "X-Twilio-Signature": "sig"},
            "params": {"id": "7"}
        },
        "a": {"b": 1, "c": [1, 2, 3], "d": {"e": "x"}},
        "xs": [{"a": 1, "n": 2}, {"a": 3, "n": 4}],
        "empty": [],
        "n": 5,
        "s": "hi",
        "item": 7,
        "partial": [9],
        "count": 2,
        "limit": {"low": 1, "high": 10},
        "first name": "Ada",
        "?": 3,
        "flag": true,
        "p": 100, "q": 200, "x": 300, "v": 400, "f": 500
    })
}

/// The variables, with a user-defined function under the built-in name
/// `string` (it hides the built-in when called by name).
fn input() -> Context {
    let mut vars = Context::from_json(&input_json()).unwrap();
    let twice = compile("function(v) v * 2")
        .evaluate(&Context::new())
        .unwrap();
    vars.insert("string", twice.value);
    vars
}

/// The values a part of the input is replaced with (`None` removes it).
fn replacements() -> Vec<Option<Value>> {
    vec![
        None,
        Some(Value::Null),
        Some(Value::from(42)),
        Some(Value::from("other")),
        Some(Value::Boolean(false)),
        Some(Value::Context(
            Context::from_json(&serde_json::json!({"b": 0, "low": 5, "name": "z"})).unwrap(),
        )),
        Some(Value::List(vec![Value::from(1)].into())),
    ]
}

/// Checks that changing any part of the input `reads` says is not read
/// leaves the result (value and warnings) unchanged; returns how many
/// variations were compared.
fn check_sound(
    what: &str,
    reads: &dyn Fn(&[&str]) -> bool,
    evaluate: &dyn Fn(&Context) -> feel::Evaluation,
) -> usize {
    let vars = input();
    let expected = evaluate(&vars);
    let mut candidates = Vec::new();
    paths::all_paths(&mut Vec::new(), &vars, &mut candidates);
    for absent in ["missing", "a.zz", "request.cookies", "limit.low.deeper"] {
        candidates.push(absent.split('.').map(String::from).collect());
    }
    let mut compared = 0;
    for path in &candidates {
        let segments: Vec<&str> = path.iter().map(String::as_str).collect();
        if reads(&segments) {
            continue;
        }
        for value in replacements() {
            let Some(changed) = paths::with_value_at(&vars, path, value.as_ref()) else {
                continue;
            };
            let got = evaluate(&changed);
            assert_eq!(
                got,
                expected,
                "{what} does not read {} by the analysis, but setting it to {value:?} changed the result",
                path.join(".")
            );
            compared += 1;
        }
    }
    compared
}

const EXPRESSIONS: &[&str] = &[
    r#"request.body.From = "+1555""#,
    "request.body.Items[n > 1].name",
    "request.body.Items[1].name",
    r#"get value(request, "headers")"#,
    r#"get value(request.headers, "Host")"#,
    "request.params.id + request.body.To",
    "a.b + a.d.e",
    "a.c[item > 1]",
    "a.c[1]",
    "xs[a > 1]",
    "xs[n > limit.low].a",
    "xs[item.a = 1]",
    "empty[item > 1]",
    "empty[a > 1]",
    "empty[1]",
    "for x in xs return x.a + n",
    "for x in a.c, y in 1..x return y * limit.high",
    "for x in [1, 2, 3] return count(partial) + x",
    "for x in [1, 2] return partial",
    "for x in [1, 2] return 1 in (partial)",
    "for x in partial return x",
    "some x in xs satisfies x.n > n",
    "every x in a.c satisfies x < limit.high",
    "(function(v, w) v + w + n)(1, 2)",
    "{f: function(v) v * limit.low, r: f(3)}.r",
    "sort(a.c, function(p, q) p > q)",
    "{p: n, q: p + 1, r: s}",
    "{q: p + 1, p: n}",
    "{n: 1, m: n}.m",
    "count(xs)",
    "count(a.c) + sum(a.c)",
    r#"string(n)"#,
    r#"upper case(s) + "!""#,
    "if flag then a.b else a.d.e",
    "n between limit.low and limit.high",
    "n in [limit.low..limit.high]",
    "n in (< 3, > limit.low)",
    "a.c instance of list<number>",
    "first name + \" \" + s",
    "? + 1",
    "item + 1",
    "partial",
    "missing",
    "a.zz",
    "-n",
    "[n, s, a.d]",
    "{x: request.body}.x.From",
    "is defined(a.zz)",
    "get or else(limit.none, n)",
    "(if flag then limit else a).low",
    "date(\"2020-01-01\").year + n",
    "xs.a",
    r#"1 + "text""#,
    "for x in x return x + q",
    "(function(x) x + 1)(2)",
    "some v in [1, 2] satisfies v > p",
    "{g: (function(q) function(v) v + q)(1), r: g(2)}.r",
    "{f: function(v) v + p, r: for p in [1] return f(1)}.r",
    "x in (? > 1, p)",
    "f(1)",
    "[1, 2][item > x]",
    "{f: function(p) p + 1, r: f(1) + p}.r",
    "for y in x, x in [1, 2] return x + y",
    "every v in [1, 2] satisfies (function(v) v)(v) > 0 and v < x",
];

#[test]
fn expressions_do_not_depend_on_what_they_do_not_read() {
    let mut compared = 0;
    for source in EXPRESSIONS {
        let expr = compile(source);
        compared += check_sound(source, &|p| expr.reads(p), &|vars| {
            expr.evaluate(vars)
                .unwrap_or_else(|e| panic!("{source}: {e}"))
        });
    }
    // Each expression leaves most of the input alone.
    assert!(compared > EXPRESSIONS.len() * 50, "{compared} comparisons");
}

const UNARY_TESTS: &[&str] = &[
    "< n",
    "[limit.low..limit.high]",
    "> a.b, = n",
    "not(s, a.c)",
    "? > a.b and ? < limit.high",
    "count(a.c) > ?",
    "-",
    "xs[n > ?].a",
    "string(?) = 6",
    "item",
    "partial",
];

#[test]
fn unary_tests_do_not_depend_on_what_they_do_not_read() {
    let mut compared = 0;
    for source in UNARY_TESTS {
        let tests = compile_tests(source);
        for input in [Value::from(3), Value::from("hi"), Value::Null] {
            compared += check_sound(source, &|p| tests.reads(p), &|vars| {
                tests
                    .evaluate(&input, vars)
                    .unwrap_or_else(|e| panic!("{source}: {e}"))
            });
        }
    }
    assert!(compared > UNARY_TESTS.len() * 50, "{compared} comparisons");
}

/// The analysis is not trivially "reads everything": for each expression
/// here, changing the parts it reads does change the result.
#[test]
fn what_is_read_matters() {
    let vars = input();
    for (source, path, value) in [
        (r#"request.body.From = "+1555""#, "request.body.From", 1),
        ("xs[a > 1]", "xs", 1),
        ("empty[a > 1]", "a", 1),
        ("for x in partial return x", "partial", 1),
        ("{q: p + 1, p: n}", "p", 1),
        ("(function(v) v + n)(1)", "n", 1),
        ("string(n)", "string", 1),
        ("item + 1", "item", 1),
        ("? + 1", "?", 1),
    ] {
        let expr = compile(source);
        let segments = split(path);
        assert!(expr.reads(&segments), "{source} reads {path}");
        let owned: Vec<String> = segments.iter().map(|s| s.to_string()).collect();
        let changed = paths::with_value_at(&vars, &owned, Some(&Value::from(value))).unwrap();
        assert_ne!(
            expr.evaluate(&vars).unwrap(),
            expr.evaluate(&changed).unwrap(),
            "{source} with {path} changed"
        );
    }
}
