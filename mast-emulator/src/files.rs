//! File downloads (spec §8.4, §8.7, §8.8): `GET`/`HEAD /api/v0.1/Download/file?uri=<mast:
//! URI>`, the HLA's HSC spectra (`/cgi-bin/getdata.cgi?dataset=<name>`,
//! `/cgi-bin/ecfproxy?file_id=<name>.fits`, endpoint key `hla`: [`hla_size`] bytes, some
//! without `Content-Length` ([`hla_without_length`]), a name containing `does_not_exist` →
//! `404`, no name → `400`) and, for benchmarks, `GET`/`HEAD /files/<name>?size=N`.
//!
//! # Content
//!
//! Every file is generated on the fly and streamed (never held in memory): its bytes are a
//! deterministic function of its name (the `mast:` URI, or `files/<name>`), its size, the
//! emulator's seed and the [`FileOptions::version`] ([`FileContent`]). The same URI therefore
//! always gives the same bytes, and any range of them can be produced without the rest.
//!
//! # Sizes
//!
//! The size of a `mast:` URI is one function of the URI ([`crate::products::file_size`]), the
//! same whether or not a product list naming it was served first: a recorded product
//! (`products.json`) has its recorded `size`; a generated product's name
//! (`<obs_id>_<suffix>.<ext>`) a realistic size for its kind, the one its product list
//! shows; any other `mast:` URI a size between 1,000,000 and 3,000,000 bytes derived from a
//! hash of the URI ([`hashed_size`]). `/files/<name>` gets `size` bytes (default 1 MiB).
//!
//! # Answers
//!
//! - `200` with `Content-Type: application/octet-stream`, `Content-Length`,
//!   `Accept-Ranges: bytes`, a strong `ETag` (from name, size, seed and version),
//!   `Last-Modified` and `Content-Disposition: attachment; filename=<last segment>`.
//! - `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` (one range) → `206 Partial Content` with
//!   `Content-Range: bytes a-b/size`; a range starting at or beyond the end → `416` with
//!   `Content-Range: bytes */size`. Several ranges are ignored (a `200` with the whole file).
//! - `If-Range` with a value that is not the current `ETag` (nor the current `Last-Modified`)
//!   → the `Range` is ignored and the whole file is sent with `200`.
//! - `HEAD` → the same status and headers, no body.
//! - `Download/file`: a URI containing `does_not_exist` (or not starting with `mast:`) → `404`;
//!   containing `unauth` (e.g. `unauthorized`) → `401`, always; no `uri` parameter → `400`.
//! - **Exclusive-access files** (spec §8.8, §12): a URI whose file name contains `exclusive`
//!   ([`is_exclusive`], e.g. `mast:JWST/product/jw_exclusive_x_cal.fits`) → `401` on `GET`
//!   and `HEAD` unless the request presents a valid token (one configured with
//!   [`crate::EmulatorConfig::token`] and not expired) as the cookie `mast_token=<token>` or
//!   as `Authorization: Bearer <token>`; with one it is served like any other file (same
//!   size and bytes rules). Such files have no cloud copy ([`crate::cloud::cloud_key`] is
//!   `None`), and product lists name them only with
//!   [`crate::EmulatorConfig::exclusive_products`].
//!
//! [`FileOptions`] (set with [`crate::EmulatorConfig::files`], [`crate::Emulator::set_files`]
//! or `PUT /__emulator/files`) change this: a new `version` changes the bytes, `ETag` and
//! `Last-Modified` of every file (same sizes), `content_length: false` sends bodies with
//! chunked transfer encoding and no `Content-Length`, `ranges: false` ignores `Range`
//! (while still advertising `Accept-Ranges: bytes`, the worst case for a client),
//! `validators: false` sends neither `ETag` nor `Last-Modified`, and `close_delimited: true`
//! answers `GET`s as HTTP/1.0 does: no `Content-Length`, no chunked encoding, the end of the
//! body is the close of the connection (`HEAD`s still announce the length unless
//! `content_length` is off). With `close_delimited`, `truncated_body` is a body that ends
//! early with an orderly close, indistinguishable on the wire from a complete one, and
//! `drop_mid_body` one cut by a TCP reset.
//!
//! # Faults
//!
//! The [`crate::FaultRule`]s of the endpoint keys `download` (and `download:range`,
//! `download:head`) and `files` (`files:range`, `files:head`) apply: status codes, dropped
//! connections and HTML pages as everywhere; `slow_first_byte` / `slow_body` delay the
//! stream; `drop_mid_body` (half) and `truncated_body` (three quarters) cut the body while
//! the `Content-Length` announces all of it; `malformed_json` sends the first half of the
//! body with a `Content-Length` that matches it (a short file that looks complete to HTTP:
//! only a client that knows the expected size can tell). The hostile kinds:
//! `raw_retry_after` (a status with any `Retry-After` text, `GET` and `HEAD`),
//! `stall_mid_body` (half the body, a silence with the connection open, then the rest) and
//! `huge_content_length` (`Content-Length: 10000000000000` on `GET` and `HEAD`; a `GET`
//! sends the real body, then closes the connection); `paging` leaves file answers unchanged.

