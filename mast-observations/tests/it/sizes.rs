//! The size policy's notes reach `Downloaded::warnings` (issue 11, points 3 and 4).

use mast_download::Status;
use mast_emulator::FileOptions;
use mast_observations::{DownloadFileOptions, DownloadOptions, Layout};
use mast_proto::{Column, DataType, Table, Value, WarningCategory};

use crate::{observations, sky};

/// A products table of one `TEST` product `<name>.fits` (obs_id `<name>`), with a listed size
/// when one is given.
fn one_product(name: &str, size: Option<i64>) -> Table {
    let text = |column: &str, value: &str| Column::from_values(column, DataType::String, [Value::Str(value)]);
    let mut columns = vec![
        text("dataURI", &format!("mast:TEST/product/{name}.fits")),
        text("productFilename", &format!("{name}.fits")),
        text("obs_collection", "TEST"),
        text("obs_id", name),
    ];
    if let Some(size) = size {
        columns.push(Column::from_values("size", DataType::Int64, [Value::Int(size)]));
    }
    Table::new(columns).unwrap()
}

#[tokio::test]
async fn a_stale_listed_size_is_saved_and_warned_about() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    let uri = "mast:TEST/product/stale.fits";
    let served = emulator.file_size(uri);
    let products = one_product("stale", Some(207_360));
    let dir = tempfile::tempdir().unwrap();
    let options = DownloadOptions::new().download_dir(dir.path()).layout(Layout::Flat);
    let done = obs.download_products(&products, &options).await.unwrap();
    let row = &done.manifest.rows()[0];
    let note = format!("listed size 207360 bytes, server sent {served} bytes: the product list may be stale");
    assert_eq!((row.status, row.message.as_deref()), (Status::Complete, Some(note.as_str())));
    assert_eq!(std::fs::metadata(dir.path().join("stale.fits")).unwrap().len(), served);
    let warnings: Vec<_> = done.warnings.iter().filter(|w| w.message.ends_with(&note)).collect();
    assert_eq!(warnings.len(), 1, "{:?}", done.warnings);
    assert_eq!(warnings[0].category, WarningCategory::Input);
    assert_eq!(emulator.stats().count("download:head"), 1, "the HEAD that confirmed the server's size");
}

#[tokio::test]
async fn a_body_with_no_size_anywhere_is_kept_and_warned_about() {
    let emulator = sky().await;
    emulator.set_files(FileOptions { close_delimited: true, content_length: false, ..FileOptions::default() });
    let obs = observations(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let options = DownloadFileOptions::new().local_path(dir.path());
    let done = obs.download_file("mast:TEST/product/nolength.fits", &options).await.unwrap();
    let row = &done.manifest.rows()[0];
    assert_eq!(row.status, Status::Complete);
    assert!(row.message.as_deref().unwrap().starts_with("size unknown: not verified"), "{:?}", row.message);
    assert_eq!(done.warnings.len(), 1, "{:?}", done.warnings);
    assert!(done.warnings[0].message.contains("nolength.fits: size unknown: not verified"));
}

#[tokio::test]
async fn a_negative_listed_size_is_no_listed_size() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    let uri = "mast:TEST/product/negative.fits";
    let products = one_product("negative", Some(-1));
    let dir = tempfile::tempdir().unwrap();
    let options = DownloadOptions::new().download_dir(dir.path()).layout(Layout::Flat);
    let done = obs.download_products(&products, &options).await.unwrap();
    let row = &done.manifest.rows()[0];
    // Not a listed size of 2^64 - 1 bytes that the server "contradicts": simply none.
    assert_eq!((row.status, row.message.as_deref()), (Status::Complete, None));
    assert!(done.warnings.is_empty(), "{:?}", done.warnings);
    assert_eq!(std::fs::metadata(dir.path().join("negative.fits")).unwrap().len(), emulator.file_size(uri));
}

#[tokio::test]
async fn download_file_keeps_a_complete_file_unless_told_not_to() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let uri = "mast:TEST/product/cached.fits";
    let into = DownloadFileOptions::new().local_path(dir.path());
    for (options, downloads, cached) in
        [(into.clone(), 1, false), (into.clone(), 0, true), (into.clone().cache(false), 1, false)]
    {
        emulator.reset_stats();
        let done = obs.download_file(uri, &options).await.unwrap();
        let row = &done.manifest.rows()[0];
        assert_eq!(row.status, Status::Complete, "{:?}", row.message);
        let stats = emulator.stats();
        assert_eq!(stats.count("download") - stats.count("download:head"), downloads, "{stats:?}");
        assert_eq!(row.cached, cached, "{row:?}");
        assert_eq!(row.local_path, dir.path().join("cached.fits"), "the options kept their local path");
    }
}

#[tokio::test]
async fn download_products_keeps_complete_files_unless_told_not_to() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    let products = one_product("kept", None);
    let dir = tempfile::tempdir().unwrap();
    let flat = DownloadOptions::new().download_dir(dir.path()).layout(Layout::Flat);
    for (options, downloads, cached) in
        [(flat.clone(), 1, false), (flat.clone(), 0, true), (flat.clone().cache(false), 1, false)]
    {
        emulator.reset_stats();
        let done = obs.download_products(&products, &options).await.unwrap();
        let row = &done.manifest.rows()[0];
        assert_eq!(row.status, Status::Complete, "{:?}", row.message);
        let stats = emulator.stats();
        assert_eq!(stats.count("download") - stats.count("download:head"), downloads, "{stats:?}");
        assert_eq!(row.cached, cached, "{row:?}");
        assert_eq!(row.local_path, dir.path().join("kept.fits"), "the options kept their directory and layout");
    }
}
