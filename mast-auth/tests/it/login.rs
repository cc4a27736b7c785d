//! `login`, `session_info` and `logout` against the emulator over real sockets; the token
//! never shows in errors, `Debug` output or logs captured at TRACE.

use std::io::Write;
use std::sync::{Arc, Mutex};

use mast_auth::{Error, MastAuth, Token};
use mast_emulator::{Emulator, EmulatorConfig, EmulatorToken};
use mast_proto::{MastClient, MastConfig, Secret};

const GOOD: &str = "good-0123456789abcdef";
const OLD: &str = "old-0123456789abcdef";
const UNKNOWN: &str = "unknown-0123456789abcdef";

async fn emulator() -> Emulator {
    let config = EmulatorConfig::new()
        .token(EmulatorToken::new(GOOD).ezid("jdoe").display_name("Jane Doe"))
        .token(EmulatorToken::new(OLD).expired());
    Emulator::start(config).await.unwrap()
}

fn auth(emu: &Emulator) -> MastAuth {
    let config = MastConfig::new().with_mast_url(emu.base_url()).unwrap().with_retries(0);
    MastAuth::new(MastClient::new(config).unwrap())
}

/// Every log line at TRACE written while the test runs (this thread's subscriber; the
/// tests run on a current-thread runtime, so the client's and the emulator's tasks log
/// here too).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured.clone(), tracing::subscriber::set_default(subscriber))
}

fn assert_hidden(what: &str, text: &str) {
    for token in [GOOD, OLD, UNKNOWN] {
        assert!(!text.contains(token), "{what} shows a token: {text}");
    }
}

#[tokio::test]
async fn login_accepts_a_valid_token_and_welcomes_the_user() {
    let (logs, _guard) = capture();
    let emu = emulator().await;
    let auth = auth(&emu);
    assert!(!auth.is_authenticated());
    let info = auth.login(Token::new(GOOD)).await.unwrap();
    assert!(!info.anon);
    assert_eq!(info.ezid.as_deref(), Some("jdoe"));
    assert_eq!(info.eppn.as_deref(), Some("jdoe@stsci.edu"));
    assert_eq!(info.display_name(), Some("Jane Doe"));
    assert_eq!(info.scopes, ["mast:user:info", "mast:exclusive_access"]);
    assert_eq!(info.token_echo(), Some("good-012..."));
    assert!(auth.is_authenticated());
    assert!(auth.client().has_token());

    // The token went as astroquery sends it, through the client's hook.
    let sent = emu.requests_for("whoami");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].headers.iter().any(|(k, v)| k == "cookie" && v == &format!("mast_token={GOOD}")), "{sent:?}");

    let info = auth.session_info().await.unwrap();
    assert_eq!(info.display_name(), Some("Jane Doe"));
    assert_hidden("SessionInfo", &format!("{info:?} {:?} {auth:?}", info.lines()));
    assert!(info.lines().iter().any(|l| l == "ezid: jdoe"));

    let logged = logs.text();
    assert!(logged.contains("MAST API token accepted, welcome Jane Doe"), "{logged}");
    assert!(logged.contains("TRACE"), "the capture must run at TRACE: {logged}");
    assert_hidden("the TRACE log", &logged);
}

#[tokio::test]
async fn unknown_and_expired_tokens_are_login_errors() {
    let (logs, _guard) = capture();
    let emu = emulator().await;
    let auth = auth(&emu);
    for token in [UNKNOWN, OLD] {
        let error = auth.login(Token::new(token)).await.unwrap_err();
        assert!(matches!(error, Error::LoginInvalid { .. }), "{error:?}");
        let text = error.to_string();
        for needle in ["https://auth.mast.stsci.edu/token", "10 days without use", "60 days after creation"] {
            assert!(text.contains(needle), "{needle}: {text}");
        }
        assert_hidden("the login error", &format!("{error} {error:?}"));
        assert!(!auth.is_authenticated());
        // The refused token is not kept.
        assert!(!auth.client().has_token());
    }
    assert_eq!(emu.stats().count("whoami"), 2);
    let logged = logs.text();
    assert!(!logged.contains("token accepted"), "{logged}");
    assert_hidden("the TRACE log", &logged);
}

