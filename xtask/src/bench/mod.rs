//! `cargo xtask bench <name>`: benchmarks. The `bench` command rebuilds xtask with `--release`
//! and re-executes it as the internal `bench-run` command, so that every number is measured
//! with optimisations whatever profile `cargo xtask` itself was built with.

mod catalogs;
mod decode;
mod download;
mod net;

use std::process::{Command, ExitCode};

use crate::args::Args;
use crate::{CmdResult, workspace_root};

/// A benchmark's entry point, called with the options left after its name.
type Bench = fn(Args) -> CmdResult;

/// The benchmarks, by name.
const BENCHES: &[(&str, Bench)] = &[
    ("decode", decode::run),
    ("paging", net::paging),
    ("products", net::products),
    ("download", download::run),
    ("catalogs", catalogs::run),
];

fn find(args: &mut Args) -> Result<(&'static str, Bench), String> {
    let names: Vec<&str> = BENCHES.iter().map(|b| b.0).collect();
    let name = args.positional().ok_or_else(|| format!("which benchmark? one of: {}", names.join(", ")))?;
    BENCHES
        .iter()
        .find(|b| b.0 == name)
        .map(|b| (b.0, b.1))
        .ok_or_else(|| format!("unknown benchmark {name:?}; one of: {}", names.join(", ")))
}

/// `bench <name> [options]`: runs `cargo run --release -p xtask -- bench-run <name> [options]`
/// (or the benchmark in this process with `--no-release`).
pub fn main(mut args: Args) -> CmdResult {
    let (name, run) = find(&mut args)?;
    if args.flag("--no-release") {
        return run(args);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building xtask with --release for the benchmark...");
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["run", "--release", "--quiet", "--package", "xtask", "--", "bench-run", name])
        .args(args.into_rest())
        .status()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

/// `bench-run <name> [options]`: runs the benchmark in this process.
pub fn main_run(mut args: Args) -> CmdResult {
    let (_, run) = find(&mut args)?;
    if cfg!(debug_assertions) {
        eprintln!("warning: xtask was built without optimisations; the numbers are not representative");
    }
    run(args)
}
