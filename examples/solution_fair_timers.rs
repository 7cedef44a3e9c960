//! Reference solution of the exercise in `examples/exercise_fair_timers.rs`
//! (book chapter *Exercises*, `book/src/exercises.md`). The checks in `main`
//! are the same in both files (a test compares them).
//!
//! ```text
//! cargo run --example solution_fair_timers
//! ```

// ANCHOR: setup
use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

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

    /// Sleeps until the note says "woken", and takes the note away; or, if
    /// a timer is waiting, moves the simulated clock to its deadline.
    fn sleep_until_woken_or_next_deadline(&self) {
        while !self.woken.swap(false, Ordering::Acquire) {
            match TIMERS.with(|timers| timers.borrow().next_deadline()) {
                Some(deadline) => return NOW.set(deadline),
                None => thread::park(),
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
    /// The simulated clock. Here every poll of a task takes 1 ms, so that
    /// time passes while tasks run, as it would on a real clock.
    static NOW: Cell<Duration> = const { Cell::new(Duration::ZERO) };
    static TIMERS: RefCell<Timers> = RefCell::default();
}

/// The time on this thread's simulated clock.
pub fn now() -> Duration {
    NOW.get()
}

/// The timers: (deadline, number) in a heap, earliest on top, and the waker
/// of each number.
#[derive(Default)]
struct Timers {
    heap: BinaryHeap<Reverse<(Duration, u64)>>,
    wakers: HashMap<u64, Waker>,
    next: u64,
}

impl Timers {
    fn next_deadline(&self) -> Option<Duration> {
        self.heap.peek().map(|Reverse((deadline, _))| *deadline)
    }
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

/// Wakes the timers that are due.
fn fire_due_timers() {
    let (now, mut due) = (now(), Vec::new());
    TIMERS.with(|timers| {
        let Timers { heap, wakers, .. } = &mut *timers.borrow_mut();
        while let Some(&Reverse((deadline, number))) = heap.peek() {
            if deadline > now {
                break;
            }
            heap.pop();
            due.extend(wakers.remove(&number));
        }
    });
    due.into_iter().for_each(Waker::wake); // outside the borrow: wakers run code
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
        NOW.set(NOW.get() + Duration::from_millis(1)); // a poll takes 1 ms here
        if future.as_mut().poll(&mut cx).is_ready() {
            *slot = None;
            TASKS.with(|tasks| tasks.borrow_mut()[task.id] = None);
        }
    }
}

const NESTED: &str = "a task was polled while it was being polled: was `block_on` \
    called inside a task? `.await` the future there instead";

// ANCHOR_END: setup

// ANCHOR: loop
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
        // Every turn, however busy: a task that is always ready still lets
        // the timers that are due wake their tasks, which then wait their
        // turn behind it. (tokio looks at its timers every 61 polls.)
        fire_due_timers();
        if READY.with(|ready| ready.borrow().is_empty()) {
            thread_waker.sleep_until_woken_or_next_deadline();
        }
    }
}
// ANCHOR_END: loop

// ANCHOR: checks
fn main() {
    // 1. With nothing else to do, the clock jumps from timer to timer.
    let woke = Rc::new(RefCell::new(Vec::new()));
    block_on(async {
        let (done, finished) = async_channel::unbounded();
        for ms in [30, 10, 20] {
            let (woke, done) = (woke.clone(), done.clone());
            spawn(async move {
                sleep(Duration::from_millis(ms)).await;
                woke.borrow_mut().push(ms);
                done.send(()).await.unwrap();
            });
        }
        for _ in 0..3 {
            finished.recv().await.unwrap();
        }
    });
    assert_eq!(*woke.borrow(), [10, 20, 30]);
    println!(
        "1. three sleeps woke in deadline order: {:?}",
        woke.borrow()
    );

    // 2. One task sleeps 10 ms; another yields until that sleep is over.
    let start = now();
    let woke_at = Rc::new(Cell::new(None));
    block_on(async {
        let (done, finished) = async_channel::unbounded();
        let (sleeper_woke, sleeper_done) = (woke_at.clone(), done.clone());
        spawn(async move {
            sleep(Duration::from_millis(10)).await;
            sleeper_woke.set(Some(now() - start));
            sleeper_done.send(()).await.unwrap();
        });
        let spinner_sees = woke_at.clone();
        spawn(async move {
            let mut turns = 0;
            while spinner_sees.get().is_none() {
                turns += 1;
                assert!(
                    turns < 1000,
                    "the spinner has yielded {turns} times, {:?} have passed, and the \
                     10 ms timer has not fired: the loop looks at the timers only when \
                     no task is ready, and the spinner is always ready",
                    now() - start
                );
                futures_lite::future::yield_now().await;
            }
            done.send(()).await.unwrap();
        });
        for _ in 0..2 {
            finished.recv().await.unwrap();
        }
    });
    let late = woke_at.get().unwrap() - Duration::from_millis(10);
    assert!(
        late < Duration::from_millis(10),
        "the timer fired {late:?} late"
    );
    println!("2. the 10 ms timer fired, {late:?} late, while another task kept busy");
    println!("all checks passed");
}
// ANCHOR_END: checks
