//! Logging in (feature `client`): `/whoami` through the client's token hook.

use std::sync::{Arc, RwLock};

use mast_proto::auth::RequestKind;
use mast_proto::endpoints;
use mast_proto::{MastClient, MastConfig, Patience, Secret};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{Error, Result, Token};

/// The page listing a user's tokens (spec §12).
pub const TOKEN_INFO_URL: &str = "https://auth.mast.stsci.edu/info";

/// The page where a MAST API token is created for the configured MAST: astroquery's
/// `server.replace("mast", "auth.mast") + "/token"` for a host starting with `mast.`
/// (`https://auth.mast.stsci.edu/token` by default), else MAST's own page.
///
/// ```
/// use mast_proto::MastConfig;
/// assert_eq!(mast_auth::token_page_url(&MastConfig::new()), "https://auth.mast.stsci.edu/token");
/// ```
pub fn token_page_url(config: &MastConfig) -> String {
    const DEFAULT: &str = "https://auth.mast.stsci.edu/token";
    let Ok(mut url) = url::Url::parse(config.mast_url()) else { return DEFAULT.into() };
    match url.host_str().filter(|h| h.starts_with("mast.")).map(|h| format!("auth.{h}")) {
        Some(host) if url.set_host(Some(&host)).is_ok() => {
            url.set_path("/token");
            url.set_query(None);
            url.to_string()
        }
        _ => DEFAULT.into(),
    }
}

/// The session behind a token, as `/whoami` answers it (the fields of astroquery's
/// `session_info()`). The `token` MAST echoes back is kept as a [`Token`], so `Debug` and
/// [`SessionInfo::lines`] never show it.
///
/// ```
/// let info: mast_auth::SessionInfo = serde_json::from_str(
///     r#"{"eppn": "alice@stsci.edu", "ezid": "alice", "attrib": {"display_name": "A. User"},
///         "anon": false, "scopes": ["mast:user:info"], "session": null, "token": "abc123"}"#,
/// ).unwrap();
/// assert_eq!(info.display_name(), Some("A. User"));
/// assert!(info.lines().contains(&"attrib.display_name: A. User".to_string()));
/// assert!(!format!("{info:?} {:?}", info.lines()).contains("abc123"));
/// ```
#[derive(Clone, Deserialize)]
pub struct SessionInfo {
    /// The user's principal name (`alice@stsci.edu`); `None` when anonymous.
    #[serde(default)]
    pub eppn: Option<String>,
    /// The user id (`anonymous` for the anonymous session).
    #[serde(default)]
    pub ezid: Option<String>,
    /// The user's attributes (`uuid`, `first_name`, `last_name`, `display_name`, `internal`,
    /// `email`, `Jwstcalengdataaccess`, ...), in MAST's order.
    #[serde(default)]
    pub attrib: Map<String, Value>,
    /// Whether this is the anonymous session (no valid token).
    pub anon: bool,
    /// The token's scopes (`mast:user:info`, `mast:exclusive_access`).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// MAST's `session` field (null for token sessions).
    #[serde(default)]
    pub session: Value,
    /// The token MAST echoes back.
    #[serde(default, deserialize_with = "token_field")]
    pub token: Option<Token>,
}

fn token_field<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Token>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(Token::new))
}

impl std::fmt::Debug for SessionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionInfo")
            .field("eppn", &self.eppn)
            .field("ezid", &self.ezid)
            .field("attrib", &self.attrib)
            .field("anon", &self.anon)
            .field("scopes", &self.scopes)
            .field("session", &self.session)
            .field("token", &self.token)
            .finish()
    }
}

impl SessionInfo {
    /// `attrib.display_name`, the name the login message welcomes.
    pub fn display_name(&self) -> Option<&str> {
        self.attrib.get("display_name").and_then(Value::as_str)
    }

    /// astroquery's verbose `session_info` output: one `key: value` line per field and
    /// `key.subkey: value` for the attributes; the token is shown as `***`.
    pub fn lines(&self) -> Vec<String> {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => "None".into(),
            Value::Bool(b) => if *b { "True" } else { "False" }.into(),
            other => other.to_string(),
        };
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "None".into());
        let mut lines = vec![format!("eppn: {}", opt(&self.eppn)), format!("ezid: {}", opt(&self.ezid))];
        lines.extend(self.attrib.iter().map(|(k, v)| format!("attrib.{k}: {}", text(v))));
        lines.push(format!("anon: {}", text(&Value::Bool(self.anon))));
        lines.push(format!("scopes: {:?}", self.scopes));
        lines.push(format!("session: {}", text(&self.session)));
        lines.push(format!("token: {}", if self.token.is_some() { "***" } else { "None" }));
        lines
    }
}

