//! The HTTP/1.1 server: connections (hyper), request routing, fault delivery and the
//! `/__emulator/` control endpoints.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HeaderValue, LOCATION, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::Sleep;

use crate::cloud::{self, CloudStore, S3Op};
use crate::faults::{Fault, FaultBook, FaultRule, HUGE_CONTENT_LENGTH};
use crate::files::{self, FileContent, FileOptions, FileRequest};
use crate::portal::{self, ConeCache, FilteredCache, Outcome, PageCache, ProductCache};
use crate::stats::{InFlight, Recorder, lock};
use crate::{DataMode, fixtures, resolver};
use mast_proto::endpoints;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The largest request body read (larger ones drop the connection).
const MAX_BODY: usize = 64 << 20;
/// The pause before a connection is cut by `DropMidBody` / `TruncatedBody`, so that what
/// was sent reaches the client first.
const ABORT_PAUSE: Duration = Duration::from_millis(50);

const JSON: &str = "application/json; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

/// The redirect route: `/__emulator/redirect?to=<url>[&hops=N][&status=302]` answers `status`
/// with `Location: <url>`, or with `hops` > 1 a chain of redirects to itself before that.
/// Unlike the other `/__emulator/` paths it is counted in the stats (key `redirect`).
const REDIRECT_PATH: &str = "/__emulator/redirect";

/// Everything the request handlers share.
pub(crate) struct State {
    pub(crate) base_url: String,
    pub(crate) row_limit: usize,
    pub(crate) seed: u64,
    pub(crate) mode: DataMode,
    pub(crate) latency_us: AtomicU64,
    pub(crate) executing_polls: AtomicU32,
    pub(crate) faults: Mutex<FaultBook>,
    pub(crate) stats: Arc<Recorder>,
    pub(crate) executing: Mutex<HashMap<String, u32>>,
    pub(crate) cones: ConeCache,
    pub(crate) filtered: FilteredCache,
    pub(crate) products: ProductCache,
    pub(crate) pages: PageCache,
    pub(crate) file_options: Mutex<FileOptions>,
    pub(crate) cloud: CloudStore,
    pub(crate) barriers: crate::barrier::Barriers,
    /// The tokens `/whoami` knows (and exclusive-access files accept).
    pub(crate) tokens: Vec<crate::EmulatorToken>,
    /// Whether generated product lists name exclusive-access products.
    pub(crate) exclusive_products: bool,
}

/// Accepts connections until the task is aborted; aborting it drops the `JoinSet`, which
/// aborts every connection task.
pub(crate) async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    let mut connections = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        let _ = stream.set_nodelay(true);
        connections.spawn(serve_connection(stream, Arc::clone(&state)));
    }
}

async fn serve_connection(stream: TcpStream, state: Arc<State>) {
    let ctl = Arc::new(ConnCtl::default());
    let io = TokioIo::new(ConnIo { inner: stream, ctl: Arc::clone(&ctl) });
    let service = hyper::service::service_fn(move |req| handle(Arc::clone(&state), Arc::clone(&ctl), req));
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .keep_alive(true)
        .serve_connection(io, service);
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "connection ended");
    }
}

/// Per-connection switches set by the handlers.
#[derive(Default)]
pub(crate) struct ConnCtl {
    /// Close with a TCP reset (zero linger) instead of an orderly close.
    reset: AtomicBool,
}

/// The TCP stream, with a reset-on-close switch.
struct ConnIo {
    inner: TcpStream,
    ctl: Arc<ConnCtl>,
}

