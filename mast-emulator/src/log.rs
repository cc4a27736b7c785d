//! The request log: what each request asked for and how it was answered, so that a test can
//! assert what a client sent (the service, its parameters, the headers) and not only what it
//! received.
//!
//! The log is a **test aid**: it keeps header values as they were sent, credentials
//! included (`Authorization`, `Cookie: mast_token=...`), so that tests can check where a
//! token went; a `Debug` print of an entry shows them. Do not point real credentials at an
//! emulator whose log is printed.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::faults::Fault;
use crate::stats::lock;

/// The most entries the request log keeps: when it is full, the oldest entry is dropped for
/// each new one (and counted in [`RequestLog::dropped`]).
pub const MAX_LOGGED_REQUESTS: usize = 10_000;

/// About the most bytes of request text (bodies, query strings, paths, headers) the request
/// log keeps: beyond it the oldest entries are dropped too (and counted in
/// [`RequestLog::dropped`]), so that large request bodies cannot make it grow to
/// [`MAX_LOGGED_REQUESTS`] × [`MAX_LOGGED_BODY`].
pub const MAX_LOGGED_BYTES: usize = 64 << 20;

/// The largest request body the log decodes: a longer one is logged as
/// [`LoggedBody::Bytes`] (its length only).
pub const MAX_LOGGED_BODY: usize = 1 << 20;

/// The request headers the log keeps (lower-case names), with their values as sent.
pub const LOGGED_HEADERS: [&str; 8] =
    ["authorization", "cookie", "content-type", "range", "if-range", "if-match", "if-none-match", "user-agent"];

/// A request body, decoded as far as the log understands it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum LoggedBody {
    /// No body (or an empty one).
    None,
    /// A Portal request: the form field `request=` decoded as JSON (the request object with
    /// `service`, `params`, `format`, `pagesize`, `page`, ...).
    Portal(Value),
    /// A JSON body (the catalogs and MastMissions services).
    Json(Value),
    /// Any other form-encoded body (`colConfigId=...`, `uri=...&uri=...`), as decoded pairs
    /// in order.
    Form(Vec<(String, String)>),
    /// A body the log does not decode (binary, or longer than [`MAX_LOGGED_BODY`]): its length.
    Bytes {
        /// The body's length in bytes.
        len: u64,
    },
}

/// One request the emulator answered (or dropped), as the log keeps it.
///
/// ```
/// use mast_emulator::{LoggedBody, LoggedRequest};
/// let entry = LoggedRequest {
///     seq: 0,
///     key: "invoke:Mast.Caom.Cone".into(),
///     keys: vec!["invoke".into(), "invoke:Mast.Caom.Cone".into()],
///     method: "POST".into(),
///     path: "/api/v0/invoke".into(),
///     query: vec![],
///     body: LoggedBody::Portal(serde_json::json!({"service": "Mast.Caom.Cone", "params": {"ra": 1.0}})),
///     headers: vec![("content-type".into(), "application/x-www-form-urlencoded".into())],
///     fault: None,
///     status: Some(200),
/// };
/// assert_eq!(entry.service().as_deref(), Some("Mast.Caom.Cone"));
/// assert_eq!(entry.params().unwrap()["ra"], 1.0);
/// assert_eq!(entry.header("Content-Type"), Some("application/x-www-form-urlencoded"));
/// assert!(entry.is("invoke"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// The request's number, from 0 at the emulator's start (not restarted by
    /// [`crate::Emulator::reset_stats`]): the log is in this order, the order in which the
    /// requests were counted.
    pub seq: u64,
    /// The most specific endpoint key ([`crate::Stats`]' keys, what fault rules match):
    /// `invoke:Mast.Caom.Cone`, `download:range`, `s3:get`, ...
    pub key: String,
    /// Every key the request was counted under in [`crate::Stats::requests`] (`invoke` and
    /// `invoke:<service>`, `download` and `download:head`, ...).
    pub keys: Vec<String>,
    /// The method (`GET`, `POST`, `HEAD`, ...).
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The query string, decoded into pairs in order.
    pub query: Vec<(String, String)>,
    /// The body, decoded ([`LoggedBody`]).
    pub body: LoggedBody,
    /// The headers of [`LOGGED_HEADERS`] the request carried (lower-case names, raw values,
    /// credentials included: the log is a test aid).
    pub headers: Vec<(String, String)>,
    /// The fault a [`crate::FaultRule`] applied to the answer, if any.
    pub fault: Option<Fault>,
    /// The status answered; `None` when no response head was sent (a dropped connection,
    /// the row ceiling's reset, a client that left first) or not yet.
    pub status: Option<u16>,
}

