//! Exclusive-access products through `Observations` (spec §8.4, §8.5, §9.4, §12): a batch
//! mixing public and exclusive products, `download_file`, cloud fallbacks and curl scripts,
//! with a valid, an expired or no token; and the token searched for everywhere it must not
//! be: manifests, curl scripts, logs at TRACE, errors, and MAST requests other than as the
//! `mast_token` cookie.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use mast_download::{Error, Manifest, Status};
use mast_emulator::files::FileContent;
use mast_emulator::{Emulator, EmulatorConfig, EmulatorToken, LoggedRequest};
use mast_observations::{DownloadFileOptions, DownloadOptions, Layout, Observations};
use mast_proto::products::ProductFilter;
use mast_proto::{MastClient, Secret, Table};

use crate::config;

/// An HST observation of the generated sky (as in `cloud.rs`).
const OBSID: &str = "162748935323654";
const TOKEN: &str = "obs-excl-3b9e60d2";
const OLD: &str = "obs-excl-old-c4a1";

/// An emulator whose product lists name one exclusive product per observation, knowing
/// `TOKEN` (valid) and `OLD` (expired).
async fn emulator() -> Emulator {
    let config = EmulatorConfig::default()
        .exclusive_products(true)
        .token(EmulatorToken::new(TOKEN))
        .token(EmulatorToken::new(OLD).expired());
    Emulator::start(config).await.unwrap()
}

