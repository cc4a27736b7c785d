//! Where a token is stored: a keyring entry or the opt-in token file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};

use crate::{Error, Result, Token};

/// The keyring service astroquery stores its MAST token under.
pub const KEYRING_SERVICE: &str = "astroquery:mast.stsci.edu.token";
/// The keyring user name astroquery stores its MAST token under.
pub const KEYRING_USER: &str = "masttoken";

/// Where the MAST token is stored: a keyring (astroquery's entry, [`KEYRING_SERVICE`] /
/// [`KEYRING_USER`], in an injected keyring-core store) or, only when asked for, a token
/// file. A cheap clone.
///
/// ```
/// use mast_auth::{Token, TokenStore};
/// use mast_auth::keyring_core::mock::Store;
/// let store = TokenStore::keyring(Store::new().unwrap());
/// assert!(store.get()?.is_none());
/// store.store_token(&Token::new("abc123"))?;
/// assert_eq!(store.get()?.unwrap().expose(), "abc123");
/// assert!(store.forget_token()?);
/// assert!(!store.forget_token()?);
/// # Ok::<(), mast_auth::Error>(())
/// ```
#[derive(Clone)]
pub struct TokenStore {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Keyring(Arc<CredentialStore>),
    File(PathBuf),
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl TokenStore {
    /// The keyring `store` (any keyring-core store: a platform store, or
    /// `keyring_core::mock::Store` in tests). The store is used as given, never the
    /// process-wide default store.
    pub fn keyring(store: Arc<CredentialStore>) -> TokenStore {
        TokenStore { backend: Backend::Keyring(store) }
    }

    /// The opt-in token file at `path` (created with mode 0600, never through a symbolic
    /// link; a file other users can read is refused). Use it where no keyring works.
    ///
    /// ```
    /// use mast_auth::{Token, TokenStore};
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = TokenStore::file(dir.path().join("token"));
    /// store.store_token(&Token::new("abc123"))?;
    /// assert_eq!(store.get()?.unwrap().expose(), "abc123");
    /// # Ok::<(), mast_auth::Error>(())
    /// ```
    pub fn file(path: impl Into<PathBuf>) -> TokenStore {
        TokenStore { backend: Backend::File(path.into()) }
    }

    /// The opt-in token file in the configuration directory: `$XDG_CONFIG_HOME/mast-rs/token`,
    /// else `$HOME/.config/mast-rs/token` (`%APPDATA%\mast-rs\token` on Windows).
    ///
    /// ```no_run
    /// let store = mast_auth::TokenStore::default_file()?;
    /// # Ok::<(), mast_auth::Error>(())
    /// ```
    pub fn default_file() -> Result<TokenStore> {
        Ok(TokenStore::file(default_file_path()?))
    }

    /// The platform keyring, checked by one read of astroquery's entry
    /// ([`TokenStore::checked`]). With the feature `secret-service` on Linux and the BSDs it
    /// is the Secret Service over D-Bus; other platforms and builds have none yet. Where no
    /// keyring works (a headless server: no session bus, a locked or absent keyring) this is
    /// [`Error::NoKeyring`], which names the opt-in file store; it never falls back to the
    /// file by itself.
    ///
    /// ```
    /// match mast_auth::TokenStore::platform() {
    ///     Ok(store) => println!("tokens in the {}", store.describe()),
    ///     Err(error) => assert!(error.to_string().contains("TokenStore::file")),
    /// }
    /// ```
    pub fn platform() -> Result<TokenStore> {
        TokenStore::checked(platform_store()?)
    }

    /// The Linux kernel keyring (feature `keyutils`), checked as [`TokenStore::checked`]
    /// does. It needs no daemon, but keeps the token only while the login session's keyring
    /// lives; where processes start without a session keyring (containers, some servers),
    /// reads are refused and this is [`Error::NoKeyring`] (run under `keyctl session`).
    #[cfg(all(feature = "keyutils", target_os = "linux"))]
    pub fn keyutils() -> Result<TokenStore> {
        let store = linux_keyutils_keyring_store::Store::new().map_err(|e| Error::NoKeyring {
            reason: format!("the kernel keyring cannot be used: {}", crate::error::describe(&e)),
        })?;
        TokenStore::checked(store)
    }

    /// The keyring `store`, after reading astroquery's entry once: a store that cannot be
    /// reached or opened (a platform failure, no access) is [`Error::NoKeyring`]; a missing
    /// entry is fine. This is how [`TokenStore::platform`] tells a working keyring from a
    /// headless machine.
    ///
    /// ```
    /// use mast_auth::{Error, TokenStore};
    /// use mast_auth::keyring_core::mock::Store;
    /// assert!(TokenStore::checked(Store::new().unwrap()).is_ok());
    /// ```
    pub fn checked(store: Arc<CredentialStore>) -> Result<TokenStore> {
        let unreachable = |e: &keyring_core::Error| Error::NoKeyring {
            reason: format!("the {} cannot be used: {}", store.vendor(), crate::error::describe(e)),
        };
        let entry = entry_in(&store).map_err(|e| unreachable(&e))?;
        match entry.get_password() {
            Err(e @ (keyring_core::Error::PlatformFailure(_) | keyring_core::Error::NoStorageAccess(_))) => {
                Err(unreachable(&e))
            }
            // A value, no entry, or an entry the store can reach but not decode: it works.
            _ => Ok(TokenStore::keyring(store)),
        }
    }

    /// Where the token is kept, for messages (`keyring <vendor>` or `file <path>`).
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Keyring(store) => format!("keyring {}", store.vendor()),
            Backend::File(path) => format!("file {}", path.display()),
        }
    }

    /// The token file's path, for a file store.
    pub fn file_path(&self) -> Option<&Path> {
        match &self.backend {
            Backend::File(path) => Some(path),
            Backend::Keyring(_) => None,
        }
    }

    /// The stored token, `None` when there is none.
    pub fn get(&self) -> Result<Option<Token>> {
        match &self.backend {
            Backend::Keyring(store) => match self.entry(store, "read")?.get_password() {
                Ok(token) => Ok(Some(Token::new(token))),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(e) => Err(Error::keyring(store.vendor(), "read", &e)),
            },
            Backend::File(path) => crate::file::read(path),
        }
    }

    /// Stores `token` (astroquery's `store_token=True`), replacing a stored one.
    pub fn store_token(&self, token: &Token) -> Result<()> {
        match &self.backend {
            Backend::Keyring(store) => {
                let entry = self.entry(store, "store")?;
                entry
                    .set_password(token.expose())
                    .and_then(|()| after_store(store, &entry))
                    .map_err(|e| Error::keyring(store.vendor(), "store", &e))
            }
            Backend::File(path) => crate::file::write(path, token),
        }
    }

    /// Deletes the stored token; `false` when there was none.
    pub fn forget_token(&self) -> Result<bool> {
        match &self.backend {
            Backend::Keyring(store) => match self.entry(store, "forget")?.delete_credential() {
                Ok(()) => Ok(true),
                Err(keyring_core::Error::NoEntry) => Ok(false),
                Err(e) => Err(Error::keyring(store.vendor(), "forget", &e)),
            },
            Backend::File(path) => crate::file::remove(path),
        }
    }

    fn entry(&self, store: &Arc<CredentialStore>, action: &'static str) -> Result<Entry> {
        entry_in(store).map_err(|e| Error::keyring(store.vendor(), action, &e))
    }
}

