//! Zip archives inflated into a directory: [`unzip`] checks every entry name with
//! [`crate::safe_join`], refuses links and oversized entries, and writes each file to
//! `<name>.part` before renaming it into place once the zip crate has verified its CRC and size.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, ErrorKind, Read, Seek};
use std::path::{Path, PathBuf};

use zip::ZipArchive;

use crate::part::{meta_path, part_path, sync_dir};
use crate::{Error, Result, safe_join};

/// Default [`UnzipOptions::max_entry_size`]: 16 GiB.
pub const DEFAULT_MAX_ENTRY_SIZE: u64 = 16 << 30;
/// Default [`UnzipOptions::max_total_size`]: 64 GiB.
pub const DEFAULT_MAX_TOTAL_SIZE: u64 = 64 << 30;

/// Unix file type bits of a zip entry's external attributes (upper 16 bits).
const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;
const S_IFLNK: u32 = 0o120000;

/// Copy buffer size: entries are streamed, never held in memory.
const BUFFER: usize = 64 * 1024;

/// How [`unzip`] treats an archive: size limits against zip bombs, and whether to remove
/// the archive afterwards.
///
/// ```
/// use mast_download::UnzipOptions;
/// let options = UnzipOptions::new().max_entry_size(1 << 30).remove_archive(true);
/// assert_eq!(options.get_max_entry_size(), 1 << 30);
/// assert!(options.get_remove_archive());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnzipOptions {
    max_entry_size: u64,
    max_total_size: u64,
    remove_archive: bool,
}

impl Default for UnzipOptions {
    fn default() -> Self {
        UnzipOptions {
            max_entry_size: DEFAULT_MAX_ENTRY_SIZE,
            max_total_size: DEFAULT_MAX_TOTAL_SIZE,
            remove_archive: false,
        }
    }
}

impl UnzipOptions {
    /// The defaults: [`DEFAULT_MAX_ENTRY_SIZE`], [`DEFAULT_MAX_TOTAL_SIZE`], the archive kept.
    pub fn new() -> Self {
        Self::default()
    }

    /// Refuses an entry whose declared or actual inflated size exceeds `bytes`
    /// ([`Error::ZipTooLarge`] for that entry; the other entries are extracted).
    pub fn max_entry_size(mut self, bytes: u64) -> Self {
        self.max_entry_size = bytes;
        self
    }

    /// Refuses an archive whose entries together declare more than `bytes` (nothing is
    /// extracted), and stops inflating once `bytes` have been written in all.
    pub fn max_total_size(mut self, bytes: u64) -> Self {
        self.max_total_size = bytes;
        self
    }

    /// Removes the archive after a complete extraction (every entry extracted), as
    /// astroquery's `Tesscut` does with `inflate=True`. An archive with a refused or failed
    /// entry is always kept.
    pub fn remove_archive(mut self, remove: bool) -> Self {
        self.remove_archive = remove;
        self
    }

    /// See [`UnzipOptions::max_entry_size`].
    pub fn get_max_entry_size(&self) -> u64 {
        self.max_entry_size
    }

    /// See [`UnzipOptions::max_total_size`].
    pub fn get_max_total_size(&self) -> u64 {
        self.max_total_size
    }

    /// See [`UnzipOptions::remove_archive`].
    pub fn get_remove_archive(&self) -> bool {
        self.remove_archive
    }
}

/// What [`unzip`] did with one archive entry.
#[derive(Debug)]
pub struct UnzippedEntry {
    /// The entry name as stored in the archive (lossily decoded if it is not valid text).
    pub name: String,
    /// Whether the entry is a directory.
    pub is_dir: bool,
    /// The local path written (a file, or a directory created), or why the entry was
    /// refused or failed: [`Error::UnsafePath`] (a name leaving the directory, a symbolic
    /// link), [`Error::Zip`] (corrupt data, CRC mismatch, unsupported method),
    /// [`Error::ZipTooLarge`], [`Error::Io`]. A failed entry leaves nothing under its
    /// final name and no `.part` file.
    pub result: Result<PathBuf>,
}

/// The outcome of [`unzip`]: one [`UnzippedEntry`] per archive entry, in archive order.
#[derive(Debug)]
pub struct Unzipped {
    /// The archive that was read.
    pub archive: PathBuf,
    /// Every entry, in archive order, with its local path or its error.
    pub entries: Vec<UnzippedEntry>,
    /// Whether the archive was removed ([`UnzipOptions::remove_archive`] and every entry
    /// extracted).
    pub archive_removed: bool,
}

