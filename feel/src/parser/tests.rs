//! Parser tests: one line per case. `p` renders the tree of an expression as
//! an S-expression, `u` does the same for unary tests, `err` returns the
//! error of a source that must fail.

use super::{parse_expression, parse_unary_tests};
use crate::ast::{Expr, ExprKind, RangeExpr, RangeForm};
use crate::error::ParseError;
use crate::value::Value;

mod sexpr;
mod tck;

use sexpr::{expr as render, tests as render_tests};

const DEPTH: usize = 256;

#[track_caller]
fn p(source: &str) -> String {
    match parse_expression(source, DEPTH) {
        Ok(e) => render(&e),
        Err(e) => panic!("{source:?} did not parse: {e}"),
    }
}

#[track_caller]
fn u(source: &str) -> String {
    match parse_unary_tests(source, DEPTH) {
        Ok(t) => render_tests(&t),
        Err(e) => panic!("{source:?} did not parse as unary tests: {e}"),
    }
}

#[track_caller]
fn err(source: &str) -> ParseError {
    match parse_expression(source, DEPTH) {
        Ok(e) => panic!("{source:?} parsed as {}", render(&e)),
        Err(e) => e,
    }
}

#[track_caller]
fn uerr(source: &str) -> ParseError {
    match parse_unary_tests(source, DEPTH) {
        Ok(t) => panic!("{source:?} parsed as {}", render_tests(&t)),
        Err(e) => e,
    }
}

