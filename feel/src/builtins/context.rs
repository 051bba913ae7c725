//! Context functions (DMN 1.5 §10.3.4.8): `get value`, `get entries`,
//! `context put`, `context merge`, with Camunda's key-path forms and its
//! deprecated names `put` and `put all`.

use super::args::{built, context, list_or_item, or_null, Out, Overload};
use super::ctx::Ctx;
use crate::dialect::Dialect;
use crate::error::WarningKind;
use crate::value::{Brief, Context, Value};

pub(crate) const FUNCTIONS: &[Overload] = &[
    // Positional calls take the first overload of an arity, so the first one
    // accepts a key or a key path; the others check what their names promise.
    Overload::new("get value", &["m", "key"], get_value),
    Overload::new("get value", &["context", "key"], get_value_key),
    Overload::new("get value", &["context", "keys"], get_value_keys),
    Overload::new("get entries", &["m"], get_entries),
    Overload::new("get entries", &["context"], get_entries),
    Overload::new("context put", &["context", "keys", "value"], context_put),
    Overload::new("context put", &["context", "key", "value"], context_put_key),
    Overload::new("context merge", &["contexts"], context_merge),
    Overload::variadic("context merge", &["contexts"], context_merge_args),
    // Camunda's earlier names, deprecated there but still accepted.
    Overload::new("put", &["context", "key", "value"], context_put_key),
    Overload::new("put all", &["contexts"], context_merge),
    Overload::variadic("put all", &["contexts"], put_all_args),
];

/// A key path: a string, or (for `keys`) a non-empty list of strings.
fn key_path(ctx: &mut Ctx<'_>, v: &Value, param: &str) -> Option<Vec<std::sync::Arc<str>>> {
    match v {
        Value::String(k) => Some(vec![k.clone()]),
        Value::List(keys) if !keys.is_empty() => {
            let mut out = Vec::with_capacity(keys.len());
            for (i, k) in keys.iter().enumerate() {
                match k {
                    Value::String(k) => out.push(k.clone()),
                    other => {
                        ctx.null(
                            WarningKind::InvalidType,
                            format!(
                                "item {} of `{param}` must be a string, not {}",
                                i + 1,
                                Brief(other)
                            ),
                        );
                        return None;
                    }
                }
            }
            Some(out)
        }
        Value::List(_) => {
            ctx.null(WarningKind::InvalidValue, format!("`{param}` is empty"));
            None
        }
        other => {
            ctx.invalid_type(param, "a string or a list of strings", other);
            None
        }
    }
}

/// `get value(m, key)`: the value of entry `key`, or null (with a warning) if
/// there is none. Given a list of keys (Camunda extension), follows the path
/// through nested contexts.
fn get_value(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let m = or_null!(context(ctx, &a[0], "m"));
    let path = or_null!(key_path(ctx, &a[1], "key"));
    let mut cur = m;
    for (i, k) in path.iter().enumerate() {
        let Some(v) = cur.get(k) else {
            return Ok(ctx.null(
                WarningKind::NoContextEntryFound,
                format!("no context entry \"{k}\""),
            ));
        };
        if i + 1 == path.len() {
            return Ok(v.clone());
        }
        match v {
            Value::Context(c) => cur = c,
            _ => {
                return Ok(ctx.null(
                    WarningKind::NoContextEntryFound,
                    format!("entry \"{k}\" is not a context, so the path cannot continue"),
                ))
            }
        }
    }
    Ok(Value::Null)
}

/// `get value(context, key)` with a string key (Camunda's parameter names).
fn get_value_key(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    if !matches!(a[1], Value::String(_)) {
        return Ok(ctx.invalid_type("key", "a string", &a[1]));
    }
    get_value(ctx, a)
}

/// `get value(context, keys)`: the value at a key path (Camunda extension).
fn get_value_keys(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    if !matches!(a[1], Value::List(_)) {
        return Ok(ctx.invalid_type("keys", "a list of strings", &a[1]));
    }
    get_value(ctx, a)
}

