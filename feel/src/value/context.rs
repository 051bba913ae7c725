//! FEEL contexts: ordered maps from names to values.

use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;

use super::Value;
use crate::ast::KeyHint;

/// Keys of large contexts are hashed with foldhash: several times faster than
/// SipHash on the short keys contexts have, and randomly seeded per map,
/// which keeps keys chosen by a remote sender (webhook payloads) from
/// colliding on purpose.
type Indexed = IndexMap<Arc<str>, Value, foldhash::fast::RandomState>;

/// Up to this many entries a context is a plain vector searched front to
/// back: most contexts (context literals, a webhook's `request`, an SMS
/// form) are this small, and comparing a few short keys costs less than
/// hashing one and allocating a table.
const SMALL: usize = 16;

/// The entries of a context, in insertion order.
#[derive(Clone)]
enum Entries {
    Small(Vec<(Arc<str>, Value)>),
    Indexed(Indexed),
}

impl Default for Entries {
    fn default() -> Self {
        Entries::Small(Vec::new())
    }
}

impl Entries {
    fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Entries::Small(items) => items
                .iter()
                .find(|(k, _)| super::same_text(k, key))
                .map(|(_, v)| v),
            Entries::Indexed(map) => map.get(key),
        }
    }

    /// [`Entries::get`], trying the entry at `hint` first; `hint` is left
    /// at the entry found.
    #[inline]
    fn get_hinted(&self, key: &str, hint: &KeyHint) -> Option<&Value> {
        let at = hint.get();
        let guess = match self {
            Entries::Small(items) => items.get(at).map(|(k, v)| (k, v)),
            Entries::Indexed(map) => map.get_index(at),
        };
        if let Some((k, v)) = guess {
            if super::same_text(k, key) {
                return Some(v);
            }
        }
        self.get_and_hint(key, hint)
    }

    #[inline(never)]
    fn get_and_hint(&self, key: &str, hint: &KeyHint) -> Option<&Value> {
        let (at, value) = match self {
            Entries::Small(items) => items
                .iter()
                .enumerate()
                .find(|(_, (k, _))| super::same_text(k, key))
                .map(|(at, (_, v))| (at, v))?,
            Entries::Indexed(map) => map.get_full(key).map(|(at, _, v)| (at, v))?,
        };
        hint.set(at);
        Some(value)
    }

    fn insert(&mut self, key: Arc<str>, value: Value) {
        match self {
            Entries::Small(items) => {
                if let Some(slot) = items.iter_mut().find(|(k, _)| *k == key) {
                    slot.1 = value;
                } else if items.len() < SMALL {
                    items.push((key, value));
                } else {
                    let mut map = Indexed::with_capacity_and_hasher(SMALL * 2, Default::default());
                    map.extend(items.drain(..));
                    map.insert(key, value);
                    *self = Entries::Indexed(map);
                }
            }
            Entries::Indexed(map) => {
                map.insert(key, value);
            }
        }
    }

    fn remove(&mut self, key: &str) -> Option<Value> {
        match self {
            Entries::Small(items) => {
                let at = items.iter().position(|(k, _)| &**k == key)?;
                Some(items.remove(at).1)
            }
            Entries::Indexed(map) => map.shift_remove(key),
        }
    }

    fn len(&self) -> usize {
        match self {
            Entries::Small(items) => items.len(),
            Entries::Indexed(map) => map.len(),
        }
    }

    fn iter(&self) -> Iter<'_> {
        match self {
            Entries::Small(items) => Iter::Small(items.iter()),
            Entries::Indexed(map) => Iter::Indexed(map.iter()),
        }
    }
}

/// The entries of either representation, in order.
enum Iter<'a> {
    Small(std::slice::Iter<'a, (Arc<str>, Value)>),
    Indexed(indexmap::map::Iter<'a, Arc<str>, Value>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Arc<str>, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Small(items) => items.next().map(|(k, v)| (k, v)),
            Iter::Indexed(map) => map.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Small(items) => items.size_hint(),
            Iter::Indexed(map) => map.size_hint(),
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// An ordered FEEL context. Entries keep the order they were added in; adding
/// an existing key replaces its value in place. Cheap to clone (shared).
/// Equality ignores the order of entries.
#[derive(Clone, Default)]
pub struct Context(Arc<Entries>);

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Context::default()
    }

    /// An empty context with room for `capacity` entries before it grows.
    pub fn with_capacity(capacity: usize) -> Self {
        Context(Arc::new(if capacity <= SMALL {
            Entries::Small(Vec::with_capacity(capacity))
        } else {
            Entries::Indexed(Indexed::with_capacity_and_hasher(
                capacity,
                Default::default(),
            ))
        }))
    }

    /// A context of entries whose keys are known to differ, in order.
    pub(crate) fn from_distinct(entries: Vec<(Arc<str>, Value)>) -> Self {
        if entries.len() <= SMALL {
            return Context(Arc::new(Entries::Small(entries)));
        }
        let mut map = Indexed::with_capacity_and_hasher(entries.len(), Default::default());
        map.extend(entries);
        Context(Arc::new(Entries::Indexed(map)))
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// [`Context::get`], looking first at the position `hint` remembers (and
    /// remembering where the key was found).
    #[inline]
    pub(crate) fn get_hinted(&self, key: &str, hint: &KeyHint) -> Option<&Value> {
        self.0.get_hinted(key, hint)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.get(key).is_some()
    }

    /// Adds or replaces an entry.
    pub fn insert(&mut self, key: impl Into<Arc<str>>, value: Value) {
        Arc::make_mut(&mut self.0).insert(key.into(), value);
    }

    /// Removes an entry, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        Arc::make_mut(&mut self.0).remove(key)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// The entries in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Arc<str>, &Value)> {
        self.0.iter()
    }

    /// The keys in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Arc<str>> {
        self.0.iter().map(|(k, _)| k)
    }
}

