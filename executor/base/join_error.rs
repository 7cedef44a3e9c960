//! `JoinError`: why a task produced no output.
//!
//! Book chapter: *`JoinHandle`* (`book/src/join-handle.md`).
//!
//! A plain value: the task's id, and whether it was cancelled or panicked
//! (with the panic's payload). `runtime/join_handle.rs` hands it out.

use std::fmt;

use super::id::TaskId;
use super::panic::PanicPayload;

/// Why a task produced no output: it was cancelled, or it panicked.
///
/// ```
/// busy_chef::Executor::simulated().block_on(async {
///     let failed = busy_chef::spawn(async { panic!("burnt toast") });
///     let error = failed.await.unwrap_err();
///     assert!(error.is_panic());
///     assert!(error.to_string().ends_with("panicked: burnt toast"));
/// });
/// ```
pub struct JoinError {
    id: TaskId,
    repr: Repr,
}

enum Repr {
    Cancelled,
    Panic(PanicPayload),
}

impl JoinError {
    pub(crate) fn cancelled(id: TaskId) -> Self {
        JoinError {
            id,
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(id: TaskId, payload: PanicPayload) -> Self {
        JoinError {
            id,
            repr: Repr::Panic(payload),
        }
    }

    /// The task was cancelled (`abort`, or its executor was dropped).
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// The task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The id of the task.
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// The panic's payload (what `panic!` was given), to inspect it or to
    /// resume the panic with `std::panic::resume_unwind`.
    ///
    /// # Panics
    ///
    /// If the task was cancelled rather than panicking.
    pub fn into_panic(self) -> PanicPayload {
        self.try_into_panic()
            .unwrap_or_else(|e| panic!("`JoinError::into_panic` on a cancelled task ({})", e.id))
    }

    /// The panic's payload, or the error back if the task was cancelled.
    pub fn try_into_panic(self) -> Result<PanicPayload, JoinError> {
        match self.repr {
            Repr::Panic(payload) => Ok(payload),
            Repr::Cancelled => Err(self),
        }
    }

    fn panic_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panic(payload) => payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str)),
            Repr::Cancelled => None,
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.panic_message()) {
            (Repr::Cancelled, _) => write!(f, "{} was cancelled", self.id),
            (Repr::Panic(_), Some(message)) => write!(f, "{} panicked: {message}", self.id),
            (Repr::Panic(_), None) => write!(f, "{} panicked", self.id),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({})", self.id),
            Repr::Panic(_) => match self.panic_message() {
                Some(message) => write!(f, "JoinError::Panic({}, {message:?})", self.id),
                None => write!(f, "JoinError::Panic({}, ..)", self.id),
            },
        }
    }
}

impl std::error::Error for JoinError {}
