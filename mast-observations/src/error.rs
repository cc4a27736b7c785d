//! The error type of mast-observations: the lower layers' errors, wrapped as they are.

/// Everything that can go wrong in [`crate::Observations`]: a query, configuration or
/// response error of the client layer ([`mast_proto::Error`]), or a download or cloud-access
/// error ([`mast_download::Error`]), each kept whole (variant, message and source chain)
/// rather than reworded.
///
/// ```
/// use mast_observations::Error;
/// let e: Error = mast_proto::Error::InvalidQuery { message: "Unknown query type.".into() }.into();
/// assert_eq!(e.class_name(), "InvalidQueryError");
/// let e: Error = mast_download::Error::NotInCloud { uri: "s3://stpubdata/hst/x.fits".into() }.into();
/// assert_eq!(e.class_name(), "RemoteServiceError");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of the client layer: a refused query, a configuration value, an HTTP or
    /// connection failure of a query, an answer that cannot be decoded.
    #[error(transparent)]
    Proto(#[from] mast_proto::Error),
    /// An error of a download or of cloud access (a file, the S3 bucket, a curl script).
    /// (Boxed: a download error is large, and this one travels on every `Result`.)
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

/// `Result` with mast-observations' [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
