//! The one error type of mast-proto.

/// Everything that can go wrong while building a MAST request or reading a MAST response.
///
/// Messages name the input, service or column involved and say what would be accepted, so
/// they can be shown to a user as they are. [`Error::class_name`] gives the astroquery
/// exception class that corresponds to each variant (used by the `mast` CLI).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// MAST answered with `"status": "ERROR"`; `message` quotes its `msg`.
    #[error("MAST service {service} reported an error: {message}")]
    Remote {
        /// The service that failed (e.g. `Mast.Caom.Cone`), or the endpoint.
        service: String,
        /// MAST's `msg`, verbatim (or astroquery's generic text when MAST sent none).
        message: String,
    },
    /// The response body is not what the endpoint's wire format promises.
    #[error("could not decode the {format} response: {detail}")]
    Decode {
        /// Which wire format was being decoded (`portal JSON`, `services JSON`, `extjs`, ...).
        format: &'static str,
        /// What was wrong, with the byte position where known.
        detail: String,
        /// The parser's own error, when one was involved.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// Two tables (e.g. two pages of one query) do not have the same columns and types.
    #[error("cannot join tables with different schemas: {detail}")]
    SchemaMismatch {
        /// Which column differs and how.
        detail: String,
    },
    /// A column was asked for by name and the table has none of that name.
    #[error("no column named {name:?}; the table has: {available}")]
    NoSuchColumn {
        /// The name asked for.
        name: String,
        /// The table's column names, comma-separated.
        available: String,
    },
    /// A sky position could not be parsed or is out of range.
    #[error(
        "invalid position {input:?}: {reason}. Accepted forms: decimal degrees \"322.49324 12.16683\" (a comma is allowed, d/deg suffixes too), sexagesimal with unit letters \"21h29m58.38s +12d10m00.6s\", or hours:minutes:seconds \"21:29:58.38 +12:10:00.6\""
    )]
    InvalidPosition {
        /// The text the user gave.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A radius could not be parsed or is out of range.
    #[error(
        "invalid radius {input:?}: {reason}. Accepted forms: a number of degrees (0.2), or a number with a unit: \"0.2 deg\", \"0.2d\", \"5 arcmin\", \"5'\", \"30 arcsec\", \"30\\\"\""
    )]
    InvalidRadius {
        /// The text the user gave.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A request was refused before being sent because its parameters are not valid.
    #[error("{message}")]
    InvalidQuery {
        /// What is wrong and what to do instead.
        message: String,
    },
    /// A configuration value (builder argument or `MAST_*` environment variable) is invalid.
    #[error("invalid configuration {key}: {message}")]
    Config {
        /// The setting, by its environment-variable name (`MAST_URL`, ...).
        key: String,
        /// What is wrong and what is expected.
        message: String,
    },
    #[cfg(feature = "client")]
    /// The server answered with an HTTP error status (after any retries).
    #[error("{status} {reason} from {what} ({url}){hint}", what = crate::redact_text(what), url = crate::redact_url(url), hint = hint_suffix(hint))]
    Http {
        /// What was being asked (`MAST service Mast.Caom.Cone`, `the name resolver`, ...).
        what: String,
        /// The URL requested (shown through [`crate::redact_url`]).
        url: String,
        /// HTTP status code.
        status: u16,
        /// The status's reason phrase.
        reason: String,
        /// What to try next, if anything helps.
        hint: Option<String>,
        /// The server's `Retry-After`, as sent (saturating; see
        /// [`crate::retry::parse_retry_after`]).
        retry_after: Option<std::time::Duration>,
    },
    #[cfg(feature = "client")]
    /// The connection failed, was reset or the body arrived incomplete or unreadable (after
    /// any retries).
    #[error("{what} failed: {message}{hint}", what = crate::redact_text(what), message = crate::redact_text(message), hint = hint_suffix(hint))]
    Transport {
        /// What was being asked.
        what: String,
        /// What went wrong at the last attempt.
        message: String,
        /// What to try next.
        hint: Option<String>,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    #[cfg(feature = "client")]
    /// A redirect was refused: more than [`crate::auth::MAX_REDIRECTS`] hops, or from https
    /// to plain http (where a token or the data could be read on the way). Not retried.
    #[error("{what} failed: a redirect was refused ({message}); check the MAST URL settings")]
    Redirect {
        /// What was being asked.
        what: String,
        /// Why the redirect was refused.
        message: String,
        /// The HTTP client's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// An answer is larger than this client accepts: a body over
    /// [`crate::MastConfig::max_response_bytes`], or paging that announces more rows or pages
    /// than can be real. Not retried.
    #[error("{what}: {detail}")]
    TooLarge {
        /// What was being asked.
        what: String,
        /// What was announced or received, and the limit (with the setting that raises it).
        detail: String,
    },
    #[cfg(feature = "client")]
    /// The query's wall-clock budget ran out (polling, paging and retries included).
    #[error("{what} did not complete within {seconds} s (MAST_TIMEOUT); try a smaller query or raise the timeout", what = crate::redact_text(what))]
    Timeout {
        /// What was being asked.
        what: String,
        /// The budget, in seconds.
        seconds: f64,
    },
    /// An object name could not be resolved to a sky position.
    #[error("{message}")]
    Resolver {
        /// astroquery's wording, naming the object.
        message: String,
    },
    #[cfg(feature = "client")]
    /// A blocking call was made from inside an async (Tokio) runtime, where it would stall
    /// the runtime's worker.
    #[error(
        "the blocking API was called inside a Tokio runtime; use the async API there (or call it from spawn_blocking)"
    )]
    BlockingInsideRuntime,
    /// Converting a table to Arrow failed.
    #[cfg(feature = "arrow")]
    #[error("could not build an Arrow record batch: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

impl Error {
    /// The astroquery exception class name that corresponds to this error
    /// (`RemoteServiceError`, `InvalidQueryError`, ...), for command-line output that reads
    /// like astroquery's.
    pub fn class_name(&self) -> &'static str {
        match self {
            Error::Remote { .. } => "RemoteServiceError",
            Error::InvalidPosition { .. } | Error::InvalidRadius { .. } | Error::InvalidQuery { .. } => {
                "InvalidQueryError"
            }
            Error::Decode { .. } => "ResponseDecodeError",
            Error::Config { .. } => "ConfigurationError",
            #[cfg(feature = "client")]
            Error::Http { .. } => "HTTPError",
            #[cfg(feature = "client")]
            Error::Transport { .. } => "ConnectionError",
            #[cfg(feature = "client")]
            Error::Timeout { .. } => "TimeoutError",
            Error::TooLarge { .. } => "ResponseTooLargeError",
            #[cfg(feature = "client")]
            Error::Redirect { .. } => "RedirectError",
            Error::Resolver { .. } => "ResolverError",
            #[cfg(feature = "client")]
            Error::BlockingInsideRuntime => "RuntimeError",
            Error::SchemaMismatch { .. } | Error::NoSuchColumn { .. } => "TableError",
            #[cfg(feature = "arrow")]
            Error::Arrow(_) => "TableError",
        }
    }

    pub(crate) fn decode(format: &'static str, detail: impl std::fmt::Display) -> Self {
        Error::Decode { format, detail: detail.to_string(), source: None }
    }

    /// A decode error whose cause is another error (serde's), kept as the source.
    pub(crate) fn decode_caused(
        format: &'static str,
        detail: impl std::fmt::Display,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Decode { format, detail: detail.to_string(), source: Some(Box::new(source)) }
    }
}

