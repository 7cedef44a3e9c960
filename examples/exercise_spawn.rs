//! Exercise: add `spawn` to the smallest `block_on` (book chapter
//! *Exercises*, `book/src/exercises.md`).
//!
//! Below is stage 1 of the build-up (`examples/stage1_block_on.rs`): a
//! `block_on` that sleeps until its future's waker is called. Write `spawn`,
//! and change `block_on` so that it runs the spawned tasks too.
//!
//! ```text
//! cargo run --example exercise_spawn
//! ```
//!
//! It panics until the exercise is done; then it prints "all checks passed".
//! The reference solution is `examples/solution_spawn.rs`.

// Until the exercise is done, some of what it declares is unused.
#![allow(dead_code, unused_variables, unused_imports)]

// ANCHOR: setup
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
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
// ANCHOR_END: setup

// ANCHOR: spawn
/// Starts `future` as a task: it runs while `block_on` runs, whether or not
/// anyone awaits it.
pub fn spawn(future: impl Future<Output = ()> + 'static) {
    // Keep the future somewhere `block_on` will find it (a thread-local?),
    // so that it is polled at the next turn, and again after its wakes.
    todo!("write spawn, and make block_on run the tasks")
}

/// Runs `future` on this thread until it is ready, and the spawned tasks
/// meanwhile.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let thread_waker = ThreadWaker::new();
    let waker = Waker::from(thread_waker.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread_waker.sleep_until_woken();
    }
}
// ANCHOR_END: spawn

// ANCHOR: checks
/// Toasts on a thread of its own, started by the first poll. The thread's
/// `send` calls our waker, from that thread.
async fn toaster(ms: u64) -> &'static str {
    let (pop, popped) = async_channel::bounded(1);
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(ms));
        pop.send_blocking("toast")
    });
    popped.recv().await.unwrap()
}

/// Ends the program, saying what hung, unless `done` is set within 5 s.
fn watchdog(check: &'static str, done: Arc<AtomicBool>) {
    thread::spawn(move || {
        thread::sleep(Duration::from_secs(5));
        if !done.load(Ordering::Acquire) {
            eprintln!("check {check} is still waiting after 5 s: a task was not polled again");
            std::process::exit(1);
        }
    });
}

fn main() {
    // 1. A spawned task runs while main waits for it: main pings, it pongs.
    let (ping, pinged) = async_channel::bounded(1);
    let (pong, ponged) = async_channel::bounded(1);
    let done = Arc::new(AtomicBool::new(false));
    watchdog("1 (ping, pong)", done.clone());
    let answer = block_on(async move {
        spawn(async move {
            let ball: &str = pinged.recv().await.unwrap();
            pong.send(ball.replace('i', "o")).await.unwrap();
        });
        ping.send("ping").await.unwrap();
        ponged.recv().await.unwrap()
    });
    done.store(true, Ordering::Release);
    assert_eq!(answer, "pong");
    println!("1. a spawned task answered main's ping");

    // 2. Tasks take turns: `yield_now` wakes the task and lets the others go.
    let log = Rc::new(RefCell::new(Vec::new()));
    let finished = Rc::new(Cell::new(0));
    block_on(async {
        for (name, steps) in [("a", 3), ("b", 2), ("c", 1)] {
            let (log, finished) = (log.clone(), finished.clone());
            spawn(async move {
                for step in 1..=steps {
                    log.borrow_mut().push(format!("{name}{step}"));
                    futures_lite::future::yield_now().await;
                }
                finished.set(finished.get() + 1);
            });
        }
        while finished.get() < 3 {
            futures_lite::future::yield_now().await;
        }
    });
    assert_eq!(*log.borrow(), ["a1", "b1", "c1", "a2", "b2", "a3"]);
    println!("2. three tasks took turns: {:?}", log.borrow());

    // 3. A task spawns a task, which is woken from the toaster's thread; and
    //    while it waits, main is not polled over and over.
    let (plate, plated) = async_channel::bounded(1);
    let mut main = pin!(async move {
        spawn(async move {
            spawn(async move { plate.send(toaster(50).await).await.unwrap() });
        });
        plated.recv().await.unwrap()
    });
    let done = Arc::new(AtomicBool::new(false));
    watchdog("3 (a task woken from another thread)", done.clone());
    let mut polls = 0;
    let toast = block_on(std::future::poll_fn(|cx| {
        polls += 1;
        main.as_mut().poll(cx)
    }));
    done.store(true, Ordering::Release);
    assert_eq!(toast, "toast");
    assert!(
        polls < 20,
        "main was polled {polls} times in 50 ms: busy-polling?"
    );
    println!("3. a task's task, woken from another thread, plated {toast:?}");
    println!("all checks passed");
}
// ANCHOR_END: checks
