//! [`Downloader`]: bounded, resumable, verified downloads of many files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use bytes::Bytes;
use futures::StreamExt;
use mast_proto::MastClient;
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::part::PartFile;
use crate::path::{check_name, display_join, safe_join};
use crate::progress::ProgressFn;
use crate::{Checksum, Error, Manifest, ManifestRow, ProgressEvent, Result, Source};

/// Files downloaded at once from one of MAST's hosts (the configured MAST, catalogs,
/// resolver and HLA URLs: [`mast_proto::MastConfig::is_mast_host`]), unless configured
/// otherwise: MAST asks clients to stay well below its per-user limits (the spec's limits:
/// at most 4 concurrent requests per client, as for Portal pages and cutouts).
pub const DEFAULT_PER_HOST_CONCURRENCY: usize = 4;
/// Files downloaded at once from any other host (public S3 buckets, mirrors, URLs given by
/// the caller), unless configured otherwise: MAST's limit does not apply there, and 8
/// connections per host is a common bound for bulk downloaders (twice MAST's limit, a little
/// above the 6 per host of web browsers), enough to hide a round trip of tens of
/// milliseconds behind 1 MB files without loading a server much.
pub const DEFAULT_OTHER_HOST_CONCURRENCY: usize = 8;
/// Objects downloaded at once from one S3 bucket (`s3://` sources), unless configured
/// otherwise: S3 serves thousands of requests per second per prefix, so the bound only
/// keeps a client's own connections and disk writes reasonable; 16 is twice the bound for
/// other hosts.
pub const DEFAULT_S3_CONCURRENCY: usize = 16;
/// Files in progress at once in a batch, over all hosts (a file waiting for its host's
/// slot counts; it holds no buffers yet).
pub const DEFAULT_MAX_FILES_IN_FLIGHT: usize = 32;
/// `ProgressEvent::Bytes` granularity.
const PROGRESS_STEP: u64 = 256 * 1024;

/// One file to download: a source, a destination and what is known about it.
///
/// ```
/// use mast_download::{Checksum, DownloadItem};
/// let item = DownloadItem::new("mast:HST/product/u9o40504m_c3m.fits", "downloads", "mastDownload/HST/u9o40504m/u9o40504m_c3m.fits")
///     .size(207360);
/// assert_eq!(item.expected_size(), Some(207360));
/// let trusted = DownloadItem::to_path("https://example.org/a.fits", "/data/a.fits")
///     .checksum(Checksum::sha256_of(b"..."));
/// assert!(trusted.expected_checksum().is_some());
/// ```
#[derive(Clone, Debug)]
pub struct DownloadItem {
    source: Source,
    fallback: Option<Source>,
    target: Target,
    size: Option<u64>,
    checksum: Option<Checksum>,
}

#[derive(Clone, Debug)]
enum Target {
    /// An untrusted name under a directory: checked by [`safe_join`].
    Join { dir: PathBuf, name: String },
    /// A path chosen by the caller, used as it is.
    Path(PathBuf),
}

impl DownloadItem {
    /// `source` saved as `dir/name`, where `name` is untrusted (a product file name, a
    /// layout built from product fields): it is checked by [`safe_join`] when the download
    /// starts, and a refused name is this file's `ERROR` row.
    pub fn new(source: impl Into<Source>, dir: impl Into<PathBuf>, name: impl Into<String>) -> Self {
        DownloadItem {
            source: source.into(),
            fallback: None,
            target: Target::Join { dir: dir.into(), name: name.into() },
            size: None,
            checksum: None,
        }
    }

    /// `source` saved at `path`, a path the caller chose (not checked; parent directories
    /// are created).
    pub fn to_path(source: impl Into<Source>, path: impl Into<PathBuf>) -> Self {
        DownloadItem {
            source: source.into(),
            fallback: None,
            target: Target::Path(path.into()),
            size: None,
            checksum: None,
        }
    }

    /// The expected size in bytes (e.g. the product's `size`): the download must have it,
    /// and a file already on disk with it is taken as complete without asking the server.
    pub fn size(mut self, bytes: u64) -> Self {
        self.size = Some(bytes);
        self
    }

    /// Like [`DownloadItem::size`], from an optional value (a masked `size` cell).
    pub fn size_opt(mut self, bytes: Option<u64>) -> Self {
        self.size = bytes;
        self
    }

    /// The same file from another source (e.g. its cloud copy).
    pub fn with_source(mut self, source: impl Into<Source>) -> Self {
        self.source = source.into();
        self
    }

    /// Where to fetch the file from when `source` fails (after its retries): e.g. MAST's
    /// HTTPS endpoint for a product whose cloud copy cannot be read. The row then tells
    /// the first source's error in [`ManifestRow::fallback_from`]. When a partial file
    /// from an earlier run holds the fallback's bytes, the fallback goes first and resumes
    /// them.
    pub fn fallback(mut self, source: impl Into<Source>) -> Self {
        self.fallback = Some(source.into());
        self
    }

    /// A checksum the file must have.
    pub fn checksum(mut self, checksum: Checksum) -> Self {
        self.checksum = Some(checksum);
        self
    }

    /// The source.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Where the file goes as given (`dir/name`, before [`safe_join`] checks the name).
    pub fn destination(&self) -> PathBuf {
        match &self.target {
            Target::Join { dir, name } => dir.join(name),
            Target::Path(path) => path.clone(),
        }
    }

    /// The expected size, if given.
    pub fn expected_size(&self) -> Option<u64> {
        self.size
    }

    /// The expected checksum, if given.
    pub fn expected_checksum(&self) -> Option<&Checksum> {
        self.checksum.as_ref()
    }

    /// Where the file goes, as shown in the manifest (for a refused name: the directory and
    /// the name joined as text).
    pub fn display_path(&self) -> PathBuf {
        match &self.target {
            Target::Path(p) => p.clone(),
            Target::Join { dir, name } => match check_name(name) {
                Ok(parts) => {
                    let mut p = crate::path::normalized(dir);
                    p.extend(parts);
                    p
                }
                Err(_) => display_join(dir, name),
            },
        }
    }
}

