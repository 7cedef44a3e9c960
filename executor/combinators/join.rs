//! `join` and `join_all`: wait for several futures at once (`asyncio.gather`).
//!
//! Book chapter: *Gather, join, select and timeouts* (`book/src/combinators.md`).
//!
//! Neither spawns anything: the children run *inside* the joining future, on
//! whatever task polls it. Concurrency without tasks: while one child waits,
//! polling moves on to the next.
//!
//! [`join`] polls both children every time it is polled, which is fine for
//! two. [`join_all`] may hold thousands, so it gives each child a waker of its
//! own: a child's wake records the child's index in a shared "woken" list and
//! then wakes the task. The next poll polls only the children on that list.
//! 10,000 joined timers cost 10,000 polls in total, not 10,000 per wake.

use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use crate::base::lock::lock;
use crate::base::waker_slot::keep_latest;

// ANCHOR: maybe_done
/// A child future, then its output, then nothing (the output was taken).
enum MaybeDone<F: Future> {
    Pending(F),
    Done(F::Output),
    Taken,
}
// ANCHOR_END: maybe_done

impl<F: Future> MaybeDone<F> {
    // ANCHOR: poll_is_done
    /// Polls the child if it is still pending. Not `Future::poll`: it
    /// returns a plain `bool`, true once the child has an output (which stays
    /// inside, until `take`).
    fn poll_is_done(self: Pin<&mut Self>, cx: &mut Context<'_>) -> bool {
        // SAFETY: pin projection. `MaybeDone` is pinned, and we never move the
        // `F` in `Pending`: we only poll it in place through `Pin`, and replace
        // the whole enum (dropping `F` in place) once it is done.
        let this = unsafe { self.get_unchecked_mut() };
        match this {
            MaybeDone::Pending(future) => {
                // SAFETY: `future` is inside the pinned `MaybeDone` (see above).
                let future = unsafe { Pin::new_unchecked(future) };
                match future.poll(cx) {
                    Poll::Ready(output) => {
                        *this = MaybeDone::Done(output);
                        true
                    }
                    Poll::Pending => false,
                }
            }
            MaybeDone::Done(_) => true,
            MaybeDone::Taken => unreachable!("polled a child whose output was taken"),
        }
    }
    // ANCHOR_END: poll_is_done

    fn take(self: Pin<&mut Self>) -> F::Output {
        // SAFETY: we only move out of the `Done` variant, which holds an output,
        // not the pinned future.
        let this = unsafe { self.get_unchecked_mut() };
        match mem::replace(this, MaybeDone::Taken) {
            MaybeDone::Done(output) => output,
            _ => unreachable!("take before the child was done"),
        }
    }
}

/// Runs `a` and `b` concurrently and returns both outputs.
///
/// ```
/// use std::time::Duration;
/// use busy_chef::time::{sleep, Instant};
///
/// busy_chef::Executor::simulated().block_on(async {
///     let start = Instant::now();
///     let (a, b) = busy_chef::join(
///         async { sleep(Duration::from_secs(2)).await; "toast" },
///         async { sleep(Duration::from_secs(1)).await; "eggs" },
///     ).await;
///     assert_eq!((a, b), ("toast", "eggs"));
///     assert_eq!(start.elapsed(), Duration::from_secs(2));
/// });
/// ```
pub fn join<A: Future, B: Future>(a: A, b: B) -> Join<A, B> {
    Join {
        a: MaybeDone::Pending(a),
        b: MaybeDone::Pending(b),
    }
}

/// The future returned by [`join`]. Its `Debug` shows which children are
/// done.
///
/// ```
/// use busy_chef::Join;
///
/// let both: Join<_, _> = busy_chef::join(async { "toast" }, async { "eggs" });
/// assert_eq!(format!("{both:?}"), r#"Join { a: "pending", b: "pending" }"#);
/// let meal = busy_chef::Executor::simulated().block_on(both);
/// assert_eq!(meal, ("toast", "eggs"));
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Join<A: Future, B: Future> {
    a: MaybeDone<A>,
    b: MaybeDone<B>,
}

// ANCHOR: join_poll
impl<A: Future, B: Future> Future for Join<A, B> {
    type Output = (A::Output, B::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: pin projection to both fields; neither is ever moved while
        // pinned (`MaybeDone` takes care of its own contents).
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: fields of a pinned struct, never moved (see above).
        let (mut a, mut b) = unsafe {
            (
                Pin::new_unchecked(&mut this.a),
                Pin::new_unchecked(&mut this.b),
            )
        };
        let a_done = a.as_mut().poll_is_done(cx);
        let b_done = b.as_mut().poll_is_done(cx);
        if a_done && b_done {
            Poll::Ready((a.take(), b.take()))
        } else {
            Poll::Pending
        }
    }
}
// ANCHOR_END: join_poll

impl<A: Future, B: Future> fmt::Debug for Join<A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = |done: bool| if done { "done" } else { "pending" };
        f.debug_struct("Join")
            .field("a", &state(!matches!(self.a, MaybeDone::Pending(_))))
            .field("b", &state(!matches!(self.b, MaybeDone::Pending(_))))
            .finish()
    }
}

