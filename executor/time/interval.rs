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
    let start = expect_current("busy_chef::time::interval").timers.now();
    Interval {
        period,
        next: start,
        sleep: sleep_until(start),
    }
}

/// The stream of ticks returned by [`interval`]. It is a futures-lite
/// [`Stream`] that never ends.
///
/// ```
/// use std::time::Duration;
/// use busy_chef::time::{interval, Instant, Interval};
/// use futures_lite::StreamExt;
///
/// busy_chef::Executor::simulated().block_on(async {
///     let ticks: Interval = interval(Duration::from_millis(100));
///     let at: Vec<Instant> = ticks.take(3).collect().await;
///     let millis: Vec<u128> = at.iter().map(|t| t.since_origin().as_millis()).collect();
///     assert_eq!(millis, [0, 100, 200]);
/// });
/// ```
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    next: Instant,
    sleep: Sleep,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::{interval, sleep, Instant};
    ///
    /// busy_chef::Executor::simulated().block_on(async {
    ///     let start = Instant::now();
    ///     let mut ticks = interval(Duration::from_secs(1));
    ///     assert_eq!(ticks.tick().await, start); // the first tick: at once
    ///     sleep(Duration::from_millis(2500)).await; // fall behind
    ///     // The missed ticks come at once, each with the time it was due.
    ///     assert_eq!(ticks.tick().await - start, Duration::from_secs(1));
    ///     assert_eq!(ticks.tick().await - start, Duration::from_secs(2));
    ///     assert_eq!(start.elapsed(), Duration::from_millis(2500));
    ///     // Caught up: the next one keeps the schedule.
    ///     assert_eq!(ticks.tick().await - start, Duration::from_secs(3));
    ///     assert_eq!(start.elapsed(), Duration::from_secs(3));
    /// });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick (for hand-written futures). When it returns
    /// `Pending`, the waker in `cx` is woken at the next tick.
    ///
    /// ```
    /// use std::task::{Context, Waker};
    /// use std::time::Duration;
    /// use busy_chef::time::interval;
    ///
    /// busy_chef::Executor::simulated().block_on(async {
    ///     let mut ticks = interval(Duration::from_millis(100));
    ///     let mut cx = Context::from_waker(Waker::noop());
    ///     assert!(ticks.poll_tick(&mut cx).is_ready(), "the first tick is now");
    ///     assert!(ticks.poll_tick(&mut cx).is_pending(), "the next is 100 ms away");
    /// });
    /// ```
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
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::interval;
    ///
    /// busy_chef::Executor::simulated().block_on(async {
    ///     let ticks = interval(Duration::from_millis(250));
    ///     assert_eq!(ticks.period(), Duration::from_millis(250));
    /// });
    /// ```
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
