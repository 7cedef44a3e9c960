//! Diagnostics: what the executor did (traces and their pictures) and the
//! warnings for the classic mistakes.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).
//!
//! Layer 2: a leaf. The runtime calls [`Hooks`](hooks::Hooks) at a handful
//! of points in its loop (a task was spawned, polled, woken; a timer was
//! registered, cancelled, fired), and nothing here ever calls back into the
//! runtime: every hook is told what it needs. When tracing and the
//! blocking-poll check are off, each hook is one test of a flag.
//!
//! | file | what it is |
//! |---|---|
//! | `hooks.rs` | the only thing the runtime calls |
//! | `recorder.rs` | the event log, and `BUSY_CHEF_TRACE` |
//! | `warnings.rs` | the messages for the classic mistakes, printed at most ten times |
//! | `deadlock.rs` | telling, from facts the runtime hands over, that nothing can wake anything |
//! | `event.rs`, `trace.rs` | the public [`Trace`](trace::Trace) and its events |
//! | `render/` | the timeline, the SVG picture, the Chrome JSON, the replay for the book's widget |

pub(crate) mod deadlock;
mod event;
pub(crate) mod hooks;
mod recorder;
mod render;
pub mod trace;
pub(crate) mod warnings;