impl LoggedRequest {
    /// Whether the request was counted under endpoint key `key`.
    pub fn is(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }

    /// The Portal request object: the `request=` form field of the body, else of the query
    /// string (a `GET` of `/api/v0/invoke`), decoded as JSON.
    pub fn portal_request(&self) -> Option<Value> {
        match &self.body {
            LoggedBody::Portal(v) => Some(v.clone()),
            _ => self.query_value("request").and_then(|r| serde_json::from_str(r).ok()),
        }
    }

    /// The `service` of the Portal request object ([`LoggedRequest::portal_request`]), as
    /// sent.
    pub fn service(&self) -> Option<String> {
        self.portal_request().and_then(|r| r.get("service").and_then(Value::as_str).map(str::to_owned))
    }

    /// The `params` of the Portal request object.
    pub fn params(&self) -> Option<Value> {
        self.portal_request().and_then(|mut r| r.get_mut("params").map(Value::take))
    }

    /// The value of header `name` (any case), as sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The first value of `name` in the query string.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every value of `name` in the query string, in order.
    pub fn query_values(&self, name: &str) -> Vec<&str> {
        self.query.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    /// Every value of `name` in a form body ([`LoggedBody::Form`]), in order.
    pub fn form_values(&self, name: &str) -> Vec<&str> {
        match &self.body {
            LoggedBody::Form(pairs) => pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect(),
            _ => Vec::new(),
        }
    }
}

/// The request log at one moment ([`crate::Emulator::request_log`], `GET
/// /__emulator/requests[?key=<endpoint key>]`): the last [`MAX_LOGGED_REQUESTS`] requests
/// (and about [`MAX_LOGGED_BYTES`] of their text) since the start or the last reset, oldest
/// first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestLog {
    /// The entries, in [`LoggedRequest::seq`] order.
    pub entries: Vec<LoggedRequest>,
    /// How many older entries were dropped to keep the bound.
    pub dropped: u64,
}

impl RequestLog {
    /// The entries counted under endpoint key `key` ([`LoggedRequest::is`]), in order.
    pub fn for_key(&self, key: &str) -> Vec<&LoggedRequest> {
        self.entries.iter().filter(|e| e.is(key)).collect()
    }

    /// The Portal request objects of the entries under `key`, in order.
    pub fn portal_requests(&self, key: &str) -> Vec<Value> {
        self.entries.iter().filter(|e| e.is(key)).filter_map(LoggedRequest::portal_request).collect()
    }
}

/// The log itself, shared by the connections.
#[derive(Debug, Default)]
pub(crate) struct Log {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The entries and their weights (bytes of request text).
    entries: VecDeque<(LoggedRequest, usize)>,
    /// The sum of the weights.
    bytes: usize,
    dropped: u64,
    next_seq: u64,
}

