//! Where files land: [`safe_join`] keeps names from product tables (or any other untrusted
//! source) inside the download directory.

use std::path::{Component, Path, PathBuf};

use crate::{Error, Result};

/// Joins an untrusted relative file name (a product file name, an archive entry) to the
/// download directory `dir`, refusing anything that could write elsewhere.
///
/// `relative` is a `/`-separated path. It is refused when it is empty, contains a NUL byte,
/// a backslash or any other control character (C0, DEL, C1: so no ANSI escape sequence
/// ever reaches a terminal through a file name), is absolute (`/etc/x`), starts with a
/// drive letter (`C:x`), or has an empty, `.` or `..` component (`a//b`, `./a`, `../x`,
/// `a/`). Names that cannot exist on Windows are refused on every platform, so that a
/// download tree can always be copied there: a component that is a reserved device name
/// (`CON`, `PRN`, `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`, `CONIN$`, `CONOUT$`, in any
/// case, with any extension: `nul.fits`) or that ends with a dot or a space
/// ([`windows_name_problem`]). A directory on the way that
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
/// for bad in ["../x", "/etc/x", "C:\\x", "C:x", "a\\b", "a\0b", "", "a//b", "a/./b", "a/",
///             "a\x1b[31mred.fits", "HST/NUL.fits", "con/x", "x.fits.", "x.fits "] {
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
    if relative.chars().any(char::is_control) {
        return refuse("it contains a control character (such as an ANSI escape sequence)");
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
        if let Some(problem) = windows_name_problem(part) {
            return Err(unsafe_path(relative, format!("{problem} (Windows could not hold this file)")));
        }
    }
    Ok(parts)
}

/// Why `component` (one part of a path, no `/`) cannot be a file or directory name on
/// Windows, or `None`: it ends with a dot or a space (Windows strips them, so `x.fits.`
/// would become `x.fits`), or it is a reserved device name (`CON`, `PRN`, `AUX`, `NUL`,
/// `COM1`–`COM9`, `LPT1`–`LPT9` and their superscript-digit forms, `CONIN$`, `CONOUT$`)
/// in any case, with or without an extension (`nul.fits`, `Com1.tar.gz`; what comes before
/// the first dot, trailing spaces ignored, is what Windows compares). A pure function of
/// the text: the same answer on every platform.
///
/// ```
/// use mast_download::windows_name_problem;
/// for bad in ["CON", "nul.fits", "Com1.tar.gz", "lpt9", "AUX .txt", "conin$", "x.", "x ", "."] {
///     assert!(windows_name_problem(bad).is_some(), "{bad:?}");
/// }
/// for good in ["CONSOLE.fits", "com10", "LPT", "nul_x.fits", "x.fits", "COM0", ".hidden"] {
///     assert_eq!(windows_name_problem(good), None, "{good:?}");
/// }
/// ```
pub fn windows_name_problem(component: &str) -> Option<&'static str> {
    if component.ends_with('.') {
        return Some("a name ends with a dot");
    }
    if component.ends_with(' ') {
        return Some("a name ends with a space");
    }
    let stem = component.split('.').next().unwrap_or(component).trim_end_matches(' ');
    let upper = stem.to_uppercase();
    let reserved = match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => match upper.strip_prefix("COM").or_else(|| upper.strip_prefix("LPT")) {
            Some(digit) => {
                matches!(digit, "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "\u{b9}" | "\u{b2}" | "\u{b3}")
            }
            None => false,
        },
    };
    reserved.then_some("a name is a reserved device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9)")
}

