//! `spawn_blocking`: results, panics, `abort`, detaching, and the pool's
//! bounds. The executor must keep running its other tasks while a closure
//! runs, and wake the awaiter when the pool thread delivers.
//!
//! The pool is shared by the whole process, so the tests of this file take a
//! lock and run one at a time: each can then reason about the pool's threads.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use busy_chef::time::sleep;
use busy_chef::{block_on, spawn, spawn_blocking, Executor};

/// Bound on every wait in this file: far longer than anything should take.
const PATIENCE: Duration = Duration::from_secs(20);

fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[test]
fn the_result_comes_back_and_the_executor_keeps_running_meanwhile() {
    let _serial = serial();
    // The closure waits for a message that only a task on the executor sends,
    // after a timer fires: if the executor were blocked, it would never come.
    let (tx, rx) = mpsc::channel::<u32>();
    let answer = block_on(async move {
        let handle = spawn_blocking(move || rx.recv_timeout(PATIENCE).map(|n| n * 2));
        let sender = spawn(async move {
            sleep(Duration::from_millis(20)).await;
            tx.send(21).unwrap();
        });
        sender.await.unwrap();
        handle.await.unwrap()
    });
    assert_eq!(answer, Ok(42));
}

#[test]
fn many_jobs_at_once_all_deliver_their_own_result() {
    let _serial = serial();
    let results = block_on(async {
        let handles: Vec<_> = (0..50u64)
            .map(|i| spawn_blocking(move || (0..=i).sum::<u64>()))
            .collect();
        busy_chef::join_all(handles).await
    });
    for (i, result) in results.into_iter().enumerate() {
        let i = i as u64;
        assert_eq!(result.unwrap(), i * (i + 1) / 2);
    }
}

#[test]
fn a_panic_in_the_closure_comes_back_as_a_join_error_and_the_pool_lives_on() {
    let _serial = serial();
    block_on(async {
        let handle = spawn_blocking(|| -> u32 { panic!("the oven caught fire") });
        let id = handle.id();
        let error = handle.await.unwrap_err();
        assert!(error.is_panic());
        assert!(!error.is_cancelled());
        assert_eq!(error.id(), id);
        assert_eq!(
            error.to_string(),
            format!("{id} panicked: the oven caught fire")
        );
        let payload = error.into_panic();
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"the oven caught fire")
        );
        // The pool still works.
        assert_eq!(spawn_blocking(|| 7).await.unwrap(), 7);
    });
}

#[test]
fn works_without_a_busy_chef_executor() {
    let _serial = serial();
    let handle = spawn_blocking(|| "made outside");
    // Any executor can await it: it needs only the awaiter's waker.
    assert_eq!(
        futures_lite::future::block_on(handle).unwrap(),
        "made outside"
    );
}

/// Occupies every pool thread until `release` is dropped or sent to.
fn fill_the_pool() -> (
    Vec<busy_chef::JoinHandle<()>>,
    mpsc::Sender<()>,
    mpsc::Receiver<()>,
) {
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Arc::new(Mutex::new(release_rx));
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let blockers = (0..4)
        .map(|_| {
            let release_rx = release_rx.clone();
            let started_tx = started_tx.clone();
            spawn_blocking(move || {
                started_tx.send(()).unwrap();
                // Each blocker waits for one release message (or the sender's drop).
                let _ = release_rx.lock().unwrap().recv_timeout(PATIENCE);
            })
        })
        .collect();
    (blockers, release_tx, started_rx)
}

#[test]
fn abort_before_the_closure_starts_means_it_never_runs() {
    let _serial = serial();
    let exec = Executor::new();
    let (blockers, release, started) = fill_the_pool();
    for _ in 0..4 {
        started
            .recv_timeout(PATIENCE)
            .expect("all four pool threads busy");
    }
    // The pool has at most four threads, all busy: this job waits in the queue.
    let ran = Arc::new(AtomicBool::new(false));
    let ran2 = ran.clone();
    let handle = spawn_blocking(move || ran2.store(true, Ordering::SeqCst));
    assert!(!handle.is_finished());
    handle.abort();
    assert!(handle.is_finished());
    let error = exec.block_on(handle).unwrap_err();
    assert!(error.is_cancelled(), "{error:?}");

    drop(release); // the blockers return
    exec.block_on(async {
        for blocker in blockers {
            blocker.await.unwrap();
        }
        // The queue is FIFO: once this later job has run, the aborted one has
        // been taken from the queue (and skipped).
        spawn_blocking(|| ()).await.unwrap();
    });
    assert!(!ran.load(Ordering::SeqCst), "an aborted job ran");
}

/// Sends the name of the thread it is dropped on.
#[derive(Debug)]
struct Reporter(mpsc::Sender<String>);

impl Drop for Reporter {
    fn drop(&mut self) {
        let name = std::thread::current().name().unwrap_or("?").to_string();
        let _ = self.0.send(name);
    }
}

