//! `s3://` sources against the emulator's S3 bucket (s3s-fs behind the emulator's faults):
//! the same bytes as over HTTPS, retries, resume, honest errors, fallback.

use mast_download::{CloudStore, DownloadItem, Error, Source, Status};
use mast_emulator::{Fault, FaultRule};

use crate::util::*;

/// The bytes a resume re-reads before the kept end (`Range: bytes=<kept - 64 KiB>-`).
const OVERLAP: u64 = 64 * 1024;

/// A product with a cloud copy: its `mast:` URI and its `s3://` source.
pub async fn cloud_product(emu: &mast_emulator::Emulator) -> (String, Source) {
    let uri = "mast:HST/product/u9o40504m_c3m.fits".to_owned();
    let client = client(emu, 3);
    let key = client.path_lookup(&[uri.as_str()]).await.unwrap().remove(0).expect("a cloud copy");
    (uri, Source::S3 { bucket: emu.bucket().to_owned(), key })
}

#[tokio::test]
async fn cloud_copy_equals_the_https_file() {
    let emu = emulator().await;
    let (uri, source) = cloud_product(&emu).await;
    let dir = tempfile::tempdir().unwrap();
    emu.reset_stats();
    let row = downloader(&emu).download(DownloadItem::new(source, dir.path(), "c3m.fits")).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    assert_eq!(file_sha(&dir.path().join("c3m.fits")), served(&emu, &uri).await);
    assert_eq!(emu.stats().count("s3:get"), 1);
    assert_eq!(emu.stats().count("download"), 1, "only the reference fetch of `served` went over HTTPS");
    assert!(!part_of(&dir.path().join("c3m.fits")).exists());
}

#[tokio::test]
async fn s3_faults_are_retried_and_never_leave_a_wrong_file() {
    let emu = emulator().await;
    let (uri, source) = cloud_product(&emu).await;
    let expected = served(&emu, &uri).await;
    for fault in Fault::every_kind(30) {
        for with_size in [true, false] {
            // Half the object announced as the whole (MalformedJson on a file) is only
            // detectable against an expected size.
            if fault == Fault::MalformedJson && !with_size {
                continue;
            }
            let dir = tempfile::tempdir().unwrap();
            emu.set_faults(vec![FaultRule::new("s3:get", fault.clone()).times(2)]);
            let item = DownloadItem::new(source.clone(), dir.path(), "f.fits");
            let item = if with_size { item.size(expected.1) } else { item };
            let row = downloader(&emu).download(item).await;
            emu.set_faults(Vec::new());
            assert_eq!(row.status, Status::Complete, "{fault:?} (size known: {with_size}): {:?}", row.message);
            assert_eq!(file_sha(&dir.path().join("f.fits")), expected, "{fault:?} (size known: {with_size})");
        }
    }
    // A fault that does not go away: an honest error, nothing under the final name.
    let dir = tempfile::tempdir().unwrap();
    emu.set_faults(vec![FaultRule::new("s3:get", Fault::Status { code: 503, retry_after: None })]);
    let row = downloader(&emu).download(DownloadItem::new(source.clone(), dir.path(), "f.fits")).await;
    emu.set_faults(Vec::new());
    assert_eq!(row.status, Status::Error);
    assert!(matches!(row.error, Some(Error::S3 { .. })), "{:?}", row.error);
    assert!(!dir.path().join("f.fits").exists());
}

