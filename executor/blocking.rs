//! `spawn_blocking`: when the chef is not waiting, hand the work to a helper.
//!
//! Book chapter: *When the chef is not waiting* (`book/src/cpu-work.md`).
//!
//! The course this project follows ends with a warning: *async only helps
//! with waiting. Heavy CPU work (or a call that blocks the thread) still needs
//! another worker.* This executor has one thread. While a task computes, no
//! other task is polled, no timer fires, and nobody notices a wake: the whole
//! kitchen stops. [`spawn_blocking`] moves such work to another OS thread:
//!
//! ```text
//!   executor thread                          a pool thread
//!   ───────────────                          ─────────────
//!   handle = spawn_blocking(f) ── job ─────► runs f()  (the chef carries on:
//!   handle.await → Pending                    │          other tasks, timers)
//!     (the awaiter's waker is kept            │
//!      in the slot, under a Mutex)            ▼
//!                                            slot = Ok(output) or Err(panic)
//!   waker queue's channel ◄──── wake ─────── awaiter.wake()
//!   executor unparks, polls the awaiter
//!   handle.await → Ready(output)
//! ```
//!
//! The result comes back exactly the way a reactor's readiness does (see
//! *How a reactor wakes our tasks*, `book/src/reactor.md`): the other thread
//! fills a slot and calls the awaiter's `Waker`; since that thread is not the
//! executor's, the wake goes through the run queue's channel (`runtime/scheduler.rs`),
//! which also unparks the executor if it was asleep.
//!
//! ## The pool
//!
//! A small, bounded pool of reused threads, built from `std` only:
//!
//! * at most [`MAX_THREADS`] threads; more jobs than that wait in a queue;
//! * a thread is started only when the queued jobs outnumber the idle threads;
//! * a thread idle for [`IDLE_TIMEOUT`] exits, so a program that used the
//!   pool once does not keep threads forever.
//!
//! The pool is one per process and does not need an executor: `spawn_blocking`
//! may be called anywhere, and its `JoinHandle` awaited by any executor (it
//! only needs the awaiter's `Waker`). The handle is not `Send`, like every
//! `JoinHandle`: await it on the thread that created it.
//!
//! ## What `abort` can and cannot do
//!
//! A thread cannot be stopped from outside; the closure runs until it returns.
//! [`JoinHandle::abort`] therefore:
//!
//! * if the closure has **not started** (it waits in the queue): it will never
//!   run; awaiting the handle gives a cancelled [`JoinError`];
//! * if the closure is **running**: it runs to the end on its pool thread and
//!   its result is dropped there, unseen; awaiting the handle gives a
//!   cancelled `JoinError` at once, without waiting for it;
//! * if it has **finished**: nothing happens; the handle still gives the result.
//!
//! Dropping the handle detaches the job: it still runs, its result is dropped.

use std::collections::VecDeque;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::base::id::TaskId;
use crate::base::lock::lock;
use crate::base::panic::drop_caught;
use crate::base::waker_slot::keep_latest;
use crate::runtime::join_handle::{JoinError, JoinHandle, JoinTarget};

/// The most threads the pool runs at once.
pub(crate) const MAX_THREADS: usize = 4;

