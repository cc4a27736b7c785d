//! MAST's cloud side (spec §9): the public S3 bucket (`stpubdata`) and the
//! `path_lookup` service that maps `mast:` URIs to keys in it.
//!
//! # The bucket
//!
//! A real S3 server ([s3s](https://crates.io/crates/s3s) with the
//! [s3s-fs](https://crates.io/crates/s3s-fs) file-system backend) answers, on the emulator's
//! own port, every request whose path is `/<bucket>` or `/<bucket>/<key>` (path-style; the
//! bucket is [`DEFAULT_BUCKET`] unless [`crate::EmulatorConfig::bucket`] says otherwise).
//! Requests are anonymous (no authentication provider: unsigned requests are served, signed
//! ones get `501 NotImplemented` from s3s). The bucket is **read-only**: only `GET` and `HEAD`
//! are served (`ListObjects[V2]`, `HeadBucket`, `GetObject` with `Range`, `HeadObject`);
//! anything else gets `403 AccessDenied`, as the real public bucket does for anonymous
//! writes.
//!
//! The objects live in a directory the emulator creates at start under
//! [`std::env::temp_dir`] (`mast-emulator-s3-<pid>-<n>-<nanos>`, see
//! [`crate::Emulator::cloud_root`]), laid out `ROOT/<bucket>/<key>`, and removes when the
//! [`crate::Emulator`] is shut down or dropped. At start it holds one small placeholder,
//! `<prefix>README.txt`, per dataset of [`DATASET_PREFIXES`], so that
//! `ListObjectsV2(Delimiter="/")` at the bucket root lists the common prefixes `galex/`,
//! `hst/`, `jwst/`, `mast/`, `panstarrs/`, `tess/`, and with `Prefix="mast/hlsp/"` the prefix
//! `mast/hlsp/tica/` (what `list_cloud_datasets` reads, spec §9.2).
//!
//! `If-Match` and `If-None-Match` on `GetObject` / `HeadObject` are checked by the emulator
//! (s3s-fs 0.14 ignores them on reads): a wrong `If-Match` gets `412 PreconditionFailed`, a
//! matching `If-None-Match` `304 Not Modified`.
//!
//! # Which products are in the cloud ([`cloud_key`])
//!
//! A `mast:` URI is in the cloud when its mission is one of HST, JWST, TESS (with the TICA
//! high-level science products), GALEX or PS1 (or it is a `mast:HLSP/tica/...` URI), except
//! about 1 in 8 per mission, chosen by a hash of the URI, so that tests can find products
//! that are not. The recorded products (`products.json`) and the spec's examples
//! (`mast:HST/product/u24r0102t_c1f.fits`,
//! `mast:PS1/product/rings.v3.skycell.1334.061.stk.r.unconv.exp.fits`) always are. URIs that
//! `Download/file` refuses (containing `does_not_exist` or `unauth`), exclusive-access files
//! ([`crate::files::is_exclusive`]: not public, so not in the public bucket; a cloud download
//! of one falls back to `Download/file`) and the products of other missions (SWIFT, K2, IUE,
//! FUSE, ...) never are. The key:
//!
//! | mission | key |
//! |---|---|
//! | HST | `hst/public/<first 4 chars of obs_id>/<obs_id>/<file>`, `obs_id` = the file name up to its first `_` |
//! | JWST | `jwst/public/<obs_id>/<file>`, `obs_id` = the file name up to its last `_` |
//! | TESS | `tess/public/<obs_id>/<file>` (the same `obs_id`); TICA files (`hlsp_tica_*`): `mast/hlsp/tica/<obs_id>/<file>` |
//! | GALEX | `galex/public/<obs_id>/<file>` |
//! | PS1 | `panstarrs/ps1/public/rings.v3.skycell/<a>/<b>/<file>` for `rings.v3.skycell.<a>.<b>.*`, else `panstarrs/ps1/public/<file>` |
//! | HLSP | `mast:HLSP/tica/<rest>` → `mast/hlsp/tica/<rest>` |
//!
//! (A file name without `_` uses the name up to its first `.` as `obs_id`.)
//!
//! # Cloud copies
//!
//! A cloud copy holds exactly the bytes `Download/file` serves for the same URI at the time
//! of the lookup (same size, [`crate::files::FileContent`] of the URI), and its S3 `ETag` is
//! the `ETag` `Download/file` sends. It is written into the bucket when `path_lookup` first
//! answers the URI with a path, and written again by a later lookup if what `Download/file`
//! serves has changed since (a new [`crate::FileOptions::version`], or a generated product
//! whose size became known when a product list containing it was served). Copies are real
//! files: looking up large generated products costs their size in disk space, and the
//! lookup answers once they are written (not flushed to disk), so a lookup naming gigabytes
//! of products takes as long as writing them.
//!
//! [`crate::Emulator::remove_cloud_object`] (or `POST /__emulator/cloud/remove?key=<key>`)
//! deletes a copy and keeps it deleted: later lookups still answer its path (MAST's database
//! still lists it), but S3 answers `404 NoSuchKey`, the case astroquery handles after its
//! `HeadObject`.
//!
//! [`crate::Emulator::patch_cloud_object`] overwrites part of a copy and gives it a new
//! `ETag`, as uploading a new version of the object would: `If-Match` with the old `ETag`
//! then gets `412 PreconditionFailed`. The copy keeps its size; later lookups leave it as
//! patched, and it no longer equals what `Download/file` serves.
//!
//! # `path_lookup`
//!
//! `GET /api/v0.1/path_lookup/?uri=<u1>&uri=<u2>...&use_cloud_path=True` (trailing slash
//! optional, form-encoded query) answers a JSON object with one member per requested URI, in
//! request order: `{"<uri>": {"status_code": 200, "path": "/<key>"}}` for a URI in the cloud,
//! `{"status_code": 404, "path": null}` otherwise (spec §9.3). More than
//! [`MAX_LOOKUP_URIS`] URIs, or none, get `400` with a JSON `{"error": ...}`.
//!
//! # Faults and stats
//!
//! Endpoint keys (for [`crate::FaultRule`]s and [`crate::Stats`]): `path_lookup`; every S3
//! request is counted under `s3` and one of `s3:list` (`GET /<bucket>`, any listing),
//! `s3:head` (`HEAD` of the bucket or an object), `s3:get` (`GET` of an object) or `s3:write`
//! (any other method); a `GetObject` with a `Range` header also under `s3:get:range`, one
//! with an `If-Match` header also under `s3:get:if_match` (counted only: fault rules see
//! `s3:get` or `s3:get:range`). Fault rules match by prefix, so `s3` faults every S3
//! request and `s3:get` whole and ranged reads. Status faults on S3 answer an S3 XML error (`SlowDown` for 503 and 429,
//! `InternalError` for 500, ...); body faults (`drop_mid_body`, `truncated_body`,
//! `slow_body`, `malformed_json`: half the body with a matching `Content-Length`) cut or slow
//! the S3 answer as for `Download/file`; `slow_first_byte` delays the head of every S3
//! answer. The hostile kinds: `raw_retry_after` answers the S3 XML error with that
//! `Retry-After` text (reads and `HeadObject`s), `stall_mid_body` sends half an object, goes
//! silent with the connection open, then sends the rest, `huge_content_length` announces
//! 10^13 bytes (on `HeadObject` too) and closes after the real bytes; `paging` changes
//! nothing here. `bytes_sent["s3"]` counts the `GetObject` body
//! bytes sent. The configured latency applies to `path_lookup` and S3 requests.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, ETAG, HeaderValue, IF_MATCH, IF_NONE_MATCH};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::faults::{Fault, HUGE_CONTENT_LENGTH};
use crate::files::{FileContent, fnv, mix};
use crate::server::{BoxError, ConnCtl, EmuBody, State};
use crate::stats::{InFlight, lock};

