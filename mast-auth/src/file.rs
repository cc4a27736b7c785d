//! The opt-in token file: mode 0600, opened without following a symbolic link
//! ([`mast_proto::fs::open_no_follow`], shared with mast-download).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use crate::{Error, Result, Token};

/// The longest token file read (a MAST token is a few dozen characters).
const MAX_TOKEN_FILE: u64 = 64 * 1024;

pub(crate) fn read(path: &Path) -> Result<Option<Token>> {
    let file = match open(path, OpenOptions::new().read(true)) {
        Ok(file) => file,
        Err(Error::File { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    check_private(path, &file)?;
    let mut text = String::new();
    file.take(MAX_TOKEN_FILE).read_to_string(&mut text).map_err(|source| Error::File {
        path: path.to_owned(),
        action: "read",
        source,
    })?;
    let token = Token::new(text.trim_end_matches(['\n', '\r']));
    zeroize_string(text);
    Ok(Some(token))
}

pub(crate) fn write(path: &Path, token: &Token) -> Result<()> {
    let fail = |action, source| Error::File { path: path.to_owned(), action, source };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| fail("create the directory of", e))?;
    }
    let mut file = open(path, OpenOptions::new().write(true).create(true).truncate(true))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A file that existed keeps its mode through `open`; make it private first.
        file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(|e| fail("set the permissions of", e))?;
    }
    file.write_all(token.expose().as_bytes()).map_err(|e| fail("write", e))?;
    file.write_all(b"\n").map_err(|e| fail("write", e))?;
    file.sync_all().map_err(|e| fail("write", e))
}

pub(crate) fn remove(path: &Path) -> Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(Error::File { path: path.to_owned(), action: "remove", source }),
    }
}

/// Opens `path` with `options`, refusing a symbolic link; on Unix a file created here gets
/// mode 0600.
fn open(path: &Path, options: &mut OpenOptions) -> Result<File> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    mast_proto::fs::open_no_follow(options, path).map_err(|source| {
        if mast_proto::fs::is_symlink(path) {
            Error::Symlink { path: path.to_owned() }
        } else {
            Error::File { path: path.to_owned(), action: "open", source }
        }
    })
}

/// Refuses a token file that group or others may read or write (as ssh refuses keys).
fn check_private(path: &Path, file: &File) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta =
            file.metadata().map_err(|source| Error::File { path: path.to_owned(), action: "inspect", source })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::Permissions { path: path.to_owned(), mode });
        }
    }
    #[cfg(not(unix))]
    let _ = (path, file);
    Ok(())
}

fn zeroize_string(text: String) {
    // Secret zeroes on drop; do the same for the buffer read.
    drop(mast_proto::Secret::new(text));
}
