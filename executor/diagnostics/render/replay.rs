//! A replay: the trace as a list of steps, to watch in the book's replay
//! widget (`book/replay/replay.js`), one step at a time.
//!
//! Book chapters: *Watching it run* (`book/src/replay.md`) and *Seeing it*
//! (`book/src/seeing-it.md`).
//!
//! Get one with [`Trace::to_replay_json`](crate::trace::Trace::to_replay_json)
//! or `BUSY_CHEF_TRACE=run.replay.json cargo run --example chef`.
//!
//! ## The format, version 1
//!
//! One JSON object. Times are whole microseconds on the executor's clock
//! (time since the executor was created). Tasks are named by their number
//! (`task-3` is `3`), timers by the number the trace gave them (from 0).
//! A *place* in the timer wheel is `[level, slot]`, or `"overflow"`.
//!
//! ```text
//! {"format": "busy-chef-replay", "version": 1,
//!  "clock": "simulated" or "real",
//!  "start": µs, "end": µs,                       the trace's time span
//!  "tasks": [{"id": 1, "name": "main"}, ...],    every task the steps name
//!  "steps": [{"t": µs, "do": kind, ...}, ...]}   oldest first
//! ```
//!
//! | `do` | fields | what happened |
//! |---|---|---|
//! | `turn` | `turn` | a turn of the loop begins: ① take in the wakes that came through the channel |
//! | `spawn` | `task`, `name`, `by` (task or null), `door` (`"local"`, or null if not queued) | a task was made (`main`: `block_on`'s future) and its key pushed on the local queue |
//! | `wake` | `task`, `by` (`"task"`, `"timer"`, `"outside"`, `"executor"`), `by_task`, `door` (`"local"` or `"channel"`) | a wake pushed the task's key; `"channel"`: it came from another thread through the channel, and is moved into the local queue now |
//! | `run` | `task` (null: a stale key) | ② the key at the front of the queue is popped, and its task polled |
//! | `timer` | `timer`, `task` (who set it), `deadline`, `place`, `at` (`{"file", "line", "col"}`, if known) | a `Sleep` put a timer in the wheel; `at` is the `.await` that polled it |
//! | `poll` | `task`, `result` (`"pending"`, `"ready"`, `"panicked"`), `took` (clock µs), `real` (real µs; null on a simulated clock), `ended` (`"done"`, `"panicked"`, or null) | the poll returned; `t` is when it returned |
//! | `end` | `task`, `how` (`"done"`, `"panicked"`, `"cancelled"`) | a task ended without a poll (aborted, or shut down with its executor) |
//! | `cancel` | `timer` | a timer left the wheel unfired (its `Sleep` was dropped) |
//! | `advance` | `wheel` (µs) | ③ the timer step: the wheel's time moves to `wheel` |
//! | `cascade` | `timer`, `from`, `to` | the timer moved down the wheel |
//! | `fire` | `timer`, `from`, `woke` (tasks) | the timer fired; its waker pushed these tasks' keys on the local queue |
//! | `park` | `until` (µs or null), `jumps` | ④ nothing queued: the executor parks until `until` (a simulated clock jumps there) or a wake from another thread |
//! | `warning` | `task` (or null), `message` | a warning, as printed |
//!
//! The state at a step is what the steps up to it did:
//!
//! * the **run queue** (local) is a list of tasks: `spawn` with a door and
//!   `wake` append, each `fire` appends its `woke`, `run` removes the front;
//! * a **task** is `done` after a `poll` with `ended` or an `end`;
//!   `running` from its `run` to its `poll` or `end`; else `queued` if the
//!   queue holds it; else `waiting`. It waits at the `at` of its timers in
//!   the wheel, where the trace knows one;
//! * a **timer** is in the wheel from its `timer` step, at its `place`,
//!   moved by each `cascade`, until it is fired or cancelled.
//!
//! A reader that meets a higher `version` must refuse the file; steps of an
//! unknown `do` in version 1 are an error too. Task names and messages may
//! hold any text: `<`, `>` and `&` are written as `\u003c`, `\u003e` and
//! `\u0026`, so that the JSON can sit inside an HTML `<script>` element.

use std::collections::HashMap;
use std::fmt::Write;
use std::time::Duration;

use super::chrome::json_string;
use crate::base::id::TaskId;
use crate::collections::wheel::Place;
use crate::diagnostics::event::{Door, Ending, Event, PollResult, Trace, WakeSource, What};

/// The version of the format this module writes.
pub(crate) const VERSION: u32 = 1;

fn micros(d: Duration) -> u128 {
    d.as_micros()
}

