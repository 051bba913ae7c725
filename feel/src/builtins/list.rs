//! List functions (DMN 1.5 §10.3.4.4) and Camunda's list extensions
//! (`duplicate values`, `is empty`, `partition`).
//!
//! Wherever a list is expected, a single non-null value counts as a singleton
//! list (DMN 1.5 §10.3.2.9.4), so `count(5)` is 1 and `sum(1)` is 1. The
//! aggregates (`min`, `max`, `sum`, `mean`, `product`, `median`, `stddev`,
//! `mode`, `all`, `any`) also take their items as separate arguments
//! (`max(1, 2, 3)`). Equality is FEEL's (`1 = 1.0`), via `Value::feel_eq`.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::args::{built, function, integer, list_or_item, number, or_null, Out, Overload};
use super::ctx::Ctx;
use crate::error::{Error, WarningKind};
use crate::value::{Brief, Number, Value};

pub(crate) const FUNCTIONS: &[Overload] = &[
    Overload::new("list contains", &["list", "element"], list_contains),
    Overload::new("count", &["list"], count),
    Overload::new("min", &["list"], min),
    Overload::variadic("min", &["c"], min_args),
    Overload::new("max", &["list"], max),
    Overload::variadic("max", &["c"], max_args),
    Overload::new("sum", &["list"], sum),
    Overload::variadic("sum", &["n"], sum_args),
    Overload::new("mean", &["list"], mean),
    Overload::variadic("mean", &["n"], mean_args),
    Overload::new("product", &["list"], product),
    Overload::variadic("product", &["n"], product_args),
    Overload::new("median", &["list"], median),
    Overload::variadic("median", &["n"], median_args),
    Overload::new("stddev", &["list"], stddev),
    Overload::variadic("stddev", &["n"], stddev_args),
    Overload::new("mode", &["list"], mode),
    Overload::variadic("mode", &["n"], mode_args),
    Overload::new("all", &["list"], all),
    Overload::variadic("all", &["b"], all_args),
    Overload::new("any", &["list"], any),
    Overload::variadic("any", &["b"], any_args),
    // Camunda's names for `all` and `any` (from DMN 1.1).
    Overload::new("and", &["list"], all),
    Overload::variadic("and", &["list"], all_args),
    Overload::new("or", &["list"], any),
    Overload::variadic("or", &["list"], any_args),
    Overload::new("sublist", &["list", "start position"], sublist),
    Overload::new("sublist", &["list", "start position", "length"], sublist),
    // feel-scala's parameter names.
    Overload::new("sublist", &["list", "start"], sublist),
    Overload::new("sublist", &["list", "start", "length"], sublist),
    Overload::variadic("append", &["list", "item"], append),
    Overload::variadic("append", &["list", "items"], append),
    Overload::variadic("concatenate", &["list"], concatenate),
    Overload::variadic("concatenate", &["lists"], concatenate),
    Overload::new(
        "insert before",
        &["list", "position", "newItem"],
        insert_before,
    ),
    Overload::new("remove", &["list", "position"], remove),
    Overload::new("reverse", &["list"], reverse),
    Overload::new("index of", &["list", "match"], index_of),
    Overload::variadic("union", &["list"], union),
    Overload::variadic("union", &["lists"], union),
    Overload::new("distinct values", &["list"], distinct_values),
    Overload::new("duplicate values", &["list"], duplicate_values),
    Overload::new("flatten", &["list"], flatten),
    Overload::new("sort", &["list", "precedes"], sort),
    // Positional calls take the first overload of an arity, so the first one
    // accepts both a position and a match function; the second is reached by
    // naming `match`.
    Overload::new(
        "list replace",
        &["list", "position", "newItem"],
        list_replace,
    ),
    Overload::new(
        "list replace",
        &["list", "match", "newItem"],
        list_replace_match,
    ),
    Overload::new("is empty", &["list"], is_empty),
    Overload::new("partition", &["list", "size"], partition),
];

/// Defines the item-by-item form of an aggregate (`max(1, 2, 3)`): the
/// items arrive as one list, which must not be empty (`all()` is not
/// `all([])`).
macro_rules! items_form {
    ($($args:ident => $list:ident),* $(,)?) => {$(
        fn $args(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
            if a[0].as_list().is_some_and(<[Value]>::is_empty) {
                return Ok(ctx.null(
                    WarningKind::InvalidArguments,
                    "expects a list or at least one item",
                ));
            }
            $list(ctx, a)
        }
    )*};
}

