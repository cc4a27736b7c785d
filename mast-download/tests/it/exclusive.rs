//! Exclusive-access products (spec §8.4, §12): downloaded with a valid token; without one,
//! or with an expired one, an `ERROR` row whose message keeps astroquery's text and says
//! what to do, while the rest of the batch goes on; a cloud copy that cannot be read falls
//! back to MAST with the token, S3 never seeing it; logging out applies to every clone.

use mast_download::{DownloadItem, Downloader, Error, Source, Status};
use mast_emulator::files::FileContent;
use mast_emulator::{Emulator, EmulatorConfig, EmulatorToken, LoggedRequest};
use mast_proto::{MastClient, Secret};

use crate::util::*;

const TOKEN: &str = "excl-tok-5f3a9c21";
const OLD: &str = "excl-old-77d04b6e";
const EXCLUSIVE: &str = "mast:JWST/product/jw01234_exclusive_x_cal.fits";
const PUBLIC: &str = "mast:HST/product/u9o40504m_c3m.fits";

async fn emulator_with_tokens() -> Emulator {
    let config = EmulatorConfig::default().token(EmulatorToken::new(TOKEN)).token(EmulatorToken::new(OLD).expired());
    Emulator::start(config).await.expect("the emulator starts")
}

/// A client for `emu` (quick retries) holding `token`.
fn client_with(emu: &Emulator, token: Option<&str>) -> MastClient {
    let client = client(emu, 2);
    client.set_token(token.map(Secret::new));
    client
}

/// The bytes the emulator serves for `uri`.
fn bytes_of(emu: &Emulator, uri: &str) -> Vec<u8> {
    let size = emu.file_size(uri);
    FileContent::new(uri, size, 42, 0).bytes(0..size).to_vec()
}

fn download_url(emu: &Emulator, uri: &str) -> String {
    format!("{}/api/v0.1/Download/file?uri={uri}", emu.base_url())
}

/// Whether `entry` has `secret` in a logged header, its path, its query or its body.
fn carries(entry: &LoggedRequest, secret: &str) -> bool {
    entry.headers.iter().any(|(k, v)| k.contains(secret) || v.contains(secret))
        || entry.path.contains(secret)
        || entry.query.iter().any(|(k, v)| k.contains(secret) || v.contains(secret))
        || format!("{:?}", entry.body).contains(secret)
}

#[tokio::test]
async fn a_valid_token_downloads_an_exclusive_product() {
    let emu = emulator_with_tokens().await;
    let dir = tempfile::tempdir().unwrap();
    let dl = Downloader::new(&client_with(&emu, Some(TOKEN)));
    let row = dl.download(DownloadItem::new(EXCLUSIVE, dir.path(), "x.fits").size(emu.file_size(EXCLUSIVE))).await;
    assert_eq!((row.status, row.message.as_deref(), row.url.as_deref()), (Status::Complete, None, None));
    assert_eq!(std::fs::read(dir.path().join("x.fits")).unwrap(), bytes_of(&emu, EXCLUSIVE));
    // One GET, carrying the token as the cookie and nowhere else.
    let log = emu.requests_for("download");
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!((log[0].header("cookie"), log[0].status), (Some(format!("mast_token={TOKEN}").as_str()), Some(200)));
    assert_eq!(log[0].header("authorization"), None);
}

#[tokio::test]
async fn without_a_token_an_exclusive_row_says_to_log_in_and_the_batch_goes_on() {
    let emu = emulator_with_tokens().await;
    let dir = tempfile::tempdir().unwrap();
    let dl = Downloader::new(&client_with(&emu, None));
    let manifest = dl
        .download_all(vec![
            DownloadItem::new(PUBLIC, dir.path(), "a.fits"),
            DownloadItem::new(EXCLUSIVE, dir.path(), "x.fits"),
            DownloadItem::new("mast:HST/product/u9o40504m_trl.fits", dir.path(), "b.fits"),
        ])
        .await;
    let rows = manifest.rows();
    assert_eq!([rows[0].status, rows[1].status, rows[2].status], [Status::Complete, Status::Error, Status::Complete]);
    assert_eq!(std::fs::read(dir.path().join("a.fits")).unwrap(), bytes_of(&emu, PUBLIC));
    let url = download_url(&emu, EXCLUSIVE);
    let message = rows[1].message.as_deref().unwrap();
    assert!(message.starts_with(&format!("HTTPError: 401 Client Error: Unauthorized for url: {url}. ")), "{message}");
    for needle in ["not public", "MAST API token", "MAST_API_TOKEN", "mast login", "MastAuth::login"] {
        assert!(message.contains(needle), "{needle}: {message}");
    }
    assert!(!message.contains("expired"), "{message}");
    assert_eq!(rows[1].url.as_deref(), Some(url.as_str()));
    assert!(matches!(rows[1].error, Some(Error::Unauthorized { with_token: false, .. })), "{:?}", rows[1].error);
    assert_eq!(rows[1].error.as_ref().unwrap().class_name(), "HTTPError");
    // Refused once, not retried; nothing left under its name or as a temporary file.
    assert_eq!(emu.requests_for("download").iter().filter(|e| e.status == Some(401)).count(), 1);
    assert!(!dir.path().join("x.fits").exists() && !part_of(&dir.path().join("x.fits")).exists());
}

