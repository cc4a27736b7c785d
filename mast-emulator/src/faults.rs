//! Fault injection: rules that make chosen requests fail the way real servers and networks do.

use serde::{Deserialize, Serialize};

/// A fault to inject into the answer of a request.
///
/// Every fault is real at the socket level: status codes and HTML pages are ordinary HTTP
/// answers, the dropped and truncated kinds really close the TCP connection.
///
/// In JSON (control endpoint `PUT /__emulator/faults`) a fault is an object tagged by
/// `kind`: `{"kind": "status", "code": 503, "retry_after": 2}`, `{"kind": "drop_mid_body"}`,
/// `{"kind": "slow_body", "millis": 500}`, ...
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer with this HTTP status (e.g. 503, 500, 429), a short `text/plain` body and, when
    /// given, a `Retry-After` header of that many seconds. The request is not processed.
    Status {
        /// The HTTP status code (an invalid code answers 500).
        code: u16,
        /// `Retry-After` seconds, if any.
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Read the request, then close the connection (an orderly close) without any response.
    DropBeforeResponse,
    /// Send the response head with the full `Content-Length` and half the body, wait 50 ms,
    /// then abort the connection with a TCP reset: the client sees a reset mid-body.
    DropMidBody,
    /// Send the response head with the full `Content-Length` and about three quarters of the
    /// body, wait 50 ms, then close the connection normally: the client sees an incomplete
    /// body (an early end of file).
    TruncatedBody,
    /// Answer 200 with the first half of the JSON body (so never valid JSON) and a
    /// `Content-Length` that matches what is sent.
    MalformedJson,
    /// Answer 200 `text/html` with an HTML "Service Unavailable" page (as a proxy in front of
    /// MAST does). The request is not processed.
    HtmlErrorPage,
    /// Wait this long before sending the response head.
    SlowFirstByte {
        /// Delay in milliseconds.
        millis: u64,
    },
    /// Send the response head at once, then the body in up to 10 chunks with pauses before
    /// each chunk that add up to `millis`.
    SlowBody {
        /// Total pause in milliseconds.
        millis: u64,
    },
    /// Like [`Fault::Status`], with the `Retry-After` header value given as raw text, sent
    /// as it is: `"1e20"`, `"-5"`, `"abc"`, `"1.5"`, `"99999999999999999999"`, an HTTP date
    /// (`"Fri, 01 Jan 2999 00:00:00 GMT"`), ... (what a hostile or broken server may send).
    /// Bytes that cannot appear in a header value (control characters other than tab) are
    /// sent as `?`. On every path: Portal and other JSON endpoints, `Download/file` and
    /// `/files` (`GET` and `HEAD`), S3 object reads and `HeadObject`s (an S3 XML error).
    ///
    /// JSON: `{"kind": "raw_retry_after", "code": 503, "retry_after": "1e20"}`.
    RawRetryAfter {
        /// The HTTP status code (an invalid code answers 500).
        code: u16,
        /// The `Retry-After` header value, verbatim.
        retry_after: String,
    },
    /// Rewrites the `paging` object of a JSON answer (a Portal page): its `rowsFiltered`
    /// and `pagesFiltered` members become the given raw JSON text, sent as it is (`"1e12"`,
    /// `"1099511627776"`, `"-1"`, `"\"many\""`, ...); everything else, the rows included,
    /// is the real answer byte for byte. An answer without `paging` gets one with only these
    /// two members. Answers that are not a JSON object (files, S3 objects, scripts) are sent
    /// unchanged. Aim it at page 1 with `times(1)` (the first request of a query).
    ///
    /// JSON: `{"kind": "paging", "rows_filtered": "1e12", "pages_filtered": "1099511627776"}`.
    Paging {
        /// Raw JSON text for `paging.rowsFiltered`.
        rows_filtered: String,
        /// Raw JSON text for `paging.pagesFiltered`.
        pages_filtered: String,
    },
    /// Send the response head (the full `Content-Length`) and the first half of the body,
    /// then go silent for `millis` without closing the connection, then send the rest: a
    /// connection that stalls mid-body (for idle timeouts). On the Portal and other JSON
    /// endpoints, `Download/file` and `/files` `GET`s, and S3 object reads.
    StallMidBody {
        /// How long the connection stays silent, in milliseconds.
        millis: u64,
    },
    /// Announce `Content-Length: 10000000000000` (10^13 bytes, [`HUGE_CONTENT_LENGTH`]),
    /// send the real (short) body, wait 50 ms, then close the connection normally: a server
    /// that promises more than any client should buffer. On the Portal and other JSON
    /// endpoints, `Download/file` and `/files` (a `HEAD` announces the same length), and S3
    /// object reads and `HeadObject`s.
    HugeContentLength,
    /// Answer a MastMissions search (`search:<mission>`) normally but with this JSON text as
    /// its `totalResults` (a lying or malformed total: `"-5"`, `"1e300"`, `"\"many\""`).
    /// Other endpoints answer normally. Not in [`Fault::every_kind`].
    TotalResults {
        /// The JSON text sent as the value of `totalResults`.
        value: String,
    },
}