/// How long a pool thread waits for a new job before it exits.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `f` on a thread of a small shared pool and returns a [`JoinHandle`]
/// whose `.await` gives `f`'s result, without blocking the executor.
///
/// Use it for work that does not wait but *computes* (hashing, compressing,
/// parsing a huge file) or that blocks in a call with no async version
/// (`std::fs`, a blocking database driver). Inside a task such work stops
/// every other task and timer until it is done.
///
/// ```
/// let sum = busy_chef::block_on(async {
///     let handle = busy_chef::spawn_blocking(|| (1..=1_000u64).sum::<u64>());
///     // ... the executor runs other tasks meanwhile ...
///     handle.await.unwrap()
/// });
/// assert_eq!(sum, 500_500);
/// ```
///
/// If `f` panics, the panic is caught on the pool thread (the thread lives
/// on) and awaiting the handle gives a [`JoinError`] whose
/// [`is_panic`](JoinError::is_panic) is true.
///
/// The pool is shared by the whole process: at most 4 threads, reused, each
/// exiting after 5 s without a job; more jobs than threads wait in a queue.
/// `spawn_blocking` may be called from anywhere, with or without a running
/// executor; the handle is awaited like any `JoinHandle`.
///
/// A thread cannot be stopped from outside, so
/// [`abort`](JoinHandle::abort) cannot stop a closure that is running: it
/// runs to the end and its result is dropped. What `abort` does is settle the
/// handle: awaiting it gives a cancelled `JoinError` at once, and a closure
/// still waiting in the queue never runs.
// ANCHOR: spawn_blocking
pub fn spawn_blocking<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let id = TaskId::next();
    let slot = Arc::new(BlockingSlot {
        id,
        state: Mutex::new(SlotState {
            stage: Stage::Queued,
            awaiter: None,
            handle: true,
        }),
    });
    let job_slot = slot.clone();
    pool().submit(Box::new(move || job_slot.run(f)));
    JoinHandle::new(slot)
}
// ANCHOR_END: spawn_blocking

// ===== the slot: where the pool thread leaves the result =====

/// The shared state of one blocking job: the `JoinTarget` its handle reads.
/// Touched by the executor's thread (the handle) and by a pool thread (the
/// job), so everything is behind one `Mutex`.
struct BlockingSlot<T> {
    id: TaskId,
    state: Mutex<SlotState<T>>,
}

struct SlotState<T> {
    stage: Stage<T>,
    /// The waker of whoever awaits the handle (the latest poll's).
    awaiter: Option<Waker>,
    /// The `JoinHandle` still exists; once it is dropped the result is
    /// dropped as soon as it is made.
    handle: bool,
}

enum Stage<T> {
    /// In the pool's queue, not started. `abort` can still prevent it.
    Queued,
    /// A pool thread is running the closure.
    Running,
    /// Finished (or cancelled); the result waits for the handle.
    Done(Result<T, JoinError>),
    /// The handle has taken the result (or dropped it).
    Consumed,
}

impl<T> Stage<T> {
    fn name(&self) -> &'static str {
        match self {
            Stage::Queued => "Queued",
            Stage::Running => "Running",
            Stage::Done(Ok(_)) => "Done(Ok(output))",
            Stage::Done(Err(_)) => "Done(Err(JoinError))",
            Stage::Consumed => "Consumed",
        }
    }
}

impl<T> BlockingSlot<T> {
    /// Locks the state. A poisoned lock is still usable: every critical
    /// section below leaves the state consistent before it can panic.
    fn lock(&self) -> MutexGuard<'_, SlotState<T>> {
        lock(&self.state)
    }

    // ANCHOR: run
    /// On a pool thread: run `f` (unless aborted before it started), store
    /// the result, wake the awaiter.
    fn run(&self, f: impl FnOnce() -> T) {
        {
            let mut state = self.lock();
            match state.stage {
                Stage::Queued => state.stage = Stage::Running,
                // Aborted while queued: `abort` has already reported it.
                _ => return,
            }
        }
        let result = catch_unwind(AssertUnwindSafe(f)).map_err(|e| JoinError::panic(self.id, e));

        let mut state = self.lock();
        let wanted = state.handle && matches!(state.stage, Stage::Running);
        let (unwanted, awaiter) = if wanted {
            state.stage = Stage::Done(result);
            (None, state.awaiter.take())
        } else {
            // Aborted while running, or detached: nobody will read it.
            (Some(result), None)
        };
        drop(state);
        // User code (a destructor, a foreign waker) runs with no lock held,
        // and a panic in it must not kill the pool thread.
        let _ = catch_unwind(AssertUnwindSafe(move || {
            drop(unwanted);
            if let Some(awaiter) = awaiter {
                awaiter.wake();
            }
        }));
    }
    // ANCHOR_END: run
}

