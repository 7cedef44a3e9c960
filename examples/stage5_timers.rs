//! Build it yourself, stage 5 of 5: timers.
//!
//! **The one idea:** a clock, and a `BinaryHeap` of timers, earliest on top.
//! `sleep` puts its deadline and waker in the heap; every turn wakes the
//! timers that are due, and when nothing is ready, the executor sleeps until
//! the next deadline. On simulated time it jumps there instead.
//! **What stage 4 could not do:** wait for time. A sleep needed a thread of
//! its own, sleeping for real: a thousand sleeps, a thousand threads.
//!
//! Book chapter: *Stage 5: timers* (`book/src/stage5-timers.md`).
//!
//! ```text
//! cargo run --example stage5_timers -- --simulated
//! ```

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

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
    /// a task comes in at the door, or the clock reaches `deadline`. `park`
    /// may return for no reason, so the note, the door and the clock decide.
    fn sleep_until_woken(&self, door: &Receiver<TaskRef>, deadline: Option<Duration>) {
        while !self.woken.swap(false, Ordering::Acquire) && door.is_empty() {
            match (deadline, SIMULATED.get()) {
                (None, _) => thread::park(),
                (Some(deadline), Some(_)) => return SIMULATED.set(Some(deadline)), // jump
                (Some(deadline), None) if now() < deadline => {
                    thread::park_timeout(deadline.saturating_sub(now()));
                }
                (Some(_), None) => return, // the deadline has come
            }
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
    /// The clock: `None` for real time, `Some(now)` for simulated time.
    static SIMULATED: Cell<Option<Duration>> = const { Cell::new(None) };
    static START: Instant = Instant::now();
    static TIMERS: RefCell<Timers> = RefCell::default();
}

/// Runs this thread's executor on simulated time, from zero: when no task
/// is ready, the clock jumps to the next deadline instead of waiting for it.
pub fn simulate_time() {
    SIMULATED.set(Some(Duration::ZERO));
}

/// The time on this thread's clock, since it started.
pub fn now() -> Duration {
    SIMULATED
        .get()
        .unwrap_or_else(|| START.with(Instant::elapsed))
}

/// The timers: (deadline, number) in a heap, earliest on top, and the waker
/// of each number. A sleep dropped early stays until its deadline.
#[derive(Default)]
struct Timers {
    heap: BinaryHeap<Reverse<(Duration, u64)>>,
    wakers: HashMap<u64, Waker>,
    next: u64,
}

/// Waits until `duration` has passed on this thread's clock.
pub async fn sleep(duration: Duration) {
    let (deadline, mut number) = (now() + duration, None);
    std::future::poll_fn(|cx| {
        if now() >= deadline {
            return Poll::Ready(());
        }
        let old = TIMERS.with(|timers| {
            let timers = &mut *timers.borrow_mut();
            let n = *number.get_or_insert_with(|| {
                timers.next += 1; // a number, to find this sleep's waker
                timers.heap.push(Reverse((deadline, timers.next)));
                timers.next
            });
            timers.wakers.insert(n, cx.waker().clone()) // the latest poll's waker
        });
        drop(old); // outside the borrow: dropping a waker may drop a task
        Poll::Pending
    })
    .await
}

/// Wakes the timers that are due. Returns the next deadline.
fn fire_due_timers() -> Option<Duration> {
    let (now, mut due) = (now(), Vec::new());
    let next = TIMERS.with(|timers| {
        let Timers { heap, wakers, .. } = &mut *timers.borrow_mut();
        while let Some(&Reverse((deadline, number))) = heap.peek() {
            if deadline > now {
                return Some(deadline);
            }
            heap.pop();
            due.extend(wakers.remove(&number));
        }
        None
    });
    due.into_iter().for_each(Waker::wake); // outside the borrow: wakers run code
    next
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
        let next_deadline = fire_due_timers(); // every turn, however busy
        DOOR.with(|(_, door)| {
            if READY.with(|ready| ready.borrow().is_empty()) {
                thread_waker.sleep_until_woken(door, next_deadline);
            }
            let woken = door.try_iter().map(|TaskRef(task)| task);
            READY.with(|ready| ready.borrow_mut().extend(woken));
        });
    }
}

/// The course's download, on this executor's timers.
async fn download_file(name: &str, seconds: u64) {
    println!("Starting download of {name}...");
    sleep(Duration::from_secs(seconds)).await;
    println!("Finished download of {name}!");
}

fn main() {
    if std::env::args().any(|arg| arg == "--simulated") {
        simulate_time();
    }
    block_on(async {
        println!("Main Started!");
        let (done, finished) = async_channel::unbounded();
        for (name, seconds) in [("File 1", 2), ("File 2", 1)] {
            let done = done.clone();
            spawn(async move {
                download_file(name, seconds).await;
                done.send(()).await.unwrap();
            });
        }
        for _ in 0..2 {
            finished.recv().await.unwrap();
        }
        println!("Main Finished!");
    });
    println!("Took {:.3} s on the executor's clock", now().as_secs_f64());
}