impl Drop for ConnIo {
    fn drop(&mut self) {
        if self.ctl.reset.load(Ordering::SeqCst) {
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

// ---- response bodies ----------------------------------------------------------------------

/// A response body: chunks (in memory, then generated file content) sent with an optional
/// pause before each, then either the end or an abort of the connection. It also holds the
/// request's in-flight mark until it is done.
pub(crate) struct EmuBody {
    chunks: VecDeque<Bytes>,
    generated: Option<Generated>,
    /// A body from elsewhere (the S3 service), passed through after the chunks.
    stream: Option<Streamed>,
    pause: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    paused: bool,
    end: End,
    remaining: u64,
    /// Whether the size hint is exact (hyper then sends `Content-Length`, else chunked).
    exact: bool,
    in_flight: Option<InFlight>,
    /// Body bytes produced so far.
    sent: u64,
    /// A silence of this long once this many body bytes were sent (`StallMidBody`).
    stall: Option<(u64, Duration)>,
}

/// File content produced chunk by chunk, counted in the stats as it is sent.
struct Generated {
    file: FileContent,
    pos: u64,
    end: u64,
    chunk: u64,
    recorder: Arc<Recorder>,
    key: &'static str,
}

/// A passed-through body, its data bytes counted under `key` in the stats when `recorder` is set.
struct Streamed {
    body: Pin<Box<s3s::Body>>,
    recorder: Option<Arc<Recorder>>,
    key: &'static str,
}

enum End {
    Complete,
    Abort { ctl: Arc<ConnCtl>, reset: bool, waited: bool },
}

impl EmuBody {
    pub(crate) fn full(bytes: impl Into<Bytes>) -> Self {
        EmuBody::chunked(vec![bytes.into()], Duration::ZERO)
    }

    pub(crate) fn empty() -> Self {
        EmuBody::chunked(Vec::new(), Duration::ZERO)
    }

    pub(crate) fn chunked(chunks: Vec<Bytes>, pause: Duration) -> Self {
        let chunks: VecDeque<Bytes> = chunks.into_iter().filter(|c| !c.is_empty()).collect();
        let remaining = chunks.iter().map(|c| c.len() as u64).sum();
        EmuBody {
            chunks,
            generated: None,
            stream: None,
            pause,
            sleep: None,
            paused: false,
            end: End::Complete,
            remaining,
            exact: true,
            in_flight: None,
            sent: 0,
            stall: None,
        }
    }

    /// The bytes `range` of `file`, produced `chunk` bytes at a time and counted under `key`
    /// in the stats' `bytes_sent`.
    pub(crate) fn generated(
        file: FileContent,
        range: std::ops::Range<u64>,
        chunk: u64,
        recorder: &Arc<Recorder>,
        key: &'static str,
    ) -> Self {
        let mut body = EmuBody::empty();
        body.remaining = range.end.saturating_sub(range.start);
        body.generated = Some(Generated {
            file,
            pos: range.start,
            end: range.end.max(range.start),
            chunk: chunk.max(1),
            recorder: Arc::clone(recorder),
            key,
        });
        body
    }

    /// `full` in up to 10 chunks with pauses adding up to `pause` (the `SlowBody` fault).
    pub(crate) fn slowly(full: Bytes, pause: Duration) -> Self {
        let step = full.len().div_ceil(10).max(1);
        let chunks: Vec<Bytes> =
            (0..full.len()).step_by(step).map(|i| full.slice(i..(i + step).min(full.len()))).collect();
        let pause = pause / chunks.len().max(1) as u32;
        EmuBody::chunked(chunks, pause)
    }

    /// The start of a non-empty `full`, then the connection cut: half with a TCP reset
    /// (`DropMidBody`), about three quarters (never all) with an orderly close
    /// (`TruncatedBody`). The caller announces `full.len()` as the `Content-Length`.
    pub(crate) fn cut(full: &Bytes, ctl: Arc<ConnCtl>, reset: bool) -> Self {
        let sent = if reset { full.len() / 2 } else { (full.len() * 3 / 4).min(full.len() - 1) };
        EmuBody::aborting(full.slice(..sent), ctl, reset)
    }

    /// `full` with a silence of `pause` after its first half (the `StallMidBody` fault).
    pub(crate) fn stalled(full: Bytes, pause: Duration) -> Self {
        let half = full.len() as u64 / 2;
        EmuBody::full(full).stalling(half, pause)
    }

    /// Goes silent for `pause` (the connection kept open) once `at` body bytes were sent.
    pub(crate) fn stalling(mut self, at: u64, pause: Duration) -> Self {
        self.stall = Some((at, pause));
        self
    }

    /// The body bytes still to send (of the chunks; not of a passed-through body).
    pub(crate) fn remaining_len(&self) -> u64 {
        self.remaining
    }

    pub(crate) fn aborting(sent: Bytes, ctl: Arc<ConnCtl>, reset: bool) -> Self {
        EmuBody::full(sent).aborting_after(ctl, reset)
    }

    /// `body`, passed through frame by frame; its data bytes are counted under `key` in the
    /// stats' `bytes_sent` when `recorder` is given.
    pub(crate) fn streaming(body: s3s::Body, recorder: Option<Arc<Recorder>>, key: &'static str) -> Self {
        let mut out = EmuBody::empty();
        out.stream = Some(Streamed { body: Box::pin(body), recorder, key });
        out
    }

    /// Ends by cutting the connection (a reset when `reset`) instead of completing.
    pub(crate) fn aborting_after(mut self, ctl: Arc<ConnCtl>, reset: bool) -> Self {
        self.end = End::Abort { ctl, reset, waited: false };
        self
    }

    /// Pauses this long before each chunk.
    pub(crate) fn pausing(mut self, pause: Duration) -> Self {
        self.pause = pause;
        self
    }

    /// Whether the length is announced (`Content-Length`) or left open (chunked encoding).
    pub(crate) fn exact(mut self, exact: bool) -> Self {
        self.exact = exact;
        self
    }

    pub(crate) fn holding(mut self, in_flight: InFlight) -> Self {
        self.in_flight = Some(in_flight);
        self
    }

    fn has_more(&self) -> bool {
        !self.chunks.is_empty() || self.generated.as_ref().is_some_and(|g| g.pos < g.end)
    }

    /// The next chunk, never crossing a pending stall point.
    fn next_chunk(&mut self) -> Option<Bytes> {
        let limit = match self.stall {
            Some((at, _)) if at > self.sent => at - self.sent,
            _ => u64::MAX,
        };
        if let Some(mut chunk) = self.chunks.pop_front() {
            if chunk.len() as u64 > limit {
                let rest = chunk.split_off(limit as usize);
                self.chunks.push_front(rest);
            }
            return Some(chunk);
        }
        let g = self.generated.as_mut().filter(|g| g.pos < g.end)?;
        let end = (g.pos + g.chunk).min(g.end).min(g.pos.saturating_add(limit));
        let chunk = g.file.bytes(g.pos..end);
        g.pos = end;
        g.recorder.bytes_sent(g.key, chunk.len() as u64);
        Some(chunk)
    }
}

impl Body for EmuBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        loop {
            if let Some(sleep) = this.sleep.as_mut() {
                ready!(sleep.as_mut().poll(cx));
                this.sleep = None;
                this.paused = true;
            }
            if this.has_more() {
                if let Some((at, pause)) = this.stall
                    && this.sent >= at
                {
                    this.stall = None;
                    this.sleep = Some(Box::pin(tokio::time::sleep(pause)));
                    continue;
                }
                if !this.pause.is_zero() && !this.paused {
                    this.sleep = Some(Box::pin(tokio::time::sleep(this.pause)));
                    continue;
                }
                this.paused = false;
                if let Some(chunk) = this.next_chunk() {
                    this.remaining = this.remaining.saturating_sub(chunk.len() as u64);
                    this.sent += chunk.len() as u64;
                    return Poll::Ready(Some(Ok(Frame::data(chunk))));
                }
            }
            if let Some(stream) = this.stream.as_mut() {
                match ready!(stream.body.as_mut().poll_frame(cx)) {
                    Some(Ok(frame)) => {
                        if let (Some(data), Some(recorder)) = (frame.data_ref(), &stream.recorder) {
                            recorder.bytes_sent(stream.key, data.len() as u64);
                        }
                        return Poll::Ready(Some(Ok(frame)));
                    }
                    Some(Err(e)) => {
                        this.stream = None;
                        return Poll::Ready(Some(Err(e)));
                    }
                    None => {
                        this.stream = None;
                        continue;
                    }
                }
            }
            match &mut this.end {
                End::Complete => {
                    this.in_flight = None;
                    return Poll::Ready(None);
                }
                End::Abort { ctl, reset, waited } => {
                    if !*waited {
                        *waited = true;
                        this.sleep = Some(Box::pin(tokio::time::sleep(ABORT_PAUSE)));
                        continue;
                    }
                    if *reset {
                        ctl.reset.store(true, Ordering::SeqCst);
                    }
                    return Poll::Ready(Some(Err("emulated fault: connection cut mid-body".into())));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        !self.has_more()
            && self.stream.as_ref().is_none_or(|s| s.body.is_end_stream())
            && matches!(self.end, End::Complete)
    }

    fn size_hint(&self) -> SizeHint {
        if let Some(stream) = &self.stream {
            let inner = stream.body.size_hint();
            return match (inner.exact(), &self.end) {
                (Some(n), End::Complete) => SizeHint::with_exact(n + self.remaining),
                _ => SizeHint::default(),
            };
        }
        match self.end {
            End::Complete if self.exact => SizeHint::with_exact(self.remaining),
            End::Complete => SizeHint::default(),
            // The Content-Length header (the full length) decides.
            End::Abort { .. } => SizeHint::default(),
        }
    }
}

/// A complete answer, before any fault changes how it is delivered.
struct Reply {
    status: StatusCode,
    content_type: &'static str,
    location: Option<String>,
    body: Bytes,
}

impl Reply {
    fn new(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        Reply { status, content_type, location: None, body: body.into() }
    }

    fn json(body: impl Into<Bytes>) -> Self {
        Reply::new(StatusCode::OK, JSON, body)
    }

    /// The response with this reply's own body.
    fn into_response(mut self) -> Response<EmuBody> {
        let body = EmuBody::full(std::mem::take(&mut self.body));
        self.response(body)
    }

    /// The response with another body (the reply's own is ignored).
    fn response(self, body: EmuBody) -> Response<EmuBody> {
        let mut r = Response::new(body);
        *r.status_mut() = self.status;
        r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        if let Some(location) = self.location.as_deref().and_then(|l| HeaderValue::from_str(l).ok()) {
            r.headers_mut().insert(LOCATION, location);
        }
        r
    }
}

// ---- routing ------------------------------------------------------------------------------

/// What a request asks for.
enum Endpoint {
    Invoke {
        request: Result<Map<String, Value>, String>,
        key: String,
    },
    ColumnsConfig {
        id: String,
    },
    Resolver {
        query: String,
    },
    CatalogSearch {
        catalog: String,
        page: Option<(u64, u64)>,
    },
    CatalogMetadata {
        catalog: String,
    },
    /// A MastMissions search: `limit` rows from `offset`; `total` replaces `totalResults`
    /// (the `TotalResults` fault).
    MissionSearch {
        mission: String,
        limit: u64,
        offset: u64,
        total: Option<String>,
    },
    /// `/__emulator/redirect`.
    Redirect {
        to: Option<String>,
        hops: u32,
        status: u16,
    },
    File(FileRequest),
    /// A request for the S3 bucket (`/<bucket>[/<key>]`).
    S3(S3Op),
    /// `path_lookup`: the URIs of the query, in order.
    PathLookup {
        uris: Vec<String>,
    },
    /// `/whoami`, with the token the request presents.
    Whoami {
        token: Option<String>,
    },
    /// `Download/bundle.sh`: the URIs of the form body (or query), in order.
    Bundle {
        uris: Vec<String>,
    },
    /// A staged bundle script (`/portal/Download/stage/<...>/<name>.sh`, the `url` of a
    /// `Mast.Bundle.Request` answer): its last path segment.
    Stage {
        name: String,
    },
    WrongMethod {
        key: String,
        allow: &'static str,
    },
    NotFound,
}

/// The endpoints of mast-proto's table ([`mast_proto::endpoints`]) this emulator serves:
/// the router matches request paths against exactly these (`Download/file` in
/// [`files`], the others beside this list), so a path changed in the table changes here
/// too. The S3 bucket (`/<bucket>[/<key>]`), `/files/<name>` and `/__emulator/` are
/// the emulator's own.
pub const SERVED_ENDPOINTS: &[endpoints::Endpoint] = &[
    endpoints::INVOKE,
    endpoints::COLUMNS_CONFIG,
    endpoints::DOWNLOAD_FILE,
    endpoints::DOWNLOAD_BUNDLE,
    endpoints::PATH_LOOKUP,
    endpoints::SANTA,
    endpoints::CATALOGS_SEARCH,
    endpoints::CATALOGS_METADATA,
    endpoints::MISSIONS_SEARCH,
    endpoints::WHOAMI,
    endpoints::HLA_GETDATA,
    endpoints::HLA_ECFPROXY,
];

/// Where `Mast.Bundle.Request` answers say MAST staged a script (a URL MAST hands back, not
/// an endpoint of the table).
pub const STAGE_PREFIX: &str = "/portal/Download/stage/";

/// The staged script the emulator serves at `STAGE_PREFIX.../<name>`: a deterministic shell
/// script of two lines naming it (what astroquery's conformance mock serves there too).
///
/// ```
/// assert_eq!(mast_emulator::staged_script("mastDownload_20170621142037.sh"), "#!/bin/sh\n# staged bundle mastDownload_20170621142037.sh\n");
/// ```
pub fn staged_script(name: &str) -> String {
    format!("#!/bin/sh\n# staged bundle {name}\n")
}

impl Endpoint {
    fn classify(method: &Method, path: &str, query: &str, body: &[u8]) -> Endpoint {
        let get_or_post = *method == Method::GET || *method == Method::POST;
        if path == REDIRECT_PATH {
            let num = |n: &str| form_value(query.as_bytes(), n).and_then(|v| v.parse::<u32>().ok());
            return Endpoint::Redirect {
                to: form_value(query.as_bytes(), "to"),
                hops: num("hops").unwrap_or(1).max(1),
                status: num("status").and_then(|s| u16::try_from(s).ok()).unwrap_or(302),
            };
        }
        if let Some(rest) = path.strip_prefix(STAGE_PREFIX) {
            if *method != Method::GET && *method != Method::HEAD {
                return Endpoint::WrongMethod { key: "stage".into(), allow: "GET, HEAD" };
            }
            return Endpoint::Stage { name: rest.rsplit('/').next().unwrap_or_default().to_owned() };
        }
        let Some((served, params)) = SERVED_ENDPOINTS.iter().find_map(|e| e.match_path(path).map(|p| (e, p))) else {
            return Endpoint::NotFound;
        };
        match *served {
            endpoints::INVOKE => {
                if !get_or_post {
                    return Endpoint::WrongMethod { key: "invoke".into(), allow: "GET, POST" };
                }
                let raw = form_value(body, "request").or_else(|| form_value(query.as_bytes(), "request"));
                let request = portal::parse_request(raw.as_deref());
                let key = match request.as_ref().ok().and_then(portal::service_of) {
                    Some(service) => format!("invoke:{service}"),
                    None => "invoke".into(),
                };
                Endpoint::Invoke { request, key }
            }
            endpoints::COLUMNS_CONFIG => {
                if !get_or_post {
                    return Endpoint::WrongMethod { key: "columnsconfig".into(), allow: "GET, POST" };
                }
                let id = form_value(body, "colConfigId").or_else(|| form_value(query.as_bytes(), "colConfigId"));
                Endpoint::ColumnsConfig { id: id.unwrap_or_default() }
            }
            endpoints::DOWNLOAD_BUNDLE => {
                if !get_or_post {
                    return Endpoint::WrongMethod { key: "bundle".into(), allow: "GET, POST" };
                }
                let uris = form_urlencoded::parse(body)
                    .chain(form_urlencoded::parse(query.as_bytes()))
                    .filter(|(k, _)| k == "uri")
                    .map(|(_, v)| v.into_owned())
                    .collect();
                Endpoint::Bundle { uris }
            }
            endpoints::PATH_LOOKUP => {
                if *method != Method::GET {
                    return Endpoint::WrongMethod { key: "path_lookup".into(), allow: "GET" };
                }
                let uris = form_urlencoded::parse(query.as_bytes())
                    .filter(|(k, _)| k == "uri")
                    .map(|(_, v)| v.into_owned())
                    .collect();
                Endpoint::PathLookup { uris }
            }
            endpoints::SANTA => {
                if *method != Method::GET {
                    return Endpoint::WrongMethod { key: "resolver".into(), allow: "GET" };
                }
                Endpoint::Resolver { query: query.to_owned() }
            }
            endpoints::MISSIONS_SEARCH => {
                let mission = params.first().copied().unwrap_or_default().to_ascii_lowercase();
                if *method != Method::POST {
                    return Endpoint::WrongMethod { key: format!("search:{mission}"), allow: "POST" };
                }
                let v = serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);
                let limit = v.get("limit").and_then(Value::as_u64).unwrap_or(5000);
                let offset = v.get("offset").and_then(Value::as_u64).unwrap_or(0);
                Endpoint::MissionSearch { mission, limit, offset, total: None }
            }
            endpoints::CATALOGS_SEARCH => {
                let catalog = params.first().copied().unwrap_or_default().to_ascii_lowercase();
                if !get_or_post {
                    return Endpoint::WrongMethod { key: format!("services:{catalog}"), allow: "GET, POST" };
                }
                let page = catalog_paging(body, query);
                Endpoint::CatalogSearch { catalog, page }
            }
            endpoints::CATALOGS_METADATA => {
                let catalog = params.first().copied().unwrap_or_default().to_ascii_lowercase();
                if *method != Method::GET {
                    return Endpoint::WrongMethod { key: format!("services:{catalog}:metadata"), allow: "GET" };
                }
                Endpoint::CatalogMetadata { catalog }
            }
            endpoints::WHOAMI => {
                if *method != Method::GET {
                    return Endpoint::WrongMethod { key: "whoami".into(), allow: "GET" };
                }
                Endpoint::Whoami { token: None }
            }
            // `Download/file` is classified by `files::classify` before this point.
            _ => Endpoint::NotFound,
        }
    }

    /// The most specific endpoint key (what fault rules match against).
    fn key(&self) -> String {
        match self {
            Endpoint::Invoke { key, .. } => key.clone(),
            Endpoint::ColumnsConfig { .. } => "columnsconfig".into(),
            Endpoint::Resolver { .. } => "resolver".into(),
            Endpoint::CatalogSearch { catalog, .. } => format!("services:{catalog}"),
            Endpoint::CatalogMetadata { catalog } => format!("services:{catalog}:metadata"),
            Endpoint::MissionSearch { mission, .. } => format!("search:{mission}"),
            Endpoint::Redirect { .. } => "redirect".into(),
            Endpoint::File(f) => f.key(),
            Endpoint::S3(op) => op.fault_key().into(),
            Endpoint::PathLookup { .. } => "path_lookup".into(),
            Endpoint::Bundle { .. } => "bundle".into(),
            Endpoint::Stage { .. } => "stage".into(),
            Endpoint::Whoami { .. } => "whoami".into(),
            Endpoint::WrongMethod { key, .. } => key.clone(),
            Endpoint::NotFound => "not_found".into(),
        }
    }

    /// Every key the request is counted under.
    fn keys(&self) -> Vec<String> {
        let key = self.key();
        if key.starts_with("invoke:") {
            return vec!["invoke".into(), key];
        }
        match self {
            Endpoint::File(f) if f.base_key() != key => vec![f.base_key().into(), key],
            Endpoint::S3(op) => op.keys(),
            _ => vec![key],
        }
    }
}

/// The first value of `name` in a form-encoded text.
fn form_value(data: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(data).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// `(page, pagesize)` of a catalogs search, from its JSON body or its query string.
fn catalog_paging(body: &[u8], query: &str) -> Option<(u64, u64)> {
    let (page, size) = match serde_json::from_slice::<Value>(body) {
        Ok(v) => (v.get("page").and_then(Value::as_u64), v.get("pagesize").and_then(Value::as_u64)),
        Err(_) => {
            let num = |n: &str| form_value(query.as_bytes(), n).and_then(|s| s.parse::<u64>().ok());
            (num("page"), num("pagesize"))
        }
    };
    let size = size.filter(|&s| s > 0)?;
    Some((page.unwrap_or(1).max(1), size))
}

async fn handle(state: Arc<State>, ctl: Arc<ConnCtl>, req: Request<Incoming>) -> Result<Response<EmuBody>, BoxError> {
    let path = req.uri().path().to_owned();
    if (path == "/__emulator" || path.starts_with("/__emulator/")) && path != REDIRECT_PATH {
        return Ok(control(&state, req).await);
    }
    // The request log's entry number, once the request is counted; its status when answered.
    let mut logged = None;
    let result = serve(Arc::clone(&state), ctl, req, path, &mut logged).await;
    if let Some(seq) = logged {
        state.stats.log.answered(seq, result.as_ref().ok().map(|r| r.status().as_u16()));
    }
    result
}

async fn serve(
    state: Arc<State>,
    ctl: Arc<ConnCtl>,
    req: Request<Incoming>,
    path: String,
    logged: &mut Option<u64>,
) -> Result<Response<EmuBody>, BoxError> {
    let in_flight = state.stats.enter();
    let (parts, incoming) = req.into_parts();
    let method = parts.method.clone();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let header =
        |name: hyper::header::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (range, if_range) = (header(hyper::header::RANGE), header(hyper::header::IF_RANGE));
    let credentials = parts.headers.contains_key(AUTHORIZATION)
        || parts
            .headers
            .get_all(COOKIE)
            .iter()
            .any(|v| v.to_str().is_ok_and(|c| c.split(';').any(|kv| kv.trim_start().starts_with("mast_token="))));
    let body = match Limited::new(incoming, MAX_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            let reply = Reply::new(StatusCode::PAYLOAD_TOO_LARGE, TEXT, "413 Payload Too Large\n");
            return Ok(reply.into_response());
        }
        Err(e) => return Err(e),
    };
    let if_match = parts.headers.contains_key(hyper::header::IF_MATCH);
    let s3 = cloud::classify(&method, &path, (range.is_some(), if_match), state.cloud.bucket());
    let endpoint = match s3.map(Ok).or_else(|| files::classify(&method, &path, &query, range, if_range).map(Err)) {
        Some(Ok(op)) => Endpoint::S3(op),
        Some(Err(Ok(file))) => Endpoint::File(file),
        Some(Err(Err((key, allow)))) => Endpoint::WrongMethod { key: key.into(), allow },
        None => Endpoint::classify(&method, &path, &query, &body),
    };
    let mut endpoint = endpoint;
    match &mut endpoint {
        Endpoint::Whoami { token } => *token = crate::auth::presented(&parts.headers),
        Endpoint::File(file) => {
            file.authorized =
                crate::auth::presented(&parts.headers).is_some_and(|t| crate::auth::is_valid(&state.tokens, &t));
        }
        _ => {}
    }
    let key = endpoint.key();
    state.stats.record(&endpoint.keys());
    if credentials {
        state.stats.record_authorized(&endpoint.keys());
    }
    let fault = lock(&state.faults).pick(&key);
    if let Some(f) = &fault {
        state.stats.fault_injected();
        tracing::debug!(endpoint = key, fault = ?f, "injecting fault");
    }
    let (entry, weight) = crate::log::entry(&parts, &body, key.clone(), endpoint.keys(), fault.clone());
    *logged = Some(state.stats.log.push(entry, weight));
    state.barriers.pass(&key, &state.stats).await;
    if matches!(endpoint, Endpoint::Invoke { .. } | Endpoint::File(_) | Endpoint::S3(_) | Endpoint::PathLookup { .. }) {
        let latency = state.latency_us.load(Ordering::SeqCst);
        if latency > 0 {
            tokio::time::sleep(Duration::from_micros(latency)).await;
        }
    }
    // A status fault: the code and the `Retry-After` header value, if any.
    let status_fault = match &fault {
        Some(Fault::Status { code, retry_after }) => Some((*code, retry_after.map(HeaderValue::from))),
        Some(Fault::RawRetryAfter { code, retry_after }) => Some((*code, Some(raw_header_value(retry_after)))),
        _ => None,
    };
    if let Some((code, retry_after)) = status_fault {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let reason = status.canonical_reason().unwrap_or("Error");
        let mut r = if matches!(endpoint, Endpoint::S3(_)) {
            let msg = format!("{} {reason} (emulated fault)", status.as_u16());
            cloud::s3_error(status, cloud::fault_code(status), &msg, &path).map(|b| b.holding(in_flight))
        } else {
            let reply = Reply::new(status, TEXT, format!("{} {reason} (emulated fault)\n", status.as_u16()));
            let body = EmuBody::full(reply.body.clone()).holding(in_flight);
            reply.response(body)
        };
        if let Some(value) = retry_after {
            r.headers_mut().insert(RETRY_AFTER, value);
        }
        return Ok(r);
    }
    match fault {
        Some(Fault::DropBeforeResponse) => return Err("emulated fault: connection dropped before the response".into()),
        Some(Fault::HtmlErrorPage) => {
            let body = EmuBody::full(HTML_ERROR_PAGE).holding(in_flight);
            return Ok(Reply::new(StatusCode::OK, HTML, Bytes::new()).response(body));
        }
        _ => {}
    }
    if let (Endpoint::MissionSearch { total, .. }, Some(Fault::TotalResults { value })) = (&mut endpoint, &fault) {
        *total = Some(value.clone());
    }
    if let Endpoint::File(file) = endpoint {
        return Ok(files::respond(&state, file, fault, in_flight, &ctl).await);
    }
    if let Endpoint::S3(op) = endpoint {
        return cloud::respond(&state, op, parts, body, fault, in_flight, &ctl).await;
    }
    let reply = match answer(&state, endpoint).await {
        Some(reply) => reply,
        None => {
            ctl.reset.store(true, Ordering::SeqCst);
            return Err("row limit exceeded: connection reset without a response".into());
        }
    };
    Ok(deliver(reply, fault, in_flight, &ctl).await)
}

/// `text` as a header value, with the bytes a header cannot hold (control characters other
/// than tab) replaced by `?`.
fn raw_header_value(text: &str) -> HeaderValue {
    let bytes: Vec<u8> = text.bytes().map(|b| if (b < 0x20 && b != b'\t') || b == 0x7f { b'?' } else { b }).collect();
    HeaderValue::from_bytes(&bytes).unwrap_or_else(|_| HeaderValue::from_static("?"))
}

/// A JSON object body with its `paging.rowsFiltered` / `paging.pagesFiltered` replaced by
/// raw text (the `Paging` fault); every other member is kept byte for byte, in order.
/// `None` when the body is not a JSON object.
pub(crate) fn with_raw_paging(body: &[u8], rows_filtered: &str, pages_filtered: &str) -> Option<Bytes> {
    let members = serde_json::from_slice::<OrderedMembers>(body).ok()?.0;
    let raw = |out: &mut String, paging: Option<&serde_json::value::RawValue>| {
        let old: Map<String, Value> = paging.and_then(|p| serde_json::from_str(p.get()).ok()).unwrap_or_default();
        out.push('{');
        let mut first = true;
        let mut put = |out: &mut String, key: &str, value: &str| {
            if !std::mem::take(&mut first) {
                out.push_str(", ");
            }
            out.push_str(&Value::from(key).to_string());
            out.push_str(": ");
            out.push_str(value);
        };
        for (key, value) in &old {
            match key.as_str() {
                "rowsFiltered" | "pagesFiltered" => {}
                _ => put(out, key, &value.to_string()),
            }
        }
        put(out, "pagesFiltered", pages_filtered);
        put(out, "rowsFiltered", rows_filtered);
        out.push('}');
    };
    let mut out = String::with_capacity(body.len() + 64);
    out.push('{');
    let mut seen = false;
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&Value::from(key.as_str()).to_string());
        out.push_str(": ");
        if key == "paging" {
            seen = true;
            raw(&mut out, Some(value));
        } else {
            out.push_str(value.get());
        }
    }
    if !seen {
        if !members.is_empty() {
            out.push_str(", ");
        }
        out.push_str("\"paging\": ");
        raw(&mut out, None);
    }
    out.push('}');
    Some(Bytes::from(out))
}

/// The members of a JSON object, in order, their values unparsed.
struct OrderedMembers(Vec<(String, Box<serde_json::value::RawValue>)>);

impl<'de> Deserialize<'de> for OrderedMembers {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = OrderedMembers;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<OrderedMembers, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    members.push(entry);
                }
                Ok(OrderedMembers(members))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// Sends a reply, changed by a body-level fault if there is one.
async fn deliver(mut reply: Reply, fault: Option<Fault>, in_flight: InFlight, ctl: &Arc<ConnCtl>) -> Response<EmuBody> {
    let full = std::mem::take(&mut reply.body);
    let body = match fault {
        Some(Fault::Paging { rows_filtered, pages_filtered }) => {
            EmuBody::full(with_raw_paging(&full, &rows_filtered, &pages_filtered).unwrap_or(full))
        }
        Some(Fault::StallMidBody { millis }) => EmuBody::stalled(full, Duration::from_millis(millis)),
        Some(Fault::HugeContentLength) => {
            let body = EmuBody::aborting(full, Arc::clone(ctl), false).holding(in_flight);
            let mut r = reply.response(body);
            r.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(HUGE_CONTENT_LENGTH));
            return r;
        }
        Some(Fault::MalformedJson) => {
            reply.status = StatusCode::OK;
            reply.content_type = JSON;
            let cut = if full.len() >= 2 {
                full.slice(..full.len() / 2)
            } else {
                Bytes::from_static(b"{\"status\": \"COMPL")
            };
            EmuBody::full(cut)
        }
        Some(Fault::SlowFirstByte { millis }) => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            EmuBody::full(full)
        }
        Some(Fault::SlowBody { millis }) => EmuBody::slowly(full, Duration::from_millis(millis)),
        Some(Fault::DropMidBody) | Some(Fault::TruncatedBody) => {
            let full = if full.is_empty() { Bytes::from_static(b"{}") } else { full };
            let reset = matches!(fault, Some(Fault::DropMidBody));
            let body = EmuBody::cut(&full, Arc::clone(ctl), reset).holding(in_flight);
            let mut r = reply.response(body);
            r.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(full.len()));
            return r;
        }
        _ => EmuBody::full(full),
    };
    reply.response(body.holding(in_flight))
}