#[tokio::test]
async fn a_cut_object_is_resumed_with_a_range_request() {
    let emu = emulator().await;
    let (uri, source) = cloud_product(&emu).await;
    let expected = served(&emu, &uri).await;
    let dir = tempfile::tempdir().unwrap();
    emu.reset_stats();
    emu.set_faults(vec![FaultRule::new("s3:get", Fault::DropMidBody).times(1)]);
    let row = downloader(&emu).download(DownloadItem::new(source, dir.path(), "f.fits")).await;
    emu.set_faults(Vec::new());
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    assert_eq!(file_sha(&dir.path().join("f.fits")), expected);
    let size = expected.1;
    let stats = emu.stats();
    assert_eq!((stats.count("s3:get"), stats.count("s3:get:range"), stats.faults_injected), (2, 1, 1), "{stats:?}");
    // The cut sent half the object; the client kept at most that (a reset may lose what
    // was in flight) and more than the overlap it re-reads, so a resume is told from a
    // restart by the bytes sent.
    let kept = row.resumed_from;
    assert!(kept > OVERLAP && kept <= size / 2, "kept {kept} of {size}");
    // The ranged GET sent exactly the rest plus the re-checked overlap: a restart would
    // have sent the whole object again.
    assert_eq!(stats.bytes("s3"), size / 2 + (size - kept + OVERLAP), "{stats:?}");
}

#[tokio::test]
async fn retry_after_is_waited_for_before_the_s3_retry() {
    let emu = emulator().await;
    let (uri, source) = cloud_product(&emu).await;
    let expected = served(&emu, &uri).await;
    let dir = tempfile::tempdir().unwrap();
    emu.reset_stats();
    let retry_after = Some(crate::faults::RETRY_AFTER_S);
    emu.set_faults(vec![FaultRule::new("s3:get", Fault::Status { code: 503, retry_after }).times(1)]);
    let row = downloader(&emu).download(DownloadItem::new(source, dir.path(), "f.fits")).await;
    emu.set_faults(Vec::new());
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    let stats = emu.stats();
    assert_eq!((stats.count("s3:get"), stats.faults_injected), (2, 1), "{stats:?}");
    crate::faults::assert_waited(&stats, "s3:get");
    assert_eq!(file_sha(&dir.path().join("f.fits")), expected);
}

/// Kept bytes of an object that then changed in the bucket: the download starts over with
/// the new object, never splicing the two versions. (The emulator's bucket keeps the old
/// ETag for a file rewritten behind its back, so what catches the change here is the
/// re-read 64 KiB tail, not `If-Match`.)
#[tokio::test]
async fn a_changed_object_is_read_again_from_the_start() {
    let emu = emulator().await;
    let (_, source) = cloud_product(&emu).await;
    let Source::S3 { key, .. } = &source else { unreachable!() };
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("f.fits");
    // An interrupted run (no retries): half the object kept, with its ETag in the sidecar.
    emu.set_faults(vec![FaultRule::new("s3:get", Fault::DropMidBody).times(1)]);
    let row =
        mast_download::Downloader::new(&client(&emu, 0)).download(DownloadItem::to_path(source.clone(), &target)).await;
    emu.set_faults(Vec::new());
    assert_eq!(row.status, Status::Error, "{:?}", row.message);
    let kept = std::fs::metadata(part_of(&target)).unwrap().len();
    assert!(kept > OVERLAP, "{kept}");
    // The object changes: same size, other bytes (so another ETag).
    let object = emu.cloud_root().join(emu.bucket()).join(key);
    let mut bytes = std::fs::read(&object).unwrap();
    bytes.iter_mut().for_each(|b| *b = !*b);
    std::fs::write(&object, &bytes).unwrap();
    emu.reset_stats();
    let row = downloader(&emu).download(DownloadItem::to_path(source, &target)).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    assert_eq!(row.resumed_from, 0, "nothing of the old version is kept");
    assert_eq!(std::fs::read(&target).unwrap(), bytes, "the new object, whole");
    let stats = emu.stats();
    // The ranged read (its re-read tail differs), then the whole object.
    assert_eq!((stats.count("s3:get:range"), stats.count("s3:get")), (1, 2), "{stats:?}");
    assert!(stats.bytes("s3") >= bytes.len() as u64, "{stats:?}");
}

