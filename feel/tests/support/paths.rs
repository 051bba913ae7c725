//! Paths into a context, for the soundness checks of `Expression::reads`
//! (shared by the unit tests in `src/inputs/tests.rs` and `tests/inputs.rs`;
//! the including module brings `Context` and `Value` into scope).

use super::{Context, Value};

/// Every path to a value of `ctx`, through contexts, parents first.
pub fn all_paths(prefix: &mut Vec<String>, ctx: &Context, out: &mut Vec<Vec<String>>) {
    for (key, value) in ctx.iter() {
        prefix.push(key.to_string());
        out.push(prefix.clone());
        if let Value::Context(inner) = value {
            all_paths(prefix, inner, out);
        }
        prefix.pop();
    }
}

/// `ctx` with the value at `path` set (or removed, for `None`); missing
/// parents are created, so the path then exists. `None` when a parent of
/// `path` is not a context.
pub fn with_value_at(ctx: &Context, path: &[String], value: Option<&Value>) -> Option<Context> {
    let (first, rest) = path.split_first()?;
    let mut ctx = ctx.clone();
    if rest.is_empty() {
        match value {
            Some(v) => ctx.insert(first.as_str(), v.clone()),
            None => {
                ctx.remove(first);
            }
        }
        return Some(ctx);
    }
    let inner = match ctx.get(first) {
        Some(Value::Context(inner)) => inner.clone(),
        None => Context::new(),
        Some(_) => return None,
    };
    let inner = with_value_at(&inner, rest, value)?;
    ctx.insert(first.as_str(), Value::Context(inner));
    Some(ctx)
}
