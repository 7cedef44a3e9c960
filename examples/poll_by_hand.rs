//! Futures are lazy: a future written by hand, and an `async fn`, both polled
//! by hand with a waker that does nothing. No executor is involved.
//!
//! Book chapter: *Futures are lazy state machines* (`book/src/futures.md`).
//!
//! ```text
//! cargo run --example poll_by_hand
//! ```

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};

// ANCHOR: toaster
/// A toaster that is done on the third time somebody checks it.
struct Toaster {
    checks_left: u32,
}

impl Future for Toaster {
    type Output = &'static str;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        if self.checks_left == 0 {
            println!("    Toaster::poll: pop! -> Ready");
            return Poll::Ready("toast");
        }
        self.checks_left -= 1;
        println!("    Toaster::poll: not yet -> Pending");
        // A future that returns Pending must make sure it is polled again.
        // This one has nothing to wait for but "try again", so it asks for
        // that at once (a real toaster would keep the waker and call it when
        // it pops).
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
// ANCHOR_END: toaster

// ANCHOR: async_fn
/// The same waiting, written with `async`: the compiler builds the future.
async fn breakfast() -> String {
    println!("    breakfast: started");
    let toast = Toaster { checks_left: 2 }.await;
    println!("    breakfast: got the {toast}");
    format!("{toast} with butter")
}
// ANCHOR_END: async_fn

fn main() {
    // ANCHOR: poll_toaster
    // A context whose waker does nothing: we are going to poll in a loop
    // anyway, so nobody needs to be told "poll again".
    let mut cx = Context::from_waker(Waker::noop());

    println!("1. A future written by hand");
    let mut toaster = Toaster { checks_left: 2 };
    let mut polls = 0;
    let toast = loop {
        polls += 1;
        println!("  poll #{polls}:");
        // `Toaster` is `Unpin` (it borrows nothing from itself), so
        // `Pin::new` can pin a plain `&mut` to it.
        if let Poll::Ready(toast) = Pin::new(&mut toaster).poll(&mut cx) {
            break toast;
        }
    };
    println!("  => {toast}, after {polls} polls");
    // ANCHOR_END: poll_toaster

    // ANCHOR: poll_async_fn
    println!();
    println!("2. An async fn");
    let future = breakfast(); // runs nothing yet
    println!("  called breakfast(): nothing printed, nothing ran");
    // The future of an `async fn` may borrow from itself, so it must be
    // pinned before it is polled: `pin!` pins it on the stack.
    let mut future = pin!(future);
    let mut polls = 0;
    let meal = loop {
        polls += 1;
        println!("  poll #{polls}:");
        if let Poll::Ready(meal) = future.as_mut().poll(&mut cx) {
            break meal;
        }
    };
    println!("  => {meal}, after {polls} polls");
    // ANCHOR_END: poll_async_fn
}
