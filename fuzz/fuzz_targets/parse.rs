//! Any text, parsed as an expression and as unary tests: never a panic, and a
//! parse error always points inside the source.

#![no_main]

use libfuzzer_sys::fuzz_target;

fn check_error(source: &str, e: &feel::ParseError) {
    let span = e.span();
    assert!(span.start <= span.end, "inverted span {span:?}");
    assert!(
        span.start <= source.len(),
        "span {span:?} past the end ({} bytes)",
        source.len()
    );
    assert!(e.line() >= 1 && e.column() >= 1, "line/column start at 1");
    assert_eq!((e.line(), e.column()), span.line_column(source));
    assert!(!e.message().is_empty(), "an empty parse error message");
    assert!(e.to_string().contains('^'), "no caret in\n{e}");
}

fuzz_target!(|source: &str| {
    let engine = feel_fuzz::engine();
    match engine.compile_expression(source) {
        Ok(expr) => assert_eq!(expr.source(), source),
        Err(e) => check_error(source, &e),
    }
    match engine.compile_unary_tests(source) {
        Ok(tests) => assert_eq!(tests.source(), source),
        Err(e) => check_error(source, &e),
    }
});
