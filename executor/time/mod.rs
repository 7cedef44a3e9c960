//! Time: `sleep`, `timeout`, `interval`, and the executor's `Instant`.
//!
//! Book chapters: *`sleep`, a leaf future* (`book/src/sleep.md`) and *Gather,
//! join, select and timeouts* (`book/src/combinators.md`).
//!
//! Every future here reads the clock of the executor that runs it, real or
//! simulated ([`Executor::simulated`](crate::Executor::simulated)), and waits
//! in that executor's timer wheel. Resolution is one millisecond; deadlines
//! round up, so nothing here ever completes early.

mod instant;
mod interval;
mod sleep;
mod timeout;

pub use instant::Instant;
pub use interval::{interval, Interval};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, Elapsed, Timeout};
