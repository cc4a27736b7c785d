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
    let meta = meta_path(target);
    let meta = Meta::parse(&tokio::task::spawn_blocking(move || crate::nofollow::read(&meta)).await.ok()?.ok()?)?;
    let part = tokio::fs::symlink_metadata(part_path(target)).await.ok()?;
    (part.is_file() && part.len() > 0).then_some(meta.url)
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
    /// The lock file held instead of a `flock` on a file system without locks (released
    /// when this is dropped, after the file: see [`PartFile::commit`]).
    lock_file: Option<LockFile>,
    /// Whether another process held the lock when this one asked: the target may have
    /// been completed meanwhile ([`PartFile::waited`]).
    waited: bool,
}

#[cfg(feature = "client")]
/// How the temporary file is locked against other processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Locking {
    /// `flock` on the `.part` file itself (`File::try_lock`), the normal case.
    Flock,
    /// A lock file beside it, `<name>.part.lock`, created with `O_EXCL` ([`LockFile`]): for
    /// file systems that cannot lock (NFS or Lustre mounted without `flock`).
    LockFile,
}

#[cfg(feature = "client")]
impl PartFile {
    /// Opens (creating it if needed, keeping its content) and locks `<target>.part`, waiting
    /// at most `patience` for another process that holds the lock. `flock` first; on a file
    /// system that cannot lock, a warning (once per process) and a lock file instead.
    ///
    /// A symbolic link at `<target>.part`, `.part.meta` or `.part.meta.tmp` is refused
    /// ([`Error::Symlink`]): nothing is opened through it.
    pub(crate) async fn open(target: &Path, patience: Duration) -> Result<PartFile> {
        Self::open_with(target, patience, Locking::Flock).await
    }

