//! The size policy (issue 11, points 3, 4 and 20): bodies with no length, the product list's
//! `size` as a hint, and one size per URI in the emulator, over real sockets.

use mast_download::{Checksum, DownloadItem, Source, Status};
use mast_emulator::{Emulator, Fault, FaultRule, FileOptions};
use mast_proto::{Mast, ServiceRequest};

use crate::util::*;

/// HTTP/1.0-style answers: no `Content-Length`, no chunks, the body ended by the close;
/// `HEAD`s announce the length when `head_length`.
fn close_delimited(emu: &Emulator, head_length: bool) {
    emu.set_files(FileOptions { close_delimited: true, content_length: head_length, ..FileOptions::default() });
}

fn stale(listed: u64, served: u64) -> String {
    format!("listed size {listed} bytes, server sent {served} bytes: the product list may be stale")
}

// ---- point 3: bodies with no length ------------------------------------------------------

/// A body ended by a close, cut after three quarters, with the listed size known: short, so
/// a transient error, resumed with one ranged request.
#[tokio::test]
async fn close_delimited_cut_is_resumed_to_the_listed_size() {
    let emu = emulator().await;
    close_delimited(&emu, true);
    let uri = "mast:TEST/product/cd-listed.fits";
    let size = emu.file_size(uri);
    let dir = tempfile::tempdir().unwrap();
    emu.set_faults(vec![FaultRule::new("download", Fault::TruncatedBody).times(1)]);
    let row = downloader(&emu).download(DownloadItem::new(uri, dir.path(), "a.fits").size(size)).await;
    emu.set_faults(Vec::new());
    assert_eq!((row.status, row.message.as_deref()), (Status::Complete, None));
    assert!(row.warnings.is_empty());
    assert_eq!(row.resumed_from, size * 3 / 4);
    let stats = emu.stats();
    assert_eq!(stats.faults_injected, 1);
    assert_eq!((stats.count("download:range"), stats.count("download:head")), (1, 0));
    assert_eq!(file_sha(&dir.path().join("a.fits")), served(&emu, uri).await);
}

/// The same cut with no listed size: the size comes from a `HEAD`, the body is short, the
/// rest is resumed.
#[tokio::test]
async fn close_delimited_cut_without_a_listed_size_is_measured_by_a_head() {
    let emu = emulator().await;
    close_delimited(&emu, true);
    let uri = "mast:TEST/product/cd-head.fits";
    let dir = tempfile::tempdir().unwrap();
    emu.set_faults(vec![FaultRule::new("download", Fault::TruncatedBody).times(1)]);
    let row = downloader(&emu).download(DownloadItem::new(uri, dir.path(), "a.fits")).await;
    emu.set_faults(Vec::new());
    assert_eq!((row.status, row.message.as_deref()), (Status::Complete, None));
    let stats = emu.stats();
    assert_eq!(stats.faults_injected, 1);
    assert_eq!((stats.count("download:head"), stats.count("download:range")), (1, 1));
    assert_eq!(file_sha(&dir.path().join("a.fits")), served(&emu, uri).await);
}

