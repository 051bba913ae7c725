//! Paths, filters, `for`, `some` and `every`.

use std::sync::Arc;

use super::ops::integer_span;
use super::{EvalResult, Evaluator};
use crate::ast::{Domain, Expr, Iteration, Quantifier};
use crate::error::{Error, ErrorKind, Span, WarningKind};
use crate::temporal;
use crate::value::list_bytes;
use crate::value::{Bound, Date, Value};

/// The most items a `for` span or range domain may produce (a guard against
/// `for i in 1..1000000000000`; fuel limits the work too when configured).
const MAX_SPAN: i64 = 10_000_000;

impl Evaluator<'_> {
    /// `base.name`
    pub(super) fn path(&mut self, base: Value, name: &str, span: Span) -> EvalResult {
        if let Value::List(items) = &base {
            self.charge(list_bytes(items.len()), span)?;
        }
        Ok(match &base {
            Value::Context(c) => match c.get(name) {
                Some(v) => v.clone(),
                None => self.warn(
                    WarningKind::NoContextEntryFound,
                    format!("no context entry found with key '{name}'"),
                    span,
                ),
            },
            Value::List(items) => {
                let mapped: Vec<Value> = items
                    .iter()
                    .map(|item| match item {
                        Value::Context(c) => c.get(name).cloned().unwrap_or(Value::Null),
                        Value::Null => Value::Null,
                        other => self.property(other, name, span),
                    })
                    .collect();
                Value::List(mapped.into())
            }
            Value::Null => Value::Null,
            other => self.property(other, name, span),
        })
    }

    fn property(&mut self, v: &Value, name: &str, span: Span) -> Value {
        if let Value::Range(r) = v {
            let found = match name {
                "start" => Some(r.start.value().cloned().unwrap_or(Value::Null)),
                "end" => Some(r.end.value().cloned().unwrap_or(Value::Null)),
                "start included" => Some(Value::Boolean(r.start.is_included())),
                "end included" => Some(Value::Boolean(r.end.is_included())),
                _ => None,
            };
            if let Some(found) = found {
                return found;
            }
        } else if let Some(found) = temporal::property(v, name) {
            return found;
        }
        self.warn(
            WarningKind::NoContextEntryFound,
            format!("{} has no property '{name}'", v.kind()),
            span,
        )
    }

    /// `base[filter]`: a boolean filter (with `item` and the item's entries in
    /// scope) or a 1-based index (negative counts from the end).
    pub(super) fn filter(&mut self, base: Value, filter: &Expr, span: Span) -> EvalResult {
        let items: Arc<[Value]> = match base {
            Value::List(items) => items,
            Value::Null => return Ok(Value::Null),
            single => Arc::from(vec![single]),
        };
        if items.is_empty() {
            // Nothing to bind `item` to: a numeric filter selects nothing.
            return Ok(match self.eval(filter)? {
                Value::Number(_) => Value::Null,
                _ => Value::List(items),
            });
        }
        let mut kept = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let mark = self.scope.mark();
            self.scope.push_item(item.clone());
            let result = self.eval(filter);
            self.scope.truncate(mark);
            match result? {
                Value::Boolean(true) => {
                    self.charge(list_bytes(1), span)?;
                    kept.push(item.clone());
                }
                Value::Number(n) if i == 0 => return Ok(self.index(&items, n, span)),
                _ => {}
            }
        }
        Ok(Value::List(kept.into()))
    }

    fn index(&mut self, items: &[Value], n: crate::value::Number, span: Span) -> Value {
        let len = items.len() as i64;
        let position = n.to_i64().and_then(|i| match i {
            i if i >= 1 && i <= len => Some(i - 1),
            i if i <= -1 && -i <= len => Some(len + i),
            _ => None,
        });
        match position.and_then(|p| usize::try_from(p).ok()) {
            Some(p) => items[p].clone(),
            None => self.warn(
                WarningKind::IndexOutOfBounds,
                format!("index {n} is out of bounds for a list of {len} items"),
                span,
            ),
        }
    }

    /// The items of an iteration domain.
    fn domain(&mut self, it: &Iteration) -> Result<Option<Arc<[Value]>>, Error> {
        match &it.domain {
            Domain::Expr(e) => Ok(match self.eval(e)? {
                Value::List(items) => Some(items),
                Value::Range(r) => self.range_items(&r.start, &r.end, it.span)?,
                Value::Null => None,
                single => Some(Arc::from(vec![single])),
            }),
            Domain::Span(a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                if let (Value::Date(x), Value::Date(y)) = (&a, &b) {
                    return self.date_span(*x, *y, it.span).map(Some);
                }
                let (Value::Number(x), Value::Number(y)) = (&a, &b) else {
                    self.warn(
                        WarningKind::InvalidType,
                        format!(
                            "an iteration span needs two numbers or two dates, not {} and {}",
                            a.kind(),
                            b.kind()
                        ),
                        it.span,
                    );
                    return Ok(None);
                };
                match integer_span(*x, *y) {
                    Some((x, y)) => self.span_items(x, y, it.span).map(Some),
                    None => {
                        self.warn(
                            WarningKind::InvalidValue,
                            format!("an iteration span needs integers, not {x}..{y}"),
                            it.span,
                        );
                        Ok(None)
                    }
                }
            }
        }
    }

    /// The integers of a range over integers (`for i in [1..3)`).
    fn range_items(
        &mut self,
        start: &Bound,
        end: &Bound,
        span: Span,
    ) -> Result<Option<Arc<[Value]>>, Error> {
        let int = |b: &Bound| match b.value() {
            Some(Value::Number(n)) => n.to_i64(),
            _ => None,
        };
        let (Some(mut a), Some(mut b)) = (int(start), int(end)) else {
            self.warn(
                WarningKind::InvalidType,
                "only ranges with integer bounds can be iterated".into(),
                span,
            );
            return Ok(None);
        };
        if a > b {
            self.warn(
                WarningKind::InvalidValue,
                format!("a range to iterate must not start after its end ({a} > {b})"),
                span,
            );
            return Ok(None);
        }
        if !start.is_included() {
            a = a.saturating_add(1);
        }
        if !end.is_included() {
            b = b.saturating_sub(1);
        }
        if a > b {
            return Ok(Some(Arc::from(Vec::new())));
        }
        self.span_items(a, b, span).map(Some)
    }

    /// Pays for a span of `count` items (`a..b`): fuel first, since an
    /// embedder's budget is the limit they chose, then the absolute cap.
    fn reserve_span(
        &mut self,
        count: u64,
        a: &dyn std::fmt::Display,
        b: &dyn std::fmt::Display,
        span: Span,
    ) -> Result<(), Error> {
        self.burn(count, span)?;
        self.charge(
            list_bytes(usize::try_from(count).unwrap_or(usize::MAX)),
            span,
        )?;
        if count > MAX_SPAN as u64 {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!("the iteration {a}..{b} has more than {MAX_SPAN} items"),
            )
            .with_span(span));
        }
        Ok(())
    }

    fn span_items(&mut self, a: i64, b: i64, span: Span) -> Result<Arc<[Value]>, Error> {
        self.reserve_span(a.abs_diff(b).saturating_add(1), &a, &b, span)?;
        let items: Vec<Value> = if a <= b {
            (a..=b).map(Value::from).collect()
        } else {
            (b..=a).rev().map(Value::from).collect()
        };
        Ok(items.into())
    }

    /// The days from `a` to `b` (counting down if `a` is later).
    fn date_span(&mut self, a: Date, b: Date, span: Span) -> Result<Arc<[Value]>, Error> {
        let days = b.days_since(a);
        self.reserve_span(days.unsigned_abs().saturating_add(1), &a, &b, span)?;
        let step = if days >= 0 { 1 } else { -1 };
        let items: Vec<Value> = (0..=days.abs())
            .filter_map(|i| a.plus_days(i * step).map(Value::Date))
            .collect();
        Ok(items.into())
    }

    /// `for a in x, b in y return body`: the body for every combination, in
    /// order, with `partial` bound to the results so far.
    pub(super) fn for_loop(
        &mut self,
        iterations: &[Iteration],
        body: &Expr,
        span: Span,
    ) -> EvalResult {
        let mut results = Vec::new();
        let mark = self.scope.mark();
        // `partial` is a copy of the results so far: made only when the body
        // reads it, and paid for in fuel (it makes the loop quadratic).
        let partial = super::unary::mentions(body, "partial");
        let outcome = self.for_level(iterations, body, partial, &mut results, span);
        self.scope.truncate(mark);
        match outcome? {
            true => Ok(Value::List(results.into())),
            false => Ok(Value::Null),
        }
    }

    /// Returns false when a domain was not iterable (the loop yields null).
    fn for_level(
        &mut self,
        iterations: &[Iteration],
        body: &Expr,
        partial: bool,
        results: &mut Vec<Value>,
        span: Span,
    ) -> Result<bool, Error> {
        let Some((first, rest)) = iterations.split_first() else {
            let mark = self.scope.mark();
            if partial {
                self.burn(results.len() as u64, body.span)?;
                self.charge(list_bytes(results.len()), span)?;
                self.scope.push_var(
                    super::scope::fixed_name("partial"),
                    Value::List(results.clone().into()),
                );
            }
            let v = self.eval(body);
            self.scope.truncate(mark);
            let v = v?;
            self.charge(list_bytes(1), span)?;
            results.push(v);
            return Ok(true);
        };
        let Some(items) = self.domain(first)? else {
            return Ok(false);
        };
        let mark = self.scope.mark();
        self.scope.push_var(Arc::clone(&first.name), Value::Null);
        if rest.is_empty() && !partial {
            // One iteration context (the usual loop): the body directly.
            self.charge(list_bytes(items.len()), span)?;
            results.reserve(items.len());
            for item in items.iter() {
                self.burn(1, first.span)?;
                self.scope.set_top(item.clone());
                match self.eval(body) {
                    Ok(v) => results.push(v),
                    Err(e) => {
                        self.scope.truncate(mark);
                        return Err(e);
                    }
                }
            }
            self.scope.truncate(mark);
            return Ok(true);
        }
        for item in items.iter() {
            self.burn(1, first.span)?;
            self.scope.set_top(item.clone());
            let inner = self.scope.mark();
            // One level per iteration context, which only the length of the
            // source bounds: on a stack with room for it.
            let ok =
                crate::stack::grow_stack(|| self.for_level(rest, body, partial, results, span));
            self.scope.truncate(inner);
            if !ok? {
                self.scope.truncate(mark);
                return Ok(false);
            }
        }
        self.scope.truncate(mark);
        Ok(true)
    }

    /// `some`/`every … satisfies cond`.
    pub(super) fn quantified(
        &mut self,
        q: Quantifier,
        iterations: &[Iteration],
        cond: &Expr,
    ) -> EvalResult {
        let mark = self.scope.mark();
        let outcome = self.quantified_level(q, iterations, cond);
        self.scope.truncate(mark);
        Ok(match outcome? {
            Some(b) => Value::Boolean(b),
            None => Value::Null,
        })
    }

    /// Some(true) for `some` as soon as one combination satisfies, Some(false)
    /// for `every` as soon as one does not; None when a domain is not iterable.
    fn quantified_level(
        &mut self,
        q: Quantifier,
        iterations: &[Iteration],
        cond: &Expr,
    ) -> Result<Option<bool>, Error> {
        let Some((first, rest)) = iterations.split_first() else {
            let satisfied = matches!(self.eval(cond)?, Value::Boolean(true));
            return Ok(Some(satisfied));
        };
        let Some(items) = self.domain(first)? else {
            return Ok(None);
        };
        let mark = self.scope.mark();
        self.scope.push_var(Arc::clone(&first.name), Value::Null);
        let decisive = q == Quantifier::Some;
        if rest.is_empty() {
            // One iteration context (the usual case): the condition directly.
            for item in items.iter() {
                self.burn(1, first.span)?;
                self.scope.set_top(item.clone());
                match self.eval(cond) {
                    // Only `true` satisfies (null and non-booleans do not).
                    Ok(v) if matches!(v, Value::Boolean(true)) == decisive => {
                        self.scope.truncate(mark);
                        return Ok(Some(decisive));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        self.scope.truncate(mark);
                        return Err(e);
                    }
                }
            }
            self.scope.truncate(mark);
            return Ok(Some(!decisive));
        }
        for item in items.iter() {
            self.burn(1, first.span)?;
            self.scope.set_top(item.clone());
            let inner = self.scope.mark();
            let r = crate::stack::grow_stack(|| self.quantified_level(q, rest, cond));
            self.scope.truncate(inner);
            match r? {
                Some(b) if b == decisive => {
                    self.scope.truncate(mark);
                    return Ok(Some(decisive));
                }
                Some(_) => {}
                None => {
                    self.scope.truncate(mark);
                    return Ok(None);
                }
            }
        }
        self.scope.truncate(mark);
        Ok(Some(!decisive))
    }
}