impl Log {
    /// Appends an entry of `weight` bytes of request text (its `seq` is set here), dropping
    /// the oldest ones beyond the bounds, and returns its `seq`.
    pub(crate) fn push(&self, mut entry: LoggedRequest, weight: usize) -> u64 {
        let mut log = lock(&self.inner);
        let seq = log.next_seq;
        log.next_seq += 1;
        entry.seq = seq;
        while !log.entries.is_empty()
            && (log.entries.len() >= MAX_LOGGED_REQUESTS || log.bytes + weight > MAX_LOGGED_BYTES)
        {
            if let Some((_, w)) = log.entries.pop_front() {
                log.bytes -= w;
                log.dropped += 1;
            }
        }
        log.bytes += weight;
        log.entries.push_back((entry, weight));
        seq
    }

    /// Records the status answered to request `seq` (if it is still in the log).
    pub(crate) fn answered(&self, seq: u64, status: Option<u16>) {
        let mut log = lock(&self.inner);
        let first = log.next_seq - log.entries.len() as u64;
        if let Some((entry, _)) = seq.checked_sub(first).and_then(|i| log.entries.get_mut(i as usize)) {
            entry.status = status;
        }
    }

    pub(crate) fn snapshot(&self) -> RequestLog {
        let log = lock(&self.inner);
        RequestLog { entries: log.entries.iter().map(|(e, _)| e.clone()).collect(), dropped: log.dropped }
    }

    /// Empties the log (numbering goes on, so a request answered after the reset does not
    /// touch a newer entry).
    pub(crate) fn clear(&self) {
        let mut log = lock(&self.inner);
        log.entries.clear();
        log.bytes = 0;
        log.dropped = 0;
    }
}

