//! Files opened without following symbolic links: every file mast-download creates, writes
//! or reads back as its own (`<name>.part`, `.part.meta`, `.part.meta.tmp`, `.part.lock`,
//! the final name when checking a cached file, curl scripts) goes through here, so that a
//! link planted at one of those names (`x.fits.part -> /elsewhere/victim.txt`) is refused
//! ([`Error::Symlink`]) instead of written through.
//!
//! The open itself is mast-proto's ([`mast_proto::fs::open_no_follow`]: `O_NOFOLLOW` on
//! Unix, a `symlink_metadata` check elsewhere), shared with mast-auth's token file.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

pub(crate) use mast_proto::fs::{is_symlink, open_no_follow as open_raw};

/// [`Error::Symlink`] when `path` is a link, else refuses nothing.
pub(crate) fn refuse_symlink(path: &Path) -> Result<()> {
    if is_symlink(path) { Err(Error::Symlink { path: path.to_path_buf() }) } else { Ok(()) }
}

/// The error of a failed open of `path`: [`Error::Symlink`] when a link is there, else the
/// I/O error ([`Error::io`]).
pub(crate) fn link_error(action: &str, path: &Path, e: std::io::Error) -> Error {
    if is_symlink(path) { Error::Symlink { path: path.to_path_buf() } } else { Error::io(action, path, e) }
}

/// The content of `path`, read without following a link (a link is an error).
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = open_raw(OpenOptions::new().read(true), path)?;
    let mut out = Vec::new();
    file.read_to_end(&mut out)?;
    Ok(out)
}

/// Creates `path` anew (a file left there by an earlier run is removed first; a link is
/// refused, not removed) and writes `contents`, without following links.
pub(crate) fn create_new_with(path: &Path, contents: &[u8], sync: bool) -> Result<()> {
    refuse_symlink(path)?;
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("remove", path, e)),
    }
    let mut file =
        open_raw(OpenOptions::new().write(true).create_new(true), path).map_err(|e| link_error("create", path, e))?;
    file.write_all(contents).map_err(|e| Error::io("write", path, e))?;
    if sync {
        file.sync_all().map_err(|e| Error::io("flush to disk", path, e))?;
    }
    Ok(())
}

/// Opens `path` with `options` without following a symbolic link: a link at `path` is
/// refused with [`Error::Symlink`] (and left as it is), never written or read through.
/// For files a program writes beside downloads (a manifest, a warnings log, a curl
/// script) whose directory other users may write to.
///
/// ```
/// use std::fs::OpenOptions;
/// let dir = tempfile::tempdir()?;
/// let log = dir.path().join("warnings.jsonl");
/// let mut options = OpenOptions::new();
/// options.create(true).append(true);
/// let file = mast_download::open_no_follow(&options, &log)?;
/// # drop(file);
/// #[cfg(unix)]
/// {
///     std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link"))?;
///     let refused = mast_download::open_no_follow(&options, &dir.path().join("link"));
///     assert!(matches!(refused, Err(mast_download::Error::Symlink { .. })));
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_no_follow(options: &OpenOptions, path: &Path) -> Result<File> {
    open_raw(options, path).map_err(|e| link_error("open", path, e))
}

/// Writes `contents` to `path` whole or not at all, without following symbolic links:
/// written to `<path>.part` (created anew: a stale one is removed, a link there is
/// refused), flushed to disk, then renamed to `path`. A symbolic link at `path` is refused
/// with [`Error::Symlink`] (and left as it is), so the file never lands elsewhere; the
/// parent directory must exist.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let script = dir.path().join("download.sh");
/// mast_download::write_file(&script, b"#!/usr/bin/env bash\n")?;
/// assert_eq!(std::fs::read(&script)?, b"#!/usr/bin/env bash\n");
/// #[cfg(unix)]
/// {
///     let victim = dir.path().join("victim.txt");
///     std::fs::write(&victim, b"precious")?;
///     std::os::unix::fs::symlink(&victim, dir.path().join("evil.sh"))?;
///     assert!(matches!(mast_download::write_file(&dir.path().join("evil.sh"), b"x"),
///                      Err(mast_download::Error::Symlink { .. })));
///     assert_eq!(std::fs::read(&victim)?, b"precious");
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_file(path: &Path, contents: &[u8]) -> Result<()> {
    refuse_symlink(path)?;
    let part = with_suffix(path, crate::PART_SUFFIX);
    create_new_with(&part, contents, true)?;
    refuse_symlink(path)?;
    std::fs::rename(&part, path).map_err(|e| Error::io(format!("rename {} to", part.display()), path, e))
}

/// `path` with `suffix` appended to its last component.
pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn links_are_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, b"precious").unwrap();
        let link = dir.path().join("x.part");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let mut rw = OpenOptions::new();
        rw.read(true).write(true).create(true).truncate(false);
        assert!(open_raw(&rw, &link).is_err());
        assert!(matches!(open_no_follow(&rw, &link), Err(Error::Symlink { .. })));
        assert!(read(&link).is_err());
        assert!(matches!(create_new_with(&link, b"x", false), Err(Error::Symlink { .. })));
        // A dangling link is refused too (and not created through).
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(matches!(open_no_follow(&rw, &dangling), Err(Error::Symlink { .. })));
        assert!(!dir.path().join("nowhere").exists());
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        // A stale regular file is replaced.
        let stale = dir.path().join("stale");
        std::fs::write(&stale, b"old content").unwrap();
        create_new_with(&stale, b"new", false).unwrap();
        assert_eq!(read(&stale).unwrap(), b"new");
    }
}
