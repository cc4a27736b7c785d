//! The temporary file beside the target (`<name>.part`) and its sidecar (`<name>.part.meta`).
//!
//! Invariant: whenever `<name>.part` holds `N > 0` bytes and `<name>.part.meta` exists, those
//! bytes are the first `N` bytes of the file version the sidecar describes. It holds because
//! the temporary file is emptied before a new sidecar is written and the sidecar is written
//! (atomically, by rename) before any body byte; bytes written by `write(2)` survive a
//! `kill -9` (they are in the page cache), so a rerun after a kill finds a valid prefix.
//! A temporary file without a readable sidecar is never resumed.

#[cfg(any(feature = "https", feature = "s3"))]
use std::io::Read as _;
#[cfg(feature = "client")]
use std::io::{Seek as _, SeekFrom, Write as _};
#[cfg(any(feature = "client", feature = "zip"))]
use std::path::{Path, PathBuf};
#[cfg(feature = "client")]
use std::sync::Arc;
#[cfg(feature = "client")]
use std::time::{Duration, Instant};

#[cfg(feature = "client")]
use bytes::Bytes;
#[cfg(feature = "https")]
use reqwest::header::{ETAG, HeaderMap, LAST_MODIFIED};
#[cfg(feature = "client")]
use serde_json::{Value, json};

#[cfg(feature = "client")]
use crate::{Error, Result};

/// Suffix of the temporary file.
pub const PART_SUFFIX: &str = ".part";
/// Suffix of the temporary file's sidecar.
pub const META_SUFFIX: &str = ".part.meta";

#[cfg(any(feature = "client", feature = "zip"))]
/// `<target>.part`.
pub(crate) fn part_path(target: &Path) -> PathBuf {
    with_suffix(target, PART_SUFFIX)
}

#[cfg(any(feature = "client", feature = "zip"))]
/// `<target>.part.meta`.
pub(crate) fn meta_path(target: &Path) -> PathBuf {
    with_suffix(target, META_SUFFIX)
}

#[cfg(any(feature = "client", feature = "zip"))]
fn with_suffix(target: &Path, suffix: &str) -> PathBuf {
    let mut s = target.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(feature = "client")]
/// What the sidecar remembers: the file version whose prefix the temporary file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Meta {
    /// The URL requested.
    pub(crate) url: String,
    /// The `ETag` of the response whose body was written.
    pub(crate) etag: Option<String>,
    /// Its `Last-Modified`.
    pub(crate) last_modified: Option<String>,
    /// The file's total size, when known.
    pub(crate) size: Option<u64>,
}

#[cfg(feature = "client")]
impl Meta {
    #[cfg(feature = "https")]
    pub(crate) fn from_headers(url: &str, headers: &HeaderMap, size: Option<u64>) -> Meta {
        let text =
            |name| headers.get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok()).map(str::to_owned);
        Meta { url: url.to_owned(), etag: text(ETAG), last_modified: text(LAST_MODIFIED), size }
    }

    /// The `If-Range` value: the `ETag` if it is strong, else `Last-Modified`.
    #[cfg(feature = "https")]
    pub(crate) fn if_range(&self) -> Option<&str> {
        self.etag.as_deref().filter(|e| !e.starts_with("W/")).or(self.last_modified.as_deref())
    }

    fn to_json(&self) -> String {
        json!({"version": 1, "url": self.url, "etag": self.etag, "last_modified": self.last_modified, "size": self.size})
            .to_string()
    }

    fn parse(bytes: &[u8]) -> Option<Meta> {
        let v: Value = serde_json::from_slice(bytes).ok()?;
        if v.get("version")?.as_u64()? != 1 {
            return None;
        }
        let text = |k: &str| match v.get(k) {
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(Value::Null) | None => Some(None),
            _ => None,
        };
        let size = match v.get("size") {
            Some(Value::Null) | None => None,
            Some(n) => Some(n.as_u64()?),
        };
        Some(Meta {
            url: v.get("url")?.as_str()?.to_owned(),
            etag: text("etag")?,
            last_modified: text("last_modified")?,
            size,
        })
    }
}