use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hyper::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, HeaderValue, LAST_MODIFIED};
use hyper::{Method, Response, StatusCode};
use serde::{Deserialize, Serialize};

use crate::faults::{Fault, HUGE_CONTENT_LENGTH};
use crate::server::{ConnCtl, EmuBody, State};
use crate::stats::{InFlight, lock};

/// Bytes per generated body chunk.
const CHUNK: u64 = 64 * 1024;
/// Default size of `/files/<name>`.
const DEFAULT_FILES_SIZE: u64 = 1 << 20;

/// How the file endpoints behave (module docs). [`Default`]: version 0, `Content-Length`,
/// ranges and validators on.
///
/// In JSON (`GET`/`PUT /__emulator/files`): `{"version": 0, "content_length": true,
/// "ranges": true, "validators": true, "close_delimited": false}`; a `PUT` may give any
/// subset.
///
/// ```
/// use mast_emulator::FileOptions;
/// let o = FileOptions { content_length: false, ..FileOptions::default() };
/// assert!(o.ranges && !o.content_length);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileOptions {
    /// The version of every file: changing it changes bytes, `ETag` and `Last-Modified`.
    pub version: u64,
    /// Send `Content-Length` (else chunked transfer encoding).
    pub content_length: bool,
    /// Honour `Range` (else always answer `200` with the whole file).
    pub ranges: bool,
    /// Send `ETag` and `Last-Modified`.
    pub validators: bool,
    /// Answer `GET`s HTTP/1.0-style: no `Content-Length`, no chunked encoding, the body ended
    /// by closing the connection (module docs).
    pub close_delimited: bool,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions { version: 0, content_length: true, ranges: true, validators: true, close_delimited: false }
    }
}

/// The bytes of one served file: a deterministic function of name, size, seed and version.
///
/// ```
/// use mast_emulator::files::FileContent;
/// let f = FileContent::new("mast:HST/product/x.fits", 100_000, 42, 0);
/// let whole = f.bytes(0..100_000);
/// assert_eq!(&whole[500..600], &f.bytes(500..600)[..]);
/// assert_ne!(f.bytes(0..64), FileContent::new("mast:HST/product/x.fits", 100_000, 42, 1).bytes(0..64));
/// assert!(f.etag().starts_with('"'));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileContent {
    name: String,
    size: u64,
    version: u64,
    key: u64,
}

