//! Credentials, sans-IO: the MAST token ([`Secret`]), which requests may carry it
//! ([`RequestKind`], [`may_send_token`]), which redirects a client follows
//! ([`check_redirect`]) and the redaction of URLs before they reach a log, an error or a
//! manifest ([`redact_url`], [`redact_text`]).
//!
//! The rules (spec §12): astroquery sends its token as the cookie `mast_token=<token>` on the
//! requests of its session (Portal, columns configs, the services API, downloads, HLA and
//! bundle requests), never on its cookie-less helper requests (name resolver, cloud path
//! lookup, mission column lists, PanSTARRS `metadata.json`) and never to S3. mast-rs sends it
//! on those same kinds of requests and, in addition, only to the configured MAST hosts (main,
//! catalogs, HLA: scheme, host and port equal to the configured base URL, which is `https`
//! unless it was configured otherwise, as for a local emulator). A redirect never carries it
//! to another host: reqwest drops `Cookie` and `Authorization` when a redirect changes host or
//! port (checked by a test over sockets), and [`check_redirect`] refuses a redirect from
//! `https` to `http` and chains longer than [`MAX_REDIRECTS`].

use std::borrow::Cow;

use zeroize::Zeroize;

use crate::MastConfig;

/// A secret string (a MAST API token): `Debug` and `Display` print `***`, the bytes are
/// zeroed when it is dropped, and the only way to read it is [`Secret::expose`].
///
/// ```
/// use mast_proto::Secret;
/// let token = Secret::new("abc123");
/// assert_eq!(format!("{token} {token:?}"), "*** ***");
/// assert_eq!(token.expose(), "abc123");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// The page listing a user's tokens (spec §12).
pub const TOKEN_INFO_URL: &str = "https://auth.mast.stsci.edu/info";

/// The page where a MAST API token is created for the configured MAST: astroquery's
/// `server.replace("mast", "auth.mast") + "/token"` for a host starting with `mast.`
/// (`https://auth.mast.stsci.edu/token` by default), else MAST's own page.
///
/// ```
/// use mast_proto::MastConfig;
/// assert_eq!(mast_proto::auth::token_page_url(&MastConfig::new()), "https://auth.mast.stsci.edu/token");
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

/// What a request is for; decides whether it may carry the MAST token (spec §12).
///
/// ```
/// use mast_proto::auth::RequestKind;
/// assert!(RequestKind::Download.carries_token());
/// assert!(!RequestKind::Resolver.carries_token() && !RequestKind::S3.carries_token());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestKind {
    /// Portal requests (`/api/v0/invoke`) and columns configs.
    Portal,
    /// The services API: catalogs API (PanSTARRS), MastMissions search, cutout services.
    Services,
    /// File downloads (`Download/file`, `retrieve_product`, URLs on MAST hosts).
    Download,
    /// `Download/bundle.sh` and the staged scripts it points at.
    Bundle,
    /// HLA requests (HSC spectra).
    Hla,
    /// `/whoami`.
    Whoami,
    /// The SANTA name resolver (astroquery's cookie-less helper).
    Resolver,
    /// The cloud path lookup (cookie-less helper).
    PathLookup,
    /// Mission column lists and PanSTARRS `metadata.json` (cookie-less helper).
    Metadata,
    /// The public S3 bucket.
    S3,
}

impl RequestKind {
    /// Whether astroquery sends its token on requests of this kind.
    pub fn carries_token(self) -> bool {
        matches!(
            self,
            RequestKind::Portal
                | RequestKind::Services
                | RequestKind::Download
                | RequestKind::Bundle
                | RequestKind::Hla
                | RequestKind::Whoami
        )
    }
}

