//! The token sources in astroquery's order.

use mast_auth::keyring_core::mock;
use mast_auth::{Token, TokenSource, TokenStore, find_token_with};

fn store_with(token: &str) -> TokenStore {
    let store = TokenStore::keyring(mock::Store::new().unwrap());
    store.store_token(&Token::new(token)).unwrap();
    store
}

#[test]
fn argument_then_environment_then_store() {
    let store = store_with("keyring");
    let found = |arg: Option<&str>, env: Option<&str>, store: Option<&TokenStore>| {
        find_token_with(arg.map(Token::new), env.map(str::to_owned), store)
            .unwrap()
            .map(|f| (f.token.expose().to_owned(), f.source))
    };
    assert_eq!(found(Some("arg"), Some("env"), Some(&store)), Some(("arg".into(), TokenSource::Argument)));
    assert_eq!(found(None, Some("env"), Some(&store)), Some(("env".into(), TokenSource::Environment)));
    assert_eq!(found(None, None, Some(&store)), Some(("keyring".into(), TokenSource::Store)));
    assert_eq!(found(None, None, None), None);
    assert_eq!(found(None, None, Some(&TokenStore::keyring(mock::Store::new().unwrap()))), None);
}

#[test]
fn an_empty_environment_variable_still_wins() {
    // astroquery: `MAST_API_TOKEN` set to "" is the token; the keyring is not asked.
    let store = store_with("keyring");
    let found = find_token_with(None, Some(String::new()), Some(&store)).unwrap().unwrap();
    assert_eq!(found.source, TokenSource::Environment);
    assert!(found.token.is_empty());
}

#[test]
fn the_store_is_not_asked_when_an_earlier_source_has_a_token() {
    let inner: std::sync::Arc<mast_auth::keyring_core::CredentialStore> = mock::Store::new().unwrap();
    let store = TokenStore::keyring(inner.clone());
    let entry =
        mast_auth::keyring_core::Entry::new_in_store(&inner, mast_auth::KEYRING_SERVICE, mast_auth::KEYRING_USER)
            .unwrap();
    entry
        .as_any()
        .downcast_ref::<mock::Cred>()
        .unwrap()
        .set_error(mast_auth::keyring_core::Error::PlatformFailure("must not be asked".into()));
    assert!(find_token_with(None, Some("env".into()), Some(&store)).is_ok());
    // A failing store is an error, not "no token".
    let error = find_token_with(None, None, Some(&store)).unwrap_err();
    assert!(error.to_string().contains("must not be asked"), "{error}");
}

#[test]
fn token_never_shows() {
    let found = find_token_with(Some(Token::new("abc123")), None, None).unwrap().unwrap();
    let shown = format!("{found:?} {} {:?}", found.token, found.token);
    assert!(!shown.contains("abc123"), "{shown}");
}

#[test]
fn asking_is_the_last_source_and_reenter_asks_anyway() {
    use mast_auth::ask_unless_found;
    let store = store_with("keyring");
    let asked = std::cell::Cell::new(0);
    let ask = || {
        asked.set(asked.get() + 1);
        Ok::<_, mast_auth::Error>(Token::new("typed"))
    };
    let source =
        |found, reenter| ask_unless_found(found, reenter, ask).map(|f| (f.token.expose().to_owned(), f.source));
    // Found somewhere: not asked.
    let stored = find_token_with(None, None, Some(&store)).unwrap();
    assert_eq!(source(stored.clone(), false).unwrap(), ("keyring".into(), TokenSource::Store));
    assert_eq!(asked.get(), 0);
    // Nothing found: asked.
    let empty_store = TokenStore::keyring(mock::Store::new().unwrap());
    let none = find_token_with(None, None, Some(&empty_store)).unwrap();
    assert_eq!(source(none, false).unwrap(), ("typed".into(), TokenSource::Asked));
    // reenter: asked even over an argument or a stored token.
    assert_eq!(source(stored, true).unwrap(), ("typed".into(), TokenSource::Asked));
    let argument = find_token_with(Some(Token::new("arg")), None, None).unwrap();
    assert_eq!(source(argument, true).unwrap().1, TokenSource::Asked);
    assert_eq!(asked.get(), 3);
    // An empty MAST_API_TOKEN is a token (login refuses it), so nothing is asked.
    let env = find_token_with(None, Some(String::new()), Some(&store)).unwrap();
    assert_eq!(source(env, false).unwrap(), (String::new(), TokenSource::Environment));
    assert_eq!(asked.get(), 3);
    // A failing prompt is the error.
    let error = ask_unless_found(None, false, || Err(mast_auth::Error::EmptyToken)).unwrap_err();
    assert!(matches!(error, mast_auth::Error::EmptyToken));
}
