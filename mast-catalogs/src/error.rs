//! The error type of mast-catalogs: the client layer's errors, kept whole.

/// Everything that can go wrong in [`crate::Catalogs`]: a refused query, a configuration
/// value, an HTTP or connection failure, an answer that cannot be decoded
/// ([`mast_proto::Error`], kept whole: variant, message and source chain).
///
/// ```
/// use mast_catalogs::Error;
/// let e: Error = mast_proto::Error::InvalidQuery { message: "Criteria query not available for Hsc".into() }.into();
/// assert_eq!(e.class_name(), "InvalidQueryError");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of the client layer.
    #[error(transparent)]
    Proto(#[from] mast_proto::Error),
    /// An error of a spectrum download or curl script that is not a per-file row (boxed: a
    /// download error is large, and this one travels on every `Result`).
    #[error(transparent)]
    Download(Box<mast_download::Error>),
}

impl From<mast_download::Error> for Error {
    /// A client-layer error that reached us through mast-download is that error.
    fn from(e: mast_download::Error) -> Self {
        match e {
            mast_download::Error::Proto(e) => Error::Proto(e),
            other => Error::Download(Box::new(other)),
        }
    }
}

impl Error {
    /// The astroquery (or Python) exception class of the wrapped error, for command-line
    /// output that reads like astroquery's.
    pub fn class_name(&self) -> &'static str {
        match self {
            Error::Proto(e) => e.class_name(),
            Error::Download(e) => e.class_name(),
        }
    }
}

/// A refused query ([`mast_proto::Error::InvalidQuery`]).
pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::Proto(mast_proto::Error::InvalidQuery { message: message.into() })
}

/// `Result` with mast-catalogs' [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
