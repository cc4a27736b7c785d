//! Progress events: what a caller needs to draw bars or log, without any drawing here.

use std::path::PathBuf;

use crate::Status;

/// Something that happened to one file. Events of one file come in order; events of
/// different files interleave.
///
/// A file that needs a transfer gets `Started`, any number of `Bytes`, then `Finished`. A
/// retry or a restart from zero sends `Started` again with the bytes kept so far in
/// `resumed_from` (0 for a restart): a progress bar should set its position to it. A file
/// complete on disk (cached) or refused before any request gets only `Finished`.
///
/// ```
/// use mast_download::{ProgressEvent, Status};
/// // What a caller drawing one bar per file might do with each event.
/// fn position(event: &ProgressEvent, pos: &mut u64) -> Option<u64> {
///     match event {
///         ProgressEvent::Started { resumed_from, .. } => *pos = *resumed_from,
///         ProgressEvent::Bytes { n, .. } => *pos += n,
///         ProgressEvent::Finished { status: Status::Complete, .. } => return None,
///         _ => {}
///     }
///     Some(*pos)
/// }
/// let mut pos = 0;
/// let path = std::path::PathBuf::from("a.fits");
/// position(&ProgressEvent::Started { path: path.clone(), total: Some(10), resumed_from: 4 }, &mut pos);
/// assert_eq!(position(&ProgressEvent::Bytes { path, n: 6 }, &mut pos), Some(10));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// A response for the file arrived and its body is about to be written.
    Started {
        /// The file's final path.
        path: PathBuf,
        /// The file's total size when known (`Content-Length`, `Content-Range` or the
        /// expected size).
        total: Option<u64>,
        /// Bytes already on disk from an earlier attempt or run.
        resumed_from: u64,
    },
    /// `n` more body bytes were written (sent about every 256 KiB and at the end).
    Bytes {
        /// The file's final path.
        path: PathBuf,
        /// Bytes written since the previous event of this file.
        n: u64,
    },
    /// The file is done.
    #[non_exhaustive]
    Finished {
        /// The file's final path.
        path: PathBuf,
        /// Its manifest status.
        status: Status,
        /// Body bytes received for it in this run.
        bytes: u64,
        /// Whether it was already complete on disk (no body transferred): the manifest row's
        /// `cached`.
        cached: bool,
        /// The manifest row's `Message`: why an `ERROR` or `SKIPPED` row is one.
        message: Option<String>,
    },
}

impl ProgressEvent {
    /// The file's final path.
    pub fn path(&self) -> &std::path::Path {
        match self {
            ProgressEvent::Started { path, .. }
            | ProgressEvent::Bytes { path, .. }
            | ProgressEvent::Finished { path, .. } => path,
        }
    }

    /// The path as text for a terminal line or a log: control characters escaped
    /// ([`crate::escape_for_terminal`]), so a hostile name cannot move the cursor or
    /// recolour the terminal.
    ///
    /// ```
    /// use mast_download::ProgressEvent;
    /// let event = ProgressEvent::Bytes { path: "d/a\x1b[2Jb.fits".into(), n: 1 };
    /// assert_eq!(event.display_path(), "d/a\\x1b[2Jb.fits");
    /// ```
    pub fn display_path(&self) -> String {
        crate::path::escape_path(self.path())
    }
}

/// The callback type of [`crate::DownloaderBuilder::on_progress`].
#[cfg(feature = "client")]
pub(crate) type ProgressFn = std::sync::Arc<dyn Fn(&ProgressEvent) + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_are_escaped_for_the_terminal() {
        let event = ProgressEvent::Bytes { path: "d/a\x1b[2Jb.fits".into(), n: 1 };
        assert_eq!(event.display_path(), "d/a\\x1b[2Jb.fits");
        assert_eq!(ProgressEvent::Bytes { path: "d/plain.fits".into(), n: 1 }.display_path(), "d/plain.fits");
    }
}
