//! `bench download`: many small files against MAST-like latency (concurrent against one at a
//! time, astroquery's way), over HTTPS and from the S3 bucket, and one big file against
//! `curl`, with the emulator running as its own process (so the peak RSS is the client's
//! alone). Files go under `target/bench-download/` and are deleted afterwards.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use mast_download::{
    DEFAULT_OTHER_HOST_CONCURRENCY, DEFAULT_PER_HOST_CONCURRENCY, DEFAULT_S3_CONCURRENCY, DownloadItem, Downloader,
    Manifest, Status,
};
use mast_proto::{MastClient, MastConfig};

use super::net::{peak_rss_mb, reset_peak_rss, runtime, start_emulator, verdict};
use crate::args::Args;
use crate::{CmdResult, target_dir};

/// Targets of the issue: concurrent/sequential ratio, MB/s against curl, peak RSS (MB).
const TARGET_RATIO: f64 = 6.0;
const TARGET_CURL: f64 = 0.8;
const TARGET_BIG_RSS_MB: f64 = 64.0;

/// The bench directory, removed when dropped.
struct BenchDir(PathBuf);

impl BenchDir {
    fn fresh(&self, name: &str) -> Result<PathBuf, String> {
        let dir = self.0.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("could not create {}: {e}", dir.display()))?;
        Ok(dir)
    }

    fn remove(&self, name: &str) {
        let _ = std::fs::remove_dir_all(self.0.join(name));
    }
}

