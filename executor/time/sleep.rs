//! `Sleep`: the leaf future that waits for a deadline.
//!
//! Book chapter: *`sleep`, a leaf future* (`book/src/sleep.md`).
//!
//! A *leaf* future is one that does not await anything: it is where waiting
//! really happens. `Sleep::poll` asks the executor's timers (`runtime/timers.rs`):
//!
//! 1. The first time: put a timer in the wheel, holding a clone of the
//!    waker, and return `Pending` (or `Ready` at once, if the deadline has
//!    passed for the wheel already).
//! 2. Later: if the timer is still waiting, point it at the current waker
//!    (the future may have moved to another task, as inside `join_all` or
//!    `select`; only the latest poll's waker counts) and return `Pending`.
//!    If it is gone, it fired: `Ready`.
//!
//! So a `Sleep` never reads the clock when polled: the timer wheel decides.
//! Dropping a `Sleep` that has not fired takes its timer out of the wheel.
//! The deadline is fixed when the `Sleep` is created (the clock is read then,
//! not at the first poll), so `sleep(1 s)` means one second from the call.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::base::instant::Instant;
use crate::collections::wheel::TimerKey;
use crate::runtime::core::{expect_current, Core};
use crate::runtime::timers::Registration;

/// Waits until `duration` has passed on the running executor's clock.
///
/// ```
/// use std::time::Duration;
/// use busy_chef::time::{sleep, Instant};
///
/// busy_chef::Executor::simulated().block_on(async {
///     let start = Instant::now();
///     sleep(Duration::from_secs(3600)).await; // no real hour passes
///     assert_eq!(start.elapsed(), Duration::from_secs(3600));
/// });
/// ```
///
/// # Panics
///
/// If no busy-chef executor is running on this thread: the deadline is read
/// from the executor's clock.
pub fn sleep(duration: Duration) -> Sleep {
    let now = expect_current("busy_chef::time::sleep").timers.now();
    Sleep::new(now + duration)
}

/// Waits until `deadline` on the running executor's clock. A deadline in the
/// past completes at the first poll.
///
/// ```
/// use std::time::Duration;
/// use busy_chef::time::{sleep_until, Instant};
///
/// busy_chef::Executor::simulated().block_on(async {
///     let start = Instant::now();
///     sleep_until(start + Duration::from_secs(5)).await;
///     assert_eq!(Instant::now(), start + Duration::from_secs(5));
///     sleep_until(start).await; // in the past: done at once
///     assert_eq!(Instant::now(), start + Duration::from_secs(5));
/// });
/// ```
///
/// # Panics
///
/// When polled (not when created) with no busy-chef executor running.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(deadline)
}

/// The future returned by [`sleep`] and [`sleep_until`]. It is `Unpin`, so
/// `(&mut sleep).await` waits without giving the `Sleep` up.
///
/// ```
/// use std::time::Duration;
/// use busy_chef::time::{sleep, Sleep};
///
/// busy_chef::Executor::simulated().block_on(async {
///     let mut toast: Sleep = sleep(Duration::from_secs(2));
///     assert!(!toast.is_elapsed());
///     (&mut toast).await;
///     assert!(toast.is_elapsed());
/// });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    deadline: Instant,
    timer: Option<Timer>,
}

/// A timer in some executor's wheel. The `Weak` lets a `Sleep` that outlives
/// its executor drop quietly.
#[derive(Debug)]
struct Timer {
    core: Weak<Core>,
    key: TimerKey,
}

impl Sleep {
    fn new(deadline: Instant) -> Sleep {
        Sleep {
            deadline,
            timer: None,
        }
    }

    /// When this sleep completes.
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::{sleep, Instant};
    ///
    /// busy_chef::Executor::simulated().block_on(async {
    ///     let nap = sleep(Duration::from_millis(250)); // the clock is read now
    ///     assert_eq!(nap.deadline(), Instant::now() + Duration::from_millis(250));
    /// });
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Has the deadline passed (on the running executor's clock)? Asks the
    /// clock, so it is true even for a `Sleep` that was never polled.
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::sleep;
    ///
    /// busy_chef::Executor::simulated().block_on(async {
    ///     let nap = sleep(Duration::from_secs(1));
    ///     assert!(!nap.is_elapsed());
    ///     sleep(Duration::from_secs(2)).await; // another sleep passes the time
    ///     assert!(nap.is_elapsed());
    /// });
    /// ```
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline (earlier or later); the timer is re-registered at
    /// the next poll.
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::{sleep, Instant};
    ///
    /// busy_chef::Executor::simulated().block_on(async {
    ///     let start = Instant::now();
    ///     let mut nap = sleep(Duration::from_secs(10));
    ///     nap.reset(start + Duration::from_secs(1));
    ///     nap.await;
    ///     assert_eq!(start.elapsed(), Duration::from_secs(1));
    /// });
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.cancel_timer();
        self.deadline = deadline;
    }

    fn cancel_timer(&mut self) {
        if let Some(timer) = self.timer.take() {
            if let Some(core) = timer.core.upgrade() {
                core.timers.cancel(&core.hooks, timer.key);
            }
        }
    }
}

// ANCHOR: sleep_poll
impl Future for Sleep {
    type Output = ();

    // `track_caller`: the `.await` that polls it is the caller, so a trace
    // can show where a task waits (it costs one pointer argument).
    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // `Sleep` holds no self-references, so it is `Unpin`.
        let this = self.get_mut();
        let awaited_at = Location::caller();
        let core = expect_current("polling a busy_chef::time::Sleep");
        this.poll_on(&core, cx, awaited_at)
    }
}

impl Sleep {
    /// [`Sleep::poll`], on the executor running on this thread.
    fn poll_on(
        &mut self,
        core: &Rc<Core>,
        cx: &mut Context<'_>,
        awaited_at: &'static Location<'static>,
    ) -> Poll<()> {
        if let Some(timer) = &self.timer {
            if std::ptr::eq(timer.core.as_ptr(), Rc::as_ptr(core)) {
                return if core.timers.update(timer.key, cx.waker()) {
                    Poll::Pending // still waiting, now for this poll's waker
                } else {
                    self.timer = None;
                    Poll::Ready(()) // its timer fired
                };
            }
            self.cancel_timer(); // polled by another executor: register anew
        }
        match core.timers.register(&core.hooks, self.deadline, cx.waker()) {
            Registration::Waiting(key) => {
                core.hooks.timer_awaited(key, awaited_at); // for a trace
                let core = Rc::downgrade(core);
                self.timer = Some(Timer { core, key });
                Poll::Pending
            }
            Registration::Due => Poll::Ready(()),
            Registration::Never => Poll::Pending, // a deadline that never comes
        }
    }
}
// ANCHOR_END: sleep_poll

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel_timer();
    }
}
