//! Deep recursion without stack overflow.
//!
//! The parser's tree builder, the evaluator, the input analysis and some
//! built-ins walk trees and values recursively. Parsing bounds an
//! expression's depth, but values built at run time (nested lists and
//! contexts) and their comparison, printing and dropping are bounded by
//! nothing else, so each such walk runs its recursion through
//! [`grow_stack`].

/// Below this much free stack, a recursive walk continues on a new segment.
pub(crate) const RED_ZONE: usize = 128 * 1024;
/// The size of each new stack segment.
pub(crate) const STACK_SEGMENT: usize = 1024 * 1024;

/// Runs `f` where at least [`RED_ZONE`] of stack is left: on a new segment
/// when this one runs low.
pub(crate) fn grow_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, f)
}
