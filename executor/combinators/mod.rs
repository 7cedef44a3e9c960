//! Combinators: run several futures at once inside one task.
//!
//! Book chapter: *Gather, join, select and timeouts* (`book/src/combinators.md`).
//!
//! Layer 4, beside `time/`, but it uses nothing of the runtime: `join`,
//! `join_all` and `yield_now` work with any executor's wakers.

pub mod join;
pub mod yield_now;
