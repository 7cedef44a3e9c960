//! `Interval`: a sleep that comes back every `period`.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::time::{sleep_until, Instant, Sleep};

/// Ticks every `period`, starting now: the first [`tick`](Interval::tick)
/// completes at once, the next one `period` later, and so on.
///
/// Ticks are scheduled at `start + n × period`, so they do not drift. If the
/// program falls behind (a tick is awaited late), the missed ticks complete
/// immediately, one per call, until the schedule is caught up (tokio calls
/// this "burst").
///
/// # Panics
///
/// If `period` is zero, or no busy-chef executor is running on this thread.
pub fn interval(period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "busy_chef::time::interval needs a period greater than zero"
    );
    let start = crate::context::expect_core("busy_chef::time::interval", |core| core.clock.now());
    Interval {
        period,
        next: start,
        sleep: sleep_until(start),
    }
}

/// The stream of ticks returned by [`interval`].
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    next: Instant,
    sleep: Sleep,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick (for hand-written futures).
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.next;
        self.next = scheduled + self.period;
        self.sleep.reset(self.next);
        Poll::Ready(scheduled)
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }
}
