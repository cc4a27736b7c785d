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
    },
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
            Error::Http { .. } => "HTTPError",
            Error::Transport { .. } => "ConnectionError",
            Error::Timeout { .. } => "TimeoutError",
            Error::Resolver { .. } => "ResolverError",
            Error::BlockingInsideRuntime => "RuntimeError",
            Error::SchemaMismatch { .. } | Error::NoSuchColumn { .. } => "TableError",
            #[cfg(feature = "arrow")]
            Error::Arrow(_) => "TableError",
        }
    }

    pub(crate) fn decode(format: &'static str, detail: impl std::fmt::Display) -> Self {
        Error::Decode { format, detail: detail.to_string() }
    }
}

fn hint_suffix(hint: &Option<String>) -> String {
    hint.as_ref().map(|h| format!(". {h}")).unwrap_or_default()
}

/// `Result` with mast-proto's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