impl FileContent {
    /// The file `name` of `size` bytes, for the emulator seed `seed`, at `version`.
    pub fn new(name: &str, size: u64, seed: u64, version: u64) -> Self {
        let key = mix(fnv(name.as_bytes())
            ^ mix(size ^ 0x5349_5a45)
            ^ mix(seed.wrapping_add(0x5345_4544))
            ^ mix(version.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1)));
        FileContent { name: name.to_owned(), size, version, key }
    }

    /// The file's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The strong entity tag, quotes included.
    pub fn etag(&self) -> String {
        format!("\"{:016x}-{}\"", mix(self.key ^ 0x4554_4147), self.size)
    }

    /// The modification time (whole seconds), changing with the version.
    pub fn last_modified(&self) -> SystemTime {
        let secs = 1_500_000_000 + mix(fnv(self.name.as_bytes())) % 100_000_000 + self.version * 86_400;
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// The `Last-Modified` header value.
    pub fn last_modified_header(&self) -> String {
        httpdate::fmt_http_date(self.last_modified())
    }

    /// The bytes in `range` (clamped to the file).
    pub fn bytes(&self, range: Range<u64>) -> Bytes {
        let end = range.end.min(self.size);
        let start = range.start.min(end);
        let mut buf = vec![0u8; (end - start) as usize];
        self.fill(start, &mut buf);
        Bytes::from(buf)
    }

    /// Writes the bytes from `offset` into `buf`.
    pub fn fill(&self, offset: u64, buf: &mut [u8]) {
        let mut pos = offset;
        let mut i = 0;
        while i < buf.len() {
            let word = self.word(pos / 8).to_le_bytes();
            let from = (pos % 8) as usize;
            let n = (8 - from).min(buf.len() - i);
            buf[i..i + n].copy_from_slice(&word[from..from + n]);
            i += n;
            pos += n as u64;
        }
    }

    fn word(&self, j: u64) -> u64 {
        mix(self.key ^ j.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
}

pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(crate) fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The size the emulator gives a `mast:` URI that is not a known product: 1,000,000 to
/// 3,000,000 bytes, from a hash of the URI.
///
/// ```
/// let n = mast_emulator::files::hashed_size("mast:HST/product/anything.fits");
/// assert!((1_000_000..=3_000_000).contains(&n));
/// ```
pub fn hashed_size(uri: &str) -> u64 {
    1_000_000 + mix(fnv(uri.as_bytes()) ^ 0x4649_4c45) % 2_000_001
}

/// Whether `uri` names an exclusive-access file: its file name (the last path segment,
/// before any query) contains `exclusive`, in any case. `Download/file` answers `401` for
/// it without a valid token (module docs).
///
/// ```
/// use mast_emulator::files::is_exclusive;
/// assert!(is_exclusive("mast:JWST/product/jw_exclusive_x_cal.fits"));
/// assert!(is_exclusive("mast:HST/product/x_EXCLUSIVE.fits"));
/// assert!(!is_exclusive("mast:EXCLUSIVE/product/x.fits"));
/// assert!(!is_exclusive("mast:HLA/url/cgi-bin/fitscut.cgi?name=exclusive"));
/// ```
pub fn is_exclusive(uri: &str) -> bool {
    let path = uri.split('?').next().unwrap_or(uri);
    path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase().contains("exclusive")
}

/// The size of an HLA spectrum: 2,000 to 70,000 bytes, from a hash of its name (`file_id`
/// or `dataset` as the server decodes it).
///
/// ```
/// let n = mast_emulator::files::hla_size("HAG_J072656.64 691436.7_J8HPAXAEQ_V01.SPEC1D.fits");
/// assert!((2_000..=70_000).contains(&n));
/// ```
pub fn hla_size(name: &str) -> u64 {
    2_000 + mix(fnv(name.as_bytes()) ^ 0x484c_4100) % 68_001
}

/// Whether the HLA answers a spectrum without `Content-Length` (chunked), as its CGI
/// scripts often do: every `getdata.cgi` answer, and the `ecfproxy` answers whose name
/// hashes to an odd number (about half). `HEAD`s of those carry no length either.
///
/// ```
/// use mast_emulator::files::hla_without_length;
/// assert!(hla_without_length("anything", true));
/// let names = (0..64).map(|i| format!("HAG_{i}.fits"));
/// let without = names.filter(|n| hla_without_length(n, false)).count();
/// assert!(without > 0 && without < 64);
/// ```
pub fn hla_without_length(name: &str, getdata: bool) -> bool {
    getdata || mix(fnv(name.as_bytes()) ^ 0x4c45_4e47) % 2 == 1
}

/// A parsed file request.
pub(crate) struct FileRequest {
    pub(crate) kind: FileKind,
    pub(crate) head: bool,
    pub(crate) range: Option<String>,
    pub(crate) if_range: Option<String>,
    /// Whether the request presents a valid token (set by the server from its headers).
    pub(crate) authorized: bool,
}

pub(crate) enum FileKind {
    /// `Download/file`, with the `uri` parameter if there was one.
    Download { uri: Option<String> },
    /// An HSC spectrum from the HLA host: `getdata.cgi?dataset=<name>` (`getdata`) or
    /// `ecfproxy?file_id=<name>.fits`, with the parameter if there was one.
    Hla { name: Option<String>, getdata: bool },
    /// `/files/<name>?size=N`.
    Files { name: String, size: Option<u64> },
}

impl FileRequest {
    /// `download` or `files`.
    pub(crate) fn base_key(&self) -> &'static str {
        match self.kind {
            FileKind::Download { .. } => "download",
            FileKind::Hla { .. } => "hla",
            FileKind::Files { .. } => "files",
        }
    }

    /// The most specific endpoint key: `<base>:head`, `<base>:range` or `<base>`.
    pub(crate) fn key(&self) -> String {
        let base = self.base_key();
        if self.head {
            format!("{base}:head")
        } else if self.range.is_some() {
            format!("{base}:range")
        } else {
            base.to_owned()
        }
    }
}

/// The byte range to send, from `Range` / `If-Range`.
enum Plan {
    Whole,
    Part(Range<u64>),
    Unsatisfiable,
}

fn plan(req: &FileRequest, file: &FileContent, options: &FileOptions) -> Plan {
    let Some(range) = req.range.as_deref() else { return Plan::Whole };
    if !options.ranges {
        return Plan::Whole;
    }
    if let Some(cond) = req.if_range.as_deref() {
        let cond = cond.trim();
        let matches = options.validators && (cond == file.etag() || cond == file.last_modified_header());
        if !matches {
            return Plan::Whole;
        }
    }
    let Some(spec) = range.trim().strip_prefix("bytes=") else { return Plan::Whole };
    if spec.contains(',') {
        return Plan::Whole;
    }
    let Some((a, b)) = spec.split_once('-') else { return Plan::Whole };
    let (a, b) = (a.trim(), b.trim());
    let size = file.size();
    let parsed = if a.is_empty() {
        match b.parse::<u64>() {
            Ok(0) => return Plan::Unsatisfiable,
            Ok(n) => Some(size.saturating_sub(n)..size),
            Err(_) => None,
        }
    } else {
        match (a.parse::<u64>(), b) {
            (Ok(a), "") => Some(a..size),
            (Ok(a), b) => match b.parse::<u64>() {
                Ok(b) if b >= a => Some(a..(b + 1).min(size)),
                _ => None,
            },
            _ => None,
        }
    };
    match parsed {
        None => Plan::Whole,
        Some(r) if r.start >= size => Plan::Unsatisfiable,
        Some(r) => Plan::Part(r),
    }
}

fn text(status: StatusCode, body: String, in_flight: InFlight) -> Response<EmuBody> {
    let mut r = Response::new(EmuBody::full(body).holding(in_flight));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

/// The answer to a file request, after the request-level faults (status codes, drops, HTML
/// pages) were handled by the caller; `fault` is a body-level fault, if any.
pub(crate) async fn respond(
    state: &Arc<State>,
    req: FileRequest,
    fault: Option<Fault>,
    in_flight: InFlight,
    ctl: &Arc<ConnCtl>,
) -> Response<EmuBody> {
    let mut options = *lock(&state.file_options);
    let (name, size) = match &req.kind {
        FileKind::Hla { name: None, .. } => {
            return text(
                StatusCode::BAD_REQUEST,
                "400 Bad Request: missing the dataset or file_id parameter\n".into(),
                in_flight,
            );
        }
        FileKind::Hla { name: Some(name), getdata } => {
            if name.contains("does_not_exist") {
                return text(StatusCode::NOT_FOUND, format!("404 Not Found: {name}\n"), in_flight);
            }
            if hla_without_length(name, *getdata) {
                options.content_length = false;
            }
            (format!("hla:{name}"), hla_size(name))
        }
        FileKind::Download { uri: None } => {
            return text(StatusCode::BAD_REQUEST, "400 Bad Request: missing the uri parameter\n".into(), in_flight);
        }
        FileKind::Download { uri: Some(uri) } => {
            if !uri.starts_with("mast:") || uri.contains("does_not_exist") {
                return text(StatusCode::NOT_FOUND, format!("404 Not Found: {uri}\n"), in_flight);
            }
            if uri.contains("unauth") {
                return text(
                    StatusCode::UNAUTHORIZED,
                    format!("401 Unauthorized: {uri} is not public; log in with a MAST token\n"),
                    in_flight,
                );
            }
            if is_exclusive(uri) && !req.authorized {
                return text(
                    StatusCode::UNAUTHORIZED,
                    format!("401 Unauthorized: {uri} is exclusive-access data; present a valid MAST API token\n"),
                    in_flight,
                );
            }
            (uri.clone(), crate::products::file_size(uri))
        }
        FileKind::Files { name, size } => (format!("files/{name}"), size.unwrap_or(DEFAULT_FILES_SIZE)),
    };
    let file = FileContent::new(&name, size, state.seed, options.version);
    let (status, range) = match plan(&req, &file, &options) {
        Plan::Whole => (StatusCode::OK, 0..size),
        Plan::Part(r) => (StatusCode::PARTIAL_CONTENT, r),
        Plan::Unsatisfiable => {
            let mut r = text(StatusCode::RANGE_NOT_SATISFIABLE, "416 Range Not Satisfiable\n".into(), in_flight);
            r.headers_mut().insert(CONTENT_RANGE, header(&format!("bytes */{size}")));
            return r;
        }
    };
    let len = range.end - range.start;
    let key = req.base_key();
    let build = |body: EmuBody, announced: Option<u64>| {
        let mut r = Response::new(body);
        *r.status_mut() = status;
        let h = r.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
        h.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if options.validators {
            h.insert(ETAG, header(&file.etag()));
            h.insert(LAST_MODIFIED, header(&file.last_modified_header()));
        }
        let last = name.rsplit('/').next().unwrap_or(&name).replace(['"', '\\'], "_");
        h.insert(hyper::header::CONTENT_DISPOSITION, header(&format!("attachment; filename=\"{last}\"")));
        if status == StatusCode::PARTIAL_CONTENT {
            h.insert(CONTENT_RANGE, header(&format!("bytes {}-{}/{size}", range.start, range.end - 1)));
        }
        let close_delimited = options.close_delimited && !req.head;
        if let Some(n) = announced.filter(|_| options.content_length && !close_delimited) {
            h.insert(CONTENT_LENGTH, HeaderValue::from(n));
        }
        if close_delimited {
            // hyper frames a body of unknown length in an HTTP/1.0 answer by closing the
            // connection after it.
            *r.version_mut() = hyper::Version::HTTP_10;
        }
        r
    };
    let exact = options.content_length && !options.close_delimited;
    let huge = matches!(fault, Some(Fault::HugeContentLength));
    if req.head {
        let mut r = build(EmuBody::empty().holding(in_flight), Some(len));
        if huge {
            r.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(HUGE_CONTENT_LENGTH));
        }
        return r;
    }
    let recorder = Arc::clone(&state.stats);
    let generated = |r: Range<u64>, chunk: u64| EmuBody::generated(file.clone(), r, chunk, &recorder, key);
    let body = match fault {
        Some(Fault::SlowFirstByte { millis }) => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            generated(range.clone(), CHUNK)
        }
        Some(Fault::SlowBody { millis }) => {
            let chunk = len.div_ceil(10).clamp(1, 1 << 20);
            let pieces = len.div_ceil(chunk).max(1);
            generated(range.clone(), chunk).pausing(Duration::from_millis(millis) / pieces as u32)
        }
        Some(Fault::DropMidBody) | Some(Fault::TruncatedBody) => {
            let reset = matches!(fault, Some(Fault::DropMidBody));
            let sent = if reset { len / 2 } else { (len * 3 / 4).min(len.saturating_sub(1)) };
            let body = generated(range.start..range.start + sent, CHUNK).aborting_after(Arc::clone(ctl), reset);
            return build(body.holding(in_flight), Some(len));
        }
        Some(Fault::StallMidBody { millis }) => {
            generated(range.clone(), CHUNK).stalling(len / 2, Duration::from_millis(millis))
        }
        Some(Fault::HugeContentLength) => {
            let body = generated(range.clone(), CHUNK).aborting_after(Arc::clone(ctl), false);
            let mut r = build(body.holding(in_flight), Some(len));
            r.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(HUGE_CONTENT_LENGTH));
            return r;
        }
        Some(Fault::MalformedJson) => {
            let half = range.start..range.start + len / 2;
            return build(generated(half, CHUNK).exact(exact).holding(in_flight), Some(len / 2));
        }
        _ => generated(range.clone(), CHUNK),
    };
    build(body.exact(exact).holding(in_flight), Some(len))
}