items_form!(
    min_args => min,
    max_args => max,
    sum_args => sum,
    mean_args => mean,
    product_args => product,
    median_args => median,
    stddev_args => stddev,
    mode_args => mode,
    all_args => all,
    any_args => any,
);

/// Whether two values are FEEL-equal (values of different kinds are not).
fn same(a: &Value, b: &Value) -> bool {
    a.feel_eq(b) == Some(true)
}

/// `list contains(list, element)`: whether an item equals `element` (null
/// finds null).
fn list_contains(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    Ok(Value::Boolean(list.iter().any(|x| same(x, &a[1]))))
}

/// `count(list)`: the number of items.
fn count(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    Ok(Value::Number(Number::from(list.len())))
}

/// The list argument of an aggregate, which must not be empty (`what` says
/// what an empty list has none of).
fn non_empty<'v>(ctx: &mut Ctx<'_>, v: &'v Value, what: &str) -> Option<Cow<'v, [Value]>> {
    let list = list_or_item(ctx, v, "list")?;
    if list.is_empty() {
        ctx.null(
            WarningKind::InvalidValue,
            format!("an empty list has no {what}"),
        );
        return None;
    }
    Some(list)
}

/// The items as numbers, or a warning naming the first that is not one.
fn numbers(ctx: &mut Ctx<'_>, list: &[Value]) -> Option<Vec<Number>> {
    let mut out = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        match v {
            Value::Number(n) => out.push(*n),
            other => {
                ctx.null(
                    WarningKind::InvalidType,
                    format!("item {} of `list` is not a number: {}", i + 1, Brief(other)),
                );
                return None;
            }
        }
    }
    Some(out)
}

/// The least (`want = Less`) or greatest item.
fn extreme(ctx: &mut Ctx<'_>, a: &[Value], want: Ordering, what: &str) -> Out {
    let list = or_null!(non_empty(ctx, &a[0], what));
    let mut best = &list[0];
    for v in &list[1..] {
        match v.feel_cmp(best) {
            Some(o) if o == want => best = v,
            Some(_) => {}
            None => {
                return Ok(ctx.null(
                    WarningKind::NotComparable,
                    format!("cannot compare {} with {}", Brief(best), Brief(v)),
                ))
            }
        }
    }
    Ok(best.clone())
}

/// `min(list)` / `min(c1, …, cN)`: the least item; null for an empty list or
/// items that cannot be compared.
fn min(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    extreme(ctx, a, Ordering::Less, "minimum")
}

/// `max(list)` / `max(c1, …, cN)`: the greatest item.
fn max(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    extreme(ctx, a, Ordering::Greater, "maximum")
}

fn total(ctx: &mut Ctx<'_>, ns: &[Number]) -> Option<Number> {
    let mut acc = Number::ZERO;
    for n in ns {
        let Some(next) = acc.add(*n) else {
            ctx.null(WarningKind::ArithmeticError, "the sum is too large");
            return None;
        };
        acc = next;
    }
    Some(acc)
}

/// `sum(list)` / `sum(n1, …, nN)`: the sum of numbers; null for an empty list
/// (DMN 1.5: `sum([]) = null`).
fn sum(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(non_empty(ctx, &a[0], "sum"));
    let ns = or_null!(numbers(ctx, &list));
    Ok(or_null!(total(ctx, &ns)).into())
}

/// `mean(list)` / `mean(n1, …, nN)`: the arithmetic mean.
fn mean(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(non_empty(ctx, &a[0], "mean"));
    let ns = or_null!(numbers(ctx, &list));
    let t = or_null!(total(ctx, &ns));
    let m = t.div(Number::from(ns.len()));
    Ok(super::args::number_result(ctx, m, "the mean"))
}

/// `product(list)` / `product(n1, …, nN)`: the product; null for an empty list.
fn product(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(non_empty(ctx, &a[0], "product"));
    let ns = or_null!(numbers(ctx, &list));
    let mut acc = Some(Number::ONE);
    for n in ns {
        acc = acc.and_then(|p| p.mul(n));
    }
    Ok(super::args::number_result(ctx, acc, "the product"))
}