impl Unzipped {
    /// Whether every entry was extracted.
    pub fn is_complete(&self) -> bool {
        self.entries.iter().all(|e| e.result.is_ok())
    }

    /// The local paths of the files extracted (not directories), in archive order.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.entries.iter().filter(|e| !e.is_dir).filter_map(|e| e.result.as_deref().ok())
    }

    /// The entries refused or failed: their names and errors, in archive order.
    pub fn errors(&self) -> impl Iterator<Item = (&str, &Error)> {
        self.entries.iter().filter_map(|e| e.result.as_ref().err().map(|err| (e.name.as_str(), err)))
    }
}

/// Inflates the zip archive `archive` into the directory `dir` (created if needed).
///
/// This is blocking file I/O and needs no async runtime (nor the `https`/`s3` features):
/// from async code, call it on the runtime's blocking pool (`tokio::task::spawn_blocking`).
///
/// Each entry name goes through [`crate::safe_join`] (no `..`, absolute paths, drive letters,
/// backslashes, NUL bytes, empty components, nor a path through an existing symbolic
/// link); symbolic links and other special entries (Unix type bits in the external
/// attributes) are refused; directories are created. A file entry is streamed to
/// `<file>.part` beside its target and renamed into place only after the zip crate has
/// verified its CRC-32 and size, and the data has been flushed to disk, so a corrupt entry
/// never sits under its final name (an existing file there is kept). File modes and
/// times stored in the archive are not applied.
///
/// Against zip bombs, an entry that declares or inflates to more than
/// [`UnzipOptions::max_entry_size`] is refused, and an archive whose entries declare more
/// than [`UnzipOptions::max_total_size`] in all is refused whole.
///
/// A refused or failed entry is that entry's error in [`Unzipped::entries`]; the others
/// are still extracted. The function itself fails only when the archive cannot be used
/// at all: it cannot be opened ([`Error::Io`]), is not a readable zip archive
/// ([`Error::Zip`]), declares too much in all ([`Error::ZipTooLarge`]), `dir` cannot be
/// created, or the archive cannot be removed after a complete extraction
/// ([`UnzipOptions::remove_archive`]).
///
/// ```
/// use std::io::Write as _;
/// use mast_download::{Error, UnzipOptions, unzip};
///
/// // A Tesscut-like archive, with one entry that tries to leave the directory.
/// let tmp = tempfile::tempdir()?;
/// let archive = tmp.path().join("astrocut.zip");
/// let mut writer = zip::ZipWriter::new(std::fs::File::create(&archive)?);
/// let options = zip::write::SimpleFileOptions::default();
/// writer.start_file("tess-s0001-1-1_cutout.fits", options)?;
/// writer.write_all(b"SIMPLE  =                    T")?;
/// writer.start_file("../escape.txt", options)?;
/// writer.write_all(b"nope")?;
/// writer.finish()?;
///
/// let out = tmp.path().join("cutouts");
/// let unzipped = unzip(&archive, &out, &UnzipOptions::new().remove_archive(true))?;
/// assert_eq!(unzipped.files().collect::<Vec<_>>(), [out.join("tess-s0001-1-1_cutout.fits")]);
/// let (name, error) = unzipped.errors().next().unwrap();
/// assert!(name == "../escape.txt" && matches!(error, Error::UnsafePath { .. }));
/// assert!(!tmp.path().join("escape.txt").exists());
/// // Not complete: the archive is kept.
/// assert!(!unzipped.is_complete() && !unzipped.archive_removed && archive.exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn unzip(archive: &Path, dir: &Path, options: &UnzipOptions) -> Result<Unzipped> {
    let file = File::open(archive).map_err(|e| Error::io("open the zip archive", archive, e))?;
    let mut zip = ZipArchive::new(BufReader::new(file)).map_err(|e| zip_error(archive, None, e.to_string()))?;

    let mut declared = 0u64;
    for index in 0..zip.len() {
        let entry = zip.by_index_data(index).map_err(|e| zip_error(archive, None, e.to_string()))?;
        declared = declared.saturating_add(entry.size());
    }
    if declared > options.max_total_size {
        return Err(Error::ZipTooLarge {
            archive: archive.to_owned(),
            entry: None,
            size: declared,
            limit: options.max_total_size,
            option: "max_total_size",
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create the directory", dir, e))?;

    let mut run = Run { archive, dir, options, written: 0, buffer: vec![0; BUFFER], parents: BTreeSet::new() };
    let entries: Vec<UnzippedEntry> = (0..zip.len()).map(|index| run.entry(&mut zip, index)).collect();
    run.sync_parents();
    drop(zip);

    let mut unzipped = Unzipped { archive: archive.to_owned(), entries, archive_removed: false };
    if options.remove_archive && unzipped.is_complete() {
        std::fs::remove_file(archive).map_err(|e| Error::io("remove the extracted archive", archive, e))?;
        unzipped.archive_removed = true;
    }
    Ok(unzipped)
}

/// The state of one [`unzip`] call.
struct Run<'a> {
    archive: &'a Path,
    dir: &'a Path,
    options: &'a UnzipOptions,
    /// Bytes inflated so far, all entries together.
    written: u64,
    buffer: Vec<u8>,
    /// Directories where files were renamed, to sync at the end.
    parents: BTreeSet<PathBuf>,
}

impl Run<'_> {
    fn entry<R: Read + Seek>(&mut self, zip: &mut ZipArchive<R>, index: usize) -> UnzippedEntry {
        let meta = match zip.by_index_data(index) {
            Ok(entry) => {
                let name = entry.name().map(|n| n.into_owned()).map_err(|e| e.to_string());
                let raw = String::from_utf8_lossy(entry.name_raw()).into_owned();
                let mode = entry.external_attributes() >> 16;
                let is_dir = entry.is_dir() || mode & S_IFMT == S_IFDIR;
                Ok((name, raw, mode, is_dir, entry.size()))
            }
            Err(e) => Err(e.to_string()),
        };
        let (name, raw, mode, is_dir, size) = match meta {
            Ok(meta) => meta,
            Err(message) => {
                let name = format!("#{index}");
                let result = Err(zip_error(self.archive, Some(&name), message));
                return UnzippedEntry { name, is_dir: false, result };
            }
        };
        let name = match name {
            Ok(name) => name,
            Err(message) => {
                let result =
                    Err(zip_error(self.archive, Some(&raw), format!("the entry name cannot be decoded: {message}")));
                return UnzippedEntry { name: raw, is_dir, result };
            }
        };
        let result = self.extract(zip, index, &name, mode, is_dir, size);
        UnzippedEntry { name, is_dir, result }
    }

    fn extract<R: Read + Seek>(
        &mut self,
        zip: &mut ZipArchive<R>,
        index: usize,
        name: &str,
        mode: u32,
        is_dir: bool,
        size: u64,
    ) -> Result<PathBuf> {
        let refuse = |reason: String| Err(Error::UnsafePath { name: name.to_owned(), reason });
        match mode & S_IFMT {
            0 | S_IFREG | S_IFDIR => {}
            S_IFLNK => return refuse("the entry is a symbolic link (links in archives are not extracted)".into()),
            other => {
                return refuse(format!("the entry is a special file (Unix type {other:o}), not a file or directory"));
            }
        }
        // A directory entry ends with '/'; check the name without it.
        let relative = if is_dir { name.strip_suffix('/').unwrap_or(name) } else { name };
        let target = safe_join(self.dir, relative).map_err(|e| match e {
            // Name the entry as stored (with its '/').
            Error::UnsafePath { reason, .. } => Error::UnsafePath { name: name.to_owned(), reason },
            other => other,
        })?;
        if is_dir {
            std::fs::create_dir_all(&target).map_err(|e| Error::io("create the directory", &target, e))?;
            return Ok(target);
        }
        if size > self.options.max_entry_size {
            return Err(self.too_large(name, size, self.options.max_entry_size, "max_entry_size"));
        }
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("create the directory", parent, e))?;
        }
        let part = part_path(&target);
        // A `.part` left by the downloader for the same name: its sidecar no longer
        // describes what is written now. The temporary file is created anew (never opened
        // through a link someone left there).
        remove_if_exists(&meta_path(&target))?;
        remove_if_exists(&part)?;
        let out =
            OpenOptions::new().write(true).create_new(true).open(&part).map_err(|e| Error::io("create", &part, e))?;
        let result = self.inflate(zip, index, name, size, out, &part).and_then(|()| {
            std::fs::rename(&part, &target).map_err(|e| Error::io(format!("rename {} to", part.display()), &target, e))
        });
        match result {
            Ok(()) => {
                if let Some(parent) = target.parent() {
                    self.parents.insert(parent.to_owned());
                }
                Ok(target)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&part);
                Err(e)
            }
        }
    }

    /// Streams entry `index` into `out` (the `.part` file) and flushes it to disk.
    fn inflate<R: Read + Seek>(
        &mut self,
        zip: &mut ZipArchive<R>,
        index: usize,
        name: &str,
        size: u64,
        mut out: File,
        part: &Path,
    ) -> Result<()> {
        let mut reader = zip.by_index(index).map_err(|e| zip_error(self.archive, Some(name), e.to_string()))?;
        let by_total = self.options.max_total_size.saturating_sub(self.written);
        let (limit, option) = if by_total < self.options.max_entry_size {
            (by_total, "max_total_size")
        } else {
            (self.options.max_entry_size, "max_entry_size")
        };
        let copied = copy_limited(&mut reader, &mut out, &mut self.buffer, limit);
        drop(reader);
        let n = match copied {
            Ok(n) => n,
            Err(Copy::Read(e)) => {
                return Err(zip_error(self.archive, Some(name), format!("cannot inflate the entry: {e}")));
            }
            Err(Copy::Write(e)) => return Err(Error::io("write", part, e)),
            Err(Copy::TooLarge(n)) => {
                self.written = self.written.saturating_add(n);
                return Err(self.too_large(name, n, limit, option));
            }
        };
        self.written = self.written.saturating_add(n);
        if n != size {
            let message = format!("inflated to {n} bytes, but the archive declares {size}");
            return Err(zip_error(self.archive, Some(name), message));
        }
        out.sync_all().map_err(|e| Error::io("flush to disk", part, e))
    }

    fn too_large(&self, name: &str, size: u64, limit: u64, option: &'static str) -> Error {
        Error::ZipTooLarge { archive: self.archive.to_owned(), entry: Some(name.to_owned()), size, limit, option }
    }

    /// Syncs the directories where files were renamed, as the downloader does.
    fn sync_parents(&self) {
        self.parents.iter().for_each(|dir| sync_dir(dir));
    }
}

