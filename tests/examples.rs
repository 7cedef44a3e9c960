//! The two seed examples behave as the course says: lines in order, and the
//! total (simulated) time is the longest task, not the sum; and the examples
//! with a `--simulated` mode print the same with it as without.

mod book_support;

#[test]
fn gather_prints_the_course_lines_in_order_and_takes_the_longest_download() {
    let out = book_support::run_example("gather", &["--simulated"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..6],
        [
            "Main Started!",
            "Starting download of File 1...",
            "Starting download of File 2...",
            "Finished download of File 2!",
            "Finished download of File 1!",
            "Main Finished!",
        ],
        "{out}"
    );
    assert!(lines[6].starts_with("Took 2.00 s"), "2 s, not 3 s:\n{out}");
    assert_eq!(lines.len(), 7, "{out}");
}

#[test]
fn chef_cooks_one_by_one_then_all_at_once() {
    let out = book_support::run_example("chef", &["--simulated"]);
    let position = |needle: &str, from: usize| {
        out[from..]
            .find(needle)
            .map(|i| i + from)
            .unwrap_or_else(|| panic!("missing {needle:?} after byte {from}:\n{out}"))
    };
    // The synchronous chef: each dish finishes before the next starts.
    let sync = position("The synchronous chef:", 0);
    let toast_done = position("[ 1.0 s] toaster pops!", sync);
    let eggs_start = position("[ 1.0 s] eggs are in the pan", toast_done);
    let eggs_done = position("[ 2.5 s] eggs are done!", eggs_start);
    let coffee_done = position("[ 3.0 s] coffee machine bleeps!", eggs_done);
    // The busy chef: all three start at 0, finish in order of cooking time.
    let busy = position("The busy chef:", coffee_done);
    let starts = [
        position("[ 0.0 s] toast is in the toaster", busy),
        position("[ 0.0 s] eggs are in the pan", busy),
        position("[ 0.0 s] coffee machine is on", busy),
    ];
    let first_done = position("[ 0.5 s] coffee machine bleeps!", busy);
    assert!(starts.iter().all(|&s| s < first_done), "{out}");
    let toast = position("[ 1.0 s] toaster pops!", first_done);
    let eggs = position("[ 1.5 s] eggs are done!", toast);
    position("[ 1.5 s] plated toast, eggs and coffee", eggs);
    // Totals: the sum versus the longest.
    position("synchronous chef: 3.0 s", eggs);
    position("busy chef:        1.5 s", eggs);
    position("saved:            1.5 s", eggs);
}

#[test]
fn chef_gather_and_desugared_print_the_same_on_the_real_clock_as_on_the_simulated_one() {
    // The README's promise for `--simulated`: the same output, only at once.
    // A real run is late by a millisecond here and there, which the printed
    // times and the timelines' labels round away (`executor/trace/
    // timeline.rs`, "Rounding"). The real runs take about 4.5 s, 2 s and
    // 2 s, side by side; each runs once.
    std::thread::scope(|scope| {
        let real: Vec<_> = ["chef", "gather", "desugared"]
            .map(|name| {
                (
                    name,
                    scope.spawn(move || book_support::run_example(name, &[])),
                )
            })
            .into_iter()
            .collect();
        for (name, real) in real {
            let simulated = book_support::run_example(name, &["--simulated"]);
            let real = real.join().expect("the real run");
            assert!(
                real == simulated,
                "{name}: the real clock printed\n{real}\nthe simulated clock printed\n{simulated}"
            );
        }
    });
}