/// The bucket MAST's public data live in (and the emulator's default bucket name).
pub const DEFAULT_BUCKET: &str = "stpubdata";

/// The most URIs one `path_lookup` request may ask for (astroquery sends at most 40).
pub const MAX_LOOKUP_URIS: usize = 40;

/// The dataset prefixes present in the bucket from the start (each holds a `README.txt`).
pub const DATASET_PREFIXES: [&str; 6] = ["galex/", "hst/", "jwst/", "mast/hlsp/tica/", "panstarrs/", "tess/"];

/// The missions (`obs_collection`) whose products are in the cloud (module docs).
pub const CLOUD_MISSIONS: [&str; 5] = ["HST", "JWST", "TESS", "GALEX", "PS1"];

/// URIs that are in the cloud whatever their hash: the examples of spec §9.3.
const ALWAYS: [&str; 3] = [
    "mast:HST/product/u9o40504m_c3m.fits",
    "mast:HST/product/u24r0102t_c1f.fits",
    "mast:PS1/product/rings.v3.skycell.1334.061.stk.r.unconv.exp.fits",
];

/// The largest S3 answer body collected in memory to apply a body fault to it (larger ones
/// are streamed undamaged).
const MAX_FAULTED_BODY: usize = 256 << 20;

/// The S3 key of the cloud copy of `uri`, or `None` when the product is not in the cloud
/// (module docs).
///
/// ```
/// use mast_emulator::cloud::cloud_key;
/// assert_eq!(
///     cloud_key("mast:HST/product/u9o40504m_c3m.fits").as_deref(),
///     Some("hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits")
/// );
/// assert_eq!(
///     cloud_key("mast:PS1/product/rings.v3.skycell.1334.061.stk.r.unconv.exp.fits").as_deref(),
///     Some("panstarrs/ps1/public/rings.v3.skycell/1334/061/rings.v3.skycell.1334.061.stk.r.unconv.exp.fits")
/// );
/// assert_eq!(cloud_key("mast:HST/product/does_not_exist.fits"), None);
/// assert_eq!(cloud_key("mast:IUE/product/swp12345_mxlo.fits"), None);
/// assert_eq!(cloud_key("mast:JWST/product/jw_exclusive_x_cal.fits"), None);
/// ```
pub fn cloud_key(uri: &str) -> Option<String> {
    let key = mapped_key(uri)?;
    let always = ALWAYS.contains(&uri) || crate::products::recorded_size(uri).is_some();
    if !always && mix(fnv(uri.as_bytes()) ^ 0x0043_4c4f_5544).is_multiple_of(8) {
        return None;
    }
    Some(key)
}

