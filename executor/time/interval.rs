//! `Interval`: a sleep that comes back every `period`.
//!
//! Book chapter: *Everyday async* (`book/src/everyday-async.md`).
//!
//! An `Interval` is also a [`Stream`] of ticks (the trait of `futures-lite`,
//! the same as `futures`'), so stream combinators work on it.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_lite::Stream;

use crate::base::instant::Instant;
use crate::runtime::core::expect_current;

use super::sleep::{sleep_until, Sleep};

/// Ticks every `period`, starting now: the first [`tick`](Interval::tick)
/// completes at once, the next one `period` later, and so on.
///
/// Ticks are scheduled at `start + n × period`, so they do not drift. If the
/// program falls behind (a tick is awaited late), the missed ticks complete
/// immediately, one per call, until the schedule is caught up (tokio calls
/// this "burst").
///
/// ```
/// use std::time::Duration;
/// use busy_chef::time::{interval, Instant};
///
/// busy_chef::Executor::simulated().block_on(async {
///     let start = Instant::now();
///     let mut ticks = interval(Duration::from_secs(1));
///     for expected in [0, 1, 2] {
///         let tick = ticks.tick().await;
///         assert_eq!(tick - start, Duration::from_secs(expected));
///     }
/// });
/// ```
///
/// # Panics
///
/// If `period` is zero, or no busy-chef executor is running on this thread.
pub fn interval(period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "busy_chef::time::interval needs a period greater than zero"
    );
    let start = expect_current("busy_chef::time::interval", |core| core.timers.now());
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

impl Stream for Interval {
    type Item = Instant;

    /// Never ends: the next item is the next tick.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}
