//! `examples/cpu_bound.rs`, run for real (`--quick`: everything 5× shorter).
//!
//! It uses the real clock, so the tests check only what cannot depend on the
//! machine's speed or load. The example runs once (with `--svg`, and with
//! `BUSY_CHEF_WARN_BLOCKING=50`: run 1's dough holds the thread for about
//! 200 ms, four times that), and all the tests read that one run.
//!
//! [`cpu_bound_blocks_the_chef_in_a_task_and_not_in_spawn_blocking`], the
//! transcript:
//!
//! * run 1 (kneading in a task): the dough is kneaded before any egg is
//!   flipped or any coffee poured, and the eggs' reported extra wait is at
//!   least what the printed times imply;
//! * runs 2 (kneading in slices) and 3 (`spawn_blocking`): every dish is
//!   done and the dough too;
//! * all runs knead the same dough (the example asserts equal checksums).
//!
//! It also writes `book/src/generated/cpu_bound.txt` for the book: run 1's
//! transcript (its order is fixed by the single thread) and the summary, with
//! the times masked, since they change from run to run.
//!
//! [`cpu_bound_timelines_show_the_dough_holding_the_thread`], the timelines
//! the example draws at the end, and the warning:
//!
//! * the blocking-poll warning on stderr names the task `dough`;
//! * the *shape* of the timelines ([`timeline_shape_problems`]): the three
//!   runs drawn on one time scale, each with the rows `main`, `eggs`,
//!   `coffee`, `dough`, all done. Run 1: the dough is polled once, with a
//!   warning, and that poll is one unbroken bar, during which no other task
//!   has a single `█`, though the eggs' first timer ran out (its `┤`)
//!   before the bar ended. Runs 2 and 3: the eggs are polled between the dough's first and
//!   last poll (run 2: the dough's 101 polls, its 100 slices and the last).
//!   None of it depends on speed: the bar cannot share the thread, and the
//!   eggs are due after 50 ms while the dough takes about 200 ms (a margin
//!   of four; a slower, loaded machine only widens it).
//!
//! [`the_timeline_checks_catch_what_they_should`]: the shape checks pass on
//! the book's figure and fail on it altered (an egg polled inside the
//! dough's bar, the dough polled twice, a panel or a row renamed, a panel on
//! its own time scale).
//!
//! [`cpu_bound_replays_show_the_long_poll_and_then_the_fix`], the replays
//! of runs 1 and 3 (`--replay`) that the chapter embeds: in run 1 the
//! dough's poll is one long step, with a warning, during which the eggs'
//! first timer came due; in run 3 the dough is polled twice, its wake comes
//! through the channel door, and the eggs are polled in between
//! ([`replay_shape_problems`]). Like the figure, they come from a real run
//! and are rewritten only when blessing and out of date.
//!
//! **The figure in the book comes from a real run.** A real-clock timeline
//! differs in its characters from run to run, so it cannot be compared
//! character by character like the simulated ones in *Seeing it*. Instead,
//! `book/src/generated/cpu_bound-timeline.txt` and `cpu_bound.svg` are
//! written only when blessing (`BUSY_CHEF_BLESS=1`), and only when they are
//! missing or out of date: when their *skeleton* (the panels, their rows,
//! the legend; see [`skeleton`]) differs from today's run, or they fail the
//! shape checks. So an unrelated bless does not rewrite them with new
//! timings. Without blessing, the checked-in figure must pass the same shape
//! checks as today's run, have the same skeleton, and the SVG must come from
//! the same run as the text (it shows the same row summaries); and what the
//! chapter says of this figure in particular (run 3's dough is polled twice)
//! must hold. To draw a fresh figure anyway, delete the two files and bless.

mod book_support;
mod json;

use std::process::Command;
use std::sync::OnceLock;

use book_support::{check_or_bless, example_binary, root};
use json::Json;

/// The blocking-poll threshold for the example's run, in milliseconds.
const WARN_BLOCKING_MS: &str = "50";
const FIGURE: &str = "book/src/generated/cpu_bound-timeline.txt";
const FIGURE_SVG: &str = "book/src/generated/cpu_bound.svg";

