//! The workloads, each written once for any [`Runtime`].
//!
//! Every function runs one *sample*: it builds a fresh runtime, does the
//! work once, and returns the cost per operation (ns, or bytes for memory).
//! Setup that is not the thing measured (building the runtime, making the
//! tasks that will later be woken) happens before the clock starts.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::hint::black_box;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use crate::measure;
use crate::runtime::Runtime;

/// spawn_many, spawn_await: tasks spawned.
pub const SPAWN_TASKS: usize = 100_000;
/// yield_many: tasks, and yields per task.
pub const YIELD_TASKS: usize = 1_000;
pub const YIELDS_PER_TASK: usize = 100;
/// ping_pong: pairs of tasks, and messages per pair (half each way).
pub const PAIRS: usize = 1_000;
pub const MESSAGES_PER_PAIR: usize = 100;
/// chained_spawn: hops in the chain.
pub const CHAIN: usize = 10_000;
/// timers_fire: sleeps, spread over this window.
pub const TIMERS: usize = 100_000;
pub const TIMER_WINDOW: Duration = Duration::from_millis(50);
/// timers_cancel: sleeps created, registered and dropped.
pub const CANCELS: usize = 100_000;
/// cross_thread_wake: tasks woken by another thread.
pub const CROSS_WAKES: usize = 100_000;
/// mem_per_task: pending tasks, each holding this many bytes of state.
pub const MEM_TASKS: usize = 100_000;
pub const MEM_STATE: usize = 64;

/// One row of the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    SpawnMany,
    SpawnAwait,
    YieldMany,
    PingPong,
    ChainedSpawn,
    TimersFire,
    TimersCancel,
    CrossThreadWake,
    MemPerTask,
}

impl Workload {
    pub const ALL: &'static [Workload] = &[
        Workload::SpawnMany,
        Workload::SpawnAwait,
        Workload::YieldMany,
        Workload::PingPong,
        Workload::ChainedSpawn,
        Workload::TimersFire,
        Workload::TimersCancel,
        Workload::CrossThreadWake,
        Workload::MemPerTask,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::SpawnMany => "spawn_many",
            Workload::SpawnAwait => "spawn_await",
            Workload::YieldMany => "yield_many",
            Workload::PingPong => "ping_pong",
            Workload::ChainedSpawn => "chained_spawn",
            Workload::TimersFire => "timers_fire",
            Workload::TimersCancel => "timers_cancel",
            Workload::CrossThreadWake => "cross_thread_wake",
            Workload::MemPerTask => "mem_per_task",
        }
    }

    /// What one operation is, and the unit of the number.
    pub fn unit(self) -> &'static str {
        match self {
            Workload::SpawnMany => "ns/task",
            Workload::SpawnAwait => "ns/task",
            Workload::YieldMany => "ns/yield",
            Workload::PingPong => "ns/message",
            Workload::ChainedSpawn => "ns/hop",
            Workload::TimersFire => "CPU ns/timer",
            Workload::TimersCancel => "ns/timer",
            Workload::CrossThreadWake => "ns/wake",
            Workload::MemPerTask => "RSS bytes/task",
        }
    }

    /// One line on what it does, for the tables' legend.
    pub fn description(self) -> String {
        match self {
            Workload::SpawnMany => {
                format!("spawn {SPAWN_TASKS} trivial detached tasks, wait until all have run")
            }
            Workload::SpawnAwait => {
                format!("spawn {SPAWN_TASKS} trivial tasks, await every JoinHandle in order")
            }
            Workload::YieldMany => {
                format!("{YIELD_TASKS} tasks × {YIELDS_PER_TASK} `yield_now` each")
            }
            Workload::PingPong => format!(
                "{PAIRS} pairs of tasks pass {MESSAGES_PER_PAIR} messages (half each way) \
                 through a one-slot `Rc` mailbox with a stored `Waker`"
            ),
            Workload::ChainedSpawn => format!("each task spawns the next, {CHAIN} deep"),
            Workload::TimersFire => format!(
                "{TIMERS} tasks each sleep once, deadlines spread over 0–{} ms; \
                 process CPU time (all threads)",
                TIMER_WINDOW.as_millis()
            ),
            Workload::TimersCancel => {
                format!("{CANCELS} × (create a 10 s sleep, poll it once so it registers, drop it)")
            }
            Workload::CrossThreadWake => format!(
                "a plain OS thread wakes {CROSS_WAKES} pending tasks one after another; \
                 wall time until all have run"
            ),
            Workload::MemPerTask => format!(
                "{MEM_TASKS} pending tasks holding {MEM_STATE} bytes each; \
                 RSS growth in a fresh process"
            ),
        }
    }

    pub fn by_name(name: &str) -> Option<Workload> {
        Workload::ALL.iter().copied().find(|w| w.name() == name)
    }
}

/// A runtime, with every workload compiled for it.
#[derive(Clone, Copy)]
pub struct Entry {
    pub name: &'static str,
    pub crates: &'static str,
    pub sample: fn(Workload) -> f64,
    /// The child process's side of `mem_per_task`.
    pub mem_child: fn() -> f64,
}

