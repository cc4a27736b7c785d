//! The result of a batch: one row per file, in the order asked, with astroquery's columns.

use std::path::PathBuf;
use std::time::Duration;

use mast_proto::{Column, DataType, Table, Value, Warning, WarningCategory};

use crate::Error;

/// A file's status, as astroquery writes it.
///
/// ```
/// use mast_download::Status;
/// assert_eq!(Status::Complete.to_string(), "COMPLETE");
/// assert_eq!([Status::Skipped.as_str(), Status::Error.as_str()], ["SKIPPED", "ERROR"]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// The file is on disk, complete and verified (downloaded now, or already there: astroquery
    /// reports a cached file as `COMPLETE` too, and so does mast-rs; see
    /// [`ManifestRow::cached`]).
    Complete,
    /// Deliberately not downloaded (e.g. not in the cloud with `cloud_only`).
    Skipped,
    /// Not downloaded: see the row's message. Nothing is left under the file's name.
    Error,
}

impl Status {
    /// `COMPLETE`, `SKIPPED` or `ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Complete => "COMPLETE",
            Status::Skipped => "SKIPPED",
            Status::Error => "ERROR",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One file of a [`Manifest`].
///
/// `local_path`, `status`, `message` and `url` are astroquery's `Local Path`, `Status`,
/// `Message` and `URL`: on success `url` is `None` and so is `message`, unless the file's size
/// could not be checked as usual (a note, also in [`ManifestRow::warnings`]: "listed size N
/// bytes, server sent M bytes: the product list may be stale", "size unknown: not verified
/// ..."); on an error `message` is
/// `"<class>: <text>"` (for HTTP errors astroquery's exact
/// `HTTPError: 404 Client Error: Not Found for url: <escaped url>`) and `url` the URL as
/// astroquery shows it (a `mast:` URI unescaped). The other fields are mast-rs's additions.
///
/// ```
/// use mast_download::{Error, ManifestRow, Status};
/// let url = "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HST/product/x.fits";
/// let e = Error::Http { status: 404, reason: "Not Found".into(), url: url.into(), retry_after: None };
/// let row = ManifestRow::error("x.fits", e, Some(url.into()));
/// assert_eq!(row.status, Status::Error);
/// assert_eq!(row.message.as_deref(), Some(format!("HTTPError: 404 Client Error: Not Found for url: {url}").as_str()));
/// assert!(matches!(row.error, Some(Error::Http { status: 404, .. })));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct ManifestRow {
    /// Where the file is (or would have been).
    pub local_path: PathBuf,
    /// What happened.
    pub status: Status,
    /// `None` on success, else what went wrong.
    pub message: Option<String>,
    /// `None` on success, else the source URL.
    pub url: Option<String>,
    /// Body bytes received for this file in this run (0 for a cached file; the kept prefix
    /// of a resumed file is not counted).
    pub bytes: u64,
    /// Wall-clock time spent on this file (waiting for a connection slot included).
    pub duration: Duration,
    /// Whether the file was already complete on disk and no body was transferred.
    pub cached: bool,
    /// How many bytes of a partial file from an earlier attempt or run were kept.
    pub resumed_from: u64,
    /// The typed error behind an `ERROR` row.
    pub error: Option<Error>,
    /// When the file came from (or failed at) its fallback source
    /// ([`crate::DownloadItem::fallback`]): why the first source failed.
    pub fallback_from: Option<Error>,
    /// What the caller should know about a `COMPLETE` file whose size could not be checked
    /// as usual (the size policy: a listed size the server contradicts, a body with no
    /// length), each also in `message`. [`Manifest::warnings`] gathers them.
    pub warnings: Vec<Warning>,
}

impl ManifestRow {
    /// A `COMPLETE` row.
    pub fn complete(local_path: impl Into<PathBuf>) -> Self {
        ManifestRow {
            local_path: local_path.into(),
            status: Status::Complete,
            message: None,
            url: None,
            bytes: 0,
            duration: Duration::ZERO,
            cached: false,
            resumed_from: 0,
            error: None,
            fallback_from: None,
            warnings: Vec::new(),
        }
    }