/// Kept bytes of an object that then got a new version differing only before the re-read
/// tail (its ETag changed, the 64 KiB compared are the same): only `If-Match` can tell, and
/// the ranged read is refused with 412 (no object byte sent), then the whole new object is
/// read. A resume would splice the old head onto the new object.
#[tokio::test]
async fn a_new_version_is_caught_by_if_match_alone() {
    let emu = emulator().await;
    let (_, source) = cloud_product(&emu).await;
    let Source::S3 { key, .. } = &source else { unreachable!() };
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("f.fits");
    // An interrupted run (no retries): half the object kept, with its ETag in the sidecar.
    emu.set_faults(vec![FaultRule::new("s3:get", Fault::DropMidBody).times(1)]);
    let row =
        mast_download::Downloader::new(&client(&emu, 0)).download(DownloadItem::to_path(source.clone(), &target)).await;
    emu.set_faults(Vec::new());
    assert_eq!(row.status, Status::Error, "{:?}", row.message);
    let kept = std::fs::metadata(part_of(&target)).unwrap().len();
    let old = std::fs::read(emu.cloud_root().join(emu.bucket()).join(key)).unwrap();
    assert!(kept > OVERLAP + 4096, "{kept}");
    assert_eq!(std::fs::read(part_of(&target)).unwrap(), old[..kept as usize], "the kept prefix is the old one");
    // The new version: the first 4 KiB differ, everything from there on (the re-read tail
    // from kept - 64 KiB included) is the same; a new ETag.
    let head: Vec<u8> = old[..4096].iter().map(|b| !b).collect();
    emu.patch_cloud_object(key, 0, &head).unwrap();
    let new = std::fs::read(emu.cloud_root().join(emu.bucket()).join(key)).unwrap();
    assert_eq!(new[4096..], old[4096..]);
    assert_ne!(new[..4096], old[..4096]);
    emu.reset_stats();
    let row = downloader(&emu).download(DownloadItem::to_path(source, &target)).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    assert_eq!(row.resumed_from, 0, "nothing of the old version is kept");
    assert_eq!(std::fs::read(&target).unwrap(), new, "the new object, whole");
    let stats = emu.stats();
    // One ranged read with If-Match (refused), then the whole object without a condition.
    assert_eq!(
        (stats.count("s3:get"), stats.count("s3:get:range"), stats.count("s3:get:if_match")),
        (2, 1, 1),
        "{stats:?}"
    );
    assert_eq!(stats.bytes("s3"), new.len() as u64, "the refused read sent nothing, the restart all: {stats:?}");
    assert!(!part_of(&target).exists() && !meta_of(&target).exists());
}

#[tokio::test]
async fn a_missing_object_is_an_error_or_falls_back_to_https() {
    let emu = emulator().await;
    let (uri, source) = cloud_product(&emu).await;
    let Source::S3 { key, .. } = &source else { unreachable!() };
    assert!(emu.remove_cloud_object(key));
    let dir = tempfile::tempdir().unwrap();
    let row = downloader(&emu).download(DownloadItem::new(source.clone(), dir.path(), "a.fits")).await;
    assert_eq!(row.status, Status::Error);
    assert!(matches!(row.error, Some(Error::NotInCloud { .. })), "{:?}", row.error);
    assert_eq!(
        row.message.as_deref(),
        Some(format!("RemoteServiceError: The product {source} was not found in the cloud.").as_str())
    );

    let row = downloader(&emu).download(DownloadItem::new(source, dir.path(), "b.fits").fallback(uri.as_str())).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    assert!(matches!(row.fallback_from, Some(Error::NotInCloud { .. })));
    assert_eq!(file_sha(&dir.path().join("b.fits")), served(&emu, &uri).await);
}

