//! The compiler errors that the book shows (chapter *Everyday async*), from
//! the files in `tests/compile_fail/`, which must not compile.
//!
//! Each test runs `rustc` on one file (std only, so no crate needs linking),
//! checks that it fails with exactly one error, the one the chapter
//! explains, at the line it explains, and compares the error with
//! `book/src/generated/compile_fail-<name>.txt`. The text is rustc's, with
//! two lines dropped that carry nothing for the reader (`error: aborting
//! due to ...` and `For more information about this error, try ...`).
//! rustc's wording changes between releases now and then: the checks below
//! look only at what the chapter relies on, and `BUSY_CHEF_BLESS=1 cargo test
//! --test compile_errors` regenerates the text.
//!
//! The files mirror the bounds of `tokio::spawn` (`Send + 'static`) and of
//! `busy_chef::spawn` (`'static` only).
//! [`busy_chef_spawn_asks_no_more_than_spawn_local`] checks, at compile time,
//! that busy-chef's `spawn` really accepts everything the mirror accepts.

mod book_support;

use std::future::Future;
use std::process::Command;

use book_support::{check_or_bless, root};

/// Compiles `tests/compile_fail/<name>.rs` with rustc, which must fail;
/// returns its error output, tidied for the book.
fn compile_error(name: &str) -> String {
    let file = format!("tests/compile_fail/{name}.rs");
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("compile_fail-{name}-{}.rmeta", std::process::id()));
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(&rustc)
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "bin",
            "--emit=metadata",
        ])
        .args(["--color", "never", "--diagnostic-width", "100", "-o"])
        .arg(&out)
        .arg(&file)
        .current_dir(root()) // so that rustc names the file by its relative path
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap_or_else(|e| panic!("could not run {rustc:?} (it comes with cargo): {e}"));
    let _ = std::fs::remove_file(&out);
    let stderr = String::from_utf8(output.stderr).expect("utf-8 from rustc");
    assert!(
        !output.status.success(),
        "{file} compiled, but it exists to show a compiler error:\n{stderr}"
    );
    let errors = stderr
        .lines()
        .filter(|l| l.starts_with("error") && !l.starts_with("error: aborting"))
        .count();
    assert_eq!(errors, 1, "{file}: expected exactly one error:\n{stderr}");
    assert!(
        !stderr.contains("warning"),
        "{file}: no warnings expected:\n{stderr}"
    );
    let kept: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("error: aborting due to"))
        .filter(|l| !l.starts_with("For more information about this error"))
        .collect();
    kept.join("\n").trim_end().to_string() + "\n"
}

/// The line of `file` that contains `needle`, as rustc numbers it.
fn line_of(name: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(root().join(format!("tests/compile_fail/{name}.rs")))
        .expect("the compile_fail file");
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no {needle:?} in {name}.rs"))
        + 1
}

/// A `--> file:line:column` pointer in rustc's output, at `line`.
fn points_at(error: &str, name: &str, line: usize) -> bool {
    error.contains(&format!("--> tests/compile_fail/{name}.rs:{line}:"))
}

#[test]
fn an_rc_in_a_future_keeps_it_from_a_send_spawn_and_not_from_a_local_one() {
    let error = compile_error("spawn_send");
    // The one error is at the `spawn_send` call; the `spawn_local` call of
    // the same future, the line before, is fine.
    assert!(
        error.starts_with("error: future cannot be sent between threads safely"),
        "{error}"
    );
    assert!(
        points_at(
            &error,
            "spawn_send",
            line_of("spawn_send", "spawn_send(note(")
        ),
        "{error}"
    );
    assert!(!error.contains("spawn_local"), "{error}");
    // Why: the `Rc` argument lives across the `.await`.
    assert!(
        error.contains("`Rc<RefCell<Vec<&'static str>>>` which is not `Send`"),
        "{error}"
    );
    assert!(error.contains("await occurs here"), "{error}");
    assert!(
        error.contains("required by a bound in `spawn_send`"),
        "{error}"
    );
    check_or_bless("book/src/generated/compile_fail-spawn_send.txt", &error);
}

#[test]
fn a_mutex_guard_held_across_an_await_makes_the_future_not_send() {
    let error = compile_error("mutex_guard_send");
    assert!(
        error.starts_with("error: future cannot be sent between threads safely"),
        "{error}"
    );
    assert!(
        points_at(
            &error,
            "mutex_guard_send",
            line_of("mutex_guard_send", "spawn_send(restock(")
        ),
        "{error}"
    );
    // Why: the guard is alive at the `.await`.
    assert!(error.contains("MutexGuard<'_,"), "{error}");
    assert!(
        points_at(
            &error,
            "mutex_guard_send",
            line_of("mutex_guard_send", "nap().await")
        ),
        "{error}"
    );
    assert!(error.contains("await occurs here"), "{error}");
    check_or_bless(
        "book/src/generated/compile_fail-mutex_guard_send.txt",
        &error,
    );
}

/// `spawn_local` in `tests/compile_fail/spawn_send.rs` stands for
/// `busy_chef::spawn`. If busy-chef's `spawn` asked for more (`Send`, say),
/// this function, which hands it any future `spawn_local` accepts, would not
/// compile.
#[allow(dead_code)]
fn busy_chef_spawn_asks_no_more_than_spawn_local<F>(future: F)
where
    F: Future + 'static,
    F::Output: 'static,
{
    drop(busy_chef::spawn(future));
}

#[test]
fn busy_chef_spawn_takes_a_future_that_is_not_send() {
    // And at run time: an `Rc` shared by two tasks, on one thread.
    let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let executor = busy_chef::Executor::simulated();
    executor.block_on(async {
        let (a, b) = (log.clone(), log.clone());
        let first = busy_chef::spawn(async move { a.borrow_mut().push("toast") });
        let second = busy_chef::spawn(async move { b.borrow_mut().push("eggs") });
        first.await.unwrap();
        second.await.unwrap();
    });
    assert_eq!(*log.borrow(), ["toast", "eggs"]);
}
