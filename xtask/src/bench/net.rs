//! `bench paging` and `bench products`: concurrency against MAST's latency, measured against
//! the emulator running as its own process (so the peak RSS is the client's alone).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use mast_observations::Observations;
use mast_proto::{MastClient, MastConfig, ServiceRequest, Table};

use crate::args::Args;
use crate::{CmdResult, target_dir, workspace_root};

/// The emulator as a child process; killed on drop.
pub(super) struct EmulatorProcess {
    child: Child,
    pub(super) url: String,
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        // SIGINT first, so that the emulator removes its S3 bucket directory; then kill.
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) fn start_emulator(latency_ms: u64) -> Result<EmulatorProcess, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["build", "--release", "--quiet", "-p", "mast-emulator", "--features", "cli"])
        .status()
        .map_err(|e| format!("could not build mast-emulator: {e}"))?;
    if !status.success() {
        return Err("building mast-emulator failed".into());
    }
    let exe = target_dir().join("release").join("mast-emulator");
    let mut child = Command::new(&exe)
        .args(["--port", "0", "--latency-ms", &latency_ms.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", exe.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout from mast-emulator")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).map_err(|e| e.to_string())?;
    let url = line.trim().rsplit(' ').next().unwrap_or("").to_owned();
    if !url.starts_with("http://") {
        let _ = child.kill();
        return Err(format!("unexpected first line from mast-emulator: {line:?}"));
    }
    Ok(EmulatorProcess { child, url })
}

/// This process's peak resident set since the last [`reset_peak_rss`], in MB (Linux).
pub(super) fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub(super) fn reset_peak_rss() {
    // Writing 5 resets VmHWM to the current RSS (Linux >= 4.0); harmless where unsupported.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn client(url: &str, concurrency: usize) -> Result<MastClient, String> {
    let config = MastConfig::new()
        .with_all_urls(url)
        .map_err(|e| e.to_string())?
        .with_page_concurrency(concurrency)
        .with_timeout(Duration::from_secs(600));
    MastClient::new(config).map_err(|e| e.to_string())
}

/// Best wall time and the peak RSS of `reps` runs of `f`, plus its last result.
fn measure<T>(
    rt: &tokio::runtime::Runtime,
    reps: usize,
    mut f: impl AsyncFnMut() -> Result<T, String>,
) -> Result<(Duration, f64, T), String> {
    let mut best = Duration::MAX;
    let mut peak: f64 = 0.0;
    let mut last = None;
    for _ in 0..reps.max(1) {
        reset_peak_rss();
        let start = Instant::now();
        let value = rt.block_on(f())?;
        best = best.min(start.elapsed());
        peak = peak.max(peak_rss_mb().unwrap_or(0.0));
        last = Some(value);
    }
    Ok((best, peak, last.ok_or("no run")?))
}

/// One side of a comparison: best time and peak RSS (MB).
struct Side {
    time: Duration,
    rss_mb: f64,
}

/// Warms the emulator's caches with one concurrent run, then measures `run(1)` (one request
/// at a time, astroquery's way) and `run(concurrency)`, checking that both give the same table.
fn sequential_vs_concurrent<F>(
    rt: &tokio::runtime::Runtime,
    reps: usize,
    concurrency: usize,
    run: impl Fn(usize) -> F,
) -> Result<(Side, Side, Table), String>
where
    F: AsyncFnMut() -> Result<Table, String>,
{
    let mut warm = run(concurrency);
    rt.block_on(warm())?;
    let (seq, seq_rss, seq_table) = measure(rt, reps, run(1))?;
    let (conc, conc_rss, conc_table) = measure(rt, reps, run(concurrency))?;
    if seq_table != conc_table {
        return Err("the concurrent and sequential results differ".into());
    }
    Ok((Side { time: seq, rss_mb: seq_rss }, Side { time: conc, rss_mb: conc_rss }, conc_table))
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())
}

pub(super) fn verdict(ratio: f64, target: f64) -> &'static str {
    if ratio >= target { "met" } else { "NOT met" }
}

