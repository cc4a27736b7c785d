//! The HTTP executor (feature `client`): [`MastClient`] runs Portal queries (polling,
//! concurrent paging, retries) and [`Mast`] offers astroquery's direct queries and name
//! resolution on top of it.

mod cloud;
mod http;
mod mast;
mod portal;
mod resolver;
mod services;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

pub use http::{Patience, Retrier};
pub use mast::Mast;
pub use resolver::{
    MAX_OBJECT_NAME_CHARS, NameResolver, Resolution, ResolveOptions, ResolvedObject, check_object_name,
};

use crate::auth::RequestKind;
use crate::{ColumnConfig, Error, MastConfig, Result, Secret};

/// A cheap-to-clone handle to MAST: one connection pool, one configuration, one cache of
/// columns configs.
///
/// Every request is bounded: a connect timeout, a first-byte timeout by kind of service
/// ([`Patience`]), an idle timeout while a body streams, a wall-clock budget per logical
/// query ([`MastConfig::timeout`]), a bounded number of retries ([`MastClient::with_retries`],
/// the one retry loop) with exponential back-off and jitter that honours `Retry-After`, a
/// cap on the size of a body read into memory, and at most
/// [`MastConfig::page_concurrency`] requests in flight per client, however many queries,
/// pages and batches run at once.
///
/// ```no_run
/// use mast_proto::{MastClient, MastConfig, ServiceRequest};
/// # async fn run() -> mast_proto::Result<()> {
/// let client = MastClient::new(MastConfig::from_env()?)?;
/// let table = client
///     .portal_table(ServiceRequest::new("Mast.Caom.Cone").param("ra", 184.3).param("dec", 54.5).param("radius", 0.2))
///     .await?;
/// println!("{table}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MastClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: MastConfig,
    /// Bounds the requests in flight across every query of this client (pages, batches,
    /// resolver calls), so nested fan-out never exceeds `page_concurrency`.
    in_flight: tokio::sync::Semaphore,
    column_configs: Mutex<HashMap<String, (Instant, Arc<ColumnConfig>)>>,
    /// The MAST API token requests carry now: the configured one at first, then whatever
    /// [`MastClient::set_token`] put here. Shared by every clone, so logging in or out
    /// through one handle (mast-auth's `MastAuth`) applies to every query made with any.
    token: RwLock<Option<Secret>>,
}

impl std::fmt::Debug for MastClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MastClient").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