    /// This row with a note about its file in `message` and as an `InputWarning` naming the
    /// file (for a `COMPLETE` row: its size could not be checked as usual, see the size
    /// policy of [`crate::Downloader`]).
    ///
    /// ```
    /// use mast_download::ManifestRow;
    /// let row = ManifestRow::complete("x.fits").with_note("size unknown: not verified");
    /// assert_eq!(row.message.as_deref(), Some("size unknown: not verified"));
    /// assert_eq!(row.warnings[0].to_string(), "InputWarning: x.fits: size unknown: not verified");
    /// ```
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        let note = mast_proto::redact_text(&note.into()).into_owned();
        let text = format!("{}: {note}", self.local_path.display());
        self.warnings.push(Warning::new(WarningCategory::Input, text));
        self.message = Some(match self.message.take() {
            Some(m) => format!("{m}; {note}"),
            None => note,
        });
        self
    }

    /// A `SKIPPED` row with a message (astroquery's words for why). URLs in `message` and
    /// `url` are shown through [`mast_proto::redact_url`].
    pub fn skipped(local_path: impl Into<PathBuf>, message: Option<String>, url: Option<String>) -> Self {
        ManifestRow {
            status: Status::Skipped,
            message: message.map(|m| mast_proto::redact_text(&m).into_owned()),
            url: url.map(|u| mast_proto::redact_url(&u).into_owned()),
            ..ManifestRow::complete(local_path)
        }
    }

    /// An `ERROR` row for `error`, with its message ([`Error::manifest_message`]) and `url`,
    /// credentials in either hidden ([`mast_proto::redact_url`]).
    ///
    /// ```
    /// use mast_download::{Error, ManifestRow};
    /// let url = "http://user:pw@example.org/x.fits?token=t";
    /// let e = Error::Http { status: 404, reason: "Not Found".into(), url: url.into(), retry_after: None };
    /// let row = ManifestRow::error("x.fits", e, Some(url.into()));
    /// assert_eq!(row.url.as_deref(), Some("http://example.org/x.fits?token=***"));
    /// assert!(!row.message.unwrap().contains("pw"));
    /// ```
    pub fn error(local_path: impl Into<PathBuf>, error: Error, url: Option<String>) -> Self {
        ManifestRow {
            status: Status::Error,
            message: Some(mast_proto::redact_text(&error.manifest_message()).into_owned()),
            url: url.map(|u| mast_proto::redact_url(&u).into_owned()),
            error: Some(error),
            ..ManifestRow::complete(local_path)
        }
    }
}

/// The rows of a batch, in the order the files were given.
///
/// ```
/// use mast_download::{Manifest, ManifestRow, Status};
/// let manifest: Manifest = vec![
///     ManifestRow::complete("mastDownload/HST/u9o40504m/u9o40504m_c3m.fits"),
///     ManifestRow::skipped("x.fits", Some("Product not found in cloud".into()), None),
/// ]
/// .into_iter()
/// .collect();
/// let table = manifest.to_table();
/// assert_eq!(table.column_names().collect::<Vec<_>>(), ["Local Path", "Status", "Message", "URL"]);
/// assert_eq!(table.column("Status").unwrap().get_str(1), Some("SKIPPED"));
/// assert!(table.column("Message").unwrap().is_masked(0));
/// assert_eq!(manifest.count(Status::Complete), 1);
/// ```
#[derive(Debug, Default)]
pub struct Manifest {
    rows: Vec<ManifestRow>,
}

impl Manifest {
    /// An empty manifest.
    pub fn new() -> Self {
        Manifest::default()
    }

    /// Adds a row at the end.
    pub fn push(&mut self, row: ManifestRow) {
        self.rows.push(row);
    }

    /// The rows.
    pub fn rows(&self) -> &[ManifestRow] {
        &self.rows
    }

    /// The rows, owned.
    pub fn into_rows(self) -> Vec<ManifestRow> {
        self.rows
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows one by one.
    pub fn iter(&self) -> std::slice::Iter<'_, ManifestRow> {
        self.rows.iter()
    }

    /// How many rows have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.rows.iter().filter(|r| r.status == status).count()
    }

    /// The warnings of all rows, in row order (see [`ManifestRow::warnings`]).
    pub fn warnings(&self) -> impl Iterator<Item = &Warning> {
        self.rows.iter().flat_map(|r| r.warnings.iter())
    }

    /// Body bytes received over all rows.
    pub fn bytes(&self) -> u64 {
        self.rows.iter().map(|r| r.bytes).sum()
    }

    /// astroquery's manifest table: text columns `Local Path`, `Status`, `Message`, `URL`,
    /// with `Message` and `URL` masked where they are `None`.
    pub fn to_table(&self) -> Table {
        let mut path = Column::new("Local Path", DataType::String);
        let mut status = Column::new("Status", DataType::String);
        let mut message = Column::new("Message", DataType::String);
        let mut url = Column::new("URL", DataType::String);
        for r in &self.rows {
            path.push(Value::Str(&r.local_path.to_string_lossy()));
            status.push(Value::Str(r.status.as_str()));
            message.push(r.message.as_deref().map_or(Value::Masked, Value::Str));
            url.push(r.url.as_deref().map_or(Value::Masked, Value::Str));
        }
        Table::new(vec![path, status, message, url]).expect("four distinct columns of equal length")
    }
}

impl FromIterator<ManifestRow> for Manifest {
    fn from_iter<I: IntoIterator<Item = ManifestRow>>(iter: I) -> Self {
        Manifest { rows: iter.into_iter().collect() }
    }
}

impl IntoIterator for Manifest {
    type Item = ManifestRow;
    type IntoIter = std::vec::IntoIter<ManifestRow>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.into_iter()
    }
}

impl<'a> IntoIterator for &'a Manifest {
    type Item = &'a ManifestRow;
    type IntoIter = std::slice::Iter<'a, ManifestRow>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}