    /// [`PartFile::open`] starting with the given way of locking (tests force the lock file).
    pub(crate) async fn open_with(target: &Path, patience: Duration, mut locking: Locking) -> Result<PartFile> {
        let path = part_path(target);
        let meta = meta_path(target);
        crate::nofollow::refuse_symlink(&meta)?;
        crate::nofollow::refuse_symlink(&with_suffix(&meta, ".tmp"))?;
        let deadline = Instant::now() + patience;
        let mut waited = false;
        loop {
            let p = path.clone();
            let opened = tokio::task::spawn_blocking(move || open_locked(&p, locking))
                .await
                .map_err(|e| Error::Internal { message: e.to_string() })?
                .map_err(|e| crate::nofollow::link_error("open", &path, e))?;
            let lock_file = match opened {
                Opened::Locked { file, lock_file } => {
                    return Ok(PartFile { meta, path, file: Arc::new(file), lock_file, waited });
                }
                Opened::CannotLock(e) => {
                    warn_no_locks(&path, &e);
                    locking = Locking::LockFile;
                    continue;
                }
                Opened::Held { lock_file } => lock_file,
            };
            if Instant::now() >= deadline {
                return Err(Error::Busy { path, lock_file });
            }
            if !waited {
                tracing::info!(path = %crate::path::escape_path(&path), "waiting for another process downloading the same file");
                waited = true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Whether another process held the lock when this one asked for it: it may have
    /// completed the target meanwhile, so the caller checks the target again before
    /// sending anything.
    pub(crate) fn waited(&self) -> bool {
        self.waited
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
        let path = self.meta.clone();
        Meta::parse(&tokio::task::spawn_blocking(move || crate::nofollow::read(&path)).await.ok()?.ok()?)
    }

    /// Replaces the sidecar: `<meta>.tmp` created anew without following a link (a link
    /// there is refused), then renamed over the sidecar (a rename replaces a link, never
    /// writes through it).
    pub(crate) async fn write_meta(&self, meta: &Meta) -> Result<()> {
        let tmp = with_suffix(&self.meta, ".tmp");
        let (t, json) = (tmp.clone(), meta.to_json());
        tokio::task::spawn_blocking(move || crate::nofollow::create_new_with(&t, json.as_bytes(), false))
            .await
            .map_err(|e| Error::Internal { message: e.to_string() })??;
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
            let mut flusher = Flusher::new(&file, offset);
            let mut written = || -> std::io::Result<()> {
                while let Some(chunk) = rx.blocking_recv() {
                    f.write_all(&chunk)?;
                    flusher.wrote(chunk.len() as u64)?;
                }
                flusher.join()
            };
            let result = written();
            // A failed flush (write-back) may have lost pages of what `write` accepted: keep
            // only what an earlier flush made durable, never less (not 0), so that a rerun
            // resumes. A failed `write` (full disk, quota, size limit) leaves every byte it
            // accepted before in place: all of it is kept.
            if result.is_err() && flusher.flush_failed {
                let _ = file.set_len(flusher.durable);
            }
            result
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
    /// replacing any file there; a symbolic link at `target` is refused), removes the
    /// sidecar and syncs the directory.
    ///
    /// The rename happens while the lock is held, on every platform: the file stays open
    /// (Rust opens files on Windows with `FILE_SHARE_DELETE`, so an open file can be
    /// renamed there too) and a lock file is removed only after the rename. A process that
    /// waited for the lock then finds the target complete ([`PartFile::waited`]).
    pub(crate) async fn commit(self, target: &Path) -> Result<()> {
        self.blocking("flush to disk", |f| f.sync_all()).await?;
        crate::nofollow::refuse_symlink(target)?;
        let PartFile { path, meta, file, lock_file, waited: _ } = self;
        tokio::fs::rename(&path, target)
            .await
            .map_err(|e| Error::io(format!("rename {} to", path.display()), target, e))?;
        drop(file);
        drop(lock_file);
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
/// What [`open_locked`] found.
enum Opened {
    /// The file, locked (by `flock`, or by the lock file given).
    Locked { file: std::fs::File, lock_file: Option<LockFile> },
    /// Another process holds the lock (through this lock file, in the fallback).
    Held { lock_file: Option<PathBuf> },
    /// The file system cannot lock (`flock` failed with this error): use a lock file.
    CannotLock(std::io::Error),
}

#[cfg(feature = "client")]
/// Opens (without following a link) and locks `path`.
fn open_locked(path: &Path, locking: Locking) -> std::io::Result<Opened> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    if locking == Locking::LockFile {
        let lock_path = with_suffix(path, ".lock");
        let Some(lock) = LockFile::acquire(&lock_path)? else {
            return Ok(Opened::Held { lock_file: Some(lock_path) });
        };
        let file = crate::nofollow::open_raw(&options, path)?;
        return Ok(Opened::Locked { file, lock_file: Some(lock) });
    }
    loop {
        let file = crate::nofollow::open_raw(&options, path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok(Opened::Held { lock_file: None }),
            // ENOLCK, EOPNOTSUPP, Unsupported (NFS or Lustre without flock), or any other
            // failure to lock: never go on unlocked.
            Err(std::fs::TryLockError::Error(e)) => return Ok(Opened::CannotLock(e)),
        }
        // The holder may have renamed the file to its final name just before we got the
        // lock: then our handle is the finished file, not `path`. Open again.
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            let ours = file.metadata()?;
            match std::fs::symlink_metadata(path) {
                Ok(now) if now.ino() == ours.ino() && now.dev() == ours.dev() => {}
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
        }
        return Ok(Opened::Locked { file, lock_file: None });
    }
}

#[cfg(feature = "client")]
/// The warning for a file system that cannot lock, once per process.
fn warn_no_locks(path: &Path, error: &std::io::Error) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!(
            path = %crate::path::escape_path(path),
            error = %error,
            "the file system cannot lock files (NFS or Lustre without flock?): using lock files (<name>.part.lock) instead"
        );
    }
}

#[cfg(feature = "client")]
/// An exclusive lock held as a file, `<name>.part.lock`, for file systems without `flock`.
///
/// Taken by creating the file with `O_EXCL` (`create_new`, atomic on NFSv3 and later, and
/// never through a link); it holds the owner's process id, host name and a token unique to
/// this lock, and is removed when dropped (only if it still holds that token).
///
/// A lock file whose owner is gone is taken over. The owner is known to be gone only when
/// it ran on this host (same host name) and its process no longer exists (`/proc/<pid>`
/// is absent: Linux); a lock file that says nothing readable (its owner died between
/// creating and writing it) is gone once it is a minute old. Otherwise, after the
/// patience of [`PartFile::open`], the file is [`Error::Busy`], naming the lock file: a
/// lock of another host, or of a system without `/proc`, is removed by hand. Taking over
/// renames the stale file aside and checks it is the one judged stale (a process that
/// took it over first would have replaced it: that one is put back with `link`, which
/// never replaces a file), then creates a new one with `O_EXCL`.
pub(crate) struct LockFile {
    path: PathBuf,
    token: String,
}

#[cfg(feature = "client")]
impl LockFile {
    /// Takes the lock at `path`; `None` when another live process (or task) holds it.
    pub(crate) fn acquire(path: &Path) -> std::io::Result<Option<LockFile>> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        for _ in 0..3 {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            match crate::nofollow::open_raw(&options, path) {
                Ok(mut file) => {
                    let nanos =
                        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
                    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let token = format!("{}-{nanos}-{n}", std::process::id());
                    let text = format!("pid={}\nhost={}\ntoken={token}\n", std::process::id(), host_name());
                    file.write_all(text.as_bytes())?;
                    let _ = file.sync_all();
                    return Ok(Some(LockFile { path: path.to_path_buf(), token }));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let content = match crate::nofollow::read(path) {
                        Ok(c) => c,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(e),
                    };
                    if !owner_is_gone(path, &content) || !take_over(path, &content)? {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }
}

#[cfg(feature = "client")]
impl Drop for LockFile {
    fn drop(&mut self) {
        let ours = crate::nofollow::read(&self.path)
            .is_ok_and(|c| field(&c, "token").is_some_and(|t| t == self.token.as_str()));
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(feature = "client")]
/// `key=value` of a lock file's text.
fn field<'a>(content: &'a [u8], key: &str) -> Option<&'a str> {
    std::str::from_utf8(content).ok()?.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
}

#[cfg(feature = "client")]
/// This host's name (Linux: the kernel's; else `HOSTNAME`/`COMPUTERNAME`), `""` if unknown.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

#[cfg(feature = "client")]
/// Whether the process that wrote the lock file `content` is known to be gone (see
/// [`LockFile`]).
fn owner_is_gone(path: &Path, content: &[u8]) -> bool {
    let (Some(pid), Some(host)) = (field(content, "pid"), field(content, "host")) else {
        // Unreadable: its owner died between creating and writing it, if it is old enough.
        return std::fs::symlink_metadata(path)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > Duration::from_secs(60)));
    };
    let here = host_name();
    if here.is_empty() || host != here || pid.parse::<u32>().is_err() {
        return false;
    }
    Path::new("/proc/self").exists() && !Path::new("/proc").join(pid).exists()
}

#[cfg(feature = "client")]
/// Moves the stale lock file aside; `true` when it was the one judged stale (and is gone).
fn take_over(path: &Path, stale: &[u8]) -> std::io::Result<bool> {
    let aside = with_suffix(path, &format!(".stale.{}", std::process::id()));
    match std::fs::rename(path, &aside) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(e),
    }
    let moved = crate::nofollow::read(&aside).unwrap_or_default();
    if moved == stale {
        let _ = std::fs::remove_file(&aside);
        return Ok(true);
    }
    // Another process took it over first: put its lock back (never replacing a file).
    let _ = std::fs::hard_link(&aside, path);
    let _ = std::fs::remove_file(&aside);
    Ok(false)
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
    /// The file's length up to which the data is known to be on disk: where this writer
    /// started (what an earlier attempt kept), then the end of each successful flush.
    durable: u64,
    /// The length when the running flush started.
    flushing: u64,
    /// The length written so far.
    end: u64,
    /// Whether a flush failed (its error is the writer's).
    flush_failed: bool,
}

#[cfg(feature = "client")]
impl Flusher {
    fn new(file: &Arc<std::fs::File>, offset: u64) -> Flusher {
        Flusher {
            file: Arc::clone(file),
            unflushed: 0,
            running: None,
            durable: offset,
            flushing: offset,
            end: offset,
            flush_failed: false,
        }
    }

    /// Counts `n` more bytes written; the error of a background flush that failed.
    fn wrote(&mut self, n: u64) -> std::io::Result<()> {
        self.unflushed += n;
        self.end += n;
        if self.unflushed < FLUSH_EVERY || self.running.as_ref().is_some_and(|t| !t.is_finished()) {
            return Ok(());
        }
        self.join()?;
        let file = Arc::clone(&self.file);
        self.running =
            std::thread::Builder::new().name("mast-download-flush".into()).spawn(move || file.sync_data()).ok();
        self.flushing = self.end;
        self.unflushed = 0;
        Ok(())
    }

    /// Waits for the flush in progress, if any, and returns its outcome.
    fn join(&mut self) -> std::io::Result<()> {
        let result = match self.running.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(std::io::Error::other("the background flush thread panicked")),
            None => return Ok(()),
        };
        match &result {
            Ok(()) => self.durable = self.flushing,
            Err(_) => self.flush_failed = true,
        }
        result
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

    /// Point 5 of issue 11: two holders of a lock file exclude each other; the lock is
    /// removed when dropped; a lock whose owner process is gone is taken over, one whose
    /// owner lives (or is on another host) is not.
    #[test]
    fn lock_files_exclude_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("x.fits.part.lock");
        let first = LockFile::acquire(&lock).unwrap().expect("the first holder gets the lock");
        assert!(lock.exists());
        assert!(field(&std::fs::read(&lock).unwrap(), "pid").is_some_and(|p| p == std::process::id().to_string()));
        assert!(LockFile::acquire(&lock).unwrap().is_none(), "a second holder must wait");
        drop(first);
        assert!(!lock.exists(), "dropping the lock removes its file");
        let second = LockFile::acquire(&lock).unwrap().expect("free again");
        drop(second);

        // A dead owner on this host: taken over. A live one (this process), or another
        // host's: not.
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--list")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let here = host_name();
        std::fs::write(&lock, format!("pid={dead}\nhost={here}\ntoken=old\n")).unwrap();
        if cfg!(target_os = "linux") && !here.is_empty() {
            let taken = LockFile::acquire(&lock).unwrap().expect("a dead owner's lock is taken over");
            assert!(field(&std::fs::read(&lock).unwrap(), "token").is_some_and(|t| t != "old"));
            drop(taken);
        }
        std::fs::write(&lock, format!("pid={}\nhost={here}\ntoken=live\n", std::process::id())).unwrap();
        assert!(LockFile::acquire(&lock).unwrap().is_none(), "a live owner keeps its lock");
        std::fs::write(&lock, format!("pid={dead}\nhost=another-host.invalid\ntoken=far\n")).unwrap();
        assert!(LockFile::acquire(&lock).unwrap().is_none(), "another host's lock is never taken over");
        // Someone else's lock is not removed when a holder that lost it drops its own.
        assert_eq!(
            std::fs::read(&lock).unwrap(),
            format!("pid={dead}\nhost=another-host.invalid\ntoken=far\n").as_bytes()
        );
    }

    /// Point 5 of issue 11, through `PartFile`: with the lock-file strategy forced (as on a
    /// file system without `flock`), a second opener is `Busy` naming the lock file while
    /// the first holds it, and gets the file once the first committed it; the lock file is
    /// removed after the rename, not before.
    #[tokio::test]
    async fn the_lock_file_fallback_keeps_two_writers_apart() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("x.fits");
        let lock = dir.path().join("x.fits.part.lock");
        let mut first = PartFile::open_with(&target, Duration::ZERO, Locking::LockFile).await.unwrap();
        assert!(!first.waited());
        assert!(lock.exists());
        match PartFile::open_with(&target, Duration::ZERO, Locking::LockFile).await {
            Err(Error::Busy { lock_file: Some(l), .. }) => assert_eq!(l, lock),
            Err(e) => panic!("expected Busy, got {e}"),
            Ok(_) => panic!("two writers of one .part"),
        }
        // A flock opener on the same file is not the concern here (one file system uses
        // one strategy); a second lock-file opener waits, then finds the target complete.
        let waiter = {
            let target = target.clone();
            tokio::spawn(async move { PartFile::open_with(&target, Duration::from_secs(30), Locking::LockFile).await })
        };
        let mut w = first.writer(0);
        w.write(Bytes::from_static(b"data")).await.unwrap();
        w.finish().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiter.is_finished(), "the waiter must not get the lock while it is held");
        first.commit(&target).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"data");
        let second = waiter.await.unwrap().unwrap();
        assert!(second.waited());
        assert_eq!(second.len().await.unwrap(), 0, "a new, empty temporary file");
        second.remove_if_empty().await;
        assert!(!lock.exists());
        assert!(!part_path(&target).exists());
    }

    /// Point 6 of issue 11: a failed background flush keeps what an earlier flush made
    /// durable (never truncates to zero); a failed write keeps everything it accepted.
    #[test]
    fn a_failed_flush_keeps_the_durable_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let file = Arc::new(std::fs::File::create(dir.path().join("f")).unwrap());
        let mut flusher = Flusher::new(&file, 100);
        assert_eq!(flusher.durable, 100);
        flusher.wrote(FLUSH_EVERY).unwrap();
        flusher.join().unwrap();
        assert_eq!(flusher.durable, 100 + FLUSH_EVERY);
        assert!(!flusher.flush_failed);
    }
}
