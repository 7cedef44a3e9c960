//! The terminal timeline: one row per task, time across.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).
//!
//! ```text
//!              0 s       0.5 s     1 s       1.5 s     2 s
//!              |         |         |         |         |
//! main         █·······················································█ done at 2 s
//!   sleep 2 s  ════════════════════════════════════════┤
//! ```
//!
//! The [`Model`] (tasks, their polls, their timers) is shared with the SVG
//! drawing (`svg.rs`) and the Chrome JSON (`chrome.rs`).
//!
//! ## Every trace can be drawn
//!
//! The model clamps every time into the trace's span and makes every slice
//! end no earlier than it began, whatever the events say, so no renderer
//! ever indexes or subtracts its way into a panic. One case is not a
//! mistake but happens on the real clock: a `Sleep`'s deadline is fixed when
//! it is created, and if it is first polled later (after blocking work, or
//! `sleep_until` of a past instant) its timer is registered after its
//! deadline. It is drawn as what happened: registered late, fired at once
//! (a lone `┤`, labelled `sleep, 20 ms overdue`).
//!
//! ## Rounding
//!
//! A label gives a time to a tenth of a column (10 ms when a column is
//! 100 ms), no finer: a real run is late by a millisecond or two here and
//! there, and that must not make its timeline differ from the same program's
//! on the simulated clock. An instant (`done at 1.5 s`) is truncated, like a
//! clock's reading and like the column it is drawn in (a real event is never
//! early, only late); a duration (`sleep 1 s`) is rounded to the nearest.

use std::fmt;
use std::time::Duration;

use crate::base::id::TaskId;

use crate::diagnostics::event::{Ending, PollResult, Trace, What};

/// One task's row, in trace time (zero = the trace's start).
pub(crate) struct Row {
    pub(crate) task: TaskId,
    pub(crate) name: String,
    /// When it appeared (spawned, or the trace's start).
    pub(crate) from: Duration,
    /// Each poll: start, end, result.
    pub(crate) polls: Vec<(Duration, Duration, PollResult)>,
    pub(crate) ended: Option<(Duration, Ending)>,
    pub(crate) timers: Vec<TimerBar>,
    pub(crate) warnings: usize,
}

/// A timer, from when it was registered until it fired or was cancelled.
pub(crate) struct TimerBar {
    pub(crate) number: u64,
    pub(crate) from: Duration,
    pub(crate) to: Duration,
    pub(crate) deadline: Duration,
    pub(crate) end: TimerEnd,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimerEnd {
    Fired,
    Cancelled,
    /// Still in the wheel when the trace ended.
    Pending,
}

impl Row {
    /// When the task stopped being alive in the picture.
    pub(crate) fn until(&self, end: Duration) -> Duration {
        self.ended.map_or(end, |(at, _)| at).max(self.from)
    }

