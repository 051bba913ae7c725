//! The clock that `now()` and `today()` read.

use chrono::{DateTime, FixedOffset, Utc};

/// A source of the current date and time. Inject a [`FixedClock`] to make
/// `now()` and `today()` reproducible.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant, with the offset `now()` should report.
    fn now(&self) -> DateTime<FixedOffset>;
}

/// The system clock, in UTC.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        Utc::now().fixed_offset()
    }
}

/// A clock stopped at one instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<FixedOffset>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        self.0
    }
}
