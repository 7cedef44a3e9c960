//! tokio: the current-thread runtime with a `LocalSet` (so tasks need not be
//! `Send`, like busy-chef's), and tokio's own timer driver.

use std::future::Future;
use std::time::Duration;

use crate::runtime::{Runtime, Unwrap};

pub struct Tokio;

impl Runtime for Tokio {
    const NAME: &'static str = "tokio";
    const CRATES: &'static str =
        "tokio `current_thread` runtime (`enable_time`) + `LocalSet`, `spawn_local`, `tokio::time::sleep`";

    fn run<F: Future>(future: F) -> F::Output {
        let runtime = ::tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("build a tokio current_thread runtime");
        ::tokio::task::LocalSet::new().block_on(&runtime, future)
    }

    fn spawn<F>(future: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        Unwrap(::tokio::task::spawn_local(future))
    }

    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + 'static,
    {
        // Dropping a tokio JoinHandle detaches the task.
        drop(::tokio::task::spawn_local(future));
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> {
        ::tokio::time::sleep(duration)
    }

    fn yield_now() -> impl Future<Output = ()> {
        ::tokio::task::yield_now()
    }
}
