//! The MAST token on downloads: sent to the configured MAST host, never to a foreign host
//! (directly or across a redirect) nor to S3; credentials in URLs never reach the manifest.

use mast_download::{DownloadItem, Downloader, Source, Status};
use mast_emulator::Emulator;
use mast_proto::{MastClient, MastConfig, Secret};

use crate::util::*;

const TOKEN: &str = "dl-tok-81c0b2a9";

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

    // bundle.sh carries it.
    dl.bundle_script(["mast:HST/product/u9o40504m_c3m.fits"], &dir.path().join("x.sh")).await.unwrap();
    assert_eq!(emu.stats().authorized("bundle"), 1);
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
