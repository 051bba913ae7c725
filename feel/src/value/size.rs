//! What building a value costs the memory budget: the evaluator and the
//! built-ins charge these before (or just after) they build lists, contexts
//! and strings.

use std::sync::Arc;

use super::Value;

/// The bytes a new list of `n` items takes (its items are shared, not
/// copied: what they hold was paid for when they were built).
#[inline]
pub(crate) const fn list_bytes(n: usize) -> usize {
    n.saturating_mul(std::mem::size_of::<Value>())
}

/// The bytes a new context of `n` entries takes (key, value and, for large
/// contexts, an index slot).
#[inline]
pub(crate) const fn context_bytes(n: usize) -> usize {
    n.saturating_mul(std::mem::size_of::<(Arc<str>, Value)>() + std::mem::size_of::<usize>())
}

/// The bytes a value took to build, not counting the values it holds: the
/// characters of a string, the slots of a list or context. (Numbers,
/// temporal values and ranges are small and fixed in size: fuel bounds how
/// many of those an evaluation makes.)
pub(crate) fn new_bytes(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::List(items) => list_bytes(items.len()),
        Value::Context(c) => context_bytes(c.len()),
        _ => 0,
    }
}
