//! The debugger chapter (`book/src/debugger.md`) is real: these scenarios
//! run `rust-gdb -batch` on the debug builds of the examples, with the gdb
//! extension that every busy-chef binary carries (`debug/busy_chef_gdb.py`,
//! embedded by `executor/lib.rs`), and check what its commands print: task
//! names, states, the variants the futures are suspended in, await chains,
//! timer deadlines, and where `busy next` stops.
//!
//! The chapter's two sessions are the command files `book/gdb/gather.gdb`
//! and `book/gdb/chef.gdb`; their transcripts, written here, are what the
//! chapter shows (`BUSY_CHEF_BLESS=1 cargo test --test debugger` rewrites
//! them). Like a reader, the tests trust the build folder with the one line
//! the chapter tells the reader to add, `add-auto-load-safe-path`, and type
//! no `source` command.
//!
//! The checks match what the extension prints, never the names of std's
//! private types, so that a new toolchain does not break them.
//!
//! Without gdb the tests are skipped with a note, except in CI (`CI` set),
//! where a missing gdb fails them: `.ci/run` installs gdb.

mod book_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Longer than any session takes (a few seconds); only there so that a
/// hung gdb fails the test instead of hanging the suite.
const SESSION_LIMIT: Duration = Duration::from_secs(120);

/// `rust-gdb`, if gdb is installed. In CI a missing gdb is a failure.
fn rust_gdb() -> Option<PathBuf> {
    let gdb_works = Command::new("gdb")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    let found = if !gdb_works {
        None
    } else if Command::new("rust-gdb").arg("--version").output().is_ok() {
        Some(PathBuf::from("rust-gdb"))
    } else {
        std::env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(".cargo/bin/rust-gdb"))
            .filter(|path| path.exists())
    };
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "gdb or rust-gdb is missing, and CI is set: .ci/run must install gdb \
             (apt-get install gdb); rust-gdb comes with rustup"
        );
        eprintln!("note: gdb/rust-gdb not found; skipping the debugger scenarios");
    }
    found
}

/// The folder to trust: the build folder the examples are in.
fn build_folder(example: &Path) -> PathBuf {
    // target/<profile>/examples/<name> → target
    example
        .ancestors()
        .nth(3)
        .expect("target folder")
        .to_path_buf()
}

/// Runs `commands` (one gdb command each) on the example's debug build, as
/// a user would type them, and returns the transcript: each command shown
/// as `(gdb) command`, then what it printed, with the program's own output
/// in between. `env`: extra environment variables for the program.
fn session(gdb: &Path, example: &str, commands: &[String], env: &[(&str, &str)]) -> String {
    let binary = book_support::example_binary(example);
    let trust = format!(
        "add-auto-load-safe-path {}",
        build_folder(&binary).display()
    );
    run_session(gdb, &binary, &[&trust], commands, env, false)
}

/// [`session`], for commands whose last one must fail (gdb's batch mode
/// then exits with status 1).
fn session_ending_in_an_error(gdb: &Path, example: &str, commands: &[String]) -> String {
    let binary = book_support::example_binary(example);
    let trust = format!(
        "add-auto-load-safe-path {}",
        build_folder(&binary).display()
    );
    let quiet = [("BUSY_CHEF_WARN_BLOCKING", "off")];
    run_session(gdb, &binary, &[&trust], commands, &quiet, true)
}

