//! Does not compile, on purpose. `tests/compile_errors.rs` runs rustc on this
//! file and checks the error, which the book shows (chapter *Everyday
//! async*, `book/src/everyday.md`). std only, so that rustc alone can build
//! it.

use std::future::Future;
use std::sync::{Arc, Mutex};

/// The bounds of `tokio::spawn` (see `spawn_send.rs`).
fn spawn_send<F>(future: F)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    drop(future);
}

/// Stands for any wait (a timer, a socket), and is `Send` itself.
async fn nap() {}

// ANCHOR: guard
/// Holds a `std::sync::Mutex` guard across an `.await`.
async fn restock(pantry: Arc<Mutex<Vec<&'static str>>>) {
    let mut shelf = pantry.lock().unwrap();
    nap().await; // the guard is still held here
    shelf.push("flour");
}

fn main() {
    let pantry = Arc::new(Mutex::new(Vec::new()));
    spawn_send(restock(pantry)); // error: the future holds a `MutexGuard`
}
// ANCHOR_END: guard