impl MastClient {
    /// A client for `config`.
    ///
    /// The configuration is checked first ([`MastConfig::validate`]). No read timeout is
    /// set on the connection pool: the first-byte and idle timeouts are applied per request
    /// ([`MastClient::await_head`], [`MastClient::await_chunk`]), so a service that computes
    /// for minutes before answering and a body that streams for an hour both work, while a
    /// silent connection is noticed within seconds.
    pub fn new(config: MastConfig) -> Result<MastClient> {
        config.validate()?;
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent())
            .connect_timeout(config.connect_timeout())
            .redirect(redirect_policy())
            .build()
            .map_err(|e| Error::Config { key: "http client".into(), message: e.to_string() })?;
        let in_flight = tokio::sync::Semaphore::new(config.page_concurrency());
        let token = RwLock::new(config.token().cloned());
        Ok(MastClient {
            inner: Arc::new(Inner { http, config, in_flight, column_configs: Mutex::new(HashMap::new()), token }),
        })
    }

    /// A client configured from the `MAST_*` environment variables ([`MastConfig::from_env`]).
    pub fn from_env() -> Result<MastClient> {
        MastClient::new(MastConfig::from_env()?)
    }

    /// The configuration.
    pub fn config(&self) -> &MastConfig {
        &self.inner.config
    }

    /// Replaces the MAST API token that this client and every clone of it send from now on
    /// (`None`, or an empty token, sends none). The configured token
    /// ([`MastConfig::with_token`]) is only the first value. No request is sent: checking a
    /// token against MAST is mast-auth's `MastAuth::login`.
    ///
    /// ```
    /// use mast_proto::{MastClient, MastConfig, Secret};
    /// let client = MastClient::new(MastConfig::new().with_token(Secret::new("abc123")))?;
    /// let other = client.clone();
    /// assert!(other.has_token());
    /// client.set_token(None);
    /// assert!(!other.has_token());
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn set_token(&self, token: Option<Secret>) {
        *self.inner.token.write().unwrap_or_else(|e| e.into_inner()) = token.filter(|t| !t.is_empty());
    }

    /// Whether requests carry a MAST API token now (whether MAST accepts it is another
    /// matter: mast-auth's `MastAuth::session_info`).
    pub fn has_token(&self) -> bool {
        self.inner.token.read().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    /// The underlying HTTP client (one pool per `MastClient`), for crates that add endpoints.
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The columns config `config_id` (e.g. `Mast.Caom.Cone`), fetched once and reused for
    /// an hour. MAST answers `{}` for ids without a config, which gives an empty config.
    pub async fn column_config(&self, config_id: &str) -> Result<Arc<ColumnConfig>> {
        let ttl = crate::config::defaults::COLUMN_CONFIG_TTL;
        if let Some((at, cfg)) = self.lock_cache().get(config_id)
            && at.elapsed() < ttl
        {
            return Ok(cfg.clone());
        }
        let deadline = Instant::now() + self.config().timeout();
        let url = self.config().column_config_url();
        let body = crate::request::column_config_body(config_id);
        let what = format!("the columns config of {config_id}");
        let cfg =
            self.send(&what, deadline, || self.portal_post(&url, &body), |bytes| ColumnConfig::parse(&bytes)).await?;
        let cfg = Arc::new(cfg);
        self.lock_cache().insert(config_id.to_owned(), (Instant::now(), cfg.clone()));
        Ok(cfg)
    }

    /// The columns config `config_id` if this client has fetched it and it is still fresh;
    /// never sends a request.
    pub fn cached_column_config(&self, config_id: &str) -> Option<Arc<ColumnConfig>> {
        let ttl = crate::config::defaults::COLUMN_CONFIG_TTL;
        self.lock_cache().get(config_id).filter(|(at, _)| at.elapsed() < ttl).map(|(_, cfg)| cfg.clone())
    }

    /// A form POST with the Portal's headers (as astroquery sends them), with the token.
    pub(crate) fn portal_post(&self, url: &str, body: &str) -> reqwest::RequestBuilder {
        let builder = self
            .http()
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "text/plain")
            .body(body.to_owned());
        self.authorize(builder, url, RequestKind::Portal)
    }

    /// Adds the MAST token to a request, as astroquery's cookie `mast_token=<token>`, when
    /// the client has one ([`MastClient::set_token`]) and [`crate::auth::may_send_token`] allows it for `url` and
    /// `kind` (the kinds astroquery sends it on, only to the configured MAST hosts, `https`
    /// unless a base URL is configured as `http`); otherwise returns `builder` unchanged.
    /// The header is marked sensitive. Every request that may carry the token goes through
    /// here (Portal and services requests in this crate, downloads and `bundle.sh` in
    /// mast-download). Redirects never carry it to another host (reqwest drops `Cookie` and
    /// `Authorization` when a redirect changes host or port) and are followed at most
    /// [`crate::auth::MAX_REDIRECTS`] times, never from `https` to `http`
    /// ([`crate::auth::check_redirect`]).
    ///
    /// ```
    /// use mast_proto::{MastClient, MastConfig, Secret};
    /// use mast_proto::auth::RequestKind;
    /// let client = MastClient::new(MastConfig::new().with_token(Secret::new("abc123")))?;
    /// let url = "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HST/product/x.fits";
    /// let request = client.authorize(client.http().get(url), url, RequestKind::Download).build().unwrap();
    /// assert_eq!(request.headers()["cookie"], "mast_token=abc123");
    /// let s3 = "https://s3.us-east-1.amazonaws.com/stpubdata/x.fits";
    /// let request = client.authorize(client.http().get(s3), s3, RequestKind::Download).build().unwrap();
    /// assert!(request.headers().get("cookie").is_none());
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn authorize(&self, builder: reqwest::RequestBuilder, url: &str, kind: RequestKind) -> reqwest::RequestBuilder {
        if !crate::auth::may_send_token(self.config(), url, kind) {
            return builder;
        }
        let cookie = {
            let token = self.inner.token.read().unwrap_or_else(|e| e.into_inner());
            let Some(token) = token.as_ref() else { return builder };
            zeroize::Zeroizing::new(format!("mast_token={}", token.expose()))
        };
        match reqwest::header::HeaderValue::from_str(&cookie) {
            Ok(mut value) => {
                value.set_sensitive(true);
                builder.header(reqwest::header::COOKIE, value)
            }
            Err(_) => {
                tracing::warn!("the MAST token has characters a cookie cannot carry; sending the request without it");
                builder
            }
        }
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Arc<ColumnConfig>)>> {
        // A poisoned cache only means another task panicked mid-insert; the map is still valid.
        self.inner.column_configs.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Redirects: at most [`crate::auth::MAX_REDIRECTS`] hops, never from `https` to `http`
/// ([`crate::auth::check_redirect`]); reqwest itself drops `Cookie` and `Authorization` on a
/// redirect to another host or port.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| match crate::auth::check_redirect(attempt.previous(), attempt.url()) {
        Ok(()) => attempt.follow(),
        Err(why) => attempt.error(why),
    })
}
