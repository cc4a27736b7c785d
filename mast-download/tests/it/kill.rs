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

/// Run by the child process only; fails loudly when run without its environment.
#[test]
#[ignore = "run as a child process by kill_at_any_moment_then_rerun"]
fn child_downloader() {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: this test is run by kill::kill_and_rerun"))
    };
    let (base, target, source) = (var("MAST_DL_TEST_BASE"), var("MAST_DL_TEST_TARGET"), var("MAST_DL_TEST_SOURCE"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = mast_proto::MastConfig::new().with_all_urls(&base).unwrap().with_retries(0);
        let client = mast_proto::MastClient::new(config).unwrap();
        println!("{CHILD_STARTED}");
        let row = Downloader::new(&client).download(DownloadItem::to_path(source, PathBuf::from(target))).await;
        println!("child finished: {:?} {:?}", row.status, row.message);
    });
}

/// The line the child prints once it is about to download.
const CHILD_STARTED: &str = "child downloading";

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

/// How long the emulator takes to send the body: 10 pieces, each after a pause of a tenth.
const BODY_MS: u64 = 1500;

/// When a child is killed.
#[derive(Clone, Copy, Debug)]
enum Moment {
    /// At once after the spawn.
    AtOnce,
    /// This many milliseconds after the child's temporary file appeared.
    AfterPart(u64),
    /// As soon as the temporary file holds this many tenths of the file (pieces of the
    /// body): a kill that lands while the body is being written, with bytes on disk.
    AfterTenths(u64),
}

/// The ten moments: before and around the temporary file's creation, then mid-body.
const MOMENTS: [Moment; 10] = [
    Moment::AtOnce,
    Moment::AfterPart(5),
    Moment::AfterPart(30),
    Moment::AfterPart(80),
    Moment::AfterPart(150),
    Moment::AfterTenths(1),
    Moment::AfterTenths(2),
    Moment::AfterPart(450),
    Moment::AfterTenths(3),
    Moment::AfterTenths(4),
];

/// Downloads `source` in a child process killed with SIGKILL at the ten [`MOMENTS`] (the
/// answers of `endpoint` slowed down so that the body takes [`BODY_MS`], and every moment
/// comes well before its end, so each kill lands while the child runs), then again here:
/// the final name only ever holds the whole, right file, and every kill that left bytes
/// behind is resumed from them.
async fn kill_and_rerun(emu: &mast_emulator::Emulator, source: Source, endpoint: &str, expected: (Checksum, u64)) {
    let size = expected.1;
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    emu.set_faults(vec![FaultRule::new(endpoint, Fault::SlowBody { millis: BODY_MS })]);
    let mut kept_and_resumed = 0;
    for (i, moment) in MOMENTS.into_iter().enumerate() {
        let target = dir.path().join(format!("k{i}.fits"));
        let log = dir.path().join(format!("k{i}.log"));
        let mut child = Command::new(&exe)
            .args(["--ignored", "--exact", "kill::child_downloader", "--nocapture", "--test-threads=1"])
            .env("MAST_DL_TEST_BASE", emu.base_url())
            .env("MAST_DL_TEST_TARGET", &target)
            .env("MAST_DL_TEST_SOURCE", source.to_uri())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the child test process starts");
        let output = |mut child: std::process::Child| {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            format!("{}{}", std::fs::read_to_string(&log).unwrap_or_default(), String::from_utf8_lossy(&out.stderr))
        };
        // Wait for the moment, failing loudly if the child ends or never gets there.
        let kept_now = || std::fs::metadata(part_of(&target)).map(|m| m.len()).ok();
        let reached = |kept: Option<u64>| match moment {
            Moment::AtOnce => true,
            Moment::AfterPart(_) => kept.is_some(),
            Moment::AfterTenths(n) => kept.is_some_and(|k| k >= size * n / 10),
        };
        let wait_from = Instant::now();
        while !reached(kept_now()) {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("kill {i} ({moment:?}): the child ended ({status}) before the moment:\n{}", output(child));
            }
            if wait_from.elapsed() > Duration::from_secs(30) {
                panic!("kill {i} ({moment:?}): not reached after 30 s:\n{}", output(child));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if let Moment::AfterPart(ms) = moment {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("kill {i} ({moment:?}): the child had already ended ({status}):\n{}", output(child));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        assert_eq!(status.code(), None, "kill {i}: the child was ended by the signal, not by itself");
        let said = std::fs::read_to_string(&log).unwrap_or_default();
        let at_once = matches!(moment, Moment::AtOnce);
        assert!(at_once || said.contains(CHILD_STARTED), "kill {i}: the child did not start its download: {said}");
        let kept = kept_now().unwrap_or(0);
        if let Moment::AfterTenths(n) = moment {
            assert!(kept >= size * n / 10, "kill {i} ({moment:?}): kept only {kept} bytes");
        }
        // Killed before the body ended: never anything under the final name.
        assert!(!target.exists(), "kill {i} ({moment:?}): a final file before the body ended");
        let row = downloader(emu).download(DownloadItem::to_path(source.clone(), &target).size(size)).await;
        assert_eq!(row.status, Status::Complete, "kill {i}: {:?}", row.message);
        assert_eq!(file_sha(&target), expected, "kill {i} ({moment:?}), kept {kept} bytes");
        assert!(!part_of(&target).exists());
        assert!(!row.cached, "kill {i}");
        println!("kill {i} ({moment:?}): kept {kept} of {size} bytes, resumed from {}", row.resumed_from);
        // (A few bytes may be too few to be worth a range request.)
        assert!(row.resumed_from > 0 || kept < 1000, "kill {i} ({moment:?}): kept {kept} bytes but restarted");
        if row.resumed_from > 0 {
            kept_and_resumed += 1;
        }
    }
    // The point of the test: kills that landed while the body was being written, whose
    // bytes the rerun then reused (at least the four taken mid-body).
    let mid_body = MOMENTS.iter().filter(|m| matches!(m, Moment::AfterTenths(_))).count();
    assert!(kept_and_resumed >= mid_body, "only {kept_and_resumed} kills left bytes that were resumed");
}