/// `median(list)` / `median(n1, …, nN)`: the middle number once sorted, or the
/// mean of the two middle ones.
fn median(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(non_empty(ctx, &a[0], "median"));
    let mut ns = or_null!(numbers(ctx, &list));
    ns.sort_by(|x, y| x.compare(*y));
    let mid = ns.len() / 2;
    if ns.len() % 2 == 1 {
        return Ok(Value::Number(ns[mid]));
    }
    let m = ns[mid - 1]
        .add(ns[mid])
        .and_then(|s| s.div(Number::from(2)));
    Ok(super::args::number_result(ctx, m, "the median"))
}

/// `stddev(list)` / `stddev(n1, …, nN)`: the sample standard deviation; null
/// for fewer than two numbers.
fn stddev(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    let ns = or_null!(numbers(ctx, &list));
    if ns.len() < 2 {
        return Ok(ctx.null(
            WarningKind::InvalidValue,
            "the standard deviation needs at least two numbers",
        ));
    }
    let count = Number::from(ns.len());
    let t = or_null!(total(ctx, &ns));
    let r = (|| {
        let mean = t.div(count)?;
        let mut squares = Number::ZERO;
        for n in &ns {
            let d = n.sub(mean)?;
            squares = squares.add(d.mul(d)?)?;
        }
        squares.div(count.sub(Number::ONE)?)?.sqrt()
    })();
    Ok(super::args::number_result(ctx, r, "the standard deviation"))
}

/// `mode(list)` / `mode(n1, …, nN)`: the most frequent numbers, ascending
/// (all of them on a tie); `[]` for an empty list.
fn mode(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    let mut ns = or_null!(numbers(ctx, &list));
    ns.sort_by(|x, y| x.compare(*y));
    let mut runs: Vec<(Number, usize)> = Vec::new();
    for n in ns {
        match runs.last_mut() {
            Some((m, c)) if m.compare(n).is_eq() => *c += 1,
            _ => runs.push((n, 1)),
        }
    }
    let top = runs.iter().map(|(_, c)| *c).max().unwrap_or(0);
    let modes = Value::list(
        runs.into_iter()
            .filter(|(_, c)| *c == top)
            .map(|(n, _)| Value::Number(n)),
    );
    built(ctx, modes)
}

/// Three-valued `all`/`any`: `decisive` is the value that settles the answer
/// (false for `all`, true for `any`).
fn logical(ctx: &mut Ctx<'_>, a: &[Value], decisive: bool) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    let mut unknown = None;
    for (i, v) in list.iter().enumerate() {
        match v {
            Value::Boolean(b) if *b == decisive => return Ok(Value::Boolean(decisive)),
            Value::Boolean(_) => {}
            other => {
                unknown.get_or_insert((i + 1, other.clone()));
            }
        }
    }
    Ok(match unknown {
        None => Value::Boolean(!decisive),
        Some((_, Value::Null)) => Value::Null,
        Some((i, other)) => ctx.null(
            WarningKind::InvalidType,
            format!("item {i} of `list` is not a boolean: {}", Brief(&other)),
        ),
    })
}

/// `all(list)` / `all(b1, …, bN)`: false if any item is false, else true if
/// all are true (and for an empty list), else null.
fn all(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    logical(ctx, a, false)
}

/// `any(list)` / `any(b1, …, bN)`: true if any item is true, else false if all
/// are false (and for an empty list), else null.
fn any(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    logical(ctx, a, true)
}

/// A 1-based position (negative from the end) as an index into `len` items.
fn index(ctx: &mut Ctx<'_>, v: &Value, param: &str, len: usize) -> Option<usize> {
    let p = integer(ctx, v, param)?;
    let len_i = len as i64;
    let i = if p > 0 { p - 1 } else { len_i + p };
    if p == 0 || i < 0 || i >= len_i {
        ctx.null(
            WarningKind::IndexOutOfBounds,
            format!("`{param}` {p} is outside a list of {len} items"),
        );
        return None;
    }
    Some(i as usize)
}