/// Runs gdb on `binary`: `early` before it loads the binary (`-iex`), then
/// `commands` as a user would type them.
fn run_session(
    gdb: &Path,
    binary: &Path,
    early: &[&str],
    commands: &[String],
    env: &[(&str, &str)],
    last_fails: bool,
) -> String {
    static SESSIONS: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "busy-chef-gdb-{}-{}",
        std::process::id(),
        SESSIONS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("session.gdb");
    let mut text = String::from("set pagination off\nset confirm off\nset width 0\n");
    for command in commands {
        let shown = command.replace('\\', "\\\\");
        text.push_str(&format!("echo (gdb) {shown}\\n\n{command}\n"));
    }
    std::fs::write(&script, text).unwrap();
    let out_path = dir.join("transcript.txt");
    let out = std::fs::File::create(&out_path).unwrap();
    let mut child = Command::new(gdb);
    child.args(["-batch", "-nx"]);
    for command in early {
        child.args(["-iex", command]);
    }
    let mut child = child
        .arg("-x")
        .arg(&script)
        .arg(binary)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("run rust-gdb");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > SESSION_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "rust-gdb did not finish within {SESSION_LIMIT:?}; transcript so far:\n{}",
                std::fs::read_to_string(&out_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let transcript = std::fs::read_to_string(&out_path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        status.success() != last_fails,
        "rust-gdb {} ({status}):\n{transcript}",
        if last_fails { "did not fail" } else { "failed" }
    );
    for trouble in ["Python Exception", "Error occurred in Python", "Traceback"] {
        assert!(
            !transcript.contains(trouble),
            "the gdb extension failed ({trouble}):\n{transcript}"
        );
    }
    transcript
}

/// The commands of a session file under `book/gdb/`: one per line, `#`
/// starts a comment.
fn commands_of(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(book_support::root().join(file)).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// The transcript as the chapter shows it: without gdb's notes about
/// threads and process ids, with memory addresses blanked out, and with the
/// line numbers of the executor's own files (which move whenever the
/// executor is edited) as `…`.
fn normalise(transcript: &str) -> String {
    let mut out = String::new();
    let mut after_executor_location = false;
    for line in transcript.lines() {
        if line.starts_with("[Thread debugging")
            || line.starts_with("Using host libthread_db")
            || line.starts_with("warning: Error disabling address space randomization")
        {
            continue;
        }
        let mut clean = blank(line, "0x", |c| c.is_ascii_hexdigit());
        // How many places one breakpoint covers depends on code generation.
        if let Some(i) = clean.find(" locations)") {
            let start = clean[..i].rfind('(').unwrap_or(i);
            clean.replace_range(start + 1..i, "…");
        }
        if let Some(rest) = clean.strip_prefix("[Inferior 1 (process ") {
            let tail = rest.split_once(')').map_or("", |(_, tail)| tail);
            clean = format!("[Inferior 1 (process …){tail}");
        }
        let executor_line = after_executor_location
            && clean
                .split_once('\t')
                .is_some_and(|(n, _)| n.chars().all(|c| c.is_ascii_digit()));
        if executor_line {
            clean = format!("…{}", &clean[clean.find('\t').unwrap()..]);
        }
        after_executor_location = false;
        for marker in ["executor/", "-line "] {
            if clean.contains(marker) {
                let before = clean.clone();
                clean = executor_line_numbers(&clean);
                after_executor_location |= before != clean || marker == "executor/";
            }
        }
        out.push_str(&clean);
        out.push('\n');
    }
    out
}

/// `prefix` followed by characters matching `keep` becomes `prefix…`.
fn blank(line: &str, prefix: &str, keep: impl Fn(char) -> bool) -> String {
    let mut clean = String::new();
    let mut rest = line;
    while let Some(i) = rest.find(prefix) {
        clean.push_str(&rest[..i + prefix.len()]);
        let skip: usize = rest[i + prefix.len()..]
            .chars()
            .take_while(|&c| keep(c))
            .map(char::len_utf8)
            .sum();
        if skip > 0 {
            clean.push('…');
        }
        rest = &rest[i + prefix.len() + skip..];
    }
    clean.push_str(rest);
    clean
}

/// `executor/runtime/mod.rs:321` → `executor/runtime/mod.rs:…`, and
/// `-line 75` / `, line 321.` after an executor file likewise.
fn executor_line_numbers(line: &str) -> String {
    if !line.contains("executor/") {
        return line.to_string();
    }
    let digits = |c: char| c.is_ascii_digit();
    let mut clean = line.to_string();
    for prefix in [".rs:", "-line ", ", line "] {
        clean = blank(&clean, prefix, digits);
    }
    clean
}

/// The 1-based number of the line of `file` (from the project root) that
/// contains `text`; it must be exactly one.
fn line_of(file: &str, text: &str) -> usize {
    let source = std::fs::read_to_string(book_support::root().join(file)).unwrap();
    let found: Vec<usize> = source
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains(text))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(found.len(), 1, "{text:?} in {file}: {found:?}");
    found[0]
}

/// The source line `n` of `file`, as gdb shows it when it stops there.
fn shown_line(file: &str, n: usize) -> String {
    let source = std::fs::read_to_string(book_support::root().join(file)).unwrap();
    format!("{n}\t{}", source.lines().nth(n - 1).unwrap())
}

/// The lines of the transcript from the one that starts with `(gdb) command`
/// (its `nth` occurrence, from 0) up to the next command.
fn output_of<'a>(transcript: &'a str, command: &str, nth: usize) -> Vec<&'a str> {
    let prompt = format!("(gdb) {command}");
    let mut lines = transcript.lines();
    let mut seen = 0;
    for line in lines.by_ref() {
        if line == prompt {
            if seen == nth {
                break;
            }
            seen += 1;
        }
    }
    lines
        .take_while(|line| !line.starts_with("(gdb) "))
        .collect()
}