    /// "done at 2 s, 3 polls", times to `resolution` (see the module docs).
    pub(crate) fn summary(&self, resolution: Duration) -> String {
        let polls = match self.polls.len() {
            1 => "1 poll".to_string(),
            n => format!("{n} polls"),
        };
        let mut text = match self.ended {
            Some((at, how)) => format!("{how} at {}, {polls}", human(truncate(at, resolution))),
            None => format!("waiting, {polls}"),
        };
        match self.warnings {
            0 => {}
            1 => text.push_str(", 1 warning"),
            n => text.push_str(&format!(", {n} warnings")),
        }
        text
    }
}

impl TimerBar {
    /// "sleep 1.5 s": how long it counted down; for a timer registered after
    /// its deadline, "sleep, 20 ms overdue". Times to `resolution`.
    pub(crate) fn label(&self, resolution: Duration) -> String {
        let overdue = round(self.from.saturating_sub(self.deadline), resolution);
        if overdue.is_zero() {
            let wait = self.deadline.saturating_sub(self.from);
            format!("sleep {}", human(round(wait, resolution)))
        } else {
            format!("sleep, {} overdue", human(overdue))
        }
    }
}

/// The tasks of a trace, ready to draw.
pub(crate) struct Model {
    /// The length of the trace.
    pub(crate) end: Duration,
    pub(crate) rows: Vec<Row>,
}

impl Model {
    pub(crate) fn new(trace: &Trace) -> Model {
        let end = trace.duration();
        // Trace time, clamped into the picture: see the module docs.
        let rel = |at: Duration| at.saturating_sub(trace.start).min(end);
        let mut rows: Vec<Row> = Vec::new();
        let row_of = |rows: &mut Vec<Row>, task: TaskId, name: Option<&str>, at: Duration| {
            if let Some(i) = rows.iter().position(|row| row.task == task) {
                return i;
            }
            rows.push(Row {
                task,
                name: name.map_or_else(|| task.to_string(), str::to_string),
                from: at,
                polls: Vec::new(),
                ended: None,
                timers: Vec::new(),
                warnings: 0,
            });
            rows.len() - 1
        };
        for event in &trace.events {
            let at = rel(event.at);
            match &event.what {
                What::Spawned { task, name, .. } => {
                    row_of(&mut rows, *task, Some(name), at);
                }
                What::Polled {
                    task, took, result, ..
                } => {
                    let i = row_of(&mut rows, *task, None, Duration::ZERO);
                    // Its end clamped on its own: a poll that began before
                    // the trace (the one that called `take_trace`) ends
                    // when it ended, not `took` after the trace's start.
                    let until = rel(event.at.saturating_add(*took));
                    rows[i].polls.push((at, until, *result));
                }
                What::Finished { task, how } => {
                    let i = row_of(&mut rows, *task, None, Duration::ZERO);
                    rows[i].ended = Some((at, *how));
                }
                What::TimerRegistered {
                    timer,
                    by: Some(task),
                    deadline,
                } => {
                    let i = row_of(&mut rows, *task, None, Duration::ZERO);
                    // Not clamped: the label tells how long it counted down.
                    let deadline = deadline.saturating_sub(trace.start);
                    let (to, end_kind) = if deadline <= end {
                        // Registered after its deadline: fired at once.
                        (deadline.max(at), TimerEnd::Fired)
                    } else {
                        (end, TimerEnd::Pending)
                    };
                    rows[i].timers.push(TimerBar {
                        number: *timer,
                        from: at,
                        to,
                        deadline,
                        end: end_kind,
                    });
                }
                What::TimerCancelled { timer } => {
                    let bar = rows
                        .iter_mut()
                        .flat_map(|row| row.timers.iter_mut())
                        .find(|bar| bar.number == *timer);
                    if let Some(bar) = bar {
                        bar.to = at.max(bar.from);
                        bar.end = TimerEnd::Cancelled;
                    }
                }
                What::Warning {
                    task: Some(task), ..
                } => {
                    let i = row_of(&mut rows, *task, None, Duration::ZERO);
                    rows[i].warnings += 1;
                }
                _ => {}
            }
        }
        Model { end, rows }
    }
}

/// A duration the way a person writes it, to about three significant
/// digits: `0 s`, `1.5 s`, `250 ms`, `49.9 ms`, `40 µs`.
pub(crate) fn human(d: Duration) -> String {
    fn short(value: f64, unit: &str) -> String {
        let decimals = if value >= 100.0 {
            0
        } else if value >= 10.0 {
            1
        } else {
            2
        };
        let text = format!("{value:.decimals$}");
        let text = if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.')
        } else {
            &text
        };
        format!("{text} {unit}")
    }
    // The unit is chosen for the number as printed: 999.7 ms is `1 s`, not
    // `1000 ms`.
    if d.is_zero() {
        "0 s".to_string()
    } else if d >= Duration::from_micros(999_500) {
        let secs = d.as_secs_f64();
        let text = format!("{secs:.3}");
        format!("{} s", text.trim_end_matches('0').trim_end_matches('.'))
    } else if d >= Duration::from_nanos(999_500) {
        short(d.as_secs_f64() * 1e3, "ms")
    } else {
        short(d.as_secs_f64() * 1e6, "µs")
    }
}

