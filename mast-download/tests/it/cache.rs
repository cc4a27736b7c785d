//! Local first: a file complete on disk costs no request.

use mast_download::{Checksum, DownloadItem, Downloader, Status};

use crate::util::*;

#[tokio::test]
async fn a_complete_file_with_the_expected_size_sends_no_request() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:HST/product/u9o40504m_c3t.fits";
    let dl = downloader(&emu);
    let item = DownloadItem::new(uri, dir.path(), "HST/c3t.fits").size(210_240);
    assert_eq!(dl.download(item.clone()).await.status, Status::Complete);
    emu.reset_stats();
    let row = dl.download(item.clone()).await;
    // astroquery reports a cached file as COMPLETE with no message.
    assert_eq!((row.status, row.message.as_deref(), row.url.as_deref()), (Status::Complete, None, None));
    assert!(row.cached);
    assert_eq!(row.bytes, 0);
    assert_eq!(emu.stats().total, 0, "no request for a cached file");

    // With a checksum that matches: still no request.
    let (sha, _) = file_sha(&dir.path().join("HST/c3t.fits"));
    let row = dl.download(item.clone().checksum(sha)).await;
    assert!(row.cached);
    assert_eq!(emu.stats().total, 0);

    // A batch of cached files: no request either.
    let manifest = dl.download_all(vec![item.clone(), item.clone()]).await;
    assert_eq!(manifest.count(Status::Complete), 2);
    assert!(manifest.iter().all(|r| r.cached));
    assert_eq!(emu.stats().total, 0);
}

#[tokio::test]
async fn a_file_of_the_wrong_size_or_checksum_is_downloaded_again() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:HST/product/u9o40504m_cgr.fits";
    let target = dir.path().join("cgr.fits");
    let dl = downloader(&emu);
    std::fs::write(&target, b"not the file").unwrap();
    let row = dl.download(DownloadItem::to_path(uri, &target).size(31_680)).await;
    assert_eq!((row.status, row.cached), (Status::Complete, false));
    assert_eq!(file_sha(&target), served(&emu, uri).await);

    // Right size, wrong content, checksum given: downloaded again and verified.
    let (sha, _) = file_sha(&target);
    std::fs::write(&target, vec![0u8; 31_680]).unwrap();
    emu.reset_stats();
    let row = dl.download(DownloadItem::to_path(uri, &target).size(31_680).checksum(sha)).await;
    assert_eq!((row.status, row.cached), (Status::Complete, false));
    assert_eq!(emu.stats().count("download"), 1);
    assert_eq!(file_sha(&target).0, sha);

    // A checksum the server's file does not have: an honest error, the old file stays.
    let wrong = Checksum::sha256_of(b"something else");
    emu.reset_stats();
    let row = Downloader::new(&client(&emu, 1)).download(DownloadItem::to_path(uri, &target).checksum(wrong)).await;
    assert_eq!(row.status, Status::Error);
    assert!(row.message.as_deref().unwrap().starts_with("DownloadError: "), "{:?}", row.message);
    assert_eq!(file_sha(&target).0, sha, "the previous complete file is untouched");
}

#[tokio::test]
async fn without_an_expected_size_one_head_decides() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:HST/product/u9o40504m_dgr.fits";
    let target = dir.path().join("dgr.fits");
    let dl = downloader(&emu);
    assert_eq!(dl.download(DownloadItem::to_path(uri, &target)).await.status, Status::Complete);
    emu.reset_stats();
    let row = dl.download(DownloadItem::to_path(uri, &target)).await;
    assert!(row.cached);
    let s = emu.stats();
    assert_eq!((s.count("download:head"), s.count("download"), s.bytes("download")), (1, 1, 0));

    // Different length on the server: downloaded again.
    std::fs::write(&target, b"short").unwrap();
    emu.reset_stats();
    let row = dl.download(DownloadItem::to_path(uri, &target)).await;
    assert_eq!((row.status, row.cached), (Status::Complete, false));
    assert_eq!((emu.stats().count("download:head"), emu.stats().count("download")), (1, 2));
    assert_eq!(file_sha(&target), served(&emu, uri).await);
}

#[tokio::test]
async fn cache_off_downloads_again() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:HST/product/u9o40504j_jit.fits";
    let dl = Downloader::builder(&client(&emu, 5)).cache(false).build();
    let item = DownloadItem::new(uri, dir.path(), "jit.fits").size(25_920);
    assert_eq!(dl.download(item.clone()).await.status, Status::Complete);
    let row = dl.download(item).await;
    assert_eq!((row.status, row.cached, row.bytes), (Status::Complete, false, 25_920));
    assert_eq!(emu.stats().count("download"), 2);
}
