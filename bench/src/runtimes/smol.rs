//! smol's parts: async-executor's `LocalExecutor`, driven by async-io's
//! `block_on` (which also runs the reactor), with async-io's `Timer`.
//!
//! async-executor has no "current executor" of its own, so the adapter keeps
//! the one that `run` made in a thread-local for `spawn` to find (as smol
//! applications do with a global or an `Rc`).

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use async_executor::{LocalExecutor, Task};

use crate::runtime::Runtime;

thread_local! {
    static EXECUTOR: RefCell<Option<Rc<LocalExecutor<'static>>>> = const { RefCell::new(None) };
}

fn spawn_task<F>(future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    EXECUTOR.with_borrow(|executor| {
        executor
            .as_ref()
            .expect("spawn outside Smol::run")
            .spawn(future)
    })
}

pub struct Smol;

impl Runtime for Smol {
    const NAME: &'static str = "async-executor";
    const CRATES: &'static str =
        "async-executor `LocalExecutor` run by `async_io::block_on`, `async_io::Timer`";

    fn run<F: Future>(future: F) -> F::Output {
        let executor = Rc::new(LocalExecutor::new());
        EXECUTOR.set(Some(executor.clone()));
        let output = async_io::block_on(executor.run(future));
        EXECUTOR.set(None);
        output
    }

    fn spawn<F>(future: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_task(future)
    }

    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + 'static,
    {
        // Dropping an async-task `Task` would cancel it: detach instead.
        spawn_task(future).detach();
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
