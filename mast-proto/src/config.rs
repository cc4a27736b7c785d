//! [`MastConfig`]: where MAST is and how hard to try. One scheme everywhere: every field has
//! a builder method, an environment variable and (in the `mast` CLI) a flag.

use std::time::Duration;

use crate::{Error, Result, Secret};

/// The real MAST hosts and astroquery's limits; see [`MastConfig`].
pub mod defaults {
    use std::time::Duration;
    /// Portal, column config, downloads, cutouts, mission search (`MAST_URL`).
    pub const MAST_URL: &str = "https://mast.stsci.edu";
    /// Catalogs API (`MAST_CATALOGS_URL`).
    pub const CATALOGS_URL: &str = "https://catalogs.mast.stsci.edu";
    /// SANTA name resolver (`MAST_RESOLVER_URL`); plain HTTP as astroquery uses it.
    pub const RESOLVER_URL: &str = "http://mastresolver.stsci.edu";
    /// Hubble Legacy Archive, for HSC spectra (`MAST_HLA_URL`).
    pub const HLA_URL: &str = "https://hla.stsci.edu";
    /// Public S3 endpoint (`MAST_S3_ENDPOINT`).
    pub const S3_ENDPOINT: &str = "https://s3.us-east-1.amazonaws.com";
    /// Public S3 bucket (`MAST_S3_BUCKET`).
    pub const S3_BUCKET: &str = "stpubdata";
    /// Wall-clock budget of one logical query, all polls and pages (`MAST_TIMEOUT`, seconds).
    pub const TIMEOUT: Duration = Duration::from_secs(600);
    /// Connection set-up limit.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
    /// Longest silence while reading a response (`MAST_READ_TIMEOUT`, seconds).
    pub const READ_TIMEOUT: Duration = Duration::from_secs(300);
    /// Attempts after the first one for idempotent requests (`MAST_RETRIES`).
    pub const RETRIES: u32 = 5;
    /// First back-off delay; doubles per retry, with jitter.
    pub const BACKOFF_BASE: Duration = Duration::from_millis(250);
    /// Longest single back-off delay (a longer `Retry-After` is honoured up to this cap ×4).
    pub const BACKOFF_MAX: Duration = Duration::from_secs(15);
    /// Rows per Portal page (`MAST_PAGESIZE`), astroquery's `conf.pagesize`.
    pub const PAGESIZE: u64 = 50_000;
    /// Portal pages fetched at once (`MAST_PAGE_CONCURRENCY`).
    pub const PAGE_CONCURRENCY: usize = 4;
    /// Names per resolver request, as astroquery.
    pub const RESOLVER_BATCH: usize = 30;
    /// How long a fetched columns config is reused.
    pub const COLUMN_CONFIG_TTL: Duration = Duration::from_secs(3600);
}

/// Where MAST is and how the client talks to it.
///
/// Defaults are the real MAST hosts, so the library works unchanged for real users; every
/// field can be overridden by a builder method or an environment variable
/// ([`MastConfig::from_env`]), which is how tests and the `mast --emulator` flag point
/// everything at a local emulator.
///
/// | field | env | default |
/// |---|---|---|
/// | portal/site base | `MAST_URL` | `https://mast.stsci.edu` |
/// | catalogs API | `MAST_CATALOGS_URL` | `https://catalogs.mast.stsci.edu` |
/// | name resolver | `MAST_RESOLVER_URL` | `http://mastresolver.stsci.edu` |
/// | HLA | `MAST_HLA_URL` | `https://hla.stsci.edu` |
/// | S3 endpoint / bucket | `MAST_S3_ENDPOINT` / `MAST_S3_BUCKET` | AWS us-east-1 / `stpubdata` |
/// | query budget | `MAST_TIMEOUT` (s) | 600 |
/// | read timeout | `MAST_READ_TIMEOUT` (s) | 300 |
/// | retries | `MAST_RETRIES` | 5 |
/// | rows per page | `MAST_PAGESIZE` | 50000 |
/// | pages at once | `MAST_PAGE_CONCURRENCY` | 4 |
/// | MAST API token | `MAST_API_TOKEN` | none (see [`MastConfig::with_token`]) |
///
/// ```
/// use mast_proto::MastConfig;
/// let config = MastConfig::new().with_mast_url("http://127.0.0.1:8080/")?.with_page_concurrency(2);
/// assert_eq!(config.mast_url(), "http://127.0.0.1:8080");
/// assert_eq!(config.invoke_url(), "http://127.0.0.1:8080/api/v0/invoke");
/// assert_eq!(config.resolver_url(), "http://mastresolver.stsci.edu");
/// # Ok::<(), mast_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MastConfig {
    mast_url: String,
    catalogs_url: String,
    resolver_url: String,
    hla_url: String,
    s3_endpoint: String,
    s3_bucket: String,
    timeout: Duration,
    connect_timeout: Duration,
    read_timeout: Duration,
    retries: u32,
    backoff_base: Duration,
    backoff_max: Duration,
    pagesize: u64,
    page_concurrency: usize,
    user_agent: String,
    token: Option<Secret>,
}

