//! The build-up path: the book's chapters *Build it yourself, 1* to *5* grow
//! an executor in five stages, `examples/stage1_block_on.rs` to
//! `examples/stage5_timers.rs`, each adding one idea to the one before.
//!
//! Each stage is compiled into this test as a module (its `main` unused), so
//! a scenario can run on two stages side by side. For every stage N ≥ 2 there
//! is a scenario that stage N-1 cannot do: it is run on both, and must fail on
//! N-1 and pass on N. Each writes what it saw to
//! `book/src/generated/build-up-N.txt`, which the chapter shows.
//!
//! "Cannot" is observed, never assumed. Where the earlier stage would wait
//! for ever, the scenario runs on a thread of its own and the test stops
//! waiting after [`GIVE_UP`] (that thread is then left parked, harmlessly):
//! the bound only detects the hang, it measures nothing. Time itself is
//! simulated (stage 5's own clock).
//!
//! The `generated_stage*` tests run the examples and compare what they print
//! with `book/src/generated/stage*.txt`. `BUSY_CHEF_BLESS=1 cargo test --test
//! build_up` rewrites all these files.

mod book_support;
mod panic_payload;

#[path = "../examples/stage1_block_on.rs"]
#[allow(dead_code, reason = "only the executor is used here, not the demo")]
mod stage1;
#[path = "../examples/stage2_spawn.rs"]
#[allow(dead_code, reason = "only the executor is used here, not the demo")]
mod stage2;
#[path = "../examples/stage3_vtable.rs"]
#[allow(dead_code, reason = "only the executor is used here, not the demo")]
mod stage3;
#[path = "../examples/stage4_channel.rs"]
#[allow(dead_code, reason = "only the executor is used here, not the demo")]
mod stage4;
#[path = "../examples/stage5_timers.rs"]
#[allow(dead_code, reason = "only the executor is used here, not the demo")]
mod stage5;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use book_support::{check_or_bless, run_example};
use panic_payload::panic_message;

/// How long to wait before calling a scenario stuck. Only ever the answer
/// for a stage that cannot do it: one that can finishes in microseconds, and
/// is given [`PATIENCE`].
const GIVE_UP: Duration = Duration::from_millis(200);

/// A safety net for the stages that can: a bug makes the test fail, not hang.
const PATIENCE: Duration = Duration::from_secs(60);

/// Runs `scenario` on a new thread, so that it gets a fresh thread-local
/// executor, and waits at most `limit` for its result. `None`: not finished.
fn on_a_new_thread<T: Send + 'static>(
    limit: Duration,
    scenario: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (result, receiver) = mpsc::channel();
    thread::Builder::new()
        .name("scenario".into())
        .spawn(move || {
            let _ = result.send(scenario());
        })
        .unwrap();
    match receiver.recv_timeout(limit) {
        Ok(value) => Some(value),
        Err(mpsc::RecvTimeoutError::Timeout) => None,
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the scenario panicked"),
    }
}

// ---------------------------------------------------------------------------
// Stage 2: spawn
// ---------------------------------------------------------------------------

// ANCHOR: ping_pong
/// Main starts a ponger, which waits for a ping and answers it; then main
/// pings, and waits for the pong. `run` is how the stage runs a future that
/// main does not await.
macro_rules! ping_pong {
    ($block_on:path, $run:expr) => {{
        let (ping, pinged) = async_channel::bounded(1);
        let (pong, ponged) = async_channel::bounded(1);
        $block_on(async move {
            $run(async move {
                let ball: &str = pinged.recv().await.unwrap();
                pong.send(ball.replace('i', "o")).await.unwrap();
            });
            ping.send("ping").await.unwrap();
            ponged.recv().await.unwrap()
        })
    }};
}
// ANCHOR_END: ping_pong

#[test]
fn stage_2_runs_a_spawned_task_while_its_spawner_carries_on() {
    // ANCHOR: ping_pong_runs
    // Stage 1 has no `spawn`. The only way it can run a future is `block_on`,
    // which returns when that future is done: the ponger never gets its ping.
    let stage1 = on_a_new_thread(GIVE_UP, || ping_pong!(stage1::block_on, stage1::block_on));
    let stage2 = on_a_new_thread(PATIENCE, || ping_pong!(stage2::block_on, stage2::spawn));
    // ANCHOR_END: ping_pong_runs
    assert_eq!(stage1, None, "stage 1 cannot do this");
    assert_eq!(stage2.as_deref(), Some("pong"));
    // Stage 1 can, when main awaits the ponger together with its own part.
    let joined = on_a_new_thread(PATIENCE, || {
        let (ping, pinged) = async_channel::bounded(1);
        let (pong, ponged) = async_channel::bounded(1);
        let ponger = async move {
            let ball: &str = pinged.recv().await.unwrap();
            pong.send(ball.replace('i', "o")).await.unwrap();
        };
        let main = async move {
            ping.send("ping").await.unwrap();
            ponged.recv().await.unwrap()
        };
        stage1::block_on(futures_lite::future::zip(ponger, main)).1
    });
    assert_eq!(joined.as_deref(), Some("pong"));
    let report = format!(
        "stage 1, block_on for spawn: {}\nstage 2, spawn:              main got {:?}\n",
        still_waiting(),
        stage2.unwrap()
    );
    check_or_bless("book/src/generated/build-up-2.txt", &report);
}