#[test]
fn literals() {
    assert_eq!(p("1"), "1");
    assert_eq!(p("1.5"), "1.5");
    assert_eq!(p(".5"), "0.5");
    assert_eq!(p("-1"), "-1");
    assert_eq!(p("- 2.50"), "-2.5");
    assert_eq!(p("null"), "null");
    assert_eq!(p("true"), "true");
    assert_eq!(p("false"), "false");
    assert_eq!(p(r#""abc""#), r#""abc""#);
    assert_eq!(p(r#""""#), r#""""#);
    // DMN 1.5 numerals may have an exponent.
    assert_eq!(p("1e3"), "1000");
    assert_eq!(p("1.23e4"), "12300");
    assert_eq!(p("1.23e-4"), "0.000123");
    assert_eq!(p("1E+2"), "100");
    assert_eq!(p(".5e1"), "5");
    assert_eq!(p("-2e2"), "-200");
    assert_eq!(p("2e2 * 3"), "(* 200 3)");
    assert_eq!(err("1e").column(), 2);
    assert_eq!(err("1e+").column(), 2);
    assert_eq!(err("1.").expected(), ["a name"]);
}

#[test]
fn string_escapes() {
    let s = |src: &str| match parse_expression(src, DEPTH).map(Expr::into_kind) {
        Ok(ExprKind::Literal(Value::String(s))) => s.to_string(),
        other => panic!("{src}: {other:?}"),
    };
    assert_eq!(s(r#""a\nb\rc\td""#), "a\nb\rc\td");
    assert_eq!(s(r#""\"q\" \\ \'""#), "\"q\" \\ '");
    assert_eq!(s(r#""\u00E9\u00e9""#), "éé");
    assert_eq!(s(r#""\uD83D\uDE00""#), "😀");
    assert_eq!(s(r#""\ud83d\udca9""#), "💩");
    assert_eq!(s(r#""\U01F40E""#), "🐎");
    assert_eq!(s(r#""\U01F40Eab""#), "🐎ab");
    assert_eq!(s(r#""\U0001F600""#), "😀");
    // Regular expressions keep their backslashes.
    assert_eq!(s(r#""\s\d{3}\.""#), r"\s\d{3}\.");
    assert_eq!(s(r#""\\u0009""#), r"\u0009");
    assert_eq!(s("\"two\nlines\""), "two\nlines");
}

#[test]
fn string_errors() {
    let e = err(r#""abc"#);
    assert_eq!((e.line(), e.column()), (1, 1));
    assert!(e.message().contains("string is never closed"), "{e}");
    let e = err("1 + \"abc\n  def");
    assert_eq!((e.line(), e.column()), (1, 5));
    let e = err(r#"x = "a\u12""#);
    assert_eq!(e.column(), 7, "{e}");
    assert!(e.message().contains("four hex digits"), "{e}");
    let e = err(r#""\uD83D""#);
    assert!(e.message().contains("surrogate"), "{e}");
    let e = err(r#""ok" + "\uDE00x""#);
    assert_eq!(e.column(), 9, "{e}");
    let e = err(r#""\UZZ""#);
    assert!(e.message().contains("six hex digits"), "{e}");
    let e = err(r#""\U110000""#);
    assert!(e.message().contains("code point"), "{e}");
}

#[test]
fn at_literals_are_converted_at_parse_time() {
    // The conversion is `temporal::parse_literal`'s; whatever it refuses is a
    // parse error that points at the literal.
    match parse_expression(r#"1 + @"2019-03-31""#, DEPTH) {
        Ok(e) => assert!(
            matches!(&e.kind, ExprKind::Binary(_, _, r) if matches!(r.kind, ExprKind::Literal(Value::Date(_)))),
            "{e:?}"
        ),
        Err(e) => {
            assert_eq!(e.column(), 5, "{e}");
            assert!(e.message().contains("@\"2019-03-31\""), "{e}");
        }
    }
    let e = err(r#"@"foo""#);
    assert!(e.message().contains("not a valid date, time"), "{e}");
    assert_eq!(e.span().range(), 0..6);
}

#[test]
fn comments_and_white_space() {
    assert_eq!(p("1 // one\n + /* two */ 2"), "(+ 1 2)");
    assert_eq!(p("/* a */ x /* b */"), "x");
    assert_eq!(p("\u{A0}x\u{3000}+\ty"), "(+ x y)");
    let e = err("1 + /* open");
    assert!(e.message().contains("comment is never closed"), "{e}");
    assert_eq!(e.column(), 5);
}

#[test]
fn names() {
    assert_eq!(p("Monthly Salary"), "`Monthly Salary`");
    assert_eq!(p("Monthly   Salary"), "`Monthly Salary`");
    assert_eq!(p("Monthly\n Salary * 12"), "(* `Monthly Salary` 12)");
    assert_eq!(p("Address Line 1"), "`Address Line 1`");
    assert_eq!(p("Applicant's age"), "`Applicant's age`");
    assert_eq!(p("?"), "?");
    assert_eq!(p("? > 3"), "(> ? 3)");
    assert_eq!(p("_x1 + ÿ"), "(+ _x1 ÿ)");
    assert_eq!(p("Größe * 名前"), "(* Größe 名前)");
    assert_eq!(p("a\u{A0}b"), "`a b`");
    assert_eq!(p("?.name"), "(. ? name)");
    // Keywords inside words do not end a name.
    assert_eq!(
        p("index + order + iffy + notify"),
        "(+ (+ (+ index order) iffy) notify)"
    );
    assert_eq!(p("day of week"), "`day of week`");
    // Words that only start operands may continue a name; those that follow
    // operands end it.
    assert_eq!(p("no such function(1)"), "(call `no such function` 1)");
    assert_eq!(p("is true or x if"), "(or `is true` `x if`)");
    assert_eq!(err("a then b").column(), 3);
    assert_eq!(p("if a b then c d else e f"), "(if `a b` `c d` `e f`)");
    assert_eq!(p("`x-twilio-signature`"), "`x-twilio-signature`");
    assert_eq!(p("`a b`.`c+d`"), "(. `a b` `c+d`)");
    assert_eq!(
        p("request.headers.`x-twilio-signature`"),
        "(. (. request headers) `x-twilio-signature`)"
    );
}

#[test]
fn built_in_names_with_keywords() {
    assert_eq!(
        p(r#"date and time("2020-01-01T00:00:00")"#),
        r#"(call `date and time` "2020-01-01T00:00:00")"#
    );
    assert_eq!(
        p("years and months duration(a, b)"),
        "(call `years and months duration` a b)"
    );
    assert_eq!(p("get or else(x, 0)"), "(call `get or else` x 0)");
    assert_eq!(
        p(r#"string length("abc")"#),
        r#"(call `string length` "abc")"#
    );
    // Not those names: the keyword is an operator.
    assert_eq!(p("date and times"), "(and date times)");
    assert_eq!(p("date and time_of_day"), "(and date time_of_day)");
    assert_eq!(p("x and time"), "(and x time)");
    assert_eq!(p("date  and\ntime(x)"), "(call `date and time` x)");
}

#[test]
fn paths_filters_calls() {
    assert_eq!(
        p(r#"request.body.SmsStatus = "received""#),
        r#"(= (. (. request body) SmsStatus) "received")"#
    );
    assert_eq!(p("a.b.c"), "(. (. a b) c)");
    assert_eq!(p("d.time offset"), "(. d `time offset`)");
    assert_eq!(p("items[item > 3]"), "(filter items (> item 3))");
    assert_eq!(p("xs[1]"), "(filter xs 1)");
    assert_eq!(p("xs[-1]"), "(filter xs -1)");
    assert_eq!(p("a.b[1].c"), "(. (filter (. a b) 1) c)");
    assert_eq!(p("[1, 2, 3][item > 1]"), "(filter [1 2 3] (> item 1))");
    assert_eq!(p("f()"), "(call f)");
    assert_eq!(p("f(1, x + 1)"), "(call f 1 (+ x 1))");
    assert_eq!(p("f(a)(b)"), "(call (call f a) b)");
    assert_eq!(p("a.f(1)"), "(call (. a f) 1)");
    assert_eq!(
        p(r#"substring(string: "abc", start position: 2)"#),
        r#"(call substring string: "abc" `start position`: 2)"#
    );
    assert_eq!(p("f(`a b`: 1)"), "(call f `a b`: 1)");
    assert_eq!(p("{a: f}.a(1)"), "(call (. {a: f} a) 1)");
}

#[test]
fn arithmetic_precedence() {
    assert_eq!(p("1 + 2 * 3"), "(+ 1 (* 2 3))");
    assert_eq!(p("1 - 2 - 3"), "(- (- 1 2) 3)");
    assert_eq!(p("1 * 2 / 3"), "(/ (* 1 2) 3)");
    assert_eq!(p("2 * 3 ** 2"), "(* 2 (** 3 2))");
    assert_eq!(p("(1 + 2) * 3"), "(* (+ 1 2) 3)");
    assert_eq!(p("1-1"), "(- 1 1)");
    assert_eq!(p("1 - -1"), "(- 1 -1)");
    assert_eq!(p("a--b"), "(- a (neg b))");
    // Pinned against the TCK and feel-scala: `**` is left-associative and
    // negation binds tighter than it (`-5 ** 2` is 25, `3 ** 4 ** 5` is 3**20).
    assert_eq!(p("3 ** 4 ** 5"), "(** (** 3 4) 5)");
    assert_eq!(p("-5 ** 2"), "(** -5 2)");
    assert_eq!(p("-x ** 2"), "(** (neg x) 2)");
    assert_eq!(p("2 ** -1"), "(** 2 -1)");
    assert_eq!(p("10**-5"), "(** 10 -5)");
    assert_eq!(p("(1+x/12)**-n"), "(** (+ 1 (/ x 12)) (neg n))");
    // Negation binds looser than paths: `-a.b` is `-(a.b)`.
    assert_eq!(p("-a.b"), "(neg (. a b))");
    assert_eq!(p("- -x"), "(neg (neg x))");
    assert_eq!(p("--1"), "(neg -1)");
}

#[test]
fn comparison_and_logic() {
    assert_eq!(p("a = 1 and b != 2 or c"), "(or (and (= a 1) (!= b 2)) c)");
    assert_eq!(p("a or b and c"), "(or a (and b c))");
    assert_eq!(p("a < b + 1"), "(< a (+ b 1))");
    assert_eq!(p("a <= b"), "(<= a b)");
    assert_eq!(p("a >= b"), "(>= a b)");
    assert_eq!(p("a > b = true"), "(= (> a b) true)");
    assert_eq!(p("x between 1 and 10"), "(between x 1 10)");
    assert_eq!(
        p("x between a + 1 and b * 2 and c"),
        "(and (between x (+ a 1) (* b 2)) c)"
    );
    assert_eq!(
        p("x + 1 between 1 and 10 or y"),
        "(or (between (+ x 1) 1 10) y)"
    );
}

#[test]
fn in_operator() {
    assert_eq!(p("x in (1, 2)"), "(in x 1 2)");
    assert_eq!(p("x in (1)"), "(in x 1)");
    assert_eq!(p("x in (1..5)"), "(in x (1..5))");
    assert_eq!(p("x in (1..5]"), "(in x (1..5])");
    assert_eq!(p("x in [1..5]"), "(in x [1..5])");
    assert_eq!(p("x in ]1..5["), "(in x (1..5))");
    assert_eq!(p("x in [1, 2]"), "(in x [1 2])");
    assert_eq!(p("x in < 3"), "(in x <3)");
    assert_eq!(p("x in (< 3, > 10)"), "(in x <3 >10)");
    assert_eq!(p("x in (\"a\", [1..2], y)"), "(in x \"a\" [1..2] y)");
    assert_eq!(p("x in y and z"), "(and (in x y) z)");
    assert_eq!(p("x in y + 1"), "(in x (+ y 1))");
    assert_eq!(p("x in (a) or b"), "(or (in x a) b)");
    assert_eq!(p("x in (1,2) = true"), "(= (in x 1 2) true)");
    // `= x` and `!= x` compare the input (TCK 0072): `? = x`, `? != x`.
    assert_eq!(p("x in =10"), "(in x (= ? 10))");
    assert_eq!(p("x in != [1, 2]"), "(in x (!= ? [1 2]))");
    assert_eq!(p("x in (=1, !=2, 3)"), "(in x (= ? 1) (!= ? 2) 3)");
}

#[test]
fn instance_of() {
    let t = |ty: &str| p(&format!("x instance of {ty}"));
    assert_eq!(t("number"), "(instance-of x number)");
    assert_eq!(t("Any"), "(instance-of x Any)");
    assert_eq!(t("Null"), "(instance-of x Null)");
    assert_eq!(t("date and time"), "(instance-of x date-and-time)");
    assert_eq!(
        t("days and time duration"),
        "(instance-of x days-and-time-duration)"
    );
    assert_eq!(
        t("years and months duration"),
        "(instance-of x years-and-months-duration)"
    );
    assert_eq!(t("list<number>"), "(instance-of x list<number>)");
    assert_eq!(t("list"), "(instance-of x list<Any>)");
    assert_eq!(
        t("list<list<string>>"),
        "(instance-of x list<list<string>>)"
    );
    assert_eq!(t("range<date>"), "(instance-of x range<date>)");
    assert_eq!(
        t("context<a: string, b c: number>"),
        "(instance-of x context<a: string, `b c`: number>)"
    );
    assert_eq!(t("context<>"), "(instance-of x context<>)");
    assert_eq!(t("context"), "(instance-of x context<>)");
    assert_eq!(
        t("function<number> -> string"),
        "(instance-of x function<number>->string)"
    );
    assert_eq!(t("function<>->Any"), "(instance-of x function<>->Any)");
    assert_eq!(t("function"), "(instance-of x function)");
    assert_eq!(t("tMyType"), "(instance-of x other:tMyType)");
    assert_eq!(t("ns.tMyType"), "(instance-of x other:ns.tMyType)");
    assert_eq!(
        p("x instance of string and y"),
        "(and (instance-of x string) y)"
    );
    assert_eq!(
        p("1 + x instance of number"),
        "(instance-of (+ 1 x) number)"
    );
    assert_eq!(
        p("[{a: \"a\"}] instance of list<context<a: string>>"),
        "(instance-of [{a: \"a\"}] list<context<a: string>>)"
    );
}

#[test]
fn if_for_quantified() {
    assert_eq!(p("if a then 1 else 2"), "(if a 1 2)");
    assert_eq!(
        p("if a > 1 then b + 1 else c or d"),
        "(if (> a 1) (+ b 1) (or c d))"
    );
    assert_eq!(p("1 + if a then 1 else 2"), "(+ 1 (if a 1 2))");
    assert_eq!(
        p("if a then if b then 1 else 2 else 3"),
        "(if a (if b 1 2) 3)"
    );
    assert_eq!(p("for i in 1..3 return i * 2"), "(for (i in 1..3) (* i 2))");
    assert_eq!(
        p("for x in xs, y in [1, 2] return x + y"),
        "(for (x in xs) (y in [1 2]) (+ x y))"
    );
    assert_eq!(
        p("for i in 0..n-1 return partial[-1]"),
        "(for (i in 0..(- n 1)) (filter partial -1))"
    );
    assert_eq!(
        p("for w in split(s, \" \") return w"),
        "(for (w in (call split s \" \")) w)"
    );
    assert_eq!(
        p("some x in [1, 2] satisfies x > 1"),
        "(some (x in [1 2]) (> x 1))"
    );
    assert_eq!(
        p("every x in xs, y in ys satisfies x < y"),
        "(every (x in xs) (y in ys) (< x y))"
    );
    assert_eq!(
        p("some x in 1..3 satisfies x = 2"),
        "(some (x in 1..3) (= x 2))"
    );
    assert_eq!(
        p("for Item Value in xs return Item Value"),
        "(for (`Item Value` in xs) `Item Value`)"
    );
}

#[test]
fn lists_contexts_ranges() {
    assert_eq!(p("[]"), "[]");
    assert_eq!(p("[1, \"a\", [2]]"), "[1 \"a\" [2]]");
    assert_eq!(p("[[1..2]]"), "[[1..2]]");
    assert_eq!(p("{}"), "{}");
    assert_eq!(
        p("{a: 1, \"b c\": 2, Full Name: x}"),
        "{a: 1, `b c`: 2, `Full Name`: x}"
    );
    assert_eq!(p("{a: {b: [1]}}.a.b"), "(. (. {a: {b: [1]}} a) b)");
    // Keys may use the additional name symbols and reserved words (TCK 0057).
    assert_eq!(
        p("{foo+bar: 1, a.b-c/d*e?: 2, if: 3, `x`: 4}"),
        "{`foo+bar`: 1, `a.b-c/d*e?`: 2, if: 3, x: 4}"
    );
    assert_eq!(p("{ a b :1}"), "{`a b`: 1}");
    assert_eq!(p("[1..10]"), "[1..10]");
    assert_eq!(p("(1..10)"), "(1..10)");
    assert_eq!(p("]1..10["), "(1..10)");
    assert_eq!(p("[1..10["), "[1..10)");
    assert_eq!(p("(a..b]"), "(a..b]");
    assert_eq!(p("[x.y..f(1)]"), "[(. x y)..(call f 1)]");
    assert_eq!(p("[a[1]..b + 1]"), "[(filter a 1)..(+ b 1)]");
    // In an end bound `[` closes the range; a filter needs parentheses.
    assert_eq!(p("[1..a["), "[1..a)");
    assert_eq!(p("[1..(a[1])]"), "[1..(filter a 1)]");
    assert!(parse_expression("[1..a[1]]", DEPTH).is_err());
}

#[test]
fn unary_comparisons_as_expressions() {
    assert_eq!(p("< 10"), "<10");
    assert_eq!(p("<= 10"), "<=10");
    assert_eq!(p("> x + 1"), ">(+ x 1)");
    assert_eq!(p(">= 1"), ">=1");
    assert_eq!(p("[< 5, > 10]"), "[<5 >10]");
    assert!(matches!(
        parse_expression("< 10", DEPTH).map(Expr::into_kind),
        Ok(ExprKind::Range(r)) if matches!(*r, RangeExpr { start: None, start_included: false, end: Some(_), end_included: false, form: RangeForm::Interval })
    ));
}

#[test]
fn unary_tests_in_parentheses_are_ranges() {
    // DMN 1.5 rule 7.a: a comparison and one endpoint is a range.
    assert_eq!(p("(< 5)"), "<5");
    assert_eq!(p("(>= x + 1)"), ">=(+ x 1)");
    assert_eq!(p("(= 10)"), "=10");
    assert_eq!(p("(!= \"a\")"), "!=\"a\"");
    assert_eq!(p("(=10) = [10..10]"), "(= =10 [10..10])");
    assert_eq!(p("(!=10).start"), "(. !=10 start)");
    assert_eq!(p("[(< 5), (= 6)]"), "[<5 =6]");
    // Elsewhere `=` and `!=` start no expression.
    assert_eq!(err("a = = b").column(), 5);
    assert_eq!(err("[= 1]").expected(), ["an expression"]);
    assert_eq!(err("1 + != 2").column(), 5);
    assert_eq!(err("(- = 1)").column(), 4);
    // A unary test ends its expression, unless it is the test of an `in`.
    assert_eq!(err("< 5 = x").column(), 5);
    assert_eq!(err("< 5 and x").column(), 5);
    assert_eq!(err("(= 1 or 2)").column(), 6);
    assert_eq!(p("x = < 5"), "(= x <5)");
    assert_eq!(p("x in < 5 and y"), "(and (in x <5) y)");
    assert_eq!(p("x in = 5 or y"), "(or (in x (= ? 5)) y)");
    assert_eq!(p("< 5 + 1"), "<(+ 5 1)");
}

#[test]
fn reserved_words_are_not_names() {
    let e = err("a.and");
    assert_eq!((e.column(), e.expected()), (3, &["a name".to_string()][..]));
    assert_eq!(err("for if in x return 1").column(), 5);
    assert_eq!(err("f(then: 1)").column(), 3);
    assert_eq!(err("x instance of if").column(), 15);
    assert_eq!(err("x = if").column(), 7);
    assert_eq!(err("x + and").column(), 5);
    // Inside a name, only the words that can follow an operand end it.
    assert_eq!(p("a.is true"), "(. a `is true`)");
    // Camunda's `and(…)` and `or(…)` where an operand starts.
    assert_eq!(
        p("and(a, b) or or([c])"),
        "(or (call and a b) (call or [c]))"
    );
}

#[test]
fn function_definitions() {
    assert_eq!(p("function(a, b) a + b"), "(fn (a b) (+ a b))");
    assert_eq!(p("function() 1"), "(fn () 1)");
    assert_eq!(
        p("function(a: number, b: list<string>) a"),
        "(fn (a:number b:list<string>) a)"
    );
    assert_eq!(
        p("function(first name) first name"),
        "(fn (`first name`) `first name`)"
    );
    assert_eq!(p("(function(a) a * 2)(3)"), "(call (fn (a) (* a 2)) 3)");
    assert_eq!(
        p("{f: function(x) x + 1, r: f(2)}"),
        "{f: (fn (x) (+ x 1)), r: (call f 2)}"
    );
    let e = err("function(a) external {java: {class: \"X\", method signature: \"y()\"}}");
    assert!(e.message().contains("external functions"), "{e}");
    assert_eq!(e.column(), 13);
}

#[test]
fn unary_tests() {
    assert_eq!(u("-"), "-");
    assert_eq!(u(" - "), "-");
    assert_eq!(u("-1"), "-1");
    assert_eq!(u("\"a\", \"b\""), "\"a\" \"b\"");
    assert_eq!(u("not(1, 2)"), "(not 1 2)");
    assert_eq!(u("not (\"a\")"), "(not \"a\")");
    assert_eq!(u("[1..5]"), "[1..5]");
    assert_eq!(u("? > 3"), "(> ? 3)");
    assert_eq!(u("< 10"), "<10");
    assert_eq!(u("< 10, > 20"), "<10 >20");
    assert_eq!(u("< 10, [20..30], \"x\""), "<10 [20..30] \"x\"");
    assert_eq!(u("starts with(?, \"a\")"), "(call `starts with` ? \"a\")");
    assert_eq!(u("not(true) = false"), "(= (call not true) false)");
    assert_eq!(u("null"), "null");
    assert_eq!(u("= 5"), "(= ? 5)");
    assert_eq!(u("!= \"a\", < 3"), "(!= ? \"a\") <3");
    assert_eq!(u("not(= 1)"), "(not (= ? 1))");
    assert_eq!(p("not(true)"), "(call not true)");
}

#[test]
fn unary_test_errors() {
    let e = uerr("");
    assert!(e.message().contains("empty"), "{e}");
    let e = uerr("  // nothing\n");
    assert!(e.message().contains("empty"), "{e}");
    let e = uerr("1,");
    assert_eq!(e.column(), 3, "{e}");
    assert_eq!(e.expected(), ["an expression"]);
    let e = uerr("not(1");
    assert!(
        e.expected().contains(&"\")\"".to_string()),
        "{e}: {:?}",
        e.expected()
    );
    let e = uerr("- 1 -");
    assert_eq!(e.column(), 6, "{e}");
    assert_eq!(uerr("= 1 and 2").column(), 5);
    assert_eq!(u("(= 1), (!= 2)"), "=1 !=2");
}

#[test]
fn error_positions_and_expectations() {
    let e = err("1 +");
    assert_eq!((e.line(), e.column()), (1, 4));
    assert_eq!(e.expected(), ["an expression"]);
    assert_eq!(
        e.message(),
        "unexpected end of input, expected an expression"
    );

    let e = err("(1 + 2");
    assert_eq!(e.column(), 7);
    assert_eq!(e.expected(), ["\")\""]);
    assert_eq!(e.message(), "unexpected end of input, expected \")\"");

    let e = err("if x then 1");
    assert_eq!(e.column(), 12);
    assert!(
        e.expected().contains(&"\"else\"".to_string()),
        "{:?}",
        e.expected()
    );

    let e = err("a +\n  * b");
    assert_eq!((e.line(), e.column()), (2, 3));
    assert!(e.message().starts_with("unexpected \"*\""), "{e}");
    assert!(e.to_string().contains("2 |   * b\n  |   ^"), "{e}");

    let e = err("[1, 2");
    assert!(
        e.expected().contains(&"\"]\"".to_string()),
        "{:?}",
        e.expected()
    );
    let e = err("{a 1}");
    assert!(
        e.expected().contains(&"\":\"".to_string()),
        "{:?}",
        e.expected()
    );
    let e = err("x instance of");
    assert_eq!(e.expected(), ["a type"]);
    let e = err("for x in y x");
    assert!(
        e.expected().contains(&"\"return\"".to_string()),
        "{:?}",
        e.expected()
    );
    let e = err("1 2");
    assert_eq!(e.column(), 3);
    assert!(
        e.expected().contains(&"end of input".to_string()),
        "{:?}",
        e.expected()
    );
    let e = err("");
    assert!(e.message().contains("empty"), "{e}");
    let e = err("x between 1");
    assert_eq!(e.expected(), ["\"and\"", "an operator"]);
    let e = err("a = = b");
    assert_eq!(e.column(), 5);
    let e = err("-");
    assert_eq!(e.expected(), ["an expression"]);
    let e = err("date and time(");
    assert_eq!(e.expected(), ["an expression", "\")\""]);
    let e = err(r#""a" "b""#);
    assert_eq!(
        e.message(),
        "unexpected string literal, expected end of input"
    );
    let e = err("f(a, )");
    assert_eq!(
        (e.column(), e.expected()),
        (6, &["an expression".to_string()][..])
    );
    let e = err("a.");
    assert_eq!(e.expected(), ["a name"]);
    let e = err("{a: 1,}");
    assert_eq!(e.expected(), ["a context entry"]);
}

#[test]
fn spans() {
    let e = parse_expression("  a + b.c  ", DEPTH).unwrap();
    assert_eq!(e.span.range(), 2..9);
    let ExprKind::Binary(_, l, r) = &e.kind else {
        panic!("{e:?}")
    };
    assert_eq!(l.span.range(), 2..3);
    assert_eq!(r.span.range(), 6..9);
    let ExprKind::Path(base, ..) = &r.kind else {
        panic!("{r:?}")
    };
    assert_eq!(base.span.range(), 6..7);

    let e = parse_expression("(1 + 2) * 3", DEPTH).unwrap();
    let ExprKind::Binary(_, l, _) = &e.kind else {
        panic!("{e:?}")
    };
    assert_eq!(l.span.range(), 0..7);
    assert_eq!(e.span.range(), 0..11);

    let e = parse_expression("-5", DEPTH).unwrap();
    assert_eq!(e.span.range(), 0..2);

    let e = parse_expression("x in (1, 2)", DEPTH).unwrap();
    let ExprKind::In(_, tests) = &e.kind else {
        panic!("{e:?}")
    };
    assert_eq!(tests[1].span.range(), 9..10);

    let e = parse_expression("for i in 1..3 return i", DEPTH).unwrap();
    let ExprKind::For(its, _) = &e.kind else {
        panic!("{e:?}")
    };
    assert_eq!(its[0].span.range(), 4..13);

    let e = parse_expression("if a then b else c  ", DEPTH).unwrap();
    assert_eq!(e.span.range(), 0..18);
    let e = parse_expression("[1, 2]  ", DEPTH).unwrap();
    assert_eq!(e.span.range(), 0..6);

    let t = parse_unary_tests("< 1, not_a", DEPTH).unwrap();
    assert_eq!(t[0].span.range(), 0..3);
    assert_eq!(t[1].span.range(), 5..10);
}

/// The number of nodes on the longest path from the root of `e` down.
fn depth(e: &Expr) -> usize {
    sexpr::depth(e)
}

#[test]
fn depth_limit_is_enforced() {
    // The three shapes the limit exists for, at 100 000 levels: each must be a
    // clean error, not a stack overflow.
    let n = 100_000;
    let e = err(&("(".repeat(n) + "1" + &")".repeat(n)));
    assert!(
        e.message().contains("brackets are nested too deeply"),
        "{e}"
    );
    assert_eq!(e.column(), DEPTH + 1);
    let e = err(&("-".repeat(n) + "x"));
    assert!(
        e.message().contains("expression is nested too deeply"),
        "{e}"
    );
    let e = err(&("1".to_string() + &"+1".repeat(n)));
    assert!(
        e.message().contains("expression is nested too deeply"),
        "{e}"
    );

    // Every other way to nest, at 20 000 levels (debug-mode pest needs seconds
    // for 100 000 operators; the mechanism is the same).
    let n = 20_000;
    let cases = [
        ("[".repeat(n) + &"]".repeat(n), "brackets"),
        ("{a: ".repeat(n) + "1" + &"}".repeat(n), "brackets"),
        ("x".to_string() + &".a".repeat(n), "expression"),
        ("x".to_string() + &"[1]".repeat(n), "expression"),
        ("x".to_string() + &"(1)".repeat(n), "expression"),
        ("if a then 1 else ".repeat(n) + "1", "expression"),
        ("function() ".repeat(n) + "1", "expression"),
        ("for x in y return ".repeat(n) + "1", "expression"),
        ("some x in y satisfies ".repeat(n) + "1", "expression"),
        (
            "x instance of ".to_string() + &"list<".repeat(n) + "number" + &">".repeat(n),
            "expression",
        ),
        ("a or ".repeat(n) + "b", "expression"),
        ("- 1 ** ".repeat(n) + "1", "expression"),
        ("x in ".repeat(n) + "1", "expression"),
    ];
    for (source, what) in &cases {
        let e = err(source);
        assert!(
            e.message().contains("nested too deeply") && e.message().contains(what),
            "{}…: {}",
            &source[..20],
            e.message()
        );
    }
    let e = uerr(&("not(".repeat(n) + "1" + &")".repeat(n)));
    assert!(
        e.message().contains("brackets are nested too deeply"),
        "{e}"
    );
    let e = uerr(&("1".to_string() + &"+1".repeat(n)));
    assert!(
        e.message().contains("expression is nested too deeply"),
        "{e}"
    );
}

#[test]
fn depth_limit_boundary() {
    // A chain right at the limit parses and is exactly that deep; one more fails.
    let chain = |terms: usize| "1".to_string() + &"+1".repeat(terms - 1);
    let ok = parse_expression(&chain(DEPTH), DEPTH).unwrap();
    assert_eq!(depth(&ok), DEPTH);
    assert!(parse_expression(&chain(DEPTH + 1), DEPTH).is_err());
    let lists = |n: usize| "[".repeat(n) + &"]".repeat(n);
    assert_eq!(
        depth(&parse_expression(&lists(DEPTH), DEPTH).unwrap()),
        DEPTH
    );
    assert!(parse_expression(&lists(DEPTH + 1), DEPTH).is_err());
    // The limit is the caller's.
    assert!(parse_expression("[[[1]]]", 3).is_err());
    assert_eq!(depth(&parse_expression("[[[1]]]", 4).unwrap()), 4);
    // Ranges closed with `[` are not counted as opening brackets.
    let many = format!("[{}]", vec!["[1..2["; 300].join(", "));
    assert!(parse_expression(&many, DEPTH).is_ok());
}

/// Inputs that make a backtracking parser retry work at every level: each
/// must fail quickly (an exponential grammar would not finish this test).
#[test]
fn no_exponential_backtracking() {
    let patterns = [
        "[1..a[",
        "[1..a[[",
        "[1..a[(",
        "(1..a[(",
        "x in (",
        "x in (1..a[",
        "f(a: ",
        "f(a, ",
        "not(",
        "{a: ",
        "{a+b: ",
        "x[",
        "]a..",
        "(",
        "[",
        "if a then ",
        "for x in ",
        "some x in y satisfies ",
        "function(a) ",
        "< ",
        "x instance of function<",
        "x instance of context<a: ",
        "- ",
        "@\"",
        "a between b and ",
    ];
    for pattern in patterns {
        let source = pattern.repeat(40);
        assert!(parse_expression(&source, DEPTH).is_err(), "{source}");
        assert!(parse_unary_tests(&source, DEPTH).is_err(), "{source}");
    }
}
