//! Build it yourself, stage 1 of 5: `block_on` with a thread-parking waker.
//!
//! **The one idea:** poll the future; while it is `Pending`, put the thread
//! to sleep until its waker is called. The waker, made with std's `Wake`
//! trait, leaves a note and unparks the thread. **What came before:** a loop
//! that polls as fast as it can, and burns a CPU core while it waits.
//!
//! Book chapter: *Stage 1: `block_on` with a parking waker* (`book/src/stage1-block-on.md`).
//!
//! ```text
//! cargo run --example stage1_block_on
//! ```

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

/// Wakes the thread that runs `block_on`: first a note, then the alarm.
struct ThreadWaker {
    thread: Thread,
    woken: AtomicBool,
}

impl ThreadWaker {
    fn new() -> Arc<ThreadWaker> {
        let (thread, woken) = (thread::current(), AtomicBool::new(false));
        Arc::new(ThreadWaker { thread, woken })
    }

    /// Sleeps until the note says "woken", and takes the note away. `park`
    /// may return for no reason, so the note, not `park`, decides.
    fn sleep_until_woken(&self) {
        while !self.woken.swap(false, Ordering::Acquire) {
            thread::park();
        }
    }
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// Runs `future` on this thread until it is ready.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let thread_waker = ThreadWaker::new();
    let waker = Waker::from(thread_waker.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread_waker.sleep_until_woken();
    }
}

/// Toasts on a thread of its own, started by the first poll (which is
/// `Pending`). The thread sets `done`, then calls our waker, from there.
struct Toaster(Option<Arc<AtomicBool>>);

impl Future for Toaster {
    type Output = &'static str;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        match &self.0 {
            Some(done) if done.load(Ordering::Acquire) => return Poll::Ready("toast"),
            Some(_) => return Poll::Pending, // the thread has a waker for us
            None => {}
        }
        let (done, waker) = (Arc::new(AtomicBool::new(false)), cx.waker().clone());
        self.0 = Some(done.clone());
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            done.store(true, Ordering::Release);
            waker.wake();
        });
        Poll::Pending
    }
}

fn main() {
    let (mut toaster, mut polls) = (Toaster(None), 0);
    let toast = block_on(std::future::poll_fn(|cx| {
        polls += 1;
        Pin::new(&mut toaster).poll(cx)
    }));
    println!("block_on returned {toast:?} after {polls} polls");
}
