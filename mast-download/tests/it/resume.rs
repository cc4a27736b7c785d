//! Resuming partial files: only from a prefix of the same file version.

use std::path::Path;

use mast_download::{DownloadItem, Downloader, Status};
use mast_emulator::{Emulator, Fault, FaultRule, FileOptions};
use serde_json::json;

use crate::util::*;

const OVERLAP: u64 = 64 * 1024;

#[tokio::test]
async fn a_truncated_body_is_resumed_with_range() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:TEST/product/resume.fits";
    let size = emu.file_size(uri);
    emu.set_faults(vec![FaultRule::new("download", Fault::TruncatedBody).times(1)]);
    let row = downloader(&emu).download(DownloadItem::new(uri, dir.path(), "resume.fits").size(size)).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    let s = emu.stats();
    assert_eq!((s.count("download"), s.count("download:range")), (2, 1), "{s:?}");
    let cut = size * 3 / 4;
    assert_eq!(row.resumed_from, cut);
    // The second request fetched only the rest plus the re-checked overlap.
    assert_eq!(s.bytes("download"), cut + (size - cut + OVERLAP));
    assert_eq!(row.bytes, s.bytes("download"));
    assert_eq!(file_sha(&dir.path().join("resume.fits")), served(&emu, uri).await);
}

/// Leaves `<target>.part` and its sidecar as an interrupted run (no retries) does; returns
/// the bytes kept (up to half the file: the connection is reset after half).
async fn interrupted(emu: &Emulator, uri: &str, target: &Path) -> u64 {
    emu.set_faults(vec![FaultRule::new("download", Fault::DropMidBody).times(1)]);
    let row = Downloader::new(&client(emu, 0)).download(DownloadItem::to_path(uri, target)).await;
    emu.set_faults(Vec::new());
    assert_eq!(row.status, Status::Error);
    assert!(row.message.as_deref().unwrap().starts_with("ConnectionError: "), "{:?}", row.message);
    assert!(!target.exists());
    let kept = std::fs::metadata(part_of(target)).unwrap().len();
    assert!(kept > 0 && kept <= emu.file_size(uri) / 2, "{kept}");
    assert!(meta_of(target).exists());
    kept
}

#[tokio::test]
async fn a_stale_partial_file_of_another_version_is_not_resumed() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:TEST/product/versioned.fits";
    let target = dir.path().join("v.fits");
    let size = emu.file_size(uri);
    interrupted(&emu, uri, &target).await;
    // The file changes on the server (same size, new bytes and ETag).
    emu.set_files(FileOptions { version: 1, ..FileOptions::default() });
    emu.reset_stats();
    let row = downloader(&emu).download(DownloadItem::to_path(uri, &target).size(size)).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    let s = emu.stats();
    // One Range request with If-Range; the server answered 200 with the whole new file.
    assert_eq!((s.count("download"), s.count("download:range")), (1, 1));
    assert_eq!(s.bytes("download"), size);
    assert_eq!(row.resumed_from, 0);
    assert_eq!(file_sha(&target), served(&emu, uri).await);
}

#[tokio::test]
async fn without_validators_the_tail_is_compared() {
    let emu = emulator().await;
    emu.set_files(FileOptions { validators: false, ..FileOptions::default() });
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:TEST/product/novalidators.fits";
    let target = dir.path().join("n.fits");
    let size = emu.file_size(uri);
    interrupted(&emu, uri, &target).await;
    emu.set_files(FileOptions { validators: false, version: 7, ..FileOptions::default() });
    emu.reset_stats();
    let row = downloader(&emu).download(DownloadItem::to_path(uri, &target)).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    let s = emu.stats();
    // A Range request whose re-read tail did not match, then a plain GET.
    assert_eq!((s.count("download"), s.count("download:range")), (2, 1));
    assert_eq!(file_sha(&target), served(&emu, uri).await);

    // Same version: the tail matches and the rest is appended.
    let other = dir.path().join("m.fits");
    let kept = interrupted(&emu, uri, &other).await;
    emu.reset_stats();
    let row = downloader(&emu).download(DownloadItem::to_path(uri, &other)).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    assert_eq!(row.resumed_from, kept);
    assert_eq!(emu.stats().bytes("download"), size - kept + OVERLAP.min(kept));
    assert_eq!(file_sha(&other), served(&emu, uri).await);
}

