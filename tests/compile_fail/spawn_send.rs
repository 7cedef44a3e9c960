//! Does not compile, on purpose. `tests/compile_errors.rs` runs rustc on this
//! file and checks the error, which the book shows (chapter *Everyday
//! async*, `book/src/everyday.md`). std only, so that rustc alone can build
//! it.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

// ANCHOR: bounds
/// The bounds of `tokio::spawn`: its multi-threaded runtime may move a task
/// to another worker thread between two polls, so the future must be `Send`.
fn spawn_send<F>(future: F)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    drop(future); // only the bounds matter here
}

/// The bounds of `busy_chef::spawn`: the task never leaves this thread.
fn spawn_local<F>(future: F)
where
    F: Future + 'static,
    F::Output: 'static,
{
    drop(future);
}
// ANCHOR_END: bounds

/// Stands for any wait (a timer, a socket), and is `Send` itself.
async fn nap() {}

// ANCHOR: rc
/// Writes a dish into a log shared by several tasks on one thread.
async fn note(log: Rc<RefCell<Vec<&'static str>>>, dish: &'static str) {
    nap().await;
    log.borrow_mut().push(dish);
}

fn main() {
    let log = Rc::new(RefCell::new(Vec::new()));
    spawn_local(note(log.clone(), "toast")); // fine: the task stays on this thread
    spawn_send(note(log, "eggs")); // error: an `Rc` must not go to another thread
}
// ANCHOR_END: rc