/// One run of `cpu_bound --quick --svg <temp> --replay <temp>`, shared by
/// the tests.
struct Ran {
    stdout: String,
    stderr: String,
    svg: String,
    /// The replays of runs 1 and 3.
    replays: [String; 2],
}

fn ran() -> &'static Ran {
    static RAN: OnceLock<Ran> = OnceLock::new();
    RAN.get_or_init(|| {
        let svg_path =
            std::env::temp_dir().join(format!("busy-chef-{}-cpu_bound.svg", std::process::id()));
        let replays =
            std::env::temp_dir().join(format!("busy-chef-{}-cpu_bound", std::process::id()));
        std::fs::create_dir_all(&replays).unwrap();
        let output = Command::new(example_binary("cpu_bound"))
            .args(["--quick", "--svg", svg_path.to_str().unwrap()])
            .args(["--replay", replays.to_str().unwrap()])
            .env("BUSY_CHEF_WARN_BLOCKING", WARN_BLOCKING_MS)
            .env_remove("BUSY_CHEF_TRACE")
            .output()
            .expect("run the cpu_bound example");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            output.status.success(),
            "cpu_bound failed ({}):\n{stderr}",
            output.status
        );
        let svg = std::fs::read_to_string(&svg_path).expect("cpu_bound --svg writes the file");
        std::fs::remove_file(&svg_path).ok();
        let replay = |run: u32| {
            let path = replays.join(format!("cpu_bound-run{run}.replay.json"));
            std::fs::read_to_string(&path).expect("cpu_bound --replay writes the files")
        };
        let replays_read = [replay(1), replay(3)];
        std::fs::remove_dir_all(&replays).ok();
        Ran {
            stdout: String::from_utf8(output.stdout).expect("utf-8 output"),
            stderr,
            svg,
            replays: replays_read,
        }
    })
}

/// A transcript line `[0.13 s] text`, split into time and text.
fn stamped(line: &str) -> Option<(f64, &str)> {
    let rest = line.strip_prefix('[')?;
    let (time, text) = rest.split_once(" s] ")?;
    Some((time.trim().parse().ok()?, text))
}

/// The lines of the section that starts with `header`, up to a blank line.
fn section<'a>(output: &'a str, header: &str) -> Vec<&'a str> {
    output
        .lines()
        .skip_while(|line| !line.starts_with(header))
        .skip(1)
        .take_while(|line| !line.is_empty())
        .collect()
}