/// The normal answer; `None` = close the connection without one.
async fn answer(state: &Arc<State>, endpoint: Endpoint) -> Option<Reply> {
    Some(match endpoint {
        Endpoint::Invoke { request, .. } => {
            let st = Arc::clone(state);
            let outcome = tokio::task::spawn_blocking(move || portal::answer(&st, request)).await.unwrap_or_else(|e| {
                Outcome::Json(portal::status_body("ERROR", &format!("internal error: {e}"), None).into())
            });
            match outcome {
                Outcome::Json(b) => Reply::json(b),
                Outcome::Reset => return None,
            }
        }
        Endpoint::ColumnsConfig { id } => Reply::json(columns_config(&id, state.mode)),
        Endpoint::Whoami { token } => Reply::json(crate::auth::whoami(&state.tokens, token.as_deref())),
        Endpoint::Resolver { query } => Reply::json(resolver::santa(&query)),
        Endpoint::CatalogSearch { catalog, page } => {
            if catalog != "panstarrs" {
                return Some(unknown_catalog(&catalog));
            }
            match page {
                Some((page, size)) => Reply::json(fixtures::services_page(&fixtures::PANSTARRS, page, size)),
                None => Reply::json(fixtures::PANSTARRS.bytes),
            }
        }
        Endpoint::CatalogMetadata { catalog } => {
            if catalog != "panstarrs" {
                return Some(unknown_catalog(&catalog));
            }
            Reply::json(fixtures::PANSTARRS_COLUMNS.bytes)
        }
        Endpoint::MissionSearch { limit, offset, total, .. } => Reply::json(fixtures::services_slice(
            &fixtures::MISSION_RESULTS,
            "results",
            offset,
            limit,
            total.as_deref(),
        )),
        Endpoint::Redirect { to: None, .. } => {
            Reply::new(StatusCode::BAD_REQUEST, TEXT, "400 expected ?to=<url>[&hops=N][&status=302]\n")
        }
        Endpoint::Redirect { to: Some(to), hops, status } => {
            let status =
                StatusCode::from_u16(status).ok().filter(StatusCode::is_redirection).unwrap_or(StatusCode::FOUND);
            let location = if hops > 1 {
                let to = mast_proto::pyfmt::form_encode(&to);
                format!("{REDIRECT_PATH}?to={to}&hops={}&status={}", hops - 1, status.as_u16())
            } else {
                to
            };
            let mut reply = Reply::new(status, TEXT, format!("{} redirect\n", status.as_u16()));
            reply.location = Some(location);
            reply
        }
        Endpoint::Bundle { uris } => {
            Reply::new(StatusCode::OK, "text/x-sh; charset=utf-8", files::bundle_script(&state.base_url, &uris))
        }
        Endpoint::Stage { name } => Reply::new(StatusCode::OK, "text/x-sh; charset=utf-8", staged_script(&name)),
        Endpoint::PathLookup { uris } => {
            let (status, body) = cloud::path_lookup(state, &uris).await;
            Reply::new(status, JSON, body)
        }
        // Answered by `files::respond` / `cloud::respond` before this point.
        Endpoint::File(_) | Endpoint::S3(_) => {
            Reply::new(StatusCode::INTERNAL_SERVER_ERROR, TEXT, "500 file request misrouted\n")
        }
        Endpoint::WrongMethod { allow, .. } => {
            Reply::new(StatusCode::METHOD_NOT_ALLOWED, TEXT, format!("405 Method Not Allowed (allowed: {allow})\n"))
        }
        Endpoint::NotFound => {
            Reply::new(StatusCode::NOT_FOUND, TEXT, "404 Not Found: the emulator does not serve this path\n")
        }
    })
}