#[tokio::test]
async fn an_expired_token_is_told_to_make_a_new_one() {
    let emu = emulator_with_tokens().await;
    let dir = tempfile::tempdir().unwrap();
    let row = Downloader::new(&client_with(&emu, Some(OLD)))
        .download(DownloadItem::new(EXCLUSIVE, dir.path(), "x.fits"))
        .await;
    assert_eq!(row.status, Status::Error);
    let message = row.message.as_deref().unwrap();
    let url = download_url(&emu, EXCLUSIVE);
    assert!(message.starts_with(&format!("HTTPError: 401 Client Error: Unauthorized for url: {url}. ")), "{message}");
    for needle in [
        "may be expired",
        "10 days without use",
        "60 days after creation",
        "You do not have access to download this data",
        "https://auth.mast.stsci.edu/token",
    ] {
        assert!(message.contains(needle), "{needle}: {message}");
    }
    assert!(!message.contains("not public"), "{message}");
    assert!(matches!(row.error, Some(Error::Unauthorized { with_token: true, .. })), "{:?}", row.error);
    // The expired token was sent (as the cookie), and appears in no part of the row.
    let log = emu.requests_for("download");
    assert_eq!(log[0].header("cookie"), Some(format!("mast_token={OLD}").as_str()));
    let shown = format!("{row:?} {} {:?}", row.error.as_ref().unwrap(), row.error.as_ref().unwrap());
    assert!(!shown.contains(OLD), "{shown}");
}

#[cfg(feature = "s3")]
#[tokio::test]
async fn a_cloud_download_of_an_exclusive_product_falls_back_to_mast_with_the_token() {
    let emu = emulator_with_tokens().await;
    let dir = tempfile::tempdir().unwrap();
    // The key it would have in the public bucket: not there (not public).
    let source = Source::S3 {
        bucket: emu.bucket().to_owned(),
        key: "jwst/public/jw01234_exclusive_x/jw01234_exclusive_x_cal.fits".into(),
    };
    let item = |name: &str| DownloadItem::new(source.clone(), dir.path(), name).fallback(EXCLUSIVE);

    let row = Downloader::new(&client_with(&emu, Some(TOKEN))).download(item("x.fits")).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    assert!(matches!(row.fallback_from, Some(Error::NotInCloud { .. })), "{:?}", row.fallback_from);
    assert_eq!(std::fs::read(dir.path().join("x.fits")).unwrap(), bytes_of(&emu, EXCLUSIVE));
    // Without a token the fallback is refused: the row tells to log in.
    let row = Downloader::new(&client_with(&emu, None)).download(item("y.fits")).await;
    assert_eq!(row.status, Status::Error);
    assert!(matches!(row.error, Some(Error::Unauthorized { with_token: false, .. })), "{:?}", row.error);
    assert_eq!(row.url.as_deref(), Some(download_url(&emu, EXCLUSIVE).as_str()), "the fallback's URL");

    // S3 was asked both times and never saw the token; MAST's HTTPS endpoint got it.
    let log = emu.requests();
    let s3: Vec<&LoggedRequest> = log.iter().filter(|e| e.keys.iter().any(|k| k.starts_with("s3"))).collect();
    assert_eq!(s3.iter().filter(|e| e.is("s3:get")).count(), 2, "{log:?}");
    assert!(s3.iter().all(|e| !carries(e, TOKEN) && e.header("cookie").is_none()), "S3 got the token: {s3:?}");
    let https = emu.requests_for("download");
    assert_eq!(https.len(), 2, "{https:?}");
    assert_eq!(https[0].header("cookie"), Some(format!("mast_token={TOKEN}").as_str()));
    assert_eq!((https[1].header("cookie"), https[1].status), (None, Some(401)));
}

#[tokio::test]
async fn logging_out_on_one_clone_stops_the_next_exclusive_download() {
    let emu = emulator_with_tokens().await;
    let dir = tempfile::tempdir().unwrap();
    let client = client_with(&emu, Some(TOKEN));
    let dl = Downloader::new(&client.clone());
    let row = dl.download(DownloadItem::new(EXCLUSIVE, dir.path(), "a.fits")).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    // Logout on the original client: the downloader's clone sends no token any more.
    client.set_token(None);
    assert!(!dl.client().has_token());
    let row = dl.download(DownloadItem::new(EXCLUSIVE, dir.path(), "b.fits")).await;
    assert_eq!(row.status, Status::Error);
    assert!(matches!(row.error, Some(Error::Unauthorized { with_token: false, .. })), "{:?}", row.error);
    assert!(row.message.as_deref().unwrap().contains("not public"), "{:?}", row.message);
    let log = emu.requests_for("download");
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].header("cookie"), None, "{log:?}");
    // And a new login on the clone applies to the original.
    dl.client().set_token(Some(Secret::new(TOKEN)));
    assert!(client.has_token());
    let row = dl.download(DownloadItem::new(EXCLUSIVE, dir.path(), "b.fits")).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
}
