//! The built-in function registry.
//!
//! Built-ins are data: each area file (`conversion.rs`, `string.rs`, …) exports
//! a `FUNCTIONS` table of [`Overload`]s, and [`lookup`] finds the overloads of
//! a name. Each overload lists its parameter names exactly as the spec (or
//! Camunda, for extensions) names them, so named arguments work
//! (`substring(string: "abc", start position: 2)`).
//!
//! An overload receives its arguments in parameter order (for a variadic
//! overload, the last parameter collects the rest as a list). It returns
//! `Ok(value)`; a type error or invalid argument is `Ok(ctx.null(..))`, which
//! records a warning naming the function and the argument. `Err` is reserved
//! for failures that stop the evaluation (fuel, host functions).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::error::Error;
use crate::eval::Ctx;
use crate::value::Value;

mod conversion;
mod temporal;

/// The Rust signature of a built-in overload.
pub(crate) type BuiltinFn = fn(&mut Ctx<'_, '_>, &[Value]) -> Result<Value, Error>;

/// One overload of a built-in function.
pub(crate) struct Overload {
    /// The FEEL name (`string length`).
    pub name: &'static str,
    /// The parameter names, in order.
    pub params: &'static [&'static str],
    /// Whether the last parameter collects any number of arguments.
    pub variadic: bool,
    /// The implementation.
    pub call: BuiltinFn,
}

impl Overload {
    /// A fixed-arity overload.
    pub const fn new(name: &'static str, params: &'static [&'static str], call: BuiltinFn) -> Self {
        Overload {
            name,
            params,
            variadic: false,
            call,
        }
    }

    /// An overload whose last parameter collects the remaining arguments.
    pub const fn variadic(
        name: &'static str,
        params: &'static [&'static str],
        call: BuiltinFn,
    ) -> Self {
        Overload {
            name,
            params,
            variadic: true,
            call,
        }
    }
}

/// Every area's table.
fn tables() -> [&'static [Overload]; 2] {
    [conversion::FUNCTIONS, temporal::FUNCTIONS]
}

fn registry() -> &'static HashMap<&'static str, Vec<&'static Overload>> {
    static REGISTRY: OnceLock<HashMap<&'static str, Vec<&'static Overload>>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut map: HashMap<&'static str, Vec<&'static Overload>> = HashMap::new();
        for table in tables() {
            for o in table {
                map.entry(o.name).or_default().push(o);
            }
        }
        map
    })
}

/// The overloads of the built-in `name`, if it exists.
pub(crate) fn lookup(name: &str) -> Option<&'static [&'static Overload]> {
    registry().get(name).map(Vec::as_slice)
}

/// The canonical `&'static str` of a built-in name (for function values).
pub(crate) fn static_name(name: &str) -> Option<&'static str> {
    registry().get_key_value(name).map(|(k, _)| *k)
}

/// Every built-in name (for tools, dictionaries and docs).
pub fn names() -> impl Iterator<Item = &'static str> {
    let mut names: Vec<&'static str> = registry().keys().copied().collect();
    names.sort_unstable();
    names.into_iter()
}