fn unknown_catalog(catalog: &str) -> Reply {
    let body = serde_json::json!({"message": format!("Unknown catalog '{catalog}': the emulator serves panstarrs")});
    Reply::new(StatusCode::NOT_FOUND, JSON, body.to_string())
}

/// The columns config for an id (spec §3.1), matched case-insensitively:
/// `ticcolumns.json` for the TIC/CTL configs (`Mast.Catalogs.Tess.Cone`, `…Tic.Cone`,
/// `…Ctl.Cone`), `ddcolumns.json` for Disk Detective (`Mast.Catalogs.Dd.Cone`,
/// `…DiskDetective.Cone`), the products config for `Mast.Caom.Products`
/// (`data/synth/colconfig_products.json`, or `colconfig_products_sky.json` with the generated
/// products' `dataRights` and `calib_level` in [`DataMode::Sky`]), `columnsconfig.json` for
/// the other CAOM and the HSC-family ids (`Mast.Caom.Cone`, `Mast.Caom.Filtered[.Position]`,
/// `Mast.Caom.*`, `Mast.Hsc*`, `Mast.Galex.*`, `Mast.Catalogs.Gaia*`), and `{}` for anything
/// else.
fn columns_config(id: &str, mode: DataMode) -> &'static [u8] {
    let id = id.to_ascii_lowercase();
    match id.as_str() {
        "mast.caom.products" => match mode {
            DataMode::Sky => fixtures::PRODUCTS_COLUMNS_SKY.bytes,
            DataMode::Recorded => fixtures::PRODUCTS_COLUMNS.bytes,
        },
        "mast.catalogs.tess.cone" | "mast.catalogs.tic.cone" | "mast.catalogs.ctl.cone" => fixtures::TIC_COLUMNS.bytes,
        "mast.catalogs.dd.cone" | "mast.catalogs.diskdetective.cone" => fixtures::DD_COLUMNS.bytes,
        _ if id.starts_with("mast.caom.")
            || id.starts_with("mast.hsc")
            || id.starts_with("mast.galex.")
            || id.starts_with("mast.catalogs.gaia") =>
        {
            fixtures::COLUMNS_CONFIG.bytes
        }
        _ => b"{}",
    }
}

