//! Time: `sleep`, `timeout`, `interval`, and the executor's `Instant`.
//!
//! Book chapters: *`sleep`, a leaf future* (`book/src/sleep.md`) and *Gather,
//! join, select and timeouts* (`book/src/combinators.md`).
//!
//! Every future here reads the clock of the executor that runs it, real or
//! simulated ([`Executor::simulated`](crate::Executor::simulated)), and waits
//! in that executor's timer wheel. Resolution is one millisecond; deadlines
//! round up, so nothing here ever completes early.
//!
//! Layer 4: uses the runtime (`runtime/timers.rs`, and `runtime/core.rs` to
//! find the running executor), never the other way round.

mod interval;
mod now;
mod sleep;
mod timeout;

pub use crate::base::instant::Instant;
pub use interval::{interval, Interval};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, Elapsed, Timeout};