/// The `path` `path_lookup` answers for `uri`: `/` and its [`cloud_key`].
///
/// ```
/// assert_eq!(
///     mast_emulator::cloud::cloud_path("mast:HST/product/u24r0102t_c1f.fits").as_deref(),
///     Some("/hst/public/u24r/u24r0102t/u24r0102t_c1f.fits")
/// );
/// ```
pub fn cloud_path(uri: &str) -> Option<String> {
    cloud_key(uri).map(|k| format!("/{k}"))
}

/// The key `uri` would have in the bucket, before the 1-in-8 exclusion.
fn mapped_key(uri: &str) -> Option<String> {
    if uri.contains("does_not_exist") || uri.contains("unauth") || crate::files::is_exclusive(uri) {
        return None;
    }
    let rest = uri.strip_prefix("mast:")?;
    let (mission, tail) = rest.split_once('/')?;
    let key = if mission.eq_ignore_ascii_case("HLSP") {
        let tica = tail.strip_prefix("tica/")?;
        format!("mast/hlsp/tica/{tica}")
    } else {
        let file = tail.strip_prefix("product/")?;
        if file.is_empty() || file.contains('/') {
            return None;
        }
        let stem = |last: bool| {
            let cut = if last { file.rfind('_') } else { file.find('_') };
            match cut {
                Some(i) if i > 0 => &file[..i],
                _ => file.split('.').next().unwrap_or(file),
            }
        };
        match mission.to_ascii_uppercase().as_str() {
            "HST" => {
                let obs = stem(false);
                let short: String = obs.chars().take(4).collect();
                format!("hst/public/{short}/{obs}/{file}")
            }
            "JWST" => format!("jwst/public/{}/{file}", stem(true)),
            "TESS" if file.starts_with("hlsp_tica_") => format!("mast/hlsp/tica/{}/{file}", stem(true)),
            "TESS" => format!("tess/public/{}/{file}", stem(true)),
            "GALEX" => format!("galex/public/{}/{file}", stem(true)),
            "PS1" => match file.strip_prefix("rings.v3.skycell.").map(|r| r.split('.').collect::<Vec<_>>()) {
                Some(parts) if parts.len() > 2 => {
                    format!("panstarrs/ps1/public/rings.v3.skycell/{}/{}/{file}", parts[0], parts[1])
                }
                _ => format!("panstarrs/ps1/public/{file}"),
            },
            _ => return None,
        }
    };
    safe_key(&key).then_some(key)
}

/// Whether a key can be stored under the bucket directory as is.
fn safe_key(key: &str) -> bool {
    !key.contains(['\\', '\0']) && key.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
}

/// Whether `name` is a bucket name the emulator can serve next to MAST's own paths.
pub(crate) fn valid_bucket(name: &str) -> bool {
    // The first segments of MAST's paths (every host's: one listener serves them all) and
    // of the emulator's own.
    let mast_path = mast_proto::endpoints::ALL.iter().any(|e| e.path.split('/').nth(1) == Some(name));
    (3..=63).contains(&name.len())
        && !mast_path
        && !["files", "__emulator"].contains(&name)
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
}