#[cfg(feature = "client")]
/// The URL whose bytes the temporary file of `target` holds, from its sidecar (read without
/// the lock: a hint for choosing which source to try first, checked again when resuming).
pub(crate) async fn partial_url(target: &Path) -> Option<String> {
    let meta = Meta::parse(&tokio::fs::read(meta_path(target)).await.ok()?)?;
    let len = tokio::fs::metadata(part_path(target)).await.ok()?.len();
    (len > 0).then_some(meta.url)
}

#[cfg(feature = "client")]
/// Body chunks queued for the writer thread of one file.
const WRITE_QUEUE: usize = 16;

#[cfg(feature = "client")]
/// The locked temporary file of one target. File operations run on the blocking pool.
pub(crate) struct PartFile {
    pub(crate) path: PathBuf,
    meta: PathBuf,
    file: Arc<std::fs::File>,
}

#[cfg(feature = "client")]
impl PartFile {
    /// Opens (creating it if needed, keeping its content) and locks `<target>.part`, waiting
    /// at most `patience` for another process that holds the lock.
    pub(crate) async fn open(target: &Path, patience: Duration) -> Result<PartFile> {
        let path = part_path(target);
        let deadline = Instant::now() + patience;
        let mut logged = false;
        loop {
            let p = path.clone();
            let opened = tokio::task::spawn_blocking(move || open_locked(&p))
                .await
                .map_err(|e| Error::Internal { message: e.to_string() })?
                .map_err(|e| Error::io("open", &path, e))?;
            if let Some(file) = opened {
                return Ok(PartFile { meta: meta_path(target), path, file: Arc::new(file) });
            }
            if Instant::now() >= deadline {
                return Err(Error::Busy { path });
            }
            if !logged {
                tracing::info!(path = %path.display(), "waiting for another process downloading the same file");
                logged = true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Runs `f` on the file on the blocking pool.
    async fn blocking<T: Send + 'static>(
        &self,
        action: &str,
        f: impl FnOnce(&std::fs::File) -> std::io::Result<T> + Send + 'static,
    ) -> Result<T> {
        let file = Arc::clone(&self.file);
        tokio::task::spawn_blocking(move || f(&file))
            .await
            .map_err(|e| Error::Internal { message: e.to_string() })?
            .map_err(|e| Error::io(action, &self.path, e))
    }

    /// The bytes in the temporary file.
    pub(crate) async fn len(&self) -> Result<u64> {
        self.blocking("read the size of", |f| Ok(f.metadata()?.len())).await
    }

    /// The sidecar, if it exists and is readable.
    pub(crate) async fn read_meta(&self) -> Option<Meta> {
        Meta::parse(&tokio::fs::read(&self.meta).await.ok()?)
    }

    /// Replaces the sidecar (write to `<meta>.tmp`, then rename).
    pub(crate) async fn write_meta(&self, meta: &Meta) -> Result<()> {
        let tmp = with_suffix(&self.meta, ".tmp");
        tokio::fs::write(&tmp, meta.to_json()).await.map_err(|e| Error::io("write", &tmp, e))?;
        tokio::fs::rename(&tmp, &self.meta)
            .await
            .map_err(|e| Error::io(format!("rename {} to", tmp.display()), &self.meta, e))
    }

    /// Empties the temporary file and removes the sidecar.
    pub(crate) async fn reset(&mut self) -> Result<()> {
        self.blocking("truncate", |f| f.set_len(0)).await?;
        remove_if_exists(&self.meta).await
    }

    /// `n` bytes from `offset`.
    #[cfg(any(feature = "https", feature = "s3"))]
    pub(crate) async fn read_at(&mut self, offset: u64, n: u64) -> Result<Vec<u8>> {
        self.blocking("read", move |mut f| {
            let mut buf = vec![0u8; n as usize];
            f.seek(SeekFrom::Start(offset))?;
            f.read_exact(&mut buf)?;
            Ok(buf)
        })
        .await
    }

    /// A writer appending at `offset` from a thread of the blocking pool, so that disk
    /// writes overlap network reads and chunks are written without copies.
    pub(crate) fn writer(&mut self, offset: u64) -> Writer {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(WRITE_QUEUE);
        let file = Arc::clone(&self.file);
        let task = tokio::task::spawn_blocking(move || {
            let mut f: &std::fs::File = &file;
            f.seek(SeekFrom::Start(offset))?;
            let mut flusher = Flusher::new(&file);
            while let Some(chunk) = rx.blocking_recv() {
                f.write_all(&chunk)?;
                flusher.wrote(chunk.len() as u64)?;
            }
            flusher.join()
        });
        Writer { tx: Some(tx), task, path: self.path.clone() }
    }

    /// Removes the temporary file and its sidecar if it holds no bytes (errors ignored:
    /// an empty file left behind is harmless).
    pub(crate) async fn remove_if_empty(self) {
        if self.len().await.is_ok_and(|n| n == 0) {
            let _ = remove_if_exists(&self.path).await;
            let _ = remove_if_exists(&self.meta).await;
        }
    }

    /// Flushes the data to disk, renames the temporary file to `target` (atomically
    /// replacing any file there), removes the sidecar and syncs the directory.
    pub(crate) async fn commit(self, target: &Path) -> Result<()> {
        self.blocking("flush to disk", |f| f.sync_all()).await?;
        let PartFile { path, meta, file } = self;
        // On Unix the rename happens while the lock is held; Windows cannot rename an open file.
        #[cfg(not(unix))]
        drop(file);
        tokio::fs::rename(&path, target)
            .await
            .map_err(|e| Error::io(format!("rename {} to", path.display()), target, e))?;
        #[cfg(unix)]
        drop(file);
        remove_if_exists(&meta).await?;
        if let Some(dir) = target.parent() {
            let dir = dir.to_owned();
            let _ = tokio::task::spawn_blocking(move || sync_dir(&dir)).await;
        }
        Ok(())
    }
}

#[cfg(any(feature = "client", feature = "zip"))]
/// Flushes a directory's entries (a rename into it) to disk; `""` is `.`. Unix only (other
/// systems cannot open a directory as a file); errors are ignored: the data itself is
/// already on disk.
pub(crate) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    {
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(feature = "client")]
/// Opens and locks `path`; `None` if another process holds the lock.
fn open_locked(path: &Path) -> std::io::Result<Option<std::fs::File>> {
    loop {
        let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            // A file system without locks: go on unlocked.
            Err(std::fs::TryLockError::Error(e)) => {
                tracing::debug!(path = %path.display(), error = %e, "cannot lock the temporary file");
            }
        }
        // The holder may have renamed the file to its final name just before we got the
        // lock: then our handle is the finished file, not `path`. Open again.
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            let ours = file.metadata()?;
            match std::fs::metadata(path) {
                Ok(now) if now.ino() == ours.ino() && now.dev() == ours.dev() => {}
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
        }
        return Ok(Some(file));
    }
}

#[cfg(feature = "client")]
/// Bytes written between two background flushes ([`Flusher`]).
const FLUSH_EVERY: u64 = 64 << 20;

#[cfg(feature = "client")]
/// Starts writing a large file's data to disk while the download goes on: every
/// [`FLUSH_EVERY`] bytes, `fdatasync` on a thread of its own (one at a time), so that the
/// final flush before the rename finds little left to write instead of stalling for the
/// whole file. Files smaller than [`FLUSH_EVERY`] never start one.
///
/// A failed background flush fails the writer: on Linux a write-back error is reported to
/// one `fsync` only, so the flush before the rename could not be trusted to see it.
struct Flusher {
    file: Arc<std::fs::File>,
    unflushed: u64,
    running: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

#[cfg(feature = "client")]
impl Flusher {
    fn new(file: &Arc<std::fs::File>) -> Flusher {
        Flusher { file: Arc::clone(file), unflushed: 0, running: None }
    }