impl Default for MastConfig {
    fn default() -> Self {
        MastConfig {
            mast_url: defaults::MAST_URL.into(),
            catalogs_url: defaults::CATALOGS_URL.into(),
            resolver_url: defaults::RESOLVER_URL.into(),
            hla_url: defaults::HLA_URL.into(),
            s3_endpoint: defaults::S3_ENDPOINT.into(),
            s3_bucket: defaults::S3_BUCKET.into(),
            timeout: defaults::TIMEOUT,
            connect_timeout: defaults::CONNECT_TIMEOUT,
            read_timeout: defaults::READ_TIMEOUT,
            retries: defaults::RETRIES,
            backoff_base: defaults::BACKOFF_BASE,
            backoff_max: defaults::BACKOFF_MAX,
            pagesize: defaults::PAGESIZE,
            page_concurrency: defaults::PAGE_CONCURRENCY,
            user_agent: concat!("mast-rs/", env!("CARGO_PKG_VERSION")).into(),
            token: None,
        }
    }
}

/// The environment variables [`MastConfig::from_env`] reads.
pub const ENV_VARS: &[&str] = &[
    "MAST_URL",
    "MAST_CATALOGS_URL",
    "MAST_RESOLVER_URL",
    "MAST_HLA_URL",
    "MAST_S3_ENDPOINT",
    "MAST_S3_BUCKET",
    "MAST_TIMEOUT",
    "MAST_READ_TIMEOUT",
    "MAST_RETRIES",
    "MAST_PAGESIZE",
    "MAST_PAGE_CONCURRENCY",
    "MAST_API_TOKEN",
];

impl MastConfig {
    /// The defaults: real MAST hosts, astroquery's limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// The defaults overridden by the `MAST_*` environment variables that are set (see the
    /// table on [`MastConfig`]). An unparsable value is an [`Error::Config`] naming it.
    pub fn from_env() -> Result<Self> {
        Self::new().with_env_from(|k| std::env::var(k).ok())
    }

    /// Like [`MastConfig::from_env`], reading variables through `get` (for tests and for
    /// callers with their own configuration source).
    pub fn with_env_from(mut self, get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        for key in ENV_VARS {
            if let Some(value) = get(key).filter(|v| !v.trim().is_empty()) {
                self = self.set(key, &value)?;
            }
        }
        Ok(self)
    }

