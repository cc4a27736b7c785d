//! The one error type of mast-download.

use std::path::PathBuf;

/// Everything that can go wrong with one file.
///
/// A batch ([`crate::Downloader::download_all`]) never stops on an error: each file's error
/// becomes its manifest row's `ERROR` status, with the message
/// `"<class name>: <this error>"` ([`Error::class_name`]). For HTTP errors that is
/// astroquery's text exactly:
///
/// ```
/// use mast_download::Error;
/// let e = Error::Http {
///     status: 404,
///     reason: "Not Found".into(),
///     url: "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HST/product/x.fits".into(),
///     retry_after: None,
/// };
/// assert_eq!(
///     format!("{}: {e}", e.class_name()),
///     "HTTPError: 404 Client Error: Not Found for url: https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HST/product/x.fits"
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of the MAST client layer: connection failures, resets and read timeouts
    /// (after the retries), configuration errors.
    #[error(transparent)]
    Proto(#[from] mast_proto::Error),
    /// The server answered with an HTTP error status (after the retries, for transient ones).
    /// Displayed as Python `requests` words it (`404 Client Error: Not Found for url: <url>`).
    #[error("{status} {kind} Error: {reason} for url: {url}", kind = status_kind(*status), url = mast_proto::redact_url(url))]
    Http {
        /// The status code.
        status: u16,
        /// The reason phrase.
        reason: String,
        /// The URL that answered (escaped, after redirects), as `requests` shows it.
        url: String,
        /// The server's `Retry-After`, as sent (saturating; see
        /// [`mast_proto::retry::parse_retry_after`]).
        retry_after: Option<std::time::Duration>,
    },
    /// MAST answered `401 Unauthorized` for a file on one of its hosts: the product is not
    /// public (exclusive access, spec §8.4, §12) and the request carried no token MAST
    /// accepts. Displayed as Python `requests` words a 401 (astroquery's manifest text,
    /// `401 Client Error: Unauthorized for url: <url>`), then what to do, as astroquery logs
    /// it: without a token, to log in with a MAST API token; with one, that it may have
    /// expired or lack access to this product, and where to create a new one. A 401 from a
    /// host that is not MAST's is an [`Error::Http`]. Final: another attempt with the same
    /// token cannot help. Neither Display nor Debug ever holds the token (the error does not
    /// have it).
    ///
    /// ```
    /// use mast_download::Error;
    /// let url = "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:JWST/product/jw_x_cal.fits";
    /// let token_page = "https://auth.mast.stsci.edu/token".to_owned();
    /// let anonymous = Error::Unauthorized { url: url.into(), with_token: false, token_page: token_page.clone() };
    /// let text = anonymous.manifest_message();
    /// assert!(text.starts_with(&format!("HTTPError: 401 Client Error: Unauthorized for url: {url}. ")));
    /// assert!(text.contains("not public") && text.contains("MAST_API_TOKEN") && text.contains("mast login"));
    /// let expired = Error::Unauthorized { url: url.into(), with_token: true, token_page };
    /// assert!(expired.to_string().contains("may be expired"));
    /// assert!(expired.to_string().contains("https://auth.mast.stsci.edu/token"));
    /// ```
    #[error("401 Client Error: Unauthorized for url: {url}. {advice}", url = mast_proto::redact_url(url), advice = unauthorized_advice(*with_token, token_page))]
    Unauthorized {
        /// The URL that answered (escaped, after redirects), as `requests` shows it.
        url: String,
        /// Whether the client had a MAST API token when MAST refused the file (so the
        /// request carried it): then the token is expired, unknown or without access to
        /// this product; else the user is not logged in.
        with_token: bool,
        /// Where a new token is created ([`mast_proto::auth::token_page_url`] of the
        /// client's configuration).
        token_page: String,
    },
    /// A file name that would write outside the download directory, or through a symbolic
    /// link, or that is not a plain relative path (see [`crate::safe_join`]).
    #[error("unsafe file name \"{}\": {reason}; the file was not written", crate::path::escape_for_terminal(name))]
    UnsafePath {
        /// The name as given.
        name: String,
        /// Why it was refused.
        reason: String,
    },
    /// The source is neither an `http(s)://` URL nor a `mast:` URI.
    #[error("invalid download source {input:?}: {reason}")]
    InvalidSource {
        /// The source as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A local file operation failed (disk full, permissions, a file where a directory
    /// should be, ...).
    #[error("could not {action} {}: {source}", crate::path::escape_path(path))]
    Io {
        /// What was being done (`create`, `write`, `rename ... to`, ...).
        action: String,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The data received does not have the expected size (the size MAST listed for the
    /// product, or the server's own `Content-Length`), after the retries.
    #[error("{url}: received {got} bytes, expected {expected} ({origin}); the file was not saved", url = mast_proto::redact_url(url))]
    SizeMismatch {
        /// The source URL.
        url: String,
        /// Bytes received (or announced by the server).
        got: u64,
        /// Bytes expected.
        expected: u64,
        /// Where the expectation comes from.
        origin: &'static str,
    },
    /// The data received does not have the expected checksum, after the retries.
    #[error("{url}: checksum mismatch: expected {expected}, got {got}; the file was not saved", url = mast_proto::redact_url(url))]
    ChecksumMismatch {
        /// The source URL.
        url: String,
        /// The expected checksum (`sha256:<hex>`).
        expected: String,
        /// The checksum of what was received.
        got: String,
    },
    /// The server's answer breaks the HTTP rules a download relies on (an unrequested
    /// `206`, an HTML error page served as the file), after the retries.
    #[error("{url}: {message}", url = mast_proto::redact_url(url))]
    Protocol {
        /// The source URL.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The object is not in the bucket (S3 `404`), or MAST's path lookup says the product
    /// has no cloud copy.
    #[error("The product {uri} was not found in the cloud.")]
    NotInCloud {
        /// The `s3://` or `mast:` URI.
        uri: String,
    },
    /// An S3 request failed (after the retries, for transient failures).
    #[error("could not download {uri} from the cloud: {message}")]
    S3 {
        /// The `s3://` URI.
        uri: String,
        /// The most specific cause object_store reported.
        message: String,
        /// Whether another attempt can help (5xx, throttling, cut connections), as opposed
        /// to a refused or unsupported request.
        transient: bool,
        /// The server's `Retry-After` (saturating), when it sent one.
        retry_after: Option<std::time::Duration>,
        /// object_store's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// Another process holds the lock on the file's temporary file for longer than the
    /// configured timeout.
    #[error("{} is being downloaded by another process (its temporary file is locked{}); try again later", crate::path::escape_path(path), lock_file_note(lock_file.as_deref()))]
    Busy {
        /// The temporary file.
        path: PathBuf,
        /// The lock file (`<name>.part.lock`) that holds it, on a file system without
        /// `flock` (NFS, Lustre): if no process is downloading the file any more, removing
        /// it lets the download go on.
        lock_file: Option<PathBuf>,
    },
    /// A symbolic link where mast-download creates or reads one of its own files (the
    /// temporary `<name>.part`, its `.part.meta` sidecar and `.part.meta.tmp`, the final
    /// name, a curl script): refused, never followed, so nothing is written through it; the
    /// link and what it points to are left as they are. Remove the link to download the
    /// file.
    #[error(
        "{} is a symbolic link where a regular file was expected; refused (nothing was written through it): remove the link and run again",
        crate::path::escape_path(path)
    )]
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// Writing a file failed for a reason another attempt cannot fix: no space left on the
    /// device, a disk quota exceeded, a read-only file system, a file larger than the file
    /// system or the process's file size limit allows, a permission refused. The file fails
    /// at once, without retries; the bytes already written are kept in `<name>.part` so
    /// that a rerun, once the cause is fixed, resumes them.
    #[error(
        "{cause} while trying to {action} {}: {source}; not retried (the bytes already written are kept for a rerun to resume)",
        crate::path::escape_path(path)
    )]
    Storage {
        /// What ran out or refused (`"no space left on device"`, `"disk quota exceeded"`,
        /// `"read-only file system"`, `"file too large"`, `"permission denied"`).
        cause: &'static str,
        /// What was being done (`write`, `create`, ...).
        action: String,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A zip archive, or one of its entries, cannot be read (see `unzip`): not a zip
    /// archive (an HTML error page, a truncated download), a corrupt entry (CRC-32
    /// mismatch, broken compressed data, a size that differs from the one declared), an
    /// unsupported compression method or encryption. A failed entry leaves nothing under
    /// its final name; downloading the archive again usually helps.
    #[error("{}", zip_message(archive, entry.as_deref(), message))]
    Zip {
        /// The archive.
        archive: PathBuf,
        /// The entry, or `None` when the archive as a whole cannot be read.
        entry: Option<String>,
        /// What the zip reader reported.
        message: String,
    },
    /// A zip entry, or a whole archive, inflates to more than the configured limit
    /// (`UnzipOptions::max_entry_size` or `max_total_size`): refused as a possible zip
    /// bomb. Nothing is left under the entry's name (for a whole archive, nothing is
    /// extracted). Raise the limit if the archive is trusted.
    #[error("{}", zip_too_large_message(archive, entry.as_deref(), *size, *limit, option))]
    ZipTooLarge {
        /// The archive.
        archive: PathBuf,
        /// The entry, or `None` when the sizes declared by all entries together are too large.
        entry: Option<String>,
        /// The size declared, or the bytes inflated when the limit was crossed.
        size: u64,
        /// The limit in bytes.
        limit: u64,
        /// The `UnzipOptions` setting that sets the limit: `max_entry_size` or `max_total_size`.
        option: &'static str,
    },
    /// The download task stopped unexpectedly (a bug: please report it).
    #[error("the download task failed: {message}")]
    Internal {
        /// What happened.
        message: String,
    },
}

/// What to do about an [`Error::Unauthorized`] (the second half of its message and of the
/// warning a download logs): log in when no token was sent, else a new token.
pub(crate) fn unauthorized_advice(with_token: bool, token_page: &str) -> String {
    if with_token {
        format!(
            "You do not have access to download this data, or your MAST API token may be expired (tokens expire \
             after 10 days without use and 60 days after creation). You can create a new token at {token_page}"
        )
    } else {
        format!(
            "This product is not public: please authenticate yourself with a MAST API token (set MAST_API_TOKEN, \
             run `mast login`, or log in with mast-auth's MastAuth::login); tokens are created at {token_page}"
        )
    }
}

fn zip_message(archive: &std::path::Path, entry: Option<&str>, message: &str) -> String {
    match entry {
        Some(entry) => format!(
            "zip archive {}: entry {entry:?}: {message}; the entry was not extracted (if the archive is corrupt or \
             truncated, download it again)",
            archive.display()
        ),
        None => format!(
            "{} is not a readable zip archive: {message}; nothing was extracted (if it is corrupt or truncated, \
             download it again)",
            archive.display()
        ),
    }
}

fn zip_too_large_message(
    archive: &std::path::Path,
    entry: Option<&str>,
    size: u64,
    limit: u64,
    option: &str,
) -> String {
    match entry {
        Some(entry) => format!(
            "zip archive {}: entry {entry:?} inflates to {size} bytes, over the limit of {limit} bytes \
             (UnzipOptions::{option}); refused as a possible zip bomb: raise the limit if you trust the archive",
            archive.display()
        ),
        None => format!(
            "zip archive {}: its entries declare {size} bytes in all, over the limit of {limit} bytes \
             (UnzipOptions::{option}); refused as a possible zip bomb, nothing was extracted: raise the limit if \
             you trust the archive",
            archive.display()
        ),
    }
}

fn lock_file_note(lock_file: Option<&std::path::Path>) -> String {
    match lock_file {
        Some(lock) => format!(
            ", through the lock file {}: remove it if no process is downloading the file",
            crate::path::escape_path(lock)
        ),
        None => String::new(),
    }
}

/// The cause an [`Error::Storage`] names, for the errors another attempt cannot fix.
pub(crate) fn storage_cause(e: &std::io::Error) -> Option<&'static str> {
    use std::io::ErrorKind;
    Some(match e.kind() {
        ErrorKind::StorageFull => "no space left on device",
        ErrorKind::QuotaExceeded => "disk quota exceeded",
        ErrorKind::ReadOnlyFilesystem => "read-only file system",
        ErrorKind::FileTooLarge => "file too large",
        ErrorKind::PermissionDenied => "permission denied",
        _ => return None,
    })
}

fn status_kind(status: u16) -> &'static str {
    match status {
        400..=499 => "Client",
        500..=599 => "Server",
        _ => "HTTP",
    }
}