/// The curl script of `Download/bundle.sh` for `uris` (spec 8.6): deterministic, one curl
/// line per URI pointing back at this emulator's `Download/file`, each into
/// `MAST_Download/<mission>/<obs_id>/<file>` (the obs_id is taken from the file name, up to
/// its first `_`), with the token from `$1`, else `$MAST_API_TOKEN`, else a prompt, sent as
/// `Authorization: Bearer <token>` (which `Download/file` accepts for exclusive-access
/// files), and a `MANIFEST.HTML` listing each file and its status.
///
/// ```
/// let script = mast_emulator::files::bundle_script("http://127.0.0.1:1", &["mast:HST/product/u9o40504m_c3m.fits".into()]);
/// assert!(script.starts_with("#!/bin/bash\n"));
/// assert!(script.contains("--output 'MAST_Download/HST/u9o40504m/u9o40504m_c3m.fits' 'http://127.0.0.1:1/api/v0.1/Download/file?uri=mast:HST/product/u9o40504m_c3m.fits'"));
/// ```
pub fn bundle_script(base_url: &str, uris: &[String]) -> String {
    let base = base_url.trim_end_matches('/');
    let quote = |s: &str| s.replace('\'', "'\\''");
    let mut out = String::from("#!/bin/bash\n#\n# MAST curl download script (mast-emulator)\n");
    out.push_str(&format!("# Requested: {} files\n#\n\n", uris.len()));
    out.push_str("TOKEN=\"${1:-$MAST_API_TOKEN}\"\nif [ -z \"$TOKEN\" ] && [ -t 0 ]; then\n    read -r -p \"MAST API token (empty for public data): \" TOKEN\nfi\n");
    out.push_str("AUTH=()\nif [ -n \"$TOKEN\" ]; then AUTH=(-H \"Authorization: Bearer $TOKEN\"); fi\n\n");
    out.push_str("DIR=MAST_Download\nmkdir -p \"$DIR\"\nMANIFEST=\"$DIR/MANIFEST.HTML\"\necho '<html><body><table><tr><th>File</th><th>Status</th></tr>' > \"$MANIFEST\"\n\n");
    for uri in uris {
        let path = uri.split_once(':').map_or(uri.as_str(), |(_, p)| p);
        let mission = path.split('/').next().unwrap_or("");
        let file = path.rsplit('/').next().unwrap_or("");
        let obs_id = file.split('_').next().unwrap_or(file);
        let local = quote(&format!("MAST_Download/{mission}/{obs_id}/{file}"));
        let url = quote(&format!("{base}{}?uri={uri}", mast_proto::endpoints::DOWNLOAD_FILE.path));
        out.push_str(&format!(
            "if curl --globoff --location-trusted -f --progress-bar --create-dirs \"${{AUTH[@]}}\" --output '{local}' '{url}'; then s=COMPLETE; else s=ERROR; fi\necho \"<tr><td>{local}</td><td>$s</td></tr>\" >> \"$MANIFEST\"\n"
        ));
    }
    out.push_str("echo '</table></body></html>' >> \"$MANIFEST\"\n");
    out
}

