//! The downloader's default bounds, reached and not exceeded: MAST's hosts get
//! [`DEFAULT_PER_HOST_CONCURRENCY`] files at once, an S3 bucket [`DEFAULT_S3_CONCURRENCY`].
//! An emulator barrier holds the first requests until the bound is in flight (reached by
//! construction, or the barrier times out), and the latency keeps every answer in flight,
//! so a request beyond the bound would be seen; `max_concurrency` is what the emulator saw.

use std::time::Duration;

use mast_download::{DEFAULT_PER_HOST_CONCURRENCY, DownloadItem, Downloader, Status};

use mast_emulator::Barrier;

use crate::util::*;

#[tokio::test]
async fn mast_hosts_get_four_files_at_once() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let n = 3 * DEFAULT_PER_HOST_CONCURRENCY;
    let items: Vec<DownloadItem> = (0..n)
        .map(|i| {
            DownloadItem::new(format!("mast:TEST/product/limit_{i}.fits").as_str(), dir.path(), format!("{i}.fits"))
        })
        .collect();
    emu.set_latency(Duration::from_millis(200));
    emu.set_barriers(vec![Barrier::new("download", DEFAULT_PER_HOST_CONCURRENCY as u32)]);
    emu.reset_stats();
    // The default builder: MAST's limit comes from the host being the configured MAST base.
    let manifest = Downloader::new(&client(&emu, 5)).download_all(items).await;
    assert_eq!(manifest.count(Status::Complete), n, "{:?}", manifest.rows());
    let stats = emu.stats();
    assert_eq!(stats.count("download"), n as u64, "{stats:?}");
    assert_eq!(
        (stats.max_concurrency, stats.barriers_timed_out),
        (DEFAULT_PER_HOST_CONCURRENCY as u64, 0),
        "{stats:?}"
    );
}

#[cfg(feature = "s3")]
#[tokio::test]
async fn an_s3_bucket_gets_sixteen_objects_at_once() {
    use mast_download::{DEFAULT_S3_CONCURRENCY, Source};
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    // Small HST spectra (`_x1d`, up to 3 MB), most of which have a cloud copy, written when
    // the lookup names them: more objects than the bound, so some have to wait.
    let uris: Vec<String> = (0..24).map(|i| format!("mast:HST/product/lim{i:03}_x1d.fits")).collect();
    let keys: Vec<String> = client(&emu, 3).path_lookup(&uris).await.unwrap().into_iter().flatten().collect();
    assert!(keys.len() > DEFAULT_S3_CONCURRENCY, "{} cloud copies", keys.len());
    let items: Vec<DownloadItem> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let source = Source::S3 { bucket: emu.bucket().to_owned(), key: key.clone() };
            DownloadItem::new(source, dir.path(), format!("{i}.fits"))
        })
        .collect();
    emu.set_latency(Duration::from_millis(300));
    emu.set_barriers(vec![Barrier::new("s3:get", DEFAULT_S3_CONCURRENCY as u32)]);
    emu.reset_stats();
    let manifest = Downloader::new(&client(&emu, 5)).download_all(items).await;
    assert_eq!(manifest.count(Status::Complete), keys.len(), "{:?}", manifest.rows());
    let stats = emu.stats();
    assert_eq!(stats.count("s3:get"), keys.len() as u64, "{stats:?}");
    assert_eq!((stats.max_concurrency, stats.barriers_timed_out), (DEFAULT_S3_CONCURRENCY as u64, 0), "{stats:?}");
}