/// `bench paging [--rows N] [--pagesize N] [--latency-ms N] [--concurrency N] [--reps N]`
pub fn paging(mut args: Args) -> CmdResult {
    let rows: u64 = args.value("--rows")?.unwrap_or(500_000);
    let pagesize: u64 = args.value("--pagesize")?.unwrap_or(50_000);
    let latency_ms: u64 = args.value("--latency-ms")?.unwrap_or(100);
    let concurrency: usize = args.value("--concurrency")?.unwrap_or(4);
    let reps: usize = args.value("--reps")?.unwrap_or(2);
    let check = args.flag("--check");
    args.finish()?;

    let emulator = start_emulator(latency_ms)?;
    let rt = runtime()?;
    let request = ServiceRequest::new("Mast.Caom.Cone")
        .param("ra", 184.3)
        .param("dec", 54.5)
        .param("radius", 1.0)
        .param("emulator_rows", rows)
        .pagesize(pagesize);
    let fetch = |concurrency: usize| {
        let request = request.clone();
        let url = emulator.url.clone();
        async move || -> Result<Table, String> {
            client(&url, concurrency)?.portal_table(request.clone()).await.map_err(|e| e.to_string())
        }
    };
    let (seq, conc, table) = sequential_vs_concurrent(&rt, reps, concurrency, fetch)?;
    if table.num_rows() as u64 != rows {
        return Err(format!("expected {rows} rows, got {}", table.num_rows()));
    }
    let pages = rows.div_ceil(pagesize);
    let ratio = seq.time.as_secs_f64() / conc.time.as_secs_f64();
    println!(
        "paging {rows} rows, {pages} pages of {pagesize}, {latency_ms} ms/page: concurrent ({concurrency}) {:.2} s, sequential walk {:.2} s: {ratio:.2}x; peak RSS concurrent {:.0} MB, sequential {:.0} MB",
        conc.time.as_secs_f64(),
        seq.time.as_secs_f64(),
        conc.rss_mb,
        seq.rss_mb
    );
    let ceiling = pages as f64 / (1 + (pages - 1).div_ceil(concurrency as u64)) as f64;
    println!(
        "  latency-only ceiling with page 1 first: {ceiling:.2}x (page 1 must arrive before the page count is known)"
    );
    println!("target: >= 3.5x at concurrency 4: {}", verdict(ratio, 3.5));
    Ok(if check && ratio < 3.5 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// `bench products [--obsids N] [--batch N] [--latency-ms N] [--concurrency N] [--reps N]`
pub fn products(mut args: Args) -> CmdResult {
    let n: u64 = args.value("--obsids")?.unwrap_or(5_000);
    let batch: usize = args.value("--batch")?.unwrap_or(500);
    let latency_ms: u64 = args.value("--latency-ms")?.unwrap_or(200);
    let concurrency: usize = args.value("--concurrency")?.unwrap_or(4);
    let reps: usize = args.value("--reps")?.unwrap_or(2);
    let check = args.flag("--check");
    args.finish()?;

    let emulator = start_emulator(latency_ms)?;
    let rt = runtime()?;
    let cone = ServiceRequest::new("Mast.Caom.Cone")
        .param("ra", 150.1)
        .param("dec", 2.2)
        .param("radius", 1.0)
        .param("emulator_rows", n);
    let observations =
        rt.block_on(client(&emulator.url, concurrency)?.portal_table(cone)).map_err(|e| e.to_string())?;
    let obsid = observations.column("obsid").ok_or("no obsid column")?;
    let ids: Vec<String> = (0..observations.num_rows()).filter_map(|i| obsid.get_str(i).map(str::to_owned)).collect();
    let list = |concurrency: usize| {
        let ids = ids.clone();
        let url = emulator.url.clone();
        async move || -> Result<Table, String> {
            let obs = Observations::new(client(&url, concurrency)?).with_batch_size(batch);
            obs.get_product_list(&ids).await.map_err(|e| e.to_string())
        }
    };
    let (seq, conc, table) = sequential_vs_concurrent(&rt, reps, concurrency, list)?;
    let batches = ids.len().div_ceil(batch);
    let ratio = seq.time.as_secs_f64() / conc.time.as_secs_f64();
    println!(
        "products {} obsids, {batches} batches of {batch}, {latency_ms} ms/batch: concurrent ({concurrency}) {:.2} s, sequential batches {:.2} s: {ratio:.2}x; {} products; peak RSS concurrent {:.0} MB, sequential {:.0} MB",
        ids.len(),
        conc.time.as_secs_f64(),
        seq.time.as_secs_f64(),
        table.num_rows(),
        conc.rss_mb,
        seq.rss_mb
    );
    let ceiling = batches as f64 / batches.div_ceil(concurrency) as f64;
    println!(
        "  latency-only ceiling: {ceiling:.2}x ({batches} batches in {} rounds of {concurrency})",
        batches.div_ceil(concurrency)
    );
    println!("target: >= 3.5x at concurrency 4: {}", verdict(ratio, 3.5));
    Ok(if check && ratio < 3.5 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
