//! Every fault kind of the emulator during a download: a correct file or an honest ERROR
//! row, never a wrong file under the final name.

use mast_download::{DownloadItem, Status};
use mast_emulator::{Fault, FaultRule, FileOptions};

use crate::util::*;

fn kinds() -> Vec<Fault> {
    Fault::every_kind(30)
}

/// Retries of the test client ([`downloader`]): a fault that never goes away is met by
/// this many attempts plus the first.
const RETRIES: u64 = 5;

/// The class a persistent `fault` ends with on the manifest row, or `None` when the fault
/// only slows the answer down and the download completes.
fn final_class(fault: &Fault) -> Option<&'static str> {
    match fault {
        Fault::Status { .. } => Some("HTTPError"),
        Fault::DropBeforeResponse | Fault::DropMidBody | Fault::TruncatedBody => Some("ConnectionError"),
        // Half the file announced as the whole (against the expected size), an HTML page.
        Fault::MalformedJson | Fault::HtmlErrorPage => Some("DownloadError"),
        Fault::SlowFirstByte { .. } | Fault::SlowBody { .. } => None,
        other => panic!("no expectation for {other:?}"),
    }
}

/// The `GET`s of the file the emulator saw (`HEAD`s, sent to arbitrate a size, apart).
fn gets(stats: &mast_emulator::Stats) -> u64 {
    stats.count("download") - stats.count("download:head")
}

/// What one download under fault rules came to, with what the emulator saw.
struct Outcome {
    row: mast_download::ManifestRow,
    stats: mast_emulator::Stats,
}

/// Runs one download of a fresh URI under `rules` and checks what must hold whatever the
/// outcome: a COMPLETE row holds the served bytes under the final name and no temporary
/// file; an ERROR row leaves nothing under the final name and names the URL. The caller
/// asserts which outcome it expects.
async fn run(emu: &mast_emulator::Emulator, fault: &Fault, rules: Vec<FaultRule>, with_size: bool) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let uri = format!("mast:TEST/product/{fault:?}-{with_size}-{}.fits", rules[0].times.is_some()).replace(' ', "_");
    let size = emu.file_size(&uri);
    emu.set_faults(rules);
    emu.reset_stats();
    let mut item = DownloadItem::new(uri.as_str(), dir.path(), "file.fits");
    if with_size {
        item = item.size(size);
    }
    let row = downloader(emu).download(item).await;
    let stats = emu.stats();
    emu.set_faults(Vec::new());
    let target = dir.path().join("file.fits");
    match row.status {
        Status::Complete => {
            assert_eq!(file_sha(&target), served(emu, &uri).await, "{fault:?}: wrong bytes under the final name");
            assert!(!part_of(&target).exists());
        }
        Status::Error => {
            assert!(!target.exists(), "{fault:?}: something under the final name after an error");
            assert!(row.url.as_deref().unwrap().ends_with(&uri), "{fault:?}: {:?}", row.url);
        }
        Status::Skipped => panic!("{fault:?}: SKIPPED"),
    }
    Outcome { row, stats }
}

#[tokio::test]
async fn transient_faults_end_with_the_right_file() {
    let emu = emulator().await;
    for fault in kinds() {
        for with_size in [true, false] {
            // A short body that announces its own (short) length cannot be told from a
            // complete one without the expected size: only the size-aware case applies.
            if fault == Fault::MalformedJson && !with_size {
                continue;
            }
            let rules = vec![FaultRule::new("download", fault.clone()).times(2)];
            let Outcome { row, stats } = run(&emu, &fault, rules, with_size).await;
            assert_eq!(row.status, Status::Complete, "{fault:?}: {:?}", row.message);
            if final_class(&fault).is_some() {
                // Two faulted requests (for a short body, the second is the HEAD that
                // arbitrates its size), then the one that worked.
                let seen = (stats.count("download"), stats.faults_injected);
                assert_eq!(seen, (3, 2), "{fault:?} (size {with_size}): {stats:?}");
            } else {
                // A slow answer is waited for, not retried.
                assert_eq!((gets(&stats), stats.faults_injected), (1, 1), "{fault:?} (size {with_size}): {stats:?}");
            }
        }
    }
}