fn place(place: Place) -> String {
    match place {
        Place::Wheel { level, slot } => format!("[{level},{slot}]"),
        Place::Overflow => "\"overflow\"".to_string(),
    }
}

fn task_or_null(task: Option<TaskId>) -> String {
    task.map_or_else(|| "null".to_string(), |id| id.as_u64().to_string())
}

fn door(door: Door) -> &'static str {
    match door {
        Door::Local => "\"local\"",
        Door::Channel => "\"channel\"",
    }
}

/// A spawn or a wake is followed by the `Queued` event of the same task,
/// and the replay draws the two as one step: the door it was queued by, if
/// `next` is that event.
fn door_of_queued(next: Option<&What>, task: TaskId) -> Option<&'static str> {
    match next {
        Some(What::Queued {
            task: queued,
            door: d,
        }) if *queued == task => Some(door(*d)),
        _ => None,
    }
}

fn ending(how: Ending) -> &'static str {
    match how {
        Ending::Completed => "\"done\"",
        Ending::Panicked => "\"panicked\"",
        Ending::Cancelled => "\"cancelled\"",
    }
}

/// The trace as a replay (see the module docs for the format).
pub(crate) fn to_replay_json(trace: &Trace) -> String {
    let events = &trace.events;
    // Every task the steps name, in the order they appear, and where.
    let mut tasks: Vec<(u64, String)> = Vec::new();
    let mut index: HashMap<u64, usize> = HashMap::new();
    let mut name_task = |id: TaskId, name: Option<&str>| {
        let known = index.get(&id.as_u64()).copied();
        match (known, name) {
            (Some(at), Some(name)) => tasks[at].1 = name.to_string(),
            (Some(_), None) => {}
            (None, name) => {
                index.insert(id.as_u64(), tasks.len());
                let name = name.map_or_else(|| id.to_string(), str::to_string);
                tasks.push((id.as_u64(), name));
            }
        }
    };
    let mut steps: Vec<String> = Vec::new();
    // The `fire` step being built: its start, and the tasks its waker woke.
    let mut fire: Option<(String, Vec<u64>)> = None;
    let mut i = 0;
    while i < events.len() {
        let Event { at, what } = &events[i];
        let t = micros(*at);
        let next = events.get(i + 1).map(|event| &event.what);
        i += 1;
        // Wakes by a timer belong to the `fire` step before them.
        if let (
            Some((_, woke)),
            What::Woken {
                task,
                by: WakeSource::Timer,
            },
        ) = (&mut fire, what)
        {
            name_task(*task, None);
            woke.push(task.as_u64());
            i += usize::from(door_of_queued(next, *task).is_some());
            continue;
        }
        if let Some((start, woke)) = fire.take() {
            let woke: Vec<String> = woke.iter().map(u64::to_string).collect();
            steps.push(format!("{start},\"woke\":[{}]}}", woke.join(",")));
        }
        let step = match what {
            What::Turn { number } => format!(r#"{{"t":{t},"do":"turn","turn":{number}}}"#),
            What::Spawned { task, name, by } => {
                name_task(*task, Some(name));
                if let Some(by) = by {
                    name_task(*by, None);
                }
                let door = door_of_queued(next, *task);
                i += usize::from(door.is_some());
                let door = door.unwrap_or("null");
                format!(
                    r#"{{"t":{t},"do":"spawn","task":{},"name":{},"by":{},"door":{door}}}"#,
                    task.as_u64(),
                    json_string(name),
                    task_or_null(*by)
                )
            }
            What::Woken { task, by } => {
                name_task(*task, None);
                let (by, by_task) = match by {
                    WakeSource::Task(id) => {
                        name_task(*id, None);
                        ("task", Some(*id))
                    }
                    WakeSource::Timer => ("timer", None),
                    WakeSource::Outside => ("outside", None),
                    WakeSource::Executor => ("executor", None),
                };
                let door = door_of_queued(next, *task);
                i += usize::from(door.is_some());
                let door = door.unwrap_or("null");
                format!(
                    r#"{{"t":{t},"do":"wake","task":{},"by":"{by}","by_task":{},"door":{door}}}"#,
                    task.as_u64(),
                    task_or_null(by_task)
                )
            }
            // A key queued with no spawn or wake just before: not made by
            // this executor's hooks, but shown all the same.
            What::Queued { task, door: d } => {
                name_task(*task, None);
                format!(
                    r#"{{"t":{t},"do":"wake","task":{},"by":null,"by_task":null,"door":{}}}"#,
                    task.as_u64(),
                    door(*d)
                )
            }
            What::Dequeued { task } => {
                if let Some(task) = task {
                    name_task(*task, None);
                }
                format!(r#"{{"t":{t},"do":"run","task":{}}}"#, task_or_null(*task))
            }
            What::TimerRegistered {
                timer,
                by,
                deadline,
            } => {
                if let Some(by) = by {
                    name_task(*by, None);
                }
                let mut step = format!(
                    r#"{{"t":{t},"do":"timer","timer":{timer},"task":{},"deadline":{}"#,
                    task_or_null(*by),
                    micros(*deadline)
                );
                let mut placed = "null".to_string();
                let mut awaited = None;
                while let Some(event) = events.get(i) {
                    match &event.what {
                        What::TimerPlaced { timer: t, place: p } if t == timer => {
                            placed = place(*p);
                        }
                        What::TimerAwaited { timer: t, location } if t == timer => {
                            awaited = Some(*location);
                        }
                        _ => break,
                    }
                    i += 1;
                }
                let _ = write!(step, r#","place":{placed}"#);
                if let Some(at) = awaited {
                    let _ = write!(
                        step,
                        r#","at":{{"file":{},"line":{},"col":{}}}"#,
                        json_string(at.file()),
                        at.line(),
                        at.column()
                    );
                }
                step.push('}');
                step
            }
            // Placed or awaited on its own: a timer from before the trace.
            What::TimerPlaced { .. } | What::TimerAwaited { .. } | What::TimersFired { .. } => {
                continue
            }
            What::TimerCancelled { timer } => {
                format!(r#"{{"t":{t},"do":"cancel","timer":{timer}}}"#)
            }
            What::Polled {
                task,
                took,
                real,
                result,
            } => {
                name_task(*task, None);
                let result = match result {
                    PollResult::Pending => "pending",
                    PollResult::Ready => "ready",
                    PollResult::Panicked => "panicked",
                };
                let ended = match next {
                    Some(What::Finished { task: over, how }) if over == task => {
                        i += 1;
                        ending(*how)
                    }
                    _ => "null",
                };
                // On a simulated clock the real durations are noise, which
                // would make the replay differ from run to run.
                let real = match trace.simulated {
                    true => "null".to_string(),
                    false => micros(*real).to_string(),
                };
                format!(
                    r#"{{"t":{},"do":"poll","task":{},"result":"{result}","took":{},"real":{real},"ended":{ended}}}"#,
                    micros(at.saturating_add(*took)),
                    task.as_u64(),
                    micros(*took),
                )
            }
            What::Finished { task, how } => {
                name_task(*task, None);
                format!(
                    r#"{{"t":{t},"do":"end","task":{},"how":{}}}"#,
                    task.as_u64(),
                    ending(*how)
                )
            }
            What::TimersAdvanced { to } => {
                format!(r#"{{"t":{t},"do":"advance","wheel":{}}}"#, micros(*to))
            }
            What::TimerMoved { timer, from, to } => format!(
                r#"{{"t":{t},"do":"cascade","timer":{timer},"from":{},"to":{}}}"#,
                place(*from),
                place(*to)
            ),
            What::TimerFired { timer, from } => {
                let start = format!(
                    r#"{{"t":{t},"do":"fire","timer":{timer},"from":{}"#,
                    place(*from)
                );
                fire = Some((start, Vec::new()));
                continue;
            }
            What::Parked { until, jumps } => format!(
                r#"{{"t":{t},"do":"park","until":{},"jumps":{jumps}}}"#,
                until.map_or_else(|| "null".to_string(), |u| micros(u).to_string())
            ),
            What::Warning { task, message } => {
                if let Some(task) = task {
                    name_task(*task, None);
                }
                format!(
                    r#"{{"t":{t},"do":"warning","task":{},"message":{}}}"#,
                    task_or_null(*task),
                    json_string(message)
                )
            }
        };
        steps.push(step);
    }
    if let Some((start, woke)) = fire.take() {
        let woke: Vec<String> = woke.iter().map(u64::to_string).collect();
        steps.push(format!("{start},\"woke\":[{}]}}", woke.join(",")));
    }
    let mut out = format!(
        "{{\"format\":\"busy-chef-replay\",\"version\":{VERSION},\n\"clock\":\"{}\",\"start\":{},\"end\":{},\n\"tasks\":[\n",
        if trace.simulated { "simulated" } else { "real" },
        micros(trace.start),
        micros(trace.end)
    );
    let tasks: Vec<String> = tasks
        .iter()
        .map(|(id, name)| format!(r#"{{"id":{id},"name":{}}}"#, json_string(name)))
        .collect();
    out.push_str(&tasks.join(",\n"));
    out.push_str("\n],\n\"steps\":[\n");
    out.push_str(&steps.join(",\n"));
    out.push_str("\n]}\n");
    out
}