impl PartialEq for Context {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || (self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v)))
    }
}

impl<K: Into<Arc<str>>> FromIterator<(K, Value)> for Context {
    fn from_iter<T: IntoIterator<Item = (K, Value)>>(iter: T) -> Self {
        let iter = iter.into_iter();
        let mut context = Context::with_capacity(iter.size_hint().0);
        let entries = Arc::make_mut(&mut context.0);
        for (k, v) in iter {
            entries.insert(k.into(), v);
        }
        context
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: usize) -> Context {
        (0..n)
            .map(|i| (format!("k{i}"), Value::from(i as i64)))
            .collect()
    }

    #[test]
    fn small_and_indexed_contexts_behave_alike() {
        // Below, at and above the switch to an indexed map.
        for n in [0, 1, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL] {
            let mut c = numbered(n);
            assert_eq!(c.len(), n);
            for i in 0..n {
                assert_eq!(c.get(&format!("k{i}")), Some(&Value::from(i as i64)));
            }
            assert_eq!(c.get("missing"), None);
            let keys: Vec<String> = c.keys().map(|k| k.to_string()).collect();
            let expected: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
            assert_eq!(keys, expected, "insertion order, n = {n}");

            // Replacing keeps the position; removing keeps the others' order.
            c.insert("k0", Value::string("first"));
            if n > 0 {
                assert_eq!(
                    c.iter().next().map(|(_, v)| v),
                    Some(&Value::string("first"))
                );
                assert_eq!(c.len(), n);
                assert_eq!(c.remove("k0"), Some(Value::string("first")));
                assert_eq!(
                    c.keys().next().map(|k| k.to_string()),
                    (n > 1).then(|| "k1".to_owned())
                );
            } else {
                assert_eq!(c.len(), 1);
            }
            assert_eq!(c.remove("missing"), None);
        }
    }

    #[test]
    fn hinted_lookups_agree_with_plain_ones_whatever_the_hint() {
        // One hint carried across contexts of both kinds, with the keys in
        // other orders and other sets: a stale or out-of-range guess must
        // only cost time.
        let hint = KeyHint::default();
        let mut shapes: Vec<Context> = [0, 1, 3, SMALL, SMALL + 1, 3 * SMALL]
            .into_iter()
            .map(numbered)
            .collect();
        shapes.push(
            (0..SMALL + 4)
                .rev()
                .map(|i| (format!("k{i}"), Value::from(-(i as i64))))
                .collect(),
        );
        shapes.push(
            (0..5)
                .rev()
                .map(|i| (format!("k{i}"), Value::Null))
                .collect(),
        );
        for round in 0..2 {
            for c in &shapes {
                for key in ["k0", "k1", "k2", "k15", "k16", "k40", "missing", ""] {
                    assert_eq!(c.get_hinted(key, &hint), c.get(key), "{key} {round}");
                }
            }
        }
        hint.set(usize::MAX);
        assert_eq!(shapes[2].get_hinted("k2", &hint), shapes[2].get("k2"));
    }

    #[test]
    fn growing_past_small_keeps_every_entry_in_order() {
        let mut c = Context::new();
        for i in 0..(SMALL + 3) {
            c.insert(format!("k{i}"), Value::from(i as i64));
        }
        assert_eq!(c, numbered(SMALL + 3));
        assert_eq!(
            c.keys().last().map(|k| k.to_string()),
            Some(format!("k{}", SMALL + 2))
        );
    }

    #[test]
    fn equality_ignores_order_and_representation() {
        let forward = numbered(SMALL + 2);
        let backward: Context = (0..SMALL + 2)
            .rev()
            .map(|i| (format!("k{i}"), Value::from(i as i64)))
            .collect();
        assert_eq!(forward, backward);
        let mut small = numbered(3);
        let same = numbered(3);
        assert_eq!(small, same);
        small.insert("k2", Value::Null);
        assert_ne!(small, same);
        assert_ne!(numbered(3), numbered(4));
    }

    #[test]
    fn later_duplicates_replace_in_place_when_collected() {
        let c: Context = [
            ("a", Value::from(1)),
            ("b", Value::from(2)),
            ("a", Value::from(3)),
        ]
        .into_iter()
        .collect();
        let entries: Vec<(String, Value)> =
            c.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        assert_eq!(
            entries,
            [
                ("a".to_owned(), Value::from(3)),
                ("b".to_owned(), Value::from(2))
            ]
        );
    }

    #[test]
    fn shared_contexts_copy_on_write() {
        let original = numbered(2);
        let mut copy = original.clone();
        copy.insert("k9", Value::Null);
        assert_eq!(original.len(), 2);
        assert_eq!(copy.len(), 3);
    }
}
