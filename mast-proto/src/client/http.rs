//! The one retry loop ([`MastClient::with_retries`]) and the buffered exchange every
//! Portal, services and resolver request goes through: a permit from the client's bound, a
//! first-byte timeout chosen by the kind of service, an idle timeout while the body
//! streams, a cap on the body size, then decoding (on the blocking pool for large bodies).
//! Downloads stream their bodies, so they use the loop and the two timeouts directly.

use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::MastClient;
use crate::retry::{Retry, Retryable, parse_retry_after};
use crate::{Error, Result};

/// Bodies larger than this are decoded on the blocking pool, off the async workers.
const BLOCKING_DECODE_BYTES: usize = 256 * 1024;
/// The most room reserved up front from a `Content-Length` (the body grows past it as
/// bytes really arrive), so a lying header cannot reserve gigabytes.
const MAX_UPFRONT_RESERVE: u64 = 64 << 20;

/// How long a service may think before the response head arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Patience {
    /// The Portal, the resolver, downloads, S3: they answer at once (the Portal with
    /// EXECUTING when it needs time): [`crate::MastConfig::first_byte_timeout`].
    Quick,
    /// The services API, the catalogs API and the cutout services compute before they
    /// answer: [`crate::MastConfig::services_first_byte_timeout`].
    Computes,
}

impl MastClient {
    /// Runs `attempt` until it succeeds, its error is final ([`Retryable`]), the retries of
    /// [`crate::MastConfig::retries`] are spent, or `deadline` would pass. `attempt` gets the
    /// attempt number (0 first). The decisions are [`Retrier`]'s, the one retry policy of
    /// mast-rs; callers whose attempts borrow state mutably (a download writing its
    /// temporary file) drive a [`Retrier`] in a loop of their own.
    ///
    /// ```
    /// use std::time::Duration;
    /// use mast_proto::{Error, MastClient, MastConfig};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let client = MastClient::new(MastConfig::new().with_retries(3).with_backoff(Duration::ZERO, Duration::ZERO))?;
    /// let tries = std::sync::atomic::AtomicU32::new(0);
    /// let value = client
    ///     .with_retries("a flaky thing", None, |attempt| {
    ///         tries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ///         async move {
    ///             if attempt < 2 {
    ///                 Err(Error::Transport { what: "x".into(), message: "reset".into(), hint: None, source: None })
    ///             } else {
    ///                 Ok(42)
    ///             }
    ///         }
    ///     })
    ///     .await?;
    /// assert_eq!((value, tries.into_inner()), (42, 3));
    /// # Ok::<(), Error>(()) }).unwrap();
    /// ```
    pub async fn with_retries<T, E, F, Fut>(
        &self,
        what: &str,
        deadline: Option<Instant>,
        mut attempt: F,
    ) -> std::result::Result<T, E>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
        E: Retryable + Display + From<Error>,
    {
        let mut retrier = self.retrier(what, deadline);
        loop {
            match retrier.within(attempt(retrier.attempt())).await {
                Ok(value) => return Ok(value),
                Err(error) => retrier.failed(error).await?,
            }
        }
    }

    /// A [`Retrier`] for one logical operation, `what` naming it in logs and errors.
    pub fn retrier<'a>(&'a self, what: &'a str, deadline: Option<Instant>) -> Retrier<'a> {
        Retrier { client: self, what, deadline, attempt: 0 }
    }

    /// Waits for `head` (a request's response head) at most the first-byte timeout of
    /// `patience`; a silent server is a transient [`Error::Transport`].
    pub async fn await_head<T>(&self, patience: Patience, what: &str, head: impl Future<Output = T>) -> Result<T> {
        let (limit, key) = match patience {
            Patience::Quick => (self.config().first_byte_timeout(), "MAST_FIRST_BYTE_TIMEOUT"),
            Patience::Computes => (self.config().services_first_byte_timeout(), "MAST_SERVICES_FIRST_BYTE_TIMEOUT"),
        };
        tokio::time::timeout(limit, head).await.map_err(|_| stalled(what, "no answer", limit, key))
    }

    /// Waits for the next piece of a streaming body at most the idle timeout
    /// ([`crate::MastConfig::idle_timeout`]); a body that stops flowing is a transient
    /// [`Error::Transport`]. A body that keeps flowing has no time limit.
    pub async fn await_chunk<T>(&self, what: &str, chunk: impl Future<Output = T>) -> Result<T> {
        let limit = self.config().idle_timeout();
        tokio::time::timeout(limit, chunk).await.map_err(|_| stalled(what, "no data", limit, "MAST_IDLE_TIMEOUT"))
    }

