//! Evaluate an expression over JSON variables and print the value and the
//! warnings that explain any null.
//!
//! ```sh
//! cargo run -p feel --example evaluate -- 'upper case(name) + "!"' '{"name": "ada"}'
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let source = args.next().unwrap_or_else(|| "1 + 1".to_owned());
    let vars = args.next().unwrap_or_else(|| "{}".to_owned());
    let vars: serde_json::Value = match serde_json::from_str(&vars) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("the variables are not JSON: {e}");
            return ExitCode::from(2);
        }
    };
    let engine = feel::Engine::builder().fuel(1_000_000).build();
    let expr = match engine.compile_expression(&source) {
        Ok(expr) => expr,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    match expr.evaluate_json(&vars) {
        Ok(result) => {
            println!("{}", result.value);
            for w in &result.warnings {
                eprintln!("warning: {} ({:?})", w.message, &source[w.span.range()]);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