/// Logging in and out over a [`MastClient`] (astroquery's `login`, `session_info`,
/// `logout`). The token travels only through the client's hook
/// ([`MastClient::authorize`]): logging in makes a client whose configuration has the token
/// ([`MastConfig::with_token`]), which [`MastAuth::client`] hands out for every later query.
///
/// ```no_run
/// use mast_auth::{MastAuth, Token};
/// # async fn run() -> mast_auth::Result<()> {
/// let auth = MastAuth::new(mast_proto::MastClient::from_env()?);
/// let info = auth.login(Token::new("12348r9w0sa2392ff94as841")).await?;
/// println!("{:?}", info.display_name());
/// let client = auth.client(); // carries the token to MAST
/// auth.logout();
/// # drop(client); Ok(()) }
/// ```
#[derive(Clone)]
pub struct MastAuth {
    inner: Arc<RwLock<State>>,
}

struct State {
    client: MastClient,
    authenticated: bool,
}

impl std::fmt::Debug for MastAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MastAuth").field("authenticated", &self.is_authenticated()).finish_non_exhaustive()
    }
}

impl MastAuth {
    /// Over `client`, as it is (no request). A token already in its configuration is sent
    /// as configured, but the session counts as logged in only after [`MastAuth::login`].
    pub fn new(client: MastClient) -> MastAuth {
        MastAuth { inner: Arc::new(RwLock::new(State { client, authenticated: false })) }
    }

    /// The client to query with: it carries the token after a successful login, none
    /// after [`MastAuth::logout`].
    pub fn client(&self) -> MastClient {
        self.read().client.clone()
    }

    /// Whether the last login succeeded and no logout followed.
    pub fn is_authenticated(&self) -> bool {
        self.read().authenticated
    }

    /// Checks `token` against `/whoami` and, when MAST accepts it, makes it this session's
    /// token and logs `MAST API token accepted, welcome <display name>`. An empty token is
    /// [`Error::EmptyToken`] without a request; a token MAST does not accept (unknown or
    /// expired: MAST answers the anonymous session) is [`Error::LoginInvalid`], and the
    /// session keeps its previous client (unlike astroquery, the refused token is not kept).
    pub async fn login(&self, token: Token) -> Result<SessionInfo> {
        if token.is_empty() {
            return Err(Error::EmptyToken);
        }
        let config = self.client().config().clone().with_token(token.into_secret());
        let client = MastClient::new(config)?;
        let info = whoami(&client).await?;
        if info.anon {
            return Err(Error::LoginInvalid { token_page: token_page_url(client.config()) });
        }
        let name: String = info.display_name().unwrap_or("").chars().filter(|c| !c.is_control()).collect();
        tracing::info!("MAST API token accepted, welcome {name}");
        *self.write() = State { client, authenticated: true };
        Ok(info)
    }

    /// The session as MAST sees it now (`/whoami` with this session's token, if any).
    pub async fn session_info(&self) -> Result<SessionInfo> {
        whoami(&self.client()).await
    }

    /// Forgets the token in this session (no request; a stored token stays stored, see
    /// [`crate::TokenStore::forget_token`]).
    pub fn logout(&self) {
        let mut state = self.write();
        let config = state.client.config().clone().with_token(Secret::new(""));
        // The configuration was valid a moment ago; only the token changed.
        if let Ok(client) = MastClient::new(config) {
            state.client = client;
        }
        state.authenticated = false;
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// `GET /whoami` through the client's hook and retry loop.
async fn whoami(client: &MastClient) -> Result<SessionInfo> {
    let url = client.config().url(&endpoints::WHOAMI);
    let body = client
        .fetch(Patience::Quick, "the MAST session (/whoami)", || {
            client
                .authorize(client.http().get(&url), &url, RequestKind::Whoami)
                .header(reqwest::header::ACCEPT, "application/json")
        })
        .await?;
    serde_json::from_slice::<SessionInfo>(&body).map_err(|e| Error::Whoami {
        // serde_json's message can quote a value; keep only where and what kind.
        message: format!("{:?} error at line {} column {}", e.classify(), e.line(), e.column()),
    })
}