#[tokio::test]
async fn datasets_and_heads() {
    let emu = emulator().await;
    let store = CloudStore::new(client(&emu, 1).config()).unwrap();
    let datasets = store.list_datasets().await.unwrap();
    for d in ["hst", "jwst", "tess", "mast/hlsp/tica"] {
        assert!(datasets.iter().any(|x| x == d), "{d} in {datasets:?}");
    }
    assert!(!datasets.iter().any(|x| x == "mast"));
    let (uri, source) = cloud_product(&emu).await;
    let Source::S3 { key, .. } = &source else { unreachable!() };
    let object = store.head(key).await.unwrap().unwrap();
    assert_eq!(object.size, emu.file_size(&uri));
    assert_eq!(store.head("hst/public/nothing/here.fits").await.unwrap(), None);
}

/// The cloud copy cannot be read and MAST's answer is cut every time: an error, and the
/// bytes MAST sent are kept in the temporary file. Returns how many.
async fn cut_by_mast(emu: &mast_emulator::Emulator, source: &Source, uri: &str, dir: &std::path::Path) -> u64 {
    emu.set_faults(vec![
        FaultRule::new("s3:get", Fault::Status { code: 403, retry_after: None }),
        FaultRule::new("download", Fault::DropMidBody),
    ]);
    let row = downloader(emu).download(DownloadItem::new(source.clone(), dir, "f.fits").fallback(uri)).await;
    assert_eq!(row.status, Status::Error, "{:?}", row.message);
    let kept = std::fs::metadata(part_of(&dir.join("f.fits"))).unwrap().len();
    assert!(kept > 0);
    kept
}

#[tokio::test]
async fn a_partial_file_is_resumed_by_the_source_that_wrote_it() {
    let emu = emulator().await;
    let (uri, source) = cloud_product(&emu).await;
    let expected = served(&emu, &uri).await;
    let forbidden = FaultRule::new("s3:get", Fault::Status { code: 403, retry_after: None });
    let not_found = FaultRule::new("download", Fault::Status { code: 404, retry_after: None });
    let item = |dir: &std::path::Path| DownloadItem::new(source.clone(), dir, "f.fits").fallback(uri.as_str());

    // Next run: MAST goes first and resumes its own bytes; the bucket is not asked.
    let dir = tempfile::tempdir().unwrap();
    let kept = cut_by_mast(&emu, &source, &uri, dir.path()).await;
    emu.set_faults(Vec::new());
    emu.reset_stats();
    let row = downloader(&emu).download(item(dir.path())).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    assert_eq!(row.resumed_from, kept);
    assert!(row.fallback_from.is_none());
    let stats = emu.stats();
    assert_eq!((stats.count("s3:get"), stats.count("download:range")), (0, 1), "{stats:?}");
    // Once MAST has completed the file the cloud source is not consulted at all, not even
    // for a size: the one ranged GET is the whole conversation.
    assert_eq!(stats.total, 1, "{stats:?}");
    assert_eq!(file_sha(&dir.path().join("f.fits")), expected);

    // MAST first fails, the cloud copy then works: complete, and no fallback to report.
    let dir = tempfile::tempdir().unwrap();
    cut_by_mast(&emu, &source, &uri, dir.path()).await;
    emu.set_faults(vec![not_found.clone()]);
    let row = downloader(&emu).download(item(dir.path())).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    assert!(row.fallback_from.is_none(), "{:?}", row.fallback_from);
    assert_eq!(file_sha(&dir.path().join("f.fits")), expected);

    // Both fail: the row keeps the roles (MAST's error and URL, the cloud's error as the
    // reason for the fallback).
    let dir = tempfile::tempdir().unwrap();
    cut_by_mast(&emu, &source, &uri, dir.path()).await;
    emu.set_faults(vec![forbidden.clone(), not_found]);
    let row = downloader(&emu).download(item(dir.path())).await;
    emu.set_faults(Vec::new());
    assert_eq!(row.status, Status::Error);
    assert!(row.url.as_deref().is_some_and(|u| u.contains("/api/v0.1/Download/file?uri=")), "{:?}", row.url);
    assert!(row.message.as_deref().is_some_and(|m| m.contains("404")), "{:?}", row.message);
    assert!(matches!(row.fallback_from, Some(Error::S3 { .. })), "{:?}", row.fallback_from);
}