impl<T: Send + 'static> JoinTarget<T> for BlockingSlot<T> {
    fn id(&self) -> TaskId {
        self.id
    }

    // ANCHOR: poll_join
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        let mut state = self.lock();
        match std::mem::replace(&mut state.stage, Stage::Consumed) {
            Stage::Done(result) => Poll::Ready(result),
            Stage::Consumed => panic!(
                "a JoinHandle was polled again after it returned the output of {} \
                 (a spawn_blocking job)",
                self.id
            ),
            waiting => {
                state.stage = waiting;
                // Under the same lock as the pool thread's "store, take the
                // waker": the wake cannot slip in between and be lost.
                keep_latest(&mut state.awaiter, cx.waker());
                Poll::Pending
            }
        }
    }
    // ANCHOR_END: poll_join

    // ANCHOR: abort
    fn abort(&self) {
        let mut state = self.lock();
        if matches!(state.stage, Stage::Queued | Stage::Running) {
            // Queued: the pool thread will see `Done` and skip the closure.
            // Running: it will see `Done` and drop its result.
            state.stage = Stage::Done(Err(JoinError::cancelled(self.id)));
            let awaiter = state.awaiter.take();
            drop(state);
            if let Some(awaiter) = awaiter {
                awaiter.wake();
            }
        }
    }
    // ANCHOR_END: abort

    fn is_finished(&self) -> bool {
        matches!(self.lock().stage, Stage::Done(_) | Stage::Consumed)
    }

    fn detach(&self) {
        let mut state = self.lock();
        state.handle = false;
        let awaiter = state.awaiter.take();
        let unclaimed = match state.stage {
            Stage::Done(_) => Some(std::mem::replace(&mut state.stage, Stage::Consumed)),
            _ => None,
        };
        drop(state);
        // The unread output's destructor (and a foreign waker's) is user
        // code: a panic in it is swallowed, as a spawned task's handle does
        // (`Task::detach`), because dropping a handle must never unwind.
        // Scenario in tests/blocking.rs:
        // `dropping_a_finished_handle_whose_output_panics_on_drop_does_not_unwind`.
        drop_caught((unclaimed, awaiter));
    }
}

impl<T> fmt::Debug for BlockingSlot<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("BlockingSlot")
            .field("id", &self.id)
            .field("stage", &format_args!("{}", state.stage.name()))
            .field("awaiter", &state.awaiter.is_some())
            .field("handle", &state.handle)
            .finish()
    }
}

// ===== the pool: a few reused threads and a queue of jobs =====

type Job = Box<dyn FnOnce() + Send + 'static>;

struct Pool {
    state: Mutex<PoolState>,
    /// Signalled when a job is queued.
    job_ready: Condvar,
    /// [`MAX_THREADS`] and [`IDLE_TIMEOUT`] (smaller in the unit tests).
    max_threads: usize,
    idle_timeout: Duration,
}

#[derive(Default)]
struct PoolState {
    queue: VecDeque<Job>,
    /// Threads alive (busy or idle).
    threads: usize,
    /// Threads waiting on `job_ready`.
    idle: usize,
    /// Threads started so far, to name them.
    started: usize,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool::new(MAX_THREADS, IDLE_TIMEOUT))
}

impl Pool {
    fn new(max_threads: usize, idle_timeout: Duration) -> Pool {
        Pool {
            state: Mutex::new(PoolState::default()),
            job_ready: Condvar::new(),
            max_threads,
            idle_timeout,
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // Jobs run with the lock released and catch their own panics, so
        // the lock is never poisoned in practice; if it were, the state is
        // still consistent (each critical section is a few plain updates).
        lock(&self.state)
    }

    // ANCHOR: pool
    fn submit(&'static self, job: Job) {
        let mut state = self.lock();
        state.queue.push_back(job);
        self.job_ready.notify_one();
        // An idle thread will take the job; start another one only if the
        // queued jobs outnumber the idle threads.
        if state.queue.len() > state.idle && state.threads < self.max_threads {
            state.threads += 1;
            state.started += 1;
            let name = format!("busy-chef-blocking-{}", state.started);
            drop(state);
            let spawned = std::thread::Builder::new()
                .name(name)
                .spawn(move || self.work());
            if let Err(error) = spawned {
                let mut state = self.lock();
                state.threads -= 1;
                let none_left = state.threads == 0;
                drop(state);
                // With another thread alive the job still runs, later.
                assert!(
                    !none_left,
                    "spawn_blocking could not start a pool thread: {error}"
                );
            }
        }
    }

    /// A pool thread: take jobs until none comes for `idle_timeout`.
    fn work(&self) {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.queue.pop_front() {
                drop(state);
                job(); // catches its own panics (see `BlockingSlot::run`)
                state = self.lock();
                continue;
            }
            state.idle += 1;
            let (next, waited) = self
                .job_ready
                .wait_timeout(state, self.idle_timeout)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            state = next;
            state.idle -= 1;
            if waited.timed_out() && state.queue.is_empty() {
                state.threads -= 1;
                return;
            }
        }
    }
    // ANCHOR_END: pool
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Pool")
            .field("queued", &state.queue.len())
            .field("threads", &state.threads)
            .field("idle", &state.idle)
            .field("max_threads", &self.max_threads)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    //! The pool's thread accounting, on private pools with a short idle
    //! timeout (the shared pool's five seconds would slow the tests down).