const HTML_ERROR_PAGE: &str = "<!DOCTYPE html>\n<html>\n<head><title>503 Service Unavailable</title></head>\n<body>\n\
<h1>Service Unavailable</h1>\n<p>The server is temporarily unable to service your request due to maintenance \
downtime or capacity problems. Please try again later.</p>\n<hr><address>mast-emulator (emulated fault)</address>\n\
</body>\n</html>\n";

// ---- control endpoints --------------------------------------------------------------------

/// `PUT /__emulator/config` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigUpdate {
    latency_ms: Option<u64>,
    executing_polls: Option<u32>,
}

/// `GET /__emulator/config` answer.
#[derive(Serialize)]
struct ConfigView {
    latency_ms: u64,
    executing_polls: u32,
    row_limit: usize,
    seed: u64,
    data_mode: DataMode,
}

async fn control(state: &Arc<State>, req: Request<Incoming>) -> Response<EmuBody> {
    let method = req.method().clone();
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return control_error(StatusCode::BAD_REQUEST, &format!("cannot read the body: {e}")),
    };
    match (method, path.as_str()) {
        (Method::GET, "/__emulator/stats") => json_response(&state.stats.snapshot()),
        (Method::POST, "/__emulator/stats/reset") => {
            state.stats.reset();
            no_content()
        }
        (Method::GET, "/__emulator/requests") => {
            let mut log = state.stats.log.snapshot();
            if let Some(key) = form_value(query.as_bytes(), "key") {
                log.entries.retain(|e| e.is(&key));
            }
            json_response(&log)
        }
        (Method::GET, "/__emulator/faults") => json_response(&lock(&state.faults).rules()),
        (Method::PUT, "/__emulator/faults") => match serde_json::from_slice::<Vec<FaultRule>>(&body) {
            Ok(rules) => {
                *lock(&state.faults) = FaultBook::new(rules);
                no_content()
            }
            Err(e) => control_error(StatusCode::BAD_REQUEST, &format!("expected a JSON list of fault rules: {e}")),
        },
        (Method::GET, "/__emulator/files") => json_response(&*lock(&state.file_options)),
        (Method::PUT, "/__emulator/files") => {
            let current = serde_json::to_value(*lock(&state.file_options)).unwrap_or_default();
            let merged = match (current, serde_json::from_slice::<Value>(&body)) {
                (Value::Object(mut cur), Ok(Value::Object(update))) => {
                    cur.extend(update);
                    serde_json::from_value::<FileOptions>(Value::Object(cur)).map_err(|e| e.to_string())
                }
                (_, Ok(_)) => Err("not a JSON object".to_owned()),
                (_, Err(e)) => Err(e.to_string()),
            };
            match merged {
                Ok(options) => {
                    *lock(&state.file_options) = options;
                    no_content()
                }
                Err(e) => control_error(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "expected {{\"version\": n, \"content_length\": bool, \"ranges\": bool, \"validators\": bool}} (all optional): {e}"
                    ),
                ),
            }
        }
        (Method::GET, "/__emulator/config") => json_response(&ConfigView {
            latency_ms: state.latency_us.load(Ordering::SeqCst) / 1000,
            executing_polls: state.executing_polls.load(Ordering::SeqCst),
            row_limit: state.row_limit,
            seed: state.seed,
            data_mode: state.mode,
        }),
        (Method::PUT, "/__emulator/config") => match serde_json::from_slice::<ConfigUpdate>(&body) {
            Ok(update) => {
                if let Some(ms) = update.latency_ms {
                    state.latency_us.store(ms.saturating_mul(1000), Ordering::SeqCst);
                }
                if let Some(n) = update.executing_polls {
                    state.executing_polls.store(n, Ordering::SeqCst);
                }
                no_content()
            }
            Err(e) => control_error(
                StatusCode::BAD_REQUEST,
                &format!("expected {{\"latency_ms\": n, \"executing_polls\": n}} (both optional): {e}"),
            ),
        },
        (Method::GET, "/__emulator/cloud") => {
            let (written, removed) = state.cloud.listing();
            json_response(&serde_json::json!({
                "endpoint": state.base_url,
                "bucket": state.cloud.bucket(),
                "root": state.cloud.root(),
                "written": written,
                "removed": removed,
            }))
        }
        (Method::POST, "/__emulator/cloud/remove") => match form_value(query.as_bytes(), "key") {
            Some(key) if !key.is_empty() => {
                let removed = state.cloud.remove(&key);
                json_response(&serde_json::json!({"key": key.trim_start_matches('/'), "removed": removed}))
            }
            _ => control_error(StatusCode::BAD_REQUEST, "expected ?key=<S3 key>"),
        },
        (
            _,
            "/__emulator/stats"
            | "/__emulator/stats/reset"
            | "/__emulator/requests"
            | "/__emulator/faults"
            | "/__emulator/config"
            | "/__emulator/files"
            | "/__emulator/cloud"
            | "/__emulator/cloud/remove",
        ) => control_error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
        _ => control_error(
            StatusCode::NOT_FOUND,
            "unknown control endpoint: GET /__emulator/stats, POST /__emulator/stats/reset, GET /__emulator/requests[?key=<endpoint key>], GET|PUT /__emulator/faults, GET|PUT /__emulator/config, GET|PUT /__emulator/files, GET /__emulator/cloud, POST /__emulator/cloud/remove?key=<key>",
        ),
    }
}

fn json_response<T: Serialize>(value: &T) -> Response<EmuBody> {
    match serde_json::to_string(value) {
        Ok(text) => Reply::json(text).into_response(),
        Err(e) => control_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

fn no_content() -> Response<EmuBody> {
    let mut r = Response::new(EmuBody::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

fn control_error(status: StatusCode, msg: &str) -> Response<EmuBody> {
    Reply::new(status, JSON, serde_json::json!({ "error": msg }).to_string()).into_response()
}