impl Entry {
    pub fn of<R: Runtime>() -> Entry {
        Entry {
            name: R::NAME,
            crates: R::CRATES,
            sample: sample::<R>,
            mem_child: mem_per_task_here::<R>,
        }
    }
}

/// Runs one sample of `workload` on `R`.
fn sample<R: Runtime>(workload: Workload) -> f64 {
    match workload {
        Workload::SpawnMany => spawn_many::<R>(),
        Workload::SpawnAwait => spawn_await::<R>(),
        Workload::YieldMany => yield_many::<R>(),
        Workload::PingPong => ping_pong::<R>(),
        Workload::ChainedSpawn => chained_spawn::<R>(),
        Workload::TimersFire => timers_fire::<R>(),
        Workload::TimersCancel => timers_cancel::<R>(),
        Workload::CrossThreadWake => cross_thread_wake::<R>(),
        Workload::MemPerTask => mem_per_task::<R>(),
    }
}

fn per_op(elapsed: Duration, ops: usize) -> f64 {
    elapsed.as_nanos() as f64 / ops as f64
}

// ---------------------------------------------------------------------------
// Helpers written in the bench, the same for every runtime
// ---------------------------------------------------------------------------

/// "Wait until N tasks are done" without any runtime's primitives: a counter
/// and one stored waker, woken when the counter reaches zero.
struct Countdown {
    remaining: Cell<usize>,
    waiter: RefCell<Option<Waker>>,
}

impl Countdown {
    fn new(n: usize) -> Rc<Countdown> {
        Rc::new(Countdown {
            remaining: Cell::new(n),
            waiter: RefCell::new(None),
        })
    }

    fn done_one(&self) {
        let remaining = self.remaining.get() - 1;
        self.remaining.set(remaining);
        if remaining == 0 {
            if let Some(waiter) = self.waiter.borrow_mut().take() {
                waiter.wake();
            }
        }
    }