/// The `Content-Length` announced by [`Fault::HugeContentLength`]: 10^13 bytes.
pub const HUGE_CONTENT_LENGTH: u64 = 10_000_000_000_000;

impl Fault {
    /// One fault of every kind, for tests that must cover them all: 503, 500 with
    /// `Retry-After: 0`, 429, then every other kind, the slow ones pausing `slow_ms`.
    ///
    /// ```
    /// use mast_emulator::Fault;
    /// let kinds = Fault::every_kind(30);
    /// assert_eq!(kinds.len(), 10);
    /// assert!(kinds.contains(&Fault::HtmlErrorPage) && kinds.contains(&Fault::SlowBody { millis: 30 }));
    /// ```
    pub fn every_kind(slow_ms: u64) -> Vec<Fault> {
        vec![
            Fault::Status { code: 503, retry_after: None },
            Fault::Status { code: 500, retry_after: Some(0) },
            Fault::Status { code: 429, retry_after: None },
            Fault::DropBeforeResponse,
            Fault::DropMidBody,
            Fault::TruncatedBody,
            Fault::MalformedJson,
            Fault::HtmlErrorPage,
            Fault::SlowFirstByte { millis: slow_ms },
            Fault::SlowBody { millis: slow_ms },
        ]
    }
}

/// When and where to inject a [`Fault`].
///
/// `endpoint` selects requests by their endpoint key (the keys of
/// [`crate::Stats::requests`]): `"*"` matches every request; any other value matches a key
/// equal to it or starting with it, compared case-insensitively. So `"invoke"` matches every
/// Portal request, `"invoke:Mast.Caom.Cone"` only cone searches, `"resolver"` the SANTA
/// resolver, `"columnsconfig"`, `"services:panstarrs"`, `"path_lookup"`, `"s3"` every request
/// for the S3 bucket, `"s3:get"` its object reads (whole and ranged), `"s3:head"` its
/// `HeadObject`s (see [`crate::cloud`]).
///
/// Counting: every rule whose endpoint matches a request counts it. A rule lets its first
/// `after` matching requests pass, then fires on the next `times` matching requests (or on
/// all of them when `times` is `None`). When several rules are due for one request, the first
/// in the list fires. Replacing the rules resets the counts.
///
/// ```
/// use mast_emulator::{Fault, FaultRule};
/// let rule = FaultRule::new("invoke:Mast.Caom.Cone", Fault::Status { code: 503, retry_after: Some(1) })
///     .after(1)
///     .times(2);
/// assert_eq!(rule.after, 1);
/// let json = serde_json::to_string(&rule)?;
/// assert_eq!(json, r#"{"endpoint":"invoke:Mast.Caom.Cone","fault":{"kind":"status","code":503,"retry_after":1},"times":2,"after":1}"#);
/// let back: FaultRule = serde_json::from_str(r#"{"endpoint": "*", "fault": {"kind": "drop_before_response"}}"#)?;
/// assert_eq!(back.times, None);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// The endpoint key or key prefix to match, or `"*"`.
    pub endpoint: String,
    /// What to do.
    pub fault: Fault,
    /// How many matching requests to fault; `None` = all of them.
    #[serde(default)]
    pub times: Option<u32>,
    /// How many matching requests to let pass before faulting.
    #[serde(default)]
    pub after: u32,
}

impl FaultRule {
    /// A rule that faults every matching request.
    pub fn new(endpoint: impl Into<String>, fault: Fault) -> Self {
        FaultRule { endpoint: endpoint.into(), fault, times: None, after: 0 }
    }

    /// Faults only `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Lets `n` matching requests pass first.
    pub fn after(mut self, n: u32) -> Self {
        self.after = n;
        self
    }

