//! `Instant::now`: the time on the clock of the executor running here.
//!
//! Book chapter: *`sleep`, a leaf future* (`book/src/sleep.md`).
//!
//! `Instant` itself, a plain value, is in `base/instant.rs`; reading it
//! needs the running executor, which only this layer may look up.

use std::time::Duration;

use crate::base::instant::Instant;
use crate::runtime::core::current;

impl Instant {
    /// Now, on the clock of the executor running on this thread (real or
    /// simulated); outside any executor, on the real clock.
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::{sleep, Instant};
    ///
    /// busy_chef::Executor::simulated().block_on(async {
    ///     let start = Instant::now();
    ///     assert_eq!(start.since_origin(), Duration::ZERO, "a simulated clock starts at zero");
    ///     sleep(Duration::from_millis(1500)).await;
    ///     assert_eq!(Instant::now() - start, Duration::from_millis(1500));
    /// });
    /// ```
    pub fn now() -> Instant {
        match current() {
            Some(core) => core.timers.now(),
            None => Instant::real_now(),
        }
    }

    /// Time since this instant, on the same clock as [`Instant::now`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::{sleep, Instant};
    ///
    /// busy_chef::Executor::simulated().block_on(async {
    ///     let start = Instant::now();
    ///     sleep(Duration::from_secs(2)).await;
    ///     assert_eq!(start.elapsed(), Duration::from_secs(2));
    /// });
    /// ```
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }
}
