//! MAST's curl scripts: `POST Download/bundle.sh` with the products' URIs, whose answer is a
//! bash script that fetches them with curl (astroquery's `curl_flag=True`).

#[cfg(feature = "https")]
use std::path::Path;

use mast_proto::pyfmt::form_urlencoded;
#[cfg(feature = "https")]
use reqwest::header::CONTENT_TYPE;

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

/// A bash script that downloads `files` (`(local path, URL)` pairs) with curl, written
/// locally without asking MAST: each file is fetched with `--fail`, resumed with
/// `--continue-at -` when a previous run was interrupted, into a `.part` name that is renamed
/// only when curl succeeds, so a partial file never sits under its final name. Paths and
/// URLs are single-quoted for the shell.
///
/// ```
/// let script = mast_download::local_curl_script(&[(
///     "mastDownload/HST/U9O40504M/u9o40504m_c3m.fits".into(),
///     "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HST/product/u9o40504m_c3m.fits".into(),
/// )]);
/// assert!(script.starts_with("#!/usr/bin/env bash\n"));
/// assert!(script.contains("fetch 'mastDownload/HST/U9O40504M/u9o40504m_c3m.fits' 'https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HST/product/u9o40504m_c3m.fits'\n"));
/// ```
pub fn local_curl_script(files: &[(String, String)]) -> String {
    let mut script = String::from(
        "#!/usr/bin/env bash\n\
         # Written by mast-rs: downloads MAST data products with curl.\n\
         # Rerun it to resume; finished files are not fetched again.\n\
         set -euo pipefail\n\
         fetch() {\n  \
           [ -f \"$1\" ] && return 0\n  \
           mkdir -p \"$(dirname \"$1\")\"\n  \
           curl --globoff --location --fail --silent --show-error --continue-at - --output \"$1.part\" \"$2\"\n  \
           mv -f \"$1.part\" \"$1\"\n\
         }\n",
    );
    for (path, url) in files {
        script.push_str(&format!("fetch {} {}\n", shell_quote(path), shell_quote(url)));
    }
    script
}

/// `s` in single quotes for POSIX shells (`'` written as `'\''`).
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