/// `dir` and `relative` joined as text with `/`, as astroquery's `os.path.join` shows them
/// in its manifests (`./mastDownload/...` with the default directory `.`). Unlike
/// `Path::join`, an absolute `relative` does not replace `dir`: a refused path is shown as
/// it was asked for. For display only; files are written through [`safe_join`].
///
/// ```
/// use std::path::Path;
/// use mast_download::join_text;
/// assert_eq!(join_text(Path::new("."), "mastDownload/HSC/x.fits"), Path::new("./mastDownload/HSC/x.fits"));
/// assert_eq!(join_text(Path::new("d/"), "x"), Path::new("d/x"));
/// assert_eq!(join_text(Path::new(""), "x"), Path::new("x"));
/// assert_eq!(join_text(Path::new("d"), "/etc/x").to_string_lossy(), "d//etc/x");
/// ```
pub fn join_text(dir: &Path, relative: &str) -> PathBuf {
    let mut text = dir.as_os_str().to_owned();
    let separated = match dir.as_os_str().as_encoded_bytes().last() {
        None => true,
        Some(b'/') => true,
        Some(b'\\') => cfg!(windows),
        Some(_) => false,
    };
    if !separated {
        text.push("/");
    }
    text.push(relative);
    PathBuf::from(text)
}

/// Joins the parts of a relative name with `/` as text (never `PathBuf::join`, whose `\`
/// on Windows [`safe_join`] would refuse, and which lets an absolute part replace what
/// came before). The parts are not checked here: pass the result to [`safe_join`], which
/// refuses empty, `.`, `..` and absolute parts.
///
/// ```
/// use mast_download::join_relative;
/// assert_eq!(join_relative(["mastDownload", "HST", "u9o40504m", "u9o40504m_c3m.fits"]),
///            "mastDownload/HST/u9o40504m/u9o40504m_c3m.fits");
/// // An absolute part stays inside the name, where `safe_join` refuses it.
/// assert_eq!(join_relative(["mastDownload", "/etc", "x.fits"]), "mastDownload//etc/x.fits");
/// assert!(mast_download::safe_join(std::path::Path::new("d"), &join_relative(["a", "/etc", "x"])).is_err());
/// ```
pub fn join_relative<S: AsRef<str>>(parts: impl IntoIterator<Item = S>) -> String {
    let mut out = String::new();
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(part.as_ref());
    }
    out
}

/// `text` with every character that a terminal could act on escaped, for names and paths
/// that reach a progress line, a log or a manifest message: C0 controls and DEL as `\xNN`
/// (`ESC [31m` becomes `\x1b[31m`), C1 controls and the Unicode bidirectional overrides
/// and isolates (which reorder what is shown) as `\u{NNNN}`. A backslash is written as is.
/// Text without such characters is returned borrowed.
///
/// ```
/// use mast_download::escape_for_terminal;
/// assert_eq!(escape_for_terminal("a\x1b[31mred\x07.fits"), "a\\x1b[31mred\\x07.fits");
/// assert_eq!(escape_for_terminal("tab\there\u{9b}\u{202e}"), "tab\\x09here\\u{9b}\\u{202e}");
/// assert!(matches!(escape_for_terminal("mastDownload/HST/x.fits"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn escape_for_terminal(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !unsafe_char(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`escape_for_terminal`] of a path's text.
pub(crate) fn escape_path(path: &Path) -> String {
    escape_for_terminal(&path.display().to_string()).into_owned()
}

fn unsafe_path(name: &str, reason: String) -> Error {
    Error::UnsafePath { name: name.to_owned(), reason }
}

/// `dir` without `.` components (empty for the current directory), like `pathlib`.
pub(crate) fn normalized(dir: &Path) -> PathBuf {
    dir.components().filter(|c| *c != Component::CurDir).collect()
}