    async fn wait(&self) {
        poll_fn(|cx| {
            if self.remaining.get() == 0 {
                Poll::Ready(())
            } else {
                *self.waiter.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

/// A one-slot mailbox between two tasks of one thread: `Rc`, a `Cell` and
/// the receiver's stored `Waker`. No channel library, so `ping_pong`
/// measures the executor's wake → queue → poll path and little else.
struct Mailbox {
    value: Cell<Option<u32>>,
    receiver: RefCell<Option<Waker>>,
}

impl Mailbox {
    fn new() -> Rc<Mailbox> {
        Rc::new(Mailbox {
            value: Cell::new(None),
            receiver: RefCell::new(None),
        })
    }

    fn send(&self, value: u32) {
        debug_assert!(self.value.get().is_none(), "ping-pong never overfills");
        self.value.set(Some(value));
        if let Some(receiver) = &*self.receiver.borrow() {
            receiver.wake_by_ref();
        }
    }

    async fn recv(&self) -> u32 {
        poll_fn(|cx| {
            if let Some(value) = self.value.take() {
                return Poll::Ready(value);
            }
            let mut receiver = self.receiver.borrow_mut();
            match &*receiver {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                _ => *receiver = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
        .await
    }
}

// ---------------------------------------------------------------------------
// The workloads
// ---------------------------------------------------------------------------

fn spawn_many<R: Runtime>() -> f64 {
    R::run(async {
        let done = Countdown::new(SPAWN_TASKS);
        let start = Instant::now();
        for _ in 0..SPAWN_TASKS {
            let done = done.clone();
            R::spawn_detached(async move { done.done_one() });
        }
        done.wait().await;
        per_op(start.elapsed(), SPAWN_TASKS)
    })
}

fn spawn_await<R: Runtime>() -> f64 {
    R::run(async {
        let start = Instant::now();
        let mut handles = Vec::with_capacity(SPAWN_TASKS);
        for i in 0..SPAWN_TASKS {
            handles.push(R::spawn(async move { black_box(i) }));
        }
        let mut sum = 0;
        for handle in handles {
            sum += handle.await;
        }
        assert_eq!(sum, SPAWN_TASKS * (SPAWN_TASKS - 1) / 2);
        per_op(start.elapsed(), SPAWN_TASKS)
    })
}

fn yield_many<R: Runtime>() -> f64 {
    R::run(async {
        let done = Countdown::new(YIELD_TASKS);
        // Spawned before the clock starts; each task's first poll (the
        // first of its yields) happens after.
        let start = Rc::new(Cell::new(None::<Instant>));
        for _ in 0..YIELD_TASKS {
            let done = done.clone();
            R::spawn_detached(async move {
                for _ in 0..YIELDS_PER_TASK {
                    R::yield_now().await;
                }
                done.done_one();
            });
        }
        start.set(Some(Instant::now()));
        done.wait().await;
        per_op(
            start.get().unwrap().elapsed(),
            YIELD_TASKS * YIELDS_PER_TASK,
        )
    })
}

fn ping_pong<R: Runtime>() -> f64 {
    R::run(async {
        let done = Countdown::new(2 * PAIRS);
        let start = Instant::now();
        for _ in 0..PAIRS {
            let (ping, pong) = (Mailbox::new(), Mailbox::new());
            let (ping2, pong2) = (ping.clone(), pong.clone());
            let (done1, done2) = (done.clone(), done.clone());
            R::spawn_detached(async move {
                for i in 0..(MESSAGES_PER_PAIR / 2) as u32 {
                    ping.send(i);
                    let reply = pong.recv().await;
                    debug_assert_eq!(reply, i);
                }
                done1.done_one();
            });
            R::spawn_detached(async move {
                for _ in 0..MESSAGES_PER_PAIR / 2 {
                    let message = ping2.recv().await;
                    pong2.send(black_box(message));
                }
                done2.done_one();
            });
        }
        done.wait().await;
        per_op(start.elapsed(), PAIRS * MESSAGES_PER_PAIR)
    })
}

fn chained_spawn<R: Runtime>() -> f64 {
    fn hop<R: Runtime>(left: usize, done: Rc<Countdown>) {
        R::spawn_detached(async move {
            if left == 0 {
                done.done_one();
            } else {
                hop::<R>(left - 1, done);
            }
        });
    }
    R::run(async {
        let done = Countdown::new(1);
        let start = Instant::now();
        hop::<R>(CHAIN, done.clone());
        done.wait().await;
        per_op(start.elapsed(), CHAIN)
    })
}

fn timers_fire<R: Runtime>() -> f64 {
    R::run(async {
        let done = Countdown::new(TIMERS);
        let cpu = measure::process_cpu_time();
        for i in 0..TIMERS {
            // A permutation of 0..TIMERS (7919 is prime, coprime with it), so
            // the deadlines arrive in no particular order.
            let spread = (i * 7919) % TIMERS;
            let delay = TIMER_WINDOW * spread as u32 / TIMERS as u32;
            let done = done.clone();
            R::spawn_detached(async move {
                R::sleep(delay).await;
                done.done_one();
            });
        }
        done.wait().await;
        per_op(measure::process_cpu_time() - cpu, TIMERS)
    })
}

fn timers_cancel<R: Runtime>() -> f64 {
    R::run(async {
        let start = Instant::now();
        for _ in 0..CANCELS {
            let mut sleep = pin!(R::sleep(Duration::from_secs(10)));
            // Poll once, in this task's context, so the timer registers.
            poll_fn(|cx| {
                assert!(sleep.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
        }
        per_op(start.elapsed(), CANCELS)
    })
}

/// What a task waits on in `cross_thread_wake`: set by the other thread.
#[derive(Default)]
struct Gate {
    state: Mutex<(bool, Option<Waker>)>,
}

fn cross_thread_wake<R: Runtime>() -> f64 {
    R::run(async {
        let done = Countdown::new(CROSS_WAKES);
        let registered = Rc::new(Cell::new(0));
        let gates: Vec<Arc<Gate>> = (0..CROSS_WAKES).map(|_| Arc::default()).collect();
        for gate in &gates {
            let (gate, done, registered) = (gate.clone(), done.clone(), registered.clone());
            R::spawn_detached(async move {
                poll_fn(|cx| {
                    let mut state = gate.state.lock().unwrap();
                    if state.0 {
                        return Poll::Ready(());
                    }
                    if state.1.is_none() {
                        registered.set(registered.get() + 1);
                    }
                    state.1 = Some(cx.waker().clone());
                    Poll::Pending
                })
                .await;
                done.done_one();
            });
        }
        // Setup: every task has run once and left its waker.
        while registered.get() < CROSS_WAKES {
            R::yield_now().await;
        }
        let go = Arc::new(AtomicBool::new(false));
        let waker_thread = {
            let go = go.clone();
            std::thread::spawn(move || {
                while !go.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                }
                for gate in gates {
                    let waker = {
                        let mut state = gate.state.lock().unwrap();
                        state.0 = true;
                        state.1.take()
                    };
                    waker.expect("registered").wake();
                }
            })
        };
        let start = Instant::now();
        go.store(true, Ordering::Release);
        done.wait().await;
        let elapsed = start.elapsed();
        waker_thread.join().expect("the waker thread");
        per_op(elapsed, CROSS_WAKES)
    })
}

/// Memory is measured in a child process (a fresh heap: RSS growth there is
/// the tasks' cost, not reuse of what earlier workloads freed). `main.rs`
/// starts the child, which calls [`mem_per_task_here`].
fn mem_per_task<R: Runtime>() -> f64 {
    measure::in_child_process(R::NAME, Workload::MemPerTask)
}

/// The child's side of `mem_per_task`.
fn mem_per_task_here<R: Runtime>() -> f64 {
    R::run(async {
        let started = Rc::new(Cell::new(0usize));
        let before = measure::resident_bytes();
        for i in 0..MEM_TASKS {
            let started = started.clone();
            R::spawn_detached(async move {
                let state = [i as u8; MEM_STATE];
                started.set(started.get() + 1);
                std::future::pending::<()>().await;
                black_box(&state);
            });
        }
        while started.get() < MEM_TASKS {
            R::yield_now().await;
        }
        let after = measure::resident_bytes();
        (after.saturating_sub(before)) as f64 / MEM_TASKS as f64
    })
}
