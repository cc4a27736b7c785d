//! `cargo xtask`: developer tasks for mast-rs (benchmarks, fuzzing, conformance), run as
//! `cargo xtask <command>` from anywhere in the workspace.
//!
//! Each command lives in its own module and is listed in [`COMMANDS`]; add new ones there.

mod args;
mod bench;
mod conformance;
mod fuzz;
#[path = "../../fuzz/harness.rs"]
mod harness;
mod mutants;
mod rng;

use std::path::PathBuf;
use std::process::ExitCode;

use args::Args;

/// Counts heap bytes (current and peak) so benchmarks can report their memory use.
#[global_allocator]
static ALLOC: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc;

/// What a command returns: its exit code, or an error message (exit code 2).
type CmdResult = Result<ExitCode, String>;

/// One `cargo xtask` command.
struct Command {
    name: &'static str,
    usage: &'static str,
    about: &'static str,
    run: fn(Args) -> CmdResult,
    /// Internal commands (re-executions of xtask by itself) are not listed in the usage.
    hidden: bool,
}

const COMMANDS: &[Command] = &[
    Command {
        name: "bench",
        usage: "bench decode|paging|products|download [options] [--check] [--no-release]",
        about: "Decode throughput and peak memory of mast-proto on synthetic CAOM Portal responses \
                (50,000 and 500,000 rows by default), against a serde_json::Value baseline and an \
                IgnoredAny scan; built and run with --release unless --no-release. --check exits \
                non-zero when a target is not met; --dump writes the generated bodies to DIR. \
                `paging`: 500,000 rows in pages of 50,000 at 100 ms per page, concurrent fetch \
                against a sequential page walk (--rows, --pagesize, --latency-ms, --concurrency). \
                `products`: product lists of 5,000 observations in batches of 500 at 200 ms per \
                batch, concurrent against sequential (--obsids, --batch, --latency-ms). `download`: 200 \
                files of 1 MB at 20 ms per request, Downloader::download_all against a sequential \
                loop, and one 2 GB file against `curl -s -o` on the same loopback URL (--files, \
                --size-mb, --big-gb, --latency-ms); files under target/bench-download/, deleted \
                afterwards. These run the emulator as a separate process and report peak RSS.",
        run: bench::main,
        hidden: false,
    },
    Command {
        name: "fuzz",
        usage: "fuzz [--seconds N] [--target NAME]... [--seed N] | fuzz --target NAME --repro FILE",
        about: "Mutation-fuzzes every mast-proto decoder on stable Rust (N seconds in all, default 60, \
                split across the targets); failing inputs go to target/fuzz-failures/. \
                --repro runs one saved input. `--list` prints the targets. The libFuzzer targets \
                for `cargo +nightly fuzz` are in fuzz/.",
        run: fuzz::main,
        hidden: false,
    },
    Command {
        name: "conformance",
        usage: "conformance [--only NAME...] [--strict-errors] [--warnings] [--fresh] [--dir DIR] [--jobs N]",
        about: "Runs ../shared/conformance, else its copy conformance/harness (--dir or \
                MAST_CONFORMANCE_DIR to point elsewhere; an error when none is there): astroquery 0.4.11 (the oracle, in target/conformance/venv, rerun only when \
                its cases or fixtures changed, or with --fresh) and the debug `mast` CLI, with the case \
                -> argv map conformance/cli-map.json, against the same stand-in MAST; compares them \
                cell by cell (mast semantics, unmapped cases skipped) and exits with compare.py's \
                status. Needs bash, python3 3.11+ and, the first time, PyPI.",
        run: conformance::main,
        hidden: false,
    },
    Command {
        name: "mutants",
        usage: "mutants [--summary DIR] [cargo-mutants options, e.g. --shard 1/20 --sharding round-robin, -f FILE]",
        about: "Mutation testing with cargo-mutants (`cargo install --locked cargo-mutants`) over the \
                modules of .cargo/mutants.toml (mast-proto's client and decoders, mast-download, \
                mast-observations), output in target/mutants, then caught/timeout/missed/unviable \
                per module; exits non-zero when a module catches under 90% of its viable mutants. \
                Hours on two cores for the whole set, so not part of .ci/run: use --shard for a \
                sample. --summary DIR only summarises an earlier run's DIR/mutants.out.",
        run: mutants::main,
        hidden: false,
    },
    Command { name: "bench-run", usage: "", about: "", run: bench::main_run, hidden: true },
    Command { name: "fuzz-one", usage: "", about: "", run: fuzz::main_one, hidden: true },
];

fn usage() -> String {
    let mut out = String::from("Usage: cargo xtask <command> [options]\n\nCommands:\n");
    for c in COMMANDS.iter().filter(|c| !c.hidden) {
        out.push_str(&format!("  {}\n", c.usage));
        out.push_str(&wrap(c.about, 6, 92));
    }
    out.push_str("  help\n      Prints this text.\n");
    out
}

fn wrap(text: &str, indent: usize, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent + line.len() + 1 + word.len() > width {
            out.push_str(&format!("{:indent$}{line}\n", ""));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&format!("{:indent$}{line}\n", ""));
    }
    out
}

/// The workspace root (the directory holding the root `Cargo.toml`).
fn workspace_root() -> PathBuf {
    let xtask = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().map(PathBuf::from).unwrap_or(xtask)
}

/// Cargo's target directory (`CARGO_TARGET_DIR`, else `<workspace>/target`).
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() { dir } else { workspace_root().join(dir) }
        }
        None => workspace_root().join("target"),
    }
}

fn main() -> ExitCode {
    let mut args = Args::new(std::env::args().skip(1).collect());
    let Some(name) = args.positional() else {
        print!("{}", usage());
        return ExitCode::SUCCESS;
    };
    if matches!(name.as_str(), "help" | "-h" | "--help") {
        print!("{}", usage());
        return ExitCode::SUCCESS;
    }
    let Some(command) = COMMANDS.iter().find(|c| c.name == name) else {
        eprint!("error: unknown command {name:?}\n\n{}", usage());
        return ExitCode::from(2);
    };
    match (command.run)(args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
