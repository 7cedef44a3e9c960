//! What the executor does for a debugger: it says where the running
//! executors are, and it notices when a debugger has paused it.
//!
//! Book chapter: *Stepping through it in a debugger* (`book/src/debugger.md`).
//!
//! ## The registry
//!
//! The gdb extension (`debug/busy_chef_gdb.py`, embedded in every binary
//! that links busy-chef) must find the running executor from any frame, even
//! one deep inside a user's `async fn`. The thread-local that `spawn` uses
//! (`runtime/core.rs`) is no help there: where a Rust thread-local lives is
//! std's business, and it changes between toolchains. So `block_on` also
//! writes its executor's address into [`REGISTRY`], a plain `static` the
//! debugger reads by name, and clears it when it returns. That happens once
//! per `block_on`, never per poll.
//!
//! The address is type-erased (`*const ()`): this layer may not name the
//! runtime's `Core`. The extension casts it back, using the debug info.
//! Each entry also keeps an address on the stack of the thread that
//! registered it, so that with executors running on several threads the
//! extension can tell which one belongs to the thread it looks at.
//!
//! ## Noticing a debugger
//!
//! A pause at a breakpoint inside a poll makes that poll last as long as the
//! pause, and the blocking-poll warning (`diagnostics/hooks.rs`) would blame
//! the program. [`is_attached`] tells it that a debugger is attached, so it
//! can say what really happened instead. It reads a file, so it is called
//! only when a warning is about to be printed, never on the way of a poll.

use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

/// How many executors the registry shows at once: one per thread that runs
/// a `block_on`, plus one more while an executor shuts down inside another's
/// task. Past that, executors still run; the debugger just cannot list them.
pub(crate) const SLOTS: usize = 8;

/// One registered executor.
pub(crate) struct Slot {
    /// The executor's `Core` (null: the slot is free).
    core: AtomicPtr<()>,
    /// An address on the stack of the thread that registered it.
    stack: AtomicUsize,
    /// When it was registered (a counter): of two executors registered on
    /// one thread, the later one is the one running.
    order: AtomicU64,
}

/// The executors running now, for the debugger. See the module docs.
pub(crate) static REGISTRY: [Slot; SLOTS] = [const {
    Slot {
        core: AtomicPtr::new(std::ptr::null_mut()),
        stack: AtomicUsize::new(0),
        order: AtomicU64::new(0),
    }
}; SLOTS];

static NEXT_ORDER: AtomicU64 = AtomicU64::new(1);

/// Records that the executor at `core` runs on this thread from now on.
/// Returns the slot to give to [`unregister`], or `None` if all are taken.
pub(crate) fn register(core: *const ()) -> Option<usize> {
    // Any local's address will do: it is on this thread's stack.
    let here = 0u8;
    let stack = std::ptr::addr_of!(here) as usize;
    let order = NEXT_ORDER.fetch_add(1, Ordering::Relaxed);
    let core = core.cast_mut();
    REGISTRY.iter().position(|slot| {
        let claimed = slot
            .core
            .compare_exchange(
                std::ptr::null_mut(),
                core,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok();
        if claimed {
            slot.stack.store(stack, Ordering::Release);
            slot.order.store(order, Ordering::Release);
        }
        claimed
    })
}

/// The executor registered in `slot` stopped running.
pub(crate) fn unregister(slot: usize) {
    REGISTRY[slot]
        .core
        .store(std::ptr::null_mut(), Ordering::Release);
}

/// Is a debugger attached to this process? On Linux, the kernel says so in
/// `/proc/self/status` (`TracerPid:` is not 0). Elsewhere: we cannot tell,
/// so no.
pub(crate) fn is_attached() -> bool {
    if cfg!(target_os = "linux") {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| tracer_pid(&status))
            .is_some_and(|pid| pid != 0)
    } else {
        false
    }
}

/// The `TracerPid:` of a `/proc/PID/status` file.
fn tracer_pid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("TracerPid:"))
        .and_then(|pid| pid.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tracer_pid_is_read_from_the_status_file() {
        let status = "Name:\tchef\nState:\tt (tracing stop)\nTracerPid:\t4242\nUid:\t0\n";
        assert_eq!(tracer_pid(status), Some(4242));
        assert_eq!(tracer_pid("Name:\tchef\nTracerPid:\t0\n"), Some(0));
        assert_eq!(tracer_pid("Name:\tchef\n"), None);
    }

    #[test]
    fn a_registered_executor_is_listed_until_it_unregisters() {
        let core = 0x1000 as *const ();
        let slot = register(core).expect("a free slot");
        assert_eq!(REGISTRY[slot].core.load(Ordering::Acquire), core.cast_mut());
        assert_ne!(REGISTRY[slot].stack.load(Ordering::Acquire), 0);
        unregister(slot);
        assert!(REGISTRY[slot].core.load(Ordering::Acquire).is_null());
    }
}