/// Downloads files over a [`MastClient`]'s connection pool: many at once with a bound per
/// host, each streamed to `<name>.part` beside its target, verified, then renamed into
/// place. A cheap-to-clone handle.
///
/// For each file:
///
/// 1. The destination is checked ([`safe_join`] for untrusted names).
/// 2. **Local first** (with [`DownloaderBuilder::cache`], the default): a file already at the
///    destination with the expected size (and checksum, when given) is kept without any
///    request (`COMPLETE`, [`ManifestRow::cached`], as astroquery reports cached files). With
///    no expected size, or a file of another size, the server is asked with one `HEAD` and a
///    file of its `Content-Length` is kept (a listed size it contradicts is reported as in
///    step 5); otherwise the file is downloaded again.
/// 3. **One GET** (no `HEAD` first, unlike astroquery's `download_file`: the `GET`'s status
///    gives the same errors and saves a round trip per file). Body bytes are streamed to
///    `<name>.part`; the response's `ETag`, `Last-Modified` and size are first saved in
///    `<name>.part.meta`.
/// 4. **Resume**: when `<name>.part` holds bytes and its sidecar matches this URL (and the
///    expected size), the request asks for `Range: bytes=<N − 64 KiB>-` with `If-Range`
///    (the strong `ETag`, else `Last-Modified`). Only a `206` whose `Content-Range` starts
///    there, whose total and `ETag` match the sidecar, and whose first 64 KiB equal the kept
///    tail is appended to; a `200` (the file changed, or ranges are not supported) starts
///    over with its own body; a `416` or any mismatch starts over with a plain `GET`. So a
///    prefix of another file version is never kept, and a file is never fetched in a loop.
/// 5. **Verify** (the size policy): the size against the transport's length
///    (`Content-Length`, a `206`'s `Content-Range` total, an S3 object's size), then the
///    checksum when given. The expected size (a product list's `size`) is a hint: when the
///    transport's length disagrees with it and the server's `HEAD` does not contradict the
///    transport, the file is saved (`COMPLETE`) and the disagreement reported in the row's
///    `Message` and [`ManifestRow::warnings`] ("listed size N bytes, server sent M bytes: the
///    product list may be stale"); a `HEAD` that contradicts the body is a transient error.
///    A chunked body (or an HTTP/2 stream) has a marked end: it is read to it. A body with
///    neither a length nor a marked end (HTTP/1.0-style, ended by closing the connection)
///    is unverifiable by itself: it is checked against the expected size, else the size a
///    `HEAD` gives (shorter: a transient error, resumed); with no size from anywhere the
///    file is kept, `COMPLETE`, with "size unknown: not verified ..." in `Message` and a
///    warning. An unclean end (a reset, a missing TLS `close_notify`, a chunked or announced
///    body cut short) is a transient error, never a complete file. A response that is an
///    HTML page while the file is not `.html` is taken as an error page.
/// 6. **Commit**: fsync, atomic rename to the final name, fsync of the directory.
///
/// Transient failures (connection errors, cut or stalled bodies, 5xx/429/408, size or
/// checksum mismatches) are retried; local failures (a full disk, a quota, a read-only file
/// system, a file size limit, permissions: [`Error::Storage`]) are final at once, and the
/// bytes already written stay in `<name>.part` for a rerun to resume. Failures are retried up to [`mast_proto::MastConfig::retries`] times with the
/// client's retry loop ([`MastClient::with_retries`], honouring `Retry-After`); a retry resumes
/// from the bytes already written. A partial or corrupt file never sits under the final
/// name, and `kill -9` at any moment followed by a rerun gives a correct file. Two processes
/// downloading the same file take turns (the `.part` file is locked, or on a file system
/// without locks a `<name>.part.lock` file is created): the one that waited checks the
/// target again and, finding it complete, sends nothing (even with the cache off: it is
/// as fresh as a new download). The `.part` file is created only once the host's slot is
/// held, and the slot is kept until the file is committed, so a long queue leaves no empty
/// temporaries. No file is opened through a symbolic link ([`Error::Symlink`]).
///
/// ```
/// use mast_download::{DownloadItem, Downloader, Status};
/// use mast_emulator::{Emulator, EmulatorConfig};
/// use mast_proto::{MastClient, MastConfig};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let emulator = Emulator::start(EmulatorConfig::default()).await?;
/// let client = MastClient::new(MastConfig::new().with_all_urls(emulator.base_url())?)?;
/// let downloader = Downloader::builder(&client).per_host_concurrency(2).build();
/// let dir = tempfile::tempdir()?;
/// let manifest = downloader
///     .download_all(vec![
///         DownloadItem::new("mast:HST/product/u9o40504m_c3m.fits", dir.path(), "u9o40504m_c3m.fits").size(207360),
///         DownloadItem::new("mast:HST/product/does_not_exist.fits", dir.path(), "does_not_exist.fits"),
///         DownloadItem::new("mast:HST/product/x.fits", dir.path(), "../x.fits"),
///     ])
///     .await;
/// let rows = manifest.rows();
/// assert_eq!(rows[0].status, Status::Complete);
/// assert_eq!(std::fs::metadata(dir.path().join("u9o40504m_c3m.fits"))?.len(), 207360);
/// assert!(rows[1].message.as_deref().unwrap().starts_with("HTTPError: 404 Client Error: Not Found for url: "));
/// assert_eq!(rows[2].status, Status::Error);
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Downloader {
    pub(crate) inner: Arc<Inner>,
    /// The options of the call in progress ([`Downloader::download_all_with`]); empty
    /// outside one, so the builder's apply.
    call: BatchOptions,
}

pub(crate) struct Inner {
    pub(crate) client: MastClient,
    per_host: usize,
    other_hosts: usize,
    s3: usize,
    host_limits: HashMap<String, usize>,
    max_files: usize,
    cache: bool,
    progress: Option<ProgressFn>,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    targets: Mutex<HashMap<PathBuf, Weak<tokio::sync::Mutex<()>>>>,
    /// One object store per bucket, built on first use.
    #[cfg(feature = "s3")]
    pub(crate) s3_stores: Mutex<HashMap<String, crate::CloudStore>>,
}

impl std::fmt::Debug for Downloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Downloader")
            .field("per_host", &self.inner.per_host)
            .field("other_hosts", &self.inner.other_hosts)
            .field("s3", &self.inner.s3)
            .field("host_limits", &self.inner.host_limits)
            .field("max_files", &self.inner.max_files)
            .field("cache", &self.inner.cache)
            .finish_non_exhaustive()
    }
}