// ---- the store ----------------------------------------------------------------------------

/// What a cloud copy was written from.
#[derive(Clone, PartialEq, Eq)]
struct Written {
    uri: String,
    size: u64,
    version: u64,
}

#[derive(Default)]
struct Book {
    written: HashMap<String, Written>,
    removed: HashSet<String>,
}

/// The bucket's directory and the S3 service over it.
pub(crate) struct CloudStore {
    root: PathBuf,
    bucket: String,
    service: s3s::service::S3Service,
    book: Mutex<Book>,
    /// Serialises the writing of copies.
    writing: tokio::sync::Mutex<()>,
    tmp: AtomicU64,
}

static ROOTS: AtomicU64 = AtomicU64::new(0);

/// Patches made by [`CloudStore::patch`] (the suffix of the `ETag`s it gives).
static PATCHES: AtomicU64 = AtomicU64::new(0);

impl CloudStore {
    /// Creates the root directory, the bucket and its dataset placeholders.
    pub(crate) fn new(bucket: &str) -> io::Result<CloudStore> {
        let root = loop {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            let name = format!(
                "mast-emulator-s3-{}-{}-{}",
                std::process::id(),
                ROOTS.fetch_add(1, Ordering::Relaxed),
                nanos.subsec_nanos()
            );
            let root = std::env::temp_dir().join(name);
            match std::fs::create_dir(&root) {
                Ok(()) => break root,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        };
        let store = (|| {
            let bucket_dir = root.join(bucket);
            for prefix in DATASET_PREFIXES {
                let dir = bucket_dir.join(prefix.trim_end_matches('/'));
                std::fs::create_dir_all(&dir)?;
                let dataset = prefix.trim_end_matches('/');
                std::fs::write(
                    dir.join("README.txt"),
                    format!("mast-emulator: emulated MAST public dataset `{dataset}` (bucket {bucket}).\n"),
                )?;
            }
            let fs = s3s_fs::FileSystem::new(&root).map_err(|e| io::Error::other(format!("{e:?}")))?;
            let service = s3s::service::S3ServiceBuilder::new(fs).build();
            Ok(CloudStore {
                root: root.clone(),
                bucket: bucket.to_owned(),
                service,
                book: Mutex::default(),
                writing: tokio::sync::Mutex::new(()),
                tmp: AtomicU64::new(0),
            })
        })();
        if store.is_err() {
            let _ = std::fs::remove_dir_all(&root);
        }
        store
    }

    /// The root directory (`ROOT/<bucket>/<key>`).
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The bucket name.
    pub(crate) fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Removes the root directory and everything in it.
    pub(crate) fn close(&self) {
        if let Err(e) = std::fs::remove_dir_all(&self.root)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(root = %self.root.display(), error = %e, "cannot remove the S3 directory");
        }
    }

    fn object_path(&self, key: &str) -> PathBuf {
        self.root.join(&self.bucket).join(key)
    }

    /// s3s-fs's sidecar holding an object's `ETag` (`.bucket-<b64>.object-<b64>.internal.json`).
    fn info_path(&self, key: &str) -> PathBuf {
        self.root.join(format!(".bucket-{}.object-{}.internal.json", b64url(&self.bucket), b64url(key)))
    }

    /// Writes (or rewrites) the copy of `file` under `key`, unless it was removed; `Ok(false)`
    /// for a removed key.
    async fn materialise(&self, key: &str, uri: &str, file: FileContent, version: u64) -> io::Result<bool> {
        let want = Written { uri: uri.to_owned(), size: file.size(), version };
        let current = |store: &CloudStore| -> Option<bool> {
            let book = lock(&store.book);
            if book.removed.contains(key) {
                return Some(false);
            }
            (book.written.get(key) == Some(&want) && store.object_path(key).is_file()).then_some(true)
        };
        if let Some(done) = current(self) {
            return Ok(done);
        }
        let _writing = self.writing.lock().await;
        if let Some(done) = current(self) {
            return Ok(done);
        }
        let path = self.object_path(key);
        let info = self.info_path(key);
        let tmp = self.root.join(format!(".emulator-tmp-{}", self.tmp.fetch_add(1, Ordering::Relaxed)));
        tokio::task::spawn_blocking(move || write_copy(&path, &info, &tmp, &file))
            .await
            .map_err(|e| io::Error::other(e.to_string()))??;
        lock(&self.book).written.insert(key.to_owned(), want);
        Ok(true)
    }

