//! `panic_message`: the text of a caught panic.
//!
//! Tests that check a panic's message (a task that panicked, a misuse the
//! executor reports) get its payload as a `Box<dyn Any + Send>`, from
//! `catch_unwind` or from `JoinError::into_panic`. `panic!` puts a `&str` or
//! a `String` in it; this turns either into a `String`.

use std::any::Any;

/// The message of a caught panic payload, or `<not a string>` if the panic
/// carried some other value (the assertion comparing it then fails, saying
/// so).
///
/// It takes the `Box` itself: a `&Box<dyn Any>` would be an `Any` of its own
/// and never downcast to the message.
pub fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "<not a string>".to_string()),
    }
}
