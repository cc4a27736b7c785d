//! Token stores: the keyring through keyring-core's mock store (errors injected), the
//! opt-in file, and the case with no keyring.

use std::sync::Arc;

use mast_auth::keyring_core::{self, CredentialStore, Entry, mock};
use mast_auth::{Error, KEYRING_SERVICE, KEYRING_USER, Token, TokenStore};

const SECRET: &str = "s3cr3t-t0ken-value";

fn mock_store() -> Arc<CredentialStore> {
    mock::Store::new().unwrap()
}

/// Fails the next operation on astroquery's entry in `store` with `error`.
fn inject(store: &Arc<CredentialStore>, error: keyring_core::Error) {
    let entry = Entry::new_in_store(store, KEYRING_SERVICE, KEYRING_USER).unwrap();
    entry.as_any().downcast_ref::<mock::Cred>().unwrap().set_error(error);
}

fn assert_hidden(error: &Error) {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(SECRET), "{shown}");
}

#[test]
fn keyring_uses_astroquerys_entry() {
    let inner = mock_store();
    let store = TokenStore::keyring(inner.clone());
    store.store_token(&Token::new(SECRET)).unwrap();
    // What astroquery reads: service `astroquery:mast.stsci.edu.token`, user `masttoken`.
    let entry = Entry::new_in_store(&inner, "astroquery:mast.stsci.edu.token", "masttoken").unwrap();
    assert_eq!(entry.get_password().unwrap(), SECRET);
    // And what astroquery stored is found.
    entry.set_password("stored-by-astroquery").unwrap();
    assert_eq!(store.get().unwrap().unwrap().expose(), "stored-by-astroquery");
    assert!(store.forget_token().unwrap());
    assert!(matches!(entry.get_password(), Err(keyring_core::Error::NoEntry)));
    assert!(store.get().unwrap().is_none());
    assert!(!store.forget_token().unwrap());
}

#[test]
fn keyring_errors_are_typed_and_never_show_what_was_stored() {
    let inner = mock_store();
    let store = TokenStore::keyring(inner.clone());
    store.store_token(&Token::new(SECRET)).unwrap();

    inject(&inner, keyring_core::Error::BadEncoding(SECRET.as_bytes().to_vec()));
    let error = store.get().unwrap_err();
    assert!(matches!(&error, Error::Keyring { action: "read", .. }), "{error:?}");
    assert!(error.to_string().contains("store the token again"), "{error}");
    assert_hidden(&error);

    inject(&inner, keyring_core::Error::BadDataFormat(SECRET.as_bytes().to_vec(), "bad".into()));
    assert_hidden(&store.get().unwrap_err());

    inject(&inner, keyring_core::Error::NoStorageAccess("locked".into()));
    let error = store.store_token(&Token::new("new")).unwrap_err();
    assert!(matches!(&error, Error::Keyring { action: "store", .. }), "{error:?}");
    assert!(error.to_string().contains("locked"), "{error}");

    inject(&inner, keyring_core::Error::PlatformFailure("bus gone".into()));
    let error = store.forget_token().unwrap_err();
    assert!(matches!(&error, Error::Keyring { action: "forget", .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains(KEYRING_SERVICE) && text.contains(KEYRING_USER) && text.contains("bus gone"), "{text}");

    // An injected error fails one call only: the token is still there, unchanged.
    assert_eq!(store.get().unwrap().unwrap().expose(), SECRET);
}

#[cfg(not(feature = "secret-service"))]
#[test]
fn no_keyring_is_an_error_naming_the_file_store() {
    let error = TokenStore::platform().unwrap_err();
    assert!(matches!(error, Error::NoKeyring { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("TokenStore::file") && text.contains("0600") && text.contains("MAST_API_TOKEN"), "{text}");
}

#[test]
fn file_store_round_trip_private_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conf").join("mast-rs").join("token");
    let store = TokenStore::file(&path);
    assert!(store.get().unwrap().is_none());
    assert!(!store.forget_token().unwrap());
    store.store_token(&Token::new(SECRET)).unwrap();
    assert_eq!(store.get().unwrap().unwrap().expose(), SECRET);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
    }
    store.store_token(&Token::new("second")).unwrap();
    assert_eq!(store.get().unwrap().unwrap().expose(), "second");
    assert!(store.forget_token().unwrap());
    assert!(!path.exists());
    assert!(store.describe().contains("token"));
}

#[cfg(unix)]
#[test]
fn file_store_refuses_links_and_readable_files() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("elsewhere");
    std::fs::write(&target, "victim\n").unwrap();
    let link = dir.path().join("token");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let store = TokenStore::file(&link);
    assert!(matches!(store.store_token(&Token::new(SECRET)), Err(Error::Symlink { .. })));
    assert!(matches!(store.get(), Err(Error::Symlink { .. })));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "victim\n");

    // A file others can read is refused on reading; storing makes an existing file private.
    let path = dir.path().join("open-token");
    std::fs::write(&path, format!("{SECRET}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = TokenStore::file(&path);
    let error = store.get().unwrap_err();
    assert!(matches!(error, Error::Permissions { mode: 0o644, .. }), "{error:?}");
    assert!(error.to_string().contains("chmod 600"));
    assert_hidden(&error);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(matches!(store.get(), Err(Error::Permissions { mode: 0o640, .. })));
    store.store_token(&Token::new(SECRET)).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(store.get().unwrap().unwrap().expose(), SECRET);
}

#[test]
fn an_unreachable_keyring_is_no_keyring_not_no_token() {
    for failure in [
        keyring_core::Error::PlatformFailure("no session bus".into()),
        keyring_core::Error::NoStorageAccess("keyring locked".into()),
    ] {
        let inner = mock_store();
        inject(&inner, failure);
        let error = TokenStore::checked(inner).unwrap_err();
        assert!(matches!(error, Error::NoKeyring { .. }), "{error:?}");
        let text = error.to_string();
        assert!(
            text.contains("TokenStore::file") && (text.contains("no session bus") || text.contains("keyring locked")),
            "{text}"
        );
    }
    // A reachable store passes, with or without a token, even one it cannot decode.
    assert!(TokenStore::checked(mock_store()).is_ok());
    let inner = mock_store();
    inject(&inner, keyring_core::Error::BadEncoding(SECRET.as_bytes().to_vec()));
    assert!(TokenStore::checked(inner).is_ok());
}

/// On a machine without a D-Bus session bus (this CI's kind: headless), the platform
/// keyring is `NoKeyring` naming the file store, not a silent fallback nor a hang.
#[cfg(all(feature = "secret-service", target_os = "linux"))]
#[test]
fn headless_secret_service_is_no_keyring() {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").unwrap().uid();
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        || std::path::Path::new(&format!("/run/user/{uid}/bus")).exists();
    if bus {
        eprintln!("a session bus is present: the headless case cannot be checked here");
        return;
    }
    let error = TokenStore::platform().unwrap_err();
    assert!(matches!(error, Error::NoKeyring { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("Secret Service") && text.contains("TokenStore::file"), "{text}");
}