    /// Deletes the copy under `key` and keeps it deleted; whether there was one.
    pub(crate) fn remove(&self, key: &str) -> bool {
        let key = key.trim_start_matches('/');
        let mut book = lock(&self.book);
        book.removed.insert(key.to_owned());
        book.written.remove(key);
        let existed = safe_key(key) && std::fs::remove_file(self.object_path(key)).is_ok();
        let _ = std::fs::remove_file(self.info_path(key));
        existed
    }

    /// Overwrites the copy under `key` with `bytes` from `offset` and gives it a new `ETag`
    /// (the old one with `-<n>` added); returns the new `ETag`, quoted.
    pub(crate) fn patch(&self, key: &str, offset: u64, bytes: &[u8]) -> io::Result<String> {
        use std::io::{Seek as _, SeekFrom};
        let key = key.trim_start_matches('/');
        if !safe_key(key) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("not an object key: {key:?}")));
        }
        let mut file = std::fs::OpenOptions::new().write(true).open(self.object_path(key))?;
        let size = file.metadata()?.len();
        if offset.checked_add(bytes.len() as u64).is_none_or(|end| end > size) {
            let msg = format!("{} bytes at {offset} go past the end of {key} ({size} bytes)", bytes.len());
            return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        }
        file.seek(SeekFrom::Start(offset))?;
        file.write_all(bytes)?;
        let info = self.info_path(key);
        let old: Value = serde_json::from_slice(&std::fs::read(&info)?).map_err(io::Error::other)?;
        let old = old.get("e_tag").and_then(Value::as_str).unwrap_or_default();
        let etag = format!("{old}-{}", PATCHES.fetch_add(1, Ordering::Relaxed) + 1);
        std::fs::write(&info, json!({ "e_tag": etag }).to_string())?;
        Ok(format!("\"{etag}\""))
    }

    /// The keys written by lookups and the keys removed, each sorted.
    pub(crate) fn listing(&self) -> (Vec<String>, Vec<String>) {
        let book = lock(&self.book);
        let mut written: Vec<String> = book.written.keys().cloned().collect();
        let mut removed: Vec<String> = book.removed.iter().cloned().collect();
        written.sort_unstable();
        removed.sort_unstable();
        (written, removed)
    }
}