/// `sublist(list, start position, length?)`: the items from `start position`
/// (1-based, negative from the end), at most `length` of them.
fn sublist(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    let start = or_null!(index(ctx, &a[1], "start position", list.len()));
    let end = match a.get(2) {
        Some(v) => {
            let l = or_null!(integer(ctx, v, "length"));
            if l < 0 {
                return Ok(ctx.null(
                    WarningKind::InvalidValue,
                    format!("`length` must not be negative, got {l}"),
                ));
            }
            start.saturating_add(l as usize).min(list.len())
        }
        None => list.len(),
    };
    built(ctx, Value::list(list[start..end].iter().cloned()))
}

/// `append(list, item…)`: the list with the items added at the end.
fn append(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    let items = a[1].as_list().unwrap_or_default();
    ctx.charge_list(list.len().saturating_add(items.len()))?;
    Ok(Value::list(list.iter().chain(items).cloned()))
}

/// `concatenate(list…)`: the lists joined.
fn concatenate(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let lists = a[0].as_list().unwrap_or_default();
    ctx.charge_list(total_len(lists))?;
    let mut out = Vec::new();
    for l in lists {
        out.extend_from_slice(&or_null!(list_or_item(ctx, l, "list")));
    }
    Ok(Value::from(out))
}

/// The items of the lists (a non-list counts as one), for paying before
/// they are joined: the same list may be given many times.
fn total_len(lists: &[Value]) -> usize {
    lists
        .iter()
        .map(|l| l.as_list().map_or(1, <[Value]>::len))
        .fold(0, usize::saturating_add)
}

/// `insert before(list, position, newItem)`: `newItem` inserted before the item
/// at `position` (1-based, negative from the end).
fn insert_before(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    let i = or_null!(index(ctx, &a[1], "position", list.len()));
    ctx.charge_list(list.len() + 1)?;
    let mut out = list.into_owned();
    out.insert(i, a[2].clone());
    Ok(Value::from(out))
}

/// `remove(list, position)`: the list without the item at `position`.
fn remove(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    let i = or_null!(index(ctx, &a[1], "position", list.len()));
    ctx.charge_list(list.len())?;
    let mut out = list.into_owned();
    out.remove(i);
    Ok(Value::from(out))
}

/// `reverse(list)`.
fn reverse(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    ctx.charge_list(list.len())?;
    Ok(Value::list(list.iter().rev().cloned()))
}

/// `index of(list, match)`: the 1-based positions of the items equal to `match`.
fn index_of(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    let positions = Value::list(
        list.iter()
            .enumerate()
            .filter(|(_, x)| same(x, &a[1]))
            .map(|(i, _)| Value::Number(Number::from(i + 1))),
    );
    built(ctx, positions)
}

/// Spends fuel for comparing every pair of `n` items (FEEL equality cannot be
/// hashed: `1` equals `1.0`, and some values are incomparable).
fn burn_pairs(ctx: &mut Ctx<'_>, n: usize) -> Result<(), Error> {
    let n = n as u64;
    ctx.burn(n.saturating_mul(n) / 64)
}

/// `items` without repeats, keeping first occurrences.
fn distinct(items: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for v in items {
        if !out.iter().any(|x| same(x, &v)) {
            out.push(v);
        }
    }
    out
}

/// `union(list…)`: the lists joined without repeats.
fn union(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let lists = a[0].as_list().unwrap_or_default();
    ctx.charge_list(total_len(lists))?;
    let mut all = Vec::new();
    for l in lists {
        all.extend_from_slice(&or_null!(list_or_item(ctx, l, "list")));
    }
    burn_pairs(ctx, all.len())?;
    Ok(Value::from(distinct(all)))
}

/// `distinct values(list)`: the items without repeats, in first-seen order.
fn distinct_values(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    burn_pairs(ctx, list.len())?;
    built(ctx, Value::from(distinct(list.iter().cloned())))
}

/// `duplicate values(list)`: the items that occur more than once, each once
/// (Camunda extension).
fn duplicate_values(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    burn_pairs(ctx, list.len())?;
    let dups = list
        .iter()
        .enumerate()
        .filter(|(i, v)| list[i + 1..].iter().any(|x| same(x, v)))
        .map(|(_, v)| v.clone());
    built(ctx, Value::from(distinct(dups)))
}

