//! # busy-chef: an async executor you can read in an afternoon
//!
//! A synchronous chef puts the toast in the toaster and stares at it. A busy
//! chef starts the toast, fries the eggs while it cooks, starts the coffee, and
//! plates each thing as it signals that it is done. This crate is the busy
//! chef: a **single-threaded** executor that runs many futures on one thread
//! and never stands idle while one of them is *waiting*.
//!
//! ```
//! use std::time::Duration;
//! use busy_chef::time::{sleep, Instant};
//!
//! async fn download_file(name: &str, seconds: u64) {
//!     println!("Starting download of {name}...");
//!     sleep(Duration::from_secs(seconds)).await;
//!     println!("Finished download of {name}!");
//! }
//!
//! // A simulated clock: the two "downloads" take no real time at all.
//! let exec = busy_chef::Executor::simulated();
//! let took = exec.block_on(async {
//!     let start = Instant::now();
//!     busy_chef::join(download_file("File 1", 2), download_file("File 2", 1)).await;
//!     start.elapsed()
//! });
//! assert_eq!(took, Duration::from_secs(2)); // the longest, not the sum
//! ```
//!
//! ## Map of the source: layers, each using only the ones above it
//!
//! | layer | files | what it is | book chapter |
//! |---|---|---|---|
//! | 0 | `collections/` | the slab (generational keys) and the timer wheel | *Tasks*, *The timer wheel* |
//! | 1 | `base/` | task ids, the clock and its `Instant`, small helpers | *`sleep`* |
//! | 2 | `diagnostics/` | traces, their pictures, the warnings (the runtime calls its hooks) | *Seeing it* |
//! | 3 | `runtime/` | **the reading path**: timers, the run queue, `Core`, `JoinHandle`, the task, the loop | *A waker by hand* to *The executor loop* |
//! | 4 | `spawn.rs`, `spill.rs`, `time/`, `combinators/`, `blocking.rs`, `inspect.rs` | the ways to spawn, big futures to the heap, `sleep` and friends, `join`, `spawn_blocking`, tracing switches | |
//!
//! `tests/architecture.rs` checks the layering (no import goes up, no
//! cycle), where `unsafe` may appear, and the size of the reading path.
//!
//! ## What this executor promises, and what it does not
//!
//! * It runs every future on the thread that called `block_on`. Futures need
//!   not be `Send`. Wakers are `Send + Sync` (std requires it), so any thread
//!   may wake a task; the wake travels through a channel to the executor.
//! * It has no I/O reactor of its own: it drives futures from other crates
//!   (async-io, async-channel, ...) through their wakers.
//! * Timers have a resolution of one millisecond and never fire early.
//! * A task that panics is caught; its `JoinHandle` reports the panic.

#![warn(missing_docs, clippy::undocumented_unsafe_blocks)]
// The gdb extension (pretty-printers and the `busy` commands) travels inside
// every binary built with busy-chef; `book/src/debugger.md` shows it at work.
#![debugger_visualizer(gdb_script_file = "../debug/busy_chef_gdb.py")]

mod base;
mod blocking;
mod collections;
mod combinators;
mod diagnostics;
mod inspect;
mod runtime;
mod spawn;
mod spill;
pub mod time;

pub use base::id::{TaskId, TaskName};
pub use base::join_error::JoinError;
pub use blocking::spawn_blocking;
pub use combinators::join::{join, join_all, Join, JoinAll};
pub use combinators::yield_now::{yield_now, YieldNow};
pub use diagnostics::trace;
pub use runtime::join_handle::JoinHandle;
pub use runtime::{block_on, Executor};
pub use spawn::{spawn, spawn_named};

/// Internals exposed for the book, the benchmarks and the data-structure tests.
/// Not a stable API.
#[doc(hidden)]
pub mod internals {
    pub use crate::collections::slab::{Key, Slab};
    pub use crate::collections::wheel::{
        Expiration, InsertError, Moved, Place, Tick, TimerKey, Wheel, LEVELS, MAX_SPAN,
    };
}

/// The README's Rust examples are compiled and run as doc tests, so the
/// README cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