fn default_file_path() -> Result<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = if cfg!(windows) {
        non_empty("APPDATA")
    } else {
        non_empty("XDG_CONFIG_HOME").or_else(|| non_empty("HOME").map(|home| home.join(".config")))
    };
    let dir = dir.filter(|d| d.is_absolute()).ok_or(Error::NoConfigDir)?;
    Ok(dir.join("mast-rs").join("token"))
}

/// astroquery's entry in `store`: service [`KEYRING_SERVICE`], user [`KEYRING_USER`]. In the
/// Windows Credential Manager, Python's `keyring` names a credential by the service alone
/// and keeps the user name inside it (`masttoken@<service>` only when another user name
/// already took the service's name): there the entry is the credential named by the service,
/// and [`TokenStore::store_token`] also sets its user name, so that each finds the other's
/// token.
fn entry_in(store: &Arc<CredentialStore>) -> keyring_core::Result<Entry> {
    if is_credential_manager(store) {
        let modifiers = std::collections::HashMap::from([("target", KEYRING_SERVICE)]);
        Entry::new_in_store_with_modifiers(store, KEYRING_SERVICE, KEYRING_USER, &modifiers)
    } else {
        Entry::new_in_store(store, KEYRING_SERVICE, KEYRING_USER)
    }
}

/// Whether `store` is the Windows Credential Manager (whose entries need Python's naming).
fn is_credential_manager(store: &Arc<CredentialStore>) -> bool {
    cfg!(windows) && store.vendor().starts_with("Windows Credential Manager")
}

