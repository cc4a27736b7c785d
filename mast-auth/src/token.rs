//! The token and where it comes from.

use mast_proto::Secret;

use crate::{Error, Result, TokenStore};

/// The environment variable astroquery reads the token from.
pub const TOKEN_ENV: &str = "MAST_API_TOKEN";

/// A MAST API token. `Debug` and `Display` never show it; the bytes are zeroed when it is
/// dropped ([`Secret`]); [`Token::into_secret`] hands it to the client's configuration, the
/// one path by which it reaches MAST.
///
/// ```
/// use mast_auth::Token;
/// let token = Token::new("abc123");
/// assert_eq!(format!("{token} {token:?}"), "*** Token(***)");
/// assert_eq!(token.expose(), "abc123");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Token(Secret);

impl Token {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Token {
        Token(Secret::new(value))
    }

    /// The token itself, for the code that stores or sends it.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// Whether the token is the empty string (e.g. `MAST_API_TOKEN=`).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The [`Secret`] for [`mast_proto::MastConfig::with_token`].
    pub fn into_secret(self) -> Secret {
        self.0
    }
}

impl From<Secret> for Token {
    fn from(secret: Secret) -> Token {
        Token(secret)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Where a token was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSource {
    /// Given explicitly (an argument).
    Argument,
    /// The environment variable [`TOKEN_ENV`].
    Environment,
    /// The store: a keyring or the opt-in token file.
    Store,
    /// Asked for (the command line's hidden prompt or standard input).
    Asked,
}

/// A token and where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The token (possibly empty when it came from an empty `MAST_API_TOKEN`).
    pub token: Token,
    /// Where it came from.
    pub source: TokenSource,
}

/// The token, from the first source that has one, in astroquery's order: `argument`, then
/// `MAST_API_TOKEN` (whenever it is set, even to the empty string, as astroquery does: the
/// store is then not asked), then `store` (when given). `Ok(None)` when no source has one;
/// a store that fails is an error, never skipped.
///
/// ```
/// use mast_auth::{Token, TokenSource, find_token};
/// let found = find_token(Some(Token::new("abc123")), None)?.unwrap();
/// assert_eq!(found.source, TokenSource::Argument);
/// # Ok::<(), mast_auth::Error>(())
/// ```
pub fn find_token(argument: Option<Token>, store: Option<&TokenStore>) -> Result<Option<Found>> {
    let env = match std::env::var(TOKEN_ENV) {
        Ok(value) => Some(value),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => return Err(Error::EnvNotUnicode),
    };
    find_token_with(argument, env, store)
}

/// [`find_token`] with the value of `MAST_API_TOKEN` given (`None`: not set), for callers
/// that read the environment themselves, and for tests.
///
/// ```
/// use mast_auth::{TokenSource, TokenStore, find_token_with};
/// use mast_auth::keyring_core::mock::Store;
/// let store = TokenStore::keyring(Store::new().unwrap());
/// store.store_token(&mast_auth::Token::new("from-keyring"))?;
/// let found = find_token_with(None, None, Some(&store))?.unwrap();
/// assert_eq!((found.token.expose(), found.source), ("from-keyring", TokenSource::Store));
/// // Set, even empty, the environment variable wins over the store.
/// let found = find_token_with(None, Some(String::new()), Some(&store))?.unwrap();
/// assert_eq!((found.token.is_empty(), found.source), (true, TokenSource::Environment));
/// # Ok::<(), mast_auth::Error>(())
/// ```
pub fn find_token_with(
    argument: Option<Token>,
    env: Option<String>,
    store: Option<&TokenStore>,
) -> Result<Option<Found>> {
    if let Some(token) = argument {
        return Ok(Some(Found { token, source: TokenSource::Argument }));
    }
    if let Some(value) = env {
        return Ok(Some(Found { token: Token::new(value), source: TokenSource::Environment }));
    }
    match store {
        Some(store) => Ok(store.get()?.map(|token| Found { token, source: TokenSource::Store })),
        None => Ok(None),
    }
}

/// The last source, in astroquery's order: `ask` (a hidden prompt, standard input) when no
/// other source had a token, or whenever `reenter` is set, even when one had (astroquery's
/// `reenter_token=True`, to replace a stored token). A found token is returned as it is,
/// even an empty one from `MAST_API_TOKEN=` (logging in with it is then
/// [`Error::EmptyToken`], as astroquery fails too rather than prompt). The error is `ask`'s.
///
/// ```
/// use mast_auth::{Found, Token, TokenSource, ask_unless_found, find_token_with};
/// let ask = || Ok::<_, mast_auth::Error>(Token::new("typed"));
/// let found = find_token_with(None, Some("from-env".into()), None)?;
/// assert_eq!(ask_unless_found(found.clone(), false, ask)?.source, TokenSource::Environment);
/// assert_eq!(ask_unless_found(found, true, ask)?.source, TokenSource::Asked);
/// assert_eq!(ask_unless_found(None, false, ask)?.token.expose(), "typed");
/// # Ok::<(), mast_auth::Error>(())
/// ```
pub fn ask_unless_found<E>(
    found: Option<Found>,
    reenter: bool,
    ask: impl FnOnce() -> std::result::Result<Token, E>,
) -> std::result::Result<Found, E> {
    match found {
        Some(found) if !reenter => Ok(found),
        _ => Ok(Found { token: ask()?, source: TokenSource::Asked }),
    }
}