#[tokio::test]
async fn persistent_faults_end_with_an_honest_error() {
    let emu = emulator().await;
    for fault in kinds() {
        for with_size in [true, false] {
            if fault == Fault::MalformedJson && !with_size {
                continue;
            }
            let rules = vec![FaultRule::new("download", fault.clone())];
            let Outcome { row, stats } = run(&emu, &fault, rules, with_size).await;
            let what = format!("{fault:?} (size {with_size})");
            // Every request was answered with the fault.
            assert_eq!(stats.faults_injected, stats.count("download"), "{what}: {stats:?}");
            let Some(class) = final_class(&fault) else {
                assert_eq!(row.status, Status::Complete, "{what}: {:?}", row.message);
                assert_eq!(gets(&stats), 1, "{what}: {stats:?}");
                continue;
            };
            assert_eq!(row.status, Status::Error, "{what}: a persistent fault cannot end COMPLETE");
            assert_eq!(gets(&stats), RETRIES + 1, "{what}: the first attempt and every retry: {stats:?}");
            let message = row.message.as_deref().unwrap();
            assert!(message.starts_with(&format!("{class}: ")), "{what}: {message}");
            assert_eq!(row.error.as_ref().map(|e| e.class_name()), Some(class), "{what}");
            if let Fault::Status { code, .. } = fault {
                assert!(message.contains(&format!(" {code} ")), "{what}: {message}");
            }
        }
    }
}

#[tokio::test]
async fn faults_on_resumed_requests_and_without_content_length() {
    let emu = emulator().await;
    for options in [FileOptions::default(), FileOptions { content_length: false, ..FileOptions::default() }] {
        emu.set_files(options);
        for fault in [Fault::DropMidBody, Fault::TruncatedBody, Fault::Status { code: 503, retry_after: None }] {
            // Let the first request be cut, then fault the Range requests that resume it.
            let rules = vec![
                FaultRule::new("download", Fault::TruncatedBody).times(1),
                FaultRule::new("download:range", fault.clone()).times(2),
            ];
            let Outcome { row, stats } = run(&emu, &fault, rules, true).await;
            assert_eq!(row.status, Status::Complete, "{fault:?}: {:?}", row.message);
            // The cut first request, then two faulted Range requests and the one that worked.
            let seen = (stats.count("download"), stats.count("download:range"), stats.faults_injected);
            assert_eq!(seen, (4, 3, 3), "{fault:?} ({options:?}): {stats:?}");
        }
    }
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    emu.set_faults(vec![FaultRule::new("download", Fault::Status { code: 403, retry_after: None })]);
    let row = downloader(&emu).download(DownloadItem::new("mast:HST/product/x.fits", dir.path(), "x.fits")).await;
    assert_eq!(row.status, Status::Error);
    assert!(row.message.as_deref().unwrap().starts_with("HTTPError: 403 Client Error: Forbidden for url: "));
    assert_eq!(emu.stats().count("download"), 1);
}

/// The `Retry-After` the emulator sends with its one refusal in the tests below.
pub const RETRY_AFTER_S: u64 = 1;

/// Asserts that the second request under `key` arrived at least [`RETRY_AFTER_S`] after the
/// first (refused) one, by the emulator's own arrival times. A lower bound only: the client
/// sleeps after it received the refusal, which came after the first arrival.
pub fn assert_waited(stats: &mast_emulator::Stats, key: &str) {
    let at = stats.arrivals(key);
    assert_eq!(at.len(), 2, "{key}: one refused request and one retry: {stats:?}");
    let gap = std::time::Duration::from_micros(at[1] - at[0]);
    assert!(gap >= std::time::Duration::from_secs(RETRY_AFTER_S), "{key}: retried {gap:?} after the refusal");
}

#[tokio::test]
async fn retry_after_is_waited_for_before_the_retry() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:TEST/product/retry-after.fits";
    emu.set_faults(vec![
        FaultRule::new("download", Fault::Status { code: 503, retry_after: Some(RETRY_AFTER_S) }).times(1),
    ]);
    let row = downloader(&emu).download(DownloadItem::new(uri, dir.path(), "r.fits")).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    let stats = emu.stats();
    assert_eq!((stats.count("download"), stats.faults_injected), (2, 1), "{stats:?}");
    assert_waited(&stats, "download");
    assert_eq!(file_sha(&dir.path().join("r.fits")), served(&emu, uri).await);
}