impl Error {
    /// The Python exception class that corresponds to this error, as astroquery (or Python)
    /// would name it: `HTTPError`, `ConnectionError`, `TimeoutError`, `OSError`,
    /// `ValueError` (unsafe names), `InvalidQueryError` (bad sources), `DownloadError`
    /// (size, checksum and protocol failures), `BadZipFile` (zip archives that cannot be
    /// inflated, as Python's `zipfile` names it).
    pub fn class_name(&self) -> &'static str {
        match self {
            Error::Proto(e) => e.class_name(),
            Error::Http { .. } | Error::Unauthorized { .. } => "HTTPError",
            Error::NotInCloud { .. } => "RemoteServiceError",
            Error::S3 { .. } => "ClientError",
            Error::UnsafePath { .. } => "ValueError",
            Error::Zip { .. } | Error::ZipTooLarge { .. } => "BadZipFile",
            Error::InvalidSource { .. } => "InvalidQueryError",
            Error::Io { .. } | Error::Busy { .. } | Error::Symlink { .. } | Error::Storage { .. } => "OSError",
            Error::SizeMismatch { .. }
            | Error::ChecksumMismatch { .. }
            | Error::Protocol { .. }
            | Error::Internal { .. } => "DownloadError",
        }
    }

    /// The manifest message for this error: `"<class name>: <message>"`.
    pub fn manifest_message(&self) -> String {
        format!("{}: {self}", self.class_name())
    }

    /// A local file error: [`Error::Storage`] for the causes another attempt cannot fix
    /// (a full disk, a quota, a read-only file system, a file size limit, a permission),
    /// else [`Error::Io`].
    pub(crate) fn io(action: impl Into<String>, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        match storage_cause(&source) {
            Some(cause) => Error::Storage { cause, action: action.into(), path: path.into(), source },
            None => Error::Io { action: action.into(), path: path.into(), source },
        }
    }
}

