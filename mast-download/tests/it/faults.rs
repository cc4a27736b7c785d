//! Every fault kind of the emulator during a download: a correct file or an honest ERROR
//! row, never a wrong file under the final name.

use mast_download::{DownloadItem, Status};
use mast_emulator::{Fault, FaultRule, FileOptions};

use crate::util::*;

fn kinds() -> Vec<Fault> {
    Fault::every_kind(30)
}

/// Runs one download of a fresh URI under `rules` and checks the outcome.
async fn check(
    emu: &mast_emulator::Emulator,
    fault: &Fault,
    rules: Vec<FaultRule>,
    with_size: bool,
    must_succeed: bool,
) {
    let dir = tempfile::tempdir().unwrap();
    let uri = format!("mast:TEST/product/{fault:?}-{with_size}-{}.fits", rules[0].times.is_some()).replace(' ', "_");
    let size = emu.file_size(&uri);
    emu.set_faults(rules);
    let mut item = DownloadItem::new(uri.as_str(), dir.path(), "file.fits");
    if with_size {
        item = item.size(size);
    }
    let row = downloader(emu).download(item).await;
    emu.set_faults(Vec::new());
    let target = dir.path().join("file.fits");
    match row.status {
        Status::Complete => {
            assert_eq!(file_sha(&target), served(emu, &uri).await, "{fault:?}: wrong bytes under the final name");
            assert!(!part_of(&target).exists());
        }
        Status::Error => {
            assert!(!must_succeed, "{fault:?}: {:?}", row.message);
            assert!(!target.exists(), "{fault:?}: something under the final name after an error");
            let message = row.message.as_deref().unwrap();
            assert!(row.url.as_deref().unwrap().ends_with(&uri), "{fault:?}: {:?}", row.url);
            assert!(!message.is_empty());
        }
        Status::Skipped => panic!("{fault:?}: SKIPPED"),
    }
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
            check(&emu, &fault, rules, with_size, true).await;
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
            let slow = matches!(fault, Fault::SlowFirstByte { .. } | Fault::SlowBody { .. });
            let rules = vec![FaultRule::new("download", fault.clone())];
            check(&emu, &fault, rules, with_size, slow).await;
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
            check(&emu, &fault, rules, true, true).await;
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
