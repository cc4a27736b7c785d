//! MAST API tokens for mast-rs (spec §12, astroquery's `MastAuth`).
//!
//! - [`Token`]: the token, whose `Debug` and `Display` never show it.
//! - [`find_token`]: the token sources in astroquery's order: an explicit argument, then
//!   the environment variable `MAST_API_TOKEN` (when it is set at all, even to an empty
//!   string, it wins), then the stored token ([`TokenStore`]); [`ask_unless_found`] adds
//!   the last source, a prompt the caller supplies (the command line's hidden prompt), also
//!   when `reenter` asks for a new token.
//! - [`TokenStore`]: where a token is stored: a keyring (an injected keyring-core store,
//!   under astroquery's own entry, service [`KEYRING_SERVICE`], user [`KEYRING_USER`], so a
//!   token stored by astroquery is found and the reverse), or an explicit opt-in file
//!   (mode 0600, never through a symbolic link). Nothing falls back silently from one to the
//!   other: with no keyring, [`TokenStore::platform`] is [`Error::NoKeyring`], which names
//!   the file store.
//! - `MastAuth` (feature `client`): `login` (checked against `/whoami`), `session_info`,
//!   `logout`.
//!
//! The token reaches MAST only through mast-proto's hook (`MastClient::authorize`, feature `client`):
//! [`Token::into_secret`] gives the [`mast_proto::Secret`] for
//! [`mast_proto::MastConfig::with_token`].
//!
//! ## Features
#![doc = document_features::document_features!()]

mod error;
mod file;
#[cfg(feature = "client")]
mod session;
mod store;
mod token;

pub use error::{Error, Result};
/// The token pages (moved down to mast-proto, where mast-download's messages use them too).
pub use mast_proto::auth::{TOKEN_INFO_URL, token_page_url};
#[cfg(feature = "client")]
pub use session::{MastAuth, SessionInfo};
pub use store::{KEYRING_SERVICE, KEYRING_USER, TokenStore};
pub use token::{Found, TOKEN_ENV, Token, TokenSource, ask_unless_found, find_token, find_token_with};

/// keyring-core, re-exported so that callers can build and inject a store
/// ([`TokenStore::keyring`]) without depending on it themselves.
pub use keyring_core;
