//! Build it yourself, stage 2 of 5: many tasks.
//!
//! **The one idea:** `spawn` wraps a future in a task, an `Rc` kept in a
//! table, and a woken task waits in a `VecDeque`, the run queue. Each turn
//! polls `block_on`'s own future, then the tasks queued when the turn began.
//! A task's waker, made with `Wake` as in stage 1, holds the task's number.
//! **What stage 1 could not do:** start a future that runs on its own while
//! the code that started it carries on, or has already returned.
//!
//! Book chapter: *Stage 2: many tasks* (`book/src/stage2-spawn.md`).
//!
//! ```text
//! cargo run --example stage2_spawn
//! ```

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
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

/// A spawned future. The table and the run queue share it: an `Rc`, since
/// only this thread ever touches it.
struct Task {
    id: usize,
    waker: Waker,
    future: RefCell<Option<BoxFuture>>, // `None` once it is done
}

/// A task's waker. `Wake` needs data that any thread may use, so it cannot
/// hold the `Rc`: it holds the task's number, its place in the table.
struct TaskWaker {
    id: usize,
    thread: Thread,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        assert!(thread::current().id() == self.thread.id(), "{ELSEWHERE}");
        // `try_with`: while this thread exits, there is nothing left to run.
        if let Ok(Some(task)) = TASKS.try_with(|tasks| tasks.borrow()[self.id].clone()) {
            let _ = READY.try_with(|ready| ready.borrow_mut().push_back(task));
        } // `None`: the task is done, there is nothing to wake
    }
}

const ELSEWHERE: &str = "a task was woken from another thread, but this stage's \
    run queue can only be reached from its executor's thread (stage 4 fixes that)";

thread_local! {
    /// The task table: task `id` is at index `id`, until it is done.
    static TASKS: RefCell<Vec<Option<Rc<Task>>>> = RefCell::default();
    /// The run queue: tasks woken since they were last polled.
    static READY: RefCell<VecDeque<Rc<Task>>> = RefCell::default();
}

/// Makes `future` a task of this thread's executor. It runs from the next
/// turn of `block_on` on, whatever the caller does meanwhile.
pub fn spawn(future: impl Future<Output = ()> + 'static) {
    let (id, thread) = (TASKS.with(|tasks| tasks.borrow().len()), thread::current());
    let waker = Waker::from(Arc::new(TaskWaker { id, thread }));
    let future = RefCell::new(Some(Box::pin(future) as BoxFuture));
    let task = Rc::new(Task { id, waker, future });
    TASKS.with(|tasks| tasks.borrow_mut().push(Some(task.clone())));
    task.waker.wake_by_ref(); // a new task is woken once, to start it
}

/// Polls the tasks queued now. A task woken meanwhile waits for the next
/// turn, so one that keeps waking itself cannot keep the others waiting.
fn run_ready() {
    for _ in 0..READY.with(|ready| ready.borrow().len()) {
        let task = READY.with(|ready| ready.borrow_mut().pop_front()).unwrap();
        let mut slot = task.future.try_borrow_mut().expect(NESTED);
        let Some(future) = &mut *slot else { continue }; // done already
        let mut cx = Context::from_waker(&task.waker);
        if future.as_mut().poll(&mut cx).is_ready() {
            *slot = None;
            TASKS.with(|tasks| tasks.borrow_mut()[task.id] = None);
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

fn main() {
    let plated = block_on(async {
        let (done, finished) = async_channel::unbounded();
        for (name, steps) in [("eggs", 2), ("coffee", 1), ("bacon", 3)] {
            spawn(cook(name, steps, done.clone()));
        }
        println!("main: spawned the cooks; none has run yet");
        let mut plated = Vec::new();
        while plated.len() < 3 {
            plated.push(finished.recv().await.unwrap());
        }
        plated
    });
    println!("main: plated {plated:?}");
}