    /// Sends the request `build` makes (quick services: [`Patience::Quick`]), retrying
    /// transient failures, and decodes the body with `decode`. A decode error
    /// ([`Error::Decode`]) is retried too; any other decode result is returned as it is.
    pub(crate) async fn send<T, B, D>(&self, what: &str, deadline: Instant, build: B, decode: D) -> Result<T>
    where
        B: Fn() -> reqwest::RequestBuilder,
        D: Fn(Bytes) -> Result<T> + Clone + Send + 'static,
        T: Send + 'static,
    {
        self.send_with(Patience::Quick, what, deadline, build, decode).await
    }

    /// Sends the request `build` makes and returns its whole body, through the one retry
    /// loop with the client's bounds (first-byte and idle timeouts, the query deadline,
    /// [`crate::MastConfig::max_response_bytes`]): for crates that add endpoints whose
    /// answer is not a table (e.g. MAST's `bundle.sh` curl scripts).
    pub async fn fetch(
        &self,
        patience: Patience,
        what: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Bytes> {
        let deadline = Instant::now() + self.config().timeout();
        self.send_with(patience, what, deadline, build, Ok).await
    }

    /// [`MastClient::send`] with the first-byte patience of the service asked.
    pub(crate) async fn send_with<T, B, D>(
        &self,
        patience: Patience,
        what: &str,
        deadline: Instant,
        build: B,
        decode: D,
    ) -> Result<T>
    where
        B: Fn() -> reqwest::RequestBuilder,
        D: Fn(Bytes) -> Result<T> + Clone + Send + 'static,
        T: Send + 'static,
    {
        self.with_retries(what, Some(deadline), |_| {
            let (request, decode) = (build(), decode.clone());
            async move {
                let body = self.exchange(patience, what, request).await?;
                decode_body(what, body, decode).await
            }
        })
        .await
    }

    /// One request and its whole body, within the client's bound on requests in flight.
    async fn exchange(&self, patience: Patience, what: &str, request: reqwest::RequestBuilder) -> Result<Bytes> {
        // The permit covers the exchange (request, response, body), not the decoding.
        let _permit = self.inner.in_flight.acquire().await.map_err(|_| Error::Transport {
            what: what.to_owned(),
            message: "the client was shut down".into(),
            hint: None,
            source: None,
        })?;
        let mut response = self.await_head(patience, what, request.send()).await?.map_err(|e| transport(what, e))?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
            return Err(Error::Http {
                what: what.to_owned(),
                url: response.url().to_string(),
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_owned(),
                hint: http_hint(status.as_u16()),
                retry_after,
            });
        }
        let limit = self.config().max_response_bytes();
        let expected = response.content_length();
        if let Some(len) = expected.filter(|len| *len > limit) {
            return Err(too_large(what, &format!("the server announced {len} bytes"), limit));
        }
        let mut body = BytesMut::with_capacity(expected.unwrap_or(0).min(MAX_UPFRONT_RESERVE) as usize);
        while let Some(chunk) = self.await_chunk(what, response.chunk()).await?.map_err(|e| transport(what, e))? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large(what, "the body grew", limit));
            }
            body.extend_from_slice(&chunk);
        }
        if let Some(len) = expected
            && body.len() as u64 != len
        {
            let message = format!("the body has {} bytes, Content-Length said {len}", body.len());
            return Err(Error::Transport { what: what.to_owned(), message, hint: None, source: None });
        }
        Ok(body.freeze())
    }
}

/// The one retry policy applied to one logical operation: call [`Retrier::within`] around
/// each attempt (it enforces the deadline) and [`Retrier::failed`] with each failure (it
/// decides, logs and waits, or hands the error back when retrying cannot help or the
/// retries or the time are spent):
///
/// ```
/// # use mast_proto::{Error, MastClient, MastConfig};
/// # async fn attempt(n: u32) -> Result<u32, Error> { Ok(n) }
/// # async fn run(client: &MastClient) -> Result<u32, Error> {
/// let mut retrier = client.retrier("the thing", None);
/// loop {
///     match retrier.within(attempt(retrier.attempt())).await {
///         Ok(value) => return Ok(value),
///         Err(error) => retrier.failed(error).await?,
///     }
/// }
/// # }
/// ```
///
/// Between attempts it waits the [`crate::RetryPolicy`] delay: full-jitter exponential
/// back-off, never shorter than the server's `Retry-After`, which is capped at
/// [`crate::MastConfig::retry_after_max`] (and logged when capped).
#[derive(Debug)]
pub struct Retrier<'a> {
    client: &'a MastClient,
    what: &'a str,
    deadline: Option<Instant>,
    attempt: u32,
}

