//! `mast-emulator`: runs a local MAST on 127.0.0.1 until Ctrl-C.
//!
//! ```text
//! mast-emulator [--port N] [--latency-ms N] [--executing-polls N] [--row-limit N]
//!               [--mode sky|recorded] [--seed N] [--bucket NAME]
//! ```
//!
//! Prints `mast-emulator listening on http://127.0.0.1:PORT` on stdout once it accepts
//! connections.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use mast_emulator::{DataMode, Emulator, EmulatorConfig};

/// A local MAST (Mikulski Archive for Space Telescopes) for tests, benchmarks and demos.
#[derive(Parser, Debug)]
#[command(name = "mast-emulator", version)]
struct Args {
    /// TCP port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Delay added before every /api/v0/invoke answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// EXECUTING answers per query before it completes.
    #[arg(long, default_value_t = 0)]
    executing_polls: u32,
    /// Most rows in one response; a larger page closes the connection.
    #[arg(long, default_value_t = 500_000)]
    row_limit: usize,
    /// Where answers come from.
    #[arg(long, value_enum, default_value_t = Mode::Sky)]
    mode: Mode,
    /// Seed of the generated sky.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Name of the emulated public S3 bucket (served path-style on the same port).
    #[arg(long, default_value = "stpubdata")]
    bucket: String,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Mode {
    /// Cone searches from the generated sky, the rest from the recorded fixtures.
    Sky,
    /// Everything from the recorded fixtures.
    Recorded,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mast-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let config = EmulatorConfig::default()
            .port(args.port)
            .latency(Duration::from_millis(args.latency_ms))
            .executing_polls(args.executing_polls)
            .row_limit(args.row_limit)
            .seed(args.seed)
            .bucket(args.bucket.clone())
            .data_mode(match args.mode {
                Mode::Sky => DataMode::Sky,
                Mode::Recorded => DataMode::Recorded,
            });
        let emulator = match Emulator::start(config).await {
            Ok(e) => e,
            Err(e) => {
                eprintln!("mast-emulator: cannot start on 127.0.0.1:{}: {e}", args.port);
                return ExitCode::FAILURE;
            }
        };
        println!("mast-emulator listening on {}", emulator.base_url());
        let _ = std::io::stdout().flush();
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("mast-emulator: cannot wait for Ctrl-C: {e}");
        }
        emulator.shutdown().await;
        ExitCode::SUCCESS
    })
}