#[test]
fn abort_while_running_settles_the_handle_and_the_result_is_dropped_on_the_pool() {
    let _serial = serial();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (dropped_tx, dropped_rx) = mpsc::channel::<String>();
    let exec = Executor::new();
    let handle = spawn_blocking(move || {
        started_tx.send(()).unwrap();
        go_rx.recv_timeout(PATIENCE).unwrap();
        Reporter(dropped_tx)
    });
    started_rx.recv_timeout(PATIENCE).unwrap();
    handle.abort();
    // The closure is still blocked, yet the handle answers at once.
    let error = exec.block_on(handle).unwrap_err();
    assert!(error.is_cancelled());
    go_tx.send(()).unwrap();
    let thread = dropped_rx
        .recv_timeout(PATIENCE)
        .expect("the result was dropped");
    assert!(
        thread.starts_with("busy-chef-blocking-"),
        "dropped on {thread}"
    );
}

#[test]
fn a_detached_job_still_runs_and_its_result_is_dropped() {
    let _serial = serial();
    let (dropped_tx, dropped_rx) = mpsc::channel::<String>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let handle = spawn_blocking(move || {
        go_rx.recv_timeout(PATIENCE).unwrap();
        Reporter(dropped_tx)
    });
    drop(handle);
    go_tx.send(()).unwrap(); // the job finishes only after the handle is gone
    let thread = dropped_rx.recv_timeout(PATIENCE).expect("the job ran");
    assert!(
        thread.starts_with("busy-chef-blocking-"),
        "dropped on {thread}"
    );
}

/// Panics when dropped (unless the thread is already unwinding), after
/// counting the drop.
struct PanicOnDrop(Arc<AtomicUsize>);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        if !std::thread::panicking() {
            panic!("the plate shattered while being put away");
        }
    }
}

#[test]
fn dropping_a_finished_handle_whose_output_panics_on_drop_does_not_unwind() {
    // Regression (issue 11, item 2): the handle's drop dropped the unread
    // output unguarded, so its destructor's panic unwound out of `drop`. A
    // spawned task's handle swallows it (tests/faults.rs:
    // `output_whose_drop_panics_is_swallowed_whoever_drops_it`); one type,
    // one behaviour.
    let _serial = serial();
    let drops = Arc::new(AtomicUsize::new(0));
    let output = PanicOnDrop(drops.clone());
    let handle = spawn_blocking(move || output);
    let start = std::time::Instant::now();
    while !handle.is_finished() {
        assert!(start.elapsed() < PATIENCE, "the job never finished");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(drops.load(Ordering::SeqCst), 0, "the output waits unread");
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(handle)));
    assert!(
        dropped.is_ok(),
        "dropping a finished spawn_blocking handle unwound"
    );
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the unread output was dropped with its handle"
    );
}

#[test]
fn abort_after_the_result_arrived_changes_nothing() {
    let _serial = serial();
    block_on(async {
        let handle = spawn_blocking(|| 5);
        for _ in 0..PATIENCE.as_millis() {
            if handle.is_finished() {
                break;
            }
            sleep(Duration::from_millis(1)).await;
        }
        assert!(handle.is_finished());
        handle.abort();
        assert_eq!(handle.await.unwrap(), 5);
    });
}

#[test]
fn at_most_four_threads_are_used_and_they_are_reused() {
    let _serial = serial();
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let names = block_on(async {
        let mut names = Vec::new();
        // Many at once...
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                spawn_blocking(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(5));
                    running.fetch_sub(1, Ordering::SeqCst);
                    std::thread::current().name().unwrap().to_string()
                })
            })
            .collect();
        for handle in handles {
            names.push(handle.await.unwrap());
        }
        // ... and many one after the other.
        for _ in 0..16 {
            let name = spawn_blocking(|| std::thread::current().name().unwrap().to_string());
            names.push(name.await.unwrap());
        }
        names
    });
    let most = most.load(Ordering::SeqCst);
    assert!((1..=4).contains(&most), "{most} closures ran at once");
    let mut distinct = names.clone();
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() <= 4, "32 jobs used threads {distinct:?}");
    assert!(names.iter().all(|n| n.starts_with("busy-chef-blocking-")));
}

#[test]
fn four_closures_really_run_in_parallel() {
    let _serial = serial();
    // Each closure waits (bounded) until all four are running: that happens
    // only if the pool gives them four threads at once.
    let arrived = Arc::new(AtomicUsize::new(0));
    let met = block_on(async {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let arrived = arrived.clone();
                spawn_blocking(move || {
                    arrived.fetch_add(1, Ordering::SeqCst);
                    let start = std::time::Instant::now();
                    while arrived.load(Ordering::SeqCst) < 4 {
                        if start.elapsed() > PATIENCE {
                            return false;
                        }
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    true
                })
            })
            .collect();
        busy_chef::join_all(handles).await
    });
    assert!(met.into_iter().all(|met| met.unwrap()));
}

#[test]
fn the_handle_debug_shows_its_id() {
    let _serial = serial();
    let handle = spawn_blocking(|| 1);
    let shown = format!("{handle:?}");
    assert!(shown.contains(&handle.id().to_string()), "{shown}");
    futures_lite::future::block_on(handle).unwrap();
}