/// `nanos` as a `Duration`, or `Duration::MAX` if it is longer.
fn from_nanos(nanos: u128) -> Duration {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    match u64::try_from(nanos / NANOS_PER_SEC) {
        // The remainder is below 10^9, so it fits in a u32.
        Ok(secs) => Duration::new(secs, (nanos % NANOS_PER_SEC) as u32),
        Err(_) => Duration::MAX,
    }
}

/// `d` to the nearest multiple of `resolution` (halves up).
pub(crate) fn round(d: Duration, resolution: Duration) -> Duration {
    let r = resolution.as_nanos().max(1);
    from_nanos((d.as_nanos() + r / 2) / r * r)
}

/// `d` down to a multiple of `resolution`.
pub(crate) fn truncate(d: Duration, resolution: Duration) -> Duration {
    let r = resolution.as_nanos().max(1);
    from_nanos(d.as_nanos() / r * r)
}

/// The timeline's width when none is asked for, in columns.
pub(crate) const COLUMNS: u32 = 60;

/// How finely a label gives a time: a tenth of a column `step` (see the
/// module docs).
pub(crate) fn label_resolution(step: Duration) -> Duration {
    step / 10
}

/// A round step (1, 2 or 5 times a power of ten, in nanoseconds) such that
/// `span` fits in `columns` steps.
pub(crate) fn nice_step(span: Duration, columns: u32) -> Duration {
    let wanted = span.as_nanos().div_ceil(u128::from(columns.max(1))).max(1);
    let mut power = 1u128;
    loop {
        for factor in [1, 2, 5] {
            if factor * power >= wanted {
                return from_nanos(factor * power);
            }
        }
        // `wanted` is at most `Duration::MAX` in nanoseconds (about 2^94),
        // so `power` stays far below u128's limit.
        power *= 10;
    }
}

/// The terminal timeline of a [`Trace`]; see [`Trace::timeline`]. Print it
/// with `{}`.
///
/// `█` the task is being polled (it has the thread), `·` it is waiting,
/// blank: not spawned yet, or over. Under each task, its timers: `═` counting
/// down, `┤` fired, `✕` cancelled (its `Sleep` was dropped), `…` still
/// waiting when the trace ended; a timer registered after its deadline is a
/// lone `┤` labelled `sleep, 20 ms overdue`.
pub struct Timeline<'a> {
    trace: &'a Trace,
    columns: u32,
    span: Duration,
}

impl<'a> Timeline<'a> {
    pub(crate) fn new(trace: &'a Trace) -> Self {
        Timeline {
            trace,
            columns: COLUMNS,
            span: Duration::ZERO,
        }
    }

    /// The number of columns for the time (60 by default).
    pub fn width(mut self, columns: u32) -> Self {
        self.columns = columns.max(10);
        self
    }

    /// Draw at least this much time, so that several timelines drawn with
    /// the same span share one scale and can be compared at a glance.
    pub fn span(mut self, span: Duration) -> Self {
        self.span = span;
        self
    }
}