/// Options of one call of a [`Downloader`] ([`Downloader::download_all_with`],
/// [`Downloader::download_with`]): what may differ from call to call on a downloader that
/// is shared, such as the one an `Observations` holds. Unset options are the downloader's
/// ([`DownloaderBuilder::cache`], [`DownloaderBuilder::on_progress`]). The bounds per host
/// and the lock per target belong to the downloader, so they hold across concurrent calls.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use mast_download::{BatchOptions, DownloadItem, Downloader, ProgressEvent};
/// use mast_emulator::{Emulator, EmulatorConfig};
/// use mast_proto::{MastClient, MastConfig};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let emulator = Emulator::start(EmulatorConfig::default()).await?;
/// let client = MastClient::new(MastConfig::new().with_all_urls(emulator.base_url())?)?;
/// let downloader = Downloader::new(&client);
/// let dir = tempfile::tempdir()?;
/// let item = DownloadItem::new("mast:HST/product/u9o40504m_c3m.fits", dir.path(), "u9o40504m_c3m.fits").size(207360);
/// assert!(!downloader.download(item.clone()).await.cached);
/// // This call only: no cache, and its own progress callback.
/// let received = Arc::new(AtomicU64::new(0));
/// let sink = Arc::clone(&received);
/// let options = BatchOptions::new().cache(false).on_progress(move |event| {
///     if let ProgressEvent::Bytes { n, .. } = event {
///         sink.fetch_add(*n, Ordering::Relaxed);
///     }
/// });
/// let manifest = downloader.download_all_with([item.clone()], &options).await;
/// assert!(!manifest.rows()[0].cached);
/// assert_eq!(received.load(Ordering::Relaxed), 207360);
/// // The downloader's own options again.
/// assert!(downloader.download(item).await.cached);
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct BatchOptions {
    cache: Option<bool>,
    progress: Option<ProgressFn>,
}

impl std::fmt::Debug for BatchOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchOptions")
            .field("cache", &self.cache)
            .field("progress", &self.progress.as_ref().map(|_| "Fn(&ProgressEvent)"))
            .finish()
    }
}

impl BatchOptions {
    /// No options: the downloader's apply.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a file already complete at its destination is kept, for this call (see
    /// [`DownloaderBuilder::cache`]).
    pub fn cache(mut self, cache: bool) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Calls `f` with every [`ProgressEvent`] of this call, instead of the downloader's
    /// callback (from the download tasks: keep it quick).
    pub fn on_progress(mut self, f: impl Fn(&ProgressEvent) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// These options, with `outer`'s where these are unset.
    fn or(&self, outer: &BatchOptions) -> BatchOptions {
        BatchOptions {
            cache: self.cache.or(outer.cache),
            progress: self.progress.clone().or_else(|| outer.progress.clone()),
        }
    }
}

/// Options of a [`Downloader`]; from [`Downloader::builder`].
///
/// ```
/// use mast_download::{Downloader, ProgressEvent};
/// use mast_proto::{MastClient, MastConfig};
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let client = MastClient::new(MastConfig::new())?;
/// let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<ProgressEvent>();
/// let downloader = Downloader::builder(&client)
///     .per_host_concurrency(4)
///     .host_concurrency("s3.amazonaws.com", 16)
///     .max_files_in_flight(64)
///     .cache(true)
///     .on_progress(move |event| {
///         let _ = tx.send(event.clone());
///     })
///     .build();
/// # drop(downloader); assert!(rx.try_recv().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DownloaderBuilder {
    client: MastClient,
    per_host: usize,
    other_hosts: usize,
    s3: usize,
    host_limits: HashMap<String, usize>,
    max_files: usize,
    cache: bool,
    progress: Option<ProgressFn>,
}

impl DownloaderBuilder {
    /// Files transferred at once per host, MAST's and any other (at least 1). The defaults
    /// are [`DEFAULT_PER_HOST_CONCURRENCY`] for MAST's hosts and
    /// [`DEFAULT_OTHER_HOST_CONCURRENCY`] for the others.
    pub fn per_host_concurrency(mut self, n: usize) -> Self {
        self.per_host = n.max(1);
        self.other_hosts = n.max(1);
        self
    }

    /// Files transferred at once per host that is not one of MAST's (default
    /// [`DEFAULT_OTHER_HOST_CONCURRENCY`], at least 1); MAST's hosts keep theirs.
    pub fn other_host_concurrency(mut self, n: usize) -> Self {
        self.other_hosts = n.max(1);
        self
    }

    /// Objects transferred at once per S3 bucket (default [`DEFAULT_S3_CONCURRENCY`], at
    /// least 1).
    pub fn s3_concurrency(mut self, n: usize) -> Self {
        self.s3 = n.max(1);
        self
    }

    /// Files transferred at once from `host` (`"mast.stsci.edu"` or `"127.0.0.1:8080"`),
    /// overriding [`DownloaderBuilder::per_host_concurrency`] for it.
    pub fn host_concurrency(mut self, host: &str, n: usize) -> Self {
        self.host_limits.insert(host.to_ascii_lowercase(), n.max(1));
        self
    }

    /// Files in progress at once in [`Downloader::download_all`] over all hosts (default
    /// [`DEFAULT_MAX_FILES_IN_FLIGHT`]).
    pub fn max_files_in_flight(mut self, n: usize) -> Self {
        self.max_files = n.max(1);
        self
    }

    /// Whether a file already complete at its destination is kept (default `true`, as
    /// astroquery's `cache=True`); `false` downloads it again (replacing it only once the
    /// new copy is complete).
    pub fn cache(mut self, cache: bool) -> Self {
        self.cache = cache;
        self
    }