/// Why [`copy_limited`] stopped.
#[derive(Debug)]
enum Copy {
    /// Reading (inflating, checking the CRC) failed.
    Read(std::io::Error),
    /// Writing failed.
    Write(std::io::Error),
    /// More than the limit was read: this many bytes.
    TooLarge(u64),
}

/// Copies `reader` to `out` through `buffer` until the end (where the zip crate checks the
/// CRC), failing as soon as more than `limit` bytes arrive (nothing past the limit is
/// written). Returns the bytes copied.
fn copy_limited(
    reader: &mut impl Read,
    out: &mut impl std::io::Write,
    buffer: &mut [u8],
    limit: u64,
) -> std::result::Result<u64, Copy> {
    let mut n = 0u64;
    loop {
        let k = match reader.read(buffer) {
            Ok(0) => return Ok(n),
            Ok(k) => k,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(Copy::Read(e)),
        };
        n = n.saturating_add(k as u64);
        if n > limit {
            return Err(Copy::TooLarge(n));
        }
        out.write_all(&buffer[..k]).map_err(Copy::Write)?;
    }
}

fn zip_error(archive: &Path, entry: Option<&str>, message: String) -> Error {
    Error::Zip { archive: archive.to_owned(), entry: entry.map(str::to_owned), message }
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("remove", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write as _};

    use super::*;

    /// A reader interrupted by a signal before each read, then reading on.
    struct Interrupted<R> {
        inner: R,
        interrupt: bool,
    }

    impl<R: Read> Read for Interrupted<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                return Err(std::io::Error::from(ErrorKind::Interrupted));
            }
            self.inner.read(buf)
        }
    }

    #[test]
    fn an_interrupted_read_is_retried_and_the_limit_holds() {
        let data: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        let mut buffer = [0u8; 1024];
        let mut out = Vec::new();
        let mut reader = Interrupted { inner: Cursor::new(&data), interrupt: false };
        assert_eq!(copy_limited(&mut reader, &mut out, &mut buffer, 10_000).ok(), Some(10_000));
        assert_eq!(out, data);
        let mut reader = Interrupted { inner: Cursor::new(&data), interrupt: false };
        assert!(matches!(copy_limited(&mut reader, &mut Vec::new(), &mut buffer, 9_999), Err(Copy::TooLarge(_))));
    }

    fn archive(path: &Path, entries: &[(&str, &[u8])]) {
        let mut w = zip::ZipWriter::new(File::create(path).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        for (name, data) in entries {
            if name.ends_with('/') {
                w.add_directory(*name, options).unwrap();
            } else {
                w.start_file(*name, options).unwrap();
                w.write_all(data).unwrap();
            }
        }
        w.finish().unwrap();
    }

    #[test]
    fn copy_stops_past_the_limit() {
        let mut buffer = [0u8; 4];
        let mut out = Vec::new();
        assert_eq!(copy_limited(&mut Cursor::new(vec![7u8; 10]), &mut out, &mut buffer, 10).unwrap(), 10);
        assert_eq!(out, [7u8; 10]);
        out.clear();
        match copy_limited(&mut Cursor::new(vec![7u8; 11]), &mut out, &mut buffer, 9) {
            Err(Copy::TooLarge(n)) => assert!(n > 9 && out.len() as u64 <= 9, "{n} {}", out.len()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn options_builder() {
        let o = UnzipOptions::default();
        assert_eq!(
            (o.get_max_entry_size(), o.get_max_total_size(), o.get_remove_archive()),
            (16 << 30, 64 << 30, false)
        );
        let o = UnzipOptions::new().max_total_size(5).max_entry_size(3).remove_archive(true);
        assert_eq!((o.get_max_entry_size(), o.get_max_total_size(), o.get_remove_archive()), (3, 5, true));
    }

    #[test]
    fn directories_files_and_refusals() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.zip");
        archive(&path, &[("d/", b""), ("d/e/f.txt", b"hello"), ("../x", b"no"), ("top.txt", b"top")]);
        let out = tmp.path().join("out");
        let u = unzip(&path, &out, &UnzipOptions::new()).unwrap();
        let names: Vec<_> = u.entries.iter().map(|e| (e.name.as_str(), e.is_dir, e.result.is_ok())).collect();
        assert_eq!(
            names,
            [("d/", true, true), ("d/e/f.txt", false, true), ("../x", false, false), ("top.txt", false, true)]
        );
        assert_eq!(u.entries[0].result.as_deref().unwrap(), out.join("d"));
        assert_eq!(std::fs::read(out.join("d/e/f.txt")).unwrap(), b"hello");
        assert_eq!(u.files().count(), 2);
        assert!(!u.is_complete());
        assert!(matches!(u.errors().next(), Some(("../x", Error::UnsafePath { .. }))));
        assert!(!tmp.path().join("x").exists());
    }

    #[test]
    fn entry_and_total_limits() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.zip");
        archive(&path, &[("small", &[1u8; 10]), ("big", &[0u8; 1000])]);
        let out = tmp.path().join("out");
        let u = unzip(&path, &out, &UnzipOptions::new().max_entry_size(100)).unwrap();
        assert!(u.entries[0].result.is_ok());
        match &u.entries[1].result {
            Err(
                e @ Error::ZipTooLarge { entry: Some(entry), size: 1000, limit: 100, option: "max_entry_size", .. },
            ) => {
                assert_eq!(entry, "big");
                assert!(e.to_string().contains("max_entry_size"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        assert!(!out.join("big").exists() && !out.join("big.part").exists());
        let out2 = tmp.path().join("out2");
        match unzip(&path, &out2, &UnzipOptions::new().max_total_size(1009)) {
            Err(Error::ZipTooLarge { entry: None, size: 1010, limit: 1009, .. }) => {}
            other => panic!("{other:?}"),
        }
        assert!(!out2.exists(), "nothing is created for a refused archive");
    }

    #[test]
    fn not_a_zip() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.zip");
        std::fs::write(&path, b"<html>Service unavailable</html>").unwrap();
        let e = unzip(&path, tmp.path(), &UnzipOptions::new()).unwrap_err();
        assert!(matches!(e, Error::Zip { entry: None, .. }), "{e:?}");
        assert_eq!(e.class_name(), "BadZipFile");
        let e = unzip(&tmp.path().join("missing.zip"), tmp.path(), &UnzipOptions::new()).unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e:?}");
    }
}