fn header(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// Classifies `/api/v0.1/Download/file` and `/files/...` requests (`None`: another path).
/// `Err` carries the `Allow` value for a method other than GET and HEAD.
pub(crate) fn classify(
    method: &Method,
    path: &str,
    query: &str,
    range: Option<String>,
    if_range: Option<String>,
) -> Option<Result<FileRequest, (&'static str, &'static str)>> {
    let param =
        |name: &str| form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let kind = if mast_proto::endpoints::DOWNLOAD_FILE.match_path(path).is_some() {
        FileKind::Download { uri: param("uri") }
    } else if mast_proto::endpoints::HLA_GETDATA.match_path(path).is_some() {
        FileKind::Hla { name: param("dataset"), getdata: true }
    } else if mast_proto::endpoints::HLA_ECFPROXY.match_path(path).is_some() {
        FileKind::Hla { name: param("file_id"), getdata: false }
    } else if let Some(name) = path.strip_prefix("/files/").filter(|n| !n.is_empty()) {
        let size = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "size")
            .and_then(|(_, v)| v.trim().parse::<u64>().ok());
        FileKind::Files { name: name.to_owned(), size }
    } else {
        return None;
    };
    let base = match kind {
        FileKind::Download { .. } => "download",
        FileKind::Hla { .. } => "hla",
        FileKind::Files { .. } => "files",
    };
    if *method != Method::GET && *method != Method::HEAD {
        return Some(Err((base, "GET, HEAD")));
    }
    Some(Ok(FileRequest { kind, head: *method == Method::HEAD, range, if_range, authorized: false }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(range: &str, if_range: Option<&str>) -> FileRequest {
        FileRequest {
            kind: FileKind::Files { name: "x".into(), size: Some(1000) },
            head: false,
            range: Some(range.into()),
            if_range: if_range.map(str::to_owned),
            authorized: false,
        }
    }

    fn part(p: Plan) -> Option<Range<u64>> {
        match p {
            Plan::Part(r) => Some(r),
            Plan::Whole => None,
            Plan::Unsatisfiable => Some(u64::MAX..u64::MAX),
        }
    }

    #[test]
    fn ranges() {
        let f = FileContent::new("files/x", 1000, 42, 0);
        let o = FileOptions::default();
        assert_eq!(part(plan(&req("bytes=10-19", None), &f, &o)), Some(10..20));
        assert_eq!(part(plan(&req("bytes=990-", None), &f, &o)), Some(990..1000));
        assert_eq!(part(plan(&req("bytes=-10", None), &f, &o)), Some(990..1000));
        assert_eq!(part(plan(&req("bytes=900-5000", None), &f, &o)), Some(900..1000));
        assert_eq!(part(plan(&req("bytes=1000-", None), &f, &o)), Some(u64::MAX..u64::MAX));
        assert_eq!(part(plan(&req("bytes=1-2,5-6", None), &f, &o)), None);
        assert_eq!(part(plan(&req("bytes=5-1", None), &f, &o)), None);
        assert_eq!(part(plan(&req("bytes=10-", Some(&f.etag())), &f, &o)), Some(10..1000));
        assert_eq!(part(plan(&req("bytes=10-", Some(&f.last_modified_header())), &f, &o)), Some(10..1000));
        assert_eq!(part(plan(&req("bytes=10-", Some("\"other\"")), &f, &o)), None);
        let off = FileOptions { ranges: false, ..o };
        assert_eq!(part(plan(&req("bytes=10-", None), &f, &off)), None);
    }

    #[test]
    fn content_is_positional() {
        let f = FileContent::new("mast:X/product/y.fits", 10_001, 7, 3);
        let all = f.bytes(0..10_001);
        assert_eq!(all.len(), 10_001);
        for (a, b) in [(0, 1), (3, 17), (8, 16), (9_999, 10_001), (5_000, 20_000)] {
            assert_eq!(f.bytes(a..b), all.slice(a as usize..(b as usize).min(all.len())));
        }
        assert_ne!(f.etag(), FileContent::new("mast:X/product/y.fits", 10_001, 7, 4).etag());
        assert_ne!(f.last_modified(), FileContent::new("mast:X/product/y.fits", 10_001, 7, 4).last_modified());
        assert_eq!(f.etag(), FileContent::new("mast:X/product/y.fits", 10_001, 7, 3).etag());
    }
}