    /// Sets one field by its environment-variable name (`MAST_URL`, `MAST_RETRIES`, ...).
    pub fn set(self, key: &str, value: &str) -> Result<Self> {
        let value = value.trim();
        let number = |what: &str| -> Result<f64> {
            value.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0).ok_or_else(|| Error::Config {
                key: key.to_owned(),
                message: format!("{value:?} is not a valid {what}"),
            })
        };
        Ok(match key {
            "MAST_URL" => self.with_mast_url(value)?,
            "MAST_CATALOGS_URL" => self.with_catalogs_url(value)?,
            "MAST_RESOLVER_URL" => self.with_resolver_url(value)?,
            "MAST_HLA_URL" => self.with_hla_url(value)?,
            "MAST_S3_ENDPOINT" => self.with_s3_endpoint(value)?,
            "MAST_S3_BUCKET" => self.with_s3_bucket(value),
            "MAST_TIMEOUT" => self.with_timeout(Duration::from_secs_f64(number("number of seconds")?)),
            "MAST_READ_TIMEOUT" => self.with_read_timeout(Duration::from_secs_f64(number("number of seconds")?)),
            "MAST_RETRIES" => self.with_retries(number("retry count")? as u32),
            "MAST_PAGESIZE" => self.with_pagesize((number("page size")? as u64).max(1)),
            "MAST_PAGE_CONCURRENCY" => self.with_page_concurrency(number("concurrency")? as usize),
            "MAST_API_TOKEN" => self.with_token(Secret::new(value)),
            _ => return Err(Error::Config { key: key.to_owned(), message: "unknown configuration key".into() }),
        })
    }

    /// Sets the main MAST base URL.
    pub fn with_mast_url(mut self, url: &str) -> Result<Self> {
        self.mast_url = base_url("MAST_URL", url)?;
        Ok(self)
    }
    /// Sets the catalogs API base URL.
    pub fn with_catalogs_url(mut self, url: &str) -> Result<Self> {
        self.catalogs_url = base_url("MAST_CATALOGS_URL", url)?;
        Ok(self)
    }
    /// Sets the name resolver base URL.
    pub fn with_resolver_url(mut self, url: &str) -> Result<Self> {
        self.resolver_url = base_url("MAST_RESOLVER_URL", url)?;
        Ok(self)
    }
    /// Sets the HLA base URL.
    pub fn with_hla_url(mut self, url: &str) -> Result<Self> {
        self.hla_url = base_url("MAST_HLA_URL", url)?;
        Ok(self)
    }
    /// Sets the S3 endpoint.
    pub fn with_s3_endpoint(mut self, url: &str) -> Result<Self> {
        self.s3_endpoint = base_url("MAST_S3_ENDPOINT", url)?;
        Ok(self)
    }
    /// Sets the S3 bucket.
    pub fn with_s3_bucket(mut self, bucket: &str) -> Self {
        self.s3_bucket = bucket.to_owned();
        self
    }
    /// Points every MAST host (main, catalogs, resolver, HLA, S3) at one base URL, as the
    /// emulator serves them all on one port.
    pub fn with_all_urls(self, url: &str) -> Result<Self> {
        self.with_mast_url(url)?
            .with_catalogs_url(url)?
            .with_resolver_url(url)?
            .with_hla_url(url)?
            .with_s3_endpoint(url)
    }
    /// Sets the wall-clock budget of one logical query (all polls, pages and retries).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// Sets the connection set-up limit.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
    /// Sets the longest silence tolerated while reading a response.
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }
    /// Sets how many times a failed idempotent request is retried.
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }
    /// Sets the first and the longest back-off delay.
    pub fn with_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_max = max.max(base);
        self
    }
    /// Sets the rows per Portal page.
    pub fn with_pagesize(mut self, pagesize: u64) -> Self {
        self.pagesize = pagesize.max(1);
        self
    }
    /// Sets how many Portal pages (or batches) are fetched at once (at least 1).
    pub fn with_page_concurrency(mut self, n: usize) -> Self {
        self.page_concurrency = n.max(1);
        self
    }
    /// Sets the User-Agent (default `mast-rs/<version>`).
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sets the MAST API token (astroquery's `mast_token`; env `MAST_API_TOKEN`). It is sent
    /// as the cookie `mast_token=<token>` on the requests astroquery sends it on, and only to
    /// the configured MAST hosts ([`crate::auth::may_send_token`]); it never appears in
    /// `Debug` output. An empty token is no token.
    ///
    /// ```
    /// use mast_proto::{MastConfig, Secret};
    /// let config = MastConfig::new().with_token(Secret::new("abc123"));
    /// assert_eq!(config.token().map(Secret::expose), Some("abc123"));
    /// assert!(!format!("{config:?}").contains("abc123"));
    /// ```
    pub fn with_token(mut self, token: Secret) -> Self {
        self.token = (!token.is_empty()).then_some(token);
        self
    }

    /// The MAST API token, if one is set.
    pub fn token(&self) -> Option<&Secret> {
        self.token.as_ref()
    }

    /// Main MAST base URL (no trailing slash).
    pub fn mast_url(&self) -> &str {
        &self.mast_url
    }
    /// Catalogs API base URL.
    pub fn catalogs_url(&self) -> &str {
        &self.catalogs_url
    }
    /// Name resolver base URL.
    pub fn resolver_url(&self) -> &str {
        &self.resolver_url
    }
    /// HLA base URL.
    pub fn hla_url(&self) -> &str {
        &self.hla_url
    }
    /// S3 endpoint.
    pub fn s3_endpoint(&self) -> &str {
        &self.s3_endpoint
    }
    /// S3 bucket.
    pub fn s3_bucket(&self) -> &str {
        &self.s3_bucket
    }
    /// Wall-clock budget of one logical query.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
    /// Connection set-up limit.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }
    /// Read timeout.
    pub fn read_timeout(&self) -> Duration {
        self.read_timeout
    }
    /// Retries after the first attempt.
    pub fn retries(&self) -> u32 {
        self.retries
    }
    /// First back-off delay.
    pub fn backoff_base(&self) -> Duration {
        self.backoff_base
    }
    /// Longest back-off delay.
    pub fn backoff_max(&self) -> Duration {
        self.backoff_max
    }
    /// Rows per Portal page.
    pub fn pagesize(&self) -> u64 {
        self.pagesize
    }
    /// Pages fetched at once.
    pub fn page_concurrency(&self) -> usize {
        self.page_concurrency
    }
    /// User-Agent header value.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// `POST` target of Portal requests.
    pub fn invoke_url(&self) -> String {
        format!("{}/api/v0/invoke", self.mast_url)
    }
    /// `POST` target of columns-config requests.
    pub fn column_config_url(&self) -> String {
        format!("{}/portal/Mashup/Mashup.asmx/columnsconfig", self.mast_url)
    }
    /// `GET` target of the SANTA name resolver.
    pub fn santa_url(&self) -> String {
        format!("{}/Santa-war/query", self.resolver_url)
    }

    /// Whether `url` points at one of the configured MAST hosts (scheme, host and port
    /// equal). Credentials are only ever sent to these.
    pub fn is_mast_host(&self, url: &str) -> bool {
        let Ok(target) = url::Url::parse(url) else { return false };
        [&self.mast_url, &self.catalogs_url, &self.resolver_url, &self.hla_url].iter().any(|base| {
            url::Url::parse(base).is_ok_and(|b| {
                b.scheme() == target.scheme()
                    && b.host_str() == target.host_str()
                    && b.port_or_known_default() == target.port_or_known_default()
            })
        })
    }
}