    /// Calls `f` with every [`ProgressEvent`] (from the download tasks: keep it quick, e.g.
    /// send the event to a channel).
    pub fn on_progress(mut self, f: impl Fn(&ProgressEvent) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// The downloader.
    pub fn build(self) -> Downloader {
        Downloader {
            inner: Arc::new(Inner {
                client: self.client,
                per_host: self.per_host,
                other_hosts: self.other_hosts,
                s3: self.s3,
                host_limits: self.host_limits,
                max_files: self.max_files,
                cache: self.cache,
                progress: self.progress,
                hosts: Mutex::default(),
                targets: Mutex::default(),
                #[cfg(feature = "s3")]
                s3_stores: Mutex::default(),
            }),
            call: BatchOptions::default(),
        }
    }
}

/// Why an attempt failed. Whether to try again is the error's to say
/// ([`mast_proto::Retryable`]); `discard` says the temporary file must be emptied first
/// (its content is not a prefix of the right file).
pub(crate) struct Failure {
    pub(crate) error: Error,
    pub(crate) discard: bool,
}

impl Failure {
    pub(crate) fn discard(error: Error) -> Self {
        Failure { error, discard: true }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure { error, discard: false }
    }
}

impl From<mast_proto::Error> for Failure {
    fn from(e: mast_proto::Error) -> Self {
        Failure::from(Error::Proto(e))
    }
}

impl mast_proto::Retryable for Failure {
    fn retry(&self) -> mast_proto::Retry {
        self.error.retry()
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

/// One file being downloaded.
pub(crate) struct Job<'a> {
    /// The request URL (`s3://<bucket>/<key>` for S3).
    pub(crate) url: String,
    pub(crate) source: &'a Source,
    pub(crate) target: &'a Path,
    pub(crate) size: Option<u64>,
    pub(crate) checksum: Option<&'a Checksum>,
}

/// How much of the kept prefix is fetched again and compared when resuming, so that a
/// prefix of another file version (or bytes a crash lost) is not kept even when the server
/// has no validators.
pub(crate) const RESUME_OVERLAP: u64 = 64 * 1024;

/// An answer typed `text/html` for a file whose name is not `.html`/`.htm` is an error page
/// (a proxy's, a portal's) sent with a success status: never saved as the file (callers
/// retry).
pub(crate) fn check_not_an_html_page(job: &Job<'_>, content_type: Option<&str>) -> Result<()> {
    let html = content_type.is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("text/html"));
    let html_name = job
        .target
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    if html && !html_name {
        return Err(Error::Protocol {
            url: job.url.clone(),
            message: "the server sent an HTML page instead of the file (an error page?)".into(),
        });
    }
    Ok(())
}

/// What the transfer of one file did.
#[derive(Default)]
pub(crate) struct Transfer {
    pub(crate) received: u64,
    pub(crate) resumed_from: u64,
    pub(crate) cached: bool,
    /// What the size checks of the file kept could not settle (the size policy).
    pub(crate) note: Option<SizeNote>,
}

/// What the transport said about the length of a body (the size policy, see
/// [`Downloader`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Served {
    /// A length: `Content-Length`, a `206`'s `Content-Range` total, an S3 object's size.
    Length(u64),
    /// No length, but an end the transport marks and checks (chunked encoding, HTTP/2).
    /// Only HTTPS answers can lack a length (an S3 object always has one).
    #[cfg_attr(not(feature = "https"), allow(dead_code))]
    Framed,
    /// No length and no marked end: an HTTP/1.x body ended by closing the connection. A
    /// cut there looks like the end.
    #[cfg_attr(not(feature = "https"), allow(dead_code))]
    Unframed,
}

/// Why a kept file's size was not verified the usual way: told in its `COMPLETE` row's
/// `Message` and as a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SizeNote {
    /// The listed size disagrees with the size the server gave (and confirmed).
    Stale { listed: u64, served: u64 },
    /// No size from the transport, the caller or a `HEAD`.
    Unknown { received: u64 },
    /// No size from the transport or a `HEAD`, and more bytes than listed.
    Unverified { listed: u64, received: u64 },
}

impl std::fmt::Display for SizeNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            SizeNote::Stale { listed, served } => {
                write!(f, "listed size {listed} bytes, server sent {served} bytes: the product list may be stale")
            }
            SizeNote::Unknown { received } => write!(
                f,
                "size unknown: not verified (the server gave no length and ended the body by closing the \
                 connection, which a cut connection also does; {received} bytes received)"
            ),
            SizeNote::Unverified { listed, received } => write!(
                f,
                "listed size {listed} bytes, received {received} bytes with no length from the server: size not \
                 verified; the product list may be stale"
            ),
        }
    }
}

/// How a streamed body ended.
pub(crate) enum Streamed {
    Complete,
    /// The first bytes of a `206` differ from the kept tail.
    TailMismatch,
}

impl Downloader {
    /// A downloader with the default options.
    pub fn new(client: &MastClient) -> Downloader {
        Downloader::builder(client).build()
    }

    /// Options, starting from the defaults.
    pub fn builder(client: &MastClient) -> DownloaderBuilder {
        DownloaderBuilder {
            client: client.clone(),
            per_host: DEFAULT_PER_HOST_CONCURRENCY,
            other_hosts: DEFAULT_OTHER_HOST_CONCURRENCY,
            s3: DEFAULT_S3_CONCURRENCY,
            host_limits: HashMap::new(),
            max_files: DEFAULT_MAX_FILES_IN_FLIGHT,
            cache: true,
            progress: None,
        }
    }

    /// The client whose pool and configuration are used.
    pub fn client(&self) -> &MastClient {
        &self.inner.client
    }

    /// Downloads every item, at most [`DownloaderBuilder::max_files_in_flight`] at once and
    /// [`DownloaderBuilder::per_host_concurrency`] per host. The manifest has one row per
    /// item, in the order of `items`; a failing file never stops the others.
    ///
    /// The same as [`Downloader::download_all_with`] with no [`BatchOptions`].
    pub async fn download_all(&self, items: impl IntoIterator<Item = DownloadItem>) -> Manifest {
        self.download_all_with(items, &BatchOptions::new()).await
    }

    /// [`Downloader::download_all`] with this call's `options` (cache, progress callback).
    /// Concurrent calls on one downloader (or its clones) share its bounds: together they
    /// transfer at most [`DownloaderBuilder::per_host_concurrency`] files per host.
    pub async fn download_all_with(
        &self,
        items: impl IntoIterator<Item = DownloadItem>,
        options: &BatchOptions,
    ) -> Manifest {
        self.for_call(options).batch(items).await
    }

    /// The same downloader (its bounds, locks and stores) with this call's options.
    fn for_call(&self, options: &BatchOptions) -> Downloader {
        Downloader { inner: Arc::clone(&self.inner), call: options.or(&self.call) }
    }

    /// Whether a file complete at its destination is kept, in this call.
    fn cache(&self) -> bool {
        self.call.cache.unwrap_or(self.inner.cache)
    }