/// The entry of a request, before it is numbered and answered, and its weight for
/// [`MAX_LOGGED_BYTES`] (the bytes of request text it keeps, roughly).
pub(crate) fn entry(
    parts: &hyper::http::request::Parts,
    body: &[u8],
    key: String,
    keys: Vec<String>,
    fault: Option<Fault>,
) -> (LoggedRequest, usize) {
    let body_len = body.len();
    let query = parts.uri.query().map(|q| pairs(q.as_bytes())).unwrap_or_default();
    let headers: Vec<(String, String)> = LOGGED_HEADERS
        .iter()
        .flat_map(|name| {
            parts
                .headers
                .get_all(*name)
                .iter()
                .map(|v| ((*name).to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        })
        .collect();
    let content_type = parts.headers.get(hyper::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let body = decode_body(body, content_type);
    let kept_body = match body {
        LoggedBody::Bytes { .. } | LoggedBody::None => 0,
        _ => body_len,
    };
    let weight = ENTRY_OVERHEAD
        + kept_body
        + parts.uri.path().len()
        + parts.uri.query().map_or(0, str::len)
        + headers.iter().map(|(k, v): &(String, String)| k.len() + v.len()).sum::<usize>();
    let entry = LoggedRequest {
        seq: 0,
        key,
        keys,
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query,
        body,
        headers,
        fault,
        status: None,
    };
    (entry, weight)
}

/// What an entry weighs besides its text (keys, method, fields).
const ENTRY_OVERHEAD: usize = 256;

/// The body as the log keeps it: empty, a Portal `request=` (JSON), JSON, a form, or its
/// length.
fn decode_body(body: &[u8], content_type: &str) -> LoggedBody {
    if body.is_empty() {
        return LoggedBody::None;
    }
    if body.len() > MAX_LOGGED_BODY {
        return LoggedBody::Bytes { len: body.len() as u64 };
    }
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return LoggedBody::Json(v);
    }
    let form = pairs(body);
    if let Some(v) = form.iter().find(|(k, _)| k == "request").and_then(|(_, r)| serde_json::from_str::<Value>(r).ok())
    {
        return LoggedBody::Portal(v);
    }
    let is_form = content_type.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded");
    if (is_form || form.iter().any(|(k, _)| !k.is_empty())) && std::str::from_utf8(body).is_ok() {
        return LoggedBody::Form(form);
    }
    LoggedBody::Bytes { len: body.len() as u64 }
}

fn pairs(data: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(data).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry_with(body: LoggedBody) -> LoggedRequest {
        LoggedRequest {
            seq: 0,
            key: "k".into(),
            keys: vec!["k".into()],
            method: "GET".into(),
            path: "/".into(),
            query: Vec::new(),
            body,
            headers: Vec::new(),
            fault: None,
            status: None,
        }
    }

    #[test]
    fn bodies_are_decoded_by_kind() {
        let portal = b"request=%7B%22service%22%3A%20%22Mast.Caom.Cone%22%7D";
        assert_eq!(decode_body(portal, ""), LoggedBody::Portal(serde_json::json!({"service": "Mast.Caom.Cone"})));
        assert_eq!(
            decode_body(b"{\"limit\": 5}", "application/json"),
            LoggedBody::Json(serde_json::json!({"limit": 5}))
        );
        assert_eq!(
            decode_body(b"uri=mast:a&uri=mast:b", "application/x-www-form-urlencoded"),
            LoggedBody::Form(vec![("uri".into(), "mast:a".into()), ("uri".into(), "mast:b".into())])
        );
        assert_eq!(decode_body(b"", ""), LoggedBody::None);
        assert_eq!(decode_body(&[0xff, 0xfe, 0x00], "application/octet-stream"), LoggedBody::Bytes { len: 3 });
        let big = vec![b'a'; MAX_LOGGED_BODY + 1];
        assert_eq!(decode_body(&big, ""), LoggedBody::Bytes { len: big.len() as u64 });
        // A `request=` that is not JSON stays a form.
        assert_eq!(decode_body(b"request=%7B", ""), LoggedBody::Form(vec![("request".into(), "{".into())]));
    }

    #[test]
    fn bounded_and_numbered() {
        let log = Log::default();
        for _ in 0..MAX_LOGGED_REQUESTS + 5 {
            log.push(entry_with(LoggedBody::None), ENTRY_OVERHEAD);
        }
        let snap = log.snapshot();
        assert_eq!((snap.entries.len(), snap.dropped), (MAX_LOGGED_REQUESTS, 5));
        assert_eq!(snap.entries[0].seq, 5);
        log.answered(4, Some(500)); // dropped: ignored
        log.answered(5, Some(200));
        assert_eq!(log.snapshot().entries[0].status, Some(200));
        log.clear();
        assert_eq!(log.snapshot(), RequestLog::default());
        log.answered(MAX_LOGGED_REQUESTS as u64, Some(404)); // before the reset: ignored
        let seq = log.push(entry_with(LoggedBody::None), ENTRY_OVERHEAD);
        assert_eq!(seq, MAX_LOGGED_REQUESTS as u64 + 5);
        assert_eq!(log.snapshot().entries[0].status, None);
    }

    #[test]
    fn bounded_in_bytes() {
        let log = Log::default();
        let weight = MAX_LOGGED_BODY + ENTRY_OVERHEAD;
        let fit = MAX_LOGGED_BYTES / weight;
        for _ in 0..fit + 3 {
            log.push(entry_with(LoggedBody::Bytes { len: MAX_LOGGED_BODY as u64 }), weight);
        }
        let snap = log.snapshot();
        assert_eq!((snap.entries.len(), snap.dropped), (fit, 3));
        assert_eq!(snap.entries[0].seq, 3);
        // One entry heavier than the whole budget is still kept, alone.
        log.push(entry_with(LoggedBody::None), MAX_LOGGED_BYTES + 1);
        let snap = log.snapshot();
        assert_eq!((snap.entries.len(), snap.dropped), (1, 3 + fit as u64));
    }

    #[test]
    fn portal_request_from_the_query_string() {
        let mut e = entry_with(LoggedBody::None);
        e.query = vec![("request".into(), "{\"service\": \"S\", \"params\": {\"a\": 1}}".into())];
        assert_eq!(e.portal_request().unwrap()["service"], "S");
        assert_eq!(e.params(), Some(serde_json::json!({"a": 1})));
        assert_eq!(e.service().as_deref(), Some("S"));
    }
}
