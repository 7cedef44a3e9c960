//! Build it yourself, stage 3 of 5: the waker, built by hand.
//!
//! **The one idea:** make the waker from a `RawWakerVTable` instead of `Wake`,
//! so that its pointer can be the task itself: one `Arc` holds the future
//! and what its wakers need, and no table is left. `Wake` cannot do that: it
//! wants data that is `Send + Sync`, and a task whose future need not be
//! `Send` is neither.
//! **What stage 2 could not do:** free a task that nothing can wake any more.
//! Its table kept every unfinished task; here, each waker is a counted
//! reference to its task, and the last one to go takes the task with it.
//!
//! Book chapter: *Stage 3: the waker, by hand* (`book/src/stage3-vtable.md`).
//!
//! ```text
//! cargo run --example stage3_vtable
//! ```

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Wake, Waker};
use std::thread::{self, Thread};

/// Wakes the thread that runs `block_on`: first a note, then the alarm.
struct ThreadWaker {
    thread: Thread,
    woken: AtomicBool,
}

impl ThreadWaker {
    fn new() -> Arc<ThreadWaker> {
        let (thread, woken) = (thread::current(), AtomicBool::new(false));
        Arc::new(ThreadWaker { thread, woken })
    }

    /// Sleeps until the note says "woken", and takes the note away. `park`
    /// may return for no reason, so the note, not `park`, decides.
    fn sleep_until_woken(&self) {
        while !self.woken.swap(false, Ordering::Acquire) {
            thread::park();
        }
    }
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = ()>>>;

/// A spawned future, and all its wakers need, behind one pointer. An `Arc`:
/// std lets any thread clone or drop a waker, so the count must be atomic.
struct Task {
    thread: Thread,
    future: RefCell<Option<BoxFuture>>, // `None` once it is done
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// Turns one reference to `task` into a waker that owns it.
fn waker(task: Arc<Task>) -> Waker {
    // SAFETY: the pointer is an `Arc<Task>` reference, and VTABLE's functions
    // treat it as one. Off the task's thread they touch only the atomic count
    // and `thread`, which never changes, so they are safe on any thread.
    unsafe { Waker::from_raw(RawWaker::new(Arc::into_raw(task).cast(), &VTABLE)) }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned owns a reference; this adds one for the new.
    unsafe { Arc::increment_strong_count(data.cast::<Task>()) };
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: `wake` consumes the waker: wake by reference, then drop it.
    unsafe {
        wake_by_ref(data);
        drop_waker(data);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    let task = data.cast::<Task>();
    // SAFETY: the caller's waker keeps the task alive; `thread` never changes
    // after `spawn`, and is `Sync`, so any thread may read it.
    let thread = unsafe { &(*task).thread };
    assert!(thread::current().id() == thread.id(), "{ELSEWHERE}");
    // SAFETY: the run queue gets a reference of its own.
    let task = unsafe {
        Arc::increment_strong_count(task);
        Arc::from_raw(task)
    };
    // `try_with`: while this thread exits, there is nothing left to run.
    let _ = READY.try_with(|ready| ready.borrow_mut().push_back(task));
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: gives back the reference this waker owned.
    unsafe { Arc::decrement_strong_count(data.cast::<Task>()) };
}

impl Drop for Task {
    /// The last waker may go on another thread. A future that is not `Send`
    /// must not be dropped there: leak it instead (safe, if sad).
    fn drop(&mut self) {
        if thread::current().id() != self.thread.id() {
            std::mem::forget(self.future.get_mut().take());
        }
    }
}

const ELSEWHERE: &str = "a task was woken from another thread, but this stage's \
    run queue can only be reached from its executor's thread (stage 4 fixes that)";

thread_local! {
    /// The run queue: tasks woken since they were last polled.
    static READY: RefCell<VecDeque<Arc<Task>>> = RefCell::default();
}

/// Makes `future` a task of this thread's executor. It runs from the next
/// turn of `block_on` on, whatever the caller does meanwhile.
pub fn spawn(future: impl Future<Output = ()> + 'static) {
    let future = RefCell::new(Some(Box::pin(future) as BoxFuture));
    let thread = thread::current();
    #[expect(clippy::arc_with_non_send_sync, reason = "wakers move between threads")]
    let task = Arc::new(Task { thread, future });
    waker(task).wake(); // a new task is woken once, to start it
}

/// Polls the tasks queued now. A task woken meanwhile waits for the next
/// turn, so one that keeps waking itself cannot keep the others waiting.
fn run_ready() {
    for _ in 0..READY.with(|ready| ready.borrow().len()) {
        let task = READY.with(|ready| ready.borrow_mut().pop_front()).unwrap();
        let mut slot = task.future.try_borrow_mut().expect(NESTED);
        let Some(future) = &mut *slot else { continue }; // done already
        let waker = waker(Arc::clone(&task));
        let mut cx = Context::from_waker(&waker);
        if future.as_mut().poll(&mut cx).is_ready() {
            *slot = None;
        }
    }
}

const NESTED: &str = "a task was polled while it was being polled: was `block_on` \
    called inside a task? `.await` the future there instead";

/// Runs `future`, and the tasks, on this thread until `future` is ready.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let thread_waker = ThreadWaker::new();
    let waker = Waker::from(thread_waker.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        run_ready();
        if READY.with(|ready| ready.borrow().is_empty()) {
            thread_waker.sleep_until_woken();
        }
    }
}

/// A cook: one step, then let the others have a turn.
async fn cook(name: &'static str, steps: u32, done: async_channel::Sender<&'static str>) {
    for step in 1..=steps {
        println!("{name}: step {step}");
        futures_lite::future::yield_now().await; // wakes itself: to the back
    }
    done.send(name).await.unwrap();
}

/// Says so when it is dropped.
struct Noisy(&'static str);

impl Drop for Noisy {
    fn drop(&mut self) {
        println!("{}", self.0);
    }
}

fn main() {
    let plated = block_on(async {
        let (done, finished) = async_channel::unbounded();
        for (name, steps) in [("eggs", 2), ("coffee", 1), ("bacon", 3)] {
            spawn(cook(name, steps, done.clone()));
        }
        spawn(async {
            let _noisy = Noisy("main: a task that nothing can wake was dropped at once");
            std::future::pending::<()>().await // keeps no waker
        });
        println!("main: spawned the cooks; none has run yet");
        let mut plated = Vec::new();
        while plated.len() < 3 {
            plated.push(finished.recv().await.unwrap());
        }
        plated
    });
    println!("main: plated {plated:?}");
}
