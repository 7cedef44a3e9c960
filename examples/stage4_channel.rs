//! Build it yourself, stage 4 of 5: wakes from other threads.
//!
//! **The one idea:** give the run queue a second door, a crossbeam channel
//! that any thread can send a task into. A wake on the executor's thread
//! still pushes the task onto the `VecDeque`; a wake anywhere else sends it
//! through the channel and unparks the executor, which lets it in.
//! **What stage 3 could not do:** let another thread wake a task. It could
//! wake `block_on`'s own future, but a task's wake from elsewhere panicked.
//!
//! Book chapter: *Stage 4: wakes from other threads* (`book/src/stage4-channel.md`).
//!
//! ```text
//! cargo run --example stage4_channel
//! ```

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

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

    /// Sleeps until the note says "woken", and takes the note away, or until
    /// a task comes in at the door. `park` may return for no reason, so the
    /// note and the door, not `park`, decide.
    fn sleep_until_woken(&self, door: &Receiver<TaskRef>) {
        while !self.woken.swap(false, Ordering::Acquire) && door.is_empty() {
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
    door: Sender<TaskRef>,
    future: RefCell<Option<BoxFuture>>, // `None` once it is done
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// Turns one reference to `task` into a waker that owns it.
fn waker(task: Arc<Task>) -> Waker {
    // SAFETY: the pointer is an `Arc<Task>` reference, and VTABLE's functions
    // treat it as one. Off the task's thread they touch only the atomic count,
    // `thread` and `door`, which never change, so any thread may call them.
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
    // SAFETY: the caller's waker keeps the task alive; `thread` and `door`
    // never change after `spawn`, and are `Sync`, so any thread may use them.
    let (thread, door) = unsafe { (&(*task).thread, &(*task).door) };
    // SAFETY: the run queue gets a reference of its own.
    let task = unsafe {
        Arc::increment_strong_count(task);
        Arc::from_raw(task)
    };
    if thread::current().id() == thread.id() {
        // `try_with`: while this thread exits, there is nothing left to run.
        let _ = READY.try_with(|ready| ready.borrow_mut().push_back(task));
    } else {
        let _ = door.send(TaskRef(task)); // fails only if the executor is gone
        thread.unpark();
    }
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

/// A task on its way to its executor's thread, through the door.
struct TaskRef(Arc<Task>);

// SAFETY: a `TaskRef` goes only to the thread that polls the task. Should it
// be dropped elsewhere (the executor is gone), `Task::drop` leaks the future.
unsafe impl Send for TaskRef {}

thread_local! {
    /// The run queue: tasks woken since they were last polled.
    static READY: RefCell<VecDeque<Arc<Task>>> = RefCell::default();
    /// The other door: tasks woken on other threads.
    static DOOR: (Sender<TaskRef>, Receiver<TaskRef>) = crossbeam_channel::unbounded();
}

/// Makes `future` a task of this thread's executor. It runs from the next
/// turn of `block_on` on, whatever the caller does meanwhile.
pub fn spawn(future: impl Future<Output = ()> + 'static) {
    let future = RefCell::new(Some(Box::pin(future) as BoxFuture));
    let (thread, door) = (thread::current(), DOOR.with(|(door, _)| door.clone()));
    #[expect(clippy::arc_with_non_send_sync, reason = "wakers move between threads")]
    let task = Arc::new(Task {
        thread,
        door,
        future,
    });
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
        DOOR.with(|(_, door)| {
            if READY.with(|ready| ready.borrow().is_empty()) {
                thread_waker.sleep_until_woken(door);
            }
            let woken = door.try_iter().map(|TaskRef(task)| task);
            READY.with(|ready| ready.borrow_mut().extend(woken));
        });
    }
}

/// Toasts on a thread of its own, started by the first poll (which is
/// `Pending`). The thread sets `done`, then calls our waker, from there.
struct Toaster(Option<Arc<AtomicBool>>);

impl Future for Toaster {
    type Output = &'static str;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        match &self.0 {
            Some(done) if done.load(Ordering::Acquire) => return Poll::Ready("toast"),
            Some(_) => return Poll::Pending, // the thread has a waker for us
            None => {}
        }
        let (done, waker) = (Arc::new(AtomicBool::new(false)), cx.waker().clone());
        self.0 = Some(done.clone());
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            done.store(true, Ordering::Release);
            waker.wake();
        });
        Poll::Pending
    }
}

fn main() {
    let toast = block_on(async {
        let (pop, popped) = async_channel::bounded(1);
        spawn(async move { pop.send(Toaster(None).await).await.unwrap() });
        println!("main: spawned a task that waits for the toaster");
        popped.recv().await.unwrap()
    });
    println!("main: {toast:?}, from a task woken on the toaster's thread");
}