/// `Observations` over `emu` whose client is configured with `token` (as `MAST_API_TOKEN`
/// or a login would configure it).
fn observations(emu: &Emulator, token: Option<&str>) -> Observations {
    let config = match token {
        Some(token) => config(emu).with_token(Secret::new(token)),
        None => config(emu),
    };
    Observations::new(MastClient::new(config).unwrap())
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mast-obs-excl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The products to download: `OBSID`'s under 5 MB (the exclusive one among them).
fn small() -> DownloadOptions {
    DownloadOptions::new().filter(ProductFilter::new().column("size", ["<5000000"]))
}

/// `OBSID`'s products and, for each, whether it is exclusive (`dataRights`).
async fn products(emu: &Emulator) -> (Table, Vec<bool>) {
    let products = observations(emu, None).get_product_list(OBSID).await.unwrap();
    let products =
        mast_proto::products::filter_products(&products, &ProductFilter::new().column("size", ["<5000000"])).unwrap();
    let rights = products.column("dataRights").unwrap();
    let exclusive: Vec<bool> =
        (0..products.num_rows()).map(|i| rights.get_str(i) == Some("EXCLUSIVE_ACCESS")).collect();
    assert_eq!(exclusive.iter().filter(|e| **e).count(), 1, "the fixture has one exclusive product");
    assert!(exclusive.len() >= 3, "and public ones: {exclusive:?}");
    (products, exclusive)
}

fn uri_of(products: &Table, i: usize) -> String {
    products.column("dataURI").unwrap().get_str(i).unwrap().to_owned()
}

/// The bytes the emulator serves for `uri`.
fn bytes_of(emu: &Emulator, uri: &str) -> Vec<u8> {
    let size = emu.file_size(uri);
    FileContent::new(uri, size, 42, 0).bytes(0..size).to_vec()
}

/// Every log line at TRACE written on this thread while the guard lives (the tests run on
/// a current-thread runtime, so the client's, the downloader's and the emulator's tasks
/// log here too; blocking-pool threads do not).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// Every cell of a manifest's table, its rows' Debug output, and every error's Display and
/// Debug (the rows' errors and the fallbacks' first errors).
fn everything_shown(manifest: &Manifest) -> String {
    let table = manifest.to_table();
    let mut out = String::new();
    for column in table.columns() {
        for i in 0..table.num_rows() {
            out.push_str(column.get_str(i).unwrap_or("<masked>"));
            out.push('\n');
        }
    }
    for row in manifest.iter() {
        out.push_str(&format!("{row:?}\n"));
        for e in row.error.iter().chain(&row.fallback_from) {
            out.push_str(&format!("{e}\n{e:?}\n"));
        }
    }
    out
}

#[tokio::test]
async fn without_a_token_exclusive_rows_fail_and_public_rows_complete() {
    let emu = emulator().await;
    let (products, exclusive) = products(&emu).await;
    let dir = temp_dir("no-token");
    let done = observations(&emu, None).download_products(&products, &small().download_dir(&dir)).await.unwrap();
    assert_eq!(done.manifest.len(), exclusive.len());
    for (i, (row, excl)) in done.manifest.iter().zip(&exclusive).enumerate() {
        if !excl {
            assert_eq!(row.status, Status::Complete, "{row:?}");
            assert_eq!(std::fs::read(&row.local_path).unwrap(), bytes_of(&emu, &uri_of(&products, i)));
            continue;
        }
        assert_eq!(row.status, Status::Error);
        let url = format!("{}/api/v0.1/Download/file?uri={}", emu.base_url(), uri_of(&products, i));
        let message = row.message.as_deref().unwrap();
        assert!(
            message.starts_with(&format!("HTTPError: 401 Client Error: Unauthorized for url: {url}. ")),
            "{message}"
        );
        for needle in ["not public", "MAST_API_TOKEN", "mast login", "MastAuth::login"] {
            assert!(message.contains(needle), "{needle}: {message}");
        }
        assert_eq!(row.url.as_deref(), Some(url.as_str()));
        assert!(!row.local_path.exists());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn with_a_token_every_row_completes_and_an_expired_one_is_told_to_renew() {
    let emu = emulator().await;
    let (products, exclusive) = products(&emu).await;
    let at = exclusive.iter().position(|e| *e).unwrap();
    let dir = temp_dir("token");
    let done = observations(&emu, Some(TOKEN)).download_products(&products, &small().download_dir(&dir)).await.unwrap();
    assert_eq!(done.manifest.count(Status::Complete), exclusive.len(), "{:?}", done.manifest);
    let row = &done.manifest.rows()[at];
    assert_eq!(std::fs::read(&row.local_path).unwrap(), bytes_of(&emu, &uri_of(&products, at)));

    let old = temp_dir("expired");
    let done = observations(&emu, Some(OLD)).download_products(&products, &small().download_dir(&old)).await.unwrap();
    assert_eq!(done.manifest.count(Status::Complete), exclusive.len() - 1);
    let row = &done.manifest.rows()[at];
    assert_eq!(row.status, Status::Error);
    let message = row.message.as_deref().unwrap();
    for needle in
        ["may be expired", "10 days without use", "60 days after creation", "https://auth.mast.stsci.edu/token"]
    {
        assert!(message.contains(needle), "{needle}: {message}");
    }
    assert!(matches!(row.error, Some(Error::Unauthorized { with_token: true, .. })), "{:?}", row.error);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&old);
}

#[tokio::test]
async fn download_file_reports_exclusive_products_as_batches_do() {
    let emu = emulator().await;
    let uri = "mast:JWST/product/jw02222_exclusive_x_cal.fits";
    let dir = temp_dir("file");
    let options = DownloadFileOptions::new().local_path(&dir);
    let url = format!("{}/api/v0.1/Download/file?uri={uri}", emu.base_url());
    let astroquery = format!("HTTPError: 401 Client Error: Unauthorized for url: {url}. ");

    let done = observations(&emu, None).download_file(uri, &options).await.unwrap();
    let row = &done.manifest.rows()[0];
    assert_eq!((row.status, row.url.as_deref()), (Status::Error, Some(url.as_str())));
    let message = row.message.as_deref().unwrap();
    assert!(message.starts_with(&astroquery) && message.contains("not public"), "{message}");

    let done = observations(&emu, Some(OLD)).download_file(uri, &options).await.unwrap();
    let message = done.manifest.rows()[0].message.clone().unwrap();
    assert!(message.starts_with(&astroquery) && message.contains("may be expired"), "{message}");

    let done = observations(&emu, Some(TOKEN)).download_file(uri, &options).await.unwrap();
    let row = &done.manifest.rows()[0];
    assert_eq!((row.status, row.message.as_deref(), row.url.as_deref()), (Status::Complete, None, None));
    assert_eq!(std::fs::read(dir.join("jw02222_exclusive_x_cal.fits")).unwrap(), bytes_of(&emu, uri));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_cloud_batch_fetches_exclusive_products_from_mast_with_the_token() {
    let emu = emulator().await;
    let (products, exclusive) = products(&emu).await;
    let at = exclusive.iter().position(|e| *e).unwrap();
    let dir = temp_dir("cloud");
    emu.reset_stats();
    let mut obs = observations(&emu, Some(TOKEN));
    obs.enable_cloud_dataset().unwrap();
    let done = obs.download_products(&products, &small().download_dir(&dir)).await.unwrap();
    assert_eq!(done.manifest.count(Status::Complete), exclusive.len(), "{:?}", done.manifest);
    let exclusive_uri = uri_of(&products, at);
    assert_eq!(std::fs::read(&done.manifest.rows()[at].local_path).unwrap(), bytes_of(&emu, &exclusive_uri));
    // Not in the public bucket: MAST's HTTPS endpoint instead, with astroquery's warning.
    let text = format!("The product {exclusive_uri} was not found in the cloud. Falling back to MAST download.");
    assert!(done.warnings.iter().any(|w| w.message.contains(&text)), "{:?}", done.warnings);
    let log = emu.requests();
    let from_mast: Vec<&LoggedRequest> = log.iter().filter(|e| e.is("download")).collect();
    assert!(from_mast.iter().any(|e| e.query_value("uri") == Some(exclusive_uri.as_str())), "{log:?}");
    assert!(from_mast.iter().all(|e| e.header("cookie") == Some(format!("mast_token={TOKEN}").as_str())));
    // The public products came from S3, whose requests never carry the token.
    let s3: Vec<&LoggedRequest> = log.iter().filter(|e| e.keys.iter().any(|k| k.starts_with("s3"))).collect();
    assert!(s3.iter().any(|e| e.is("s3:get")), "{log:?}");
    assert!(s3.iter().all(|e| !carries(e, TOKEN) && e.header("cookie").is_none()), "S3 got the token: {s3:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_curl_script_takes_the_token_from_the_environment_at_run_time() {
    let emu = emulator().await;
    let (products, exclusive) = products(&emu).await;
    let at = exclusive.iter().position(|e| *e).unwrap();
    let dir = temp_dir("curl");
    let script = dir.join("get.sh");
    let obs = observations(&emu, Some(TOKEN));
    let table = obs.write_curl_script(&products, &small(), &script).await.unwrap();
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(!text.contains(TOKEN), "the token is in the script:\n{text}");
    assert!(text.contains("MAST_API_TOKEN") && text.contains("not public"), "{text}");
    assert_eq!(text.matches("' token\n").count(), exclusive.len(), "every MAST row may carry it:\n{text}");
    let exclusive_path = table.column("Local Path").unwrap().get_str(at).unwrap().to_owned();

    // Without the variable: the exclusive file is refused (curl --fail), no token sent.
    // On the blocking pool: the emulator answers on this test's runtime meanwhile.
    let run = |env: Option<&'static str>| {
        let mut cmd = std::process::Command::new("bash");
        cmd.arg(&script).current_dir(&dir).env_remove("MAST_API_TOKEN");
        if let Some(token) = env {
            cmd.env("MAST_API_TOKEN", token);
        }
        tokio::task::spawn_blocking(move || {
            cmd.output().expect("bash runs the script (curl is required, as for the other curl tests)")
        })
    };
    emu.reset_stats();
    let output = run(None).await.unwrap();
    assert!(!output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(!dir.join(&exclusive_path).exists());
    let refused = emu.requests_for("download");
    assert!(refused.iter().any(|e| e.status == Some(401)), "{refused:?}");
    assert!(refused.iter().all(|e| e.header("cookie").is_none() && !carries(e, TOKEN)), "{refused:?}");

    // With it: every file, the token as the cookie only.
    emu.reset_stats();
    let output = run(Some(TOKEN)).await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    for i in 0..products.num_rows() {
        let path = dir.join(table.column("Local Path").unwrap().get_str(i).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), bytes_of(&emu, &uri_of(&products, i)), "{path:?}");
    }
    let log = emu.requests_for("download");
    assert!(!log.is_empty());
    for e in &log {
        assert_eq!(e.header("cookie"), Some(format!("mast_token={TOKEN}").as_str()), "{e:?}");
        assert_eq!(e.header("authorization"), None);
        assert!(!e.path.contains(TOKEN) && e.query.iter().all(|(k, v)| !k.contains(TOKEN) && !v.contains(TOKEN)));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether `entry` has `secret` in a logged header, its path, its query or its body.
fn carries(entry: &LoggedRequest, secret: &str) -> bool {
    entry.headers.iter().any(|(k, v)| k.contains(secret) || v.contains(secret))
        || entry.path.contains(secret)
        || entry.query.iter().any(|(k, v)| k.contains(secret) || v.contains(secret))
        || format!("{:?}", entry.body).contains(secret)
}

#[tokio::test]
async fn the_token_is_never_shown_and_reaches_mast_only_as_the_cookie() {
    let (logs, _guard) = capture();
    let emu = emulator().await;
    let (products, _) = products(&emu).await;
    let dir = temp_dir("hidden");
    let mut obs = observations(&emu, Some(TOKEN));
    let mut shown = String::new();
    // A batch (exclusive products included), a refused file (401 whatever the token) and
    // a cloud batch whose exclusive product falls back to MAST.
    let done = obs.download_products(&products, &small().download_dir(dir.join("a"))).await.unwrap();
    assert_eq!(done.manifest.count(Status::Error), 0);
    shown += &everything_shown(&done.manifest);
    let refused = obs
        .download_file("mast:HST/product/unauthorized_x.fits", &DownloadFileOptions::new().local_path(dir.join("b")))
        .await
        .unwrap();
    assert!(matches!(refused.manifest.rows()[0].error, Some(Error::Unauthorized { with_token: true, .. })));
    shown += &everything_shown(&refused.manifest);
    obs.enable_cloud_dataset().unwrap();
    let cloud = obs.download_products(&products, &small().download_dir(dir.join("c"))).await.unwrap();
    assert_eq!(cloud.manifest.count(Status::Complete), products.num_rows());
    shown += &everything_shown(&cloud.manifest);
    for w in done.warnings.iter().chain(&refused.warnings).chain(&cloud.warnings) {
        shown += &format!("{w} {w:?}\n");
    }
    shown += &format!("{:?} {:?}", obs.client(), obs.downloader());
    let script = dir.join("get.sh");
    obs.write_curl_script(&products, &small(), &script).await.unwrap();
    shown += &std::fs::read_to_string(&script).unwrap();
    assert!(!shown.contains(TOKEN), "the token is shown:\n{shown}");

    // The log at TRACE: astroquery's warning for the refused file, never the token.
    let logged = logs.text();
    assert!(logged.contains("You are not authorized to download from"), "{logged}");
    assert!(logged.contains("WARN"), "{logged}");
    assert!(!logged.contains(TOKEN), "the token is in the log");

    // MAST got it as the cookie and in no other header, path, query or body; the cookie-less
    // helpers (path lookup) and S3 not at all.
    let log = emu.requests();
    let carrying: Vec<&LoggedRequest> = log.iter().filter(|e| carries(e, TOKEN)).collect();
    assert!(carrying.iter().any(|e| e.is("download")), "{log:?}");
    for e in &log {
        let cookie_only = e
            .headers
            .iter()
            .filter(|(k, v)| v.contains(TOKEN) || k.contains(TOKEN))
            .all(|(k, v)| k == "cookie" && *v == format!("mast_token={TOKEN}"));
        assert!(cookie_only, "{e:?}");
        assert!(!e.path.contains(TOKEN) && !format!("{:?} {:?}", e.query, e.body).contains(TOKEN), "{e:?}");
        if e.is("path_lookup") || e.keys.iter().any(|k| k.starts_with("s3")) {
            assert!(!carries(e, TOKEN), "a cookie-less request has it: {e:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn masts_curl_script_takes_the_token_from_the_environment_too() {
    let emu = emulator().await;
    let (products, exclusive) = products(&emu).await;
    let exclusive_uri = uri_of(&products, exclusive.iter().position(|e| *e).unwrap());
    let dir = temp_dir("bundle");
    let obs = observations(&emu, Some(TOKEN));
    let table = obs.download_curl_script(&products, &small().download_dir(&dir).layout(Layout::Nested)).await.unwrap();
    assert_eq!(table.column("Status").unwrap().get_str(0), Some("COMPLETE"));
    let script = PathBuf::from(table.column("Local Path").unwrap().get_str(0).unwrap());
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(!text.contains(TOKEN), "the token is in the script:\n{text}");
    assert!(text.contains("MAST_API_TOKEN"), "{text}");
    // The emulator's script writes `MAST_Download/<mission>/<file name up to its first _>/<file>`.
    let (mission, file) =
        (exclusive_uri["mast:".len()..].split('/').next().unwrap(), exclusive_uri.rsplit('/').next().unwrap());
    let target = dir.join(format!("MAST_Download/{mission}/{}/{file}", file.split('_').next().unwrap()));
    for (env, ok) in [(None, false), (Some(TOKEN), true)] {
        let _ = std::fs::remove_dir_all(dir.join("MAST_Download"));
        let mut cmd = std::process::Command::new("bash");
        cmd.arg(&script).current_dir(&dir).env_remove("MAST_API_TOKEN").stdin(std::process::Stdio::null());
        if let Some(token) = env {
            cmd.env("MAST_API_TOKEN", token);
        }
        let output = tokio::task::spawn_blocking(move || cmd.output().expect("bash runs the script")).await.unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(target.is_file(), ok, "{target:?} with {env:?}");
        if ok {
            assert_eq!(std::fs::read(&target).unwrap(), bytes_of(&emu, &exclusive_uri));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