impl Drop for CloudStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Writes `file` to `tmp`, then renames it to `path`, then records its `ETag` for s3s-fs.
fn write_copy(path: &Path, info: &Path, tmp: &Path, file: &FileContent) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let result = (|| {
        let mut out = io::BufWriter::with_capacity(1 << 20, std::fs::File::create(tmp)?);
        let mut buf = vec![0u8; 1 << 20];
        let mut pos = 0;
        while pos < file.size() {
            let n = (file.size() - pos).min(buf.len() as u64) as usize;
            file.fill(pos, &mut buf[..n]);
            out.write_all(&buf[..n])?;
            pos += n as u64;
        }
        // No `fdatasync`: the bucket is a temporary directory, and forcing every copy to
        // disk made a lookup of large products outlast a client's first-byte timeout.
        out.flush()?;
        std::fs::rename(tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    result?;
    let etag = file.etag();
    std::fs::write(info, json!({ "e_tag": etag.trim_matches('"') }).to_string())
}

/// URL-safe base64 without padding (how s3s-fs names its sidecar files).
fn b64url(s: &str) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ABC[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

// ---- path_lookup --------------------------------------------------------------------------

/// The answer to a `path_lookup` request: status and JSON body.
pub(crate) async fn path_lookup(state: &Arc<State>, uris: &[String]) -> (StatusCode, String) {
    if uris.is_empty() {
        let body = json!({"error": "path_lookup needs at least one uri parameter"});
        return (StatusCode::BAD_REQUEST, body.to_string());
    }
    if uris.len() > MAX_LOOKUP_URIS {
        let body = json!({
            "error": format!("Too many URIs: {} (at most {MAX_LOOKUP_URIS} per request)", uris.len())
        });
        return (StatusCode::BAD_REQUEST, body.to_string());
    }
    let version = lock(&state.file_options).version;
    let mut out = Map::new();
    for uri in uris {
        if out.contains_key(uri) {
            continue;
        }
        let entry = match cloud_key(uri) {
            Some(key) => {
                let file = FileContent::new(uri, crate::products::file_size(uri), state.seed, version);
                if let Err(e) = state.cloud.materialise(&key, uri, file, version).await {
                    tracing::warn!(%uri, %key, error = %e, "cannot write the cloud copy");
                    let body = json!({"error": format!("cannot write the cloud copy of {uri}: {e}")});
                    return (StatusCode::INTERNAL_SERVER_ERROR, body.to_string());
                }
                json!({"status_code": 200, "path": format!("/{key}")})
            }
            None => json!({"status_code": 404, "path": null}),
        };
        out.insert(uri.clone(), entry);
    }
    (StatusCode::OK, Value::Object(out).to_string())
}

// ---- S3 requests --------------------------------------------------------------------------

/// An S3 request, classified.
pub(crate) struct S3Op {
    /// `s3:list`, `s3:head`, `s3:get` or `s3:write`.
    pub(crate) key: &'static str,
    /// A `GetObject` with a `Range` header.
    pub(crate) ranged: bool,
    /// A `GetObject` with an `If-Match` header.
    pub(crate) if_match: bool,
    /// The request names an object (not only the bucket).
    object: bool,
}

impl S3Op {
    /// Every key the request is counted under (module docs).
    pub(crate) fn keys(&self) -> Vec<String> {
        let mut keys = vec!["s3".to_owned(), self.key.to_owned()];
        if self.ranged {
            keys.push("s3:get:range".to_owned());
        }
        if self.if_match {
            keys.push("s3:get:if_match".to_owned());
        }
        keys
    }

    /// The most specific key (what fault rules match).
    pub(crate) fn fault_key(&self) -> &'static str {
        if self.ranged { "s3:get:range" } else { self.key }
    }
}

/// Classifies a request for `/<bucket>` or `/<bucket>/...` (`None`: another path), given
/// whether it has a `Range` and an `If-Match` header.
pub(crate) fn classify(method: &Method, path: &str, (ranged, if_match): (bool, bool), bucket: &str) -> Option<S3Op> {
    let rest = path.strip_prefix('/')?.strip_prefix(bucket)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let object = rest.len() > 1;
    let (key, ranged, if_match) = match *method {
        Method::HEAD => ("s3:head", false, false),
        Method::GET if object => ("s3:get", ranged, if_match),
        Method::GET => ("s3:list", false, false),
        _ => ("s3:write", false, false),
    };
    Some(S3Op { key, ranged, if_match, object })
}

/// An S3 XML error answer.
pub(crate) fn s3_error(status: StatusCode, code: &str, message: &str, resource: &str) -> Response<EmuBody> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message><Resource>{}</Resource><RequestId>mast-emulator</RequestId></Error>",
        xml_escape(message),
        xml_escape(resource)
    );
    let mut r = Response::new(EmuBody::full(xml));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    r
}

/// The S3 error code used for an injected status fault.
pub(crate) fn fault_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        503 | 429 => "SlowDown",
        500 => "InternalError",
        403 => "AccessDenied",
        404 => "NoSuchKey",
        400 => "InvalidRequest",
        _ if status.is_server_error() => "ServiceUnavailable",
        _ => "InvalidRequest",
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Whether an `If-Match` / `If-None-Match` value matches `etag`.
fn etag_matches(condition: &str, etag: &str) -> bool {
    let norm = |s: &str| s.trim().trim_start_matches("W/").trim_matches('"').to_owned();
    condition.split(',').any(|c| c.trim() == "*" || norm(c) == norm(etag))
}