#[cfg(feature = "client")]
/// The text shown for a name that was refused: `dir` and the name joined as text, the
/// name's control characters escaped ([`escape_for_terminal`]).
pub(crate) fn display_join(dir: &Path, relative: &str) -> PathBuf {
    let relative = escape_for_terminal(relative);
    let base = normalized(dir);
    if base.as_os_str().is_empty() {
        PathBuf::from(relative.into_owned())
    } else {
        PathBuf::from(format!("{}/{relative}", base.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_named_for_what_it_replaces() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("linked")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("real/x"), dir.path().join("real/file.fits")).unwrap();
        let message = |relative: &str| safe_join(dir.path(), relative).unwrap_err().to_string();
        assert!(message("linked/file.fits").contains("a directory on the way"), "{}", message("linked/file.fits"));
        assert!(message("real/file.fits").contains("the file name"), "{}", message("real/file.fits"));
        assert_eq!(safe_join(dir.path(), "real/new/f.fits").unwrap(), normalized(dir.path()).join("real/new/f.fits"));
    }

    #[test]
    fn names() {
        assert_eq!(check_name("a/b.fits").unwrap(), ["a", "b.fits"]);
        assert!(check_name("fitscut.cgi?red=x&blue=y").is_ok());
        assert!(check_name("..x/y..z").is_ok());
        for bad in ["..", "a/..", "a/../b", "/x", "Z:/x", "a\\b", "a\0", "a/", "/", ".", "a//b"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    /// Point 8 of issue 11: control characters and ANSI escapes are refused, and the error
    /// shows the name escaped.
    #[test]
    fn control_characters_are_refused_and_shown_escaped() {
        for bad in ["a\x1b[31mred.fits", "x\x07.fits", "x\x7f", "x\u{9b}31m.fits", "HST/\n/x.fits", "tab\t.fits", "x\r"]
        {
            let e = check_name(bad).expect_err(bad);
            let shown = e.to_string();
            assert!(!shown.chars().any(char::is_control), "{shown:?}");
            assert!(shown.contains("control character"), "{shown}");
        }
        let shown = check_name("a\x1b[31mred.fits").unwrap_err().to_string();
        assert!(shown.starts_with("unsafe file name \"a\\x1b[31mred.fits\""), "{shown}");
        assert_eq!(escape_for_terminal("\u{85}\u{2066}x\\y"), "\\u{85}\\u{2066}x\\y");
        assert_eq!(escape_for_terminal("été/ü.fits"), "été/ü.fits");
        #[cfg(feature = "client")]
        assert_eq!(display_join(Path::new("d"), "\x1b[2J"), Path::new("d/\\x1b[2J"));
    }

    /// Point 9 of issue 11: Windows' rules, as pure functions, on every platform.
    #[test]
    fn windows_rules_hold_on_every_platform() {
        for reserved in [
            "CON",
            "con",
            "Prn.txt",
            "AUX",
            "nul",
            "NUL.fits",
            "nul.tar.gz",
            "COM1",
            "com9.fits",
            "LPT1",
            "lpt9.x",
            "COM\u{b9}",
            "CONOUT$",
            "NUL .fits",
        ] {
            assert!(windows_name_problem(reserved).is_some(), "{reserved:?}");
            assert!(check_name(&format!("mastDownload/{reserved}/x.fits")).is_err(), "{reserved:?}");
            assert!(check_name(&format!("HST/{reserved}")).is_err(), "{reserved:?}");
        }
        for fine in ["CONX", "xcon", "COM0", "COM10", "LPT", "nul_.fits", "null.fits", "a.con", "CON_x.fits"] {
            assert_eq!(windows_name_problem(fine), None, "{fine:?}");
            assert!(check_name(&format!("d/{fine}")).is_ok(), "{fine:?}");
        }
        for trailing in ["x.", "x.fits.", "x ", "dir./x", "dir /x", "a/b.fits  "] {
            assert!(check_name(trailing).is_err(), "{trailing:?}");
        }
        // Joined as text: the same `/` on every platform, accepted by the name check.
        let name = join_relative(["mastDownload", "HST", "u9o40504m", "u9o40504m_c3m.fits"]);
        assert_eq!(name, "mastDownload/HST/u9o40504m/u9o40504m_c3m.fits");
        assert_eq!(check_name(&name).unwrap().len(), 4);
        // An absolute or `..` part cannot escape through the join.
        assert!(check_name(&join_relative(["mastDownload", "/etc", "x.fits"])).is_err());
        assert!(check_name(&join_relative(["mastDownload", "..", "..", "x.fits"])).is_err());
        assert!(check_name(&join_relative(["", "x.fits"])).is_err());
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
