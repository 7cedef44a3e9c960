//! A `Waker` built by hand from a `RawWakerVTable`, whose four functions say
//! when they are called, and on which thread. Then a future hands a clone of
//! it to another thread, which wakes it.
//!
//! Book chapter: *A waker by hand* (`book/src/waker.md`).
//!
//! ```text
//! cargo run --example counting_waker
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::thread::{self, JoinHandle};
use std::time::Duration;

// ANCHOR: counter
/// What our waker points at: a record of the calls made through it.
#[derive(Default)]
struct Counter {
    clones: AtomicUsize,
    wakes: AtomicUsize,
    wakes_by_ref: AtomicUsize,
    drops: AtomicUsize,
}

/// Prints one vtable call: which function, on which thread, and how many
/// `Arc` references to the `Counter` are left when the call returns.
fn report(function: &str, references_after: usize) {
    println!(
        "    vtable.{function:<11} on thread {:<8} references after: {references_after}",
        thread::current().name().unwrap_or("?"),
    );
}
// ANCHOR_END: counter

// ANCHOR: vtable
static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// Turns one reference to `counter` into a `Waker` that owns it.
fn counting_waker(counter: Arc<Counter>) -> Waker {
    let data = Arc::into_raw(counter).cast::<()>();
    // SAFETY: `data` is an `Arc<Counter>` reference turned into a pointer, and
    // every function of VTABLE treats it as exactly that. They only use
    // atomics, so they may run on any thread.
    unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) }
}

/// `waker.clone()`: the new waker needs its own reference.
unsafe fn clone(data: *const ()) -> RawWaker {
    let data = data.cast::<Counter>();
    // SAFETY: `data` came from `Arc::into_raw`, and the waker being cloned
    // keeps that reference alive during this call.
    unsafe { Arc::increment_strong_count(data) };
    // SAFETY: we own the reference we just added; ManuallyDrop hands it on.
    let counter = std::mem::ManuallyDrop::new(unsafe { Arc::from_raw(data) });
    counter.clones.fetch_add(1, Ordering::Relaxed);
    report("clone", Arc::strong_count(&counter));
    RawWaker::new(data.cast(), &VTABLE)
}

/// `waker.wake()`: consumes the waker, so it also gives up its reference.
unsafe fn wake(data: *const ()) {
    // SAFETY: this waker owns one reference; taking it back as an `Arc` means
    // it is released when `counter` goes out of scope below.
    let counter = unsafe { Arc::from_raw(data.cast::<Counter>()) };
    counter.wakes.fetch_add(1, Ordering::Relaxed);
    report("wake", Arc::strong_count(&counter) - 1);
    // ... a real executor would queue the task here ...
} // `counter` dropped: one reference fewer

/// `waker.wake_by_ref()`: the waker stays, and so does its reference.
unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the waker we are called through keeps the `Counter` alive.
    let counter = std::mem::ManuallyDrop::new(unsafe { Arc::from_raw(data.cast::<Counter>()) });
    counter.wakes_by_ref.fetch_add(1, Ordering::Relaxed);
    report("wake_by_ref", Arc::strong_count(&counter));
}

/// A `Waker` is dropped without being woken: release its reference.
unsafe fn drop_waker(data: *const ()) {
    // SAFETY: this waker owns one reference; taking it back as an `Arc`
    // means it is released when `counter` goes out of scope below.
    let counter = unsafe { Arc::from_raw(data.cast::<Counter>()) };
    counter.drops.fetch_add(1, Ordering::Relaxed);
    report("drop", Arc::strong_count(&counter) - 1);
} // `counter` dropped: one reference fewer
  // ANCHOR_END: vtable

// ANCHOR: toaster
/// A toaster that really waits: the first poll starts a thread that toasts
/// for a while, then calls the waker it was given.
struct Toaster {
    popped: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Future for Toaster {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.popped.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        if self.thread.is_none() {
            let waker = cx.waker().clone(); // keep a waker: clone
            let popped = self.popped.clone();
            let thread = thread::Builder::new().name("toaster".into());
            self.thread = Some(
                thread
                    .spawn(move || {
                        thread::sleep(Duration::from_millis(20));
                        popped.store(true, Ordering::Release);
                        waker.wake(); // on the toaster's thread: wake
                    })
                    .expect("spawn the toaster thread"),
            );
        }
        Poll::Pending
    }
}
// ANCHOR_END: toaster

fn main() {
    // ANCHOR: main
    let counter = Arc::new(Counter::default());
    println!("make a waker (it owns one reference; we keep another)");
    let waker = counting_waker(counter.clone());
    println!("  references: {}", Arc::strong_count(&counter));

    println!("clone it, then drop the clone");
    let copy = waker.clone();
    drop(copy);

    println!("wake_by_ref: wakes, and the waker stays usable");
    waker.wake_by_ref();

    println!("poll a Toaster with it");
    let mut cx = Context::from_waker(&waker);
    let mut toaster = Toaster {
        popped: Arc::new(AtomicBool::new(false)),
        thread: None,
    };
    println!("  poll #1 -> {:?}", Pin::new(&mut toaster).poll(&mut cx));
    println!("  (the main thread waits for the toaster thread to finish)");
    toaster.thread.take().unwrap().join().unwrap();
    println!("  poll #2 -> {:?}", Pin::new(&mut toaster).poll(&mut cx));

    println!("drop our waker");
    drop(waker);

    let count = |n: &AtomicUsize| n.load(Ordering::Relaxed);
    println!(
        "calls: clone {}, wake {}, wake_by_ref {}, drop {}; references left: {} (ours)",
        count(&counter.clones),
        count(&counter.wakes),
        count(&counter.wakes_by_ref),
        count(&counter.drops),
        Arc::strong_count(&counter)
    );
    // ANCHOR_END: main
}