/// After `entry` (from [`entry_in`]) was written: in the Credential Manager, the user name
/// Python's `keyring` checks when it reads the credential named by the service.
fn after_store(store: &Arc<CredentialStore>, entry: &Entry) -> keyring_core::Result<()> {
    if is_credential_manager(store) {
        entry.update_attributes(&std::collections::HashMap::from([("username", KEYRING_USER)]))?;
    }
    Ok(())
}

/// The platform's keyring store, for [`TokenStore::platform`]: the Secret Service on Linux
/// and the BSDs.
#[cfg(all(
    feature = "secret-service",
    any(
        target_os = "linux",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd",
        target_os = "dragonfly"
    )
))]
fn platform_store() -> Result<Arc<CredentialStore>> {
    zbus_secret_service_keyring_store::Store::new().map(|s| s as Arc<CredentialStore>).map_err(|e| Error::NoKeyring {
        reason: format!("the Secret Service (D-Bus) cannot be reached: {}", crate::error::describe(&e)),
    })
}

/// The platform's keyring store, for [`TokenStore::platform`]: the login Keychain on macOS
/// (generic passwords, service and account as Python's `keyring` writes them).
#[cfg(all(feature = "platform-keyring", target_os = "macos"))]
fn platform_store() -> Result<Arc<CredentialStore>> {
    apple_native_keyring_store::keychain::Store::new().map(|s| s as Arc<CredentialStore>).map_err(|e| {
        Error::NoKeyring { reason: format!("the macOS Keychain cannot be used: {}", crate::error::describe(&e)) }
    })
}

/// The platform's keyring store, for [`TokenStore::platform`]: the Windows Credential
/// Manager. Entries are generic credentials named by the service alone (see
/// [`entry_modifiers`]), as Python's `keyring` names them.
#[cfg(all(feature = "platform-keyring", windows))]
fn platform_store() -> Result<Arc<CredentialStore>> {
    windows_native_keyring_store::Store::new().map(|s| s as Arc<CredentialStore>).map_err(|e| Error::NoKeyring {
        reason: format!("the Windows Credential Manager cannot be used: {}", crate::error::describe(&e)),
    })
}

/// The platform's keyring store, for [`TokenStore::platform`]: none in this build.
#[cfg(not(any(
    all(
        feature = "secret-service",
        any(
            target_os = "linux",
            target_os = "freebsd",
            target_os = "openbsd",
            target_os = "netbsd",
            target_os = "dragonfly"
        )
    ),
    all(feature = "platform-keyring", any(target_os = "macos", windows))
)))]
fn platform_store() -> Result<Arc<CredentialStore>> {
    Err(Error::NoKeyring {
        reason: "this build of mast-rs has no keyring store for this platform (the feature `platform-keyring` adds \
                 the Secret Service on Linux and the BSDs, the Keychain on macOS and the Credential Manager on Windows)"
            .into(),
    })
}