/// Visits the items of `items` that are not lists, depth first, without
/// recursion (lists can nest as deep as a `for` with `partial` makes them),
/// until `visit` returns false.
fn each_leaf(items: &[Value], mut visit: impl FnMut(&Value) -> bool) {
    let mut stack: Vec<std::slice::Iter<'_, Value>> = vec![items.iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(Value::List(inner)) => stack.push(inner.iter()),
            Some(other) => {
                if !visit(other) {
                    return;
                }
            }
            None => {
                stack.pop();
            }
        }
    }
}

/// `flatten(list)`: nested lists replaced by their items, recursively.
fn flatten(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    // Counted before it is built: a list that holds one list many times
    // flattens to far more items than it holds (counting stops one past
    // what the budget pays for, which then fails).
    let affordable = ctx.memory_left() / std::mem::size_of::<Value>();
    let mut count = 0usize;
    each_leaf(&list, |_| {
        count += 1;
        count <= affordable
    });
    ctx.charge_list(count)?;
    ctx.burn(count as u64)?;
    let mut out = Vec::with_capacity(count);
    each_leaf(&list, |v| {
        out.push(v.clone());
        true
    });
    Ok(Value::from(out))
}

/// Asks `precedes(x, y)`; `Ok(None)` after a warning when it is not a boolean.
fn precedes(ctx: &mut Ctx<'_>, f: &Value, x: &Value, y: &Value) -> Result<Option<bool>, Error> {
    match ctx.call(f, &[x.clone(), y.clone()])? {
        Value::Boolean(b) => Ok(Some(b)),
        other => {
            ctx.null(
                WarningKind::InvalidType,
                format!(
                    "`precedes` must return a boolean, but returned {} for {} and {}",
                    Brief(&other),
                    Brief(x),
                    Brief(y)
                ),
            );
            Ok(None)
        }
    }
}

/// `sort(list, precedes)`: the list ordered so that `precedes(x, y)` holds for
/// each item `x` before `y`; a stable merge sort, so items `precedes` does not
/// order keep their order, and an inconsistent function cannot break it.
fn sort(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    let f = or_null!(function(ctx, &a[1], "precedes"));
    ctx.charge_list(list.len())?;
    let mut items = list.into_owned();
    let mut width = 1;
    while width < items.len() {
        let mut merged = Vec::with_capacity(items.len());
        for chunk in items.chunks(2 * width) {
            let (left, right) = chunk.split_at(width.min(chunk.len()));
            let (mut i, mut j) = (0, 0);
            while i < left.len() && j < right.len() {
                // Take from the right only when it strictly precedes.
                let right_first = or_null!(precedes(ctx, f, &right[j], &left[i])?);
                if right_first {
                    merged.push(right[j].clone());
                    j += 1;
                } else {
                    merged.push(left[i].clone());
                    i += 1;
                }
            }
            merged.extend_from_slice(&left[i..]);
            merged.extend_from_slice(&right[j..]);
        }
        items = merged;
        width *= 2;
    }
    Ok(Value::from(items))
}

/// `list replace(list, position, newItem)`: the item at `position` replaced.
/// Called positionally with a function as second argument, it is the `match`
/// form.
fn list_replace(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    if matches!(a[1], Value::Function(_)) {
        return list_replace_match(ctx, a);
    }
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    let i = or_null!(index(ctx, &a[1], "position", list.len()));
    ctx.charge_list(list.len())?;
    let mut out = list.into_owned();
    out[i] = a[2].clone();
    Ok(Value::from(out))
}

/// `list replace(list, match, newItem)`: every item for which `match(item,
/// newItem)` is true replaced by `newItem`.
fn list_replace_match(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    let f = or_null!(function(ctx, &a[1], "match"));
    ctx.charge_list(list.len())?;
    let mut out = Vec::with_capacity(list.len());
    for item in list.iter() {
        match ctx.call(f, &[item.clone(), a[2].clone()])? {
            Value::Boolean(true) => out.push(a[2].clone()),
            Value::Boolean(false) => out.push(item.clone()),
            other => {
                return Ok(ctx.null(
                    WarningKind::InvalidType,
                    format!(
                        "`match` must return a boolean, but returned {} for {}",
                        Brief(&other),
                        Brief(item)
                    ),
                ))
            }
        }
    }
    Ok(Value::from(out))
}