/// Runs every future of `futures` concurrently and returns their outputs in
/// the order the futures were given (like `asyncio.gather`), however they
/// finish.
///
/// ```
/// use std::time::Duration;
/// use busy_chef::time::sleep;
///
/// let out = busy_chef::Executor::simulated().block_on(busy_chef::join_all(
///     [3, 1, 2].map(|s| async move { sleep(Duration::from_secs(s)).await; s }),
/// ));
/// assert_eq!(out, vec![3, 1, 2]);
/// ```
pub fn join_all<I>(futures: I) -> JoinAll<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    let children: Box<[MaybeDone<I::Item>]> = futures.into_iter().map(MaybeDone::Pending).collect();
    let n = children.len();
    let woken = WokenList {
        woken: Mutex::new((0..n).collect()), // everyone gets a first poll
        parent: Mutex::new(None),
    };
    JoinAll {
        children: children.into(),
        wakers: Vec::new(),
        child_wakers: Vec::new(),
        woken: Arc::new(woken),
        scratch: Vec::new(),
        remaining: n,
    }
}

/// The future returned by [`join_all`]. Joining nothing is ready at once,
/// with an empty `Vec`.
///
/// ```
/// use busy_chef::JoinAll;
///
/// let exec = busy_chef::Executor::simulated();
/// let orders: JoinAll<_> = busy_chef::join_all((1..=3).map(|n| async move { n * 10 }));
/// assert_eq!(exec.block_on(orders), [10, 20, 30]);
/// let none = busy_chef::join_all(Vec::<std::future::Ready<u8>>::new());
/// assert_eq!(exec.block_on(none), []);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct JoinAll<F: Future> {
    /// Pinned in their box: a child never moves once polled.
    children: Pin<Box<[MaybeDone<F>]>>,
    /// One waker per child, made at the first poll (and the `Arc`s behind
    /// them, to reach their `listed` flags).
    wakers: Vec<Waker>,
    child_wakers: Vec<Arc<ChildWaker>>,
    woken: Arc<WokenList>,
    /// The previous poll's woken list, kept to reuse its allocation.
    scratch: Vec<usize>,
    remaining: usize,
}

/// Shared between a `JoinAll` and its children's wakers (any thread).
struct WokenList {
    /// Indices of children woken since the last poll (each at most once).
    woken: Mutex<Vec<usize>>,
    /// The waker of the task that polls the `JoinAll`.
    parent: Mutex<Option<Waker>>,
}

/// One child's waker.
struct ChildWaker {
    index: usize,
    /// Set when the index is in the woken list, so it is listed at most once.
    listed: AtomicBool,
    list: Arc<WokenList>,
}

// ANCHOR: child_waker
impl Wake for ChildWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.listed.swap(true, Ordering::AcqRel) {
            lock(&self.list.woken).push(self.index);
        }
        let parent = lock(&self.list.parent).clone();
        if let Some(parent) = parent {
            parent.wake(); // outside the lock: a waker is arbitrary code
        }
    }
}
// ANCHOR_END: child_waker

// ANCHOR: join_all_poll
impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // `JoinAll` is `Unpin`: its children are pinned in their own box.
        let this = self.get_mut();
        if this.wakers.is_empty() && !this.children.is_empty() {
            this.child_wakers = (0..this.children.len())
                .map(|index| {
                    Arc::new(ChildWaker {
                        index,
                        listed: AtomicBool::new(true),
                        list: this.woken.clone(),
                    })
                })
                .collect();
            this.wakers = this.child_wakers.iter().cloned().map(Waker::from).collect();
        }
        // Store our waker *before* polling the children, so a child woken
        // from another thread in the middle of this poll is not lost.
        keep_latest(&mut lock(&this.woken.parent), cx.waker());
        let mut woken = mem::take(&mut this.scratch);
        mem::swap(&mut woken, &mut *lock(&this.woken.woken));
        for &index in &woken {
            // Unlist before polling: a wake during the poll lists it again.
            this.child_wakers[index]
                .listed
                .store(false, Ordering::Release);
            let mut child_cx = Context::from_waker(&this.wakers[index]);
            let mut child = child(&mut this.children, index);
            let was_pending = matches!(&*child, MaybeDone::Pending(_));
            if child.as_mut().poll_is_done(&mut child_cx) && was_pending {
                this.remaining -= 1;
            }
        }
        woken.clear();
        this.scratch = woken;

        if this.remaining > 0 {
            return Poll::Pending;
        }
        let outputs = (0..this.children.len())
            .map(|index| child(&mut this.children, index).take())
            .collect();
        Poll::Ready(outputs)
    }
}
// ANCHOR_END: join_all_poll

/// The `index`-th child, still pinned.
fn child<F: Future>(
    children: &mut Pin<Box<[MaybeDone<F>]>>,
    index: usize,
) -> Pin<&mut MaybeDone<F>> {
    // SAFETY: indexing a pinned slice: the element stays where it is, we only
    // narrow the pinned reference from the whole slice to one element of it.
    unsafe {
        children
            .as_mut()
            .map_unchecked_mut(|slice| &mut slice[index])
    }
}

impl<F: Future> fmt::Debug for JoinAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinAll")
            .field("children", &self.children.len())
            .field("remaining", &self.remaining)
            .field("woken", &*lock(&self.woken.woken))
            .finish()
    }
}