    async fn batch(&self, items: impl IntoIterator<Item = DownloadItem>) -> Manifest {
        let items: Vec<DownloadItem> = items.into_iter().collect();
        let mut rows: Vec<Option<ManifestRow>> = items.iter().map(|_| None).collect();
        let shown: Vec<(PathBuf, String)> =
            items.iter().map(|i| (i.display_path(), i.source.display_url(self.inner.client.config()))).collect();
        let mut pending = items.into_iter().enumerate();
        let mut tasks = tokio::task::JoinSet::new();
        let mut index_of = HashMap::new();
        loop {
            while tasks.len() < self.inner.max_files {
                let Some((i, item)) = pending.next() else { break };
                let this = self.clone();
                let id = tasks.spawn(async move { this.download_one(item).await }).id();
                index_of.insert(id, i);
            }
            let Some(joined) = tasks.join_next_with_id().await else { break };
            match joined {
                Ok((id, row)) => {
                    if let Some(&i) = index_of.get(&id) {
                        rows[i] = Some(row);
                    }
                }
                Err(e) => {
                    if let Some(&i) = index_of.get(&e.id()) {
                        let (path, url) = shown[i].clone();
                        let error = Error::Internal { message: e.to_string() };
                        rows[i] = Some(ManifestRow::error(path, error, Some(url)));
                    }
                }
            }
        }
        rows.into_iter()
            .enumerate()
            .map(|(i, row)| {
                row.unwrap_or_else(|| {
                    let (path, url) = shown[i].clone();
                    ManifestRow::error(path, Error::Internal { message: "the task did not report".into() }, Some(url))
                })
            })
            .collect()
    }

    /// Downloads one item (see [`Downloader`] for what happens) and reports it as a
    /// manifest row.
    pub async fn download(&self, item: DownloadItem) -> ManifestRow {
        self.download_with(item, &BatchOptions::new()).await
    }

    /// [`Downloader::download`] with this call's `options` (see [`BatchOptions`]).
    pub async fn download_with(&self, item: DownloadItem, options: &BatchOptions) -> ManifestRow {
        self.for_call(options).download_one(item).await
    }

    async fn download_one(&self, item: DownloadItem) -> ManifestRow {
        let started = Instant::now();
        let config = self.inner.client.config();
        let mut display_url = item.source.display_url(config);
        let mut transfer = Transfer::default();
        let mut fallback_from = None;
        let (path, outcome) = match self.target(&item).await {
            Ok(target) => {
                // Both sources share the temporary file: when it holds the fallback's bytes
                // (a fallback cut off in an earlier run), the fallback goes first and resumes
                // them instead of the source discarding them again. Either way the row
                // tells the roles: the source's success, else the fallback's outcome and URL
                // with the source's error in `fallback_from`.
                let fallback_first = match &item.fallback {
                    Some(fallback) => self.holds_partial_of(&target, fallback).await,
                    None => false,
                };
                let mut fallback_result = None;
                if let (true, Some(fallback)) = (fallback_first, &item.fallback) {
                    fallback_result = Some(self.run(&item, fallback, &target, &mut transfer).await);
                }
                let source_result = match &fallback_result {
                    Some(Ok(())) => None,
                    _ => Some(self.run(&item, &item.source, &target, &mut transfer).await),
                };
                if let (Some(Err(e)), None, Some(fallback)) = (&source_result, &fallback_result, &item.fallback) {
                    tracing::warn!(path = %crate::path::escape_path(&target), url = %crate::escape_for_terminal(&display_url), error = %e, fallback = %crate::escape_for_terminal(&fallback.to_string()), "trying the fallback source");
                    fallback_result = Some(self.run(&item, fallback, &target, &mut transfer).await);
                }
                let outcome = match (source_result, fallback_result) {
                    // The source was not needed (the fallback resumed and completed the file),
                    // or it worked.
                    (None, _) | (Some(Ok(())), _) => Ok(()),
                    (Some(Err(e)), None) => Err(e),
                    (Some(Err(e)), Some(result)) => {
                        if let Some(fallback) = &item.fallback {
                            display_url = fallback.display_url(config);
                        }
                        fallback_from = Some(e);
                        result
                    }
                };
                (target, outcome)
            }
            Err(e) => (item.display_path(), Err(e)),
        };
        let mut row = match outcome {
            Ok(()) => match transfer.note {
                Some(note) => {
                    tracing::warn!(path = %path.display(), url = %display_url, "{note}");
                    ManifestRow::complete(path).with_note(note.to_string())
                }
                None => ManifestRow::complete(path),
            },
            Err(e) => {
                if let Error::Unauthorized { with_token, token_page, .. } = &e {
                    // astroquery's warning for a refused product (spec §8.4, 11.5), then what to
                    // do. Neither the URL nor the advice holds the token.
                    let advice = crate::error::unauthorized_advice(*with_token, token_page);
                    let url = crate::escape_for_terminal(&mast_proto::redact_url(&display_url)).into_owned();
                    tracing::warn!(path = %crate::path::escape_path(&path), "You are not authorized to download from {url}. {advice}");
                } else {
                    tracing::warn!(path = %crate::path::escape_path(&path), url = %crate::escape_for_terminal(&display_url), error = %e, "download failed");
                }
                ManifestRow::error(path, e, Some(display_url))
            }
        };
        row.bytes = transfer.received;
        row.resumed_from = transfer.resumed_from;
        row.cached = transfer.cached;
        row.fallback_from = fallback_from;
        row.duration = started.elapsed();
        self.emit(|| ProgressEvent::Finished {
            path: row.local_path.clone(),
            status: row.status,
            bytes: row.bytes,
            cached: row.cached,
            message: row.message.clone(),
        });
        row
    }

    /// Whether the temporary file of `target` holds bytes fetched from `source`.
    async fn holds_partial_of(&self, target: &Path, source: &Source) -> bool {
        match (crate::part::partial_url(target).await, source.request_url(self.inner.client.config())) {
            (Some(kept), Ok(url)) => kept == url,
            _ => false,
        }
    }