impl Drop for BenchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A client with the given MAST base URL (`None`: the real MAST's defaults, so that the
/// emulator's files are another host's).
fn client(mast_url: Option<&str>) -> Result<MastClient, String> {
    let mut config = MastConfig::new().with_timeout(Duration::from_secs(1800));
    if let Some(url) = mast_url {
        config = config.with_all_urls(url).map_err(|e| e.to_string())?;
    }
    MastClient::new(config).map_err(|e| e.to_string())
}

/// `n` files `/files/bench-<i>.fits?size=<bytes>` saved under `dir`.
fn items(base: &str, dir: &Path, n: usize, bytes: u64) -> Vec<DownloadItem> {
    (0..n)
        .map(|i| {
            let name = format!("bench-{i:04}.fits");
            let url = format!("{base}/files/{name}?size={bytes}");
            DownloadItem::new(mast_download::Source::Url(url), dir, name).size(bytes)
        })
        .collect()
}

fn check(manifest: &Manifest, n: usize, bytes: u64) -> Result<(), String> {
    if let Some(row) = manifest.iter().find(|r| r.status != Status::Complete) {
        return Err(format!("{}: {:?} {}", row.local_path.display(), row.status, row.message.as_deref().unwrap_or("")));
    }
    if manifest.len() != n || manifest.iter().any(|r| r.cached) || manifest.bytes() != n as u64 * bytes {
        return Err(format!("expected {n} fresh files of {bytes} bytes, got {} bytes", manifest.bytes()));
    }
    Ok(())
}

/// Time and peak RSS (MB) of `f`.
fn timed<T>(f: impl FnOnce() -> Result<T, String>) -> Result<(Duration, f64, T), String> {
    reset_peak_rss();
    let start = Instant::now();
    let value = f()?;
    Ok((start.elapsed(), peak_rss_mb().unwrap_or(0.0), value))
}

/// `bench download [--files N] [--size-mb N] [--big-gb N] [--big-reps N] [--latency-ms N] [--check]`
pub fn run(mut args: Args) -> CmdResult {
    let files: usize = args.value("--files")?.unwrap_or(200);
    let size_mb: f64 = args.value("--size-mb")?.unwrap_or(1.0);
    let big_gb: f64 = args.value("--big-gb")?.unwrap_or(2.0);
    let latency_ms: u64 = args.value("--latency-ms")?.unwrap_or(20);
    let big_reps: usize = args.value("--big-reps")?.unwrap_or(3);
    let check_targets = args.flag("--check");
    args.finish()?;
    let size = (size_mb * 1_048_576.0).round().max(1.0) as u64;
    let big = (big_gb * 1_073_741_824.0).round().max(1.0) as u64;

    let emulator = start_emulator(latency_ms)?;
    let base = emulator.url.trim_end_matches('/').to_owned();
    let rt = runtime()?;
    let root = BenchDir(target_dir().join("bench-download"));
    let mut met = true;

    // (a) Many files: the emulator's host is not a MAST host for `other` (the files are
    // plain URLs), and is MAST's own for `mast`.
    let other = Downloader::new(&client(None)?);
    let mast = Downloader::new(&client(Some(&base))?);
    let warm = root.fresh("warm")?;
    rt.block_on(other.download_all(items(&base, &warm, 8, size)));
    let seq_dir = root.fresh("sequential")?;
    let (seq, seq_rss, ()) = timed(|| {
        rt.block_on(async {
            let mut manifest = Manifest::new();
            for item in items(&base, &seq_dir, files, size) {
                manifest.push(other.download(item).await);
            }
            check(&manifest, files, size)
        })
    })?;
    let conc_dir = root.fresh("concurrent")?;
    let (conc, conc_rss, ()) =
        timed(|| check(&rt.block_on(other.download_all(items(&base, &conc_dir, files, size))), files, size))?;
    let mast_dir = root.fresh("mast-host")?;
    let (at_mast, mast_rss, ()) =
        timed(|| check(&rt.block_on(mast.download_all(items(&base, &mast_dir, files, size))), files, size))?;
    for name in ["warm", "sequential", "concurrent", "mast-host"] {
        root.remove(name);
    }
    let ratio = seq.as_secs_f64() / conc.as_secs_f64();
    let mast_ratio = seq.as_secs_f64() / at_mast.as_secs_f64();
    println!(
        "download {files} files of {size_mb} MB, {latency_ms} ms/request: download_all ({DEFAULT_OTHER_HOST_CONCURRENCY}/host, not a MAST host) {:.2} s, sequential loop {:.2} s: {ratio:.2}x; peak RSS concurrent {conc_rss:.0} MB, sequential {seq_rss:.0} MB",
        conc.as_secs_f64(),
        seq.as_secs_f64(),
    );
    println!(
        "  same files as a MAST host ({DEFAULT_PER_HOST_CONCURRENCY}/host, the spec's limit): {:.2} s: {mast_ratio:.2}x (latency-only ceiling {DEFAULT_PER_HOST_CONCURRENCY}.00x); peak RSS {mast_rss:.0} MB",
        at_mast.as_secs_f64()
    );
    println!(
        "  per file, sequential: {:.1} ms ({latency_ms} ms latency + transfer and commit); latency-only ceiling at {DEFAULT_OTHER_HOST_CONCURRENCY}/host: {DEFAULT_OTHER_HOST_CONCURRENCY}.00x",
        seq.as_secs_f64() * 1000.0 / files as f64
    );
    println!(
        "target: >= {TARGET_RATIO}x with the default concurrency for other hosts: {}",
        verdict(ratio, TARGET_RATIO)
    );
    met &= ratio >= TARGET_RATIO;

    // (b) MAST's public bucket: the same comparison over S3 (object_store, unsigned), for
    // generated HST products whose cloud copies the path lookup makes the emulator write.
    let cloud_client = client(Some(&base))?;
    let bucket = cloud_client.config().s3_bucket().to_owned();
    let uris: Vec<String> = (0..files + files / 2).map(|i| format!("mast:HST/product/bench{i:05}_flt.fits")).collect();
    let keys = rt.block_on(cloud_client.path_lookup(&uris)).map_err(|e| e.to_string())?;
    let keys: Vec<String> = keys.into_iter().flatten().take(files).collect();
    if keys.len() < files {
        return Err(format!("only {} of {} bench products are in the emulated bucket", keys.len(), uris.len()));
    }
    let s3_items = |dir: &Path| -> Vec<DownloadItem> {
        keys.iter()
            .map(|key| {
                let name = key.rsplit('/').next().unwrap_or(key).to_owned();
                DownloadItem::new(mast_download::Source::S3 { bucket: bucket.clone(), key: key.clone() }, dir, name)
            })
            .collect()
    };
    let cloud = Downloader::new(&cloud_client);
    let s3_seq_dir = root.fresh("s3-sequential")?;
    let (s3_seq, s3_seq_rss, seq_manifest) = timed(|| {
        rt.block_on(async {
            let mut manifest = Manifest::new();
            for item in s3_items(&s3_seq_dir) {
                manifest.push(cloud.download(item).await);
            }
            Ok(manifest)
        })
    })?;
    let s3_conc_dir = root.fresh("s3-concurrent")?;
    let (s3_conc, s3_conc_rss, conc_manifest) = timed(|| Ok(rt.block_on(cloud.download_all(s3_items(&s3_conc_dir)))))?;
    for manifest in [&seq_manifest, &conc_manifest] {
        if let Some(row) = manifest.iter().find(|r| r.status != Status::Complete || r.cached) {
            return Err(format!(
                "S3: {}: {:?} {}",
                row.local_path.display(),
                row.status,
                row.message.as_deref().unwrap_or("")
            ));
        }
    }
    if seq_manifest.bytes() != conc_manifest.bytes() {
        return Err(format!(
            "S3: {} bytes one at a time, {} concurrently",
            seq_manifest.bytes(),
            conc_manifest.bytes()
        ));
    }
    root.remove("s3-sequential");
    root.remove("s3-concurrent");
    println!(
        "download {files} S3 objects ({:.0} MB in all, 1-3 MB each), {latency_ms} ms/request: download_all ({DEFAULT_S3_CONCURRENCY}/bucket) {:.2} s, sequential loop {:.2} s: {:.2}x; peak RSS concurrent {s3_conc_rss:.0} MB, sequential {s3_seq_rss:.0} MB",
        conc_manifest.bytes() as f64 / 1_048_576.0,
        s3_conc.as_secs_f64(),
        s3_seq.as_secs_f64(),
        s3_seq.as_secs_f64() / s3_conc.as_secs_f64(),
    );
    println!(
        "  per object, sequential: {:.1} ms ({latency_ms} ms latency + the emulated bucket's transfer: s3s-fs streams an object at a few tens of MB/s, which bounds both sides)",
        s3_seq.as_secs_f64() * 1000.0 / files as f64
    );

    // (c) One big file, against curl on the same URL: `big_reps` rounds, curl and ours in
    // turn (so both meet the same page-cache and writeback state), best time of each.
    let url = format!("{base}/files/bench-big.fits?size={big}");
    let mb = big as f64 / 1_048_576.0;
    let curl = Command::new("curl").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    let has_curl = curl.is_ok_and(|s| s.success());
    if !has_curl {
        println!("  curl is not installed: skipping the curl comparison");
    }
    let (mut curl_best, mut ours_best, mut ours_rss) = (Duration::MAX, Duration::MAX, 0.0f64);
    for _ in 0..big_reps.max(1) {
        if has_curl {
            let dir = root.fresh("curl")?;
            let out = dir.join("bench-big.fits");
            let start = Instant::now();
            let status = Command::new("curl")
                .arg("-s")
                .arg("-o")
                .arg(&out)
                .arg(&url)
                .status()
                .map_err(|e| format!("could not run curl: {e}"))?;
            curl_best = curl_best.min(start.elapsed());
            let len = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
            if !status.success() || len != big {
                return Err(format!("curl failed ({status}) or wrote {len} bytes instead of {big}"));
            }
            root.remove("curl");
        }
        let dir = root.fresh("big")?;
        let item = DownloadItem::new(mast_download::Source::Url(url.clone()), &dir, "bench-big.fits").size(big);
        let (ours, rss, ()) = timed(|| {
            let row = rt.block_on(other.download(item));
            if row.status != Status::Complete || row.bytes != big {
                return Err(format!("big file: {:?} {}", row.status, row.message.as_deref().unwrap_or("")));
            }
            Ok(())
        })?;
        ours_best = ours_best.min(ours);
        ours_rss = ours_rss.max(rss);
        root.remove("big");
    }
    let ours_mbs = mb / ours_best.as_secs_f64();
    if has_curl {
        let curl_mbs = mb / curl_best.as_secs_f64();
        let ratio = ours_mbs / curl_mbs;
        println!(
            "download 1 file of {big_gb} GB over loopback, best of {big_reps}: ours {ours_mbs:.0} MB/s ({:.2} s, fsync included), curl {curl_mbs:.0} MB/s ({:.2} s, no fsync): {ratio:.2}x; our peak RSS {ours_rss:.0} MB",
            ours_best.as_secs_f64(),
            curl_best.as_secs_f64()
        );
        println!("target: >= {TARGET_CURL}x curl's MB/s: {}", verdict(ratio, TARGET_CURL));
        met &= ratio >= TARGET_CURL;
    } else {
        println!(
            "download 1 file of {big_gb} GB over loopback, best of {big_reps}: ours {ours_mbs:.0} MB/s ({:.2} s); our peak RSS {ours_rss:.0} MB",
            ours_best.as_secs_f64()
        );
    }
    let rss_met = ours_rss < TARGET_BIG_RSS_MB;
    println!("target: peak RSS < {TARGET_BIG_RSS_MB} MB for the big file: {}", if rss_met { "met" } else { "NOT met" });
    met &= rss_met;
    Ok(if check_targets && !met { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