    /// Counts `n` more bytes written; the error of a background flush that failed.
    fn wrote(&mut self, n: u64) -> std::io::Result<()> {
        self.unflushed += n;
        if self.unflushed < FLUSH_EVERY || self.running.as_ref().is_some_and(|t| !t.is_finished()) {
            return Ok(());
        }
        self.join()?;
        let file = Arc::clone(&self.file);
        self.running =
            std::thread::Builder::new().name("mast-download-flush".into()).spawn(move || file.sync_data()).ok();
        self.unflushed = 0;
        Ok(())
    }

    /// Waits for the flush in progress, if any, and returns its outcome.
    fn join(&mut self) -> std::io::Result<()> {
        match self.running.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(std::io::Error::other("the background flush thread panicked")),
            None => Ok(()),
        }
    }
}

#[cfg(feature = "client")]
impl Drop for Flusher {
    /// Never leaves a flush running (it holds the file, and with it the lock).
    fn drop(&mut self) {
        let _ = self.join();
    }
}

#[cfg(feature = "client")]
/// See [`PartFile::writer`].
pub(crate) struct Writer {
    tx: Option<tokio::sync::mpsc::Sender<Bytes>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    path: PathBuf,
}

#[cfg(feature = "client")]
impl Writer {
    /// Queues `chunk`; an error is a write error of an earlier chunk.
    pub(crate) async fn write(&mut self, chunk: Bytes) -> Result<()> {
        let sent = match &self.tx {
            Some(tx) => tx.send(chunk).await.is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The thread stopped: it failed.
        self.tx = None;
        match (&mut self.task).await {
            Ok(Err(e)) => Err(Error::io("write", &self.path, e)),
            Ok(Ok(())) => Err(Error::Internal { message: "the writer stopped early".into() }),
            Err(e) => Err(Error::Internal { message: e.to_string() }),
        }
    }

    /// Waits until every queued chunk is written.
    pub(crate) async fn finish(mut self) -> Result<()> {
        self.tx = None;
        match (&mut self.task).await {
            Ok(result) => result.map_err(|e| Error::io("write", &self.path, e)),
            Err(e) => Err(Error::Internal { message: e.to_string() }),
        }
    }
}

#[cfg(feature = "client")]
pub(crate) async fn remove_if_exists(path: &Path) -> Result<()> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("remove", path, e)),
    }
}

#[cfg(all(test, feature = "https"))]
mod tests {
    use super::*;

    #[test]
    fn meta_round_trip_and_rejects() {
        let m = Meta { url: "u".into(), etag: Some("\"e\"".into()), last_modified: None, size: Some(5) };
        assert_eq!(Meta::parse(m.to_json().as_bytes()), Some(m.clone()));
        assert_eq!(m.if_range(), Some("\"e\""));
        let weak = Meta { etag: Some("W/\"e\"".into()), last_modified: Some("date".into()), ..m.clone() };
        assert_eq!(weak.if_range(), Some("date"));
        assert_eq!(Meta::parse(b"{\"version\": 2, \"url\": \"u\"}"), None);
        assert_eq!(Meta::parse(b"{\"version\": 1, \"url\": \"u\", \"size\": -1}"), None);
        assert_eq!(Meta::parse(b"garbage"), None);
        assert_eq!(part_path(Path::new("a/b.fits")), Path::new("a/b.fits.part"));
        assert_eq!(meta_path(Path::new("b")), Path::new("b.part.meta"));
    }
}