fn base_url(key: &str, url: &str) -> Result<String> {
    let trimmed = url.trim().trim_end_matches('/');
    match url::Url::parse(trimmed) {
        Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host_str().is_some() => Ok(trimmed.to_owned()),
        Ok(u) => Err(Error::Config {
            key: key.to_owned(),
            message: format!("{url:?} is not an http(s) URL with a host (scheme {:?})", u.scheme()),
        }),
        Err(e) => Err(Error::Config {
            key: key.to_owned(),
            message: format!("{url:?} is not a URL ({e}); expected e.g. https://mast.stsci.edu"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_and_errors_name_the_variable() {
        let env = |k: &str| match k {
            "MAST_URL" => Some("http://127.0.0.1:9/".to_owned()),
            "MAST_RETRIES" => Some("2".to_owned()),
            "MAST_S3_BUCKET" => Some("mirror".to_owned()),
            _ => None,
        };
        let c = MastConfig::new().with_env_from(env).unwrap();
        assert_eq!(c.mast_url(), "http://127.0.0.1:9");
        assert_eq!(c.retries(), 2);
        assert_eq!(c.s3_bucket(), "mirror");
        assert_eq!(c.catalogs_url(), defaults::CATALOGS_URL);

        let err = MastConfig::new().with_env_from(|k| (k == "MAST_TIMEOUT").then(|| "soon".to_owned())).unwrap_err();
        assert!(err.to_string().contains("MAST_TIMEOUT"), "{err}");
        let err = MastConfig::new().with_mast_url("ftp://x").unwrap_err();
        assert!(err.to_string().contains("MAST_URL"), "{err}");
        assert!(MastConfig::new().with_mast_url("not a url").is_err());
    }

    #[test]
    fn mast_host_check() {
        let c = MastConfig::new();
        assert!(c.is_mast_host("https://mast.stsci.edu/api/v0/invoke"));
        assert!(c.is_mast_host("https://mast.stsci.edu:443/x"));
        assert!(!c.is_mast_host("https://mast.stsci.edu.evil.example/x"));
        assert!(!c.is_mast_host("http://mast.stsci.edu/x"));
        assert!(!c.is_mast_host("https://s3.amazonaws.com/stpubdata/x"));
    }
}
