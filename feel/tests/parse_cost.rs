//! A parse that fails deep inside nested `if`, `for`, `some`, `every` and
//! `function` forms costs in proportion to its length, not 2^depth.
//!
//! pest counts the rule calls of a parse and, with a limit set, fails one
//! that goes over it (reported as "nested too deeply"). The limit here is far above
//! what these inputs take when parsing is linear (thousands of calls) and far
//! below 2^40. Each shape below took about twice as long per level before the
//! grammar stopped retrying what follows a tail form (`f(for x in y return `
//! 22 deep: 10 s). This file holds one test: the limit is global to pest.

use std::num::NonZeroUsize;

use feel::Engine;

const DEPTH: usize = 40;

#[test]
fn failing_parses_inside_nested_tail_forms_stay_linear() {
    pest::set_call_limit(NonZeroUsize::new(5_000_000));
    // Deeper than the default depth limit allows, which cuts the work short.
    let engine = Engine::builder().max_depth(1000).build();
    let shapes = [
        // Never closed.
        ("f(for x in y return ", "1", ""),
        ("f(some x in y satisfies ", "1", ""),
        ("f(if c then 1 else ", "1", ""),
        ("f(function(a) ", "1", ""),
        ("f(1 + for x in y return ", "1", ""),
        ("f(- if c then 1 else ", "1", ""),
        ("x[for x in y return ", "1", ""),
        ("f(x between 1 and for x in y return ", "1", ""),
        // Closed, with the error at the bottom.
        ("f(for x in y return ", "1 +", ")"),
        ("x[for x in y return ", "1 +", "]"),
    ];
    for (open, bottom, close) in shapes {
        let source = format!("{}{bottom}{}", open.repeat(DEPTH), close.repeat(DEPTH));
        let err = engine
            .compile_expression(&source)
            .expect_err("the source is not FEEL");
        let message = err.to_string();
        // pest's limits (the call limit among them) come out as "nested too
        // deeply"; a linear parse gets to the real error.
        assert!(
            !message.contains("nested too deeply"),
            "{open}… {DEPTH} deep went over pest's call limit: {message}"
        );
    }
    // The same shapes, well formed, still parse.
    for source in [
        format!(
            "{}1{}",
            "f(for x in y return ".repeat(DEPTH),
            ")".repeat(DEPTH)
        ),
        format!(
            "{}1{}",
            "x[for x in y return ".repeat(DEPTH),
            "]".repeat(DEPTH)
        ),
        format!("{}1", "if c then 1 else ".repeat(DEPTH)),
    ] {
        engine
            .compile_expression(&source)
            .unwrap_or_else(|e| panic!("{source}: {e}"));
    }
}