    use super::*;
    use std::sync::mpsc;

    const PATIENCE: Duration = Duration::from_secs(20);

    fn small_pool(max_threads: usize, idle: Duration) -> &'static Pool {
        Box::leak(Box::new(Pool::new(max_threads, idle)))
    }

    /// Waits (bounded) until `check` holds for the pool's state.
    fn wait_for(pool: &Pool, what: &str, check: impl Fn(&PoolState) -> bool) {
        let start = std::time::Instant::now();
        while !check(&pool.lock()) {
            assert!(start.elapsed() < PATIENCE, "{what}: {pool:?}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn idle_threads_exit_and_new_jobs_start_new_ones() {
        let pool = small_pool(2, Duration::from_millis(30));
        let (tx, rx) = mpsc::channel();
        for i in 0..5 {
            let tx = tx.clone();
            pool.submit(Box::new(move || tx.send(i).unwrap()));
        }
        let mut got: Vec<i32> = (0..5).map(|_| rx.recv_timeout(PATIENCE).unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2, 3, 4]);
        assert!(pool.lock().started <= 2, "{pool:?}");

        wait_for(pool, "idle threads exit", |s| s.threads == 0 && s.idle == 0);

        // The pool is empty, not dead: the next job starts a thread again.
        let tx2 = tx.clone();
        pool.submit(Box::new(move || tx2.send(9).unwrap()));
        assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), 9);
        wait_for(pool, "the new thread exits too", |s| s.threads == 0);
        assert!(pool.lock().queue.is_empty());
    }

    #[test]
    fn never_more_threads_than_the_limit_even_with_a_long_queue() {
        let pool = small_pool(3, Duration::from_millis(200));
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = Arc::new(Mutex::new(release_rx));
        let (done_tx, done_rx) = mpsc::channel();
        for _ in 0..10 {
            let (release_rx, done_tx) = (release_rx.clone(), done_tx.clone());
            pool.submit(Box::new(move || {
                let _ = release_rx.lock().unwrap().recv_timeout(PATIENCE);
                done_tx.send(()).unwrap();
            }));
        }
        wait_for(pool, "three threads busy", |s| s.threads == 3);
        {
            let state = pool.lock();
            assert_eq!(state.started, 3, "{pool:?}");
            assert!(state.queue.len() >= 7, "{pool:?}");
        }
        drop(release_tx); // every job returns at once
        for _ in 0..10 {
            done_rx.recv_timeout(PATIENCE).unwrap();
        }
        assert_eq!(pool.lock().started, 3, "{pool:?}");
    }

    #[test]
    fn a_queued_job_is_taken_by_an_idle_thread_without_starting_another() {
        let pool = small_pool(4, Duration::from_secs(10));
        let (tx, rx) = mpsc::channel();
        let tx1 = tx.clone();
        pool.submit(Box::new(move || tx1.send(1).unwrap()));
        assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), 1);
        wait_for(pool, "the thread is idle", |s| s.idle == 1);
        for i in 2..6 {
            let tx = tx.clone();
            pool.submit(Box::new(move || tx.send(i).unwrap()));
            assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), i);
            wait_for(pool, "the thread is idle again", |s| s.idle == 1);
        }
        assert_eq!(pool.lock().started, 1, "{pool:?}");
    }
}