/// The answer to an S3 request, after the request-level faults were handled by the caller;
/// `fault` is a body-level fault, if any.
pub(crate) async fn respond(
    state: &Arc<State>,
    op: S3Op,
    parts: hyper::http::request::Parts,
    body: Bytes,
    fault: Option<Fault>,
    in_flight: InFlight,
    ctl: &Arc<ConnCtl>,
) -> Result<Response<EmuBody>, BoxError> {
    let store = &state.cloud;
    let resource = parts.uri.path().to_owned();
    if op.key == "s3:write" {
        let msg = "Access Denied: the emulated public bucket is read-only";
        return Ok(with(s3_error(StatusCode::FORBIDDEN, "AccessDenied", msg, &resource), in_flight));
    }
    let header = |name| parts.headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_owned);
    let (if_match, if_none_match) = (header(IF_MATCH), header(IF_NONE_MATCH));
    if op.object && (if_match.is_some() || if_none_match.is_some()) {
        let head = Request::builder().method(Method::HEAD).uri(parts.uri.clone()).body(s3s::Body::empty())?;
        if let Ok(current) = store.service.call(head).await
            && current.status() == StatusCode::OK
            && let Some(etag) = current.headers().get(ETAG).and_then(|v| v.to_str().ok())
        {
            if if_match.as_deref().is_some_and(|c| !etag_matches(c, etag)) {
                let msg = "At least one of the pre-conditions you specified did not hold";
                let r = s3_error(StatusCode::PRECONDITION_FAILED, "PreconditionFailed", msg, &resource);
                return Ok(with(r, in_flight));
            }
            if if_none_match.as_deref().is_some_and(|c| etag_matches(c, etag)) {
                let mut r = Response::new(EmuBody::empty());
                *r.status_mut() = StatusCode::NOT_MODIFIED;
                r.headers_mut().insert(ETAG, etag.parse()?);
                return Ok(with(r, in_flight));
            }
        }
    }
    let request = Request::from_parts(parts, s3s::Body::from(body));
    let response = match store.service.call(request).await {
        Ok(r) => r,
        Err(e) => {
            let r = s3_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", &format!("{e:?}"), &resource);
            return Ok(with(r, in_flight));
        }
    };
    let (mut head, s3_body) = response.into_parts();
    let counted = (op.key == "s3:get").then(|| Arc::clone(&state.stats));
    let damaged = matches!(
        fault,
        Some(
            Fault::SlowBody { .. }
                | Fault::DropMidBody
                | Fault::TruncatedBody
                | Fault::MalformedJson
                | Fault::StallMidBody { .. }
                | Fault::HugeContentLength
        )
    );
    if let Some(Fault::SlowFirstByte { millis }) = fault {
        tokio::time::sleep(Duration::from_millis(millis)).await;
    }
    if matches!(fault, Some(Fault::HugeContentLength)) && op.key == "s3:head" {
        head.headers.insert(CONTENT_LENGTH, HeaderValue::from(HUGE_CONTENT_LENGTH));
    }
    if !damaged || op.key == "s3:head" {
        let body = EmuBody::streaming(s3_body, counted, "s3").holding(in_flight);
        return Ok(Response::from_parts(head, body));
    }
    let full = match Limited::new(s3_body, MAX_FAULTED_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return Err(format!("cannot collect the S3 answer to damage it: {e}").into()),
    };
    let count = |n: usize| {
        if let Some(stats) = &counted {
            stats.bytes_sent("s3", n as u64);
        }
    };
    let body = match fault {
        Some(Fault::SlowBody { millis }) => {
            count(full.len());
            EmuBody::slowly(full, Duration::from_millis(millis))
        }
        Some(Fault::StallMidBody { millis }) => {
            count(full.len());
            EmuBody::stalled(full, Duration::from_millis(millis))
        }
        Some(Fault::HugeContentLength) => {
            count(full.len());
            head.headers.insert(CONTENT_LENGTH, HeaderValue::from(HUGE_CONTENT_LENGTH));
            EmuBody::aborting(full, Arc::clone(ctl), false)
        }
        Some(Fault::MalformedJson) => {
            let half = full.slice(..full.len() / 2);
            count(half.len());
            head.headers.insert(CONTENT_LENGTH, HeaderValue::from(half.len()));
            EmuBody::full(half)
        }
        _ => {
            if full.is_empty() {
                return Err("emulated fault: connection dropped (an empty S3 answer cannot be cut)".into());
            }
            let body = EmuBody::cut(&full, Arc::clone(ctl), matches!(fault, Some(Fault::DropMidBody)));
            count(body.remaining_len() as usize);
            head.headers.insert(CONTENT_LENGTH, HeaderValue::from(full.len()));
            body
        }
    };
    Ok(Response::from_parts(head, body.holding(in_flight)))
}

