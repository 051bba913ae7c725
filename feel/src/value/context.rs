//! FEEL contexts: ordered maps from names to values.

use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;

use super::Value;

/// Keys are hashed with foldhash: several times faster than SipHash on the
/// short keys contexts have, and randomly seeded per map, which keeps keys
/// chosen by a remote sender (webhook payloads) from colliding on purpose.
type Entries = IndexMap<Arc<str>, Value, foldhash::fast::RandomState>;

/// An ordered FEEL context. Entries keep the order they were added in; adding
/// an existing key replaces its value in place. Cheap to clone (shared).
#[derive(Clone, Default, PartialEq)]
pub struct Context(Arc<Entries>);

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Context::default()
    }

    /// An empty context with room for `capacity` entries before it grows.
    pub fn with_capacity(capacity: usize) -> Self {
        Context(Arc::new(Entries::with_capacity_and_hasher(
            capacity,
            Default::default(),
        )))
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Adds or replaces an entry.
    pub fn insert(&mut self, key: impl Into<Arc<str>>, value: Value) {
        Arc::make_mut(&mut self.0).insert(key.into(), value);
    }

    /// Removes an entry, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        Arc::make_mut(&mut self.0).shift_remove(key)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Arc<str>, &Value)> {
        self.0.iter()
    }

    /// The keys in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Arc<str>> {
        self.0.keys()
    }
}

impl<K: Into<Arc<str>>> FromIterator<(K, Value)> for Context {
    fn from_iter<T: IntoIterator<Item = (K, Value)>>(iter: T) -> Self {
        Context(Arc::new(
            iter.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        ))
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}
