//! Replays: the trace as steps for the book's replay widget
//! (`executor/diagnostics/render/replay.rs`, book chapter *Watching it run*).
//!
//! * The `generated_*` tests write the replays the book embeds, from the
//!   examples on the simulated clock (`BUSY_CHEF_BLESS=1 cargo test --test
//!   replay` rewrites them), and check what the chapters say about them:
//!   `gather`'s turns are the executor-loop chapter's table, `chef`'s tasks
//!   end when and after as many polls as its text timeline says, and the
//!   eggs' timer cascades twice, as the timer-wheel chapter says.
//! * `replays_of_random_programs_follow_the_queue_and_the_wheel`: for
//!   random programs (sleeps, yields, spawns, timeouts, wakes from another
//!   thread), the replay's steps obey the rules the widget relies on: every
//!   task polled is the one at the front of the queue, every timer sits
//!   where the wheel's rule puts it (computed here from its deadline and the
//!   wheel's time), cascades and fires happen where and when they must.
//! * [`the_format_is_described_alike_in_the_code_the_book_and_the_widget`]:
//!   the kinds of step and the version, in all three places.
//!
//! The widget itself is tested in a browser: `tests/replay_browser.rs`.

mod book_support;
mod json;
mod xorshift;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::task::Waker;
use std::time::Duration;

use book_support::{check_or_bless, root, run_example_traced};
use busy_chef::time::{sleep, timeout};
use busy_chef::{spawn_named, yield_now, Executor};
use json::Json;
use xorshift::Rng;

fn temp_path(file: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("busy-chef-{}-{file}", std::process::id()))
}

/// Runs an example with `BUSY_CHEF_TRACE=<temp>.replay.json`; returns the
/// replay it wrote.
fn replay_of(example: &str, args: &[&str]) -> String {
    let path = temp_path(&format!("{example}.replay.json"));
    run_example_traced(example, args, path.to_str().unwrap());
    let replay = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("BUSY_CHEF_TRACE=x.replay.json wrote no file for {example}"));
    std::fs::remove_file(&path).ok();
    replay
}

fn parse(replay: &str) -> Json {
    let json = Json::parse(replay).unwrap_or_else(|e| panic!("not JSON ({e}):\n{replay}"));
    assert_eq!(json.get("format").as_str(), Some("busy-chef-replay"));
    assert_eq!(json.get("version").as_u64(), Some(1));
    json
}

fn steps(json: &Json) -> &[Json] {
    json.get("steps").items()
}

fn kind(step: &Json) -> &str {
    step.get("do").as_str().unwrap()
}

fn num(step: &Json, key: &str) -> u64 {
    step.get(key)
        .as_u64()
        .unwrap_or_else(|| panic!("no {key} in {step:?}"))
}

fn place(value: &Json) -> Option<(u64, u64)> {
    match value.items() {
        [level, slot] => Some((level.as_u64()?, slot.as_u64()?)),
        _ => None,
    }
}

fn names(json: &Json) -> HashMap<u64, String> {
    json.get("tasks")
        .items()
        .iter()
        .map(|task| {
            let name = task.get("name").as_str().unwrap().to_string();
            (num(task, "id"), name)
        })
        .collect()
}

