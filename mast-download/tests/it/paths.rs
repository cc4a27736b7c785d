//! Untrusted names never write outside the download directory; a refused name is one
//! file's error and the batch goes on.

use mast_download::{DownloadItem, Error, Status};

use crate::util::*;

#[tokio::test]
async fn traversal_names_are_refused_per_file() {
    let emu = emulator().await;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("downloads");
    std::fs::create_dir(&dir).unwrap();
    let names = ["good1.fits", "../x", "/etc/x", "C:\\x", "a\\b", "a\0b", "sub/good2.fits", "a/../../x", "", "a//b"];
    let items = names.iter().map(|n| DownloadItem::new("mast:HST/product/same.fits", &dir, *n));
    let manifest = downloader(&emu).download_all(items).await;
    assert_eq!(manifest.len(), names.len());
    for (name, row) in names.iter().zip(manifest.rows()) {
        if name.contains("good") {
            assert_eq!(row.status, Status::Complete, "{name:?}: {:?}", row.message);
            assert!(row.local_path.starts_with(&dir));
        } else {
            assert_eq!(row.status, Status::Error, "{name:?}");
            assert!(matches!(row.error, Some(Error::UnsafePath { .. })), "{name:?}: {:?}", row.error);
            let message = row.message.as_deref().unwrap();
            assert!(message.starts_with("ValueError: unsafe file name "), "{message}");
            assert!(row.url.as_deref().unwrap().ends_with("?uri=mast:HST/product/same.fits"));
        }
    }
    assert_eq!(manifest.rows()[1].local_path.to_str(), Some(format!("{}/../x", dir.display()).as_str()));
    // Only the two good files were asked for, and nothing appeared outside `dir`.
    assert_eq!(emu.stats().count("download"), 2);
    let outside: Vec<_> = std::fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(outside, ["downloads"]);
}

#[cfg(unix)]
#[tokio::test]
async fn symlinked_directories_are_refused() {
    let emu = emulator().await;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("downloads");
    let elsewhere = root.path().join("elsewhere");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join("HST")).unwrap();
    let manifest = downloader(&emu)
        .download_all(vec![
            DownloadItem::new("mast:HST/product/s.fits", &dir, "HST/s.fits"),
            DownloadItem::new("mast:HST/product/s.fits", &dir, "JWST/s.fits"),
        ])
        .await;
    assert!(matches!(manifest.rows()[0].error, Some(Error::UnsafePath { .. })));
    assert_eq!(manifest.rows()[1].status, Status::Complete);
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    // The download directory itself may be a link.
    let linked_root = root.path().join("linked");
    std::os::unix::fs::symlink(&elsewhere, &linked_root).unwrap();
    let row = downloader(&emu).download(DownloadItem::new("mast:HST/product/s.fits", &linked_root, "s.fits")).await;
    assert_eq!(row.status, Status::Complete);
    assert!(elsewhere.join("s.fits").exists());
}
