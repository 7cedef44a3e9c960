//! Two clocks: the real one, and a simulated one for tests and the book.
//!
//! Book chapter: *`sleep`, a leaf future* (`book/src/sleep.md`).
//!
//! The executor reads time from its [`Clock`]. A real clock reads the
//! operating system's monotonic clock. A simulated clock only moves when the
//! executor moves it: when no task is ready, it jumps straight to the next
//! timer's deadline. A program that sleeps for an hour then finishes at once,
//! and prints the same timings on every run.
//!
//! The timer wheel counts time in *ticks* of one millisecond since the clock's
//! origin (the moment the executor was created; zero for a simulated clock).
//! Converting a deadline to a tick rounds **up**, so a timer never fires
//! early; converting "now" rounds **down**, for the same reason.

use std::cell::Cell;
use std::fmt;
use std::time::Duration;

use super::instant::Instant;
use crate::collections::wheel::Tick;

/// A tick that never comes: deadlines too far away to count (`sleep(Duration::MAX)`).
pub(crate) const NEVER: Tick = Tick::MAX;

const TICK: Duration = Duration::from_millis(1);

pub(crate) enum Clock {
    Real { origin: Instant },
    Simulated { origin: Instant, now: Cell<Instant> },
}

impl Clock {
    pub(crate) fn real() -> Self {
        Clock::Real {
            origin: Instant::real_now(),
        }
    }

    pub(crate) fn simulated() -> Self {
        Clock::Simulated {
            origin: Instant::ZERO,
            now: Cell::new(Instant::ZERO),
        }
    }

    pub(crate) fn is_simulated(&self) -> bool {
        matches!(self, Clock::Simulated { .. })
    }

    pub(crate) fn now(&self) -> Instant {
        match self {
            Clock::Real { .. } => Instant::real_now(),
            Clock::Simulated { now, .. } => now.get(),
        }
    }

    fn origin(&self) -> Instant {
        match self {
            Clock::Real { origin } | Clock::Simulated { origin, .. } => *origin,
        }
    }

    // ANCHOR: ticks
    /// The first tick at or after `deadline` (rounds up: never early).
    pub(crate) fn tick_at_or_after(&self, deadline: Instant) -> Tick {
        let since = deadline.saturating_duration_since(self.origin());
        // Whole milliseconds, plus one for a part of one. Deadlines that do
        // not fit in 64-bit milliseconds (580 million years) saturate to
        // `NEVER`: they never come.
        let whole = since
            .as_secs()
            .saturating_mul(1000)
            .saturating_add(u64::from(since.subsec_millis()));
        let part = since.subsec_nanos() % TICK.subsec_nanos() != 0;
        whole.saturating_add(u64::from(part))
    }

    /// The last tick at or before `now` (rounds down: never early).
    pub(crate) fn tick_at_or_before(&self, now: Instant) -> Tick {
        let since = now.saturating_duration_since(self.origin());
        Tick::try_from(since.as_millis()).unwrap_or(NEVER - 1)
    }
    // ANCHOR_END: ticks

    /// The instant at which `tick` begins.
    pub(crate) fn instant_of(&self, tick: Tick) -> Instant {
        self.origin().saturating_add(Duration::from_millis(tick))
    }

    /// The real-clock deadline to park until for `tick`, if it is representable.
    pub(crate) fn std_deadline_of(&self, tick: Tick) -> Option<std::time::Instant> {
        self.instant_of(tick).to_std()
    }

    /// Simulated clock only: jump forward to the start of `tick`.
    pub(crate) fn advance_to(&self, tick: Tick) {
        if let Clock::Simulated { now, .. } = self {
            let target = self.instant_of(tick);
            if target > now.get() {
                now.set(target);
            }
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clock::Real { origin } => f.debug_struct("Real").field("origin", origin).finish(),
            Clock::Simulated { now, .. } => f
                .debug_struct("Simulated")
                .field("now", &now.get())
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_and_now_rounds_down() {
        let clock = Clock::simulated();
        let at = |nanos| Instant::ZERO.saturating_add(Duration::from_nanos(nanos));
        assert_eq!(clock.tick_at_or_after(at(0)), 0);
        assert_eq!(clock.tick_at_or_after(at(1)), 1);
        assert_eq!(clock.tick_at_or_after(at(1_000_000)), 1);
        assert_eq!(clock.tick_at_or_after(at(1_000_001)), 2);
        assert_eq!(clock.tick_at_or_before(at(1_999_999)), 1);
        assert_eq!(clock.tick_at_or_before(at(2_000_000)), 2);
        assert_eq!(clock.tick_at_or_after(Instant::FAR_FUTURE), NEVER);
        let ms = |ms: u64| Instant::ZERO.saturating_add(Duration::from_millis(ms));
        assert_eq!(clock.tick_at_or_after(ms(NEVER - 1)), NEVER - 1);
        assert_eq!(clock.tick_at_or_after(ms(NEVER)), NEVER);
        let beyond = Duration::from_millis(NEVER) + Duration::from_nanos(1);
        assert_eq!(
            clock.tick_at_or_after(Instant::ZERO.saturating_add(beyond)),
            NEVER
        );
    }
}