/// Whether a request of `kind` to `url` may carry the MAST token of `config`: the kind
/// carries it ([`RequestKind::carries_token`]) and `url` has the scheme, host and port of
/// the configured main, catalogs or HLA base URL (so `https` with the default hosts; a local
/// emulator configured as `http://127.0.0.1:PORT` matches itself only). Never the resolver,
/// never S3, never any other host.
///
/// ```
/// use mast_proto::MastConfig;
/// use mast_proto::auth::{RequestKind, may_send_token};
/// let c = MastConfig::new();
/// assert!(may_send_token(&c, "https://mast.stsci.edu/api/v0/invoke", RequestKind::Portal));
/// assert!(!may_send_token(&c, "http://mast.stsci.edu/api/v0/invoke", RequestKind::Portal));
/// assert!(!may_send_token(&c, "https://example.org/x.fits", RequestKind::Download));
/// assert!(!may_send_token(&c, "https://mast.stsci.edu/api/v0.1/path_lookup/", RequestKind::PathLookup));
/// ```
pub fn may_send_token(config: &MastConfig, url: &str, kind: RequestKind) -> bool {
    if !kind.carries_token() {
        return false;
    }
    let Ok(target) = url::Url::parse(url) else { return false };
    if !matches!(target.scheme(), "https" | "http") || target.host_str().is_none() {
        return false;
    }
    use crate::endpoints::Host;
    config.is_origin_of(url, &[Host::Mast, Host::Catalogs, Host::Hla])
}

/// The most redirects followed for one request; one more is an error.
pub const MAX_REDIRECTS: usize = 10;

/// Whether to follow a redirect to `next`, given the URLs already visited (`previous`, the
/// first request's URL first): at most [`MAX_REDIRECTS`] hops and never from `https` to
/// plain `http`. The error says why, with the URLs redacted.
///
/// ```
/// use mast_proto::auth::check_redirect;
/// let u = |s: &str| url::Url::parse(s).unwrap();
/// assert!(check_redirect(&[u("https://mast.stsci.edu/a")], &u("https://mast.stsci.edu/b")).is_ok());
/// assert!(check_redirect(&[u("https://mast.stsci.edu/a")], &u("http://mast.stsci.edu/b")).is_err());
/// assert!(check_redirect(&[u("http://127.0.0.1:1/a")], &u("http://127.0.0.1:2/b")).is_ok());
/// ```
pub fn check_redirect(previous: &[url::Url], next: &url::Url) -> Result<(), String> {
    if previous.len() > MAX_REDIRECTS {
        return Err(format!(
            "too many redirects (more than {MAX_REDIRECTS}), the last to {}",
            redact_url(next.as_str())
        ));
    }
    let from_https = previous.last().is_some_and(|p| p.scheme() == "https");
    if from_https && next.scheme() != "https" {
        return Err(format!("refusing a redirect from https to {}", redact_url(next.as_str())));
    }
    Ok(())
}

/// Query parameter names whose values are masked by [`redact_url`], compared
/// case-insensitively; names containing `token`, `signature`, `password` or `secret`, and
/// names ending in `key`'s forms (`api_key`, `apikey`, `access-key`), are masked too.
const SECRET_PARAMS: [&str; 9] =
    ["sig", "key", "password", "passwd", "pwd", "x-amz-credential", "credential", "auth", "authorization"];

fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMS.contains(&name.as_str())
        || ["token", "signature", "password", "secret"].iter().any(|w| name.contains(w))
        || name.ends_with("_key")
        || name.ends_with("-key")
        || name == "apikey"
}

