//! Variable lookup through a stack of frames: the caller's root context at the
//! bottom, then bindings pushed by context literals, iterations, filters and
//! function calls.

use std::sync::{Arc, OnceLock};

use crate::ast::Name;
use crate::value::{Context, Value};

/// The names the evaluator binds itself (`item` in filters, `?` in unary
/// tests, `partial` in `for`), made once rather than on every binding.
pub(crate) fn fixed_name(name: &'static str) -> Name {
    static NAMES: OnceLock<[Name; 3]> = OnceLock::new();
    let names = NAMES.get_or_init(|| [Name::from("item"), Name::from("?"), Name::from("partial")]);
    match names.iter().find(|n| &***n == name) {
        Some(n) => Arc::clone(n),
        None => Name::from(name),
    }
}

/// One layer of bindings.
#[derive(Clone)]
pub(crate) enum Frame {
    /// A single variable (`item`, a loop variable, a parameter).
    Var(Name, Value),
    /// All entries of a context (a closure's capture).
    Ctx(Context),
    /// An item of a filtered list: `item`, and, when it is a context, its
    /// entries, which shadow `item` (`[{item: 1}][item > 0]`). One frame and
    /// one copy of the item, where a variable and a context frame took two.
    Item(Value),
}

/// The scope stack of one evaluation.
pub(crate) struct Scope<'v> {
    root: &'v Context,
    frames: Vec<Frame>,
}

impl<'v> Scope<'v> {
    pub(crate) fn new(root: &'v Context) -> Self {
        Scope {
            root,
            frames: Vec::new(),
        }
    }

    /// The value bound to `name`, innermost first.
    #[inline]
    pub(crate) fn get(&self, name: &Name) -> Option<&Value> {
        for frame in self.frames.iter().rev() {
            match frame {
                // Names of one expression share an allocation: the pointer
                // test settles most loop and parameter variables.
                Frame::Var(n, v) if Arc::ptr_eq(n, name) || **n == **name => return Some(v),
                Frame::Ctx(c) => {
                    if let Some(v) = c.get(name) {
                        return Some(v);
                    }
                }
                Frame::Item(item) => {
                    if let Value::Context(c) = item {
                        if let Some(v) = c.get(name) {
                            return Some(v);
                        }
                    }
                    if &**name == "item" {
                        return Some(item);
                    }
                }
                Frame::Var(..) => {}
            }
        }
        self.root.get(name)
    }

    /// A mark to [`truncate`](Self::truncate) back to.
    pub(crate) fn mark(&self) -> usize {
        self.frames.len()
    }

    /// Pops every frame pushed after `mark`.
    pub(crate) fn truncate(&mut self, mark: usize) {
        self.frames.truncate(mark);
    }

    pub(crate) fn push_var(&mut self, name: Name, value: Value) {
        self.frames.push(Frame::Var(name, value));
    }

    pub(crate) fn push_context(&mut self, context: Context) {
        self.frames.push(Frame::Ctx(context));
    }

    pub(crate) fn push_item(&mut self, item: Value) {
        self.frames.push(Frame::Item(item));
    }

    /// Replaces the value of the innermost frame (which must be a `Var`).
    pub(crate) fn set_top(&mut self, value: Value) {
        if let Some(Frame::Var(_, v)) = self.frames.last_mut() {
            *v = value;
        }
    }

    /// Flattens the pushed frames (not the root) into a context, for closures.
    pub(crate) fn capture(&self) -> Context {
        let mut captured = Context::new();
        for frame in &self.frames {
            match frame {
                Frame::Var(n, v) => captured.insert(Arc::clone(n), v.clone()),
                Frame::Ctx(c) => {
                    for (k, v) in c.iter() {
                        captured.insert(Arc::clone(k), v.clone());
                    }
                }
                Frame::Item(item) => {
                    captured.insert(fixed_name("item"), item.clone());
                    if let Value::Context(c) = item {
                        for (k, v) in c.iter() {
                            captured.insert(Arc::clone(k), v.clone());
                        }
                    }
                }
            }
        }
        captured
    }
}
