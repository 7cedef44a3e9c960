//! busy-chef: the executor of this repository.

use std::future::Future;
use std::time::Duration;

use crate::runtime::{Runtime, Unwrap};

pub struct BusyChef;

impl Runtime for BusyChef {
    const NAME: &'static str = "busy-chef";
    const CRATES: &'static str = "busy-chef (this repository), `busy_chef::block_on`";

    fn run<F: Future>(future: F) -> F::Output {
        busy_chef::block_on(future)
    }

    fn spawn<F>(future: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        Unwrap(busy_chef::spawn(future))
    }

    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + 'static,
    {
        // Dropping a busy-chef JoinHandle detaches the task.
        drop(busy_chef::spawn(future));
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> {
        busy_chef::time::sleep(duration)
    }

    fn yield_now() -> impl Future<Output = ()> {
        busy_chef::yield_now()
    }
}
