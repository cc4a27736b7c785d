//! MAST's curl scripts (astroquery's `curl_flag=True`): `POST Download/bundle.sh` with the
//! products' URIs, whose answer is a bash script that fetches them with curl (spec §8.6),
//! and the Portal's `Mast.Bundle.Request` with URLs and paths, whose answer names a staged
//! script to fetch (spec §8.7, HSC spectra).

#[cfg(feature = "https")]
use std::path::Path;

use mast_proto::ServiceRequest;
use mast_proto::pyfmt::form_urlencoded;
#[cfg(feature = "https")]
use reqwest::header::CONTENT_TYPE;

#[cfg(feature = "https")]
use crate::{BatchOptions, DownloadItem, ManifestRow, Source, Status};
#[cfg(feature = "https")]
use crate::{Downloader, Error, Result};

/// `<MAST_URL>/api/v0.1/Download/bundle.sh` ([`mast_proto::endpoints::DOWNLOAD_BUNDLE`]).
pub fn bundle_script_url(config: &mast_proto::MastConfig) -> String {
    config.url(&mast_proto::endpoints::DOWNLOAD_BUNDLE)
}

/// The `bundle.sh` form body: one `uri` pair per URI, in order, encoded as Python
/// `requests` encodes a form (`uri=mast%3AHST%2Fproduct%2Fa.fits&uri=...`).
///
/// ```
/// assert_eq!(
///     mast_download::bundle_script_body(["mast:HST/product/a b.fits", "mast:HST/product/c.fits"]),
///     "uri=mast%3AHST%2Fproduct%2Fa+b.fits&uri=mast%3AHST%2Fproduct%2Fc.fits"
/// );
/// ```
pub fn bundle_script_body<'a>(uris: impl IntoIterator<Item = &'a str>) -> String {
    form_urlencoded(uris.into_iter().map(|u| ("uri", u)))
}

#[cfg(feature = "https")]
impl Downloader {
    /// Asks MAST for the curl script that downloads `uris` (`POST Download/bundle.sh`, no
    /// `HEAD` first, as astroquery) and saves the answer at `path` (through `<path>.part`,
    /// renamed once complete, neither opened through a symbolic link: a link at either is
    /// [`Error::Symlink`], see [`crate::write_file`]; the parent directory is created).
    /// Returns the script's size.
    pub async fn bundle_script<'a>(&self, uris: impl IntoIterator<Item = &'a str>, path: &Path) -> Result<u64> {
        let config = self.client().config();
        let url = bundle_script_url(config);
        let body = bundle_script_body(uris);
        let what = format!("the curl script of {url}");
        let client = self.client();
        let bytes = client
            .fetch(mast_proto::Patience::Quick, &what, || {
                let request = client.http().post(&url);
                client
                    .authorize(request, &url, mast_proto::auth::RequestKind::Bundle)
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body.clone())
            })
            .await
            .map_err(|e| match e {
                // Python `requests`' wording, as for every download.
                mast_proto::Error::Http { status, reason, url, retry_after, .. } => {
                    Error::Http { status, reason, url, retry_after }
                }
                other => Error::Proto(other),
            })?;
        let io = |action: &str, p: &Path| {
            let (action, path) = (action.to_owned(), p.to_path_buf());
            move |source| Error::Io { action, path, source }
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir).await.map_err(io("create", dir))?;
        }
        // Through `<path>.part` and a rename, never through a symbolic link.
        let (target, len) = (path.to_path_buf(), bytes.len() as u64);
        tokio::task::spawn_blocking(move || crate::write_file(&target, &bytes))
            .await
            .map_err(|e| Error::Internal { message: e.to_string() })??;
        Ok(len)
    }
}

/// `mastDownload_<YYYYmmddHHMMSS>` in local time: the name astroquery gives a curl script
/// (`<stem>.sh`) and, for `Mast.Bundle.Request`, the folder the script downloads into.
///
/// ```
/// let stem = mast_download::bundle_script_stem();
/// assert!(stem.starts_with("mastDownload_") && stem.len() == "mastDownload_".len() + 14);
/// ```
pub fn bundle_script_stem() -> String {
    format!("mastDownload_{}", chrono::Local::now().format("%Y%m%d%H%M%S"))
}

