//! `timeout`: a race between a future and a `Sleep`.
//!
//! Book chapter: *Gather, join, select and timeouts* (`book/src/combinators.md`).
//!
//! `Timeout` polls the inner future first, then the sleep. Whichever is ready
//! first decides; the loser is dropped with the `Timeout`. Cancelling a future
//! in Rust *is* dropping it: there is nothing else to do.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::sleep::{sleep, Sleep};

/// Runs `future`, but gives up after `duration` on the executor's clock:
/// `Ok(output)` if it finished in time, `Err(Elapsed)` if not (and then the
/// future is dropped, i.e. cancelled).
///
/// ```
/// use std::time::Duration;
/// use busy_chef::time::{sleep, timeout};
///
/// busy_chef::Executor::simulated().block_on(async {
///     let slow = timeout(Duration::from_secs(1), sleep(Duration::from_secs(5)));
///     assert!(slow.await.is_err());
///     let quick = timeout(Duration::from_secs(1), async { 7 });
///     assert_eq!(quick.await, Ok(7));
/// });
/// ```
///
/// # Panics
///
/// If no busy-chef executor is running on this thread (like [`sleep`]).
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep(duration),
    }
}

/// The future returned by [`timeout`]. Time starts when it is created, not
/// when it is first polled.
///
/// ```
/// use std::time::Duration;
/// use busy_chef::time::{sleep, timeout, Instant, Timeout};
///
/// busy_chef::Executor::simulated().block_on(async {
///     let start = Instant::now();
///     let slow: Timeout<_> = timeout(Duration::from_secs(1), sleep(Duration::from_secs(5)));
///     assert!(slow.await.is_err());
///     assert_eq!(start.elapsed(), Duration::from_secs(1), "gave up after 1 s, not 5");
/// });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Timeout<F> {
    future: F,
    sleep: Sleep,
}

impl<F> Timeout<F> {
    /// The inner future.
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::{sleep, timeout, Instant};
    ///
    /// busy_chef::Executor::simulated().block_on(async {
    ///     let limited = timeout(Duration::from_secs(1), sleep(Duration::from_secs(5)));
    ///     let inner = limited.get_ref();
    ///     assert_eq!(inner.deadline(), Instant::now() + Duration::from_secs(5));
    /// });
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// Drops the time limit and returns the inner future.
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::{sleep, timeout, Instant};
    ///
    /// busy_chef::Executor::simulated().block_on(async {
    ///     let start = Instant::now();
    ///     let limited = timeout(Duration::from_secs(1), sleep(Duration::from_secs(5)));
    ///     limited.into_inner().await; // no limit any more: the whole 5 s
    ///     assert_eq!(start.elapsed(), Duration::from_secs(5));
    /// });
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }
}

// ANCHOR: timeout_poll
impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    #[track_caller] // a trace shows the `.await` of the timeout as its timer's
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // "Pin projection". `Timeout` is pinned, so `future` (which may not be
        // `Unpin`) must stay where it is: we only ever reach it through this
        // pinned reference, never move it out while pinned (`into_inner` takes
        // `self` by value, which is only possible when the `Timeout` is not
        // pinned), and `Timeout` has no `Drop` impl that could move it.
        // `sleep` is `Unpin`, so it needs no such care.
        // SAFETY: we never move `future` out of `this` (explained just above).
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above, `this.future` is pinned because `this` is.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match Pin::new(&mut this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(()))),
            Poll::Pending => Poll::Pending,
        }
    }
}
// ANCHOR_END: timeout_poll

/// The error of a [`timeout`] whose time ran out.
///
/// ```
/// use std::time::Duration;
/// use busy_chef::time::{sleep, timeout, Elapsed};
///
/// busy_chef::Executor::simulated().block_on(async {
///     let late: Elapsed = timeout(Duration::from_secs(1), sleep(Duration::from_secs(2)))
///         .await
///         .unwrap_err();
///     assert_eq!(late.to_string(), "deadline has elapsed");
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Debug for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Elapsed")
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}