/// No length from the body, the caller or a `HEAD`: the file is kept, `COMPLETE`, and the
/// row says it is unverified (the reproduction: a close after part of the body is
/// indistinguishable from the end). A checksum verifies it instead.
#[tokio::test]
async fn close_delimited_without_any_size_is_kept_with_a_note() {
    let emu = emulator().await;
    close_delimited(&emu, false);
    let dl = downloader(&emu);
    let dir = tempfile::tempdir().unwrap();

    let uri = "mast:TEST/product/cd-unknown.fits";
    let size = emu.file_size(uri);
    let row = dl.download(DownloadItem::new(uri, dir.path(), "whole.fits")).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    let message = row.message.as_deref().unwrap();
    assert!(message.starts_with("size unknown: not verified"), "{message}");
    assert!(message.contains(&format!("{size} bytes received")), "{message}");
    assert_eq!(row.warnings.len(), 1);
    let warning = row.warnings[0].to_string();
    assert!(warning.starts_with("InputWarning: ") && warning.contains("whole.fits: size unknown"), "{warning}");
    assert_eq!(emu.stats().count("download:head"), 1, "a HEAD was asked for the size");
    assert_eq!(file_sha(&dir.path().join("whole.fits")), served(&emu, uri).await);

    // Cut by an orderly close: kept too (nothing can tell), but the row says so.
    let uri = "mast:TEST/product/cd-cut.fits";
    let size = emu.file_size(uri);
    emu.set_faults(vec![FaultRule::new("download", Fault::TruncatedBody).times(1)]);
    let row = dl.download(DownloadItem::new(uri, dir.path(), "cut.fits")).await;
    emu.set_faults(Vec::new());
    assert_eq!(emu.stats().faults_injected, 1);
    assert_eq!(row.status, Status::Complete);
    let kept = std::fs::metadata(dir.path().join("cut.fits")).unwrap().len();
    assert_eq!(kept, size * 3 / 4);
    let message = row.message.unwrap();
    assert!(message.starts_with("size unknown: not verified") && message.contains(&kept.to_string()), "{message}");

    // More bytes than listed, and no length to check them against: kept, unverified.
    let uri = "mast:TEST/product/cd-more.fits";
    let size = emu.file_size(uri);
    let row = dl.download(DownloadItem::new(uri, dir.path(), "more.fits").size(1000)).await;
    assert_eq!(row.status, Status::Complete);
    assert_eq!(
        row.message.as_deref(),
        Some(
            format!(
                "listed size 1000 bytes, received {size} bytes with no length from the server: size not verified; \
                 the product list may be stale"
            )
            .as_str()
        )
    );

    // A checksum verifies what the length cannot.
    let uri = "mast:TEST/product/cd-sum.fits";
    let (sha, _) = served(&emu, uri).await;
    let row = dl.download(DownloadItem::new(uri, dir.path(), "sum.fits").checksum(sha)).await;
    assert_eq!((row.status, row.message.as_deref()), (Status::Complete, None));
    assert!(row.warnings.is_empty());
    let _: Checksum = sha;
}

/// An unclean end (a TCP reset in a body ended by a close) is a transient error: retried,
/// never a complete file; when it does not go away, an honest ERROR with nothing saved.
#[tokio::test]
async fn reset_in_a_close_delimited_body_is_an_error() {
    let emu = emulator().await;
    close_delimited(&emu, false);
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:TEST/product/cd-reset.fits";
    emu.set_faults(vec![FaultRule::new("download", Fault::DropMidBody).times(2)]);
    let row = downloader(&emu).download(DownloadItem::new(uri, dir.path(), "a.fits")).await;
    emu.set_faults(Vec::new());
    assert_eq!(emu.stats().faults_injected, 2);
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    // Resumed with a 206, whose Content-Range total verified the size.
    assert!(row.resumed_from > 0);
    assert_eq!(row.message, None);
    assert_eq!(file_sha(&dir.path().join("a.fits")), served(&emu, uri).await);

    emu.reset_stats();
    let uri = "mast:TEST/product/cd-reset-always.fits";
    emu.set_faults(vec![FaultRule::new("download", Fault::DropMidBody)]);
    let row = Downloader::new(&client(&emu, 2)).download(DownloadItem::new(uri, dir.path(), "b.fits")).await;
    emu.set_faults(Vec::new());
    assert_eq!(emu.stats().faults_injected, 3, "one attempt and two retries");
    assert_eq!(row.status, Status::Error);
    assert!(matches!(row.error, Some(mast_download::Error::Proto(_))), "{:?}", row.error);
    assert!(!dir.path().join("b.fits").exists());
}

use mast_download::Downloader;

// ---- point 4: the listed size is a hint ---------------------------------------------------

