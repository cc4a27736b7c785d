//! The S3 source (feature `s3`): objects of MAST's public bucket through object_store, with
//! unsigned requests (no AWS account), resumed with a ranged `GET` guarded by the ETag.

use std::time::Duration;

use futures::TryStreamExt;
use mast_proto::MastConfig;
use mast_proto::cloud::{CloudUriStyle, cloud_uri};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, ClientOptions, GetOptions, GetRange, ObjectMeta, ObjectStore, ObjectStoreExt, RetryConfig,
};

use crate::downloader::{Failure, Job, RESUME_OVERLAP, Served, Streamed, Transfer, check_not_an_html_page};
use crate::part::{Meta, PartFile};
use crate::{Downloader, Error, ProgressEvent, Result};

/// Anonymous access to one public S3 bucket (MAST's `stpubdata` by default) at the
/// configured endpoint ([`MastConfig::s3_endpoint`], `MAST_S3_ENDPOINT`): the listing of
/// datasets, object sizes, and the transfers of [`crate::Downloader`] for `s3://` sources.
///
/// Requests are unsigned, so no AWS account or credentials are needed. object_store's own
/// retries are off: callers retry with the [`mast_proto::MastClient`]'s policy.
///
/// ```
/// use mast_download::CloudStore;
/// use mast_emulator::{Emulator, EmulatorConfig};
/// use mast_proto::{MastClient, MastConfig};
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let emulator = Emulator::start(EmulatorConfig::default()).await?;
/// let client = MastClient::new(MastConfig::new().with_all_urls(emulator.base_url())?)?;
/// let cloud = CloudStore::new(client.config())?;
/// let datasets = cloud.list_datasets().await?;
/// assert!(datasets.iter().any(|d| d == "hst") && datasets.iter().any(|d| d == "mast/hlsp/tica"));
/// let key = &client.path_lookup(&["mast:HST/product/u9o40504m_c3m.fits"]).await?[0];
/// let object = cloud.head(key.as_deref().unwrap()).await?.expect("in the bucket");
/// assert_eq!(object.size, 207360);
/// assert_eq!(cloud.head("hst/public/no/such.fits").await?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct CloudStore {
    bucket: String,
    store: std::sync::Arc<AmazonS3>,
    /// [`MastConfig::first_byte_timeout`]: how long a request may wait for its answer.
    first_byte: Duration,
}

impl std::fmt::Debug for CloudStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudStore").field("bucket", &self.bucket).finish_non_exhaustive()
    }
}

/// What a `HEAD` of an object says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CloudObject {
    /// The object's key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its ETag, when the server sends one.
    pub etag: Option<String>,
}

impl CloudStore {
    /// The configured bucket ([`MastConfig::s3_bucket`]) at the configured endpoint.
    pub fn new(config: &MastConfig) -> Result<CloudStore> {
        CloudStore::for_bucket(config, config.s3_bucket())
    }

