//! The runtimes under test: one small file each.
//!
//! To add one, write `runtimes/NAME.rs` with a type implementing
//! [`Runtime`](crate::runtime::Runtime) and add it to [`all`].

mod busy_chef;
mod futures_pool;
mod smol;
mod tokio;

use crate::workloads::Entry;

// For `--stack-limits`, which calls these two directly.
pub use self::busy_chef::BusyChef;
pub use self::tokio::Tokio;

/// Every runtime, busy-chef first (the ratios are taken against it).
pub fn all() -> Vec<Entry> {
    vec![
        Entry::of::<busy_chef::BusyChef>(),
        Entry::of::<tokio::Tokio>(),
        Entry::of::<smol::Smol>(),
        Entry::of::<futures_pool::FuturesPool>(),
    ]
}

/// Finds a runtime by its column name (for `--runtime` and the child
/// processes that measure memory).
pub fn by_name(name: &str) -> Option<Entry> {
    all().into_iter().find(|entry| entry.name == name)
}
