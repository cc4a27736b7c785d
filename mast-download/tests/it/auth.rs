//! The MAST token on downloads: sent to the configured MAST host, never to a foreign host
//! (directly or across a redirect) nor to S3; credentials in URLs never reach the manifest.

use mast_download::{DownloadItem, Downloader, Source, Status};
use mast_emulator::{Emulator, LoggedRequest};
use mast_proto::{MastClient, MastConfig, Secret};

use crate::util::*;

const TOKEN: &str = "dl-tok-81c0b2a9";

/// Whether `entry` of the emulator's request log carries `TOKEN` anywhere it was logged: a
/// header (any of them, not only `Cookie` and `Authorization`), the path or the query.
fn carries_token(entry: &LoggedRequest) -> bool {
    entry.headers.iter().any(|(k, v)| k.contains(TOKEN) || v.contains(TOKEN)) || in_url(entry)
}

/// Whether `entry` has `TOKEN` in its URL (path, or a query name or value).
fn in_url(entry: &LoggedRequest) -> bool {
    entry.path.contains(TOKEN) || entry.query.iter().any(|(k, v)| k.contains(TOKEN) || v.contains(TOKEN))
}

/// The entries of `emu`'s request log that carry the token ([`carries_token`]).
fn leaks(emu: &Emulator) -> Vec<LoggedRequest> {
    emu.requests().into_iter().filter(carries_token).collect()
}

fn with_token(emu: &Emulator) -> Downloader {
    let config =
        MastConfig::new().with_all_urls(emu.base_url()).unwrap().with_retries(1).with_token(Secret::new(TOKEN));
    Downloader::new(&MastClient::new(config).unwrap())
}

#[tokio::test]
async fn the_token_goes_to_mast_and_nowhere_else() {
    let emu = emulator().await;
    let foreign = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let dl = with_token(&emu);

    // A mast: URI and a URL on the MAST host carry it (GET, and HEAD for a kept file).
    let row = dl.download(DownloadItem::new("mast:HST/product/u9o40504m_c3m.fits", dir.path(), "a.fits")).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    let row = dl
        .download(DownloadItem::new(format!("{}/files/b.fits?size=1000", emu.base_url()), dir.path(), "b.fits"))
        .await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    let row = dl
        .download(DownloadItem::new(format!("{}/files/b.fits?size=1000", emu.base_url()), dir.path(), "b.fits"))
        .await;
    assert!(row.cached, "{row:?}");
    let stats = emu.stats();
    assert_eq!(stats.authorized("download"), stats.count("download"), "{stats:?}");
    assert!(stats.authorized("files:head") >= 1, "{stats:?}");
    assert_eq!(stats.authorized("files"), stats.count("files"), "{stats:?}");

    // A URL on another host does not.
    let url = format!("{}/files/c.fits?size=1000", foreign.base_url());
    let row = dl.download(DownloadItem::new(url.as_str(), dir.path(), "c.fits")).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    // Nor a redirect from the MAST host to another host (followed, without the cookie).
    let to = mast_proto::pyfmt::form_encode(&format!("{}/files/d.fits?size=1000", foreign.base_url()));
    let hop = format!("{}/__emulator/redirect?to={to}&hops=2", emu.base_url());
    let row = dl.download(DownloadItem::new(hop.as_str(), dir.path(), "d.fits")).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    let (here, there) = (emu.stats(), foreign.stats());
    assert_eq!(here.authorized("redirect"), 2, "{here:?}");
    assert_eq!(there.count("files"), 2, "{there:?}");
    assert!(there.authorized.is_empty(), "the foreign host never sees the token: {there:?}");
    assert_eq!(foreign.requests().len(), 2, "{:?}", foreign.requests());
    assert!(leaks(&foreign).is_empty(), "the foreign host's log has the token: {:?}", leaks(&foreign));

    // bundle.sh carries it.
    dl.bundle_script(["mast:HST/product/u9o40504m_c3m.fits"], &dir.path().join("x.sh")).await.unwrap();
    assert_eq!(emu.stats().authorized("bundle"), 1);

    // The token is in the MAST host's log only as the cookie, never in a URL.
    let log = emu.requests();
    assert!(log.iter().any(carries_token), "the search finds the cookie: {log:?}");
    for entry in log.iter().chain(&foreign.requests()) {
        assert!(!in_url(entry), "the token in a URL: {entry:?}");
        if carries_token(entry) {
            let cookie = format!("mast_token={TOKEN}");
            assert_eq!(entry.header("cookie"), Some(cookie.as_str()), "only as the cookie: {entry:?}");
        }
    }
}