/// `is empty(list)`: whether the list has no items (Camunda extension).
fn is_empty(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    Ok(Value::Boolean(list.is_empty()))
}

/// `partition(list, size)`: consecutive sublists of `size` items, the last
/// possibly shorter (Camunda extension); null unless `size > 0`.
fn partition(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let list = or_null!(list_or_item(ctx, &a[0], "list"));
    let size = or_null!(number(ctx, &a[1], "size"));
    let Some(size) = size.to_i64().filter(|s| *s > 0) else {
        return Ok(ctx.null(
            WarningKind::InvalidValue,
            format!("`size` must be a positive integer, got {size}"),
        ));
    };
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    ctx.charge_list(list.len().saturating_add(list.len().div_ceil(size)))?;
    Ok(Value::list(
        list.chunks(size).map(|c| Value::list(c.iter().cloned())),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::value::Value;

    const T: Value = Value::Boolean(true);
    const F: Value = Value::Boolean(false);
    const NULL: Value = Value::Null;

    fn nums(xs: &[&str]) -> Value {
        Value::list(xs.iter().map(|x| n(x)))
    }

    #[test]
    fn membership_and_counting() {
        assert_eq!(call("list contains", &[nums(&["1", "2"]), n("2.0")]), T);
        assert_eq!(call("list contains", &[l([n("1"), NULL]), NULL]), T);
        assert_eq!(call("list contains", &[nums(&["1"]), s("1")]), F);
        assert_text("count", &[nums(&["1", "2", "3"])], "3");
        assert_text("count", &[n("5")], "1");
        assert_null("count", &[NULL]);
        assert_text("index of", &[nums(&["1", "2", "3", "2"]), n("2")], "[2, 4]");
    }

    #[test]
    fn aggregates() {
        assert_text("min", &[nums(&["3", "1", "2"])], "1");
        assert_text("min", &[n("3"), n("1"), n("2")], "1");
        assert_text("max", &[l([s("a"), s("c"), s("b")])], "\"c\"");
        assert_null("min", &[l([])]);
        assert_null("max", &[l([n("1"), s("a")])]);
        assert_text("sum", &[n("1"), n("2"), n("3.5")], "6.5");
        assert_text("sum", &[n("4")], "4");
        assert_null("sum", &[l([])]);
        assert_null("sum", &[l([n("1"), NULL])]);
        assert_text(
            "mean",
            &[nums(&["1", "2", "4"])],
            "2.333333333333333333333333333",
        );
        assert_text("product", &[nums(&["2.5", "1", "2.5", "3"])], "18.75");
        assert_null("product", &[l([])]);
        assert_text("median", &[nums(&["8", "2", "5", "3", "4"])], "4");
        assert_text("median", &[nums(&["6", "1", "2", "3"])], "2.5");
        assert_null("median", &[l([])]);
        // Python: the sample deviation of [2, 4, 7, 5] is sqrt(13/3); to 28 digits
        // with decimal at prec 40.
        assert_text(
            "stddev",
            &[nums(&["2", "4", "7", "5"])],
            "2.081665999466132735282297707",
        );
        assert_null("stddev", &[nums(&["47"])]);
        assert_text(
            "mode",
            &[nums(&["3", "6", "1", "9", "6", "1", "3"])],
            "[1, 3, 6]",
        );
        assert_text("mode", &[l([])], "[]");
        assert_null("mode", &[l([n("1"), s("a")])]);
    }

    #[test]
    fn all_and_any_are_three_valued() {
        assert_eq!(call("all", &[l([])]), T);
        assert_eq!(call("all", &[l([T, F, NULL])]), F);
        assert_eq!(call_w("all", &[l([T, NULL])]), (NULL, vec![]));
        assert_null("all", &[l([T, n("1")])]);
        assert_eq!(call("all", &[T, T]), T);
        assert_null("all", &[]);
        assert_null("any", &[]);
        assert_null("mode", &[]);
        assert_eq!(call("any", &[l([])]), F);
        assert_eq!(call("any", &[l([F, NULL, T])]), T);
        assert_eq!(call("any", &[NULL, F]), NULL);
        assert_null("any", &[n("123")]);
    }

    #[test]
    fn positions() {
        let abc = l([s("a"), s("b"), s("c")]);
        assert_text("sublist", &[abc.clone(), n("-1"), n("1")], "[\"c\"]");
        assert_text("sublist", &[abc.clone(), n("2")], "[\"b\", \"c\"]");
        assert_text(
            "sublist",
            &[abc.clone(), n("1"), n("9")],
            "[\"a\", \"b\", \"c\"]",
        );
        assert_null("sublist", &[abc.clone(), n("4")]);
        assert_null("sublist", &[abc.clone(), n("0")]);
        assert_text(
            "insert before",
            &[abc.clone(), n("2"), s("x")],
            "[\"a\", \"x\", \"b\", \"c\"]",
        );
        assert_text(
            "insert before",
            &[abc.clone(), n("-1"), s("x")],
            "[\"a\", \"b\", \"x\", \"c\"]",
        );
        assert_null("insert before", &[abc.clone(), n("5"), s("x")]);
        assert_text("remove", &[abc.clone(), n("2")], "[\"a\", \"c\"]");
        assert_null("remove", &[abc.clone(), n("-4")]);
        assert_text(
            "list replace",
            &[abc.clone(), n("2"), s("x")],
            "[\"a\", \"x\", \"c\"]",
        );
        assert_text("reverse", &[abc], "[\"c\", \"b\", \"a\"]");
    }

    #[test]
    fn building_lists() {
        assert_text(
            "append",
            &[nums(&["1"]), n("2"), nums(&["3"])],
            "[1, 2, [3]]",
        );
        assert_text("append", &[nums(&["1"])], "[1]");
        assert_text(
            "concatenate",
            &[nums(&["1"]), l([]), nums(&["2", "3"])],
            "[1, 2, 3]",
        );
        assert_null("concatenate", &[nums(&["1"]), NULL]);
        assert_text(
            "union",
            &[nums(&["1", "2"]), nums(&["2.0", "3"])],
            "[1, 2, 3]",
        );
        assert_text(
            "distinct values",
            &[nums(&["1", "2", "1", "3", "2"])],
            "[1, 2, 3]",
        );
        assert_text(
            "duplicate values",
            &[nums(&["1", "2", "3", "2", "1"])],
            "[1, 2]",
        );
        assert_text(
            "flatten",
            &[l([l([s("w"), l([s("x")])]), s("y"), l([])])],
            "[\"w\", \"x\", \"y\"]",
        );
        assert_eq!(call("is empty", &[l([])]), T);
        assert_eq!(call("is empty", &[nums(&["1"])]), F);
        assert_text(
            "partition",
            &[nums(&["1", "2", "3", "4", "5"]), n("2")],
            "[[1, 2], [3, 4], [5]]",
        );
        assert_text("partition", &[l([]), n("2")], "[]");
        assert_null("partition", &[nums(&["1"]), n("0")]);
    }

    /// A built-in as a function value (`before(point1, point2)` is `<`).
    fn builtin(name: &'static str) -> Value {
        use crate::value::{Function, FunctionRepr};
        Value::Function(Function(std::sync::Arc::new(FunctionRepr::Builtin(name))))
    }

    #[test]
    fn sort_with_a_precedes_function() {
        let before = builtin("before");
        assert_text(
            "sort",
            &[
                nums(&["3", "1", "4", "1", "5", "9", "2", "6"]),
                before.clone(),
            ],
            "[1, 1, 2, 3, 4, 5, 6, 9]",
        );
        assert_text(
            "sort",
            &[nums(&["3", "1", "2"]), builtin("after")],
            "[3, 2, 1]",
        );
        assert_text("sort", &[l([]), before.clone()], "[]");
        // A precedes function that does not answer with a boolean.
        let (v, w) = call_w("sort", &[l([n("1"), s("a")]), before]);
        assert_eq!(v, NULL);
        assert!(
            w.last()
                .unwrap()
                .message
                .starts_with("sort: `precedes` must return a boolean"),
            "{w:?}"
        );
        assert_null("sort", &[nums(&["2", "1"]), n("1")]);
    }

    #[test]
    fn list_replace_with_a_match_function() {
        // `before(item, newItem)`: replace every item less than the new one.
        let got = call(
            "list replace",
            &[nums(&["5", "1", "7", "2"]), builtin("before"), n("3")],
        );
        assert_eq!(got.to_string(), "[5, 3, 7, 3]");
    }
}