#[tokio::test]
async fn logout_forgets_the_token_without_a_request() {
    let emu = emulator().await;
    let auth = auth(&emu);
    auth.login(Token::new(GOOD)).await.unwrap();
    let before = emu.stats().count("whoami");
    auth.logout();
    assert_eq!(emu.stats().count("whoami"), before, "logout sends nothing");
    assert!(!auth.is_authenticated());
    assert!(!auth.client().has_token());
    let info = auth.session_info().await.unwrap();
    assert!(info.anon && info.token.is_none());
    assert_eq!(info.ezid.as_deref(), Some("anonymous"));
    let last = emu.requests_for("whoami").pop().unwrap();
    assert!(!last.headers.iter().any(|(k, _)| k == "cookie" || k == "authorization"), "{last:?}");
}

#[tokio::test]
async fn an_empty_token_is_refused_before_any_request() {
    let emu = emulator().await;
    let error = auth(&emu).login(Token::new("")).await.unwrap_err();
    assert!(matches!(error, Error::EmptyToken), "{error:?}");
    assert!(error.to_string().contains("MAST_API_TOKEN"));
    assert_eq!(emu.stats().count("whoami"), 0);
}

#[tokio::test]
async fn transport_errors_do_not_show_the_token() {
    // Nothing listens on this port once the emulator is gone.
    let emu = emulator().await;
    let auth = auth(&emu);
    drop(emu);
    let error = auth.login(Token::new(GOOD)).await.unwrap_err();
    assert!(matches!(error, Error::Proto(_)), "{error:?}");
    assert_hidden("the transport error", &format!("{error} {error:?}"));
}

#[tokio::test]
async fn logging_in_and_out_applies_to_every_clone_of_the_client() {
    let emu = emulator().await;
    let client = MastClient::new(MastConfig::new().with_all_urls(emu.base_url()).unwrap()).unwrap();
    let queries = client.clone(); // e.g. the client an Observations was built from earlier
    let auth = MastAuth::new(client);
    assert!(!queries.has_token());
    auth.login(Token::new(GOOD)).await.unwrap();
    assert!(queries.has_token());
    let whoami = |c: &MastClient| {
        let c = c.clone();
        async move { MastAuth::new(c).session_info().await.unwrap() }
    };
    assert_eq!(whoami(&queries).await.ezid.as_deref(), Some("jdoe"));
    auth.logout();
    assert!(!queries.has_token());
    assert!(whoami(&queries).await.anon);
}

#[tokio::test]
async fn a_client_built_with_a_token_logs_in_at_once() {
    let (logs, _guard) = capture();
    let emu = emulator().await;
    let with = |token: &str| {
        MastClient::new(MastConfig::new().with_all_urls(emu.base_url()).unwrap().with_token(Secret::new(token)))
            .unwrap()
    };
    let auth = MastAuth::connect(with(GOOD)).await.unwrap();
    assert!(auth.is_authenticated() && auth.client().has_token());
    assert_eq!(emu.stats().count("whoami"), 1);
    assert!(logs.text().contains("MAST API token accepted, welcome Jane Doe"));

    // A refused token is an error at once, and is taken out of the client.
    let client = with(OLD);
    let error = MastAuth::connect(client.clone()).await.unwrap_err();
    assert!(matches!(error, Error::LoginInvalid { .. }), "{error:?}");
    assert!(!client.has_token());
    assert_eq!(emu.stats().count("whoami"), 2);

    // Without a token: no request.
    let auth = MastAuth::connect(MastClient::new(MastConfig::new().with_all_urls(emu.base_url()).unwrap()).unwrap());
    assert!(!auth.await.unwrap().is_authenticated());
    assert_eq!(emu.stats().count("whoami"), 2);
    assert_hidden("the TRACE log", &logs.text());
}