/// `url` fit for a log, an error message or a manifest: the user name and password
/// (`user:password@`) removed, and the values of secret-looking query parameters (`token`,
/// `mast_token`, `signature`, `X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token`,
/// `sig`, `key`, `password`, ...; case-insensitive) replaced by `***`. Everything else is
/// kept as it is, byte for byte (the text need not be a valid URL: a manifest's unescaped
/// `mast:` URL stays readable). Borrowed when nothing needed hiding.
///
/// ```
/// use mast_proto::redact_url;
/// assert_eq!(redact_url("http://user:pw@host:8080/a?uri=mast:x y.fits"), "http://host:8080/a?uri=mast:x y.fits");
/// assert_eq!(
///     redact_url("https://b.s3.amazonaws.com/k?X-Amz-Signature=abc&x-amz-credential=AK%2F1&n=2#f"),
///     "https://b.s3.amazonaws.com/k?X-Amz-Signature=***&x-amz-credential=***&n=2#f"
/// );
/// assert!(matches!(redact_url("https://mast.stsci.edu/x?uri=a"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn redact_url(url: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    // The authority: after "scheme://", up to the first '/', '?' or '#'.
    let mut rest_start = 0;
    if let Some(i) = url.find("://") {
        let auth_start = i + 3;
        let auth_end = url[auth_start..].find(['/', '?', '#']).map_or(url.len(), |j| auth_start + j);
        if let Some(at) = url[auth_start..auth_end].rfind('@') {
            let mut s = String::with_capacity(url.len());
            s.push_str(&url[..auth_start]);
            s.push_str(&url[auth_start + at + 1..auth_end]);
            out = Some(s);
            rest_start = auth_end;
        }
    }
    let query_start = url.find('?');
    let fragment_start = url.find('#');
    let redacted_query = match query_start {
        Some(q) if fragment_start.is_none_or(|f| f > q) => {
            let q_end = fragment_start.unwrap_or(url.len());
            let query = &url[q + 1..q_end];
            if query.split('&').any(|pair| is_secret_param(pair.split('=').next().unwrap_or(""))) {
                let masked: Vec<Cow<'_, str>> = query
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some((name, _)) if is_secret_param(name) => Cow::Owned(format!("{name}=***")),
                        _ => Cow::Borrowed(pair),
                    })
                    .collect();
                Some((q, q_end, masked.join("&")))
            } else {
                None
            }
        }
        _ => None,
    };
    match (out, redacted_query) {
        (None, None) => Cow::Borrowed(url),
        (Some(mut s), None) => {
            s.push_str(&url[rest_start..]);
            Cow::Owned(s)
        }
        (head, Some((q, q_end, query))) => {
            let mut s = match head {
                Some(mut s) => {
                    s.push_str(&url[rest_start.min(q)..q]);
                    s
                }
                None => url[..q].to_owned(),
            };
            s.push('?');
            s.push_str(&query);
            s.push_str(&url[q_end..]);
            Cow::Owned(s)
        }
    }
}

