//! `/whoami` (spec §12): who a MAST API token belongs to.
//!
//! The tokens the emulator knows are configured with [`crate::EmulatorConfig::token`]. A
//! request carries a token as astroquery sends it (the cookie `mast_token=<token>`) or as
//! MAST's download endpoints also accept it (`Authorization: Bearer <token>`). A valid
//! token answers `anon: false` with the user's fields (the shape of astroquery's test mock);
//! an expired or unknown token, or none, answers the anonymous session, as MAST does.
//!
//! The same tokens open the exclusive-access files ([`crate::files::is_exclusive`]): a
//! `Download/file` request for one presenting a valid token is served, any other is
//! answered `401`.

use serde_json::{Value, json};

/// A token the emulator knows, with the user it belongs to. The user fields default to
/// the example of spec §12 (`alice`, display name `A. User`).
///
/// ```
/// use mast_emulator::EmulatorToken;
/// let token = EmulatorToken::new("abc123").display_name("Jane Doe");
/// assert_eq!(token.token(), "abc123");
/// assert!(!token.is_expired() && EmulatorToken::new("old").expired().is_expired());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct EmulatorToken {
    token: String,
    expired: bool,
    ezid: String,
    eppn: String,
    first_name: String,
    last_name: String,
    display_name: String,
    email: String,
}

impl std::fmt::Debug for EmulatorToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token stays out of Debug output, as a client's own would.
        f.debug_struct("EmulatorToken")
            .field("ezid", &self.ezid)
            .field("expired", &self.expired)
            .finish_non_exhaustive()
    }
}

impl EmulatorToken {
    /// A valid token for the default user.
    pub fn new(token: impl Into<String>) -> EmulatorToken {
        EmulatorToken {
            token: token.into(),
            expired: false,
            ezid: "alice".into(),
            eppn: "alice@stsci.edu".into(),
            first_name: "A.".into(),
            last_name: "User".into(),
            display_name: "A. User".into(),
            email: "alice@gmail.com".into(),
        }
    }

    /// Marks the token expired (more than 10 days unused or 60 days old): `/whoami` then
    /// answers the anonymous session, as for an unknown token.
    pub fn expired(mut self) -> EmulatorToken {
        self.expired = true;
        self
    }

    /// The user's `ezid` (also the start of `eppn`: `<ezid>@stsci.edu`).
    pub fn ezid(mut self, ezid: impl Into<String>) -> EmulatorToken {
        self.ezid = ezid.into();
        self.eppn = format!("{}@stsci.edu", self.ezid);
        self
    }

    /// The user's display name (`attrib.display_name`, the name of the login message).
    pub fn display_name(mut self, name: impl Into<String>) -> EmulatorToken {
        self.display_name = name.into();
        self
    }

    /// The token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Whether it is expired.
    pub fn is_expired(&self) -> bool {
        self.expired
    }

    /// The `/whoami` answer for this token's session.
    fn session(&self) -> Value {
        json!({
            "eppn": self.eppn,
            "ezid": self.ezid,
            "attrib": {
                "uuid": uuid_of(&self.token),
                "first_name": self.first_name,
                "last_name": self.last_name,
                "display_name": self.display_name,
                "internal": "0",
                "email": self.email,
                "Jwstcalengdataaccess": "false",
            },
            "anon": false,
            "scopes": ["mast:user:info", "mast:exclusive_access"],
            "session": null,
            // MAST echoes only the start of the token (spec §12: "56a9cf3d...").
            "token": format!("{}...", self.token.chars().take(8).collect::<String>()),
        })
    }
}

/// The anonymous session (no token, an unknown one or an expired one).
fn anonymous() -> Value {
    json!({
        "eppn": null,
        "ezid": "anonymous",
        "attrib": {},
        "anon": true,
        "scopes": [],
        "session": null,
        "token": null,
    })
}

/// A stable UUID-shaped id for a token's user (not secret, not the token).
fn uuid_of(token: &str) -> String {
    let h = token.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    let hex = format!("{h:016x}{:016x}", h.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// The token a request presents: the `mast_token` cookie, else an `Authorization: Bearer`
/// header.
pub(crate) fn presented(headers: &hyper::HeaderMap) -> Option<String> {
    let cookie = headers
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.split(';').find_map(|kv| kv.trim_start().strip_prefix("mast_token=").map(str::to_owned)));
    cookie.or_else(|| {
        let value = headers.get(hyper::header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
    })
}

/// The `/whoami` body for a request presenting `token`, given the configured tokens.
pub(crate) fn whoami(tokens: &[EmulatorToken], token: Option<&str>) -> Vec<u8> {
    let known = token.and_then(|t| tokens.iter().find(|k| k.token == t && !k.expired));
    let body = known.map_or_else(anonymous, EmulatorToken::session);
    serde_json::to_vec(&body).unwrap_or_default()
}

/// Whether `token` is one of `tokens` and not expired.
pub(crate) fn is_valid(tokens: &[EmulatorToken], token: &str) -> bool {
    tokens.iter().any(|k| k.token == token && !k.expired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_reads_the_cookie_then_bearer() {
        let mut h = hyper::HeaderMap::new();
        assert_eq!(presented(&h), None);
        h.insert(hyper::header::AUTHORIZATION, "Bearer  tok2 ".parse().unwrap());
        assert_eq!(presented(&h).as_deref(), Some("tok2"));
        h.insert(hyper::header::COOKIE, "a=b; mast_token=tok1".parse().unwrap());
        assert_eq!(presented(&h).as_deref(), Some("tok1"));
        let mut basic = hyper::HeaderMap::new();
        basic.insert(hyper::header::AUTHORIZATION, "Basic dG9r".parse().unwrap());
        assert_eq!(presented(&basic), None);
    }

    #[test]
    fn expired_tokens_are_not_valid() {
        let tokens = [EmulatorToken::new("good"), EmulatorToken::new("old").expired()];
        assert!(is_valid(&tokens, "good"));
        assert!(!is_valid(&tokens, "old") && !is_valid(&tokens, "other"));
        assert_ne!(uuid_of("a"), uuid_of("b"));
        assert!(!format!("{:?}", tokens[0]).contains("good"));
    }
}
