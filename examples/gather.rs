//! The course's practice program, in Rust: two simulated downloads of 2 s and
//! 1 s, started together with `join_all` (our `asyncio.gather`). They overlap,
//! so the program takes about 2 s, not 3 s.
//!
//! ```text
//! cargo run --example gather                # real clock: takes ~2 s
//! cargo run --example gather -- --simulated # simulated clock: instant, same output
//! ```

use std::time::Duration;

use busy_chef::time::{sleep, Instant};
use busy_chef::{join_all, Executor};

// ANCHOR: program
async fn download_file(name: &str, time_to_wait: u64) {
    println!("Starting download of {name}...");
    // Simulate a slow download
    sleep(Duration::from_secs(time_to_wait)).await;
    println!("Finished download of {name}!");
}

async fn async_main() {
    println!("Main Started!");
    // Start both downloads at the same time
    join_all([download_file("File 1", 2), download_file("File 2", 1)]).await;
    println!("Main Finished!");
}
// ANCHOR_END: program

fn main() {
    let simulated = std::env::args().any(|arg| arg == "--simulated");
    // ANCHOR: run
    let executor = if simulated {
        Executor::simulated()
    } else {
        Executor::new()
    };
    let took = executor.block_on(async {
        let start = Instant::now();
        async_main().await;
        start.elapsed()
    });
    println!(
        "Took {:.2} s (the downloads wait 2 s + 1 s = 3 s in all, but at the same time)",
        took.as_secs_f64()
    );
    // ANCHOR_END: run
}
