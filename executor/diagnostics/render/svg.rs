//! The timeline as an SVG picture.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).
//!
//! The same rows as the terminal timeline (`timeline.rs`): a grey line while
//! a task waits, a dark block while it is polled (at least two pixels wide,
//! so that a poll that takes no time on a simulated clock still shows), and
//! under each task its timers as thin orange bars. Several traces can share
//! one picture and one time scale ([`svg`]).

use std::fmt::Write;
use std::time::Duration;

use super::timeline::{human, label_resolution, nice_step, Model, TimerEnd, COLUMNS};
use crate::diagnostics::event::Trace;

const WIDTH: f64 = 760.0;
const LABEL: f64 = 150.0;
const RIGHT: f64 = 130.0;
const ROW: f64 = 22.0;
const TIMER_ROW: f64 = 14.0;

/// 0, `step`, 2 `step`, ... up to `span` (ending early rather than
/// overflowing near `Duration::MAX`).
fn ticks(span: Duration, step: Duration) -> impl Iterator<Item = Duration> {
    std::iter::successors(Some(Duration::ZERO), move |tick| tick.checked_add(step))
        .take_while(move |tick| *tick <= span)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Draws several traces as panels of one SVG picture, one above the other,
/// on one time scale (the longest trace fills the width), each under its
/// title (an empty title draws none).
///
/// ```
/// let exec = busy_chef::Executor::simulated();
/// exec.enable_trace();
/// exec.block_on(async { busy_chef::spawn_named("toast", async {}).await.unwrap() });
/// let picture = busy_chef::trace::svg(&[("Toast", &exec.take_trace())]);
/// assert!(picture.starts_with("<svg") && picture.contains("toast"));
/// ```
pub fn svg(panels: &[(&str, &Trace)]) -> String {
    let models: Vec<(&str, Model)> = panels
        .iter()
        .map(|(title, trace)| (*title, Model::new(trace)))
        .collect();
    let span = models
        .iter()
        .map(|(_, model)| model.end)
        .max()
        .unwrap_or_default()
        .max(Duration::from_nanos(1));
    let plot = WIDTH - LABEL - RIGHT;
    let x = |at: Duration| LABEL + plot * (at.as_secs_f64() / span.as_secs_f64());
    let step = nice_step(span, 8);
    // The labels of a terminal timeline of the same span and default width.
    let resolution = label_resolution(nice_step(span, COLUMNS - 1));

    let mut body = String::new();
    let mut y = 10.0;
    for (title, model) in &models {
        if !title.is_empty() {
            y += 16.0;
            let _ = writeln!(
                body,
                r#"<text x="8" y="{y}" font-weight="bold">{}</text>"#,
                escape(title)
            );
            y += 8.0;
        }
        // The time axis.
        y += 14.0;
        for tick in ticks(span, step) {
            let tx = x(tick);
            let _ = writeln!(
                body,
                r##"<text x="{tx:.1}" y="{y}" text-anchor="middle" font-size="11" fill="#555">{}</text>"##,
                human(tick)
            );
        }
        y += 4.0;
        let axis_y = y;
        for (row_index, row) in model.rows.iter().enumerate() {
            let mid = y + ROW / 2.0;
            if row_index % 2 == 0 {
                let _ = writeln!(
                    body,
                    r##"<rect x="4" y="{y}" width="{}" height="{ROW}" fill="#f4f4f4"/>"##,
                    WIDTH - 8.0
                );
            }
            let _ = writeln!(
                body,
                r#"<text x="10" y="{:.1}" font-size="13">{}</text>"#,
                mid + 4.5,
                escape(&row.name)
            );
            let until = row.until(model.end);
            let _ = writeln!(
                body,
                r##"<line x1="{:.1}" y1="{mid}" x2="{:.1}" y2="{mid}" stroke="#999" stroke-width="2" stroke-dasharray="3 2"/>"##,
                x(row.from),
                x(until)
            );
            for &(start, end, _) in &row.polls {
                let width = (x(end) - x(start)).max(3.0);
                let _ = writeln!(
                    body,
                    r##"<rect x="{:.1}" y="{:.1}" width="{width:.1}" height="{:.1}" fill="#2b5797"/>"##,
                    x(start) - 1.0,
                    y + 4.0,
                    ROW - 8.0
                );
            }
            let _ = writeln!(
                body,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#333">{}</text>"##,
                WIDTH - RIGHT + 8.0,
                mid + 4.0,
                escape(&row.summary(resolution))
            );
            y += ROW;
            for bar in &row.timers {
                let mid = y + TIMER_ROW / 2.0;
                let _ = writeln!(
                    body,
                    r##"<text x="22" y="{:.1}" font-size="11" fill="#a0522d">{}</text>"##,
                    mid + 4.0,
                    escape(&bar.label(resolution))
                );
                let color = match bar.end {
                    TimerEnd::Cancelled => "#bbbbbb",
                    _ => "#e8913a",
                };
                let _ = writeln!(
                    body,
                    r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="6" rx="3" fill="{color}"/>"#,
                    x(bar.from),
                    mid - 3.0,
                    (x(bar.to) - x(bar.from)).max(2.0)
                );
                y += TIMER_ROW;
            }
        }
        // Grid lines over the rows.
        for tick in ticks(span, step) {
            let tx = x(tick);
            let _ = writeln!(
                body,
                r##"<line x1="{tx:.1}" y1="{axis_y}" x2="{tx:.1}" y2="{y}" stroke="#ccc" stroke-width="0.5"/>"##
            );
        }
        y += 10.0;
    }
    // The legend.
    y += 6.0;
    let _ = writeln!(
        body,
        r##"<rect x="{LABEL}" y="{}" width="8" height="12" fill="#2b5797"/><text x="{}" y="{y}" font-size="11">polled</text>"##,
        y - 10.0,
        LABEL + 12.0
    );
    let _ = writeln!(
        body,
        r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999" stroke-width="2" stroke-dasharray="3 2"/><text x="{}" y="{y}" font-size="11">waiting</text>"##,
        LABEL + 70.0,
        y - 4.0,
        LABEL + 90.0,
        y - 4.0,
        LABEL + 94.0
    );
    let _ = writeln!(
        body,
        r##"<rect x="{}" y="{}" width="20" height="6" rx="3" fill="#e8913a"/><text x="{}" y="{y}" font-size="11">timer (a sleep counting down)</text>"##,
        LABEL + 150.0,
        y - 7.0,
        LABEL + 174.0
    );
    y += 10.0;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{y}\" \
         viewBox=\"0 0 {WIDTH} {y}\" font-family=\"sans-serif\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{body}</svg>\n"
    )
}