fn still_waiting() -> String {
    format!("still waiting after {} ms", GIVE_UP.as_millis())
}

// ---------------------------------------------------------------------------
// Stage 3: the waker by hand
// ---------------------------------------------------------------------------

/// Sets its flag when dropped.
struct SetOnDrop(Rc<Cell<bool>>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

// ANCHOR: forgotten
/// A task that waits on a future which keeps no waker, so nothing can ever
/// wake it. Is the task dropped (and what it owns with it) by the time main,
/// having let it run once, is done?
macro_rules! forgotten_task_is_dropped {
    ($stage:ident) => {{
        let dropped = Rc::new(Cell::new(false));
        let owned_by_the_task = SetOnDrop(dropped.clone());
        $stage::block_on(async move {
            $stage::spawn(async move {
                let _owned = owned_by_the_task;
                std::future::pending::<()>().await; // keeps no waker
            });
            futures_lite::future::yield_now().await; // the task runs meanwhile
        });
        dropped.get()
    }};
}
// ANCHOR_END: forgotten

#[test]
fn stage_3_drops_a_task_with_its_last_waker() {
    let stage2 = on_a_new_thread(PATIENCE, || forgotten_task_is_dropped!(stage2));
    let stage3 = on_a_new_thread(PATIENCE, || forgotten_task_is_dropped!(stage3));
    assert_eq!(stage2, Some(false), "stage 2's table keeps the task");
    assert_eq!(stage3, Some(true), "stage 3 drops it with its last waker");
    let report = format!(
        "stage 2: the forgotten task dropped? {}\nstage 3: the forgotten task dropped? {}\n",
        stage2.unwrap(),
        stage3.unwrap()
    );
    check_or_bless("book/src/generated/build-up-3.txt", &report);
}

// ---------------------------------------------------------------------------
// Stage 4: wakes from other threads
// ---------------------------------------------------------------------------

/// Pending at its first poll, where it sends a clone of its waker away;
/// ready at the next.
struct SendsItsWaker(Option<mpsc::Sender<Waker>>);

impl Future for SendsItsWaker {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.0.take() {
            Some(to) => {
                to.send(cx.waker().clone()).unwrap();
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }
}

/// What the helper thread says about the wake it tried.
type Attempt = Result<(), String>;

// ANCHOR: other_thread
/// A task sends its waker to another thread, which wakes it. Returns how
/// the wake went on that thread, and whether the task then finished. The
/// helper reports to main through a channel, whose waker (stage 1's, for
/// `block_on`'s own future) works from any thread in every stage.
macro_rules! woken_from_another_thread {
    ($stage:ident) => {{
        let (to_helper, wakers) = mpsc::channel::<Waker>();
        let (report, reported) = async_channel::bounded::<(Attempt, Waker)>(1);
        thread::spawn(move || {
            let waker = wakers.recv().unwrap();
            let attempt = std::panic::catch_unwind(|| waker.wake_by_ref());
            let attempt = attempt.map_err(|panic| panic_message(panic));
            report.send_blocking((attempt, waker)).unwrap(); // the waker too
        });
        let (finish, finished) = async_channel::bounded(1);
        $stage::block_on(async move {
            $stage::spawn(async move {
                SendsItsWaker(Some(to_helper)).await;
                finish.send(()).await.unwrap();
            });
            let (attempt, waker) = reported.recv().await.unwrap();
            drop(waker); // here, on the executor's thread
            let finished = attempt.is_ok() && finished.recv().await.is_ok();
            (attempt, finished)
        })
    }};
}
// ANCHOR_END: other_thread

#[test]
fn stage_4_lets_another_thread_wake_a_task() {
    // Stage 2 refuses too (the spawn exercise relies on that), with the same message.
    let stage2 = on_a_new_thread(PATIENCE, || woken_from_another_thread!(stage2)).unwrap();
    let stage3 = on_a_new_thread(PATIENCE, || woken_from_another_thread!(stage3)).unwrap();
    assert_eq!(stage2, stage3);
    let stage4 = on_a_new_thread(PATIENCE, || woken_from_another_thread!(stage4)).unwrap();
    let (attempt, finished) = &stage3;
    let refusal = attempt.as_ref().expect_err("stage 3 refuses the wake");
    assert!(refusal.contains("woken from another thread"), "{refusal}");
    assert!(!finished, "stage 3: the task cannot have finished");
    assert_eq!(stage4, (Ok(()), true));
    let report = format!(
        "stage 3: the wake on the other thread panicked:\n  {refusal}\n\
         stage 3: the task finished? {finished}\n\
         stage 4: the wake on the other thread went through: {:?}\n\
         stage 4: the task finished? {}\n",
        stage4.0, stage4.1
    );
    check_or_bless("book/src/generated/build-up-4.txt", &report);
}

/// Drops what it holds on the thread that records its drop.
struct RecordDrop(Arc<Mutex<Option<thread::ThreadId>>>);

impl Drop for RecordDrop {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(thread::current().id());
    }
}

/// The last reference to a task can be a waker that another thread drops.
/// The task's future is not `Send`, so it must not be dropped there: stage 3
/// (`Drop for Task`) leaks it instead. On purpose, so `.ci/memcheck.supp`
/// suppresses this one leak, by this test's name.
#[test]
fn stage_3_never_drops_a_future_on_another_thread() {
    let dropped_on = on_a_new_thread(PATIENCE, || {
        let dropped_on = Arc::new(Mutex::new(None));
        let (to_helper, wakers) = mpsc::channel::<Waker>();
        let record = RecordDrop(dropped_on.clone());
        stage3::block_on(async move {
            stage3::spawn(async move {
                let _record = record;
                SendsItsWaker(Some(to_helper)).await;
            });
            futures_lite::future::yield_now().await; // the task runs meanwhile
        });
        let last_waker = wakers.recv().unwrap();
        thread::spawn(move || drop(last_waker)).join().unwrap();
        let dropped_on = *dropped_on.lock().unwrap();
        dropped_on
    });
    assert_eq!(dropped_on, Some(None), "dropped on another thread");
}

// ---------------------------------------------------------------------------
// Stage 5: timers
// ---------------------------------------------------------------------------

/// Stage 4 has no timers. The one way it can wait for time is a thread per
/// sleep, which really sleeps and then wakes the task.
async fn sleep_on_a_thread(duration: Duration) {
    let (ring, rung) = async_channel::bounded(1);
    thread::spawn(move || {
        thread::sleep(duration);
        let _ = ring.send_blocking(());
    });
    rung.recv().await.unwrap();
}

// ANCHOR: two_sleeps
/// Two tasks sleep, 2 h and 1 h. Returns the order in which they woke.
macro_rules! two_sleeps {
    ($stage:ident, $sleep:path) => {{
        let woke = Rc::new(RefCell::new(Vec::new()));
        let (done, finished) = async_channel::unbounded();
        for hours in [2, 1] {
            let (woke, done) = (woke.clone(), done.clone());
            $stage::spawn(async move {
                $sleep(Duration::from_secs(hours * 3600)).await;
                woke.borrow_mut().push(format!("{hours} h"));
                done.send(()).await.unwrap();
            });
        }
        $stage::block_on(async move {
            for _ in 0..2 {
                finished.recv().await.unwrap();
            }
        });
        woke.take()
    }};
}
// ANCHOR_END: two_sleeps

#[test]
fn stage_5_sleeps_on_its_own_clock() {
    let stage4 = on_a_new_thread(GIVE_UP, || two_sleeps!(stage4, sleep_on_a_thread));
    let stage5 = on_a_new_thread(PATIENCE, || {
        stage5::simulate_time();
        let woke = two_sleeps!(stage5, stage5::sleep);
        (woke, stage5::now())
    });
    assert_eq!(stage4, None, "stage 4 sleeps for real: two hours");
    let (woke, clock) = stage5.unwrap();
    assert_eq!(woke, ["1 h", "2 h"]);
    assert_eq!(clock, Duration::from_secs(2 * 3600), "the longer sleep");
    let report = format!(
        "stage 4, a thread per sleep: {}\n\
         stage 5, simulated clock:    woke {woke:?}, the clock reads {} h\n",
        still_waiting(),
        clock.as_secs() / 3600
    );
    check_or_bless("book/src/generated/build-up-5.txt", &report);
}

// ---------------------------------------------------------------------------
// What each stage's example prints, as the book shows it
// ---------------------------------------------------------------------------

#[test]
fn generated_stage1() {
    let out = run_example("stage1_block_on", &[]);
    assert_eq!(out, "block_on returned \"toast\" after 2 polls\n");
    check_or_bless("book/src/generated/stage1.txt", &out);
}

#[test]
fn generated_stage2() {
    let out = run_example("stage2_spawn", &[]);
    check_or_bless("book/src/generated/stage2.txt", &out);
}

#[test]
fn generated_stage3() {
    let out = run_example("stage3_vtable", &[]);
    assert!(out.contains("a task that nothing can wake was dropped at once"));
    check_or_bless("book/src/generated/stage3.txt", &out);
}

#[test]
fn generated_stage4() {
    let out = run_example("stage4_channel", &[]);
    check_or_bless("book/src/generated/stage4.txt", &out);
}

#[test]
fn generated_stage5() {
    let out = run_example("stage5_timers", &["--simulated"]);
    assert!(
        out.ends_with("Took 2.000 s on the executor's clock\n"),
        "{out}"
    );
    check_or_bless("book/src/generated/stage5.txt", &out);
}
