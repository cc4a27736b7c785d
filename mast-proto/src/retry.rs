//! The retry policy, sans-IO: how long to wait before the next attempt, how a server's
//! `Retry-After` is read, and the trait by which an error says whether another attempt can
//! help. The loop that applies it is `MastClient::with_retries` (feature `client`), used by
//! every transport: Portal and services requests, HTTPS downloads and S3 downloads.

use std::time::{Duration, SystemTime};

/// Whether a failed attempt is worth another one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Final: another attempt would fail the same way (a 404, a bad query, a full disk).
    Final,
    /// Transient: try again, not before `after` when the server asked for a delay
    /// (`Retry-After`, as the server sent it; the policy caps it).
    Again {
        /// The server's `Retry-After`, if any.
        after: Option<Duration>,
    },
}

/// An error that knows whether a retry can help. Implemented by the error types of
/// mast-proto and mast-download, so no caller classifies failures again.
pub trait Retryable {
    /// Whether another attempt can help, and after how long at least.
    fn retry(&self) -> Retry;
}

/// How often and how patiently failed requests are retried: at most `retries` more
/// attempts, with full-jitter exponential back-off from `backoff_base` up to `backoff_max`,
/// never sooner than the server's `Retry-After`, which is honoured up to `retry_after_max`.
///
/// Built from a [`crate::MastConfig`] ([`crate::MastConfig::retry_policy`]).
///
/// ```
/// use std::time::Duration;
/// use mast_proto::RetryPolicy;
/// let policy = RetryPolicy {
///     retries: 3,
///     backoff_base: Duration::from_millis(10),
///     backoff_max: Duration::from_millis(40),
///     retry_after_max: Duration::from_secs(2),
/// };
/// assert!(policy.delay(5, None).0 <= Duration::from_millis(40));
/// // A server asking for a century is waited for at most `retry_after_max` (and told so).
/// assert_eq!(policy.delay(0, Some(Duration::MAX)), (Duration::from_secs(2), true));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first one.
    pub retries: u32,
    /// First back-off delay (doubled per retry, with jitter).
    pub backoff_base: Duration,
    /// Longest back-off delay the client chooses by itself.
    pub backoff_max: Duration,
    /// Longest `Retry-After` honoured.
    pub retry_after_max: Duration,
}

impl RetryPolicy {
    /// The delay before retry number `attempt` (0 for the first retry), and whether the
    /// server's `Retry-After` was cut to [`RetryPolicy::retry_after_max`]. Full jitter:
    /// uniform in `[0, min(backoff_max, backoff_base · 2^attempt)]`, but never shorter
    /// than the (capped) `Retry-After`.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> (Duration, bool) {
        let ceiling = self.backoff_base.saturating_mul(1u32 << attempt.min(16)).min(self.backoff_max);
        let jittered = ceiling.mul_f64(jitter());
        match retry_after {
            Some(asked) => {
                let capped = asked > self.retry_after_max;
                (jittered.max(asked.min(self.retry_after_max)), capped)
            }
            None => (jittered, false),
        }
    }
}

#[cfg(feature = "client")]
fn jitter() -> f64 {
    fastrand::f64()
}

/// Without the client there is no randomness source to spare; the sans-IO policy then
/// waits the full ceiling (deterministic, never longer than with jitter).
#[cfg(not(feature = "client"))]
fn jitter() -> f64 {
    1.0
}

/// Reads a `Retry-After` header value: delay-seconds (a fraction is accepted) or an HTTP
/// date, relative to `now`. Never panics and never overflows: a delay too large for a
/// [`Duration`] (`1e20`, `99999999999999999999`) saturates to [`Duration::MAX`], a date in the
/// past or a negative number means no wait; text that is neither (`abc`, `NaN`) is `None`.
/// The caller caps the result ([`RetryPolicy::delay`]).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use mast_proto::retry::parse_retry_after;
/// let now = SystemTime::now();
/// assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
/// assert_eq!(parse_retry_after("1.5", now), Some(Duration::from_millis(1500)));
/// assert_eq!(parse_retry_after("1e20", now), Some(Duration::MAX));
/// assert_eq!(parse_retry_after("-5", now), Some(Duration::ZERO));
/// assert_eq!(parse_retry_after("abc", now), None);
/// assert!(parse_retry_after("Tue, 01 Jan 2999 00:00:00 GMT", now).unwrap() > Duration::from_secs(1 << 34));
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // Whole seconds, the form HTTP defines: saturate rather than overflow.
        return Some(value.parse::<u64>().map_or(Duration::MAX, Duration::from_secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_nan() {
            return None;
        }
        if secs <= 0.0 {
            return Some(Duration::ZERO);
        }
        return Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
    }
    let when = httpdate_parse(value)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An HTTP date (IMF-fixdate, RFC 850 or asctime), as `SystemTime`.
fn httpdate_parse(value: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            retries: 5,
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(2),
            retry_after_max: Duration::from_secs(8),
        }
    }

    #[test]
    fn backoff_is_bounded_and_honours_retry_after() {
        let p = policy();
        for attempt in 0..40 {
            let (d, capped) = p.delay(attempt, None);
            assert!(!capped);
            assert!(d <= p.backoff_max);
            assert!(d <= p.backoff_base * 2u32.pow(attempt.min(10)));
        }
        assert!(p.delay(0, Some(Duration::from_secs(3))).0 >= Duration::from_secs(3));
        assert_eq!(p.delay(0, Some(Duration::from_secs(3600))), (Duration::from_secs(8), true));
        assert_eq!(p.delay(u32::MAX, Some(Duration::MAX)), (Duration::from_secs(8), true));
    }

    #[test]
    fn retry_after_never_panics() {
        let now = SystemTime::now();
        let cases: &[(&str, Option<Duration>)] = &[
            ("2", Some(Duration::from_secs(2))),
            (" 0 ", Some(Duration::ZERO)),
            ("1.5", Some(Duration::from_millis(1500))),
            ("1e20", Some(Duration::MAX)),
            ("99999999999999999999", Some(Duration::MAX)),
            ("-5", Some(Duration::ZERO)),
            ("-1e300", Some(Duration::ZERO)),
            ("inf", Some(Duration::MAX)),
            ("NaN", None),
            ("abc", None),
            ("", None),
            ("Wed, 21 Oct 2015 07:28:00 GMT", Some(Duration::ZERO)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_retry_after(text, now), *expected, "{text:?}");
        }
        let far = parse_retry_after("Tue, 01 Jan 2999 00:00:00 GMT", now).unwrap();
        assert!(far > Duration::from_secs(900 * 365 * 86400));
        assert_eq!(policy().delay(0, Some(far)), (Duration::from_secs(8), true));
    }
}
