//! [`CountingAllocator`]: the system allocator, counting what it hands out,
//! for the tests that check how much memory the executor uses.
//!
//! It counts two things, each for its own kind of test:
//!
//! * allocations made on the current thread ([`allocations_on_this_thread`]):
//!   "the hot path allocates nothing" counts calls, and only its own
//!   thread's, since the test harness's threads allocate when they like;
//! * bytes live in the whole process, and their peak ([`live_bytes`],
//!   [`peak_bytes`], [`reset_peak`]): "memory is bounded" counts sizes.
//!
//! A global allocator must be declared by the test crate itself, so a test
//! that uses this module says
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOCATOR: CountingAllocator = CountingAllocator;
//! ```
//!
//! and holds only tests that measure: another test running in parallel
//! would blur the process-wide counts.
// Each test crate includes this module and uses only part of it; the rest
// would warn as unused in that crate.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Forwards every call to [`System`] and counts the memory it hands out.
pub struct CountingAllocator;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // `const`-initialised and without a destructor: reading it never
    // allocates, so the allocator may use it.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// How many allocations (and reallocations) this thread has made.
pub fn allocations_on_this_thread() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// How many bytes are allocated now, in the whole process.
pub fn live_bytes() -> usize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

/// The most bytes allocated at once since the last [`reset_peak`].
pub fn peak_bytes() -> usize {
    PEAK_BYTES.load(Ordering::Relaxed)
}

/// Starts measuring the peak afresh from what is allocated now, and returns
/// that amount (the baseline to subtract from [`peak_bytes`]).
pub fn reset_peak() -> usize {
    let live = live_bytes();
    PEAK_BYTES.store(live, Ordering::Relaxed);
    live
}

/// Counts one allocation of `size` bytes.
fn handed_out(size: usize) {
    // `try_with`: on a thread being torn down, skip the per-thread count
    // rather than panic inside the allocator.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    let live = LIVE_BYTES.fetch_add(size, Ordering::Relaxed) + size;
    PEAK_BYTES.fetch_max(live, Ordering::Relaxed);
}

/// Counts `size` bytes given back.
fn given_back(size: usize) {
    LIVE_BYTES.fetch_sub(size, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counting around it allocates nothing (atomics
// and a const thread-local without destructor), so it cannot re-enter the
// allocator.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: our caller upholds `alloc`'s contract for `layout`, and
        // that is all `System.alloc` needs.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            handed_out(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`: the same contract, passed on unchanged.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            handed_out(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: our caller guarantees `ptr` came from this allocator with
        // `layout`; every pointer we hand out came from `System`.
        unsafe { System.dealloc(ptr, layout) };
        given_back(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: our caller guarantees `ptr` came from this allocator (so
        // from `System`) with `layout`, and that `new_size` is valid for it.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            given_back(layout.size());
            handed_out(new_size);
        }
        new
    }
}