/// A listed size the server contradicts (its `Content-Length`, confirmed by its `HEAD`): the
/// file is saved, `COMPLETE`, with the disagreement in `Message` and as a warning; the next
/// run keeps it after one `HEAD`.
#[tokio::test]
async fn listed_size_is_a_hint_and_the_transport_decides() {
    let emu = emulator().await;
    let dl = downloader(&emu);
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:TEST/product/stale.fits";
    let size = emu.file_size(uri);
    let item = DownloadItem::new(uri, dir.path(), "stale.fits").size(207_360);
    let row = dl.download(item.clone()).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    assert_eq!(row.message.as_deref(), Some(stale(207_360, size).as_str()));
    assert_eq!(row.warnings.len(), 1);
    assert!(row.warnings[0].message.ends_with(&stale(207_360, size)));
    assert_eq!(file_sha(&dir.path().join("stale.fits")), served(&emu, uri).await);
    let stats = emu.stats();
    assert_eq!((stats.count("download"), stats.count("download:head")), (3, 1), "GET, HEAD, the reference GET");

    // The cache: a file of another size than listed is kept when the server says its size.
    let row = dl.download(item).await;
    assert!(row.cached);
    assert_eq!((row.status, row.message.as_deref()), (Status::Complete, Some(stale(207_360, size).as_str())));
    let stats = emu.stats();
    assert_eq!((stats.count("download"), stats.count("download:head")), (4, 2), "one HEAD, no GET");

    // Chunked bodies (a marked end, no length) too.
    emu.set_files(FileOptions { content_length: false, ..FileOptions::default() });
    let row = dl.download(DownloadItem::new(uri, dir.path(), "chunked.fits").size(size + 1)).await;
    assert_eq!((row.status, row.message.as_deref()), (Status::Complete, Some(stale(size + 1, size).as_str())));
}

/// The total of a `206` is the transport's size too: a cut body resumed against a stale
/// listed size ends `COMPLETE` with the note.
#[tokio::test]
async fn listed_size_disagreeing_with_a_resumed_answer_is_reported() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:TEST/product/stale-resumed.fits";
    let size = emu.file_size(uri);
    emu.set_faults(vec![FaultRule::new("download", Fault::TruncatedBody).times(1)]);
    let row = downloader(&emu).download(DownloadItem::new(uri, dir.path(), "a.fits").size(size - 2880)).await;
    emu.set_faults(Vec::new());
    assert_eq!(emu.stats().count("download:range"), 1);
    assert!(row.resumed_from > 0);
    assert_eq!((row.status, row.message.as_deref()), (Status::Complete, Some(stale(size - 2880, size).as_str())));
    assert_eq!(file_sha(&dir.path().join("a.fits")), served(&emu, uri).await);
}

/// The transport checks stay: a `Content-Length` that the server's own `HEAD` contradicts
/// (half the file announced as the whole) is not saved; the retry gets the file.
#[tokio::test]
async fn a_body_the_head_contradicts_is_retried() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:TEST/product/half.fits";
    let size = emu.file_size(uri);
    emu.set_faults(vec![FaultRule::new("download", Fault::MalformedJson).times(1)]);
    let row = downloader(&emu).download(DownloadItem::new(uri, dir.path(), "a.fits").size(size)).await;
    emu.set_faults(Vec::new());
    let stats = emu.stats();
    assert_eq!((stats.faults_injected, stats.count("download:head")), (1, 1));
    assert_eq!((row.status, row.message.as_deref()), (Status::Complete, None));
    assert_eq!(file_sha(&dir.path().join("a.fits")), served(&emu, uri).await);

    // When it does not go away: an honest error, nothing under the final name.
    emu.set_faults(vec![FaultRule::new("download", Fault::MalformedJson)]);
    let row = downloader(&emu).download(DownloadItem::new(uri, dir.path(), "b.fits").size(size)).await;
    emu.set_faults(Vec::new());
    assert_eq!(row.status, Status::Error);
    assert!(matches!(row.error, Some(mast_download::Error::SizeMismatch { .. })), "{:?}", row.error);
    assert!(!dir.path().join("b.fits").exists());
}

