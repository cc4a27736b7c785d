//! One `Downloader` per `Observations`: MAST's limit of files at once per host holds across
//! concurrent download calls, not per call.

use std::time::Duration;

use mast_download::DEFAULT_PER_HOST_CONCURRENCY;
use mast_emulator::{Barrier, Emulator};
use mast_observations::{DownloadOptions, Layout};
use mast_proto::{Column, DataType, Table, Value};

use crate::{observations, sky};

/// A products table of `n` files (names `<tag>_<i>.fits`) with the columns
/// `download_products` reads, sized as the emulator serves them.
fn products(emulator: &Emulator, tag: &str, n: usize) -> Table {
    let uris: Vec<String> = (0..n).map(|i| format!("mast:TEST/product/{tag}_{i}.fits")).collect();
    let names: Vec<String> = (0..n).map(|i| format!("{tag}_{i}.fits")).collect();
    let sizes: Vec<i64> = uris.iter().map(|u| emulator.file_size(u) as i64).collect();
    let text = |name: &str, values: &[String]| {
        Column::from_values(name, DataType::String, values.iter().map(|v| Value::Str(v)))
    };
    Table::new(vec![
        text("dataURI", &uris),
        text("productFilename", &names),
        text("obs_collection", &vec!["TEST".to_owned(); n]),
        text("obs_id", &vec![tag.to_owned(); n]),
        Column::from_values("size", DataType::Int64, sizes.iter().map(|s| Value::Int(*s))),
    ])
    .unwrap()
}

#[tokio::test]
async fn concurrent_downloads_on_one_observations_share_the_per_host_limit() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    // The first files are held until MAST's limit is in flight (reached by construction, or
    // the barrier times out); each request stays in flight for at least the latency, so a
    // file beyond the limit (a downloader per call) would be seen.
    emulator.set_latency(Duration::from_millis(150));
    emulator.set_barriers(vec![Barrier::new("download", DEFAULT_PER_HOST_CONCURRENCY as u32)]);
    let (a, b) = (products(&emulator, "first", 8), products(&emulator, "second", 8));
    let dir = tempfile::tempdir().unwrap();
    let options = |sub: &str| DownloadOptions::new().download_dir(dir.path().join(sub)).layout(Layout::Flat);
    let (options_a, options_b) = (options("a"), options("b"));
    emulator.reset_stats();
    // Two calls at once on one Observations and on a clone of it: one downloader for all.
    let other = obs.clone();
    let (done_a, done_b) = tokio::join!(obs.download_products(&a, &options_a), other.download_products(&b, &options_b));
    let (done_a, done_b) = (done_a.unwrap(), done_b.unwrap());
    for done in [&done_a, &done_b] {
        assert_eq!(done.manifest.len(), 8);
        assert!(done.manifest.iter().all(|r| r.status.as_str() == "COMPLETE" && !r.cached), "{:?}", done.manifest);
    }
    let stats = emulator.stats();
    assert_eq!(stats.count("download"), 16, "{stats:?}");
    assert_eq!(stats.total, 16, "only downloads were measured: {stats:?}");
    assert_eq!(stats.barriers_timed_out, 0, "MAST's limit was reached: {stats:?}");
    assert_eq!(
        stats.max_concurrency,
        DEFAULT_PER_HOST_CONCURRENCY as u64,
        "MAST's limit holds for both calls together (a downloader per call would allow {}): {stats:?}",
        2 * DEFAULT_PER_HOST_CONCURRENCY
    );
}

/// The same `dataURI` listed several times (under other names too) is downloaded once and
/// reported once.
#[tokio::test]
async fn download_products_sends_each_data_uri_once() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    let uri = |i: usize| format!("mast:TEST/product/dup_{i}.fits");
    // Products 0, 1, 2, then 1 and 0 again, the repeats under other file names.
    let listed = [
        (uri(0), "dup_0.fits"),
        (uri(1), "dup_1.fits"),
        (uri(2), "dup_2.fits"),
        (uri(1), "again_1.fits"),
        (uri(0), "again_0.fits"),
    ];
    let n = listed.len();
    let text = |name: &str, values: Vec<String>| {
        Column::from_values(name, DataType::String, values.iter().map(|v| Value::Str(v)))
    };
    let table = Table::new(vec![
        text("dataURI", listed.iter().map(|(u, _)| u.clone()).collect()),
        text("productFilename", listed.iter().map(|(_, f)| (*f).to_owned()).collect()),
        text("obs_collection", vec!["TEST".to_owned(); n]),
        text("obs_id", vec!["dup".to_owned(); n]),
        Column::from_values(
            "size",
            DataType::Int64,
            listed.iter().map(|(u, _)| Value::Int(emulator.file_size(u) as i64)),
        ),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    emulator.reset_stats();
    let options = DownloadOptions::new().download_dir(dir.path()).layout(Layout::Flat);
    let done = obs.download_products(&table, &options).await.unwrap();
    assert_eq!(done.manifest.len(), 3, "{:?}", done.manifest);
    assert!(done.manifest.iter().all(|r| r.status.as_str() == "COMPLETE" && !r.cached), "{:?}", done.manifest);
    let stats = emulator.stats();
    assert_eq!(stats.count("download"), 3, "one request per distinct dataURI: {stats:?}");
    assert!(!dir.path().join("again_0.fits").exists() && !dir.path().join("again_1.fits").exists());
}
