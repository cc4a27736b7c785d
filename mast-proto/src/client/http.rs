//! One request with bounded retries: exponential back-off with full jitter, `Retry-After`
//! honoured, an overall deadline, and bodies that fail to decode retried like transport
//! errors (a truncated or garbled answer is as transient as a reset connection).

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::StatusCode;

use super::MastClient;
use crate::{Error, Result};

/// Bodies larger than this are decoded on the blocking pool, off the async workers.
const BLOCKING_DECODE_BYTES: usize = 256 * 1024;

enum Failure {
    /// Worth another attempt, after at least this long (from `Retry-After`).
    Retry(Error, Option<Duration>),
    /// Final.
    Fatal(Error),
}

impl MastClient {
    /// Sends the request `build` makes, retrying transient failures, and decodes the body
    /// with `decode`. A decode error ([`Error::Decode`]) is retried too; any other decode
    /// result is returned as it is.
    pub(crate) async fn send<T, B, D>(&self, what: &str, deadline: Instant, build: B, decode: D) -> Result<T>
    where
        B: Fn() -> reqwest::RequestBuilder,
        D: Fn(Bytes) -> Result<T> + Clone + Send + 'static,
        T: Send + 'static,
    {
        let config = self.config();
        let mut attempt = 0u32;
        loop {
            let outcome =
                match tokio::time::timeout_at(deadline.into(), self.attempt(what, &build, decode.clone())).await {
                    Ok(outcome) => outcome,
                    Err(_) => return Err(timeout(what, config.timeout())),
                };
            let (err, retry_after) = match outcome {
                Ok(value) => return Ok(value),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry(e, retry_after)) => (e, retry_after),
            };
            if attempt >= config.retries() {
                return Err(err);
            }
            let delay = backoff(attempt, config.backoff_base(), config.backoff_max(), retry_after);
            if Instant::now() + delay >= deadline {
                tracing::warn!(what, error = %err, "giving up: the next retry would pass the deadline");
                return Err(err);
            }
            attempt += 1;
            tracing::warn!(what, attempt, retries = config.retries(), delay_ms = delay.as_millis() as u64, error = %err, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt<T, B, D>(&self, what: &str, build: &B, decode: D) -> std::result::Result<T, Failure>
    where
        B: Fn() -> reqwest::RequestBuilder,
        D: Fn(Bytes) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        // The permit covers the exchange (request, response, body), not the decoding.
        let permit = self.inner.in_flight.acquire().await.map_err(|_| {
            Failure::Fatal(Error::Transport {
                what: what.to_owned(),
                message: "the client was shut down".into(),
                hint: None,
                source: None,
            })
        })?;
        let response = build().send().await.map_err(|e| Failure::Retry(transport(what, &e), None))?;
        let status = response.status();
        let url = response.url().to_string();
        if !status.is_success() {
            let retry_after = retry_after(response.headers());
            let err = Error::Http {
                what: what.to_owned(),
                url,
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_owned(),
                hint: http_hint(status),
            };
            return Err(if is_transient(status) { Failure::Retry(err, retry_after) } else { Failure::Fatal(err) });
        }
        let expected = response.content_length();
        let body = response.bytes().await.map_err(|e| Failure::Retry(transport(what, &e), None))?;
        drop(permit);
        if let Some(len) = expected
            && body.len() as u64 != len
        {
            let message = format!("the body has {} bytes, Content-Length said {len}", body.len());
            return Err(Failure::Retry(
                Error::Transport { what: what.to_owned(), message, hint: None, source: None },
                None,
            ));
        }
        let decoded = if body.len() > BLOCKING_DECODE_BYTES {
            tokio::task::spawn_blocking(move || decode(body)).await.map_err(|e| {
                Failure::Fatal(Error::Transport {
                    what: what.to_owned(),
                    message: format!("the decoder stopped: {e}"),
                    hint: None,
                    source: None,
                })
            })?
        } else {
            decode(body)
        };
        decoded.map_err(|e| match e {
            Error::Decode { format, detail } => {
                Failure::Retry(Error::Decode { format, detail: format!("{detail} (answer of {what})") }, None)
            }
            other => Failure::Fatal(other),
        })
    }
}

/// The retry policy of [`MastClient`], for crates that send their own requests (downloads
/// stream their bodies, so they cannot use the buffered executor above) and must back off
/// exactly as the client does.
impl MastClient {
    /// The delay before retry number `attempt` (0 for the first retry): full-jitter
    /// exponential back-off from [`crate::MastConfig::backoff_base`] up to
    /// [`crate::MastConfig::backoff_max`], never shorter than the server's `Retry-After`
    /// (itself capped at 4× the maximum).
    ///
    /// ```
    /// use std::time::Duration;
    /// use mast_proto::{MastClient, MastConfig};
    /// let client = MastClient::new(MastConfig::new().with_backoff(Duration::from_millis(10), Duration::from_millis(40)))?;
    /// assert!(client.retry_delay(5, None) <= Duration::from_millis(40));
    /// assert!(client.retry_delay(0, Some(Duration::from_millis(100))) >= Duration::from_millis(100));
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn retry_delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        backoff(attempt, self.config().backoff_base(), self.config().backoff_max(), retry_after)
    }