/// `text` with every `http://` or `https://` URL in it passed through [`redact_url`] (a URL
/// runs to the next whitespace, quote, `<`, `>` or a closing parenthesis that ends the
/// text or precedes whitespace), for messages that quote URLs, such as an HTTP library's
/// error text.
///
/// ```
/// use mast_proto::redact_text;
/// assert_eq!(
///     redact_text("error sending request for url (http://u:p@127.0.0.1:9/x?token=t): refused"),
///     "error sending request for url (http://127.0.0.1:9/x?token=***): refused"
/// );
/// ```
pub fn redact_text(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut done = 0;
    let mut search = 0;
    let mut changed = false;
    while let Some(found) = find_url_start(&text[search..]) {
        let start = search + found;
        let mut end = text[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
            .map_or(text.len(), |j| start + j);
        // A closing parenthesis or punctuation right before the end belongs to the text.
        while end > start && matches!(text.as_bytes()[end - 1], b')' | b',' | b';' | b':' | b'.') {
            end -= 1;
        }
        if let Cow::Owned(r) = redact_url(&text[start..end]) {
            out.push_str(&text[done..start]);
            out.push_str(&r);
            done = end;
            changed = true;
        }
        search = end.max(start + 1);
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[done..]);
    Cow::Owned(out)
}

fn find_url_start(text: &str) -> Option<usize> {
    let lower_http = text.find("http://");
    let lower_https = text.find("https://");
    match (lower_http, lower_https) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(s.to_string(), "***");
        let config = MastConfig::new().with_token(s.clone());
        assert!(!format!("{config:?}").contains("hunter2"));
        assert_eq!(config.token().map(Secret::expose), Some("hunter2"));
    }

    #[test]
    fn token_hosts() {
        let c = MastConfig::new().with_mast_url("http://127.0.0.1:8080").unwrap();
        assert!(may_send_token(&c, "http://127.0.0.1:8080/api/v0/invoke", RequestKind::Portal));
        assert!(!may_send_token(&c, "http://127.0.0.1:8081/api/v0/invoke", RequestKind::Portal));
        assert!(!may_send_token(&c, "http://localhost:8080/api/v0/invoke", RequestKind::Portal));
        assert!(!may_send_token(&c, "https://127.0.0.1:8080/x", RequestKind::Download));
        let d = MastConfig::new();
        assert!(may_send_token(
            &d,
            "https://catalogs.mast.stsci.edu/api/v0.1/panstarrs/dr2/mean.json",
            RequestKind::Services
        ));
        assert!(may_send_token(&d, "https://hla.stsci.edu/cgi-bin/getdata.cgi?x=1", RequestKind::Hla));
        assert!(may_send_token(&d, "https://mast.stsci.edu:443/api/v0.1/Download/file?uri=x", RequestKind::Download));
        assert!(!may_send_token(&d, "http://mastresolver.stsci.edu/Santa-war/query", RequestKind::Portal));
        assert!(!may_send_token(&d, "https://mast.stsci.edu.evil.example/x", RequestKind::Download));
        assert!(!may_send_token(&d, "https://s3.us-east-1.amazonaws.com/stpubdata/x", RequestKind::Download));
        assert!(!may_send_token(&d, "https://mast.stsci.edu/x", RequestKind::S3));
        assert!(!may_send_token(&d, "https://mast.stsci.edu/search/util/api/v0.1/column_list", RequestKind::Metadata));
        assert!(!may_send_token(&d, "not a url", RequestKind::Portal));
        assert!(!may_send_token(&d, "ftp://mast.stsci.edu/x", RequestKind::Portal));
    }

    #[test]
    fn redirects() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        let chain: Vec<url::Url> = (0..=MAX_REDIRECTS).map(|i| u(&format!("https://a/{i}"))).collect();
        assert!(check_redirect(&chain[..MAX_REDIRECTS], &u("https://a/x")).is_ok());
        let err = check_redirect(&chain, &u("https://a/x?token=t")).unwrap_err();
        assert!(err.contains("too many redirects") && !err.contains("token=t"), "{err}");
        let err = check_redirect(&[u("http://a/"), u("https://a/")], &u("http://u:p@b/")).unwrap_err();
        assert!(err.contains("https to http://b/"), "{err}");
        assert!(check_redirect(&[u("https://a/"), u("http://a/")], &u("http://b/")).is_ok(), "only https -> http");
        assert!(check_redirect(&[u("http://a/")], &u("https://b/")).is_ok());
    }

    #[test]
    fn redaction() {
        let cases = [
            ("http://user:pw@host/path", "http://host/path"),
            ("http://user@host", "http://host"),
            ("https://u:p@h:1?token=abc&x=1", "https://h:1?token=***&x=1"),
            (
                "https://h/p?Token=a&MAST_TOKEN=b&access_token=c",
                "https://h/p?Token=***&MAST_TOKEN=***&access_token=***",
            ),
            (
                "https://h/k?X-Amz-Algorithm=A&X-Amz-Credential=c&X-Amz-Security-Token=s&X-Amz-Signature=z",
                "https://h/k?X-Amz-Algorithm=A&X-Amz-Credential=***&X-Amz-Security-Token=***&X-Amz-Signature=***",
            ),
            (
                "https://h/?sig=1&key=2&password=3&api_key=4&keyword=5",
                "https://h/?sig=***&key=***&password=***&api_key=***&keyword=5",
            ),
            ("https://h/p#token=frag", "https://h/p#token=frag"),
            ("https://h/p?a=b#x?token=c", "https://h/p?a=b#x?token=c"),
            ("https://h/p?uri=mast:HST/a b+c.fits", "https://h/p?uri=mast:HST/a b+c.fits"),
            ("https://h/p/u@x?token", "https://h/p/u@x?token"),
            ("s3://stpubdata/hst/x.fits", "s3://stpubdata/hst/x.fits"),
            ("", ""),
            ("://@", "://"),
            ("?", "?"),
            ("?token=1", "?token=***"),
            ("http://a:b@c?d=e@f&secret=1#g", "http://c?d=e@f&secret=***#g"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_url(input), want, "{input}");
        }
        assert!(matches!(redact_url("https://h/p?x=1"), Cow::Borrowed(_)));
    }

    #[test]
    fn redaction_in_text() {
        assert_eq!(redact_text("no urls here"), "no urls here");
        assert_eq!(redact_text("a http://u:p@h/x, then https://h/y?sig=1."), "a http://h/x, then https://h/y?sig=***.");
        assert_eq!(redact_text("(https://u:p@h)"), "(https://h)");
        assert_eq!(redact_text("https://"), "https://");
        assert_eq!(redact_text("http://a http://b:c@d"), "http://a http://d");
        // Never panics on odd text.
        for s in ["http://@", "https://@@@?&&==", "http://é@ü?tokén=ä", "xhttps://a:b@c"] {
            let _ = redact_text(s);
            let _ = redact_url(s);
        }
    }
}
