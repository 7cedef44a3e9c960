//! Records, for the report, the versions of the peers (from the workspace's
//! Cargo.lock) and of the compiler, and the optimization level.

use std::process::Command;

fn main() {
    let lock_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock");
    println!("cargo:rerun-if-changed={lock_path}");
    let lock = std::fs::read_to_string(lock_path).unwrap_or_default();
    let mut versions = Vec::new();
    for name in ["tokio", "async-executor", "async-io", "futures-executor"] {
        let header = format!("name = \"{name}\"\nversion = \"");
        if let Some(at) = lock.find(&header) {
            let rest = &lock[at + header.len()..];
            let version = rest.split('"').next().unwrap_or("?");
            versions.push(format!("{name} {version}"));
        }
    }
    println!(
        "cargo:rustc-env=BENCH_PEER_VERSIONS={}",
        versions.join(", ")
    );

    // For `--stack-limits`, which reports the build it ran in.
    let opt_level = std::env::var("OPT_LEVEL").unwrap_or_else(|_| "?".into());
    println!("cargo:rustc-env=BENCH_OPT_LEVEL={opt_level}");

    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_else(|| "rustc (unknown version)".into());
    println!("cargo:rustc-env=BENCH_RUSTC_VERSION={version}");
}
