//! futures' `LocalPool`. It has no timer of its own: `sleep` uses async-io's
//! `Timer`, whose reactor then runs on async-io's own background thread
//! (nobody calls `async_io::block_on` here), and wakes the pool from there.
//!
//! The adapter keeps the pool's `LocalSpawner` in a thread-local for `spawn`.

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use futures::executor::{LocalPool, LocalSpawner};
use futures::task::LocalSpawnExt;

use crate::runtime::Runtime;

thread_local! {
    static SPAWNER: RefCell<Option<LocalSpawner>> = const { RefCell::new(None) };
}

fn with_spawner<R>(f: impl FnOnce(&LocalSpawner) -> R) -> R {
    SPAWNER.with_borrow(|spawner| f(spawner.as_ref().expect("spawn outside FuturesPool::run")))
}

pub struct FuturesPool;

impl Runtime for FuturesPool {
    const NAME: &'static str = "futures";
    const CRATES: &'static str =
        "futures `LocalPool` (`spawn_local_with_handle`), `async_io::Timer` on async-io's thread";

    fn run<F: Future>(future: F) -> F::Output {
        let mut pool = LocalPool::new();
        SPAWNER.set(Some(pool.spawner()));
        let output = pool.run_until(future);
        SPAWNER.set(None);
        output
    }

    fn spawn<F>(future: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        with_spawner(|spawner| spawner.spawn_local_with_handle(future))
            .expect("the LocalPool is running")
    }

    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + 'static,
    {
        with_spawner(|spawner| spawner.spawn_local(future)).expect("the LocalPool is running");
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> {
        let timer = async_io::Timer::after(duration);
        async move {
            timer.await;
        }
    }

    fn yield_now() -> impl Future<Output = ()> {
        futures_lite::future::yield_now()
    }
}
