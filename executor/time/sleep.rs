//! `Sleep`: the leaf future that waits for a deadline.
//!
//! Book chapter: *`sleep`, a leaf future* (`book/src/sleep.md`).
//!
//! A *leaf* future is one that does not await anything: it is where waiting
//! really happens. `Sleep::poll` does three things:
//!
//! 1. If the executor's clock has reached the deadline: `Ready`.
//! 2. Otherwise, the first time: put a timer in the executor's wheel, holding
//!    a clone of the waker, and return `Pending`.
//! 3. On later polls: replace the stored waker with the current one (the
//!    future may have moved to another task, as inside `join_all` or
//!    `select`; only the latest poll's waker counts), and return `Pending`.
//!
//! Dropping a `Sleep` that has not fired takes its timer out of the wheel.
//! The deadline is fixed when the `Sleep` is created (the clock is read then,
//! not at the first poll), so `sleep(1 s)` means one second from the call.

use std::future::Future;
use std::pin::Pin;
use std::rc::Weak;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::clock::NEVER;
use crate::context;
use crate::executor::Core;
use crate::time::Instant;
use crate::wheel::{InsertError, TimerKey};

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
    let now = context::expect_core_fast("busy_chef::time::sleep", |core| core.clock.now());
    Sleep::new(now + duration)
}

/// Waits until `deadline` on the running executor's clock. A deadline in the
/// past completes at the first poll.
///
/// # Panics
///
/// When polled (not when created) with no busy-chef executor running.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(deadline)
}

/// The future returned by [`sleep`] and [`sleep_until`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    deadline: Instant,
    timer: Option<Registration>,
}

/// A timer in some executor's wheel. The `Weak` lets a `Sleep` that outlives
/// its executor drop quietly.
#[derive(Debug)]
struct Registration {
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
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Has the deadline passed (on the running executor's clock)?
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline (earlier or later); the timer is re-registered at
    /// the next poll.
    pub fn reset(&mut self, deadline: Instant) {
        self.cancel_timer();
        self.deadline = deadline;
    }

    fn cancel_timer(&mut self) {
        if let Some(Registration { core, key }) = self.timer.take() {
            if let Some(core) = core.upgrade() {
                // `try_`: if the wheel is busy (we are being dropped by the
                // wheel's own teardown), the timer is going away anyway.
                let waker = match core.timers.try_borrow_mut() {
                    Ok(mut wheel) => wheel.cancel(key),
                    Err(_) => None,
                };
                if waker.is_some() {
                    core.trace.timer_cancelled(key);
                }
                drop(waker); // outside the borrow: it may free a task
            }
        }
    }
}

// ANCHOR: sleep_poll
impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // `Sleep` holds no self-references, so it is `Unpin`.
        let this = self.get_mut();
        context::expect_core_fast("polling a busy_chef::time::Sleep", |core| {
            if this.deadline <= core.now() {
                this.cancel_timer();
                return Poll::Ready(());
            }
            let tick = core.clock.tick_at_or_after(this.deadline);
            if tick == NEVER {
                return Poll::Pending; // a deadline that never comes
            }
            if let Some(timer) = &this.timer {
                let same_executor = std::ptr::eq(timer.core.as_ptr(), core);
                if same_executor && core.timers.borrow_mut().set_waker(timer.key, cx.waker()) {
                    return Poll::Pending;
                }
                this.cancel_timer(); // fired or from another executor: register anew
            }
            let inserted = core.timers.borrow_mut().insert(tick, cx.waker().clone());
            match inserted {
                Ok(key) => {
                    core.trace.timer_registered(key, this.deadline);
                    this.timer = Some(Registration {
                        core: core.weak_self.clone(),
                        key,
                    });
                    Poll::Pending
                }
                Err(InsertError::AlreadyDue) => Poll::Ready(()),
            }
        })
    }
}
// ANCHOR_END: sleep_poll

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel_timer();
    }
}