    /// Another bucket at the configured endpoint.
    pub fn for_bucket(config: &MastConfig, bucket: &str) -> Result<CloudStore> {
        let user_agent = config.user_agent().parse().map_err(|_| Error::InvalidSource {
            input: config.user_agent().to_owned(),
            reason: "the user agent is not a valid header value".into(),
        })?;
        let options = ClientOptions::new()
            .with_allow_http(true)
            .with_user_agent(user_agent)
            .with_connect_timeout(config.connect_timeout())
            // object_store's timeout caps a whole request, body included, so an object that
            // takes longer to stream could never finish: off. The first-byte and idle
            // timeouts are applied here and by the downloader instead.
            .with_timeout_disabled();
        let store = AmazonS3Builder::new()
            .with_endpoint(config.s3_endpoint())
            .with_bucket_name(bucket)
            .with_region("us-east-1")
            .with_skip_signature(true)
            .with_client_options(options)
            .with_http_connector(RetryAfterConnector)
            .with_retry(RetryConfig { max_retries: 0, ..RetryConfig::default() })
            .build()
            .map_err(|e| Error::InvalidSource { input: format!("s3://{bucket}"), reason: e.to_string() })?;
        Ok(CloudStore {
            bucket: bucket.to_owned(),
            store: std::sync::Arc::new(store),
            first_byte: config.first_byte_timeout(),
        })
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// `s3://<bucket>/<key>` (or another [`CloudUriStyle`]).
    pub fn uri(&self, key: &str, style: CloudUriStyle) -> String {
        cloud_uri(&self.bucket, key, style)
    }

    /// Size and ETag of `key`, `None` when there is no such object.
    pub async fn head(&self, key: &str) -> Result<Option<CloudObject>> {
        match self.head_object(key).await {
            Ok(meta) => Ok(meta.map(|m| CloudObject { key: key.to_owned(), size: m.size, etag: m.e_tag })),
            Err(e) => Err(self.error(key, e)),
        }
    }

    /// object_store's `HEAD` of `key`, `None` when there is no such object (or no object
    /// can have that key).
    async fn head_object(&self, key: &str) -> std::result::Result<Option<ObjectMeta>, object_store::Error> {
        let Some(path) = object_path(key) else { return Ok(None) };
        match self.answer(self.store.head(&path)).await {
            Ok(meta) => Ok(Some(meta)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The datasets in the bucket, as astroquery's `list_cloud_datasets` lists them: the
    /// top-level prefixes without their `/`, except `mast`, which is replaced by the
    /// prefixes below `mast/hlsp/` (`mast/hlsp/tica`, ...), in listing order.
    pub async fn list_datasets(&self) -> Result<Vec<String>> {
        let top = self.answer(self.store.list_with_delimiter(None)).await.map_err(|e| self.error("", e))?;
        let mut datasets = Vec::new();
        for prefix in top.common_prefixes {
            let name = prefix.as_ref().trim_end_matches('/').to_owned();
            if name == "mast" {
                let hlsp = ObjectPath::from("mast/hlsp");
                let below = self
                    .answer(self.store.list_with_delimiter(Some(&hlsp)))
                    .await
                    .map_err(|e| self.error("mast/hlsp/", e))?;
                datasets.extend(below.common_prefixes.iter().map(|p| p.as_ref().trim_end_matches('/').to_owned()));
            } else {
                datasets.push(name);
            }
        }
        Ok(datasets)
    }

    /// Waits for a request's answer at most the first-byte timeout; a silent server is a
    /// transient error, retried like a 503.
    async fn answer<T>(
        &self,
        request: impl std::future::Future<Output = object_store::Result<T>>,
    ) -> object_store::Result<T> {
        tokio::time::timeout(self.first_byte, request).await.unwrap_or_else(|_| {
            Err(object_store::Error::Generic {
                store: "S3",
                source: format!("no answer for {} s (MAST_FIRST_BYTE_TIMEOUT)", self.first_byte.as_secs_f64()).into(),
            })
        })
    }

    fn error(&self, key: &str, e: object_store::Error) -> Error {
        s3_error(self.uri(key, CloudUriStyle::S3), e)
    }
}

impl Downloader {
    /// The store this downloader reads `bucket` through (one per bucket, built on first use
    /// and shared by the downloader's clones, with its connection pool).
    pub fn cloud_store(&self, bucket: &str) -> Result<CloudStore> {
        let mut stores = self.inner.s3_stores.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(store) = stores.get(bucket) {
            return Ok(store.clone());
        }
        let store = CloudStore::for_bucket(self.inner.client.config(), bucket)?;
        stores.insert(bucket.to_owned(), store.clone());
        Ok(store)
    }

    /// One `HeadObject`: the object's size (a missing object is a final `NotInCloud`).
    pub(crate) async fn s3_length(&self, job: &Job<'_>, bucket: &str, key: &str) -> Result<Option<u64>, Failure> {
        let store = self.cloud_store(bucket)?;
        match store.head_object(key).await {
            Ok(Some(meta)) => Ok(Some(meta.size)),
            Ok(None) => Err(Failure::from(Error::NotInCloud { uri: job.url.clone() })),
            Err(e) => Err(store.error(key, e).into()),
        }
    }

    /// One attempt at an S3 object: a ranged `GET` from the kept bytes when the sidecar's
    /// ETag is the object's (`If-Match`), else the whole object; stream; verify.
    pub(crate) async fn s3_attempt(
        &self,
        job: &Job<'_>,
        bucket: &str,
        key: &str,
        part: &mut PartFile,
        transfer: &mut Transfer,
    ) -> Result<(), Failure> {
        let store = self.cloud_store(bucket)?;
        let path = object_path(key).ok_or_else(|| Failure::from(Error::NotInCloud { uri: job.url.clone() }))?;
        let have = part.len().await?;
        let meta = if have > 0 { part.read_meta().await } else { None };
        let kept_etag =
            meta.as_ref().filter(|m| m.url == job.url && m.size.is_none_or(|s| have <= s)).and_then(|m| m.etag.clone());
        let mut resume = kept_etag.is_some();
        if have > 0 && !resume {
            tracing::info!(path = %part.path.display(), bytes = have, "discarding a partial file that cannot be resumed");
            part.reset().await?;
        }
        loop {
            // A resumed read starts a little before the kept end, to compare the kept tail.
            let start = if resume { have - have.min(RESUME_OVERLAP) } else { 0 };
            let options = if resume {
                GetOptions {
                    range: Some(GetRange::Offset(start)),
                    if_match: kept_etag.clone(),
                    ..GetOptions::default()
                }
            } else {
                GetOptions::default()
            };
            let result = match store.answer(store.store.get_opts(&path, options)).await {
                Ok(result) => result,
                Err(object_store::Error::Precondition { .. }) if resume => {
                    tracing::info!(url = %mast_proto::redact_url(&job.url), "the object changed since the partial download: starting over");
                    part.reset().await?;
                    resume = false;
                    continue;
                }
                Err(e) if resume && is_range_error(&e) => {
                    tracing::info!(url = %mast_proto::redact_url(&job.url), error = %e, "the server cannot resume this object: starting over");
                    part.reset().await?;
                    resume = false;
                    continue;
                }
                Err(e) => return Err(store.error(key, e).into()),
            };
            // S3 answers every object with an ETag; an HTML page without one is a proxy's error
            // page, while an object stored as `text/html` is the object.
            if result.meta.e_tag.is_none() {
                let content_type = result.attributes.get(&Attribute::ContentType).map(|v| v.as_ref());
                check_not_an_html_page(job, content_type)?;
            }
            // The object's size is trusted over the listed one (checked in verify).
            let total = result.meta.size;
            let (offset, tail) = if resume {
                // The object must still be the one whose prefix is on disk.
                if result.meta.e_tag != kept_etag || result.range.start != start {
                    tracing::info!(url = %mast_proto::redact_url(&job.url), "the ranged answer does not continue the kept bytes: starting over");
                    part.reset().await?;
                    resume = false;
                    continue;
                }
                (start, part.read_at(start, have - start).await?)
            } else {
                let meta = Meta {
                    url: job.url.clone(),
                    etag: result.meta.e_tag.clone(),
                    last_modified: None,
                    size: Some(total),
                };
                part.write_meta(&meta).await?;
                (0, Vec::new())
            };
            let kept = offset + tail.len() as u64;
            self.emit(|| ProgressEvent::Started {
                path: job.target.to_path_buf(),
                total: Some(total),
                resumed_from: kept,
            });
            let url = job.url.clone();
            let body = result.into_stream().map_err(move |e| s3_error(url.clone(), e));
            if let Streamed::TailMismatch = self.stream(job, part, body, offset, &tail, transfer).await? {
                tracing::info!(url = %mast_proto::redact_url(&job.url), "the kept bytes differ from the object's: starting over");
                part.reset().await?;
                resume = false;
                continue;
            }
            if kept > 0 {
                transfer.resumed_from = transfer.resumed_from.max(kept);
            }
            return self.verify(job, part, Served::Length(total), transfer).await;
        }
    }
}

/// The object path of `key` as it is (object_store's `Path::from` would percent-encode
/// characters such as `~` into the key itself); `None` for a key no object can have (empty
/// segments, `.`/`..`, control characters).
fn object_path(key: &str) -> Option<ObjectPath> {
    ObjectPath::parse(key).ok()
}

/// Whether a ranged read failed because the server cannot serve that range (`416`, a `200`
/// with the whole object, a missing or different `Content-Range`): then the object is read
/// again from the start. Decided on object_store's fixed wording, never on text that may
/// hold the key.
fn is_range_error(e: &object_store::Error) -> bool {
    let object_store::Error::Generic { source, .. } = e else { return false };
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(source.as_ref());
    while let Some(error) = cause {
        let text = error.to_string();
        let unexpected_range = text.starts_with("Requested ") && text.contains(", got ");
        if unexpected_range
            || [
                "416 Range Not Satisfiable",
                "non-partial response when range requested",
                "Content-Range header not present",
                "Failed to parse value for CONTENT_RANGE",
            ]
            .iter()
            .any(|phrase| text.contains(phrase))
        {
            return true;
        }
        cause = error.source();
    }
    false
}

/// object_store's reqwest transport, with one change: a transient error answer (5xx, 429,
/// 408) that carries `Retry-After` becomes a [`ServerAskedToWait`] error, because
/// object_store keeps only the status and body of an error answer, and the client's retry
/// policy must honour the server's delay on S3 as on every other transport.
#[derive(Debug)]
struct RetryAfterConnector;

impl object_store::client::HttpConnector for RetryAfterConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<object_store::client::HttpClient> {
        let inner =
            object_store::client::HttpConnector::connect(&object_store::client::ReqwestConnector::default(), options)?;
        Ok(object_store::client::HttpClient::new(RetryAfterService(inner)))
    }
}

#[derive(Debug)]
struct RetryAfterService(object_store::client::HttpClient);

#[async_trait::async_trait]
impl object_store::client::HttpService for RetryAfterService {
    async fn call(
        &self,
        request: object_store::client::HttpRequest,
    ) -> Result<object_store::client::HttpResponse, object_store::client::HttpError> {
        let response = self.0.execute(request).await?;
        let status = response.status().as_u16();
        let retry_after = response.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok());
        match retry_after {
            Some(value) if mast_proto::is_transient_status(status) => Err(object_store::client::HttpError::new(
                object_store::client::HttpErrorKind::Unknown,
                ServerAskedToWait {
                    status,
                    value: value.chars().take(64).collect(),
                    delay: mast_proto::retry::parse_retry_after(value, std::time::SystemTime::now()),
                },
            )),
            _ => Ok(response),
        }
    }
}

/// A transient error answer with a `Retry-After` (see [`RetryAfterConnector`]).
#[derive(Debug, thiserror::Error)]
#[error("the server answered {status} and asked to wait (Retry-After: {value})")]
struct ServerAskedToWait {
    status: u16,
    /// The header as sent (at most 64 characters).
    value: String,
    /// The delay it asks for (saturating), if it is readable.
    delay: Option<Duration>,
}

/// The error for an object_store failure on `uri`, its cause kept as the source: a missing
/// object is [`Error::NotInCloud`]; refused and unsupported requests and invalid paths are
/// final; anything else (5xx, throttling, cut or stalled connections) is transient.
fn s3_error(uri: String, e: object_store::Error) -> Error {
    use object_store::Error as E;
    if let E::NotFound { .. } = e {
        return Error::NotInCloud { uri };
    }
    let transient = !matches!(
        e,
        E::PermissionDenied { .. }
            | E::Unauthenticated { .. }
            | E::NotImplemented { .. }
            | E::NotSupported { .. }
            | E::InvalidPath { .. }
    );
    let retry_after = server_asked_to_wait(&e).and_then(|asked| asked.delay);
    Error::S3 { uri, message: mast_proto::innermost_cause(&e), transient, retry_after, source: Box::new(e) }
}

/// The [`ServerAskedToWait`] in an error's chain of causes.
fn server_asked_to_wait<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a ServerAskedToWait> {
    let mut cause = Some(e);
    while let Some(error) = cause {
        if let Some(asked) = error.downcast_ref::<ServerAskedToWait>() {
            return Some(asked);
        }
        cause = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic(text: &str) -> object_store::Error {
        object_store::Error::Generic { store: "S3", source: text.to_owned().into() }
    }

    #[test]
    fn range_errors_are_told_by_wording_not_by_the_key() {
        assert!(is_range_error(&generic("Server returned non-2xx status code: 416 Range Not Satisfiable: ")));
        assert!(is_range_error(&generic("Received non-partial response when range requested")));
        assert!(is_range_error(&generic("Requested 100..200, got 0..200")));
        // A key with "416" or "Range" in it does not make a 503 a range error.
        assert!(!is_range_error(&generic(
            "Error performing GET http://h/stpubdata/jwst/public/jw01416/Range.fits: 503 Service Unavailable"
        )));
        assert!(!is_range_error(&object_store::Error::NotFound { path: "416".into(), source: "x".into() }));
    }

    #[test]
    fn keys_are_kept_as_they_are() {
        assert_eq!(object_path("mast/hlsp/a~b/x[1].fits").unwrap().as_ref(), "mast/hlsp/a~b/x[1].fits");
        assert!(object_path("hst/../x").is_none());
        assert!(object_path("hst//x").is_none());
    }
}
