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
    /// Wall-clock budget of one logical query, all polls, pages and retries (`MAST_TIMEOUT`).
    pub const TIMEOUT: Duration = Duration::from_secs(600);
    /// Connection set-up limit (`MAST_CONNECT_TIMEOUT`).
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// Longest wait for the response head from the Portal, the resolver, downloads and S3
    /// (`MAST_FIRST_BYTE_TIMEOUT`): the Portal answers quickly (with EXECUTING when it needs
    /// time), so a longer silence is a stalled connection, retried.
    pub const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(20);
    /// Longest wait for the response head from the services API, the catalogs API and the
    /// cutout services, which compute before they answer (`MAST_SERVICES_FIRST_BYTE_TIMEOUT`).
    pub const SERVICES_FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(300);
    /// Longest silence while a body streams (`MAST_IDLE_TIMEOUT`); a body that keeps flowing
    /// has no time limit of its own.
    pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
    /// Attempts after the first one (`MAST_RETRIES`).
    pub const RETRIES: u32 = 5;
    /// First back-off delay; doubles per retry, with jitter.
    pub const BACKOFF_BASE: Duration = Duration::from_millis(250);
    /// Longest single back-off delay chosen by the client.
    pub const BACKOFF_MAX: Duration = Duration::from_secs(15);
    /// Longest `Retry-After` honoured (`MAST_RETRY_AFTER_MAX`); a server asking for more is
    /// waited for this long (and the cap is logged).
    pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(60);
    /// Largest response body read into memory (`MAST_MAX_RESPONSE_BYTES`): a Portal page of
    /// 50,000 CAOM rows is about 45 MB. Downloads stream to disk and are not bounded by it.
    pub const MAX_RESPONSE_BYTES: u64 = 1 << 30;
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
/// | connect timeout | `MAST_CONNECT_TIMEOUT` (s) | 10 |
/// | first byte, Portal/resolver/downloads/S3 | `MAST_FIRST_BYTE_TIMEOUT` (s) | 20 |
/// | first byte, services/catalogs/cutouts | `MAST_SERVICES_FIRST_BYTE_TIMEOUT` (s) | 300 |
/// | idle body (no bytes for) | `MAST_IDLE_TIMEOUT` (s) | 10 |
/// | retries | `MAST_RETRIES` | 5 |
/// | longest `Retry-After` honoured | `MAST_RETRY_AFTER_MAX` (s) | 60 |
/// | largest body read into memory | `MAST_MAX_RESPONSE_BYTES` | 1 GiB |
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
    first_byte_timeout: Duration,
    services_first_byte_timeout: Duration,
    idle_timeout: Duration,
    retries: u32,
    backoff_base: Duration,
    backoff_max: Duration,
    retry_after_max: Duration,
    max_response_bytes: u64,
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
            first_byte_timeout: defaults::FIRST_BYTE_TIMEOUT,
            services_first_byte_timeout: defaults::SERVICES_FIRST_BYTE_TIMEOUT,
            idle_timeout: defaults::IDLE_TIMEOUT,
            retries: defaults::RETRIES,
            backoff_base: defaults::BACKOFF_BASE,
            backoff_max: defaults::BACKOFF_MAX,
            retry_after_max: defaults::RETRY_AFTER_MAX,
            max_response_bytes: defaults::MAX_RESPONSE_BYTES,
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
    "MAST_CONNECT_TIMEOUT",
    "MAST_FIRST_BYTE_TIMEOUT",
    "MAST_SERVICES_FIRST_BYTE_TIMEOUT",
    "MAST_IDLE_TIMEOUT",
    "MAST_RETRIES",
    "MAST_RETRY_AFTER_MAX",
    "MAST_MAX_RESPONSE_BYTES",
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
    ///
    /// Numbers are checked here: durations are seconds in `0..=`[`MAX_SECONDS`] (a
    /// fraction is allowed), counts and sizes are whole numbers within their documented
    /// bounds; anything else (negative, NaN, infinite, `1e20`, text) is an [`Error::Config`]
    /// naming the key.
    ///
    /// ```
    /// use mast_proto::MastConfig;
    /// let config = MastConfig::new().set("MAST_IDLE_TIMEOUT", "2.5")?;
    /// assert_eq!(config.idle_timeout().as_millis(), 2500);
    /// for bad in ["-1", "nan", "inf", "1e20", "soon"] {
    ///     assert!(MastConfig::new().set("MAST_TIMEOUT", bad).is_err(), "{bad}");
    /// }
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn set(self, key: &str, value: &str) -> Result<Self> {
        let value = value.trim();
        let seconds = || seconds(key, value);
        let count = |max: u64| whole(key, value, max);
        Ok(match key {
            "MAST_URL" => self.with_mast_url(value)?,
            "MAST_CATALOGS_URL" => self.with_catalogs_url(value)?,
            "MAST_RESOLVER_URL" => self.with_resolver_url(value)?,
            "MAST_HLA_URL" => self.with_hla_url(value)?,
            "MAST_S3_ENDPOINT" => self.with_s3_endpoint(value)?,
            "MAST_S3_BUCKET" => self.with_s3_bucket(value),
            "MAST_TIMEOUT" => self.with_timeout(seconds()?),
            "MAST_CONNECT_TIMEOUT" => self.with_connect_timeout(seconds()?),
            "MAST_FIRST_BYTE_TIMEOUT" => self.with_first_byte_timeout(seconds()?),
            "MAST_SERVICES_FIRST_BYTE_TIMEOUT" => self.with_services_first_byte_timeout(seconds()?),
            "MAST_IDLE_TIMEOUT" => self.with_idle_timeout(seconds()?),
            "MAST_RETRIES" => self.with_retries(count(u64::from(MAX_RETRIES))? as u32),
            "MAST_RETRY_AFTER_MAX" => self.with_retry_after_max(seconds()?),
            "MAST_MAX_RESPONSE_BYTES" => self.with_max_response_bytes(count(u64::MAX)?),
            "MAST_PAGESIZE" => self.with_pagesize(count(MAX_PAGESIZE)?.max(1)),
            "MAST_PAGE_CONCURRENCY" => self.with_page_concurrency(count(MAX_PAGE_CONCURRENCY as u64)? as usize),
            "MAST_API_TOKEN" => self.with_token(Secret::new(value)),
            _ => return Err(Error::Config { key: key.to_owned(), message: "unknown configuration key".into() }),
        })
    }

    /// Checks the values a builder method took as they are (durations, counts): every
    /// duration at most [`MAX_SECONDS`], retries at most [`MAX_RETRIES`], page concurrency at
    /// most [`MAX_PAGE_CONCURRENCY`]. [`crate::MastClient::new`] calls it, so a client never
    /// runs with a value that would overflow a deadline.
    ///
    /// ```
    /// use std::time::Duration;
    /// use mast_proto::MastConfig;
    /// assert!(MastConfig::new().validate().is_ok());
    /// let err = MastConfig::new().with_timeout(Duration::from_secs(u64::MAX)).validate().unwrap_err();
    /// assert!(err.to_string().contains("MAST_TIMEOUT"), "{err}");
    /// ```
    pub fn validate(&self) -> Result<()> {
        let limit = Duration::from_secs(MAX_SECONDS);
        for (key, value) in [
            ("MAST_TIMEOUT", self.timeout),
            ("MAST_CONNECT_TIMEOUT", self.connect_timeout),
            ("MAST_FIRST_BYTE_TIMEOUT", self.first_byte_timeout),
            ("MAST_SERVICES_FIRST_BYTE_TIMEOUT", self.services_first_byte_timeout),
            ("MAST_IDLE_TIMEOUT", self.idle_timeout),
            ("MAST_RETRY_AFTER_MAX", self.retry_after_max),
            ("backoff", self.backoff_max),
        ] {
            if value > limit {
                return Err(Error::Config {
                    key: key.to_owned(),
                    message: format!("{} s is more than the largest accepted value, {MAX_SECONDS} s", value.as_secs()),
                });
            }
        }
        if self.retries > MAX_RETRIES {
            return Err(Error::Config {
                key: "MAST_RETRIES".into(),
                message: format!("{} is more than the largest accepted value, {MAX_RETRIES}", self.retries),
            });
        }
        if self.page_concurrency > MAX_PAGE_CONCURRENCY {
            return Err(Error::Config {
                key: "MAST_PAGE_CONCURRENCY".into(),
                message: format!(
                    "{} is more than the largest accepted value, {MAX_PAGE_CONCURRENCY}",
                    self.page_concurrency
                ),
            });
        }
        Ok(())
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
    /// Sets the longest wait for a response head from the Portal, the resolver, downloads
    /// and S3.
    pub fn with_first_byte_timeout(mut self, timeout: Duration) -> Self {
        self.first_byte_timeout = timeout;
        self
    }
    /// Sets the longest wait for a response head from the services API, the catalogs API
    /// and the cutout services.
    pub fn with_services_first_byte_timeout(mut self, timeout: Duration) -> Self {
        self.services_first_byte_timeout = timeout;
        self
    }
    /// Sets the longest silence tolerated while a body streams.
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }
    /// Sets how many times a failed request is retried.
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
    /// Sets the longest `Retry-After` honoured.
    pub fn with_retry_after_max(mut self, max: Duration) -> Self {
        self.retry_after_max = max;
        self
    }
    /// Sets the largest response body read into memory.
    pub fn with_max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
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
    /// `Debug` output. An empty token is no token. This is the token a client starts with;
    /// `MastClient::set_token` (feature `client`) changes it later for every clone of the
    /// client.
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

    /// The configured MAST API token, if one is set (the one a client starts with).
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
    /// Longest wait for a response head (Portal, resolver, downloads, S3).
    pub fn first_byte_timeout(&self) -> Duration {
        self.first_byte_timeout
    }
    /// Longest wait for a response head (services, catalogs, cutouts).
    pub fn services_first_byte_timeout(&self) -> Duration {
        self.services_first_byte_timeout
    }
    /// Longest silence while a body streams.
    pub fn idle_timeout(&self) -> Duration {
        self.idle_timeout
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
    /// Longest `Retry-After` honoured.
    pub fn retry_after_max(&self) -> Duration {
        self.retry_after_max
    }
    /// Largest response body read into memory.
    pub fn max_response_bytes(&self) -> u64 {
        self.max_response_bytes
    }
    /// The retry policy these settings describe.
    pub fn retry_policy(&self) -> crate::RetryPolicy {
        crate::RetryPolicy {
            retries: self.retries,
            backoff_base: self.backoff_base,
            backoff_max: self.backoff_max,
            retry_after_max: self.retry_after_max,
        }
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

    /// The configured base URL of `host` (no trailing slash).
    pub fn host_url(&self, host: crate::endpoints::Host) -> &str {
        use crate::endpoints::Host;
        match host {
            Host::Mast => &self.mast_url,
            Host::Catalogs => &self.catalogs_url,
            Host::Resolver => &self.resolver_url,
            Host::Hla => &self.hla_url,
            Host::S3 => &self.s3_endpoint,
        }
    }
    /// The URL of an endpoint with a fixed path: its host's base URL and its path. A
    /// parameterised endpoint needs [`MastConfig::url_with`] (here its `{...}` template would
    /// come out as it is).
    ///
    /// ```
    /// use mast_proto::{MastConfig, endpoints};
    /// let config = MastConfig::new().with_all_urls("http://127.0.0.1:8080")?;
    /// assert_eq!(config.url(&endpoints::DOWNLOAD_FILE), "http://127.0.0.1:8080/api/v0.1/Download/file");
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn url(&self, endpoint: &crate::endpoints::Endpoint) -> String {
        format!("{}{}", self.host_url(endpoint.host), endpoint.path)
    }
    /// The URL of an endpoint with its path parameters filled in ([`crate::endpoints::Endpoint::path_with`]).
    ///
    /// ```
    /// use mast_proto::{MastConfig, endpoints};
    /// let url = MastConfig::new().url_with(&endpoints::MISSIONS_SEARCH, &["hst"])?;
    /// assert_eq!(url, "https://mast.stsci.edu/search/hst/api/v0.1/search");
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn url_with(&self, endpoint: &crate::endpoints::Endpoint, params: &[&str]) -> Result<String> {
        Ok(format!("{}{}", self.host_url(endpoint.host), endpoint.path_with(params)?))
    }
    /// `POST` target of Portal requests ([`crate::endpoints::INVOKE`]).
    pub fn invoke_url(&self) -> String {
        self.url(&crate::endpoints::INVOKE)
    }
    /// `POST` target of columns-config requests ([`crate::endpoints::COLUMNS_CONFIG`]).
    pub fn column_config_url(&self) -> String {
        self.url(&crate::endpoints::COLUMNS_CONFIG)
    }
    /// `GET` target of the SANTA name resolver ([`crate::endpoints::SANTA`]).
    pub fn santa_url(&self) -> String {
        self.url(&crate::endpoints::SANTA)
    }

    /// Whether `url` points at one of the configured MAST hosts (scheme, host and port
    /// equal). Credentials are only ever sent to these.
    pub fn is_mast_host(&self, url: &str) -> bool {
        use crate::endpoints::Host;
        self.is_origin_of(url, &[Host::Mast, Host::Catalogs, Host::Resolver, Host::Hla])
    }

    /// Whether `url` has the scheme, host and port of one of `hosts`' configured base URLs.
    pub fn is_origin_of(&self, url: &str, hosts: &[crate::endpoints::Host]) -> bool {
        let Ok(target) = url::Url::parse(url) else { return false };
        hosts.iter().any(|host| {
            url::Url::parse(self.host_url(*host)).is_ok_and(|b| {
                b.scheme() == target.scheme()
                    && b.host_str() == target.host_str()
                    && b.port_or_known_default() == target.port_or_known_default()
            })
        })
    }
}

/// Largest duration accepted for any timeout or delay setting: 30 days.
pub const MAX_SECONDS: u64 = 30 * 24 * 3600;
/// Largest retry count accepted.
pub const MAX_RETRIES: u32 = 100;
/// Largest page concurrency accepted (MAST asks for at most 4).
pub const MAX_PAGE_CONCURRENCY: usize = 64;
/// Largest page size accepted.
pub const MAX_PAGESIZE: u64 = 10_000_000;

/// A duration in seconds from configuration text: finite, not negative, at most
/// [`MAX_SECONDS`].
fn seconds(key: &str, value: &str) -> Result<Duration> {
    let secs = crate::pyparse::parse_float(value)
        .filter(|x| x.is_finite() && *x >= 0.0 && *x <= MAX_SECONDS as f64)
        .ok_or_else(|| Error::Config {
            key: key.to_owned(),
            message: format!("{value:?} is not a number of seconds between 0 and {MAX_SECONDS}"),
        })?;
    Ok(Duration::from_secs_f64(secs))
}

/// A whole number from configuration text, at most `max`.
fn whole(key: &str, value: &str, max: u64) -> Result<u64> {
    value.parse::<u64>().ok().filter(|n| *n <= max).ok_or_else(|| Error::Config {
        key: key.to_owned(),
        message: format!("{value:?} is not a whole number between 0 and {max}"),
    })
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