/// The same policy for S3: the object's size is trusted over a stale listed size.
#[cfg(feature = "s3")]
#[tokio::test]
async fn s3_listed_size_is_a_hint() {
    let emu = emulator().await;
    let uri = "mast:HST/product/u9o40504m_c3m.fits";
    let key = client(&emu, 3).path_lookup(&[uri]).await.unwrap().remove(0).expect("a cloud copy");
    let source = Source::S3 { bucket: emu.bucket().to_owned(), key };
    let dir = tempfile::tempdir().unwrap();
    let row = downloader(&emu).download(DownloadItem::new(source, dir.path(), "c3m.fits").size(1000)).await;
    assert_eq!((row.status, row.message.as_deref()), (Status::Complete, Some(stale(1000, 207_360).as_str())));
    assert_eq!(emu.stats().count("s3:get"), 1);
    assert_eq!(file_sha(&dir.path().join("c3m.fits")), served(&emu, uri).await);
}

// ---- point 20: one size per URI in the emulator -------------------------------------------

/// The README's flow: a product list saved as CSV, read back, and downloaded from another,
/// fresh emulator (which never listed the products): every file `COMPLETE`, with no size
/// disagreement.
#[tokio::test]
async fn product_list_csv_downloads_from_a_fresh_emulator() {
    // One observation of every generated collection.
    let mut obsids: Vec<(&str, i64)> = Vec::new();
    for step in 0..200 {
        let cone = mast_emulator::sky::search(1.7 * f64::from(step), 0.5, 0.3, None, 42).unwrap();
        for obsid in cone.obsids() {
            let o = mast_emulator::sky::observation(obsid, 42).unwrap();
            if !obsids.iter().any(|(c, _)| *c == o.obs_collection) {
                obsids.push((o.obs_collection, obsid));
            }
        }
        if obsids.len() == 8 {
            break;
        }
    }
    assert_eq!(obsids.len(), 8, "{obsids:?}");
    let lister = emulator().await;
    let ids: Vec<String> = obsids.iter().map(|(_, id)| id.to_string()).collect();
    let request = ServiceRequest::new("Mast.Caom.Products").param("obsid", ids.join(","));
    let products = Mast::new(client(&lister, 3)).service_request(request).await.unwrap();
    let csv = products.to_csv();
    let table = mast_proto::Table::from_csv(&csv).unwrap();

    let fresh = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let (uris, sizes, collections) =
        (table.column("dataURI").unwrap(), table.column("size").unwrap(), table.column("obs_collection").unwrap());
    let mut items = Vec::new();
    let mut seen = Vec::new();
    for i in 0..table.num_rows() {
        let size = u64::try_from(sizes.get_i64(i).unwrap()).unwrap();
        // The small files (every observation has a preview of at most 900 kB).
        if size > 1_000_000 {
            continue;
        }
        let uri = uris.get_str(i).unwrap();
        let name = uri.rsplit('/').next().unwrap();
        items.push(DownloadItem::new(uri, dir.path(), name).size(size));
        seen.push(collections.get_str(i).unwrap().to_owned());
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 8, "small products of every collection: {seen:?}");
    let manifest = downloader(&fresh).download_all(items.clone()).await;
    for (row, item) in manifest.rows().iter().zip(&items) {
        assert_eq!((row.status, row.message.as_deref()), (Status::Complete, None), "{:?}", item.source());
        assert_eq!(std::fs::metadata(&row.local_path).unwrap().len(), item.expected_size().unwrap());
    }
    assert_eq!(manifest.warnings().count(), 0);
    let stats = fresh.stats();
    assert_eq!(stats.count("invoke"), 0, "the fresh emulator listed nothing");
    assert_eq!(stats.count("download"), items.len() as u64, "one GET per file, no HEAD");
}