/// A download of a URL on a foreign host (another emulator: another port), directly and
/// behind a redirect from the MAST host, searched for the token in the foreign host's request
/// log: headers, path and query of every entry.
#[tokio::test]
async fn the_request_log_of_a_foreign_host_never_has_the_token() {
    let emu = emulator().await;
    let foreign = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let dl = with_token(&emu);

    // Directly.
    let url = format!("{}/files/e.fits?size=3000", foreign.base_url());
    let row = dl.download(DownloadItem::new(url.as_str(), dir.path(), "e.fits")).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    let log = foreign.requests();
    assert!(log.iter().any(|e| e.is("files")), "{log:?}");
    assert!(leaks(&foreign).is_empty(), "a foreign host got the token: {:?}", leaks(&foreign));
    assert!(emu.requests().is_empty(), "the MAST host was not asked: {:?}", emu.requests());

    // Across a redirect from the MAST host: the MAST hops carry it, the foreign hop does not.
    foreign.reset_stats();
    let to = mast_proto::pyfmt::form_encode(&format!("{}/files/f.fits?size=3000", foreign.base_url()));
    let hop = format!("{}/__emulator/redirect?to={to}&hops=1", emu.base_url());
    let row = dl.download(DownloadItem::new(hop.as_str(), dir.path(), "f.fits")).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    let first = emu.requests_for("redirect");
    assert!(!first.is_empty() && first.iter().all(carries_token), "the MAST hop carries it: {first:?}");
    let log = foreign.requests();
    assert!(log.iter().any(|e| e.is("files")), "{log:?}");
    assert!(leaks(&foreign).is_empty(), "the token crossed the redirect: {:?}", leaks(&foreign));

    // Never in a URL, on either host.
    for entry in emu.requests().iter().chain(&log) {
        assert!(!in_url(entry), "the token in a URL: {entry:?}");
    }
}

#[cfg(feature = "s3")]
#[tokio::test]
async fn the_token_never_goes_to_s3() {
    let emu = emulator().await;
    let (_, source) = crate::s3::cloud_product(&emu).await;
    let dir = tempfile::tempdir().unwrap();
    emu.reset_stats();
    let row = with_token(&emu).download(DownloadItem::new(source, dir.path(), "c3m.fits")).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    let stats = emu.stats();
    assert_eq!(stats.count("s3:get"), 1, "{stats:?}");
    assert!(stats.authorized.keys().all(|k| !k.starts_with("s3")), "{stats:?}");
    // The request log, searched: no S3 entry has the token in a header, its path or query.
    let log = emu.requests();
    let s3: Vec<_> = log.iter().filter(|e| e.keys.iter().chain([&e.key]).any(|k| k.starts_with("s3"))).collect();
    assert!(s3.iter().any(|e| e.is("s3:get")), "{log:?}");
    let leaked: Vec<_> = s3.iter().filter(|e| carries_token(e)).collect();
    assert!(leaked.is_empty(), "S3 got the token: {leaked:?}");
    assert!(log.iter().all(|e| !in_url(e)), "the token in a URL: {log:?}");
}

#[tokio::test]
async fn credentials_in_urls_never_reach_the_manifest() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let base = emu.base_url().replacen("http://", "http://user:pw-5521@", 1);
    let missing = format!("{base}/nope/x.fits?token=tq-7781&X-Amz-Signature=sg-9932");
    let row = with_token(&emu).download(DownloadItem::new(missing.as_str(), dir.path(), "x.fits")).await;
    assert_eq!(row.status, Status::Error);
    let shown = format!("{:?} {:?} {}", row.url, row.message, row.error.as_ref().unwrap());
    for secret in ["pw-5521", "tq-7781", "sg-9932", "user:", TOKEN] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(row.url.as_deref().unwrap().contains("token=***"), "{:?}", row.url);
    assert_eq!(Source::from(missing.as_str()).display_url(&MastConfig::new()), row.url.clone().unwrap());
}
