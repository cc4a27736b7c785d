//! Opening files without following a symbolic link, for every crate that creates files
//! beside a user's data (mast-download's partial files and scripts, mast-auth's token
//! file): a link planted at such a name is refused, never written or read through.
//!
//! On Unix the open itself refuses a link at the last component (`O_NOFOLLOW`; `O_CREAT |
//! O_EXCL` never follows one either). Elsewhere the name is checked with `symlink_metadata`
//! just before the open (Windows cannot make `CreateFile` refuse a link; creating one there
//! needs a privilege ordinary users do not have).

use std::fs::{File, OpenOptions};
use std::path::Path;

/// Opens `path` with `options` without following a symbolic link at its last component.
/// The operating system's error comes back as it is (`ELOOP`, `EMLINK` on some BSDs, or
/// `EEXIST` with `create_new`); [`is_symlink`] tells a refused link from other failures.
///
/// ```
/// use std::fs::OpenOptions;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("token");
/// let file = mast_proto::fs::open_no_follow(OpenOptions::new().write(true).create(true), &path)?;
/// # drop(file);
/// #[cfg(unix)]
/// {
///     std::os::unix::fs::symlink(&path, dir.path().join("link"))?;
///     assert!(mast_proto::fs::open_no_follow(OpenOptions::new().read(true), &dir.path().join("link")).is_err());
///     assert!(mast_proto::fs::is_symlink(&dir.path().join("link")));
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn open_no_follow(options: &OpenOptions, path: &Path) -> std::io::Result<File> {
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut options = options.clone();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(not(unix))]
    if is_symlink(path) {
        return Err(std::io::Error::other(format!("{} is a symbolic link", path.display())));
    }
    options.open(path)
}

/// Whether `path` itself (not what it points to) is a symbolic link.
pub fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}