/// The Portal request `Mast.Bundle.Request` for a curl script of `files` (`(path below the
/// script's folder, URL)` pairs, in order), with params in astroquery's order (spec §8.7):
/// `urlList` (the URLs, comma-joined), `filename` (`stem`), `pathList` (`<stem>/<path>`,
/// comma-joined), `descriptionList` (one `""` per file), `productTypeList` (`product_type`
/// per file) and `extension` (`curl`).
///
/// ```
/// let files = [("HSC/a.fits".to_owned(), "https://hla.stsci.edu/cgi-bin/ecfproxy?file_id=a.fits".to_owned())];
/// let request = mast_download::bundle_request(&files, "spectrum", "mastDownload_20260101000000");
/// assert_eq!(
///     request.cache_breaker("x").to_json(),
///     r#"{"service": "Mast.Bundle.Request", "params": {"urlList": "https://hla.stsci.edu/cgi-bin/ecfproxy?file_id=a.fits", "filename": "mastDownload_20260101000000", "pathList": "mastDownload_20260101000000/HSC/a.fits", "descriptionList": [""], "productTypeList": ["spectrum"], "extension": "curl"}, "format": "json", "pagesize": 50000, "page": 1, "cacheBreaker": "x"}"#
/// );
/// ```
pub fn bundle_request(files: &[(String, String)], product_type: &str, stem: &str) -> ServiceRequest {
    let urls: Vec<&str> = files.iter().map(|(_, url)| url.as_str()).collect();
    let paths: Vec<String> = files.iter().map(|(path, _)| format!("{stem}/{path}")).collect();
    ServiceRequest::new("Mast.Bundle.Request")
        .param("urlList", urls.join(","))
        .param("filename", stem)
        .param("pathList", paths.join(","))
        .param("descriptionList", vec![""; files.len()])
        .param("productTypeList", vec![product_type; files.len()])
        .param("extension", "curl")
}

/// The part of a `Mast.Bundle.Request` answer a client uses (spec §8.7): the staged
/// script's `url` and the keys of `statusList` whose value is not `COMPLETE`.
#[cfg(feature = "https")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleAnswer {
    /// Where MAST staged the script.
    pub url: String,
    /// The files MAST could not add to the script, in the answer's order.
    pub not_added: Vec<String>,
}

#[cfg(feature = "https")]
impl BundleAnswer {
    /// Reads an answer (`{"status": "COMPLETE", "url": ..., "statusList": {...}, ...}`);
    /// one without a `url` is a decode error.
    ///
    /// ```
    /// let body = br#"{"status": "COMPLETE", "url": "https://mast.stsci.edu/portal/Download/stage/x/a.sh", "statusList": {"u1": "COMPLETE", "u2": "ERROR"}}"#;
    /// let answer = mast_download::BundleAnswer::parse(body)?;
    /// assert_eq!(answer.url, "https://mast.stsci.edu/portal/Download/stage/x/a.sh");
    /// assert_eq!(answer.not_added, ["u2"]);
    /// # Ok::<(), mast_download::Error>(())
    /// ```
    pub fn parse(body: &[u8]) -> Result<BundleAnswer> {
        let decode = |detail: String| {
            Error::Proto(mast_proto::Error::Decode { format: "Mast.Bundle.Request JSON", detail, source: None })
        };
        let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| decode(e.to_string()))?;
        let url = v
            .get("url")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| decode("the answer has no script url".into()))?
            .to_owned();
        let not_added = v
            .get("statusList")
            .and_then(serde_json::Value::as_object)
            .map(|m| m.iter().filter(|(_, s)| s.as_str() != Some("COMPLETE")).map(|(k, _)| k.clone()).collect())
            .unwrap_or_default();
        Ok(BundleAnswer { url, not_added })
    }
}

