//! Where files land: [`safe_join`] keeps names from product tables (or any other untrusted
//! source) inside the download directory.

use std::path::{Component, Path, PathBuf};

use crate::{Error, Result};

/// Joins an untrusted relative file name (a product file name, an archive entry) to the
/// download directory `dir`, refusing anything that could write elsewhere.
///
/// `relative` is a `/`-separated path. It is refused when it is empty, contains a NUL byte
/// or a backslash, is absolute (`/etc/x`), starts with a drive letter (`C:x`), or has an
/// empty, `.` or `..` component (`a//b`, `./a`, `../x`, `a/`). A directory on the way that
/// already exists as a symbolic link, or a symbolic link at the file's own name, is refused
/// too, so that nothing is written through a link (`dir` itself is trusted and may be one).
/// On Windows a `:` anywhere (alternate data streams) is refused as well.
///
/// The result is `dir` without `.` components, joined with the name, as Python's `pathlib`
/// spells it (`./a/` + `b/c.fits` → `a/b/c.fits`, `.` + `x` → `x`). This checks the file
/// system (`symlink_metadata` on the existing parts of the path) but creates nothing.
///
/// ```
/// use std::path::Path;
/// use mast_download::safe_join;
/// let dir = Path::new("./downloads");
/// assert_eq!(safe_join(dir, "mastDownload/HST/u9o40504m/u9o40504m_c3m.fits")?,
///            Path::new("downloads/mastDownload/HST/u9o40504m/u9o40504m_c3m.fits"));
/// for bad in ["../x", "/etc/x", "C:\\x", "C:x", "a\\b", "a\0b", "", "a//b", "a/./b", "a/"] {
///     assert!(safe_join(dir, bad).is_err(), "{bad:?}");
/// }
/// # Ok::<(), mast_download::Error>(())
/// ```
pub fn safe_join(dir: &Path, relative: &str) -> Result<PathBuf> {
    let parts = check_name(relative)?;
    let base = normalized(dir);
    let mut path = base.clone();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let what = if i + 1 == parts.len() { "the file name" } else { "a directory on the way" };
                return Err(unsafe_path(relative, format!("{what} ({}) is a symbolic link", path.display())));
            }
            Ok(_) => {}
            // Not there yet (it will be created) or not readable (creation will say why).
            Err(_) => {
                path.extend(&parts[i + 1..]);
                break;
            }
        }
    }
    Ok(path)
}

/// The `/`-separated parts of a name, or why it is refused (no file system access).
pub(crate) fn check_name(relative: &str) -> Result<Vec<&str>> {
    let refuse = |reason: &str| Err(unsafe_path(relative, reason.to_owned()));
    if relative.is_empty() {
        return refuse("the name is empty");
    }
    if relative.contains('\0') {
        return refuse("it contains a NUL byte");
    }
    if relative.contains('\\') {
        return refuse("it contains a backslash (only '/' separates directories)");
    }
    if relative.starts_with('/') {
        return refuse("it is an absolute path");
    }
    let b = relative.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return refuse("it starts with a drive letter");
    }
    if cfg!(windows) && relative.contains(':') {
        return refuse("it contains ':' (an alternate data stream on Windows)");
    }
    let parts: Vec<&str> = relative.split('/').collect();
    for part in &parts {
        match *part {
            "" => return refuse("it has an empty path component"),
            "." => return refuse("it has a '.' component"),
            ".." => return refuse("it has a '..' component (it would leave the download directory)"),
            _ => {}
        }
    }
    Ok(parts)
}

fn unsafe_path(name: &str, reason: String) -> Error {
    Error::UnsafePath { name: name.to_owned(), reason }
}

/// `dir` without `.` components (empty for the current directory), like `pathlib`.
pub(crate) fn normalized(dir: &Path) -> PathBuf {
    dir.components().filter(|c| *c != Component::CurDir).collect()
}

#[cfg(feature = "client")]
/// The text shown for a name that was refused: `dir` and the name joined as text.
pub(crate) fn display_join(dir: &Path, relative: &str) -> PathBuf {
    let base = normalized(dir);
    if base.as_os_str().is_empty() {
        PathBuf::from(relative)
    } else {
        PathBuf::from(format!("{}/{relative}", base.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(check_name("a/b.fits").unwrap(), ["a", "b.fits"]);
        assert!(check_name("fitscut.cgi?red=x&blue=y").is_ok());
        assert!(check_name("..x/y..").is_ok());
        for bad in ["..", "a/..", "a/../b", "/x", "Z:/x", "a\\b", "a\0", "a/", "/", ".", "a//b"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn normalization_follows_pathlib() {
        assert_eq!(normalized(Path::new("./a/")), Path::new("a"));
        assert_eq!(normalized(Path::new("a//b/./c")), Path::new("a/b/c"));
        assert_eq!(normalized(Path::new(".")), Path::new(""));
        assert_eq!(safe_join(Path::new("."), "x.fits").unwrap(), Path::new("x.fits"));
        #[cfg(feature = "client")]
        assert_eq!(display_join(Path::new("./d"), "../x"), Path::new("d/../x"));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_refused_below_the_root() {
        let tmp = std::env::temp_dir().join(format!("mast-download-safe-join-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(tmp.join("real")).unwrap();
        std::os::unix::fs::symlink(tmp.join("real"), tmp.join("link")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", tmp.join("real/file")).unwrap();
        assert!(safe_join(&tmp, "link/x").is_err());
        assert!(safe_join(&tmp, "real/file").is_err());
        assert!(safe_join(&tmp, "real/new/x").is_ok());
        // The root itself may be a link.
        assert_eq!(safe_join(&tmp.join("link"), "y").unwrap(), tmp.join("link/y"));
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