/// `get entries(m)`: the entries as a list of `{key, value}` contexts, in order.
fn get_entries(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let m = or_null!(context(ctx, &a[0], "m"));
    // A list slot and a two-entry context per entry.
    let each = crate::value::list_bytes(1) + crate::value::context_bytes(2);
    ctx.charge(m.len().saturating_mul(each))?;
    Ok(Value::list(m.iter().map(|(k, v)| {
        Value::Context(
            [("key", Value::String(k.clone())), ("value", v.clone())]
                .into_iter()
                .collect(),
        )
    })))
}

/// `path` set to `value` inside `c`, creating the last entry if needed.
///
/// DMN 1.5 defines the path form recursively through `get value`, so an
/// inner entry that is missing or not a context makes the result null: `Err`
/// names the failing key. With `create` (Camunda), such an entry becomes a
/// new context instead, as feel-scala's `context put` does.
fn put(
    c: &Context,
    path: &[std::sync::Arc<str>],
    value: Value,
    create: bool,
) -> Result<Context, String> {
    let mut out = c.clone();
    match path {
        [] => {}
        [k] => out.insert(k.clone(), value),
        [k, rest @ ..] => {
            let empty = Context::new();
            let inner = match c.get(k) {
                Some(Value::Context(inner)) => inner,
                _ if create => &empty,
                Some(_) => return Err(format!("entry \"{k}\" is not a context")),
                None => return Err(format!("no context entry \"{k}\"")),
            };
            // Key paths can be as long as a list: one level of recursion
            // each, on a stack with room for it.
            let updated = crate::stack::grow_stack(|| put(inner, rest, value, create))?;
            out.insert(k.clone(), Value::Context(updated));
        }
    }
    Ok(out)
}

/// `context put(context, keys, value)`: the context with the entry at the key
/// path set to `value` (added at the end when new, replaced in place
/// otherwise). The first overload also takes a single string key positionally.
fn context_put(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let c = or_null!(context(ctx, &a[0], "context"));
    let path = or_null!(key_path(ctx, &a[1], "keys"));
    let create = ctx.dialect() == Dialect::Camunda;
    // Every context on the path is copied with one entry more (at most).
    let mut entries = 0usize;
    let mut level = Some(c);
    for k in &path {
        entries = entries.saturating_add(level.map_or(0, Context::len) + 1);
        level = match level.and_then(|l| l.get(k)) {
            Some(Value::Context(inner)) => Some(inner),
            _ => None,
        };
    }
    ctx.charge(crate::value::context_bytes(entries))?;
    Ok(match put(c, &path, a[2].clone(), create) {
        Ok(c) => Value::Context(c),
        Err(e) => ctx.null(WarningKind::NoContextEntryFound, e),
    })
}

/// `context put(context, key, value)`: the context with entry `key` set.
/// Camunda also takes a key path under the name `key`; the standard does not
/// (the TCK expects null).
fn context_put_key(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let camunda_path = ctx.dialect() == Dialect::Camunda && matches!(a[1], Value::List(_));
    if !matches!(a[1], Value::String(_)) && !camunda_path {
        return Ok(ctx.invalid_type("key", "a string", &a[1]));
    }
    context_put(ctx, a)
}

/// `context merge(contexts)`: the entries of all contexts, later ones
/// replacing earlier ones with the same key (a shallow merge).
fn context_merge(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "contexts"));
    let mut out = Context::new();
    for (i, c) in list.iter().enumerate() {
        let Value::Context(c) = c else {
            let what = format!(
                "item {} of `contexts` is not a context: {}",
                i + 1,
                Brief(c)
            );
            return Ok(ctx.null(WarningKind::InvalidType, what));
        };
        for (k, v) in c.iter() {
            out.insert(k.clone(), v.clone());
        }
    }
    // No more entries than the contexts merged hold.
    built(ctx, Value::Context(out))
}

