//! The small types every other layer names: task ids, the clock and its
//! `Instant`, `JoinError`, a poison-tolerant lock, caught panics, a kept waker,
//! and the registry a debugger reads.
//!
//! Layer 1: imports only `collections` (for the timer wheel's `Tick`).

pub mod clock;
pub mod debugger;
pub mod id;
pub mod instant;
pub mod join_error;
pub mod lock;
pub mod panic;
pub mod waker_slot;
