//! Logging in (feature `client`): `/whoami` through the client's token hook.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mast_proto::auth::{RequestKind, token_page_url};
use mast_proto::endpoints;
use mast_proto::{MastClient, Patience};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{Error, Result, Token};

/// The session behind a token, as `/whoami` answers it (the fields of astroquery's
/// `session_info()`). The `token` MAST echoes back is kept as a [`Token`], so `Debug` never
/// shows it and [`SessionInfo::lines`] only as MAST truncates it.
///
/// ```
/// let info: mast_auth::SessionInfo = serde_json::from_str(
///     r#"{"eppn": "alice@stsci.edu", "ezid": "alice", "attrib": {"display_name": "A. User"},
///         "anon": false, "scopes": ["mast:user:info"], "session": null, "token": "abc12345678"}"#,
/// ).unwrap();
/// assert_eq!(info.display_name(), Some("A. User"));
/// assert!(info.lines().contains(&"attrib.display_name: A. User".to_string()));
/// assert!(!format!("{info:?} {:?}", info.lines()).contains("abc1234"));
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
    /// The token MAST echoes back (its first characters; see [`SessionInfo::token_echo`]).
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
    /// `key.subkey: value` for the attributes; the token as [`SessionInfo::token_echo`].
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
        lines.push(format!("token: {}", self.token_echo().unwrap_or("None")));
        lines
    }

    /// The `token` field as it may be shown: MAST echoes only the token's first eight
    /// characters and `...` (`56a9cf3d...`), which is shown as it is; anything else (a server
    /// that echoes the whole token) is shown as `***`.
    ///
    /// ```
    /// let info = |token: &str| -> mast_auth::SessionInfo {
    ///     serde_json::from_value(serde_json::json!({"anon": false, "token": token})).unwrap()
    /// };
    /// assert_eq!(info("56a9cf3d...").token_echo(), Some("56a9cf3d..."));
    /// assert_eq!(info("56a9cf3d0123456789abcdef").token_echo(), Some("***"));
    /// ```
    pub fn token_echo(&self) -> Option<&str> {
        let echo = self.token.as_ref()?.expose();
        let prefix = echo.strip_suffix("...").unwrap_or(echo);
        let truncated = echo.len() > prefix.len() && prefix.chars().count() <= 8;
        Some(if truncated { echo } else { "***" })
    }
}

/// Logging in and out over a [`MastClient`] (astroquery's `login`, `session_info`,
/// `logout`). The token travels only through the client's hook
/// ([`MastClient::authorize`]). Logging in puts the token into the client's token slot
/// ([`MastClient::set_token`]), which every clone of that client shares: an `Observations`
/// or a `Downloader` built from the same client sends it from then on, and stops after
/// [`MastAuth::logout`].
///
/// ```no_run
/// use mast_auth::{MastAuth, Token};
/// # async fn run() -> mast_auth::Result<()> {
/// let client = mast_proto::MastClient::from_env()?;
/// let auth = MastAuth::new(client.clone());
/// let info = auth.login(Token::new("12348r9w0sa2392ff94as841")).await?;
/// println!("{:?}", info.display_name());
/// // `client` (and every clone of it) now carries the token to MAST.
/// auth.logout();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MastAuth {
    client: MastClient,
    authenticated: Arc<AtomicBool>,
}

impl std::fmt::Debug for MastAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MastAuth").field("authenticated", &self.is_authenticated()).finish_non_exhaustive()
    }
}

impl MastAuth {
    /// Over `client`, as it is (no request). A token the client already has is sent as it
    /// is, but the session counts as logged in only after [`MastAuth::login`]; use
    /// [`MastAuth::connect`] to check it at once.
    pub fn new(client: MastClient) -> MastAuth {
        MastAuth { client, authenticated: Arc::new(AtomicBool::new(false)) }
    }

    /// Over `client`, logging in at once when the client has a token (astroquery's
    /// `Observations(mast_token=...)`): the token is checked against `/whoami` and a token
    /// MAST does not accept is [`Error::LoginInvalid`] (and is taken out of the client, so
    /// no later request sends it). Without a token, no request is sent.
    ///
    /// ```no_run
    /// # async fn run() -> mast_auth::Result<()> {
    /// // MAST_API_TOKEN set: checked here, before any query.
    /// let auth = mast_auth::MastAuth::connect(mast_proto::MastClient::from_env()?).await?;
    /// assert!(auth.is_authenticated() || !auth.client().has_token());
    /// # Ok(()) }
    /// ```
    pub async fn connect(client: MastClient) -> Result<MastAuth> {
        let auth = MastAuth::new(client);
        if auth.client.has_token() {
            let info = whoami(&auth.client).await?;
            if info.anon {
                auth.client.set_token(None);
                return Err(Error::LoginInvalid { token_page: token_page_url(auth.client.config()) });
            }
            auth.accepted(&info);
        }
        Ok(auth)
    }

    /// The client this session logs in and out: the same token slot as every clone of the
    /// client it was built from.
    pub fn client(&self) -> MastClient {
        self.client.clone()
    }

    /// Whether the last login succeeded and no logout followed.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated.load(Ordering::SeqCst)
    }

    /// Checks `token` against `/whoami` and, when MAST accepts it, makes it the client's
    /// token and logs `MAST API token accepted, welcome <display name>`. An empty token is
    /// [`Error::EmptyToken`] without a request; a token MAST does not accept (unknown or
    /// expired: MAST answers the anonymous session) is [`Error::LoginInvalid`], and the
    /// client keeps its previous token (unlike astroquery, the refused token is not kept).
    pub async fn login(&self, token: Token) -> Result<SessionInfo> {
        if token.is_empty() {
            return Err(Error::EmptyToken);
        }
        let secret = token.into_secret();
        // The candidate is checked through a client of its own, so that no query running
        // meanwhile on the shared client sends a token MAST may refuse.
        let probe = MastClient::new(self.client.config().clone().with_token(secret.clone()))?;
        let info = whoami(&probe).await?;
        if info.anon {
            return Err(Error::LoginInvalid { token_page: token_page_url(probe.config()) });
        }
        self.client.set_token(Some(secret));
        self.accepted(&info);
        Ok(info)
    }

    /// The session as MAST sees it now (`/whoami` with the client's token, if any).
    pub async fn session_info(&self) -> Result<SessionInfo> {
        whoami(&self.client).await
    }

    /// Forgets the token in the client and every clone of it (no request; a stored token
    /// stays stored, see [`crate::TokenStore::forget_token`]).
    pub fn logout(&self) {
        self.client.set_token(None);
        self.authenticated.store(false, Ordering::SeqCst);
    }

    fn accepted(&self, info: &SessionInfo) {
        let name: String = info.display_name().unwrap_or("").chars().filter(|c| !c.is_control()).collect();
        tracing::info!("MAST API token accepted, welcome {name}");
        self.authenticated.store(true, Ordering::SeqCst);
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