    async fn target(&self, item: &DownloadItem) -> Result<PathBuf> {
        match &item.target {
            Target::Path(p) => Ok(p.clone()),
            Target::Join { dir, name } => {
                let (dir, name) = (dir.clone(), name.clone());
                tokio::task::spawn_blocking(move || safe_join(&dir, &name))
                    .await
                    .map_err(|e| Error::Internal { message: e.to_string() })?
            }
        }
    }

    async fn run(&self, item: &DownloadItem, source: &Source, target: &Path, transfer: &mut Transfer) -> Result<()> {
        let config = self.inner.client.config();
        let job =
            Job { url: source.request_url(config)?, source, target, size: item.size, checksum: item.checksum.as_ref() };
        let (_exclusive, waited) = self.lock_target(target).await;
        // A task of this process that held the target may have completed it: as after
        // waiting for another process (below), that copy is kept even without the cache.
        if (self.cache() || waited) && self.is_cached(&job, transfer).await? {
            transfer.cached = true;
            return Ok(());
        }
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent).await.map_err(|e| Error::io("create the directory", parent, e))?;
        }
        // The temporary file is created only once the host's slot is held: a queue of many
        // files waiting for their turn leaves no empty `.part` files behind.
        let mut first_permit = Some(self.host_permit(&job.url).await);
        let mut part = PartFile::open(target, config.timeout()).await?;
        if part.waited() {
            // Another process held the lock: it may have completed the file meanwhile. What
            // it wrote is as fresh as a new download, so it is kept even without the cache.
            first_permit = None; // a HEAD for the size may need the slot
            match self.is_cached(&job, transfer).await {
                Ok(false) => {}
                done => {
                    transfer.cached = done.is_ok();
                    part.remove_if_empty().await;
                    return done.map(|_| ());
                }
            }
        }
        let what = format!("the download of {}", mast_proto::redact_url(&job.url));
        let mut retrier = self.inner.client.retrier(&what, None);
        // The slot is kept until the file is committed (or given up), so that the next
        // file's `.part` appears only once this one's is gone.
        let mut slot;
        let outcome = loop {
            slot = Some(match first_permit.take() {
                Some(permit) => permit,
                None => self.host_permit(&job.url).await,
            });
            let failure = match self.attempt(&job, &mut part, transfer).await {
                Ok(()) => break Ok(()),
                Err(failure) => failure,
            };
            slot = None;
            if failure.discard
                && let Err(e) = part.reset().await
            {
                break Err(Failure::from(e));
            }
            if let Err(failure) = retrier.failed(failure).await {
                break Err(failure);
            }
        };
        let result = match outcome {
            Ok(()) => part.commit(target).await,
            Err(failure) => {
                // Keep a partial file for a later run to resume; leave no empty one behind.
                part.remove_if_empty().await;
                Err(failure.error)
            }
        };
        drop(slot);
        result
    }

    /// Whether the target is already complete on disk (module docs, step 2).
    async fn is_cached(&self, job: &Job<'_>, transfer: &mut Transfer) -> Result<bool> {
        let Ok(meta) = tokio::fs::symlink_metadata(job.target).await else { return Ok(false) };
        if meta.file_type().is_symlink() {
            // Never read through, nor replaced by the download: refused.
            return Err(Error::Symlink { path: job.target.to_path_buf() });
        }
        if !meta.is_file() {
            return Ok(false);
        }
        let len = meta.len();
        let path = crate::path::escape_path(job.target);
        // The size it must have: the listed one when the file has it (no request), else the
        // server's (one HEAD): the listed size is a hint, so a file of another size is
        // kept when the server says that size now (and the disagreement is reported).
        let mut note = None;
        if job.size != Some(len) {
            let Some(served) = self.remote_length(job).await? else {
                tracing::warn!("Could not verify length of cached file {path}. Re-downloading the file.");
                return Ok(false);
            };
            if served != len {
                let expected = job.size.unwrap_or(served);
                tracing::warn!(
                    "Found cached file {path} with size {len} that is different from expected size {expected}"
                );
                return Ok(false);
            }
            note = job.size.map(|listed| SizeNote::Stale { listed, served });
        }
        if let Some(checksum) = job.checksum {
            let got = compute_checksum(checksum, job.target).await?;
            if got != *checksum {
                tracing::warn!(
                    "Found cached file {path} with checksum {got}, expected {checksum}; downloading it again"
                );
                return Ok(false);
            }
        }
        tracing::info!("Found cached file {path} with expected size {len}.");
        transfer.note = note;
        Ok(true)
    }

    /// One attempt at the transfer, by the source's kind.
    async fn attempt(&self, job: &Job<'_>, part: &mut PartFile, transfer: &mut Transfer) -> Result<(), Failure> {
        match job.source {
            #[cfg(feature = "https")]
            Source::Url(_) | Source::Mast(_) => self.http_attempt(job, part, transfer).await,
            #[cfg(feature = "s3")]
            Source::S3 { bucket, key } => self.s3_attempt(job, bucket, key, part, transfer).await,
            #[allow(unreachable_patterns)]
            other => Err(Failure::from(
                other
                    .request_url(self.inner.client.config())
                    .err()
                    .unwrap_or_else(|| Error::Internal { message: format!("no transfer for {other}") }),
            )),
        }
    }

    /// The size the server gives for the file (local-first cache check without an
    /// expected size): one `HEAD`, retried like a download.
    async fn remote_length(&self, job: &Job<'_>) -> Result<Option<u64>> {
        let what = format!("the size of {}", mast_proto::redact_url(&job.url));
        self.inner
            .client
            .with_retries(&what, None, |_| async {
                let _permit = self.host_permit(&job.url).await;
                self.head_length(job).await
            })
            .await
            .map_err(|failure: Failure| failure.error)
    }

    /// One `HEAD` (S3 `HeadObject`) for the file's size, by the transport of its source.
    async fn head_length(&self, job: &Job<'_>) -> Result<Option<u64>, Failure> {
        match job.source {
            #[cfg(feature = "https")]
            Source::Url(_) | Source::Mast(_) => self.http_length(job).await,
            #[cfg(feature = "s3")]
            Source::S3 { bucket, key } => self.s3_length(job, bucket, key).await,
            #[allow(unreachable_patterns)]
            _ => Ok(None),
        }
    }

    /// The size the server gives for the file now, asked once within an attempt (which
    /// holds the host's slot): `None` when it gives none or refuses the `HEAD` with an HTTP
    /// error; a transport failure fails the attempt.
    async fn server_length(&self, job: &Job<'_>) -> Result<Option<u64>, Failure> {
        match self.head_length(job).await {
            Err(Failure { error: Error::Http { status, .. }, .. }) => {
                tracing::debug!(url = %mast_proto::redact_url(&job.url), status, "no size from a HEAD");
                Ok(None)
            }
            Err(Failure { error: Error::Unauthorized { .. }, .. }) => {
                tracing::debug!(url = %mast_proto::redact_url(&job.url), status = 401, "no size from a HEAD");
                Ok(None)
            }
            other => other,
        }
    }

    /// Writes the body from `offset`, first comparing its leading bytes with `tail` (the
    /// end of the kept prefix that was asked for again).
    pub(crate) async fn stream(
        &self,
        job: &Job<'_>,
        part: &mut PartFile,
        body: impl futures::Stream<Item = Result<Bytes>>,
        offset: u64,
        tail: &[u8],
        transfer: &mut Transfer,
    ) -> Result<Streamed, Failure> {
        let mut body = std::pin::pin!(body);
        let mut writer = part.writer(offset + tail.len() as u64);
        let shown = mast_proto::redact_url(&job.url);
        let mut compared = 0usize;
        let mut unreported = 0u64;
        let outcome = loop {
            // A body that stops flowing for the idle timeout is a stall, retried; one that
            // keeps flowing may take as long as it needs.
            let next = self.inner.client.await_chunk(&shown, body.next()).await;
            let mut chunk = match next {
                Ok(Some(Ok(chunk))) => chunk,
                Ok(None) => break Ok(()),
                Ok(Some(Err(e))) => break Err(e),
                Err(stalled) => break Err(Error::Proto(stalled)),
            };
            transfer.received += chunk.len() as u64;
            if compared < tail.len() {
                let n = (tail.len() - compared).min(chunk.len());
                if chunk[..n] != tail[compared..compared + n] {
                    writer.finish().await?;
                    return Ok(Streamed::TailMismatch);
                }
                compared += n;
                chunk = chunk.slice(n..);
            }
            let n = chunk.len() as u64;
            if n > 0 {
                // A failed write or flush is final (a full disk, a quota, a size limit: no
                // retry) or local; the writer kept only bytes that can be trusted, so they
                // stay for a rerun to resume instead of being emptied.
                writer.write(chunk).await.map_err(Failure::from)?;
            }
            unreported += n;
            if unreported >= PROGRESS_STEP {
                self.emit(|| ProgressEvent::Bytes { path: job.target.to_path_buf(), n: unreported });
                unreported = 0;
            }
        };
        // Whatever arrived stays on disk for the next attempt to resume from.
        writer.finish().await.map_err(Failure::from)?;
        if unreported > 0 {
            self.emit(|| ProgressEvent::Bytes { path: job.target.to_path_buf(), n: unreported });
        }
        outcome?;
        if compared < tail.len() {
            return Err(Failure::from(Error::Protocol {
                url: job.url.clone(),
                message: "the partial answer ended before the resumed part".into(),
            }));
        }
        Ok(Streamed::Complete)
    }

    /// Size and checksum checks on the complete temporary file (the size policy, see
    /// [`Downloader`]); on success `transfer.note` says what the size checks could not settle.
    pub(crate) async fn verify(
        &self,
        job: &Job<'_>,
        part: &mut PartFile,
        served: Served,
        transfer: &mut Transfer,
    ) -> Result<(), Failure> {
        transfer.note = None;
        let len = part.len().await?;
        let mismatch = |expected: u64, origin: &'static str| Error::SizeMismatch {
            url: job.url.clone(),
            got: len,
            expected,
            origin,
        };
        // Short: resume the rest; long: the bytes cannot be trusted.
        let resume_or_discard = |expected: u64, origin: &'static str| {
            let error = mismatch(expected, origin);
            if len < expected { Failure::from(error) } else { Failure::discard(error) }
        };
        let note = match served {
            Served::Length(total) if len != total => {
                return Err(resume_or_discard(total, "the server's Content-Length / Content-Range"));
            }
            // The transport's length (or marked end) holds; the listed size is a hint: a
            // disagreement is confirmed by the server's HEAD, then reported.
            Served::Length(_) | Served::Framed => match job.size {
                Some(listed) if listed != len => {
                    if let Some(head) = self.server_length(job).await?
                        && head != len
                    {
                        return Err(Failure::discard(mismatch(
                            head,
                            "the server's HEAD; the body and the listed size disagree with it",
                        )));
                    }
                    Some(SizeNote::Stale { listed, served: len })
                }
                _ => None,
            },
            // A body ended by a close: the listed size, else the server's HEAD, else nothing.
            Served::Unframed => match job.size {
                Some(listed) if len == listed => None,
                Some(listed) if len < listed => {
                    return Err(Failure::from(mismatch(
                        listed,
                        "the listed size; the body had no length and ended early",
                    )));
                }
                listed => match self.server_length(job).await? {
                    Some(head) if head == len => listed.map(|listed| SizeNote::Stale { listed, served: head }),
                    Some(head) => return Err(resume_or_discard(head, "the server's HEAD; the body had no length")),
                    None => Some(match listed {
                        Some(listed) => SizeNote::Unverified { listed, received: len },
                        None => SizeNote::Unknown { received: len },
                    }),
                },
            },
        };
        let mut note = note;
        if let Some(checksum) = job.checksum {
            let got = compute_checksum(checksum, &part.path).await?;
            if got != *checksum {
                return Err(Failure::discard(Error::ChecksumMismatch {
                    url: job.url.clone(),
                    expected: checksum.to_string(),
                    got: got.to_string(),
                }));
            }
            // The checksum verified the bytes whatever their length.
            note = note.filter(|n| matches!(n, SizeNote::Stale { .. }));
        }
        transfer.note = note;
        Ok(())
    }

    /// Files transferred at once from `url`'s host: an explicit
    /// [`DownloaderBuilder::host_concurrency`], else MAST's limit for MAST's hosts, else the
    /// limit for other hosts.
    pub fn host_limit(&self, url: &str) -> usize {
        self.host_key(url).map_or(self.inner.other_hosts, |(key, host)| self.limit_for(url, &key, &host))
    }

    fn host_key(&self, url: &str) -> Option<(String, String)> {
        let parsed = url::Url::parse(url).ok()?;
        let host = parsed.host_str()?.to_ascii_lowercase();
        let key = match parsed.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        Some((key, host))
    }

    fn limit_for(&self, url: &str, key: &str, host: &str) -> usize {
        let explicit = self.inner.host_limits.get(key).or_else(|| self.inner.host_limits.get(host)).copied();
        explicit.unwrap_or_else(|| {
            if url.starts_with("s3://") {
                self.inner.s3
            } else if self.inner.client.config().is_mast_host(url) {
                self.inner.per_host
            } else {
                self.inner.other_hosts
            }
        })
    }

    /// Waits for a transfer slot on the URL's host.
    pub(crate) async fn host_permit(&self, url: &str) -> Option<OwnedSemaphorePermit> {
        let (key, host) = self.host_key(url)?;
        let limit = self.limit_for(url, &key, &host);
        let semaphore = {
            let mut hosts = self.inner.hosts.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(hosts.entry(key).or_insert_with(|| Arc::new(Semaphore::new(limit))))
        };
        semaphore.acquire_owned().await.ok()
    }

    /// One download per target at a time within this downloader (across processes the
    /// `.part` lock does it): the guard, and whether another task held it first.
    async fn lock_target(&self, target: &Path) -> (OwnedMutexGuard<()>, bool) {
        let mutex = {
            let mut map = self.inner.targets.lock().unwrap_or_else(|e| e.into_inner());
            map.retain(|_, weak| weak.strong_count() > 0);
            match map.get(target).and_then(Weak::upgrade) {
                Some(m) => m,
                None => {
                    let m = Arc::new(tokio::sync::Mutex::new(()));
                    map.insert(target.to_path_buf(), Arc::downgrade(&m));
                    m
                }
            }
        };
        match Arc::clone(&mutex).try_lock_owned() {
            Ok(guard) => (guard, false),
            Err(_) => (mutex.lock_owned().await, true),
        }
    }

    pub(crate) fn emit(&self, event: impl FnOnce() -> ProgressEvent) {
        if let Some(f) = self.call.progress.as_ref().or(self.inner.progress.as_ref()) {
            f(&event());
        }
    }
}