/// `context merge(c1, …, cN)`: the contexts one by one, as feel-scala takes
/// them (Camunda dialect). DMN 1.5 has one parameter, a list: in the
/// standard dialect this form is null with a warning, as the TCK expects.
fn context_merge_args(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    if ctx.dialect() == Dialect::Standard {
        let n = a[0].as_list().map_or(1, <[Value]>::len);
        return Ok(ctx.null(
            WarningKind::InvalidArguments,
            format!(
                "takes one list of contexts, not {n} arguments (passing the contexts one \
                 by one is Camunda's dialect)"
            ),
        ));
    }
    put_all_args(ctx, a)
}

/// `put all(c1, …, cN)` (Camunda's former name of `context merge`), and
/// `context merge(c1, …, cN)` in the Camunda dialect; with no context at all
/// it is null.
fn put_all_args(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    if a[0].as_list().is_some_and(<[Value]>::is_empty) {
        return Ok(ctx.null(
            WarningKind::InvalidArguments,
            "expects a list of contexts or at least one context",
        ));
    }
    context_merge(ctx, a)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::value::{Context, Value};

    fn c(entries: &[(&str, Value)]) -> Value {
        Value::from(entries.iter().cloned().collect::<Context>())
    }

    #[test]
    fn get_value_by_key_and_path() {
        let v = c(&[("x", n("1")), ("y", c(&[("z", n("0"))]))]);
        assert_text("get value", &[v.clone(), s("x")], "1");
        assert_text("get value", &[v.clone(), l([s("y"), s("z")])], "0");
        assert_text("get value", &[v.clone(), l([s("y")])], "{z: 0}");
        assert_null("get value", &[v.clone(), s("b")]);
        assert_null("get value", &[v.clone(), l([s("x"), s("z")])]);
        assert_null("get value", &[v.clone(), l([])]);
        assert_null("get value", &[v, n("1")]);
        assert_null("get value", &[n("1"), s("a")]);
    }

    #[test]
    fn get_entries_in_order() {
        let v = c(&[("b", s("foo")), ("a", n("2"))]);
        assert_text(
            "get entries",
            &[v],
            "[{key: \"b\", value: \"foo\"}, {key: \"a\", value: 2}]",
        );
        assert_text("get entries", &[c(&[])], "[]");
        assert_null("get entries", &[l([n("1")])]);
    }

    #[test]
    fn context_put_replaces_in_place_or_appends() {
        let v = c(&[("a", n("1")), ("b", n("2")), ("c", n("3"))]);
        assert_text(
            "context put",
            &[v.clone(), s("b"), n("9")],
            "{a: 1, b: 9, c: 3}",
        );
        assert_text(
            "context put",
            &[v.clone(), s("d"), Value::Null],
            "{a: 1, b: 2, c: 3, d: null}",
        );
        let nested = c(&[("x", n("1")), ("y", c(&[("a", n("0"))]))]);
        assert_text(
            "context put",
            &[nested.clone(), l([s("y"), s("a")]), n("2")],
            "{x: 1, y: {a: 2}}",
        );
        assert_text(
            "context put",
            &[nested.clone(), l([s("y"), s("b")]), n("2")],
            "{x: 1, y: {a: 0, b: 2}}",
        );
        assert_null(
            "context put",
            &[nested.clone(), l([s("y"), s("a"), s("b")]), n("2")],
        );
        assert_null(
            "context put",
            &[nested.clone(), l([s("y"), Value::Null]), n("2")],
        );
        assert_null("context put", &[nested, l([]), n("2")]);
        assert_null("context put", &[l([]), s("a"), n("1")]);
        assert_null("context put", &[c(&[]), n("1"), n("1")]);
    }

    #[test]
    fn context_merge_is_shallow_and_ordered() {
        let merged = call(
            "context merge",
            &[l([
                c(&[("a", c(&[("aa", n("1"))]))]),
                c(&[("a", c(&[("bb", n("2"))])), ("b", n("3"))]),
            ])],
        );
        assert_eq!(merged.to_string(), "{a: {bb: 2}, b: 3}");
        assert_text("context merge", &[c(&[("a", n("1"))])], "{a: 1}");
        assert_null("context merge", &[l([c(&[("a", n("1"))]), n("2")])]);
        assert_null("context merge", &[Value::Null]);
    }
}
