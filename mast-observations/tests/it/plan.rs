//! The planning step shared by every download mode: every product's path is checked as a
//! download checks it (URL-only, local curl script, MAST's bundle.sh, the real download),
//! refused products are `ERROR` rows, and two products landing on one file are reported.

use std::path::{Path, PathBuf};

use mast_download::Status;
use mast_observations::{DownloadOptions, Layout};
use mast_proto::{Column, DataType, Table, Value};

use crate::{observations, sky};

/// `(obs_collection, obs_id, productFilename, dataURI)`.
type Row = (&'static str, &'static str, &'static str, &'static str);

/// A products table built by hand.
fn products(rows: &[Row]) -> Table {
    let column = |name: &str, pick: fn(&Row) -> &'static str| {
        Column::from_values(name, DataType::String, rows.iter().map(|r| Value::Str(pick(r))))
    };
    Table::new(vec![
        column("obs_collection", |r| r.0),
        column("obs_id", |r| r.1),
        column("productFilename", |r| r.2),
        column("dataURI", |r| r.3),
    ])
    .unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mast-obs-plan-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `(Local Path, Status, Message)` of every row of a URL-only or curl-script table.
fn rows(table: &Table) -> Vec<(String, String, Option<String>)> {
    let text = |name: &str, i: usize| table.column(name).unwrap().get_str(i).map(str::to_owned);
    (0..table.num_rows())
        .map(|i| (text("Local Path", i).unwrap(), text("Status", i).unwrap(), text("Message", i)))
        .collect()
}