/// The text of the deepest cause of an error: the most specific one ("connection reset by
/// peer"), for a message, while the whole chain stays available as the error's source.
///
/// ```
/// let e = std::io::Error::other("disk on fire");
/// assert_eq!(mast_proto::innermost_cause(&e), "disk on fire");
/// ```
pub fn innermost_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &dyn std::error::Error = e;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// Whether an HTTP status is worth another attempt: 5xx, 429 (Too Many Requests) and 408
/// (Request Timeout).
///
/// ```
/// assert!(mast_proto::is_transient_status(503) && !mast_proto::is_transient_status(404));
/// ```
pub fn is_transient_status(status: u16) -> bool {
    (500..=599).contains(&status) || status == 429 || status == 408
}

impl crate::retry::Retryable for Error {
    fn retry(&self) -> crate::retry::Retry {
        use crate::retry::Retry;
        match self {
            #[cfg(feature = "client")]
            Error::Http { status, retry_after, .. } if is_transient_status(*status) => {
                Retry::Again { after: *retry_after }
            }
            // A cut, truncated or garbled answer is as transient as a reset connection.
            #[cfg(feature = "client")]
            Error::Transport { .. } => Retry::Again { after: None },
            Error::Decode { .. } => Retry::Again { after: None },
            _ => Retry::Final,
        }
    }
}

#[cfg(feature = "client")]
fn hint_suffix(hint: &Option<String>) -> String {
    hint.as_ref().map(|h| format!(". {h}")).unwrap_or_default()
}

/// `Result` with mast-proto's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