#[cfg(feature = "https")]
impl Downloader {
    /// astroquery's curl download through the Portal (spec §8.7): asks `Mast.Bundle.Request`
    /// for a script fetching `files` (see [`bundle_request`]; the script's folder is
    /// [`bundle_script_stem`]), then fetches the staged script (one `GET`, through the
    /// downloader: `.part`, rename) to `<dir>/<stem>.sh`. Returns astroquery's row for it:
    /// `Local Path` (`dir` and the name joined as text, [`crate::join_text`]), `COMPLETE`
    /// (with `Message` `"<n> files could not be added to the curl script"` and `URL` those
    /// files, comma-joined, when MAST says so), or `ERROR` with `Curl could not be
    /// downloaded` and the script's URL when the script could not be fetched (the cause in
    /// [`ManifestRow::error`]). A failed Portal request or an unreadable answer is an error.
    pub async fn bundle_request_script(
        &self,
        files: &[(String, String)],
        product_type: &str,
        dir: &Path,
    ) -> Result<ManifestRow> {
        let stem = bundle_script_stem();
        let bodies = self.client().portal_raw(bundle_request(files, product_type, &stem)).await?;
        let body = bodies.first().ok_or_else(|| {
            Error::Proto(mast_proto::Error::Decode {
                format: "Mast.Bundle.Request JSON",
                detail: "no answer".into(),
                source: None,
            })
        })?;
        let answer = BundleAnswer::parse(body)?;
        let name = format!("{stem}.sh");
        let shown = crate::join_text(dir, &name);
        let source = Source::parse(&answer.url)?;
        let item = DownloadItem::to_path(source, dir.join(&name));
        let fetched = self.download_with(item, &BatchOptions::new().cache(false)).await;
        let mut row = fetched;
        row.local_path = shown;
        if row.status == Status::Complete {
            row.message = None;
            row.url = None;
            if !answer.not_added.is_empty() {
                row.message = Some(format!("{} files could not be added to the curl script", answer.not_added.len()));
                row.url = Some(answer.not_added.join(","));
            }
        } else {
            tracing::warn!(url = %mast_proto::redact_url(&answer.url), message = ?row.message, "the curl script could not be downloaded");
            row.message = Some("Curl could not be downloaded".into());
            row.url = Some(mast_proto::redact_url(&answer.url).into_owned());
        }
        Ok(row)
    }
}

/// A bash script that downloads `files` (`(local path, URL)` pairs) with curl, written
/// locally without asking MAST: each file is fetched with `--fail`, resumed with
/// `--continue-at -` when a previous run was interrupted, into a `.part` name that is renamed
/// only when curl succeeds, so a partial file never sits under its final name. Paths and
/// URLs are single-quoted for the shell.
///
/// The same as [`local_curl_script_for`] with the default configuration (MAST's own hosts):
/// rows on `https://mast.stsci.edu` pass `$MAST_API_TOKEN` when it is set.
///
/// ```
/// let script = mast_download::local_curl_script(&[(
///     "mastDownload/HST/U9O40504M/u9o40504m_c3m.fits".into(),
///     "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HST/product/u9o40504m_c3m.fits".into(),
/// )]);
/// assert!(script.starts_with("#!/usr/bin/env bash\n"));
/// assert!(script.contains("fetch 'mastDownload/HST/U9O40504M/u9o40504m_c3m.fits' 'https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HST/product/u9o40504m_c3m.fits' token\n"));
/// ```
pub fn local_curl_script(files: &[(String, String)]) -> String {
    local_curl_script_for(&mast_proto::MastConfig::new(), files)
}