fn with(r: Response<EmuBody>, in_flight: InFlight) -> Response<EmuBody> {
    r.map(|b| b.holding(in_flight))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_spec_examples() {
        assert_eq!(
            cloud_key("mast:HST/product/u9o40504j_jif.fits").as_deref(),
            Some("hst/public/u9o4/u9o40504j/u9o40504j_jif.fits")
        );
        assert_eq!(
            cloud_key("mast:HST/product/u24r0102t_c1f.fits").as_deref(),
            Some("hst/public/u24r/u24r0102t/u24r0102t_c1f.fits")
        );
        assert_eq!(
            mapped_key("mast:JWST/product/jw01234-o012_t345_nircam_f200w_cal.fits").as_deref(),
            Some("jwst/public/jw01234-o012_t345_nircam_f200w/jw01234-o012_t345_nircam_f200w_cal.fits")
        );
        assert_eq!(
            mapped_key("mast:TESS/product/hlsp_tica_tess_ffi_s0001-cam1-ccd1_ffic.fits").as_deref(),
            Some("mast/hlsp/tica/hlsp_tica_tess_ffi_s0001-cam1-ccd1/hlsp_tica_tess_ffi_s0001-cam1-ccd1_ffic.fits")
        );
        assert_eq!(
            mapped_key("mast:HLSP/tica/s0001/cam1-ccd1/x.fits").as_deref(),
            Some("mast/hlsp/tica/s0001/cam1-ccd1/x.fits")
        );
        assert_eq!(mapped_key("mast:GALEX/product/123_x.fits").as_deref(), Some("galex/public/123/123_x.fits"));
        assert_eq!(mapped_key("mast:HST/product/x.fits").as_deref(), Some("hst/public/x/x/x.fits"));
        for uri in [
            "mast:HST/product/does_not_exist.fits",
            "mast:HST/product/unauthorized_x.fits",
            "mast:SWIFT/product/x_y.fits",
            "mast:HST/product/",
            "mast:HST/product/a/b.fits",
            "mast:HLSP/other/x.fits",
            "mast:HLSP/tica/../x.fits",
            "https://example.org/x.fits",
        ] {
            assert_eq!(mapped_key(uri), None, "{uri}");
        }
    }

    #[test]
    fn about_one_in_eight_is_left_out() {
        let mut out = 0;
        for i in 0..4000 {
            let uri = format!("mast:JWST/product/jw{i:05}-o001_t001_nircam_clear_cal.fits");
            out += usize::from(cloud_key(&uri).is_none());
        }
        assert!((350..650).contains(&out), "{out}");
        assert!(ALWAYS.iter().all(|u| cloud_key(u).is_some()));
        let recorded = crate::products::products_of(2003738726, 42);
        assert!(recorded.iter().all(|p| cloud_key(&p.data_uri).is_some()));
    }

    #[test]
    fn base64_and_etags() {
        assert_eq!(b64url("stpubdata"), "c3RwdWJkYXRh");
        assert_eq!(b64url("a/b"), "YS9i");
        assert_eq!(b64url("ab"), "YWI");
        assert_eq!(b64url("a?>"), "YT8-");
        assert!(etag_matches("\"abc\"", "\"abc\""));
        assert!(etag_matches("W/\"abc\", \"x\"", "\"x\""));
        assert!(etag_matches("*", "\"x\""));
        assert!(!etag_matches("\"abd\"", "\"abc\""));
    }

    #[test]
    fn buckets_and_classification() {
        assert!(valid_bucket("stpubdata") && valid_bucket("my.bucket-1"));
        assert!(!valid_bucket("files") && !valid_bucket("Upper") && !valid_bucket("ab") && !valid_bucket("-ab"));
        assert!(!valid_bucket("api") && !valid_bucket("tesscut") && !valid_bucket("search") && !valid_bucket("whoami"));
        let c = |m: Method, p: &str, r: bool| classify(&m, p, (r, false), "stpubdata").map(|o| o.keys());
        assert_eq!(c(Method::GET, "/stpubdata", false), Some(vec!["s3".into(), "s3:list".into()]));
        assert_eq!(c(Method::GET, "/stpubdata/", true), Some(vec!["s3".into(), "s3:list".into()]));
        assert_eq!(
            c(Method::GET, "/stpubdata/hst/x", true),
            Some(vec!["s3".into(), "s3:get".into(), "s3:get:range".into()])
        );
        assert_eq!(c(Method::HEAD, "/stpubdata/hst/x", false), Some(vec!["s3".into(), "s3:head".into()]));
        assert_eq!(c(Method::PUT, "/stpubdata/hst/x", false), Some(vec!["s3".into(), "s3:write".into()]));
        assert_eq!(
            classify(&Method::GET, "/stpubdata/hst/x", (true, true), "stpubdata").map(|o| o.keys()),
            Some(vec!["s3".into(), "s3:get".into(), "s3:get:range".into(), "s3:get:if_match".into()])
        );
        assert_eq!(c(Method::GET, "/stpubdatax/y", false), None);
        assert_eq!(c(Method::GET, "/files/x", false), None);
    }
}
