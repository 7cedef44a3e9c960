//! `yield_now`: let the other tasks have a turn (`asyncio.sleep(0)`).
//!
//! Book chapter: *Tasks and the waker queue* (`book/src/tasks.md`).
//!
//! The smallest useful future: the first poll wakes its own task and returns
//! `Pending`; the second returns `Ready`. The wake puts the task at the back
//! of the queue, and the executor's fairness rule (`runtime/mod.rs`) makes it wait
//! for the next turn, after every task already queued and after the timers.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Gives the other ready tasks (and due timers) a turn before continuing.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// busy_chef::Executor::simulated().block_on(async {
///     let log = Rc::new(RefCell::new(Vec::new()));
///     let other = busy_chef::spawn({
///         let log = log.clone();
///         async move { log.borrow_mut().push("other") }
///     });
///     log.borrow_mut().push("before");
///     busy_chef::yield_now().await; // the spawned task runs now
///     log.borrow_mut().push("after");
///     other.await.unwrap();
///     assert_eq!(*log.borrow(), ["before", "other", "after"]);
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`]: `Pending` once (after waking its
/// own task), then `Ready`.
///
/// ```
/// use std::future::Future;
/// use std::pin::{pin, Pin};
/// use std::task::{Context, Poll, Waker};
/// use busy_chef::YieldNow;
///
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut step_aside: Pin<&mut YieldNow> = pin!(busy_chef::yield_now());
/// assert_eq!(step_aside.as_mut().poll(&mut cx), Poll::Pending);
/// assert_eq!(step_aside.as_mut().poll(&mut cx), Poll::Ready(()));
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct YieldNow {
    yielded: bool,
}

// ANCHOR: yield_now
impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref(); // "poll me again", at the back of the queue
        Poll::Pending
    }
}
// ANCHOR_END: yield_now