    /// Whether an HTTP status is worth another attempt (5xx, 429, 408), as for the client's
    /// own requests.
    ///
    /// ```
    /// use mast_proto::MastClient;
    /// assert!(MastClient::is_transient_status(503) && !MastClient::is_transient_status(404));
    /// ```
    pub fn is_transient_status(status: u16) -> bool {
        StatusCode::from_u16(status).is_ok_and(is_transient)
    }

    /// The `Retry-After` of a response (seconds or an HTTP date), if it has a valid one.
    pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
        retry_after(headers)
    }
}

pub(crate) fn timeout(what: &str, budget: Duration) -> Error {
    Error::Timeout { what: what.to_owned(), seconds: budget.as_secs_f64() }
}

fn transport(what: &str, e: &reqwest::Error) -> Error {
    let mut message = e.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    let hint = if e.is_connect() {
        Some("check the MAST URL settings (MAST_URL, ...) and the network".to_owned())
    } else if e.is_timeout() {
        Some("MAST is slow to answer; try again later or raise MAST_READ_TIMEOUT".to_owned())
    } else {
        Some("MAST closed the connection (it does so for results beyond about 500,000 rows, or when busy); narrow the query or try again later".to_owned())
    };
    Error::Transport { what: what.to_owned(), message, hint, source: None }
}

fn is_transient(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::REQUEST_TIMEOUT
}

fn http_hint(status: StatusCode) -> Option<String> {
    match status.as_u16() {
        429 => Some("MAST is rate-limiting this client; wait and try again, or lower the concurrency".into()),
        500..=599 => Some("MAST had a server error; try again later".into()),
        401 | 403 => Some("the data may be proprietary: log in with a MAST token".into()),
        404 => Some("check the service name or URL".into()),
        _ => None,
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(std::time::SystemTime::now()).unwrap_or_default())
}

/// Full-jitter exponential back-off: uniform in `[0, min(max, base·2^attempt)]`, but never
/// shorter than the server's `Retry-After` (itself capped at 4× `max`).
pub(crate) fn backoff(attempt: u32, base: Duration, max: Duration, retry_after: Option<Duration>) -> Duration {
    let ceiling = base.saturating_mul(1u32 << attempt.min(16)).min(max);
    let jittered = ceiling.mul_f64(fastrand::f64());
    match retry_after {
        Some(ra) => jittered.max(ra.min(max.saturating_mul(4))),
        None => jittered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_and_honours_retry_after() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(2);
        for attempt in 0..40 {
            let d = backoff(attempt, base, max, None);
            assert!(d <= max);
            assert!(d <= base * 2u32.pow(attempt.min(10)));
        }
        assert!(backoff(0, base, max, Some(Duration::from_secs(3))) >= Duration::from_secs(3));
        assert_eq!(backoff(0, base, max, Some(Duration::from_secs(3600))), Duration::from_secs(8));
    }

    #[test]
    fn retry_after_forms() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(reqwest::header::RETRY_AFTER, "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }
}