impl mast_proto::Retryable for Error {
    /// Transient: what the client layer says is transient (connection failures, stalls,
    /// cut bodies), 5xx/429/408 answers, S3 failures other than refusals, and answers that
    /// do not match what was asked (size, checksum, an HTML page for a file). Final: local
    /// failures (a full disk, a read-only file system, permissions: every [`Error::Io`]),
    /// missing objects, refused names and sources, zip errors.
    fn retry(&self) -> mast_proto::Retry {
        use mast_proto::Retry;
        match self {
            Error::Proto(e) => e.retry(),
            Error::Http { status, retry_after, .. } if mast_proto::is_transient_status(*status) => {
                Retry::Again { after: *retry_after }
            }
            Error::S3 { transient: true, retry_after, .. } => Retry::Again { after: *retry_after },
            Error::SizeMismatch { .. } | Error::ChecksumMismatch { .. } | Error::Protocol { .. } => {
                Retry::Again { after: None }
            }
            _ => Retry::Final,
        }
    }
}

/// `Result` with mast-download's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mast_proto::{Retry, Retryable};

    use super::*;

    #[test]
    fn errors_say_whether_a_retry_helps() {
        let http = |status, retry_after| Error::Http { status, reason: String::new(), url: "u".into(), retry_after };
        assert_eq!(
            http(503, Some(Duration::from_secs(2))).retry(),
            Retry::Again { after: Some(Duration::from_secs(2)) }
        );
        assert_eq!(http(429, None).retry(), Retry::Again { after: None });
        assert_eq!(http(404, Some(Duration::from_secs(2))).retry(), Retry::Final);
        let refused = Error::Unauthorized { url: "u".into(), with_token: true, token_page: "p".into() };
        assert_eq!(refused.retry(), Retry::Final);
        // Local failures are final at once: another attempt would fill the same disk.
        for kind in [
            std::io::ErrorKind::StorageFull,
            std::io::ErrorKind::QuotaExceeded,
            std::io::ErrorKind::ReadOnlyFilesystem,
            std::io::ErrorKind::PermissionDenied,
        ] {
            let e = Error::io("write", "/x", std::io::Error::from(kind));
            assert_eq!(e.retry(), Retry::Final, "{kind:?}");
            assert!(matches!(e, Error::Storage { .. }), "{kind:?}");
            assert_eq!(e.class_name(), "OSError");
        }
        let full = Error::io("write", "/d/x.fits.part", std::io::Error::from(std::io::ErrorKind::StorageFull));
        assert!(
            full.to_string().starts_with("no space left on device while trying to write /d/x.fits.part: "),
            "{full}"
        );
        let other = Error::io("write", "/x", std::io::Error::other("boom"));
        assert!(matches!(other, Error::Io { .. }));
        assert_eq!(other.retry(), Retry::Final);
        let transport = Error::Proto(mast_proto::Error::Transport {
            what: "w".into(),
            message: "reset".into(),
            hint: None,
            source: None,
        });
        assert_eq!(transport.retry(), Retry::Again { after: None });
        let s3 = |transient| Error::S3 {
            uri: "s3://b/k".into(),
            message: "m".into(),
            transient,
            retry_after: None,
            source: "m".into(),
        };
        assert_eq!(s3(true).retry(), Retry::Again { after: None });
        assert_eq!(s3(false).retry(), Retry::Final);
        assert_eq!(Error::NotInCloud { uri: "s3://b/k".into() }.retry(), Retry::Final);
        assert_eq!(
            Error::SizeMismatch { url: "u".into(), got: 1, expected: 2, origin: "o" }.retry(),
            Retry::Again { after: None }
        );
    }
}
