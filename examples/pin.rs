//! Where `Pin` becomes necessary: a future whose state borrows from itself.
//!
//! Book chapter: *`Pin`* (`book/src/pin.md`); its output is
//! `book/src/generated/pin.txt`, checked by `tests/book_examples.rs`.
//!
//! ```text
//! cargo run --example pin
//! ```

use std::future::Future;
use std::marker::{PhantomData, PhantomPinned};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use busy_chef::time::{sleep, Sleep};
use busy_chef::Executor;

// ANCHOR: async_version
/// A local that borrows another local, and both live across an `.await`.
async fn first_word(name: &'static str) -> usize {
    let order = *b"toast and coffee"; // 16 bytes, stored in the future
    let word = &order[..5]; // a reference *into the future itself*
    sleep(Duration::from_secs(1)).await;
    println!(
        "  {name}: the first word is {:?}",
        std::str::from_utf8(word).unwrap()
    );
    word.len()
}
// ANCHOR_END: async_version

// ANCHOR: by_hand_enum
/// `first_word`, by hand. `Suspend0` holds `order` *and* a pointer into
/// `order`: the state borrows from itself.
enum FirstWordState {
    Unresumed {
        name: &'static str,
    },
    Suspend0 {
        name: &'static str,
        order: [u8; 16],
        /// Points into `order`, a few bytes above it in this same enum.
        /// A reference (`&'? [u8]`) cannot be written here: there is no
        /// lifetime that means "borrowed from a sibling field".
        word: *const [u8],
        awaitee: Sleep,
    },
    Returned,
}

struct FirstWord {
    state: FirstWordState,
    /// Makes `FirstWord` `!Unpin`: once pinned, it can never be moved, so
    /// the pointer in `Suspend0` stays valid.
    _pinned: PhantomPinned,
}

fn first_word_by_hand(name: &'static str) -> FirstWord {
    FirstWord {
        state: FirstWordState::Unresumed { name },
        _pinned: PhantomPinned,
    }
}
// ANCHOR_END: by_hand_enum

// ANCHOR: by_hand_poll
impl Future for FirstWord {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        // SAFETY: we never move out of `this`: every state change below
        // assigns a new value in place, and `order` is only ever reached
        // through `this`. That is the promise `Pin` asks of us.
        let this = unsafe { self.get_unchecked_mut() };
        loop {
            match &mut this.state {
                FirstWordState::Unresumed { name } => {
                    let name = *name;
                    this.state = FirstWordState::Suspend0 {
                        name,
                        order: *b"toast and coffee",
                        word: std::ptr::slice_from_raw_parts(std::ptr::null(), 0),
                        awaitee: sleep(Duration::from_secs(1)),
                    };
                    // Now that `order` is at its final address, borrow it.
                    if let FirstWordState::Suspend0 { order, word, .. } = &mut this.state {
                        *word = &order[..5];
                    }
                }
                FirstWordState::Suspend0 {
                    name,
                    order,
                    word,
                    awaitee,
                } => {
                    if Pin::new(awaitee).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    // The future has not moved since `word` was set (it is
                    // pinned), so `word` still points into `order`.
                    assert_eq!(word.cast::<u8>(), order.as_ptr());
                    // SAFETY: `word` points at 5 bytes of `order`, which is
                    // alive and has not moved.
                    let word = unsafe { &**word };
                    println!(
                        "  {name}: the first word is {:?}",
                        std::str::from_utf8(word).unwrap()
                    );
                    let len = word.len();
                    this.state = FirstWordState::Returned;
                    return Poll::Ready(len);
                }
                FirstWordState::Returned => panic!("`async fn` resumed after completion"),
            }
        }
    }
}
// ANCHOR_END: by_hand_poll

// ANCHOR: is_unpin
/// `is_unpin!(value)`: is the value's type `Unpin`? (Stable Rust has no
/// direct test, so this uses method lookup: the inherent `unpin` exists only
/// when `T: Unpin`, otherwise the trait's default is found.)
struct Probe<T>(PhantomData<T>);
impl<T: Unpin> Probe<T> {
    fn unpin(&self) -> bool {
        true
    }
}
trait NotUnpin {
    fn unpin(&self) -> bool {
        false
    }
}
impl<T> NotUnpin for Probe<T> {}
fn probe<T>(_: &T) -> Probe<T> {
    Probe(PhantomData)
}
macro_rules! is_unpin {
    ($value:expr) => {
        probe(&$value).unpin()
    };
}
// ANCHOR_END: is_unpin

fn main() {
    let executor = Executor::simulated();

    println!("1. which futures are Unpin?");
    executor.block_on(async {
        let row = |what: &str, unpin: bool| {
            println!("  {what:<32} {}", if unpin { "Unpin" } else { "!Unpin" })
        };
        row("sleep(..)  (Sleep)", is_unpin!(sleep(Duration::ZERO)));
        row("first_word(..)  (async fn)", is_unpin!(first_word("toast")));
        row("async { 1 }  (async block)", is_unpin!(async { 1 }));
        row(
            "first_word_by_hand(..)",
            is_unpin!(first_word_by_hand("toast")),
        );
        row(
            "Box::pin(first_word(..))",
            is_unpin!(Box::pin(first_word("toast"))),
        );
        row("pin!(first_word(..))", is_unpin!(pin!(first_word("toast"))));
    });

    // ANCHOR: pin_them
    println!("2. pinned on the heap with Box::pin, or on the stack with pin!:");
    executor.block_on(async {
        let boxed: Pin<Box<FirstWord>> = Box::pin(first_word_by_hand("Box::pin"));
        let on_stack: Pin<&mut FirstWord> = pin!(first_word_by_hand("pin!"));
        let (a, b) = busy_chef::join(boxed, on_stack).await;
        println!("  lengths: {a} and {b}");
    });
    println!("3. the async fn, for comparison:");
    let n = executor.block_on(first_word("async fn"));
    println!("  length: {n}");
    // ANCHOR_END: pin_them
}