/// [`local_curl_script`] for the MAST configured in `config`: every row whose URL may carry
/// the MAST API token ([`mast_proto::auth::may_send_token`] for a download: the configured
/// MAST hosts, never another host) sends `$MAST_API_TOKEN`, read from the environment when
/// the script runs, as the cookie `mast_token`, when that variable is set and not empty; a
/// comment at the top says so. The token itself is never written into the script.
///
/// Why every MAST row and not only the exclusive-access ones: the script may run later, by
/// someone else, when a product's proprietary period has ended or begun, and a product list
/// need not say which rows are exclusive (`dataRights`); MAST ignores the cookie for public
/// files, and MAST's own `bundle.sh` scripts take the token the same way for every file.
/// Without the variable the script sends no token, so public files download and exclusive
/// ones fail (curl's `--fail`: `401`). The cookie reaches curl on its standard input
/// (`--header @-`, written by bash's built-in `printf`), so the token is in no command
/// line another user could list, and curl does not send it across a redirect to another
/// host.
///
/// ```
/// use mast_proto::MastConfig;
/// let config = MastConfig::new().with_all_urls("http://127.0.0.1:8080")?;
/// let script = mast_download::local_curl_script_for(&config, &[
///     ("a.fits".into(), "http://127.0.0.1:8080/api/v0.1/Download/file?uri=mast:JWST/product/a_exclusive.fits".into()),
///     ("b.fits".into(), "https://example.org/b.fits".into()),
/// ]);
/// assert!(script.contains("MAST_API_TOKEN"));
/// assert!(script.contains("fetch 'a.fits' 'http://127.0.0.1:8080/api/v0.1/Download/file?uri=mast:JWST/product/a_exclusive.fits' token\n"));
/// assert!(script.contains("fetch 'b.fits' 'https://example.org/b.fits'\n"));
/// # Ok::<(), mast_proto::Error>(())
/// ```
pub fn local_curl_script_for(config: &mast_proto::MastConfig, files: &[(String, String)]) -> String {
    let carries = |url: &str| mast_proto::auth::may_send_token(config, url, mast_proto::auth::RequestKind::Download);
    let any_token = files.iter().any(|(_, url)| carries(url));
    let mut script = String::from(
        "#!/usr/bin/env bash\n\
         # Written by mast-rs: downloads MAST data products with curl.\n\
         # Rerun it to resume; finished files are not fetched again.\n",
    );
    if any_token {
        // The page's URL is built from the configuration: no quote or newline can reach it.
        let page = mast_proto::auth::token_page_url(config).replace(['\n', '\r'], "");
        script.push_str(&format!(
            "#\n\
             # Products that are not public (exclusive access) need a MAST API token: set\n\
             # MAST_API_TOKEN in the environment before running this script, for example with\n\
             #   read -rs MAST_API_TOKEN && export MAST_API_TOKEN\n\
             # (tokens are created at {page}). It is read when the script runs and\n\
             # sent, as the cookie mast_token, only with the files from MAST (the rows marked\n\
             # \"token\"); it is never written into this file. Public files need none.\n",
        ));
    }
    script.push_str(
        "set -euo pipefail\n\
         fetch() {\n  \
           [ -f \"$1\" ] && return 0\n  \
           mkdir -p \"$(dirname \"$1\")\"\n",
    );
    let curl = "curl --globoff --location --fail --silent --show-error --continue-at -";
    if any_token {
        script.push_str(&format!(
            "  if [ \"${{3:-}}\" = token ] && [ -n \"${{MAST_API_TOKEN:-}}\" ]; then\n    \
             # On standard input (printf is built in): the token is in no command line.\n    \
             printf 'Cookie: mast_token=%s\\n' \"$MAST_API_TOKEN\" | {curl} --header @- --output \"$1.part\" \"$2\"\n  \
             else\n    \
             {curl} --output \"$1.part\" \"$2\"\n  \
             fi\n"
        ));
    } else {
        script.push_str(&format!("  {curl} --output \"$1.part\" \"$2\"\n"));
    }
    script.push_str("  mv -f \"$1.part\" \"$1\"\n}\n");
    for (path, url) in files {
        let mark = if carries(url) { " token" } else { "" };
        script.push_str(&format!("fetch {} {}{mark}\n", shell_quote(path), shell_quote(url)));
    }
    script
}

/// `s` in single quotes for POSIX shells (`'` written as `'\''`).
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