impl Retrier<'_> {
    /// The number of the next attempt (0 for the first).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Runs one attempt; past the deadline it ends with [`Error::Timeout`].
    pub async fn within<T, E: From<Error>>(
        &self,
        attempt: impl Future<Output = std::result::Result<T, E>>,
    ) -> std::result::Result<T, E> {
        match self.deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline.into(), attempt).await {
                Ok(outcome) => outcome,
                Err(_) => Err(timeout(self.what, self.client.config().timeout()).into()),
            },
            None => attempt.await,
        }
    }

    /// After a failed attempt: `Ok(())` once the delay before the next attempt has passed,
    /// or the error back when it is final, the retries are spent, or the next attempt would
    /// start after the deadline.
    pub async fn failed<E: Retryable + Display>(&mut self, error: E) -> std::result::Result<(), E> {
        let Retry::Again { after } = error.retry() else { return Err(error) };
        let policy = self.client.config().retry_policy();
        if self.attempt >= policy.retries {
            return Err(error);
        }
        let (delay, capped) = policy.delay(self.attempt, after);
        let what = self.what;
        if capped {
            tracing::warn!(
                what,
                asked_s = after.map(|d| d.as_secs()),
                waiting_s = delay.as_secs_f64(),
                "the server asked to wait longer than MAST_RETRY_AFTER_MAX (Retry-After); waiting the maximum"
            );
        }
        if self.deadline.is_some_and(|d| Instant::now().checked_add(delay).is_none_or(|t| t >= d)) {
            tracing::warn!(what, error = %error, "giving up: the next retry would pass the deadline");
            return Err(error);
        }
        self.attempt += 1;
        tracing::warn!(what, attempt = self.attempt, retries = policy.retries, delay_ms = delay.as_millis() as u64, error = %error, "retrying");
        tokio::time::sleep(delay).await;
        Ok(())
    }
}

/// Decodes a body, on the blocking pool when it is large; a decode error names the answer.
async fn decode_body<T, D>(what: &str, body: Bytes, decode: D) -> Result<T>
where
    D: Fn(Bytes) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    let decoded = if body.len() > BLOCKING_DECODE_BYTES {
        tokio::task::spawn_blocking(move || decode(body)).await.map_err(|e| Error::Transport {
            what: what.to_owned(),
            message: "the decoder stopped".into(),
            hint: None,
            source: Some(Box::new(e)),
        })?
    } else {
        decode(body)
    };
    decoded.map_err(|e| match e {
        Error::Decode { format, detail, source } => {
            Error::Decode { format, detail: format!("{detail} (answer of {what})"), source }
        }
        other => other,
    })
}

pub(crate) fn timeout(what: &str, budget: Duration) -> Error {
    Error::Timeout { what: what.to_owned(), seconds: budget.as_secs_f64() }
}

fn stalled(what: &str, nothing: &str, limit: Duration, key: &str) -> Error {
    Error::Transport {
        what: what.to_owned(),
        message: format!("{nothing} for {} s", limit.as_secs_f64()),
        hint: Some(format!("the connection stalled; it is retried (the limit is {key})")),
        source: None,
    }
}

fn too_large(what: &str, detail: &str, limit: u64) -> Error {
    Error::TooLarge {
        what: what.to_owned(),
        detail: format!(
            "{detail} over the limit of {limit} bytes for an answer read into memory (MAST_MAX_RESPONSE_BYTES); narrow the query or raise the limit"
        ),
    }
}

/// A transport error with its cause kept as the source (without the URL, which may carry
/// credentials).
pub(crate) fn transport(what: &str, e: reqwest::Error) -> Error {
    if e.is_redirect() {
        // Refused by the redirect policy: the same answer would come again.
        let e = e.without_url();
        return Error::Redirect {
            what: what.to_owned(),
            message: crate::error::innermost_cause(&e),
            source: Box::new(e),
        };
    }
    let hint = if e.is_connect() {
        "check the MAST URL settings (MAST_URL, ...) and the network"
    } else if e.is_timeout() {
        "MAST is slow to answer; try again later or raise the timeouts (MAST_FIRST_BYTE_TIMEOUT, MAST_IDLE_TIMEOUT)"
    } else {
        "MAST closed the connection (it does so for results beyond about 500,000 rows, or when busy); narrow the query or try again later"
    };
    let e = e.without_url();
    Error::Transport {
        what: what.to_owned(),
        message: crate::error::innermost_cause(&e),
        hint: Some(hint.to_owned()),
        source: Some(Box::new(e)),
    }
}

fn http_hint(status: u16) -> Option<String> {
    match status {
        429 => Some("MAST is rate-limiting this client; wait and try again, or lower the concurrency".into()),
        500..=599 => Some("MAST had a server error; try again later".into()),
        401 | 403 => Some("the data may be proprietary: log in with a MAST token".into()),
        404 => Some("check the service name or URL".into()),
        _ => None,
    }
}
