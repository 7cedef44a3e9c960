//! Tracing, timelines and the warnings for the classic mistakes
//! (`executor/trace/`, book chapter *Seeing it*).
//!
//! The `generated_*` tests draw the timelines and SVGs the book shows, from
//! the examples run on the simulated clock, and compare them with
//! `book/src/generated/` (`BUSY_CHEF_BLESS=1 cargo test --test trace`
//! rewrites them).

mod book_support;
mod millis;
mod panic_payload;
mod xorshift;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::process::Command;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use book_support::{check_or_bless, run_example, run_example_traced};
use busy_chef::time::{sleep, timeout};
use busy_chef::trace::{Ending, PollResult, Trace, WakeSource, What};
use busy_chef::{spawn_named, yield_now, Executor, TaskId};
use millis::ms;
use panic_payload::panic_message;
use xorshift::Rng;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A future that returns `Pending` forever and never keeps its waker: the
/// classic lost waker.
struct Forgetful;

impl Future for Forgetful {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

/// A future that keeps its waker in `slot` (for someone else to wake, or to
/// drop), and is ready once woken.
struct Parked {
    slot: Rc<RefCell<Option<Waker>>>,
    polled: bool,
}

impl Future for Parked {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.polled {
            return Poll::Ready(());
        }
        self.polled = true;
        *self.slot.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

fn name_of(trace: &Trace, id: TaskId) -> String {
    trace
        .events
        .iter()
        .find_map(|e| match &e.what {
            What::Spawned { task, name, .. } if *task == id => Some(name.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{id} was never spawned in the trace"))
}

fn temp_path(file: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("busy-chef-{}-{file}", std::process::id()))
}

// ---------------------------------------------------------------------------
// The generated pictures in the book
// ---------------------------------------------------------------------------

#[test]
fn generated_gather_timeline_and_svg() {
    // Any program: gather knows nothing about tracing.
    let (stdout, stderr) = run_example_traced("gather", &["--simulated"], "1");
    assert!(
        stdout.contains("Main Finished!"),
        "the program ran as usual"
    );
    let timeline = stderr
        .split_once("busy-chef trace (BUSY_CHEF_TRACE):\n")
        .expect("the timeline is printed to stderr when the executor is dropped")
        .1;
    assert!(
        timeline.contains("main") && timeline.contains("sleep 2 s"),
        "{timeline}"
    );
    check_or_bless("book/src/generated/gather-timeline.txt", timeline);

    let path = temp_path("gather.svg");
    run_example_traced("gather", &["--simulated"], path.to_str().unwrap());
    let svg = std::fs::read_to_string(&path).expect("BUSY_CHEF_TRACE=x.svg writes the file");
    std::fs::remove_file(&path).ok();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    check_or_bless("book/src/generated/gather.svg", &svg);

    let path = temp_path("gather.json");
    run_example_traced("gather", &["--simulated"], path.to_str().unwrap());
    let json = std::fs::read_to_string(&path).expect("BUSY_CHEF_TRACE=x.json writes the file");
    std::fs::remove_file(&path).ok();
    assert_json(&json);
    assert!(json.contains(r#""name":"main (task-"#), "{json}");
}

#[test]
fn generated_chef_timeline_and_svg() {
    let path = temp_path("chef.svg");
    let out = run_example("chef", &["--simulated", "--svg", path.to_str().unwrap()]);
    let start = out.find("Timelines").expect("chef ends with its timelines");
    let end = out.find("\nwrote ").expect("chef says it wrote the SVG");
    let timelines = &out[start..end + 1];
    for task in ["toast", "eggs", "coffee"] {
        assert!(timelines.contains(task), "{timelines}");
    }
    check_or_bless("book/src/generated/chef-timeline.txt", timelines);
    let svg = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert!(svg.contains("The busy chef") && svg.contains("toast"));
    check_or_bless("book/src/generated/chef.svg", &svg);
}

#[test]
fn busy_chef_trace_shows_the_whole_run_even_when_the_program_takes_its_own_traces() {
    // Regression (issue 11, "also found"): `chef` takes both of its traces
    // itself, which left nothing for the variable: BUSY_CHEF_TRACE=1 printed
    // nothing and `=chef.json` / `=chef.svg` wrote no file. The variable's
    // output is written in addition: everything since the executor was
    // created, both breakfasts, 4.5 s.
    let (stdout, stderr) = run_example_traced("chef", &["--simulated"], "1");
    assert!(
        stdout.contains("Timelines") && stdout.contains("done at 1.5 s"),
        "the program still draws its own traces:\n{stdout}"
    );
    let timeline = stderr
        .split_once("busy-chef trace (BUSY_CHEF_TRACE):\n")
        .unwrap_or_else(|| panic!("no timeline on stderr:\n{stderr}"))
        .1;
    for needle in ["toast", "eggs", "coffee", "done at 4.5 s"] {
        assert!(timeline.contains(needle), "{needle} missing in\n{timeline}");
    }
    let mains = timeline.lines().filter(|l| l.starts_with("main ")).count();
    assert_eq!(mains, 2, "both block_on futures:\n{timeline}");

    let path = temp_path("chef.json");
    run_example_traced("chef", &["--simulated"], path.to_str().unwrap());
    let json = std::fs::read_to_string(&path).expect("BUSY_CHEF_TRACE=chef.json writes the file");
    std::fs::remove_file(&path).ok();
    assert_json(&json);
    assert_json_slices(&json);
    assert!(json.contains(r#""name":"toast (task-"#), "{json}");

    let path = temp_path("chef.svg");
    run_example_traced("chef", &["--simulated"], path.to_str().unwrap());
    let svg = std::fs::read_to_string(&path).expect("BUSY_CHEF_TRACE=chef.svg writes the file");
    std::fs::remove_file(&path).ok();
    assert!(svg.contains("toast") && svg.trim_end().ends_with("</svg>"));
}

// ---------------------------------------------------------------------------
// What a trace records
// ---------------------------------------------------------------------------

#[test]
fn tracing_is_off_by_default_and_records_nothing() {
    let exec = Executor::simulated();
    if exec.is_tracing() {
        return; // BUSY_CHEF_TRACE is set for this test run
    }
    exec.block_on(async { spawn_named("toast", sleep(Duration::from_secs(1))).await })
        .unwrap();
    assert!(exec.take_trace().events.is_empty());
}

#[test]
fn a_trace_records_spawns_polls_wakes_timers_and_endings() {
    let exec = Executor::simulated();
    exec.enable_trace();
    exec.block_on(async {
        let toast = spawn_named("toast", sleep(Duration::from_secs(1)));
        let unnamed = busy_chef::spawn(async { yield_now().await });
        let crash = spawn_named("crash", async { panic!("burnt") });
        let forever = spawn_named("forever", sleep(Duration::from_secs(60)));
        // A timeout whose sleep is cancelled (the future wins).
        timeout(Duration::from_secs(5), sleep(Duration::from_millis(10)))
            .await
            .unwrap();
        toast.await.unwrap();
        unnamed.await.unwrap();
        assert!(crash.await.unwrap_err().is_panic());
        forever.abort();
        assert!(forever.await.unwrap_err().is_cancelled());
    });
    let trace = exec.take_trace();
    let events = &trace.events;

    let spawned: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.what {
            What::Spawned { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(spawned[0], "main");
    assert_eq!(spawned[1..3], ["toast".to_string(), spawned[2].clone()]);
    assert!(spawned[2].starts_with("task-"), "unnamed: {spawned:?}");
    assert_eq!(spawned[3..], ["crash", "forever"]);

    let ending = |name: &str| {
        events.iter().find_map(|e| match &e.what {
            What::Finished { task, how } if name_of(&trace, *task) == name => Some((e.at, *how)),
            _ => None,
        })
    };
    assert_eq!(
        ending("toast"),
        Some((Duration::from_secs(1), Ending::Completed))
    );
    assert_eq!(ending("crash").unwrap().1, Ending::Panicked);
    assert_eq!(ending("forever").unwrap().1, Ending::Cancelled);
    assert_eq!(
        ending("main"),
        Some((Duration::from_secs(1), Ending::Completed))
    );

    // Polls: the crash shows as a panicked poll; the toast's last poll is Ready.
    let polls = |name: &str| -> Vec<PollResult> {
        events
            .iter()
            .filter_map(|e| match &e.what {
                What::Polled { task, result, .. } if name_of(&trace, *task) == name => {
                    Some(*result)
                }
                _ => None,
            })
            .collect()
    };
    assert_eq!(polls("toast"), [PollResult::Pending, PollResult::Ready]);
    assert_eq!(polls("crash"), [PollResult::Panicked]);
    assert_eq!(
        polls("forever"),
        [PollResult::Pending],
        "abort drops, not polls"
    );

    // The toast was woken by its timer; main was woken by tasks.
    assert!(events.iter().any(|e| matches!(&e.what,
        What::Woken { task, by: WakeSource::Timer } if name_of(&trace, *task) == "toast")));
    assert!(events.iter().any(|e| matches!(&e.what,
        What::Woken { task, by: WakeSource::Task(_) } if name_of(&trace, *task) == "main")));

    // Timers: four registered (toast's, forever's, the timeout's 5 s and the
    // 10 ms sleep inside it); the timeout's and forever's were cancelled.
    let registered = events
        .iter()
        .filter(|e| matches!(e.what, What::TimerRegistered { .. }))
        .count();
    let cancelled = events
        .iter()
        .filter(|e| matches!(e.what, What::TimerCancelled { .. }))
        .count();
    assert_eq!((registered, cancelled), (4, 2));
    assert!(events
        .iter()
        .any(|e| matches!(e.what, What::TimersFired { .. })));

    let timeline = trace.timeline().to_string();
    for row in [
        "main",
        "toast",
        "crash",
        "forever",
        "sleep 1 s",
        "✕",
        "panicked at",
    ] {
        assert!(timeline.contains(row), "{row} missing in\n{timeline}");
    }
}

#[test]
fn a_wake_from_another_thread_is_recorded_as_outside() {
    let exec = Executor::simulated();
    exec.enable_trace();
    exec.block_on(async {
        let slot = Rc::new(RefCell::new(None));
        let parked = Parked {
            slot: slot.clone(),
            polled: false,
        };
        let waiter = spawn_named("waiter", parked);
        yield_now().await; // the waiter runs and parks its waker
        let waker: Waker = slot.borrow_mut().take().unwrap();
        std::thread::spawn(move || waker.wake()).join().unwrap();
        waiter.await.unwrap();
    });
    let trace = exec.take_trace();
    assert!(trace.events.iter().any(|e| matches!(&e.what,
        What::Woken { task, by: WakeSource::Outside } if name_of(&trace, *task) == "waiter")));
}

#[test]
fn take_trace_starts_afresh_and_the_timeline_starts_at_zero() {
    let exec = Executor::simulated();
    exec.enable_trace();
    exec.block_on(async { sleep(Duration::from_secs(3)).await });
    let first = exec.take_trace();
    exec.block_on(async { sleep(Duration::from_secs(1)).await });
    let second = exec.take_trace();
    assert_eq!(first.duration(), Duration::from_secs(3));
    assert_eq!(second.start, Duration::from_secs(3));
    assert_eq!(second.duration(), Duration::from_secs(1));
    let spawns = |t: &Trace| {
        t.events
            .iter()
            .filter(|e| matches!(e.what, What::Spawned { .. }))
            .count()
    };
    assert_eq!((spawns(&first), spawns(&second)), (1, 1), "one main each");
    let timeline = second.timeline().to_string();
    assert!(timeline.contains("done at 1 s"), "{timeline}");
}

// ---------------------------------------------------------------------------
// Chrome JSON: a tiny JSON parser checks that it parses
// ---------------------------------------------------------------------------

/// Parses one JSON value from `s` (RFC 8259, enough to reject anything
/// malformed) and returns the rest; `Err` names the position.
fn parse_value(s: &[u8], mut i: usize) -> Result<usize, usize> {
    fn ws(s: &[u8], mut i: usize) -> usize {
        while i < s.len() && matches!(s[i], b' ' | b'\n' | b'\r' | b'\t') {
            i += 1;
        }
        i
    }
    fn string(s: &[u8], mut i: usize) -> Result<usize, usize> {
        if s.get(i) != Some(&b'"') {
            return Err(i);
        }
        i += 1;
        loop {
            match s.get(i) {
                None => return Err(i),
                Some(b'"') => return Ok(i + 1),
                Some(b'\\') => match s.get(i + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                    Some(b'u')
                        if s.len() >= i + 6
                            && s[i + 2..i + 6].iter().all(u8::is_ascii_hexdigit) =>
                    {
                        i += 6
                    }
                    _ => return Err(i),
                },
                Some(c) if *c < 0x20 => return Err(i),
                Some(_) => i += 1,
            }
        }
    }
    i = ws(s, i);
    match s.get(i) {
        Some(b'{') => {
            i = ws(s, i + 1);
            if s.get(i) == Some(&b'}') {
                return Ok(i + 1);
            }
            loop {
                i = string(s, ws(s, i))?;
                i = ws(s, i);
                if s.get(i) != Some(&b':') {
                    return Err(i);
                }
                i = ws(s, parse_value(s, i + 1)?);
                match s.get(i) {
                    Some(b',') => i += 1,
                    Some(b'}') => return Ok(i + 1),
                    _ => return Err(i),
                }
            }
        }
        Some(b'[') => {
            i = ws(s, i + 1);
            if s.get(i) == Some(&b']') {
                return Ok(i + 1);
            }
            loop {
                i = ws(s, parse_value(s, i)?);
                match s.get(i) {
                    Some(b',') => i += 1,
                    Some(b']') => return Ok(i + 1),
                    _ => return Err(i),
                }
            }
        }
        Some(b'"') => string(s, i),
        Some(b't') if s[i..].starts_with(b"true") => Ok(i + 4),
        Some(b'f') if s[i..].starts_with(b"false") => Ok(i + 5),
        Some(b'n') if s[i..].starts_with(b"null") => Ok(i + 4),
        Some(b'-' | b'0'..=b'9') => {
            let start = i;
            i += usize::from(s[i] == b'-');
            let digits = |s: &[u8], mut i: usize| {
                let from = i;
                while i < s.len() && s[i].is_ascii_digit() {
                    i += 1;
                }
                (i, i > from)
            };
            let (j, ok) = digits(s, i);
            if !ok {
                return Err(start);
            }
            i = j;
            if s.get(i) == Some(&b'.') {
                let (j, ok) = digits(s, i + 1);
                if !ok {
                    return Err(i);
                }
                i = j;
            }
            Ok(i)
        }
        _ => Err(i),
    }
}

fn assert_json(text: &str) {
    let bytes = text.as_bytes();
    match parse_value(bytes, 0) {
        Ok(end) if text[end..].trim().is_empty() => {}
        Ok(end) | Err(end) => panic!(
            "not valid JSON at byte {end}: {:?}",
            &text[end.saturating_sub(40)..(end + 40).min(text.len())]
        ),
    }
}

#[test]
fn the_json_checker_rejects_broken_json() {
    assert_json(r#"{"a":[1,2.5,-3,"x\"y",true,null,{}],"b":"\u00e9"}"#);
    for bad in [
        r#"{"a":1,}"#,
        r#"{"a" 1}"#,
        "[1,2",
        r#"{"a":"b}"#,
        "[01.]",
        "{} x",
    ] {
        let parsed = parse_value(bad.as_bytes(), 0);
        assert!(
            !matches!(parsed, Ok(end) if bad[end..].trim().is_empty()),
            "accepted {bad}"
        );
    }
}

#[test]
fn chrome_json_parses_and_names_every_task() {
    let exec = Executor::simulated();
    exec.enable_trace();
    exec.block_on(async {
        let a = spawn_named("toast \"quoted\"\n", sleep(Duration::from_secs(1)));
        let b = spawn_named("eggs", async { panic!("a \\ backslash") });
        a.await.unwrap();
        b.await.unwrap_err();
    });
    let json = exec.take_trace().to_chrome_json();
    assert_json(&json);
    assert!(json.contains(r#""traceEvents":["#));
    assert!(json.contains(r#""name":"thread_name""#));
    assert!(json.contains(r#"toast \"quoted\"\n"#), "names are escaped");
    assert!(json.contains(r#""ph":"X""#) && json.contains(r#""name":"poll""#));
    assert!(json.contains(r#""cat":"timer","ph":"b""#));
    // An empty trace is valid JSON too.
    assert_json(&Trace::default().to_chrome_json());
}

/// The value of `"key":` in one line of the Chrome JSON (the renderer writes
/// one event per line): a number as written, or a string without its quotes.
/// A key inside a string cannot match: its quotes are escaped there.
fn json_field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let pattern = format!("\"{key}\":");
    let rest = &line[line.find(&pattern)? + pattern.len()..];
    match rest.strip_prefix('"') {
        Some(text) => {
            let mut escaped = false;
            let end = text.char_indices().find_map(|(i, c)| {
                let closes = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                closes.then_some(i)
            })?;
            Some(&text[..end])
        }
        None => Some(&rest[..rest.find([',', '}']).unwrap_or(rest.len())]),
    }
}

/// A timestamp or duration in microseconds, as written ("12.345"), in
/// nanoseconds: exact, so equal times compare equal.
fn json_nanos(value: &str) -> u128 {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, "0"));
    let fraction = format!("{fraction:0<3}");
    let parse = |digits: &str| -> u128 {
        digits
            .parse()
            .unwrap_or_else(|_| panic!("not a time in µs: {value:?}"))
    };
    parse(whole) * 1000 + parse(&fraction[..3])
}

/// Checks how the Chrome JSON's slices fit together, per thread (task):
/// every begin (`B`, or async `b`) is closed by exactly one end (`E` in
/// stack order; `e` of the same category and id), and no end is before its
/// begin; none is left open; the complete slices (`X`: polls and waits)
/// follow one another without overlapping.
fn assert_json_slices(json: &str) {
    use std::collections::HashMap;
    let mut stacks: HashMap<&str, Vec<u128>> = HashMap::new();
    let mut open: HashMap<(&str, &str, &str), u128> = HashMap::new();
    let mut slices: HashMap<&str, Vec<(u128, u128)>> = HashMap::new();
    for line in json.lines() {
        let Some(ph) = json_field(line, "ph") else {
            continue;
        };
        let tid = json_field(line, "tid").unwrap_or("none");
        let ts = || json_nanos(json_field(line, "ts").expect("a timestamp"));
        match ph {
            "B" => stacks.entry(tid).or_default().push(ts()),
            "E" => {
                let begin = stacks.entry(tid).or_default().pop();
                let begin = begin.unwrap_or_else(|| panic!("an E with no B: {line}"));
                assert!(ts() >= begin, "an E before its B: {line}\n{json}");
            }
            "b" => {
                let key = (
                    tid,
                    json_field(line, "cat").unwrap_or(""),
                    json_field(line, "id").unwrap(),
                );
                let again = open.insert(key, ts());
                assert!(again.is_none(), "a second b for {key:?}: {line}");
            }
            "e" => {
                let key = (
                    tid,
                    json_field(line, "cat").unwrap_or(""),
                    json_field(line, "id").unwrap(),
                );
                let begin = open.remove(&key);
                let begin = begin.unwrap_or_else(|| panic!("an e with no b on its thread: {line}"));
                assert!(ts() >= begin, "an e before its b: {line}\n{json}");
            }
            "X" => {
                let dur = json_nanos(json_field(line, "dur").expect("a duration"));
                slices.entry(tid).or_default().push((ts(), ts() + dur));
            }
            _ => {}
        }
    }
    for (tid, stack) in &stacks {
        assert!(stack.is_empty(), "B left open on thread {tid}:\n{json}");
    }
    assert!(open.is_empty(), "b left open: {open:?}\n{json}");
    for (tid, slices) in &mut slices {
        slices.sort_unstable();
        for pair in slices.windows(2) {
            assert!(
                pair[0].1 <= pair[1].0,
                "slices overlap on thread {tid}: {pair:?}\n{json}"
            );
        }
    }
}

#[test]
fn the_slice_checker_rejects_what_it_should() {
    let event = |ph: &str, tid: u32, ts: &str, more: &str| {
        format!(r#"{{"name":"x","ph":"{ph}","pid":1,"tid":{tid},"ts":{ts}{more}}}"#)
    };
    let timer = |ph: &str, ts: &str| event(ph, 1, ts, r#","cat":"timer","id":7"#);
    let poll = |ts: &str, dur: &str| event("X", 1, ts, &format!(r#","dur":{dur}"#));
    let good = [
        timer("b", "1.000"),
        timer("e", "1.000"),
        event("B", 2, "3.5", ""),
        event("E", 2, "4.000", ""),
        poll("0.000", "1.000"),
        poll("1.000", "2.500"),
    ];
    assert_json_slices(&good.join("\n"));
    let bad: [&[String]; 6] = [
        &[timer("b", "2.000"), timer("e", "1.999")],
        &[timer("b", "1.000")],
        &[timer("e", "1.000")],
        &[event("B", 2, "4.000", ""), event("E", 2, "3.999", "")],
        &[event("B", 2, "1.000", ""), event("E", 3, "2.000", "")],
        &[poll("0.000", "1.001"), poll("1.000", "1.000")],
    ];
    for lines in bad {
        let text = lines.join("\n");
        let checked = std::panic::catch_unwind(|| assert_json_slices(&text));
        assert!(checked.is_err(), "accepted:\n{text}");
    }
}

// ---------------------------------------------------------------------------
// Every trace the executor records can be drawn
// ---------------------------------------------------------------------------

#[test]
fn a_timer_registered_after_its_deadline_is_drawn_registered_late_and_fired_at_once() {
    // Regression (issue 11, item 3). On the real clock a `Sleep`'s deadline
    // is fixed when it is created; first polled 30 ms later, its timer goes
    // into the wheel 20 ms past its deadline (and fires at the next timer
    // step). The timeline panicked ("slice index starts at 30 but ends at
    // 10"), also inside `Executor::drop` with BUSY_CHEF_TRACE=1, and the
    // Chrome JSON ended the timer before it began.
    let exec = Executor::new();
    exec.enable_trace();
    exec.warn_blocking_polls(None);
    exec.block_on(async {
        let late = sleep(ms(10));
        std::thread::sleep(ms(30)); // the thread is held: the sleep is polled late
        late.await;
    });
    let trace = exec.take_trace();
    let (registered, deadline) = trace
        .events
        .iter()
        .find_map(|e| match e.what {
            What::TimerRegistered { deadline, .. } => Some((e.at, deadline)),
            _ => None,
        })
        .expect("the sleep registered a timer");
    assert!(
        deadline < registered,
        "the scenario: registered after its deadline ({trace:?})"
    );

    let timeline = trace.timeline().to_string();
    let timer = timeline
        .lines()
        .find(|line| line.trim_start().starts_with("sleep"))
        .unwrap_or_else(|| panic!("no timer row in\n{timeline}"));
    assert!(
        timer.contains("overdue") && timer.contains('┤') && !timer.contains('═'),
        "a late timer is a lone ┤ (fired at once), labelled overdue:\n{timeline}"
    );

    let json = trace.to_chrome_json();
    assert_json(&json);
    assert_json_slices(&json);
    let timer_ts = |ph: &str| {
        let line = json
            .lines()
            .find(|l| json_field(l, "cat") == Some("timer") && json_field(l, "ph") == Some(ph))
            .unwrap_or_else(|| panic!("no timer {ph} in\n{json}"));
        json_nanos(json_field(line, "ts").unwrap())
    };
    assert_eq!(timer_ts("b"), timer_ts("e"), "fired at once:\n{json}");

    let svg = trace.to_svg();
    assert!(svg.contains("overdue") && svg.trim_end().ends_with("</svg>"));
}

// ---------------------------------------------------------------------------
// Every trace renders: random programs, drawn in all three formats
// ---------------------------------------------------------------------------
//
// Random programs (spawn, sleep, timeout, yield, abort, detach, panic,
// blocking the thread, spawn_blocking, timers registered after their
// deadline), on the simulated and on the real clock, traced whole and in
// pieces (`take_trace` mid-run); every trace is drawn as a timeline (several
// widths and spans), an SVG and Chrome JSON, which must parse and pair its
// slices (`assert_json_slices`). Then the same traces, mangled (times past
// the end, out of order, deadlines and poll lengths of `Duration::MAX`), must
// still draw without a panic. `BUSY_CHEF_SEED=<n>` runs that one seed;
// without it, 60 seeds from a fixed one (8 under `.ci/memcheck.sh`).

/// One step of a random task. Times are in milliseconds.
#[derive(Debug, Clone)]
enum Op {
    Sleep(u64),
    /// Create a sleep, hold the thread, then await it: on the real clock
    /// its timer is registered after its deadline when the hold is longer.
    LateSleep(u64, u64),
    /// `sleep_until` an instant this far in the past.
    SleepUntilPast(u64),
    /// `timeout(limit, sleep(ms))`: one of the two timers is cancelled.
    Timeout(u64, u64),
    Yield,
    /// Hold the thread (a blocking poll; warned about past 2 ms).
    Hold(u64),
    /// Await a `spawn_blocking` closure that sleeps this long.
    Blocking(u64),
    /// Spawn a task running these steps, and then...
    Spawn(Vec<Op>, Fate),
    Panic,
}

#[derive(Debug, Clone, Copy)]
enum Fate {
    Await,
    /// Await it after the spawner's last step.
    Later,
    Detach,
    Abort,
}

fn random_ops(rng: &mut Rng, real: bool, depth: u32) -> Vec<Op> {
    // Real runs stay within a few milliseconds; simulated ones range wide.
    let time = |rng: &mut Rng| match (real, rng.below(10)) {
        (true, _) => rng.below(5),
        (false, 0..=5) => rng.below(100),
        (false, 6..=8) => rng.below(5_000),
        (false, _) => rng.below(1 << 31),
    };
    let length = if depth == 0 { 12 } else { 6 };
    (0..1 + rng.below(length))
        .map(|_| match rng.below(20) {
            0..=3 => Op::Sleep(time(rng)),
            4 | 5 => Op::LateSleep(time(rng), if real { rng.below(6) } else { 0 }),
            6 => Op::SleepUntilPast(rng.below(5)),
            7 | 8 => Op::Timeout(time(rng), time(rng)),
            9 | 10 => Op::Yield,
            11 if real => Op::Hold(rng.below(4)),
            12 => Op::Blocking(rng.below(3)),
            13..=17 if depth < 2 => {
                let fate = [Fate::Await, Fate::Later, Fate::Detach, Fate::Abort];
                let fate = fate[rng.below(4) as usize];
                Op::Spawn(random_ops(rng, real, depth + 1), fate)
            }
            18 if depth > 0 => Op::Panic,
            _ => Op::Yield,
        })
        .collect()
}

fn run_ops(ops: Vec<Op>) -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async move {
        let mut later = Vec::new();
        for op in ops {
            run_op(op, &mut later).await;
        }
        for handle in later {
            let _ = handle.await;
        }
    })
}

async fn run_op(op: Op, later: &mut Vec<busy_chef::JoinHandle<()>>) {
    match op {
        Op::Sleep(n) => sleep(ms(n)).await,
        Op::LateSleep(n, hold) => {
            let late = sleep(ms(n));
            std::thread::sleep(ms(hold));
            late.await;
        }
        Op::SleepUntilPast(n) => {
            let now = busy_chef::time::Instant::now();
            busy_chef::time::sleep_until(now.checked_sub(ms(n)).unwrap_or(now)).await;
        }
        Op::Timeout(limit, n) => {
            let _ = timeout(ms(limit), sleep(ms(n))).await;
        }
        Op::Yield => yield_now().await,
        Op::Hold(n) => std::thread::sleep(ms(n)),
        Op::Blocking(n) => busy_chef::spawn_blocking(move || std::thread::sleep(ms(n)))
            .await
            .unwrap(),
        Op::Spawn(ops, fate) => {
            let handle = busy_chef::spawn(run_ops(ops));
            match fate {
                Fate::Await => {
                    let _ = handle.await;
                }
                Fate::Later => later.push(handle),
                Fate::Detach => drop(handle),
                Fate::Abort => handle.abort(),
            }
        }
        Op::Panic => std::panic::panic_any(DELIBERATE),
    }
}

const DELIBERATE: &str = "trace renders: a deliberate panic";

/// Keeps the deliberate panics of the random tasks (caught by the executor)
/// off stderr, so that a failure's message stands out.
fn quiet_deliberate_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&DELIBERATE) {
                default(info);
            }
        }));
    });
}

/// Runs a random program on a fresh executor; returns the traces it took:
/// between and inside its `block_on`s, and the rest at the end.
fn random_program(rng: &mut Rng, real: bool) -> Vec<Trace> {
    let exec = if real {
        Executor::new()
    } else {
        Executor::simulated()
    };
    exec.enable_trace();
    exec.warn_blocking_polls(real.then(|| ms(2)));
    let mut traces = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let steps: Vec<(Op, bool)> = random_ops(rng, real, 0)
            .into_iter()
            .map(|op| (op, rng.below(6) == 0))
            .collect();
        let taken = exec.block_on(async {
            let mut taken = Vec::new();
            let mut later = Vec::new();
            for (op, take) in steps {
                run_op(op, &mut later).await;
                if take {
                    taken.push(exec.take_trace()); // tasks still running
                }
            }
            // Half of the time, leave the `Later` tasks running.
            if later.len() % 2 == 0 {
                for handle in later {
                    let _ = handle.await;
                }
            }
            taken
        });
        traces.extend(taken);
        if rng.below(2) == 0 {
            traces.push(exec.take_trace());
        }
    }
    traces.push(exec.take_trace()); // unfinished tasks, pending timers
    traces
}

/// Draws `trace` every way there is; checks the JSON, and that every timer
/// row of the timeline ends in exactly one mark, after its `═`.
fn assert_renders(trace: &Trace, rng: &mut Rng) {
    let timeline = trace.timeline().to_string();
    assert!(timeline.contains("█ polled"), "{timeline}");
    for line in timeline.lines().filter(|l| l.starts_with("  sleep")) {
        let marks: Vec<usize> = line
            .char_indices()
            .filter(|(_, c)| matches!(c, '┤' | '✕' | '…'))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(marks.len(), 1, "one end per timer:\n{timeline}");
        assert!(
            !line[marks[0]..].contains('═'),
            "a timer ends after it began:\n{timeline}"
        );
    }
    let width = 10 + rng.below(100) as u32;
    let span = trace.duration() * rng.below(3) as u32;
    let _ = trace.timeline().width(width).span(span).to_string();
    let json = trace.to_chrome_json();
    assert_json(&json);
    assert_json_slices(&json);
    assert!(trace.to_svg().trim_end().ends_with("</svg>"));
    assert_json(&trace.to_replay_json());
}

/// `trace` with some times past its end or at zero, some deadlines and
/// poll lengths at the extremes, maybe out of order, maybe ending before it
/// starts: nothing the executor records, but still drawn without a panic.
fn mangle(trace: &Trace, rng: &mut Rng) -> Trace {
    let mut trace = trace.clone();
    for event in &mut trace.events {
        match rng.below(8) {
            0 => event.at = Duration::MAX,
            1 => event.at = Duration::ZERO,
            2 => event.at = event.at.saturating_add(ms(rng.below(10_000))),
            _ => {}
        }
        match &mut event.what {
            What::Polled { took, .. } if rng.below(4) == 0 => *took = Duration::MAX,
            What::TimerRegistered { deadline, .. } if rng.below(2) == 0 => {
                *deadline = [Duration::ZERO, Duration::MAX][rng.below(2) as usize];
            }
            _ => {}
        }
    }
    if rng.below(3) == 0 {
        trace.events.reverse();
    }
    match rng.below(4) {
        0 => std::mem::swap(&mut trace.start, &mut trace.end),
        1 => trace.end = Duration::MAX,
        _ => {}
    }
    trace
}

#[test]
fn every_trace_of_random_programs_renders_in_all_four_formats() {
    quiet_deliberate_panics();
    let (first, rounds) = match std::env::var("BUSY_CHEF_SEED") {
        Ok(seed) => (seed.parse().expect("BUSY_CHEF_SEED is a number"), 1),
        // Under valgrind (.ci/memcheck.sh), a few seeds: it is 20-50x slower.
        Err(_) if std::env::var_os("BUSY_CHEF_MEMCHECK").is_some() => (0x7_2ACE_5EED_u64, 8),
        Err(_) => (0x7_2ACE_5EED_u64, 60),
    };
    for round in 0..rounds {
        let seed: u64 = first.wrapping_add(round);
        eprintln!("trace renders: seed {seed} (BUSY_CHEF_SEED={seed} replays it)");
        let mut rng = Rng::new(seed);
        // A quarter of the seeds run on the real clock, kept to milliseconds.
        let real = seed % 4 == 0;
        let traces = random_program(&mut rng, real);
        for trace in &traces {
            assert_renders(trace, &mut rng);
            let mangled = mangle(trace, &mut rng);
            let _ = mangled.timeline().to_string();
            assert_json(&mangled.to_chrome_json());
            let _ = mangled.to_svg();
            assert_json(&mangled.to_replay_json());
        }
        let panels: Vec<(&str, &Trace)> = traces.iter().map(|t| ("a piece", t)).collect();
        assert!(busy_chef::trace::svg(&panels).starts_with("<svg"));
    }
}

// ---------------------------------------------------------------------------
// Warnings for the classic mistakes
// ---------------------------------------------------------------------------

#[test]
fn a_blocking_poll_is_named_with_the_time_it_blocked_everyone() {
    let exec = Executor::new();
    exec.enable_trace();
    // A threshold far above what a quick poll takes, even under valgrind.
    exec.warn_blocking_polls(Some(Duration::from_millis(150)));
    exec.block_on(async {
        let slow = spawn_named("slow-toast", async {
            std::thread::sleep(Duration::from_millis(300)); // the mistake
        });
        let quick = spawn_named("quick-eggs", async {});
        slow.await.unwrap();
        quick.await.unwrap();
    });
    let trace = exec.take_trace();
    let warnings: Vec<&str> = trace.warnings().collect();
    let about = |name: &str| warnings.iter().filter(|w| w.contains(name)).count();
    assert_eq!(about("`slow-toast`"), 1, "{warnings:?}");
    assert_eq!(about("`quick-eggs`"), 0, "{warnings:?}");
    let w = warnings
        .iter()
        .find(|w| w.contains("`slow-toast`"))
        .unwrap();
    assert!(w.contains("task `slow-toast`"), "{w}");
    assert!(w.contains("blocked the executor for"), "{w}");
    // The time it blocked: between the sleep and a generous upper bound.
    let ms: u64 = w
        .split("blocked the executor for ")
        .nth(1)
        .and_then(|rest| rest.split(" ms").next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!((300..5000).contains(&ms), "{w}");
    assert!(w.contains("the limit is 150 ms"), "{w}");
    assert!(
        w.contains("std::thread::sleep") && w.contains("sleep(..)"),
        "says what to do: {w}"
    );
}

#[test]
fn a_quick_poll_or_a_disabled_check_gives_no_blocking_warning() {
    let exec = Executor::new();
    exec.enable_trace();
    exec.warn_blocking_polls(None);
    exec.block_on(async {
        std::thread::sleep(Duration::from_millis(30));
    });
    exec.warn_blocking_polls(Some(Duration::from_secs(5)));
    exec.block_on(async {
        std::thread::sleep(Duration::from_millis(30));
    });
    assert_eq!(exec.take_trace().warnings().count(), 0);
}

#[test]
fn a_spawned_task_that_loses_its_waker_is_warned_about_once() {
    let exec = Executor::simulated();
    exec.enable_trace();
    exec.warn_blocking_polls(None); // only the warning under test (valgrind is slow)
    let lost = exec.spawn_named("lost", Forgetful);
    exec.block_on(async {
        // Give the lost task several turns: it is polled once, warned once.
        for _ in 0..3 {
            yield_now().await;
        }
        sleep(Duration::from_secs(1)).await;
    });
    let trace = exec.take_trace();
    let warnings: Vec<&str> = trace.warnings().collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = warnings[0];
    assert!(
        w.contains("task `lost`") && w.contains("returned Pending"),
        "{w}"
    );
    assert!(w.contains("no clone of its waker exists"), "{w}");
    assert!(w.contains("cx.waker().clone()"), "says what to do: {w}");
    assert!(!lost.is_finished());
    lost.abort();
}

/// The child half of the next test: 15 spawned tasks lose their wakers.
/// Does nothing unless the next test runs it.
#[test]
fn fifteen_lost_wakers_child() {
    if std::env::var_os("BUSY_CHEF_FIFTEEN_LOST").is_none() {
        return;
    }
    let exec = Executor::simulated();
    exec.enable_trace();
    exec.warn_blocking_polls(None);
    let lost: Vec<_> = (0..15).map(|_| exec.spawn(Forgetful)).collect();
    exec.block_on(yield_now());
    // Printed or not, every warning is in the trace.
    assert_eq!(exec.take_trace().warnings().count(), 15);
    lost.iter().for_each(|task| task.abort());
}

#[test]
fn an_executor_prints_ten_warnings_then_says_it_stops() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "fifteen_lost_wakers_child", "--nocapture"])
        .env("BUSY_CHEF_FIFTEEN_LOST", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let printed = stderr.matches("returned Pending, but no clone").count();
    assert_eq!(printed, 10, "{stderr}");
    assert_eq!(
        stderr
            .matches("10 warnings printed; this executor prints no more")
            .count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("BUSY_CHEF_TRACE=1"),
        "says how to see them all: {stderr}"
    );
}

#[test]
fn a_waker_kept_by_a_timer_a_thread_or_a_join_handle_is_not_lost() {
    let exec = Executor::simulated();
    exec.enable_trace();
    exec.warn_blocking_polls(None); // only the warning under test (valgrind is slow)
    exec.block_on(async {
        // Kept by a timer.
        let timer = spawn_named("timer", sleep(Duration::from_secs(1)));
        // Kept by another thread, which wakes it later.
        let slot = Rc::new(RefCell::new(None));
        let thread = spawn_named(
            "thread",
            Parked {
                slot: slot.clone(),
                polled: false,
            },
        );
        // Kept by a JoinHandle's awaiter slot: it awaits the timer task.
        let inner = spawn_named("inner", sleep(Duration::from_secs(2)));
        let awaiter = spawn_named("awaiter", async move { inner.await.unwrap() });
        yield_now().await;
        let waker = slot.borrow_mut().take().unwrap();
        let helper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            waker.wake();
        });
        timer.await.unwrap();
        awaiter.await.unwrap();
        thread.await.unwrap();
        helper.join().unwrap();
    });
    let trace = exec.take_trace();
    assert_eq!(
        trace.warnings().count(),
        0,
        "{:?}",
        trace.warnings().collect::<Vec<_>>()
    );
}

#[test]
fn block_on_a_future_that_loses_its_waker_panics_instead_of_hanging() {
    let exec = Executor::simulated();
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| exec.block_on(Forgetful)))
        .expect_err("a certain deadlock must not hang");
    let message = panic_message(panic);
    assert!(message.contains("deadlock"), "{message}");
    assert!(
        message.contains("the future passed to block_on"),
        "names it: {message}"
    );
    assert!(
        message.contains("no clone of its waker exists"),
        "{message}"
    );
    assert!(
        message.contains("cx.waker().clone()"),
        "says what to do: {message}"
    );
    // The executor is still usable.
    assert_eq!(exec.block_on(async { 7 }), 7);
}

#[test]
fn dropping_the_last_waker_of_block_on_without_waking_it_panics() {
    let exec = Executor::simulated();
    let slot = Rc::new(RefCell::new(None));
    let s = slot.clone();
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        exec.block_on(async move {
            // A task drops the main future's only waker clone, waking nothing.
            busy_chef::spawn(async move {
                sleep(Duration::from_secs(1)).await;
                s.borrow_mut().take();
            });
            Parked {
                slot,
                polled: false,
            }
            .await
        })
    }))
    .expect_err("must not hang");
    let message = panic_message(panic);
    assert!(
        message.contains("nothing is left that could wake"),
        "{message}"
    );
    assert!(message.contains("dropped without waking it"), "{message}");
}

#[test]
fn awaiting_a_task_that_lost_its_waker_with_nothing_else_left_panics() {
    let exec = Executor::simulated();
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        exec.block_on(async {
            // main's waker sits in the awaiter slot of a task nothing can wake.
            spawn_named("stuck", Forgetful).await.unwrap();
        })
    }))
    .expect_err("must not hang");
    let message = panic_message(panic);
    assert!(
        message.contains("nothing is left that could wake anything"),
        "{message}"
    );
    assert!(
        message.contains("task `stuck`"),
        "names the task: {message}"
    );
}

/// Wraps `text` at 78 columns, for the book.
fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > 78 {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

#[test]
fn generated_warnings_for_the_book() {
    let mut book = String::new();

    // A blocking poll. The time is measured, so it differs a little on every
    // run: the book shows the 250 ms the task asked to sleep.
    let exec = Executor::new();
    exec.enable_trace();
    exec.warn_blocking_polls(Some(Duration::from_millis(100)));
    exec.block_on(async {
        let dough = spawn_named("dough", async {
            std::thread::sleep(Duration::from_millis(250)); // kneading, the wrong way
        });
        dough.await.unwrap();
    });
    let trace = exec.take_trace();
    let warning = trace.warnings().find(|w| w.contains("`dough`")).unwrap();
    let (before, after) = warning.split_once(" ms in one poll").unwrap();
    let (before, ms) = before.rsplit_once(' ').unwrap();
    let ms: u64 = ms.parse().unwrap();
    assert!((250..5000).contains(&ms), "{warning}");
    let shown = format!("{before} 250 ms in one poll{after}");
    book.push_str(&wrap(&renumber(&shown)));

    // A lost waker in a spawned task.
    let exec = Executor::simulated();
    exec.enable_trace();
    exec.warn_blocking_polls(None);
    let lost = exec.spawn_named("forgetful", Forgetful);
    exec.block_on(yield_now());
    book.push('\n');
    book.push_str(&wrap(&renumber(
        exec.take_trace().warnings().next().unwrap(),
    )));
    lost.abort();

    // The two deadlock panics.
    for run in [
        Box::new(|| Executor::simulated().block_on(Forgetful)) as Box<dyn Fn()>,
        Box::new(|| {
            Executor::simulated().block_on(async {
                spawn_named("forgetful", Forgetful).await.unwrap();
            })
        }),
    ] {
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_err();
        book.push_str("\nthread 'main' panicked:\n");
        book.push_str(&wrap(&renumber(&panic_message(panic))));
    }
    // Task ids differ with the order tests run in: each text shows them as
    // task-N, before it is wrapped (so the lines break the same every run).
    check_or_bless("book/src/generated/warnings.txt", &book);
}

/// Replaces every `task-<digits>` with `task-N`.
fn renumber(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("task-") {
        out.push_str(&rest[..i + 5]);
        rest = &rest[i + 5..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 {
            out.push('N');
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

#[test]
fn waiting_for_another_thread_is_not_a_deadlock() {
    // No task ready, no timer, but another thread holds the main waker.
    let exec = Executor::new();
    let slot = Rc::new(RefCell::new(None));
    let s = slot.clone();
    exec.block_on(async move {
        let parked = Parked {
            slot: s.clone(),
            polled: false,
        };
        let main_waits = async {
            parked.await;
        };
        let hand_over = async {
            yield_now().await;
            let waker = s.borrow_mut().take().unwrap();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(30));
                waker.wake();
            });
        };
        busy_chef::join(main_waits, hand_over).await;
    });
    assert!(slot.borrow().is_none());
}
