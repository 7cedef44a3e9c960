//! Plain data structures, with no knowledge of futures or executors.
//!
//! Layer 0: these files import nothing else of the crate (the architecture
//! test, `tests/architecture.rs`, checks it).
//!
//! * [`slab`]: a vector with reusable holes, named by generational keys
//!   (the task table, and the storage of the timer wheel);
//! * [`wheel`]: the hierarchical timer wheel.

pub mod slab;
pub mod wheel;