impl fmt::Display for Timeline<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let model = Model::new(self.trace);
        let span = model.end.max(self.span);
        // One column per step; the last column holds the instant `span`.
        let step = nice_step(span, self.columns - 1);
        let resolution = label_resolution(step);
        // `nice_step` makes `span / step` at most `self.columns - 1`.
        let columns = (span.as_nanos() / step.as_nanos()) as usize + 1;
        // Clamped: a time past `span` (none, in a model) is drawn at the end.
        let column = |at: Duration| {
            let c = at.as_nanos() / step.as_nanos();
            usize::try_from(c).map_or(columns - 1, |c| c.min(columns - 1))
        };
        let label_width = model
            .rows
            .iter()
            .flat_map(|row| {
                let timers = row
                    .timers
                    .iter()
                    .map(|bar| bar.label(resolution).chars().count() + 2);
                std::iter::once(row.name.chars().count()).chain(timers)
            })
            .max()
            .unwrap_or(0)
            .max(4)
            + 2;

        // The axis: a label every 10 columns.
        let mut labels = String::new();
        let mut ticks = String::new();
        for c in (0..columns).step_by(10) {
            let label = human(step.saturating_mul(c as u32));
            let pad = c.saturating_sub(labels.chars().count());
            labels.push_str(&" ".repeat(pad));
            labels.push_str(&label);
            ticks.push_str(&" ".repeat(c - ticks.chars().count()));
            ticks.push('|');
        }
        writeln!(f, "{:label_width$}{}", "", labels.trim_end())?;
        writeln!(f, "{:label_width$}{ticks}", "")?;

        for row in &model.rows {
            let until = row.until(model.end);
            let mut cells = vec![' '; columns];
            for (c, cell) in cells.iter_mut().enumerate() {
                let from = step.saturating_mul(c as u32);
                let to = step.saturating_mul(c as u32 + 1);
                if row.from < to && until >= from {
                    *cell = '·';
                }
            }
            for &(start, end, _) in &row.polls {
                let last = column(end);
                for cell in &mut cells[column(start).min(last)..=last] {
                    *cell = '█';
                }
            }
            let cells: String = cells.into_iter().collect();
            let name_width = label_width;
            let summary = row.summary(resolution);
            writeln!(f, "{:name_width$}{cells}  {summary}", row.name)?;
            for bar in &row.timers {
                let mut cells = vec![' '; columns];
                let last = column(bar.to);
                let first = column(bar.from).min(last);
                for cell in &mut cells[first..last] {
                    *cell = '═';
                }
                cells[last] = match bar.end {
                    TimerEnd::Fired => '┤',
                    TimerEnd::Cancelled => '✕',
                    TimerEnd::Pending => '…',
                };
                let cells: String = cells.into_iter().collect();
                let label = format!("  {}", bar.label(resolution));
                writeln!(f, "{label:name_width$}{}", cells.trim_end())?;
            }
        }
        write!(
            f,
            "{:label_width$}█ polled  · waiting  ═ timer  ┤ fired  ✕ cancelled  (1 column = {})",
            "",
            human(step)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: f64) -> Duration {
        Duration::from_secs_f64(n / 1e3)
    }

    #[test]
    fn human_picks_the_unit_of_the_number_it_prints() {
        assert_eq!(human(ms(999.7)), "1 s");
        assert_eq!(human(ms(999.4)), "999 ms");
        assert_eq!(human(ms(0.9996)), "1 ms");
        assert_eq!(human(ms(1500.0)), "1.5 s");
        assert_eq!(human(ms(3003.0)), "3.003 s");
        assert_eq!(human(Duration::ZERO), "0 s");
    }

    #[test]
    fn a_real_runs_few_milliseconds_late_do_not_show_in_labels() {
        // Columns of 100 ms: labels to 10 ms.
        let resolution = label_resolution(Duration::from_millis(100));
        let bar = |from: f64, deadline: f64| TimerBar {
            number: 0,
            from: ms(from),
            to: ms(deadline),
            deadline: ms(deadline),
            end: TimerEnd::Fired,
        };
        // Registered a little after the `Sleep` was made: it counted down
        // a little less than asked.
        assert_eq!(bar(1000.4, 2000.0).label(resolution), "sleep 1 s");
        assert_eq!(bar(0.0, 1000.0).label(resolution), "sleep 1 s");
        assert_eq!(bar(0.0, 1250.0).label(resolution), "sleep 1.25 s");
        assert_eq!(bar(30.0, 10.0).label(resolution), "sleep, 20 ms overdue");
        // Ending a little late: truncated, like a clock's reading.
        assert_eq!(human(truncate(ms(3003.4), resolution)), "3 s");
        assert_eq!(human(truncate(ms(501.0), resolution)), "500 ms");
        assert_eq!(human(truncate(ms(509.9), resolution)), "500 ms");
        assert_eq!(human(truncate(ms(510.0), resolution)), "510 ms");
        // Near `Duration::MAX`, saturated rather than overflowing.
        assert_eq!(round(Duration::MAX, Duration::from_secs(1)), Duration::MAX);
    }
}