/// Every file below `dir`, as paths relative to it.
fn files_below(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

const GOOD: Row = ("HST", "U9O40504M", "u9o40504m_c3m.fits", "mast:HST/product/u9o40504m_c3m.fits");

/// The hostile rows of the issue: a collection `..`, an obs_id `../../..`, an absolute
/// collection.
const HOSTILE: [Row; 3] = [
    ("..", "..", "x.fits", "mast:HST/product/dotdot_x.fits"),
    ("HST", "../../..", "y.fits", "mast:HST/product/dotdot_y.fits"),
    ("/tmp", "abs", "z.fits", "mast:HST/product/abs_z.fits"),
];

#[tokio::test]
async fn refused_paths_are_error_rows_in_every_mode() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    let dir = temp_dir("refused");
    let table = products(&[HOSTILE[0], GOOD, HOSTILE[1], HOSTILE[2]]);
    let options = DownloadOptions::new().download_dir(dir.join("dl"));
    let good_path = dir.join("dl/mastDownload/HST/U9O40504M/u9o40504m_c3m.fits").to_string_lossy().into_owned();
    let check_rows = |got: &[(String, String, Option<String>)]| {
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got[1], (good_path.clone(), "PLANNED".to_owned(), None));
        for i in [0, 2, 3] {
            assert_eq!(got[i].1, "ERROR", "{got:?}");
            let message = got[i].2.as_deref().unwrap();
            assert!(message.starts_with("ValueError: unsafe file name"), "{message}");
        }
        // Shown as asked for (text joined), never resolved to somewhere else.
        assert_eq!(got[0].0, dir.join("dl/mastDownload/../../x.fits").to_string_lossy());
        assert!(got[2].2.as_deref().unwrap().contains("'..' component"), "{got:?}");
        assert!(got[3].2.as_deref().unwrap().contains("empty path component"), "{got:?}");
    };

    // URL-only.
    let urls = obs.product_urls(&table, &options).await.unwrap();
    assert_eq!(urls.column_names().collect::<Vec<_>>(), ["Local Path", "Status", "Message", "URL"]);
    check_rows(&rows(&urls));
    assert!(urls.column("URL").unwrap().get_str(1).unwrap().contains("uri=mast:HST/product/u9o40504m_c3m.fits"));

    // A local curl script: the same rows, and the script names only the accepted file.
    let script = dir.join("fetch.sh");
    let scripted = obs.write_curl_script(&table, &options, &script).await.unwrap();
    check_rows(&rows(&scripted));
    let text = std::fs::read_to_string(&script).unwrap();
    assert_eq!(text.matches("\nfetch '").count(), 1, "{text}");
    assert!(text.contains(&format!("fetch '{good_path}' ")), "{text}");
    assert!(!text.contains("..") && !text.contains("/tmp/abs") && !text.contains("x.fits"), "{text}");
    assert_eq!(emulator.stats().count("download"), 0);

    // MAST's bundle.sh: only the accepted product is sent (the emulator's script has one curl
    // line per URI it was sent); the refused ones are ERROR rows after the script's row.
    emulator.reset_stats();
    let bundle = obs.download_curl_script(&table, &options).await.unwrap();
    let got = rows(&bundle);
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(got[0].1, "COMPLETE", "{got:?}");
    assert!(got[1..].iter().all(|r| r.1 == "ERROR" && r.2.as_deref().unwrap().starts_with("ValueError: ")));
    assert_eq!(got[1].0, dir.join("dl/../../x.fits").to_string_lossy(), "nested layout, as MAST's script");
    assert_eq!(emulator.stats().count("bundle"), 1, "{:?}", emulator.stats());
    let saved = std::fs::read_to_string(&got[0].0).unwrap();
    assert_eq!(saved.matches("--output").count(), 1, "{saved}");
    assert!(
        saved.contains("mast:HST/product/u9o40504m_c3m.fits") && !saved.contains("dotdot") && !saved.contains("abs_z")
    );

    // The real download: the same rows, one request, nothing written outside the directory.
    emulator.reset_stats();
    let done = obs.download_products(&table, &options).await.unwrap();
    let statuses: Vec<Status> = done.manifest.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Status::Error, Status::Complete, Status::Error, Status::Error]);
    for row in done.manifest.iter().filter(|r| r.status == Status::Error) {
        assert!(matches!(row.error, Some(mast_download::Error::UnsafePath { .. })), "{row:?}");
        assert!(row.message.as_deref().unwrap().starts_with("ValueError: unsafe file name"));
        assert!(row.url.as_deref().unwrap().contains("Download/file?uri=mast:HST/product/"));
    }
    assert_eq!(done.manifest.rows()[0].local_path, dir.join("dl/mastDownload/../../x.fits"));
    assert_eq!(emulator.stats().count("download"), 1);
    let mut expected = vec!["dl/mastDownload/HST/U9O40504M/u9o40504m_c3m.fits".to_owned(), "fetch.sh".to_owned()];
    expected.push(Path::new(&got[0].0).strip_prefix(&dir).unwrap().to_string_lossy().into_owned());
    expected.sort();
    assert_eq!(files_below(&dir), expected);
    assert!(!Path::new("/tmp/abs").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn two_products_on_one_file_are_reported_not_merged() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    let dir = temp_dir("collide");
    let first = "mast:HST/product/evil.fits";
    let table = products(&[
        ("HST", "O1", "evil.fits", first),
        ("HST", "O2", "../../evil.fits", "mast:HST/product/up_evil.fits"),
        ("JWST", "O3", "/etc/evil.fits", "mast:JWST/product/etc_evil.fits"),
        // The same dataURI twice is one product (de-duplication), not a clash.
        ("HST", "O1", "evil.fits", first),
        ("HST", "O4", "other.fits", "mast:HST/product/other.fits"),
    ]);
    let flat = DownloadOptions::new().download_dir(&dir).layout(Layout::Flat);

    let urls = obs.product_urls(&table, &flat).await.unwrap();
    let got = rows(&urls);
    let statuses: Vec<&str> = got.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(statuses, ["PLANNED", "ERROR", "ERROR", "PLANNED"], "{got:?}");
    for clash in &got[1..3] {
        assert_eq!(clash.0, dir.join("evil.fits").to_string_lossy());
        let message = clash.2.as_deref().unwrap();
        assert!(
            message.contains(&format!("the product {first} (listed before it) is saved to the same file")),
            "{message}"
        );
    }

    // The real download fetches the first product only; the file holds its bytes.
    emulator.reset_stats();
    let done = obs.download_products(&table, &flat).await.unwrap();
    let statuses: Vec<Status> = done.manifest.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Status::Complete, Status::Error, Status::Error, Status::Complete]);
    assert_eq!(emulator.stats().count("download"), 2);
    let single = obs
        .download_file(first, &mast_observations::DownloadFileOptions::new().local_path(dir.join("single")))
        .await
        .unwrap();
    assert_eq!(single.manifest.rows()[0].status, Status::Complete);
    assert_eq!(std::fs::read(dir.join("evil.fits")).unwrap(), std::fs::read(dir.join("single/evil.fits")).unwrap());

    // A file where a later product needs a directory (an obs_id with a '/') is a clash too,
    // and so is the other way round.
    let table = products(&[
        ("HST", "O1", "f", "mast:HST/product/f"),
        ("HST", "O1/f", "g.fits", "mast:HST/product/g.fits"),
        ("HST", "O2/h", "i.fits", "mast:HST/product/i.fits"),
        ("HST", "O2", "h", "mast:HST/product/h"),
    ]);
    let nested = DownloadOptions::new().download_dir(&dir).layout(Layout::NestedNoPrefix);
    let got = rows(&obs.product_urls(&table, &nested).await.unwrap());
    let statuses: Vec<&str> = got.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(statuses, ["PLANNED", "ERROR", "PLANNED", "ERROR"], "{got:?}");
    assert!(got[1].2.as_deref().unwrap().contains("mast:HST/product/f (listed before it) has its file where"));
    assert!(got[3].2.as_deref().unwrap().contains("mast:HST/product/i.fits (listed before it) needs this path"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[tokio::test]
async fn a_link_on_the_way_is_refused_before_any_mode_uses_it() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    let dir = temp_dir("link");
    let elsewhere = temp_dir("link-elsewhere");
    std::fs::create_dir_all(dir.join("mastDownload")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join("mastDownload/HST")).unwrap();
    let table = products(&[GOOD]);
    let options = DownloadOptions::new().download_dir(&dir);
    let got = rows(&obs.product_urls(&table, &options).await.unwrap());
    assert_eq!(got[0].1, "ERROR");
    assert!(got[0].2.as_deref().unwrap().contains("symbolic link"), "{got:?}");
    let script = dir.join("fetch.sh");
    obs.write_curl_script(&table, &options, &script).await.unwrap();
    assert!(!std::fs::read_to_string(&script).unwrap().contains("\nfetch '"));
    emulator.reset_stats();
    let done = obs.download_products(&table, &options).await.unwrap();
    assert_eq!(done.manifest.rows()[0].status, Status::Error);
    assert_eq!(emulator.stats().count("download"), 0);
    assert!(files_below(&elsewhere).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&elsewhere);
}
