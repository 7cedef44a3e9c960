//! Chrome trace-event JSON, for Perfetto (<https://ui.perfetto.dev>) or
//! `chrome://tracing`.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).
//!
//! The format ("Trace Event Format", Google) is a JSON object whose
//! `traceEvents` array holds events with a phase `ph`: `X` a complete slice
//! (`ts` start and `dur`, in microseconds), `i` an instant, `b`/`e` the two
//! ends of an async slice, `M` metadata (here: a row's name). Each task is a
//! "thread" (`tid` = its id) of one "process"; its timers are async slices
//! on the same row.

use std::fmt::Write;
use std::time::Duration;

use super::timeline::{human, label_resolution, nice_step, Model, TimerEnd, COLUMNS};
use crate::diagnostics::event::{PollResult, Trace, WakeSource, What};

fn micros(d: Duration) -> String {
    // Microseconds with a fraction: Perfetto reads floats.
    let nanos = d.as_nanos();
    format!("{}.{:03}", nanos / 1000, nanos % 1000)
}

/// `text` as a JSON string literal, also safe inside an HTML `<script>`
/// (the replay embeds its JSON in the book's pages).
pub(super) fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub(crate) fn to_chrome_json(trace: &Trace) -> String {
    let model = Model::new(trace);
    // The model keeps every slice inside the trace, ends after begins; the
    // instants below are clamped the same way.
    let rel = |at: Duration| at.saturating_sub(trace.start).min(model.end);
    // Timer names as in a terminal timeline of default width.
    let resolution = label_resolution(nice_step(model.end, COLUMNS - 1));
    let mut events: Vec<String> = Vec::new();
    events.push(
        r#"{"name":"process_name","ph":"M","pid":1,"args":{"name":"busy-chef executor"}}"#
            .to_string(),
    );
    for (index, row) in model.rows.iter().enumerate() {
        let tid = row.task.as_u64();
        let name = json_string(&format!("{} ({})", row.name, row.task));
        events.push(format!(
            r#"{{"name":"thread_name","ph":"M","pid":1,"tid":{tid},"args":{{"name":{name}}}}}"#
        ));
        events.push(format!(
            r#"{{"name":"thread_sort_index","ph":"M","pid":1,"tid":{tid},"args":{{"sort_index":{index}}}}}"#
        ));
        // Waiting: from its appearance (or the end of a poll) to the next poll.
        let mut since = row.from;
        for &(start, end, result) in &row.polls {
            if start > since {
                events.push(slice("waiting", tid, since, start - since, ""));
            }
            let result = match result {
                PollResult::Pending => "Pending",
                PollResult::Ready => "Ready",
                PollResult::Panicked => "panicked",
            };
            let args = format!(r#","args":{{"result":"{result}"}}"#);
            events.push(slice("poll", tid, start, end.saturating_sub(start), &args));
            since = end;
        }
        let until = row.until(model.end);
        if until > since {
            events.push(slice("waiting", tid, since, until - since, ""));
        }
        for bar in &row.timers {
            let name = json_string(&bar.label(resolution));
            let id = bar.number;
            let end = match bar.end {
                TimerEnd::Fired => "fired",
                TimerEnd::Cancelled => "cancelled",
                TimerEnd::Pending => "still waiting",
            };
            events.push(format!(
                r#"{{"name":{name},"cat":"timer","ph":"b","id":{id},"pid":1,"tid":{tid},"ts":{}}}"#,
                micros(bar.from)
            ));
            events.push(format!(
                r#"{{"name":{name},"cat":"timer","ph":"e","id":{id},"pid":1,"tid":{tid},"ts":{},"args":{{"end":"{end}"}}}}"#,
                micros(bar.to)
            ));
        }
    }
    for event in &trace.events {
        let ts = micros(rel(event.at));
        let (task, name) = match &event.what {
            What::Woken { task, by } => {
                let by = match by {
                    WakeSource::Task(id) => format!("woken by {id}"),
                    WakeSource::Timer => "woken by a timer".to_string(),
                    WakeSource::Outside => "woken from outside (another thread)".to_string(),
                    WakeSource::Executor => "woken by the executor".to_string(),
                };
                (*task, by)
            }
            What::Finished { task, how } => (*task, how.to_string()),
            What::Warning {
                task: Some(task),
                message,
            } => (*task, message.clone()),
            _ => continue,
        };
        let name = json_string(&name);
        let tid = task.as_u64();
        events.push(format!(
            r#"{{"name":{name},"ph":"i","s":"t","pid":1,"tid":{tid},"ts":{ts}}}"#
        ));
    }
    let mut out = String::from("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"span\":");
    out.push_str(&json_string(&human(model.end)));
    out.push_str("},\"traceEvents\":[\n");
    out.push_str(&events.join(",\n"));
    out.push_str("\n]}\n");
    out
}

fn slice(name: &str, tid: u64, start: Duration, dur: Duration, args: &str) -> String {
    format!(
        r#"{{"name":"{name}","ph":"X","pid":1,"tid":{tid},"ts":{},"dur":{}{args}}}"#,
        micros(start),
        micros(dur)
    )
}