/// The checksum of the file at `path`, opened without following a link.
async fn compute_checksum(checksum: &Checksum, path: &Path) -> Result<Checksum> {
    let (c, p) = (*checksum, path.to_path_buf());
    tokio::task::spawn_blocking(move || {
        c.compute_reader(crate::nofollow::open_raw(std::fs::OpenOptions::new().read(true), &p)?)
    })
    .await
    .map_err(|e| Error::Internal { message: e.to_string() })?
    .map_err(|e| Error::io("read", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_pages_are_not_files() {
        let source = Source::from("https://example.org/x");
        let job = |target: &'static str| Job {
            url: "https://example.org/x".into(),
            source: &source,
            target: Path::new(target),
            size: None,
            checksum: None,
        };
        assert!(check_not_an_html_page(&job("a/b.fits"), Some("text/html; charset=utf-8")).is_err());
        assert!(check_not_an_html_page(&job("a/b.fits"), Some(" TEXT/HTML")).is_err());
        assert!(check_not_an_html_page(&job("a/b.fits"), Some("application/octet-stream")).is_ok());
        assert!(check_not_an_html_page(&job("a/b.fits"), None).is_ok());
        assert!(check_not_an_html_page(&job("a/b.HTML"), Some("text/html")).is_ok());
        assert!(check_not_an_html_page(&job("a/b.htm"), Some("text/html")).is_ok());
    }

    #[tokio::test]
    async fn one_task_per_target_and_the_map_keeps_only_live_targets() {
        let config = mast_proto::MastConfig::new().with_all_urls("http://127.0.0.1:9999").unwrap();
        let d = Downloader::new(&MastClient::new(config).unwrap());
        let (a, b) = (Path::new("/tmp/x/a.fits"), Path::new("/tmp/x/b.fits"));
        let (first, waited) = d.lock_target(a).await;
        assert!(!waited);
        // Another target is not held up by the first.
        let (other, waited) = d.lock_target(b).await;
        assert!(!waited);
        drop(other);
        // The same target waits until the first guard is dropped, and says it waited.
        let second = tokio::spawn({
            let d = d.clone();
            async move { d.lock_target(Path::new("/tmp/x/a.fits")).await.1 }
        });
        // On this single-threaded runtime the sleep runs the spawned task up to its wait.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!second.is_finished(), "a second task on one target runs only after the first");
        drop(first);
        assert!(second.await.unwrap(), "the second task knows another held the target");
        // Released targets are forgotten (the map does not grow with every file ever fetched).
        let _ = d.lock_target(Path::new("/tmp/x/c.fits")).await;
        let map = d.inner.targets.lock().unwrap();
        assert_eq!(map.len(), 1, "only the last target remains until the next call: {map:?}");
    }

    #[test]
    fn host_limits_keep_mast_at_the_spec_limit() {
        let config = mast_proto::MastConfig::new().with_all_urls("http://127.0.0.1:9999").unwrap();
        let client = MastClient::new(config).unwrap();
        let d = Downloader::new(&client);
        assert_eq!(
            d.host_limit("http://127.0.0.1:9999/api/v0.1/Download/file?uri=mast:x"),
            DEFAULT_PER_HOST_CONCURRENCY
        );
        assert_eq!(d.host_limit("http://127.0.0.1:9998/files/a"), DEFAULT_OTHER_HOST_CONCURRENCY);
        assert_eq!(d.host_limit("https://stpubdata.s3.amazonaws.com/hst/a.fits"), DEFAULT_OTHER_HOST_CONCURRENCY);
        let d = Downloader::builder(&client).per_host_concurrency(2).build();
        assert_eq!(d.host_limit("http://127.0.0.1:9999/x"), 2);
        assert_eq!(d.host_limit("https://example.org/x"), 2);
        let d = Downloader::builder(&client)
            .other_host_concurrency(16)
            .host_concurrency("example.org", 3)
            .host_concurrency("127.0.0.1:9999", 1)
            .build();
        assert_eq!(d.host_limit("https://example.org/x"), 3);
        assert_eq!(d.host_limit("https://example.net/x"), 16);
        assert_eq!(d.host_limit("http://127.0.0.1:9999/x"), 1);
    }
}