    /// Whether this rule applies to requests with endpoint key `key`.
    pub fn matches(&self, key: &str) -> bool {
        key_matches(&self.endpoint, key)
    }
}

/// Whether endpoint key `key` is selected by `pattern` (`"*"`, or a prefix of the key,
/// compared case-insensitively): the matching of [`FaultRule`]s and barriers.
pub(crate) fn key_matches(pattern: &str, key: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let (p, k) = (pattern.as_bytes(), key.as_bytes());
    k.len() >= p.len() && k[..p.len()].eq_ignore_ascii_case(p)
}

/// The active rules with their counters.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    rules: Vec<(FaultRule, u32, u32)>,
}

impl FaultBook {
    pub(crate) fn new(rules: Vec<FaultRule>) -> Self {
        FaultBook { rules: rules.into_iter().map(|r| (r, 0, 0)).collect() }
    }

    pub(crate) fn rules(&self) -> Vec<FaultRule> {
        self.rules.iter().map(|(r, _, _)| r.clone()).collect()
    }

    /// Counts a request with endpoint key `key` and returns the fault to inject, if any.
    pub(crate) fn pick(&mut self, key: &str) -> Option<Fault> {
        let mut chosen = None;
        for (rule, seen, fired) in &mut self.rules {
            if !rule.matches(key) {
                continue;
            }
            *seen += 1;
            let due = *seen > rule.after && rule.times.is_none_or(|t| *fired < t);
            if due && chosen.is_none() {
                *fired += 1;
                chosen = Some(rule.fault.clone());
            }
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_is_prefix_and_case_insensitive() {
        let r = FaultRule::new("invoke:mast.caom", Fault::MalformedJson);
        assert!(r.matches("invoke:Mast.Caom.Cone"));
        assert!(!r.matches("invoke:Mast.Hsc.Db.v3"));
        assert!(FaultRule::new("invoke", Fault::MalformedJson).matches("invoke:Mast.Caom.Cone"));
        assert!(FaultRule::new("*", Fault::MalformedJson).matches("resolver"));
        assert!(!FaultRule::new("resolver", Fault::MalformedJson).matches("invoke"));
    }

    #[test]
    fn hostile_kinds_in_json() {
        let cases = [
            (
                Fault::RawRetryAfter { code: 503, retry_after: "1e20".into() },
                r#"{"kind":"raw_retry_after","code":503,"retry_after":"1e20"}"#,
            ),
            (
                Fault::Paging { rows_filtered: "1e12".into(), pages_filtered: "1099511627776".into() },
                r#"{"kind":"paging","rows_filtered":"1e12","pages_filtered":"1099511627776"}"#,
            ),
            (Fault::StallMidBody { millis: 30_000 }, r#"{"kind":"stall_mid_body","millis":30000}"#),
            (Fault::HugeContentLength, r#"{"kind":"huge_content_length"}"#),
        ];
        for (fault, json) in cases {
            assert_eq!(serde_json::to_string(&fault).unwrap(), json);
            assert_eq!(serde_json::from_str::<Fault>(json).unwrap(), fault);
        }
        // The existing forms are unchanged.
        let old: Fault = serde_json::from_str(r#"{"kind": "status", "code": 503}"#).unwrap();
        assert_eq!(old, Fault::Status { code: 503, retry_after: None });
        assert_eq!(
            serde_json::to_string(&Fault::Status { code: 429, retry_after: Some(2) }).unwrap(),
            r#"{"kind":"status","code":429,"retry_after":2}"#
        );
        // A raw Retry-After must be text; a number is refused (use `status` for seconds).
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"raw_retry_after","code":503,"retry_after":5}"#).is_err());
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"paging","rows_filtered":"1"}"#).is_err());
        assert_eq!(Fault::every_kind(1).len(), 10, "every_kind keeps its ten kinds");
    }

    #[test]
    fn after_and_times() {
        let mut book = FaultBook::new(vec![
            FaultRule::new("invoke", Fault::DropBeforeResponse).after(1).times(2),
            FaultRule::new("*", Fault::HtmlErrorPage).after(4),
        ]);
        let got: Vec<Option<Fault>> = (0..6).map(|_| book.pick("invoke:X")).collect();
        assert_eq!(
            got,
            [
                None,
                Some(Fault::DropBeforeResponse),
                Some(Fault::DropBeforeResponse),
                None,
                Some(Fault::HtmlErrorPage),
                Some(Fault::HtmlErrorPage)
            ]
        );
    }
}
