//! `kill -9` at any moment, then a rerun: the file is correct. The download runs in a child
//! process (this test binary again, running the ignored `child_downloader` test), which is
//! killed with SIGKILL at various moments; the rerun happens in this process.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mast_download::{Checksum, DownloadItem, Downloader, Source, Status};
use mast_emulator::{Fault, FaultRule};

use crate::util::*;

const URI: &str = "mast:TEST/product/killed-for-real.fits";

/// Run by the child process only.
#[test]
#[ignore = "run as a child process by kill_at_any_moment_then_rerun"]
fn child_downloader() {
    let (Ok(base), Ok(target), Ok(source)) = (
        std::env::var("MAST_DL_TEST_BASE"),
        std::env::var("MAST_DL_TEST_TARGET"),
        std::env::var("MAST_DL_TEST_SOURCE"),
    ) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = mast_proto::MastConfig::new().with_all_urls(&base).unwrap().with_retries(0);
        let client = mast_proto::MastClient::new(config).unwrap();
        let row = Downloader::new(&client).download(DownloadItem::to_path(source, PathBuf::from(target))).await;
        println!("child finished: {:?} {:?}", row.status, row.message);
    });
}

#[tokio::test]
async fn kill_at_any_moment_then_rerun() {
    let emu = emulator().await;
    let expected = served(&emu, URI).await;
    kill_and_rerun(&emu, Source::from(URI), "download", expected).await;
}

#[cfg(feature = "s3")]
#[tokio::test]
async fn kill_an_s3_download_at_any_moment_then_rerun() {
    let emu = emulator().await;
    let (uri, source) = crate::s3::cloud_product(&emu).await;
    let expected = served(&emu, &uri).await;
    kill_and_rerun(&emu, source, "s3:get", expected).await;
}

/// Downloads `source` in a child process killed with SIGKILL at ten moments (the answers of
/// `endpoint` slowed down so that kills land before, during and after the body), then again
/// here: the final name only ever holds the whole, right file.
async fn kill_and_rerun(emu: &mast_emulator::Emulator, source: Source, endpoint: &str, expected: (Checksum, u64)) {
    let size = expected.1;
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    // The body comes in 10 pieces over about 400 ms, so kills land before, during and after.
    emu.set_faults(vec![FaultRule::new(endpoint, Fault::SlowBody { millis: 400 })]);
    for (i, delay_ms) in [0u64, 5, 30, 80, 150, 220, 300, 380, 450, 700].into_iter().enumerate() {
        let target = dir.path().join(format!("k{i}.fits"));
        let mut child = Command::new(&exe)
            .args(["--ignored", "--exact", "kill::child_downloader", "--nocapture", "--test-threads=1"])
            .env("MAST_DL_TEST_BASE", emu.base_url())
            .env("MAST_DL_TEST_TARGET", &target)
            .env("MAST_DL_TEST_SOURCE", source.to_uri())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Start the clock once the child has a temporary file (or at once for the first).
        let wait_from = Instant::now();
        while delay_ms > 0 && !part_of(&target).exists() && wait_from.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let kept = std::fs::metadata(part_of(&target)).map(|m| m.len()).unwrap_or(0);
        let existed = target.exists();
        // Whatever the moment, the final name holds nothing or the whole, right file.
        if existed {
            assert_eq!(file_sha(&target), expected, "kill {i} after {delay_ms} ms");
        }
        let row = downloader(emu).download(DownloadItem::to_path(source.clone(), &target).size(size)).await;
        assert_eq!(row.status, Status::Complete, "kill {i}: {:?}", row.message);
        assert_eq!(file_sha(&target), expected, "kill {i} after {delay_ms} ms (kept {kept} bytes)");
        assert!(!part_of(&target).exists());
        println!(
            "kill {i} after {delay_ms} ms: kept {kept} of {size} bytes, final file {existed}, resumed from {}, cached {}",
            row.resumed_from, row.cached
        );
        if kept > 0 && !row.cached {
            assert!(row.resumed_from > 0 || kept < 1000, "kill {i}: kept {kept} bytes but restarted");
        }
    }
}