/// The steps in a compact text form, one per line, for assertions.
fn brief(json: &Json) -> Vec<String> {
    let names = names(json);
    let name = |step: &Json, key: &str| {
        step.get(key)
            .as_u64()
            .map_or("-".to_string(), |id| names[&id].clone())
    };
    steps(json)
        .iter()
        .map(|step| {
            let t = num(step, "t") as f64 / 1e6;
            let what = match kind(step) {
                "turn" => format!("turn {}", num(step, "turn")),
                "spawn" | "run" | "poll" | "end" => {
                    format!("{} {}", kind(step), name(step, "task"))
                }
                "wake" => format!("wake {}", name(step, "task")),
                "timer" => format!(
                    "timer #{} {} {:?}",
                    num(step, "timer"),
                    name(step, "task"),
                    place(step.get("place")).unwrap()
                ),
                "cascade" => format!(
                    "cascade #{} {:?} -> {:?}",
                    num(step, "timer"),
                    place(step.get("from")).unwrap(),
                    place(step.get("to")).unwrap()
                ),
                "fire" => format!("fire #{}", num(step, "timer")),
                other => other.to_string(),
            };
            format!("{t:.3} {what}")
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The replays in the book
// ---------------------------------------------------------------------------

#[test]
fn generated_gather_replay_is_the_executor_loop_chapters_table() {
    let replay = replay_of("gather", &["--simulated"]);
    let json = parse(&replay);
    let brief = brief(&json);
    // The table in book/src/executor-loop.md, turn by turn.
    let turns: Vec<(f64, u64)> = steps(&json)
        .iter()
        .filter(|s| kind(s) == "turn")
        .map(|s| (num(s, "t") as f64 / 1e6, num(s, "turn")))
        .collect();
    assert_eq!(
        turns,
        [
            (0.0, 1),
            (0.96, 2),
            (1.0, 3),
            (1.0, 4),
            (1.984, 5),
            (2.0, 6),
            (2.0, 7)
        ],
        "{brief:#?}"
    );
    for line in [
        "0.000 timer #0 main (1, 31)", // File 1, 2 s
        "0.000 timer #1 main (1, 15)", // File 2, 1 s
        "0.960 cascade #1 (1, 15) -> (0, 40)",
        "1.000 fire #1",
        "1.984 cascade #0 (1, 31) -> (0, 16)",
        "2.000 fire #0",
    ] {
        assert!(
            brief.contains(&line.to_string()),
            "{line} missing:\n{brief:#?}"
        );
    }
    // Both timers were set by the `.await` in download_file.
    let source = std::fs::read_to_string(root().join("examples/gather.rs")).unwrap();
    for step in steps(&json).iter().filter(|s| kind(s) == "timer") {
        let at = step.get("at");
        assert_eq!(at.get("file").as_str(), Some("examples/gather.rs"));
        let line = source.lines().nth(num(at, "line") as usize - 1).unwrap();
        assert!(line.contains("sleep(") && line.contains(".await"), "{line}");
    }
    check_or_bless("book/src/generated/gather.replay.json", &replay);
}

/// A row of a text timeline: "toast ... done at 1 s, 2 polls".
fn timeline_rows(panel: &str) -> Vec<(String, u64, u64)> {
    panel
        .lines()
        .filter_map(|line| {
            let (head, tail) = line.split_once("  done at ")?;
            let name = head.split_whitespace().next()?.to_string();
            let (when, polls) = tail.split_once(", ")?;
            let (value, unit) = when.split_once(' ')?;
            let value: f64 = value.parse().ok()?;
            let micros = match unit {
                "s" => value * 1e6,
                "ms" => value * 1e3,
                _ => return None,
            };
            let polls = polls.split_whitespace().next()?.parse().ok()?;
            Some((name, micros.round() as u64, polls))
        })
        .collect()
}

#[test]
fn generated_chef_replay_agrees_with_its_text_timeline() {
    let replay = replay_of("chef", &["--simulated"]);
    let json = parse(&replay);
    let names = names(&json);
    let timelines = std::fs::read_to_string(root().join("book/src/generated/chef-timeline.txt"))
        .expect("tests/trace.rs writes chef-timeline.txt");
    let (synchronous, busy) = timelines.split_once("The busy chef:").expect("two panels");
    // Each block_on (a `main` spawned by nobody) starts a panel.
    let starts: Vec<usize> = steps(&json)
        .iter()
        .enumerate()
        .filter(|(_, s)| kind(s) == "spawn" && s.get("by").is_null())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(starts.len(), 2, "two breakfasts, two block_ons");
    for (panel, range) in [
        (synchronous, starts[0]..starts[1]),
        (busy, starts[1]..steps(&json).len()),
    ] {
        let part = &steps(&json)[range];
        let start = num(&part[0], "t");
        let mut seen = Vec::new();
        for (name, done_at, polls) in timeline_rows(panel) {
            let ends: Vec<&Json> = part
                .iter()
                .filter(|s| kind(s) == "poll" && names[&num(s, "task")] == name)
                .collect();
            assert_eq!(ends.len() as u64, polls, "{name}: polls, in\n{panel}");
            let last = ends.last().unwrap();
            assert_eq!(last.get("ended").as_str(), Some("done"), "{name}");
            assert_eq!(
                num(last, "t") - start,
                done_at,
                "{name}: done at, in\n{panel}"
            );
            seen.push(name);
        }
        assert!(seen.contains(&"main".to_string()), "{panel}");
    }
    // What the timer-wheel chapter says of the eggs' timer, step by step:
    // set at 3 s for 4.5 s, in level 2; two cascades; it fires at 4.5 s.
    let brief = brief(&json);
    let chapter = std::fs::read_to_string(root().join("book/src/timer-wheel.md")).unwrap();
    for (step, line) in [
        (56, "3.000 timer #4 eggs (2, 1)"),
        (94, "4.096 cascade #4 (2, 1) -> (1, 6)"),
        (98, "4.480 cascade #4 (1, 6) -> (0, 20)"),
        (102, "4.500 fire #4"),
    ] {
        assert_eq!(brief[step - 1], line, "step {step}:\n{brief:#?}");
        let said = format!("step {step:>3}, at {} s", &line[..5]);
        assert!(
            chapter.contains(&said),
            "timer-wheel.md should say {said:?}"
        );
    }
    assert_eq!(steps(&json)[101].get("woke").items(), [Json::Number(4.0)]);
    // And of the toast's and the coffee's: level 1, one cascade each.
    for line in [
        "3.000 timer #3 toast (1, 62)",
        "3.968 cascade #3 (1, 62) -> (0, 32)",
        "3.000 timer #5 coffee (1, 54)",
        "3.456 cascade #5 (1, 54) -> (0, 44)",
    ] {
        assert!(
            brief.contains(&line.to_string()),
            "{line} missing:\n{brief:#?}"
        );
    }
    check_or_bless("book/src/generated/chef.replay.json", &replay);
}

// ---------------------------------------------------------------------------
// The rules, on random programs
// ---------------------------------------------------------------------------

/// The wheel's rule, written again: the level is the highest group of six
/// bits in which the deadline differs from the wheel's time; the slot is
/// the deadline's six bits there. `None`: the overflow map.
fn wheel_place(elapsed: u64, tick: u64) -> Option<(u64, u64)> {
    let differ = (elapsed ^ tick) | 63;
    if differ >= 1 << 36 {
        return None;
    }
    let level = (63 - differ.leading_zeros() as u64) / 6;
    Some((level, (tick >> (6 * level)) & 63))
}

/// Checks a replay of a simulated run against the rules the widget relies
/// on. Returns the number of steps checked.
fn check_rules(replay: &str) -> usize {
    let json = parse(replay);
    let mut queue: std::collections::VecDeque<u64> = Default::default();
    let mut running: Option<u64> = None;
    let mut done: Vec<u64> = Vec::new();
    let mut wheel_ms = 0;
    let mut timers: HashMap<u64, (u64, Option<(u64, u64)>)> = HashMap::new(); // tick, place
    let steps = steps(&json);
    for (i, step) in steps.iter().enumerate() {
        let at = format!("step {} {:?}", i + 1, step);
        let task = step.get("task").as_u64();
        match kind(step) {
            "spawn" | "wake" if !step.get("door").is_null() => queue.push_back(task.unwrap()),
            "run" => {
                assert_eq!(running, None, "{at}: a poll inside a poll");
                let front = queue.pop_front();
                match task {
                    Some(task) => assert_eq!(front, Some(task), "{at}: not the front"),
                    None => assert!(front.is_some_and(|f| done.contains(&f)), "{at}: stale?"),
                }
                running = task;
            }
            "poll" | "end" => {
                if kind(step) == "poll" {
                    assert_eq!(running, task, "{at}: a poll that was not started");
                }
                running = None;
                if !step.get("ended").is_null() || kind(step) == "end" {
                    done.push(task.unwrap());
                }
            }
            "timer" => {
                let tick = num(step, "deadline").div_ceil(1000);
                let expected = wheel_place(wheel_ms, tick);
                let placed = place(step.get("place"));
                if expected.is_some() {
                    assert_eq!(placed, expected, "{at}: the wheel's time is {wheel_ms} ms");
                } else {
                    assert_eq!(step.get("place").as_str(), Some("overflow"), "{at}");
                }
                assert!(tick > wheel_ms, "{at}: a due timer is not put in the wheel");
                timers.insert(num(step, "timer"), (tick, placed));
            }
            "advance" => {
                let to = num(step, "wheel") / 1000;
                assert!(to >= wheel_ms, "{at}: the wheel's time went back");
                assert_eq!(num(step, "wheel"), num(step, "t") / 1000 * 1000, "{at}");
                wheel_ms = to;
            }
            "cascade" => {
                let (tick, was) = timers[&num(step, "timer")];
                assert_eq!(place(step.get("from")), was, "{at}");
                let to = place(step.get("to"));
                assert_eq!(to, wheel_place(wheel_ms, tick), "{at}: at {wheel_ms} ms");
                assert!(to.unwrap().0 < was.unwrap().0, "{at}: a cascade goes down");
                assert!(
                    tick > wheel_ms,
                    "{at}: a due timer fires, it does not cascade"
                );
                timers.insert(num(step, "timer"), (tick, to));
            }
            "fire" => {
                let (tick, was) = timers
                    .remove(&num(step, "timer"))
                    .unwrap_or_else(|| panic!("{at}: fires a timer not in the wheel"));
                assert_eq!(place(step.get("from")), was, "{at}");
                assert!(
                    tick <= wheel_ms,
                    "{at}: fired early ({tick} > {wheel_ms} ms)"
                );
                queue.extend(step.get("woke").items().iter().map(|t| t.as_u64().unwrap()));
            }
            "cancel" => {
                timers.remove(&num(step, "timer"));
            }
            "park" => {
                assert!(queue.is_empty(), "{at}: parked with tasks queued");
                let next = timers.values().map(|(tick, _)| *tick).min();
                if let (Some(until), Some(next)) = (step.get("until").as_u64(), next) {
                    assert!(until / 1000 <= next, "{at}: would sleep past a timer");
                }
            }
            _ => {}
        }
    }
    steps.len()
}

/// A random program: cooks that sleep (from 1 ms to minutes), yield, spawn
/// helpers and await them, time out, and are woken by another thread.
fn random_program(seed: u64) -> String {
    let rng = Rc::new(RefCell::new(Rng::new(
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
    )));
    let exec = Executor::simulated();
    exec.enable_trace();
    exec.warn_blocking_polls(None); // a thread is spawned and joined in a poll
    exec.block_on(async move {
        let cooks: Vec<_> = (0..4)
            .map(|cook| {
                let rng = rng.clone();
                spawn_named(format!("cook-{cook}"), async move {
                    for _ in 0..12 {
                        let (choice, millis) = {
                            let mut rng = rng.borrow_mut();
                            let choice = rng.below(6);
                            let scale = [5, 200, 10_000, 400_000][rng.below(4) as usize];
                            (choice, rng.below(scale))
                        };
                        let pause = Duration::from_millis(millis);
                        match choice {
                            0 | 1 => sleep(pause).await,
                            2 => yield_now().await,
                            3 => {
                                let helper = spawn_named("helper", sleep(pause / 2));
                                helper.await.unwrap();
                            }
                            4 => {
                                let _ = timeout(pause / 3, sleep(pause)).await;
                            }
                            _ => {
                                // Woken from another thread: through the channel.
                                let waker: Waker = std::future::poll_fn(|cx| {
                                    std::task::Poll::Ready(cx.waker().clone())
                                })
                                .await;
                                std::thread::spawn(move || waker.wake()).join().unwrap();
                                yield_now().await;
                            }
                        }
                    }
                })
            })
            .collect();
        for cook in cooks {
            cook.await.unwrap();
        }
    });
    exec.take_trace().to_replay_json()
}

#[test]
fn replays_of_random_programs_follow_the_queue_and_the_wheel() {
    let mut checked = 0;
    let mut channel = 0;
    for seed in 1..=12 {
        let replay = random_program(seed);
        checked += check_rules(&replay);
        channel += replay.matches(r#""door":"channel""#).count();
    }
    assert!(checked > 2_000, "only {checked} steps checked");
    assert!(channel > 0, "no wake came through the channel door");
    // The book's own replays follow the same rules.
    for file in ["gather", "chef"] {
        let path = root().join(format!("book/src/generated/{file}.replay.json"));
        check_rules(&std::fs::read_to_string(path).unwrap());
    }
}

#[test]
fn the_rule_checker_catches_what_it_should() {
    let good = std::fs::read_to_string(root().join("book/src/generated/chef.replay.json")).unwrap();
    check_rules(&good);
    let caught = |bad: String| std::panic::catch_unwind(|| check_rules(&bad)).is_err();
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let results = [
        // A timer in the wrong slot, a cascade to the wrong level, a fire
        // from the wrong place, the wrong task run, a park with work to do.
        caught(good.replacen("\"place\":[1,15]", "\"place\":[1,16]", 1)),
        caught(good.replacen("\"to\":[0,40]", "\"to\":[1,40]", 1)),
        caught(good.replacen("\"from\":[0,40]", "\"from\":[0,41]", 1)),
        caught(good.replacen("\"do\":\"run\",\"task\":3", "\"do\":\"run\",\"task\":4", 1)),
        caught(good.replacen("\"woke\":[5]", "\"woke\":[5,5]", 1)),
    ];
    std::panic::set_hook(quiet);
    assert_eq!(results, [true; 5]);
}

// ---------------------------------------------------------------------------
// One format, described alike everywhere
// ---------------------------------------------------------------------------

/// The kinds in a Markdown table whose rows start with "| `kind` |".
fn kinds_in_table(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.trim_start_matches("//!").trim())
        .filter_map(|line| {
            let rest = line.strip_prefix("| `")?;
            let (kind, after) = rest.split_once('`')?;
            let cell = after.trim_start().starts_with('|') && kind != "do";
            cell.then(|| kind.to_string())
        })
        .collect()
}

#[test]
fn the_format_is_described_alike_in_the_code_the_book_and_the_widget() {
    let read = |path: &str| std::fs::read_to_string(root().join(path)).unwrap();
    let code = kinds_in_table(&read("executor/diagnostics/render/replay.rs"));
    let book = kinds_in_table(&read("book/src/replay.md"));
    let widget = read("book/replay/replay.js");
    let table = widget
        .split("var KINDS = {")
        .nth(1)
        .and_then(|rest| rest.split("};").next())
        .expect("KINDS in replay.js");
    let widget: Vec<String> = table
        .lines()
        .filter_map(|line| line.trim().split_once(": {").map(|(k, _)| k.to_string()))
        .collect();
    assert!(code.len() >= 13, "{code:?}");
    assert_eq!(
        code, book,
        "the kinds of step: replay.rs and book/src/replay.md"
    );
    assert_eq!(code, widget, "the kinds of step: replay.rs and replay.js");
    // Every kind is written by the exporter (in the book's two replays).
    let written = format!(
        "{}{}",
        read("book/src/generated/gather.replay.json"),
        read("book/src/generated/chef.replay.json")
    );
    for kind in code
        .iter()
        .filter(|k| !["wake", "end", "cancel", "warning"].contains(&k.as_str()))
    {
        assert!(written.contains(&format!("\"do\":\"{kind}\"")), "{kind}");
    }
    assert!(read("book/replay/replay.js").contains("var VERSION = 1;"));
    assert!(read("book/src/replay.md").contains("version 1"));
}

#[test]
fn names_cannot_break_out_of_the_script_element_the_book_puts_replays_in() {
    let exec = Executor::simulated();
    exec.enable_trace();
    exec.block_on(async {
        spawn_named("</script><b>&", async {}).await.unwrap();
    });
    let replay = exec.take_trace().to_replay_json();
    assert!(!replay.contains('<') && !replay.contains('&'), "{replay}");
    let json = parse(&replay);
    assert!(names(&json).values().any(|name| name == "</script><b>&"));
}
