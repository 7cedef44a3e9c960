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
//! ## Map of the source (the reading path)
//!
//! | file | concept | book chapter |
//! |---|---|---|
//! | [`waker.rs`](waker) | a `Waker` built by hand from a `RawWakerVTable` | *A waker by hand* |
//! | [`queue.rs`](queue) | the waker queue: where a wake puts a task id (two doors) | *Tasks and the waker queue* |
//! | [`task.rs`](task) | one spawned future, its state, its output slot | *Tasks*, *JoinHandle* |
//! | [`wheel.rs`](wheel) | the hierarchical timer wheel | *The timer wheel* |
//! | [`executor.rs`](executor) | the loop: run ready tasks, fire timers, park | *The executor loop* |
//!
//! Around that core: [`context.rs`](context) (which executor is running on
//! this thread), [`slab.rs`](slab) (a vector with reusable holes),
//! [`clock.rs`](clock) (real and simulated time), [`join_handle.rs`](join_handle),
//! [`join.rs`](join), [`yield_now.rs`](yield_now) and the [`time`] module.
//! Off the reading path: [`trace`] (timelines of what the executor did, and
//! the warnings for the classic mistakes; book chapter *Seeing it*).
//! Off the reading path: `blocking.rs`, the thread pool behind
//! [`spawn_blocking`] (chapter *When the chef is not waiting*).
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

mod blocking;
mod clock;
mod context;
mod executor;
mod join;
mod join_handle;
mod queue;
mod slab;
mod task;
pub mod time;
pub mod trace;
mod waker;
mod wheel;
mod yield_now;

pub use blocking::spawn_blocking;
pub use context::{spawn, spawn_named};
pub use executor::{block_on, Executor};
pub use join::{join, join_all, Join, JoinAll};
pub use join_handle::{JoinError, JoinHandle};
pub use task::{TaskId, TaskName};
pub use yield_now::{yield_now, YieldNow};

/// Internals exposed for the book, the benchmarks and the data-structure tests.
/// Not a stable API.
#[doc(hidden)]
pub mod internals {
    pub use crate::wheel::{Expiration, InsertError, Tick, TimerKey, Wheel, LEVELS, MAX_SPAN};
}

/// The README's Rust examples are compiled and run as doc tests, so the
/// README cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