#[tokio::test]
async fn a_server_that_ignores_range_restarts_cleanly() {
    let emu = emulator().await;
    emu.set_files(FileOptions { ranges: false, ..FileOptions::default() });
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:TEST/product/norange.fits";
    let size = emu.file_size(uri);
    emu.set_faults(vec![FaultRule::new("download", Fault::TruncatedBody).times(1)]);
    let row = downloader(&emu).download(DownloadItem::new(uri, dir.path(), "r.fits").size(size)).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    assert_eq!(emu.stats().bytes("download"), size * 3 / 4 + size);
    assert_eq!(file_sha(&dir.path().join("r.fits")), served(&emu, uri).await);
}

/// Writes what a killed run leaves: `prefix` as `<target>.part` and a sidecar.
fn leave_partial(target: &Path, prefix: &[u8], sidecar: Option<serde_json::Value>) {
    std::fs::write(part_of(target), prefix).unwrap();
    if let Some(v) = sidecar {
        std::fs::write(meta_of(target), v.to_string()).unwrap();
    }
}

async fn sidecar(emu: &Emulator, uri: &str) -> serde_json::Value {
    let url = format!("{}/api/v0.1/Download/file?uri={uri}", emu.base_url());
    let r = reqwest::Client::new().head(&url).send().await.unwrap();
    let h = |k: &str| r.headers()[k].to_str().unwrap().to_owned();
    json!({"version": 1, "url": url, "etag": h("etag"), "last_modified": h("last-modified"), "size": emu.file_size(uri)})
}

#[tokio::test]
async fn kill_and_rerun_states() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:TEST/product/killed.fits";
    let size = emu.file_size(uri);
    let content = emu.file_content(uri).bytes(0..size);
    let dl = downloader(&emu);
    let meta = sidecar(&emu, uri).await;
    let expected = served(&emu, uri).await;

    // Killed mid-body: prefix + sidecar → resumed.
    let t = dir.path().join("a.fits");
    leave_partial(&t, &content[..300_000], Some(meta.clone()));
    emu.reset_stats();
    let row = dl.download(DownloadItem::to_path(uri, &t).size(size)).await;
    assert_eq!((row.status, row.resumed_from), (Status::Complete, 300_000));
    assert_eq!(emu.stats().bytes("download"), size - 300_000 + OVERLAP);
    assert_eq!(file_sha(&t), expected);

    // Killed after the last byte, before the rename: only the overlap is fetched again.
    let t = dir.path().join("b.fits");
    leave_partial(&t, &content, Some(meta.clone()));
    emu.reset_stats();
    let row = dl.download(DownloadItem::to_path(uri, &t).size(size)).await;
    assert_eq!(row.status, Status::Complete);
    assert_eq!(emu.stats().bytes("download"), OVERLAP);
    assert_eq!(file_sha(&t), expected);

    // Killed before the sidecar was written: the bytes are not trusted.
    let t = dir.path().join("c.fits");
    leave_partial(&t, &content[..300_000], None);
    emu.reset_stats();
    let row = dl.download(DownloadItem::to_path(uri, &t).size(size)).await;
    assert_eq!((row.status, row.resumed_from), (Status::Complete, 0));
    assert_eq!(emu.stats().count("download:range"), 0);
    assert_eq!(file_sha(&t), expected);

    // A damaged sidecar, or one for another URL: start over.
    for bad in [json!({"version": 1, "url": 5}), json!({"url": "x"}), {
        let mut m = meta.clone();
        m["url"] = "http://elsewhere/x".into();
        m
    }] {
        let t = dir.path().join("d.fits");
        let _ = std::fs::remove_file(&t);
        leave_partial(&t, &content[..300_000], Some(bad));
        let row = dl.download(DownloadItem::to_path(uri, &t).size(size)).await;
        assert_eq!((row.status, row.resumed_from), (Status::Complete, 0));
        assert_eq!(file_sha(&t), expected);
    }

    // Garbage after the valid prefix (a crash that left junk): the tail check catches it.
    let t = dir.path().join("e.fits");
    let mut junk = content[..300_000].to_vec();
    junk.extend(std::iter::repeat_n(0u8, 1000));
    leave_partial(&t, &junk, Some(meta.clone()));
    emu.reset_stats();
    let row = dl.download(DownloadItem::to_path(uri, &t).size(size)).await;
    assert_eq!(row.status, Status::Complete);
    assert_eq!(emu.stats().count("download"), 2);
    assert_eq!(file_sha(&t), expected);

    // Longer than the file: discarded without asking for a range.
    let t = dir.path().join("f.fits");
    let mut long = content.to_vec();
    long.extend_from_slice(b"extra");
    leave_partial(&t, &long, Some(meta.clone()));
    emu.reset_stats();
    let row = dl.download(DownloadItem::to_path(uri, &t).size(size)).await;
    assert_eq!(row.status, Status::Complete);
    assert_eq!(emu.stats().count("download:range"), 0);
    assert_eq!(file_sha(&t), expected);
}