/// The number right after `label` in `line` (e.g. "total 0.28 s").
fn number_after(line: &str, label: &str) -> f64 {
    let start = line
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in {line:?}"))
        + label.len();
    line[start..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after {label:?} in {line:?}"))
}

/// Replaces every time figure (`1.23`, as in `[1.23 s]` or `0.12 s`) in
/// `line` with `x.xx`.
fn mask_times(line: &str) -> String {
    line.split(' ')
        .map(|word| {
            let bare = word.trim_start_matches('[');
            let is_time = bare.len() == 4
                && bare.as_bytes()[1] == b'.'
                && bare.chars().filter(|c| c.is_ascii_digit()).count() == 3;
            if is_time {
                word.replace(bare, "x.xx")
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn cpu_bound_blocks_the_chef_in_a_task_and_not_in_spawn_blocking() {
    let output = &ran().stdout;

    // Run 1: nothing happens while the dough is kneaded.
    let run1 = section(output, "Run 1:");
    let texts: Vec<&str> = run1.iter().map(|l| stamped(l).expect(l).1).collect();
    assert_eq!(
        texts,
        [
            "eggs are in the pan",
            "coffee machine is on",
            "kneading the dough (in a task)...",
            "dough is kneaded",
            "eggs flipped (1/4)",
            "coffee poured",
            "eggs flipped (2/4)",
            "eggs flipped (3/4)",
            "eggs flipped (4/4)",
            "breakfast is served, the dough is ready",
        ],
        "{output}"
    );
    let kneaded_at = stamped(run1[3]).unwrap().0;
    let first_flip_at = stamped(run1[4]).unwrap().0;
    assert!(first_flip_at >= kneaded_at, "{output}");

    // Runs 2 and 3: everything happens, in an order that depends on the machine.
    for (header, kneading) in [
        (
            "Run 2:",
            "kneading the dough (in slices, yield_now between)...",
        ),
        ("Run 3:", "kneading the dough (spawn_blocking)..."),
    ] {
        let run = section(output, header);
        let mut texts: Vec<&str> = run.iter().map(|l| stamped(l).expect(l).1).collect();
        assert_eq!(texts.first(), Some(&"eggs are in the pan"), "{output}");
        let last = texts.last().copied();
        assert_eq!(
            last,
            Some("breakfast is served, the dough is ready"),
            "{output}"
        );
        texts.sort_unstable();
        let mut expected = [
            "eggs are in the pan",
            "coffee machine is on",
            kneading,
            "dough is kneaded",
            "eggs flipped (1/4)",
            "coffee poured",
            "eggs flipped (2/4)",
            "eggs flipped (3/4)",
            "eggs flipped (4/4)",
            "breakfast is served, the dough is ready",
        ];
        expected.sort_unstable();
        assert_eq!(texts, expected, "{output}");
    }

    // The summary agrees with the transcripts. In run 1 the first flip was
    // due after 0.05 s (quick mode) but came at `first_flip_at`.
    let summary: Vec<&str> = output.lines().filter(|l| l.starts_with("run ")).collect();
    assert_eq!(summary.len(), 3, "{output}");
    // (Generous slack: a busy machine may pause the program for a while
    // between two clock readings; CI shares 2 cores with everything else.)
    let eggs_late = number_after(summary[0], "eggs waited up to");
    assert!(
        eggs_late + 0.25 >= first_flip_at - 0.05,
        "run 1: the first flip came at {first_flip_at} s, yet the eggs waited only {eggs_late} s extra\n{output}"
    );
    for line in &summary {
        assert!(number_after(line, "total") > 0.0, "{line}");
    }
    let run1_total = number_after(summary[0], "total");
    let run1_end = stamped(run1[run1.len() - 1]).unwrap().0;
    // The total is read just after the last line is printed.
    assert!(run1_total + 0.006 >= run1_end, "{output}");
    assert!(run1_total - run1_end <= 0.5, "{output}");
    assert!(output.contains("dough texture (all runs): "), "{output}");

    // For the book: the header, run 1 in full, the summary; times masked.
    let mut book = String::from("$ cargo run --example cpu_bound -- --quick\n");
    book.push_str("(measured times shown as x.xx: they change from run to run)\n\n");
    for line in output.lines().take_while(|l| !l.starts_with("Run 2:")) {
        let line = if line.starts_with("The dough:") {
            // The number of folds is calibrated on the machine that runs it.
            "The dough: N million folds, about 0.20 s of CPU work on this machine.".to_string()
        } else if line.starts_with('[') {
            mask_times(line)
        } else {
            line.to_string()
        };
        book.push_str(&line);
        book.push('\n');
    }
    for line in &summary {
        book.push_str(&mask_times(line));
        book.push('\n');
    }
    check_or_bless("book/src/generated/cpu_bound.txt", &book);
}

// ---------------------------------------------------------------------------
// The timelines
// ---------------------------------------------------------------------------

/// One task's row of a drawn timeline.
#[derive(Debug)]
struct Row {
    name: String,
    /// The time columns: `█` polled, `·` waiting, ` ` not there.
    cells: Vec<char>,
    /// "done at 194 ms, 1 poll, 1 warning"
    summary: String,
    /// The timer rows under the task, time columns only (`═`, `┤`, ...).
    timers: Vec<Vec<char>>,
}

impl Row {
    /// The columns in which the task was being polled.
    fn polled(&self) -> Vec<usize> {
        (0..self.cells.len())
            .filter(|&c| self.cells[c] == '█')
            .collect()
    }

    /// The number of polls, from the summary ("..., 5 polls").
    fn polls(&self) -> Option<u32> {
        self.summary.split(", ").find_map(|part| {
            let n = part
                .strip_suffix(" polls")
                .or_else(|| part.strip_suffix(" poll"))?;
            n.parse().ok()
        })
    }
}

/// One timeline, as printed by `Trace::timeline`, under its title.
#[derive(Debug)]
struct Panel {
    title: String,
    /// The time axis: its labels and its ticks.
    axis: String,
    rows: Vec<Row>,
    legend: String,
}

impl Panel {
    fn row(&self, name: &str) -> Result<&Row, String> {
        self.rows
            .iter()
            .find(|row| row.name == name)
            .ok_or_else(|| format!("{}: no row `{name}`", self.title))
    }
}

/// Reads the timelines that `cpu_bound` prints at the end: each panel is a
/// title line (`Run 1, kneading in a task:`), the axis (labels, then `|`
/// ticks), one line per task (name, cells, two spaces, summary) followed by
/// its timers' lines (indented), and the legend.
fn parse_timelines(text: &str) -> Result<Vec<Panel>, String> {
    let start = text
        .find("\nTimelines (")
        .map(|i| i + 1)
        .or_else(|| text.starts_with("Timelines (").then_some(0))
        .ok_or("no `Timelines (` line")?;
    let mut panels: Vec<Panel> = Vec::new();
    let mut lines = text[start..].lines().skip(1).peekable();
    while let Some(line) = lines.next() {
        let Some(title) = line
            .strip_prefix("Run ")
            .and_then(|_| line.strip_suffix(':'))
        else {
            continue;
        };
        let labels = lines.next().ok_or("a title with no axis")?;
        let ticks = lines.next().ok_or("an axis with no ticks")?;
        let label_width = ticks
            .chars()
            .position(|c| c == '|')
            .ok_or_else(|| format!("no ticks under {title:?}: {ticks:?}"))?;
        let mut panel = Panel {
            title: title.to_string(),
            axis: format!("{labels}\n{ticks}"),
            rows: Vec::new(),
            legend: String::new(),
        };
        for line in lines.by_ref() {
            let chars: Vec<char> = line.chars().collect();
            if chars.len() < label_width {
                return Err(format!("{title}: a short line {line:?}"));
            }
            let rest: String = chars[label_width..].iter().collect();
            if rest.starts_with("█ polled") {
                panel.legend = rest;
                break;
            }
            if line.starts_with("  ") {
                let row = panel
                    .rows
                    .last_mut()
                    .ok_or_else(|| format!("{title}: a timer before any task: {line:?}"))?;
                row.timers.push(rest.chars().collect());
            } else {
                let name: String = chars[..label_width].iter().collect();
                let (cells, summary) = rest
                    .rsplit_once("  ")
                    .ok_or_else(|| format!("{title}: no summary in {line:?}"))?;
                panel.rows.push(Row {
                    name: name.trim().to_string(),
                    cells: cells.chars().collect(),
                    summary: summary.to_string(),
                    timers: Vec::new(),
                });
            }
        }
        if panel.legend.is_empty() {
            return Err(format!("{title}: no legend"));
        }
        panels.push(panel);
    }
    Ok(panels)
}

const TITLES: [&str; 3] = [
    "Run 1, kneading in a task",
    "Run 2, kneading in slices",
    "Run 3, kneading in spawn_blocking",
];

/// What does not change from run to run: the titles, the rows and their
/// number of timers, the legend without its scale. The checked-in figure is
/// out of date when its skeleton differs from today's run.
fn skeleton(panels: &[Panel]) -> String {
    let mut out = String::new();
    for panel in panels {
        out.push_str(&panel.title);
        out.push('\n');
        for row in &panel.rows {
            out.push_str(&format!("  {} ({} timers)\n", row.name, row.timers.len()));
        }
        let legend = panel.legend.split(" (1 column").next().unwrap_or_default();
        out.push_str(&format!("  {legend}\n"));
    }
    out
}

/// The checks on the timelines' shape (see the top of this file). `Err`
/// says what is wrong.
fn timeline_shape_problems(text: &str) -> Result<(), String> {
    let panels = parse_timelines(text)?;
    let titles: Vec<&str> = panels.iter().map(|p| p.title.as_str()).collect();
    if titles != TITLES {
        return Err(format!("the panels are {titles:?}, not {TITLES:?}"));
    }
    for panel in &panels {
        let title = &panel.title;
        if panel.axis != panels[0].axis {
            return Err(format!("{title}: not on the same time scale as run 1"));
        }
        let names: Vec<&str> = panel.rows.iter().map(|row| row.name.as_str()).collect();
        if names != ["main", "eggs", "coffee", "dough"] {
            return Err(format!("{title}: the rows are {names:?}"));
        }
        for row in &panel.rows {
            if !row.summary.starts_with("done at ") || row.polls().is_none() {
                return Err(format!("{title}: {} ended {:?}", row.name, row.summary));
            }
            if row.polled().is_empty() {
                return Err(format!("{title}: {} was never drawn polled", row.name));
            }
        }
        let (eggs, coffee) = (panel.row("eggs")?, panel.row("coffee")?);
        if eggs.timers.len() != 4 || coffee.timers.len() != 1 {
            return Err(format!("{title}: the eggs need 4 timers, the coffee 1"));
        }
    }

    // Run 1: one poll of the dough, one unbroken bar, nobody else inside it.
    let run1 = &panels[0];
    let dough = run1.row("dough")?;
    if dough.polls() != Some(1) || !dough.summary.contains("warning") {
        return Err(format!(
            "run 1: the dough should be polled once, with a warning: {:?}",
            dough.summary
        ));
    }
    let bar = dough.polled();
    let (first, last) = (bar[0], bar[bar.len() - 1]);
    if bar.len() != last - first + 1 {
        return Err(format!("run 1: the dough's poll is not one bar: {bar:?}"));
    }
    for row in &run1.rows {
        if row.name != "dough" && row.polled().iter().any(|&c| first < c && c < last) {
            return Err(format!(
                "run 1: {} was polled while the dough held the thread (columns {first}..{last})",
                row.name
            ));
        }
    }
    let fired = run1.row("eggs")?.timers[0]
        .iter()
        .position(|&c| c == '┤')
        .ok_or("run 1: the eggs' first timer did not fire")?;
    if fired > last {
        return Err(format!(
            "run 1: the eggs' first flip was due (column {fired}) only after the dough's \
             poll ended (column {last}): the dough was too short to show the gap"
        ));
    }

    // Runs 2 and 3: the eggs are polled while the dough is being kneaded.
    if panels[1].row("dough")?.polls() != Some(101) {
        return Err("run 2: the dough should be polled 101 times (100 slices)".into());
    }
    for panel in &panels[1..] {
        let dough = panel.row("dough")?.polled();
        let (first, last) = (dough[0], dough[dough.len() - 1]);
        let eggs = panel.row("eggs")?.polled();
        if !eggs.iter().any(|&c| first < c && c < last) {
            return Err(format!(
                "{}: the eggs were never polled while the dough was kneaded \
                 (dough columns {first}..{last}, eggs {eggs:?})",
                panel.title
            ));
        }
    }
    Ok(())
}

#[test]
fn the_timeline_checks_catch_what_they_should() {
    // A picture that passes: the one in the book (fixed text), or today's
    // run's when there is none yet.
    let good = std::fs::read_to_string(root().join(FIGURE)).unwrap_or_else(|_| {
        let out = &ran().stdout;
        out[out.find("Timelines (").unwrap()..].to_string()
    });
    let good = good.as_str();
    assert_eq!(timeline_shape_problems(good), Ok(()), "{good}");

    // The same picture with an egg polled in the middle of run 1's dough bar.
    let panels = parse_timelines(good).unwrap();
    let dough = panels[0].row("dough").unwrap().polled();
    let (first, last) = (dough[0], dough[dough.len() - 1]);
    assert!(last - first >= 2, "a bar too short to test with: {good}");
    let run1: Vec<&str> = good
        .lines()
        .skip_while(|l| !l.starts_with("Run 1,"))
        .collect();
    let label_width = run1[2].chars().position(|c| c == '|').unwrap();
    let eggs_line = *run1.iter().find(|l| l.starts_with("eggs ")).unwrap();
    let mut chars: Vec<char> = eggs_line.chars().collect();
    chars[label_width + (first + last) / 2] = '█';
    let bad_line: String = chars.into_iter().collect();
    let bad = good.replacen(eggs_line, &bad_line, 1);
    let problem = timeline_shape_problems(&bad).unwrap_err();
    assert!(
        problem.contains("eggs was polled while the dough"),
        "{problem}"
    );

    // The dough in two polls in run 1; a panel renamed; a row renamed; a
    // timeline on its own scale.
    let bad = good.replacen(", 1 poll, ", ", 2 polls, ", 1);
    assert!(timeline_shape_problems(&bad)
        .unwrap_err()
        .contains("polled once"));
    let bad = good.replacen("Run 3, kneading", "Run 4, kneading", 1);
    assert!(timeline_shape_problems(&bad)
        .unwrap_err()
        .contains("the panels are"));
    let bad = good.replace("\ndough  ", "\ntask-4 ");
    assert!(timeline_shape_problems(&bad)
        .unwrap_err()
        .contains("the rows are"));
    let bad = good.replacen("0 s ", "1 s ", 2).replacen("1 s ", "0 s ", 1);
    assert!(timeline_shape_problems(&bad)
        .unwrap_err()
        .contains("same time scale"));
}

#[test]
fn cpu_bound_timelines_show_the_dough_holding_the_thread() {
    let ran = ran();
    assert!(
        ran.stderr.contains("busy-chef warning: task `dough` (")
            && ran.stderr.contains("blocked the executor"),
        "the blocking-poll warning should name the dough:\n{}",
        ran.stderr
    );
    let start = ran
        .stdout
        .find("Timelines (")
        .expect("timelines at the end");
    let end = ran
        .stdout
        .find("\nwrote ")
        .expect("cpu_bound wrote the SVG");
    let figure = &ran.stdout[start..end];
    if let Err(problem) = timeline_shape_problems(figure) {
        panic!("{problem}\n{figure}");
    }
    let svg = &ran.svg;
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for text in TITLES.iter().chain(&["main", "eggs", "coffee", "dough"]) {
        assert!(svg.contains(text), "the SVG lacks {text:?}");
    }

    // The figure in the book: from a real run, written only when blessing.
    let fresh = skeleton(&parse_timelines(figure).unwrap());
    let checked_in = std::fs::read_to_string(root().join(FIGURE)).ok();
    let checked_in_svg = std::fs::read_to_string(root().join(FIGURE_SVG)).ok();
    let up_to_date = |text: &str| -> Result<(), String> {
        timeline_shape_problems(text)?;
        // What the chapter says of this figure in particular: run 3's dough
        // is polled twice (hand the work over; the wake from the pool).
        let panels = parse_timelines(text)?;
        if panels[2].row("dough")?.polls() != Some(2) {
            return Err("run 3: the dough is not polled twice, as the book says".into());
        }
        let old = skeleton(&panels);
        if old != fresh {
            return Err(format!(
                "its skeleton changed:\n--- checked in ---\n{old}--- now ---\n{fresh}"
            ));
        }
        Ok(())
    };
    if std::env::var_os("BUSY_CHEF_BLESS").is_some() {
        let stale = checked_in.as_deref().is_none_or(|t| up_to_date(t).is_err())
            || checked_in_svg.is_none();
        if stale {
            check_or_bless(FIGURE, figure);
            check_or_bless(FIGURE_SVG, svg);
        }
        return;
    }
    let bless = "run `BUSY_CHEF_BLESS=1 cargo test --test cpu_bound` (delete the \
                 file first to draw it afresh even when it is not out of date)";
    let text = checked_in.unwrap_or_else(|| panic!("{FIGURE} is missing; {bless}"));
    if let Err(problem) = up_to_date(&text) {
        panic!("{FIGURE} is out of date: {problem}\n{bless}");
    }
    let old_svg = checked_in_svg.unwrap_or_else(|| panic!("{FIGURE_SVG} is missing; {bless}"));
    for row in parse_timelines(&text).unwrap().iter().flat_map(|p| &p.rows) {
        assert!(
            old_svg.contains(&row.summary),
            "{FIGURE_SVG} is not from the same run as {FIGURE} (no {:?}); {bless}",
            row.summary
        );
    }
}

// ---------------------------------------------------------------------------
// The replays
// ---------------------------------------------------------------------------

/// The replays of runs 1 and 3 in the book's chapter: like the figure, from
/// a real run, and written only when blessing and out of date.
const REPLAYS: [&str; 2] = [
    "book/src/generated/cpu_bound-run1.replay.json",
    "book/src/generated/cpu_bound-run3.replay.json",
];

/// The tasks of a replay: (number, name).
type Tasks = Vec<(u64, String)>;

/// A replay's steps and tasks.
fn replay_steps(text: &str) -> Result<(Vec<Json>, Tasks), String> {
    let json = Json::parse(text)?;
    if json.get("format").as_str() != Some("busy-chef-replay") {
        return Err("not a busy-chef replay".into());
    }
    let tasks = json
        .get("tasks")
        .items()
        .iter()
        .map(|t| {
            let name = t.get("name").as_str().unwrap_or("?").to_string();
            (t.get("id").as_u64().unwrap_or(0), name)
        })
        .collect();
    Ok((json.get("steps").items().to_vec(), tasks))
}

/// What the chapter says of the replays. Run 1: the dough's poll is one
/// step (its `run` and its `poll` are consecutive), long (50 ms at least:
/// the blocking-poll limit of this run), a warning names the dough, and the
/// eggs' first timer, due during that poll, fires after it. Run 3: the
/// dough is polled twice, its wake comes from another thread through the
/// channel door, and the eggs are polled in between.
fn replay_shape_problems(run1: &str, run3: &str) -> Result<(), String> {
    let id_of = |tasks: &[(u64, String)], name: &str| {
        tasks
            .iter()
            .find(|(_, n)| n == name)
            .map(|(id, _)| *id)
            .ok_or(format!("no task `{name}`"))
    };
    let is = |step: &Json, kind: &str, task: u64| {
        step.get("do").as_str() == Some(kind) && step.get("task").as_u64() == Some(task)
    };
    let t = |step: &Json| step.get("t").as_u64().unwrap_or(0);

    let (steps, tasks) = replay_steps(run1)?;
    let (dough, eggs) = (id_of(&tasks, "dough")?, id_of(&tasks, "eggs")?);
    let run = steps
        .iter()
        .position(|s| is(s, "run", dough))
        .ok_or("run 1: the dough is never run")?;
    let poll = &steps[run + 1];
    if !is(poll, "poll", dough) || poll.get("ended").as_str() != Some("done") {
        return Err("run 1: the dough's one poll is not the step after its run".into());
    }
    if t(poll) - t(&steps[run]) < 50_000 {
        return Err("run 1: the dough's poll is shorter than 50 ms".into());
    }
    if !steps[run + 2..run + 4]
        .iter()
        .any(|s| s.get("do").as_str() == Some("warning") && s.get("task").as_u64() == Some(dough))
    {
        return Err("run 1: no warning about the dough after its poll".into());
    }
    let first_timer = steps
        .iter()
        .find(|s| is(s, "timer", eggs))
        .ok_or("run 1: the eggs set no timer")?;
    let number = first_timer.get("timer").as_u64();
    let fire = steps
        .iter()
        .position(|s| s.get("do").as_str() == Some("fire") && s.get("timer").as_u64() == number)
        .ok_or("run 1: the eggs' first timer never fires")?;
    let deadline = first_timer.get("deadline").as_u64().unwrap_or(0);
    if !(deadline < t(poll) && fire > run + 1) {
        return Err("run 1: the eggs' first timer was not due during the dough's poll".into());
    }

    let (steps, tasks) = replay_steps(run3)?;
    let (dough, eggs) = (id_of(&tasks, "dough")?, id_of(&tasks, "eggs")?);
    let polls: Vec<usize> = (0..steps.len())
        .filter(|&i| is(&steps[i], "poll", dough))
        .collect();
    let [first, last] = polls[..] else {
        return Err(format!(
            "run 3: the dough is polled {} times, not twice",
            polls.len()
        ));
    };
    let wake = steps[first..last]
        .iter()
        .position(|s| is(s, "wake", dough))
        .ok_or("run 3: no wake of the dough between its polls")?;
    let wake = &steps[first + wake];
    if wake.get("by").as_str() != Some("outside") || wake.get("door").as_str() != Some("channel") {
        return Err("run 3: the dough's wake did not come through the channel door".into());
    }
    if !steps[first..last].iter().any(|s| is(s, "poll", eggs)) {
        return Err("run 3: the eggs are not polled while the dough is kneaded".into());
    }
    Ok(())
}

#[test]
fn cpu_bound_replays_show_the_long_poll_and_then_the_fix() {
    let ran = ran();
    let [run1, run3] = &ran.replays;
    if let Err(problem) = replay_shape_problems(run1, run3) {
        panic!("today's replays: {problem}");
    }
    let checked_in: Vec<Option<String>> = REPLAYS
        .iter()
        .map(|path| std::fs::read_to_string(root().join(path)).ok())
        .collect();
    let fits = match (&checked_in[0], &checked_in[1]) {
        (Some(one), Some(three)) => replay_shape_problems(one, three),
        _ => Err("missing".to_string()),
    };
    if std::env::var_os("BUSY_CHEF_BLESS").is_some() {
        if fits.is_err() {
            check_or_bless(REPLAYS[0], run1);
            check_or_bless(REPLAYS[1], run3);
        }
        return;
    }
    if let Err(problem) = fits {
        panic!(
            "{} and {} are out of date ({problem}): run `BUSY_CHEF_BLESS=1 cargo test --test \
             cpu_bound` (delete them first to record them afresh)",
            REPLAYS[0], REPLAYS[1]
        );
    }
}

#[test]
fn the_replay_checks_catch_what_they_should() {
    let [run1, run3] = &ran().replays;
    assert!(replay_shape_problems(run1, run3).is_ok());
    let bad = |one: &str, three: &str| replay_shape_problems(one, three).unwrap_err();
    // Something between the dough's run and its poll; the wake through the
    // local door; a third poll of the dough; not a replay at all.
    let (steps, tasks) = replay_steps(run1).unwrap();
    let dough = tasks.iter().find(|(_, n)| n == "dough").unwrap().0;
    let run = format!("\"do\":\"run\",\"task\":{dough}}}");
    let wedged = run1.replacen(
        &run,
        &format!("{run},\n{{\"t\":1,\"do\":\"turn\",\"turn\":99}}"),
        1,
    );
    assert!(steps.len() > 10);
    assert!(bad(&wedged, run3).contains("not the step after"));
    let local = run3.replace("\"door\":\"channel\"", "\"door\":\"local\"");
    assert!(bad(run1, &local).contains("channel door"));
    let (_, tasks) = replay_steps(run3).unwrap();
    let dough = tasks.iter().find(|(_, n)| n == "dough").unwrap().0;
    let poll = format!("\"do\":\"poll\",\"task\":{dough},");
    let at = run3.find(&poll).unwrap();
    let line_end = at + run3[at..].find('\n').unwrap();
    let line_start = run3[..at].rfind('\n').unwrap() + 1;
    let twice = format!("{}\n{}", &run3[..line_end], &run3[line_start..]);
    assert!(bad(run1, &twice).contains("not twice"));
    assert!(bad("{}", run3).contains("not a busy-chef replay"));
}
