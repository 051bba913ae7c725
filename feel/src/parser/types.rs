//! Types in `instance of` and in typed function parameters (rule 54 of DMN
//! 1.5: names, `list<T>`, `range<T>`, `context<k: T, …>`, `function<T, …> -> R`).

use pest::iterators::Pair;

use super::{Builder, Rule};
use crate::ast::{Name, Type};
use crate::error::{ParseError, Span};
use crate::stack::{RED_ZONE, STACK_SEGMENT};

impl Builder<'_> {
    /// The type a `type_ref` pair denotes, and its height (nested types count
    /// towards the depth limit like nested expressions).
    pub(super) fn type_ref(
        &self,
        pair: Pair<'_, Rule>,
        depth: usize,
    ) -> Result<(Type, usize), ParseError> {
        let span = self.span(&pair);
        self.check_depth(depth, span)?;
        stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
            self.type_inner(pair, span, depth)
        })
    }

    fn type_inner(
        &self,
        pair: Pair<'_, Rule>,
        span: Span,
        depth: usize,
    ) -> Result<(Type, usize), ParseError> {
        let inner = pair
            .into_inner()
            .next()
            .ok_or_else(|| self.internal_at(span))?;
        let rule = inner.as_rule();
        let mut parts = Builder::parts(inner);
        let sub = |parts: &mut dyn Iterator<Item = Pair<'_, Rule>>| {
            let p = parts.next().ok_or_else(|| self.internal_at(span))?;
            self.type_ref(p, depth + 1)
        };
        Ok(match rule {
            Rule::list_type => {
                let (t, h) = sub(&mut parts)?;
                (Type::List(Box::new(t)), h + 1)
            }
            Rule::range_type => {
                let (t, h) = sub(&mut parts)?;
                (Type::Range(Box::new(t)), h + 1)
            }
            Rule::context_type => {
                let mut entries = Vec::new();
                let mut height = 0;
                for entry in parts {
                    let mut entry_parts = Self::parts(entry);
                    let name = entry_parts.next().ok_or_else(|| self.internal_at(span))?;
                    let (t, h) = sub(&mut entry_parts)?;
                    height = height.max(h);
                    entries.push((self.name(name)?, t));
                }
                (Type::Context(entries), height + 1)
            }
            Rule::function_type => {
                let mut types = Vec::new();
                let mut height = 0;
                for p in parts {
                    let (t, h) = self.type_ref(p, depth + 1)?;
                    height = height.max(h);
                    types.push(t);
                }
                match types.pop() {
                    None => (Type::Function(None), 1),
                    Some(result) => (Type::Function(Some((types, Box::new(result)))), height + 1),
                }
            }
            Rule::named_type => {
                let names = parts
                    .map(|p| self.name(p))
                    .collect::<Result<Vec<Name>, _>>()?;
                let ty = match names.as_slice() {
                    [one] => named_type(one),
                    _ => Type::Other(names.join(".").into()),
                };
                (ty, 1)
            }
            _ => return Err(self.internal_at(span)),
        })
    }
}

/// The type a single name denotes in `instance of` and parameter declarations.
fn named_type(name: &Name) -> Type {
    match &**name {
        "Any" => Type::Any,
        "Null" => Type::Null,
        "number" => Type::Number,
        "string" => Type::String,
        "boolean" => Type::Boolean,
        "date" => Type::Date,
        "time" => Type::Time,
        "date and time" => Type::DateTime,
        "days and time duration" => Type::DayTimeDuration,
        "years and months duration" => Type::YearMonthDuration,
        "list" => Type::List(Box::new(Type::Any)),
        "range" => Type::Range(Box::new(Type::Any)),
        "context" => Type::Context(Vec::new()),
        "function" => Type::Function(None),
        _ => Type::Other(name.clone()),
    }
}
