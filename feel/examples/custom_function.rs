//! Register a host function and call it from FEEL with positional and named
//! arguments, with a fixed clock for `today()`.
//!
//! ```sh
//! cargo run -p feel --example custom_function
//! ```

use feel::{Context, Engine, FixedClock, Value};

fn main() -> Result<(), feel::Error> {
    let now = chrono::DateTime::parse_from_rfc3339("2024-05-17T10:30:00+02:00")
        .map_err(|e| feel::Error::new(feel::ErrorKind::InvalidInput, e.to_string()))?;
    let engine = Engine::builder()
        .clock(FixedClock(now))
        .function("vat", &["amount", "rate"], |args| {
            let (Some(amount), Some(rate)) = (args[0].as_number(), args[1].as_number()) else {
                return Ok(Value::Null);
            };
            Ok(amount.mul(rate).map_or(Value::Null, Value::Number))
        })
        .build();
    let vars: Context = [("price", Value::from(120))].into_iter().collect();
    for source in [
        "vat(price, 0.2)",
        "vat(rate: 0.07, amount: price)",
        "string(today()) + \": \" + string(price + vat(price, 0.2))",
    ] {
        let result = engine.evaluate_expression(source, &vars)?;
        println!("{source} = {}", result.value);
    }
    Ok(())
}
