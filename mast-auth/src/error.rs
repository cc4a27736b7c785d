//! The one error type of mast-auth.

use std::path::PathBuf;

/// A `Result` with mast-auth's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong while finding, storing or forgetting a MAST token. No variant carries the
/// token or anything read from a credential store, so `Display` and `Debug` never show it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No keyring works here (a headless server, or a build without a platform store).
    #[error(
        "no system keyring is available: {reason}. Set MAST_API_TOKEN, pass the token explicitly, \
         or opt in to the token file store (TokenStore::file / TokenStore::default_file, \
         a mode-0600 file in the config directory)"
    )]
    NoKeyring {
        /// Why no keyring could be used.
        reason: String,
    },
    /// The keyring failed an operation on the token's entry.
    #[error(
        "the keyring ({store}) could not {action} the MAST token (service `{service}`, user `{user}`): {reason}",
        service = crate::KEYRING_SERVICE,
        user = crate::KEYRING_USER
    )]
    Keyring {
        /// The store's vendor name.
        store: String,
        /// `read`, `store` or `forget`.
        action: &'static str,
        /// keyring-core's error, described without any stored bytes.
        reason: String,
    },
    /// Reading or writing the token file failed.
    #[error("token file {path}: could not {action} it: {source}", path = .path.display())]
    File {
        /// The token file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The token file (or its directory entry) is a symbolic link; it is never followed.
    #[error("token file {path} is a symbolic link: refusing to follow it; remove the link and store the token again", path = .path.display())]
    Symlink {
        /// The token file.
        path: PathBuf,
    },
    /// The token file can be read by other users.
    #[error(
        "token file {path} is readable by other users (mode {mode:o}): refusing to use it; run `chmod 600 {path}`",
        path = .path.display()
    )]
    Permissions {
        /// The token file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// No configuration directory could be found for the default token file.
    #[error(
        "no configuration directory: set XDG_CONFIG_HOME or HOME, or give the token file's path (TokenStore::file)"
    )]
    NoConfigDir,
    /// An empty token (e.g. `MAST_API_TOKEN=`) cannot log in.
    #[error(
        "the MAST API token is empty (is MAST_API_TOKEN set to an empty string?): unset MAST_API_TOKEN or set it \
         to a token from https://auth.mast.stsci.edu/token"
    )]
    EmptyToken,
    /// MAST did not accept the token (unknown or expired): `/whoami` answered the anonymous
    /// session.
    #[cfg(feature = "client")]
    #[error(
        "MAST API token invalid or expired: MAST answered as for an anonymous user. Tokens expire after \
         10 days without use and 60 days after creation; create a new one at {token_page} (your tokens: {info})",
        info = crate::TOKEN_INFO_URL
    )]
    LoginInvalid {
        /// The page where a new token is created.
        token_page: String,
    },
    /// `/whoami` answered something that is not a session.
    #[cfg(feature = "client")]
    #[error("MAST's /whoami answer is not a session ({message}); try again later")]
    Whoami {
        /// What was wrong, without the answer's values.
        message: String,
    },
    /// The request failed (connection, timeout, HTTP status, configuration).
    #[cfg(feature = "client")]
    #[error(transparent)]
    Proto(#[from] mast_proto::Error),
    /// `MAST_API_TOKEN` is set to something that is not UTF-8.
    #[error(
        "MAST_API_TOKEN is not valid UTF-8: set it to the token from https://auth.mast.stsci.edu/token, or unset it"
    )]
    EnvNotUnicode,
}

impl Error {
    /// The error's class as astroquery would name it, for command lines and conformance:
    /// `LoginError` for a token MAST refuses (astroquery's `LoginError`), the mast-proto
    /// class for a failed request, `KeyringError` for the stores, `ValueError` for a token
    /// that cannot be used at all.
    ///
    /// ```
    /// assert_eq!(mast_auth::Error::EmptyToken.class_name(), "ValueError");
    /// ```
    pub fn class_name(&self) -> &'static str {
        match self {
            #[cfg(feature = "client")]
            Error::LoginInvalid { .. } => "LoginError",
            #[cfg(feature = "client")]
            Error::Whoami { .. } => "RemoteServiceError",
            #[cfg(feature = "client")]
            Error::Proto(e) => e.class_name(),
            Error::NoKeyring { .. } | Error::Keyring { .. } => "KeyringError",
            Error::File { .. } | Error::Symlink { .. } | Error::Permissions { .. } | Error::NoConfigDir => "OSError",
            Error::EmptyToken | Error::EnvNotUnicode => "ValueError",
        }
    }

    /// The error for a keyring-core failure: its description without the bytes some
    /// variants carry (`BadEncoding`, `BadDataFormat` hold what was stored).
    pub(crate) fn keyring(store: String, action: &'static str, error: &keyring_core::Error) -> Error {
        Error::Keyring { store, action, reason: describe(error) }
    }
}

/// keyring-core's error as text, without the bytes some variants carry (`BadEncoding` and
/// `BadDataFormat` hold what was stored).
pub(crate) fn describe(error: &keyring_core::Error) -> String {
    use keyring_core::Error as K;
    match error {
        K::PlatformFailure(e) => format!("the platform store failed: {e}"),
        K::NoStorageAccess(e) => format!("the store cannot be accessed (is it locked?): {e}"),
        K::NoEntry => "no such entry".into(),
        K::BadEncoding(_) => "the stored value is not UTF-8 text; store the token again".into(),
        K::BadDataFormat(..) => "the stored value is not in the store's format; store the token again".into(),
        K::BadStoreFormat(what) => format!("the store is damaged: {what}"),
        K::TooLong(attr, limit) => format!("{attr} is longer than the store allows ({limit})"),
        K::Invalid(what, why) => format!("invalid {what}: {why}"),
        K::Ambiguous(entries) => format!("{} entries match; remove all but one", entries.len()),
        K::NoDefaultStore => "no default store is set".into(),
        K::NotSupportedByStore(what) => format!("not supported by this store: {what}"),
        other => format!("keyring error of an unknown kind ({})", kind_name(other)),
    }
}

/// The variant name of a keyring-core error from a newer version, without its payload.
fn kind_name(error: &keyring_core::Error) -> String {
    let debug = format!("{error:?}");
    debug.split(['(', ' ', '{']).next().unwrap_or("?").to_owned()
}