/// The row of `busy tasks` output for the task called `name`, as words.
fn row<'a>(table: &[&'a str], name: &str) -> Vec<&'a str> {
    table
        .iter()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|words| words.get(1) == Some(&name))
        .unwrap_or_else(|| panic!("no row for {name:?} in:\n{}", table.join("\n")))
}

fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected {needle:?} in:\n{haystack}"
    );
}

// ---------------------------------------------------------------------------
// The chapter's sessions
// ---------------------------------------------------------------------------

#[test]
fn gather_session_shows_an_unresumed_future_the_await_tree_and_the_timers() {
    let Some(gdb) = rust_gdb() else { return };
    let commands = commands_of("book/gdb/gather.gdb");
    let quiet = [("BUSY_CHEF_WARN_BLOCKING", "off")];
    let transcript = session(&gdb, "gather", &commands, &quiet);

    // `break gather::download_file` stops where the future is *created*:
    // calling an async fn runs none of its body, and `finish` shows the
    // state machine it returns, in its first state, holding the arguments.
    let finish = output_of(&transcript, "finish", 0).join("\n");
    assert_contains(&finish, "Value returned is");
    assert_contains(&finish, "download_file@Unresumed");
    assert_contains(&finish, r#"name = "File 1""#);
    assert_contains(&finish, "time_to_wait = 2");
    assert!(
        !transcript.contains("Starting download of File 1...\n(gdb) finish"),
        "the body must not have run before `finish`:\n{transcript}"
    );

    // Parked: block_on's future is suspended in join_all, whose two children
    // each wait in a Sleep, filed in level 1 of the wheel (a slot of level 1
    // spans 64 ms: 1000 ms is in slot 15, 2000 ms in slot 31).
    let tree = output_of(&transcript, "busy await-tree", 0).join("\n");
    assert_contains(
        &tree,
        "→ async_main@Suspend0 → JoinAll[\
         0: download_file@Suspend0 → Sleep(2.000 s, wheel L1 slot 31), \
         1: download_file@Suspend0 → Sleep(1.000 s, wheel L1 slot 15)]",
    );
    assert!(tree.starts_with("main (task-"), "{tree}");

    let timers = output_of(&transcript, "busy timers", 0);
    assert_contains(timers[0], "simulated clock, now 0.000 s");
    let rows: Vec<Vec<&str>> = timers[2..]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{timers:?}");
    assert_eq!(rows[0][..6], ["1.000", "s", "wheel", "L1", "slot", "15"]);
    assert_eq!(rows[1][..6], ["2.000", "s", "wheel", "L1", "slot", "31"]);
    // The timers hold join_all's per-child wakers, which wake main.
    assert_eq!(rows[0][6..10], ["join_all", "child", "1", "of"]);
    assert_eq!(rows[1][6..10], ["join_all", "child", "0", "of"]);
    assert!(rows[0].last().unwrap().ends_with("\"main\""), "{rows:?}");

    book_support::check_or_bless("book/src/generated/gdb-gather.txt", &normalise(&transcript));
}

#[test]
fn chef_session_shows_the_tasks_the_queue_and_busy_next_across_an_await() {
    let Some(gdb) = rust_gdb() else { return };
    let commands = commands_of("book/gdb/chef.gdb");
    let quiet = [("BUSY_CHEF_WARN_BLOCKING", "off")];
    let transcript = session(&gdb, "chef", &commands, &quiet);
    let chef = "examples/chef.rs";
    let toast_await = line_of(chef, "sleep(TOAST).await");
    let eggs_await = line_of(chef, "sleep(EGGS).await");

    // `busy break-poll toast` stops at the first line of the toast task's
    // first poll, while the two other dishes wait in the run queue.
    let first = output_of(&transcript, "run --simulated", 0).join("\n");
    assert_contains(&first, "is polled (its future: make_toast@Unresumed)");
    assert_contains(
        &first,
        "chef::make_toast::{async_fn#0} () at examples/chef.rs:",
    );
    let tasks = output_of(&transcript, "busy tasks", 0);
    assert_eq!(tasks[0].split_whitespace().next(), Some("task"));
    assert_eq!(
        row(&tasks, "toast")[2..4],
        ["Running", "make_toast@Unresumed"]
    );
    assert_eq!(row(&tasks, "eggs")[2..4], ["Queued", "fry_eggs@Unresumed"]);
    assert_eq!(
        row(&tasks, "coffee")[2..4],
        ["Queued", "brew_coffee@Unresumed"]
    );
    assert_eq!(row(&tasks, "main")[2..4], ["Waiting", "busy_chef@Suspend0"]);
    let queue = output_of(&transcript, "busy queue", 0);
    assert!(
        queue[0].starts_with("run queue, next first: task-")
            && queue[0].find("\"eggs\"") < queue[0].find("\"coffee\""),
        "{queue:?}"
    );

    // `next` twice reaches the `.await`; `busy next` steps across it: toast
    // suspends, the others run, the timer fires, and it stops on the line
    // after the `.await` in the same task.
    let across = output_of(&transcript, "busy next", 0);
    assert_contains(
        across[0],
        &format!("make_toast returned Pending at examples/chef.rs:{toast_await}"),
    );
    assert_eq!(
        across.last().copied(),
        Some(shown_line(chef, toast_await + 1).as_str()),
        "busy next must stop on the line after the .await:\n{across:?}"
    );
    assert!(
        across.contains(&"[ 0.5 s] coffee machine bleeps!"),
        "{across:?}"
    );

    let tasks = output_of(&transcript, "busy tasks", 1);
    assert_eq!(
        row(&tasks, "toast")[2..4],
        ["Running", "make_toast@Suspend0"]
    );
    let eggs = row(&tasks, "eggs");
    assert_eq!(eggs[2..4], ["Waiting", "fry_eggs@Suspend0"]);
    assert_eq!(eggs[4], format!("examples/chef.rs:{eggs_await}"));
    assert!(
        !tasks.iter().any(|l| l.contains("coffee")),
        "coffee is done and out of the table: {tasks:?}"
    );

    let tree = output_of(&transcript, "busy await-tree", 0).join("\n");
    assert_contains(&tree, "busy_chef@Suspend0 → JoinHandle(task-");
    assert_contains(&tree, "\"toast\", Running)");
    assert_contains(
        &tree,
        &format!(
            "running now → make_toast (examples/chef.rs:{})",
            toast_await + 1
        ),
    );
    assert_contains(&tree, "→ fry_eggs@Suspend0 → Sleep(4.500 s, wheel L");

    let timers = output_of(&transcript, "busy timers", 0);
    assert_contains(timers[0], "simulated clock, now 4.000 s");
    assert_eq!(timers.len(), 3, "one timer, the eggs': {timers:?}");
    assert!(
        timers[2].starts_with("4.500 s") && timers[2].ends_with("\"eggs\""),
        "{timers:?}"
    );

    // The printers: a task table entry shows as its concrete task.
    let task = output_of(&transcript, "print $busy_task(\"toast\")", 0).join("\n");
    assert_contains(&task, "\"toast\" queued=no state=Running");
    assert_contains(&task, "make_toast@Suspend0");
    assert_contains(&task, "__awaitee = Sleep(4.000 s, no timer)");
    assert_contains(&task, "start = 3.000 s");
    assert_contains(&task, "awaiter = Waker → task-");

    book_support::check_or_bless("book/src/generated/gdb-chef.txt", &normalise(&transcript));
}

// ---------------------------------------------------------------------------
// Beyond the script
// ---------------------------------------------------------------------------

/// The issue's "done when": one plain breakpoint on a line of `make_toast`,
/// and every command answers, from a frame inside the user's async fn,
/// both in the synchronous chef (no tasks: all in block_on's future) and in
/// the busy chef (three tasks).
#[test]
fn a_breakpoint_in_make_toast_is_enough_for_every_command() {
    let Some(gdb) = rust_gdb() else { return };
    let chef = "examples/chef.rs";
    let toast_await = line_of(chef, "sleep(TOAST).await");
    let next_line = shown_line(chef, toast_await + 1);
    let commands: Vec<String> = [
        format!("break {chef}:{toast_await}"),
        "run --simulated".into(),
        "busy tasks".into(),
        "busy await-tree".into(),
        "busy next".into(),
        "continue".into(),
        "busy tasks".into(),
        "busy queue".into(),
        "print $busy_executor()".into(),
        "busy next".into(),
        "busy timers".into(),
        "print $busy_task(\"main\")".into(),
        "print $busy_task(\"toast\").header.state".into(),
        "busy await-tree eggs".into(),
        "busy await-tree nobody".into(),
    ]
    .into();
    let transcript = session_ending_in_an_error(&gdb, "chef", &commands);

    // The synchronous chef: only block_on's future, running make_toast
    // inside synchronous_chef.
    let tasks = output_of(&transcript, "busy tasks", 0);
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    assert_eq!(row(&tasks, "main")[2], "Running");
    let tree = output_of(&transcript, "busy await-tree", 0).join("\n");
    assert_contains(&tree, "running now → ");
    assert_contains(
        &tree,
        &format!(
            "synchronous_chef (examples/chef.rs:{}) → make_toast (examples/chef.rs:{toast_await})",
            line_of(chef, "let toast = make_toast(start).await")
        ),
    );
    let across = output_of(&transcript, "busy next", 0);
    assert_eq!(
        across.last().copied(),
        Some(next_line.as_str()),
        "{across:?}"
    );

    // The busy chef: the breakpoint hits again in the toast task.
    let tasks = output_of(&transcript, "busy tasks", 1);
    assert_eq!(
        row(&tasks, "toast")[2..4],
        ["Running", "make_toast@Unresumed"]
    );
    assert_eq!(row(&tasks, "eggs")[2], "Queued");
    let queue = output_of(&transcript, "busy queue", 0).join("\n");
    assert_contains(&queue, "\"eggs\", task-");
    assert_contains(&queue, "channel (wakes from other threads): empty");
    // The chapter's table of pretty-printers quotes these two.
    let executor = output_of(&transcript, "print $busy_executor()", 0).join("\n");
    assert_contains(
        &executor,
        "Executor(simulated clock, now 3.000 s, 4 tasks, 0 timers)",
    );
    let state = output_of(&transcript, "print $busy_task(\"toast\").header.state", 0);
    assert_contains(&state.join("\n"), "queued=no flags=BUSY|HANDLE|NAMED");
    let across = output_of(&transcript, "busy next", 1);
    assert_eq!(
        across.last().copied(),
        Some(next_line.as_str()),
        "{across:?}"
    );
    let timers = output_of(&transcript, "busy timers", 0).join("\n");
    assert_contains(&timers, "4.500 s");
    // A name lives in the executor's map of names only while its task does:
    // the coffee is done, so its handle shows the bare id.
    let main = output_of(&transcript, "print $busy_task(\"main\")", 0).join("\n");
    assert_contains(&main, "busy_chef@Suspend0");
    assert_contains(&main, "eggs = JoinHandle(task-");
    assert_contains(&main, "\"eggs\", Waiting)");
    // The chapter quotes this one.
    assert_contains(&main, "coffee = JoinHandle(task-5, Done)");
    let eggs = output_of(&transcript, "busy await-tree eggs", 0);
    assert_eq!(eggs.len(), 1, "one task: {eggs:?}");
    assert!(eggs[0].starts_with("eggs (task-"), "{eggs:?}");
    let nobody = output_of(&transcript, "busy await-tree nobody", 0).join("\n");
    assert_contains(&nobody, "no task called 'nobody'");
}

/// A task spawned without a name (`spawn`, not `spawn_named`) is shown by
/// its id alone, everywhere: in the table (name `-`), in the await tree, as
/// the task a timer wakes, and in the `JoinHandle` that awaits it.
#[test]
fn an_unnamed_task_is_shown_by_its_id() {
    let Some(gdb) = rust_gdb() else { return };
    let commands: Vec<String> = [
        "break busy_chef::runtime::core::Core::park".into(),
        "run".into(),
        "busy tasks".into(),
        "busy await-tree".into(),
        "busy timers".into(),
        "print $busy_executor()".into(),
    ]
    .into();
    let quiet = [("BUSY_CHEF_WARN_BLOCKING", "off")];
    let transcript = session(&gdb, "join_handle", &commands, &quiet);

    // `await_it`: block_on's future awaits the handle of `cook("toast", 1)`.
    let tasks = output_of(&transcript, "busy tasks", 0);
    assert_eq!(tasks.len(), 3, "{tasks:?}");
    assert_eq!(row(&tasks, "main")[2..4], ["Waiting", "await_it@Suspend0"]);
    let cook = row(&tasks, "-");
    assert_eq!(cook[2..4], ["Waiting", "cook@Suspend0"]);
    let id = cook[0];
    assert!(id.starts_with("task-"), "{cook:?}");

    let tree = output_of(&transcript, "busy await-tree", 0);
    assert_eq!(
        tree,
        [
            format!(
                "{} → await_it@Suspend0 → JoinHandle({id}, Waiting)",
                tasks_head(&tasks)
            ),
            format!("{id} → cook@Suspend0 → Sleep(1.000 s, wheel L1 slot 15)"),
        ]
    );
    let timers = output_of(&transcript, "busy timers", 0);
    assert_eq!(timers.len(), 3, "{timers:?}");
    assert!(timers[2].ends_with(&format!("  {id}")), "{timers:?}");

    let executor = output_of(&transcript, "print $busy_executor()", 0).join("\n");
    assert_contains(&executor, "2 tasks, 1 timer");
    assert_contains(&executor, &format!("{id} queued=no state=Waiting"));
    assert_contains(&executor, &format!("Waker → {id}}}"));
}

/// An async block inside an async fn (`spawn(async { .. })` in
/// `panic_it`) is a body of its own: it is named after the fn
/// (`panic_it::{async_block#0}`), its await chain while it runs is its own
/// frame (not the executor's generic frames that poll it, whose names
/// mention it as a type argument), and `busy next` follows it across its
/// `.await`.
#[test]
fn an_async_block_spawned_inside_an_async_fn_is_followed_like_one() {
    let Some(gdb) = rust_gdb() else { return };
    let file = "examples/join_handle.rs";
    let sleep_line = line_of(file, "panic!(\"the pan caught fire\")") - 1;
    let commands: Vec<String> = [
        format!("break {file}:{sleep_line}"),
        "run".into(),
        "busy await-tree".into(),
        "next".into(),
        "busy next".into(),
        "busy tasks".into(),
    ]
    .into();
    let quiet = [("BUSY_CHEF_WARN_BLOCKING", "off")];
    let transcript = session(&gdb, "join_handle", &commands, &quiet);

    let tree = output_of(&transcript, "busy await-tree", 0);
    let block = format!("panic_it::{{async_block#0}} ({file}:{sleep_line})");
    assert!(
        tree.iter()
            .any(|line| line.ends_with(&format!(", running now → {block}"))),
        "{tree:?}"
    );
    let across = output_of(&transcript, "busy next", 0);
    assert_contains(
        across[0],
        &format!("panic_it::{{async_block#0}} returned Pending at {file}:{sleep_line}"),
    );
    assert_eq!(
        across.last().copied(),
        Some(shown_line(file, sleep_line + 1).as_str()),
        "{across:?}"
    );
    let tasks = output_of(&transcript, "busy tasks", 0).join("\n");
    assert_contains(
        &tasks,
        &format!(
            "Running  panic_it::{{async_block#0}}@Suspend0  running: panic_it::{{async_block#0}} ({file}:{})",
            sleep_line + 1
        ),
    );
}

/// `main (task-1)`: how the await tree names block_on's future, from its
/// row in `busy tasks`.
fn tasks_head(tasks: &[&str]) -> String {
    format!("main ({})", row(tasks, "main")[0])
}

/// A pause at a breakpoint inside a poll is not the program's fault: with a
/// debugger attached, the blocking-poll warning says what happened instead
/// of telling the learner to stop calling `std::thread::sleep`.
#[test]
fn a_pause_at_a_breakpoint_is_not_reported_as_a_blocking_poll() {
    let Some(gdb) = rust_gdb() else { return };
    let download = line_of(
        "examples/gather.rs",
        "sleep(Duration::from_secs(time_to_wait)).await",
    );
    let commands: Vec<String> = [
        format!("tbreak examples/gather.rs:{download}"),
        "run --simulated".into(),
        "shell sleep 0.3".into(), // longer than the 100 ms limit
        "continue".into(),
    ]
    .into();
    // Blocking-poll warnings on, as in any debug build.
    let transcript = session(
        &gdb,
        "gather",
        &commands,
        &[("BUSY_CHEF_WARN_BLOCKING", "100")],
    );
    assert_contains(&transcript, "while a debugger is attached");
    assert_contains(&transcript, "a simulated clock does not move");
    assert!(
        !transcript.contains("blocked the executor"),
        "the pause was blamed on the program:\n{transcript}"
    );
    assert_contains(&transcript, "Main Finished!");
}

/// Until the build folder is trusted, gdb declines the embedded extension
/// and prints the line to add: the chapter's one-time step.
#[test]
fn an_untrusted_build_folder_gets_the_line_to_add() {
    let Some(gdb) = rust_gdb() else { return };
    let binary = book_support::example_binary("gather");
    let output = Command::new(&gdb)
        .args(["-batch", "-nx", "-ex", "busy tasks"])
        .arg(&binary)
        .stdin(Stdio::null())
        .output()
        .expect("run rust-gdb");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert_contains(&text, "add-auto-load-safe-path");
    assert_contains(&text, "Undefined command: \"busy\"");
}

/// `.vscode/launch.json`'s gdb configurations: their build task finds the
/// binary through cargo (no `target/` path written in), and their
/// `setupCommands` alone (no trusted folder) give the `busy` commands.
#[test]
fn the_vscode_gdb_configurations_find_the_program_and_load_the_extension() {
    let Some(gdb) = rust_gdb() else { return };
    // VS Code's JSON allows comments; python3 strips them and reads it.
    let reader = r#"
import json, re
def load(path):
    return json.loads(re.sub(r"(?m)^\s*//.*$", "", open(path).read()))
tasks = {t["label"]: t["command"] for t in load(".vscode/tasks.json")["tasks"]}
for c in load(".vscode/launch.json")["configurations"]:
    if c["type"] == "cppdbg":
        print("CONFIG\t" + c["name"])
        print("PROGRAM\t" + c["program"])
        print("ARGS\t" + " ".join(c["args"]))
        print("TASK\t" + tasks[c["preLaunchTask"]])
        print("DEBUGGER\t" + c["miDebuggerPath"])
        for s in c["setupCommands"]:
            print("SETUP\t" + s["text"])
"#;
    let root = book_support::root();
    let Ok(output) = Command::new("python3")
        .args(["-c", reader])
        .current_dir(&root)
        .output()
    else {
        assert!(std::env::var_os("CI").is_none(), "python3 is missing in CI");
        eprintln!("note: python3 not found; skipping the launch.json check");
        return;
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listing = String::from_utf8(output.stdout).unwrap();
    let configs: Vec<&str> = listing.split("CONFIG\t").skip(1).collect();
    assert!(
        configs.len() >= 2,
        "gdb configurations for gather and chef:\n{listing}"
    );
    let chef = configs
        .iter()
        .find(|c| c.contains("/programs/chef"))
        .expect("a gdb configuration for chef");
    let field = |key: &str| -> Vec<String> {
        chef.lines()
            .filter_map(|l| l.strip_prefix(&format!("{key}\t")))
            .map(|v| v.replace("${workspaceFolder}", &root.display().to_string()))
            .collect()
    };
    let program = PathBuf::from(&field("PROGRAM")[0]);
    assert!(!field("PROGRAM")[0].contains("target/"), "{program:?}");
    assert_eq!(field("DEBUGGER"), ["rust-gdb"]);
    let setup = field("SETUP");
    assert!(
        setup.iter().any(|s| s == "-enable-pretty-printing"),
        "{setup:?}"
    );
    assert!(
        setup
            .iter()
            .any(|s| s.starts_with("source ") && s.ends_with("debug/busy_chef_gdb.py")),
        "{setup:?}"
    );

    let built = Command::new("bash")
        .args(["-c", &field("TASK")[0]])
        .current_dir(&root)
        .output()
        .expect("run the preLaunchTask");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    assert_eq!(
        std::fs::canonicalize(&program).unwrap(),
        std::fs::canonicalize(book_support::example_binary("chef")).unwrap(),
        "the task links the binary cargo built"
    );

    // As cppdbg does: the setup commands (MI ones through the MI
    // interpreter), then the program, with no folder trusted.
    let early: Vec<String> = setup
        .iter()
        .map(|s| match s.strip_prefix('-') {
            Some(mi) => format!("interpreter-exec mi \"-{mi}\""),
            None => s.clone(),
        })
        .collect();
    let early: Vec<&str> = early.iter().map(String::as_str).collect();
    let toast_await = line_of("examples/chef.rs", "sleep(TOAST).await");
    let commands: Vec<String> = [
        format!("break examples/chef.rs:{toast_await}"),
        format!("run {}", field("ARGS")[0]),
        "busy tasks".into(),
    ]
    .into();
    let quiet = [("BUSY_CHEF_WARN_BLOCKING", "off")];
    let transcript = run_session(&gdb, &program, &early, &commands, &quiet, false);
    let tasks = output_of(&transcript, "busy tasks", 0);
    assert_eq!(row(&tasks, "main")[2], "Running", "{transcript}");
}
