//! Plain downloads: the bytes on disk are the server's.

use std::sync::{Arc, Mutex};

use mast_download::{DownloadItem, Downloader, ProgressEvent, Status};
use mast_emulator::FileOptions;

use crate::util::*;

#[tokio::test]
async fn a_mast_uri_lands_with_the_servers_bytes() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:HST/product/u9o40504m_c3m.fits";
    let row = downloader(&emu).download(DownloadItem::new(uri, dir.path(), "HST/u9o40504m/u9o40504m_c3m.fits")).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    assert_eq!((row.message.as_deref(), row.url.as_deref(), row.cached), (None, None, false));
    let target = dir.path().join("HST/u9o40504m/u9o40504m_c3m.fits");
    assert_eq!(row.local_path, target);
    assert_eq!(row.bytes, 207_360);
    // One GET, no HEAD.
    let s = emu.stats();
    assert_eq!((s.count("download"), s.count("download:head"), s.count("download:range")), (1, 0, 0));
    assert_eq!(file_sha(&target), served(&emu, uri).await);
    assert_eq!(file_sha(&target).1, 207_360, "the recorded product's size");
    assert!(!part_of(&target).exists() && !meta_of(&target).exists(), "no temporary files left");
}

#[tokio::test]
async fn uris_are_escaped_as_astroquery_escapes_them() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:HST/product/a b+c?x=1&y.fits";
    let row = downloader(&emu).download(DownloadItem::new(uri, dir.path(), "a b+c?x=1&y.fits")).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    // The server saw the URI intact (its bytes and size derive from it).
    assert_eq!(file_sha(&dir.path().join("a b+c?x=1&y.fits")), served(&emu, uri).await);
    assert_eq!(file_sha(&dir.path().join("a b+c?x=1&y.fits")).1, emu.file_size(uri));
}

#[tokio::test]
async fn https_urls_and_paths_chosen_by_the_caller() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}/files/bench/a.bin?size=123457", emu.base_url());
    let target = dir.path().join("deep/er/a.bin");
    let row = downloader(&emu).download(DownloadItem::to_path(url.as_str(), &target).size(123_457)).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    assert_eq!(std::fs::metadata(&target).unwrap().len(), 123_457);
    let body = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), body);
    assert_eq!(emu.stats().bytes("files"), 2 * 123_457);
}

#[tokio::test]
async fn no_content_length_is_read_to_the_end_once() {
    let emu = emulator().await;
    emu.set_files(FileOptions { content_length: false, ..FileOptions::default() });
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:JWST/product/chunked.fits";
    let size = emu.file_size(uri);
    let dl = downloader(&emu);
    // Without an expected size: the end of the chunked body is the end of the file.
    let row = dl.download(DownloadItem::new(uri, dir.path(), "a.fits")).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    // With one: verified against it.
    let row = dl.download(DownloadItem::new(uri, dir.path(), "b.fits").size(size)).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    // A listed size the chunked body (whose end is marked) contradicts is a hint: the file
    // is saved and the disagreement reported, after one HEAD (which gives no length here).
    let row = dl.download(DownloadItem::new(uri, dir.path(), "c.fits").size(size + 1)).await;
    assert_eq!(row.status, Status::Complete);
    let stale = format!("listed size {} bytes, server sent {size} bytes: the product list may be stale", size + 1);
    assert_eq!(row.message.as_deref(), Some(stale.as_str()));
    let expected = served(&emu, uri).await;
    assert_eq!(file_sha(&dir.path().join("a.fits")), expected);
    assert_eq!(file_sha(&dir.path().join("b.fits")), expected);
    assert_eq!(file_sha(&dir.path().join("c.fits")), expected);
    // 1 + 1 + (1 + 1 HEAD) + the check above.
    assert_eq!(emu.stats().count("download"), 5);
    assert_eq!(emu.stats().count("download:head"), 1);
}

#[tokio::test]
async fn progress_events_add_up() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let dl = Downloader::builder(&client(&emu, 5)).on_progress(move |e| sink.lock().unwrap().push(e.clone())).build();
    let uris = ["mast:HST/product/p1.fits", "mast:HST/product/p2.fits"];
    let items = uris.iter().map(|u| DownloadItem::new(*u, dir.path(), &u[17..]));
    let manifest = dl.download_all(items).await;
    assert_eq!(manifest.count(Status::Complete), 2);
    let events = events.lock().unwrap();
    for (uri, row) in uris.iter().zip(manifest.rows()) {
        let size = emu.file_size(uri);
        let mine: Vec<&ProgressEvent> = events
            .iter()
            .filter(|e| match e {
                ProgressEvent::Started { path, .. }
                | ProgressEvent::Bytes { path, .. }
                | ProgressEvent::Finished { path, .. } => *path == row.local_path,
                _ => false,
            })
            .collect();
        assert!(
            matches!(mine.first(), Some(ProgressEvent::Started { total: Some(t), resumed_from: 0, .. }) if *t == size)
        );
        assert!(
            matches!(mine.last(), Some(ProgressEvent::Finished { status: Status::Complete, bytes, .. }) if *bytes == size)
        );
        let sum: u64 = mine.iter().map(|e| if let ProgressEvent::Bytes { n, .. } = e { *n } else { 0 }).sum();
        assert_eq!(sum, size);
    }
}

#[tokio::test]
async fn a_file_larger_than_the_background_flush_interval_is_intact() {
    // 150 MB: two background flushes start while the body is still arriving.
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let size: u64 = 150 << 20;
    let url = format!("{}/files/big.bin?size={size}", emu.base_url());
    let target = dir.path().join("big.bin");
    let row = downloader(&emu).download(DownloadItem::to_path(url.as_str(), &target).size(size)).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    let body = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    assert_eq!(file_sha(&target), (mast_download::Checksum::sha256_of(&body), size));
    assert!(!part_of(&target).exists() && !meta_of(&target).exists());
}
