//! `bench catalogs`: (a) decoding a 50,000-row HSC cone answer against the naive
//! `serde_json::Value` decode; (b) many cones at MAST's latency: `query_region_many` against
//! the Python user's loop of one `query_region` after another.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use mast_catalogs::{Catalogs, QueryOptions};
use mast_proto::{MastClient, MastConfig, Position, Radius};
use serde_json::Value;

use super::net::{peak_rss_mb, reset_peak_rss, runtime, start_emulator, verdict};
use crate::args::Args;
use crate::{CmdResult, workspace_root};

/// `bench catalogs [--rows N] [--cones N] [--latency-ms N] [--concurrency N] [--reps N] [--check]`
pub fn run(mut args: Args) -> CmdResult {
    let rows: usize = args.value("--rows")?.unwrap_or(50_000);
    let cones: usize = args.value("--cones")?.unwrap_or(500);
    let latency_ms: u64 = args.value("--latency-ms")?.unwrap_or(50);
    let concurrency: usize = args.value("--concurrency")?.unwrap_or(4);
    let reps: usize = args.value("--reps")?.unwrap_or(3);
    let check = args.flag("--check");
    args.finish()?;

    // The cones first: the decode's large allocations would stay in the resident set and
    // hide the cones' peak.
    let many_met = many_cones(cones, latency_ms, concurrency, reps.min(2))?;
    let decode_met = decode_hsc(rows, reps)?;
    Ok(if check && !(decode_met && many_met) { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// (a) The recorded HSC answer (28 rows, 45 columns, many nulls) repeated to `rows` rows.
fn decode_hsc(rows: usize, reps: usize) -> Result<bool, String> {
    let path = workspace_root().join("mast-emulator/data/astroquery-recorded/hsc.json");
    let recorded: Value =
        serde_json::from_slice(&std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    let data = recorded["data"].as_array().filter(|d| !d.is_empty()).ok_or("hsc.json has no rows")?;
    let mut doc = recorded.clone();
    doc["data"] = Value::Array((0..rows).map(|i| data[i % data.len()].clone()).collect());
    doc["paging"] = serde_json::json!({"page": 1, "pageSize": rows, "pagesFiltered": 1, "rows": rows, "rowsFiltered": rows, "rowsTotal": rows});
    let body = serde_json::to_vec(&doc).map_err(|e| e.to_string())?;
    let m = super::decode::measure(&body, rows, reps)?;
    let mb = body.len() as f64 / 1e6;
    let ratio = m.baseline.as_secs_f64() / m.ours.as_secs_f64();
    println!(
        "decode hsc {rows} rows ({mb:.1} MB): mast-proto {:.1} ms ({:.0} MB/s), serde_json::Value+convert {:.1} ms: {ratio:.1}x; \
         peak extra memory {:.1}x response (Value: {:.1}x)",
        m.ours.as_secs_f64() * 1e3,
        mb / m.ours.as_secs_f64(),
        m.baseline.as_secs_f64() * 1e3,
        m.ours_peak,
        m.baseline_peak
    );
    println!("target: faster than serde_json::Value+convert: {}", verdict(ratio, 1.0));
    Ok(ratio >= 1.0)
}

/// (b) `cones` HSC cones at `latency_ms` each, one after another (a loop of `query_region`)
/// and through `query_region_many` at `concurrency`.
fn many_cones(cones: usize, latency_ms: u64, concurrency: usize, reps: usize) -> Result<bool, String> {
    let emulator = start_emulator(latency_ms)?;
    let rt = runtime()?;
    let positions: Vec<Position> = (0..cones)
        .map(|i| Position::new((i as f64 * 0.7) % 360.0, (i as f64 * 0.13) % 80.0 - 40.0).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let options = QueryOptions::new().radius(Radius::from_degrees(0.002).map_err(|e| e.to_string())?);
    let catalogs = |n: usize| -> Result<Catalogs, String> {
        let config = MastConfig::new()
            .with_all_urls(&emulator.url)
            .map_err(|e| e.to_string())?
            .with_page_concurrency(n)
            .with_timeout(Duration::from_secs(600));
        Ok(Catalogs::new(MastClient::new(config).map_err(|e| e.to_string())?))
    };
    let (seq_cat, conc_cat) = (catalogs(1)?, catalogs(concurrency)?);
    // Warm-up: connections and the emulator's fixture cache.
    rt.block_on(conc_cat.query_region_many(&positions[..concurrency.min(cones)], &options))
        .map_err(|e| e.to_string())?;

    let (mut seq, mut conc) = (Duration::MAX, Duration::MAX);
    let (mut seq_rss, mut conc_rss) = (0.0_f64, 0.0_f64);
    let (mut seq_rows, mut conc_rows) = (0, 0);
    for _ in 0..reps.max(1) {
        reset_peak_rss();
        let start = Instant::now();
        seq_rows = rt.block_on(async {
            let mut rows = 0;
            for p in &positions {
                rows += seq_cat.query_region(*p, &options).await.map_err(|e| e.to_string())?.num_rows();
            }
            Ok::<_, String>(rows)
        })?;
        seq = seq.min(start.elapsed());
        seq_rss = seq_rss.max(peak_rss_mb().unwrap_or(0.0));

        reset_peak_rss();
        let start = Instant::now();
        let found = rt.block_on(conc_cat.query_region_many(&positions, &options)).map_err(|e| e.to_string())?;
        conc = conc.min(start.elapsed());
        conc_rss = conc_rss.max(peak_rss_mb().unwrap_or(0.0));
        if !found.errors.is_empty() {
            return Err(format!("{} cones failed, e.g. {}", found.errors.len(), found.errors[0]));
        }
        conc_rows = found.table.num_rows();
    }
    if seq_rows != conc_rows {
        return Err(format!("the loop found {seq_rows} rows, query_region_many {conc_rows}"));
    }
    let ratio = seq.as_secs_f64() / conc.as_secs_f64();
    let rounds = cones.div_ceil(concurrency);
    let ceiling = cones as f64 / rounds as f64;
    println!(
        "catalogs {cones} cones, {} rows each, {latency_ms} ms/cone: query_region_many ({concurrency}) {:.2} s, loop of query_region {:.2} s: \
         {ratio:.2}x; peak RSS many {conc_rss:.0} MB, loop {seq_rss:.0} MB",
        conc_rows / cones.max(1),
        conc.as_secs_f64(),
        seq.as_secs_f64(),
    );
    println!("  latency-only ceiling: {ceiling:.2}x ({cones} cones in {rounds} rounds of {concurrency})");
    let target = 0.85 * ceiling;
    println!("target: >= 85% of the ceiling ({target:.2}x): {}", verdict(ratio, target));
    Ok(ratio >= target)
}
