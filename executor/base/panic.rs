//! Panics in user code: the executor catches them and carries on.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// The payload of a caught panic.
pub(crate) type PanicPayload = Box<dyn std::any::Any + Send + 'static>;

/// Drops a value whose destructor is user code, swallowing a panic from it:
/// the executor must keep running, and a `JoinHandle` being dropped must
/// not unwind.
#[inline]
pub(crate) fn drop_caught<T>(value: T) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(value)));
}
