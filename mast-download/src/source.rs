//! What to download: an HTTPS URL, a `mast:` URI or an `s3://` object.

use mast_proto::MastConfig;
use mast_proto::cloud::{CloudUriStyle, cloud_uri, parse_s3_uri};
use mast_proto::endpoints;
use mast_proto::pyfmt::quote;

use crate::{Error, Result};

/// Where a file comes from.
///
/// `From<&str>` / `From<String>` classify text: a `mast:` prefix gives [`Source::Mast`], an
/// `s3://<bucket>/<key>` URI [`Source::S3`], anything else [`Source::Url`] (checked when the
/// download starts: an invalid URL is that file's error, not a panic). Each kind needs its
/// crate feature (`https` for URLs and `mast:` URIs, `s3` for S3); without it the file's
/// row says which feature is missing.
///
/// ```
/// use mast_download::Source;
/// use mast_proto::MastConfig;
/// let config = MastConfig::new();
/// let s = Source::from("mast:HST/product/a b+c.fits");
/// # #[cfg(feature = "https")]
/// assert_eq!(s.request_url(&config)?, "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HST/product/a%20b%2Bc.fits");
/// assert_eq!(s.display_url(&config), "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HST/product/a b+c.fits");
/// # #[cfg(feature = "https")]
/// assert_eq!(Source::from("https://example.org/x.fits").request_url(&config)?, "https://example.org/x.fits");
/// assert!(Source::from("ftp://example.org/x").request_url(&config).is_err());
/// let s3 = Source::from("s3://stpubdata/hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits");
/// assert_eq!(s3, Source::S3 { bucket: "stpubdata".into(), key: "hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits".into() });
/// # #[cfg(feature = "s3")]
/// assert_eq!(s3.request_url(&config)?, "s3://stpubdata/hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits");
/// # Ok::<(), mast_download::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// An `http://` or `https://` URL, fetched as it is.
    Url(String),
    /// A MAST data URI (`mast:HST/product/u9o40504m_c3m.fits`), fetched from
    /// `<MAST_URL>/api/v0.1/Download/file?uri=<uri>` with the URI escaped as astroquery
    /// escapes it (Python `quote(uri, safe=":/")`).
    Mast(String),
    /// An object in a public S3 bucket (MAST's is `stpubdata`), fetched anonymously from
    /// the configured S3 endpoint ([`MastConfig::s3_endpoint`]) through object_store.
    S3 {
        /// The bucket.
        bucket: String,
        /// The object's key.
        key: String,
    },
}

impl Source {
    /// Parses a URI a user gave (the CLI's `download file`, [`Source`]s built from input that
    /// was not a product list): a `mast:` URI with a path (`mast:HST/product/x.fits`), an
    /// `http://` or `https://` URL with a host, or an `s3://<bucket>/<key>` URI. Anything
    /// else (`ftp://...`, a bare `mast:`, a path without a scheme) is
    /// [`Error::InvalidSource`], so nothing is sent for it. Surrounding whitespace is removed.
    ///
    /// Unlike `From<&str>`, which classifies any text and leaves the check to the download,
    /// this refuses at once.
    ///
    /// ```
    /// use mast_download::Source;
    /// assert_eq!(Source::parse(" mast:HST/product/x.fits ")?, Source::Mast("mast:HST/product/x.fits".into()));
    /// assert_eq!(Source::parse("https://example.org/x.fits")?, Source::Url("https://example.org/x.fits".into()));
    /// assert!(matches!(Source::parse("s3://stpubdata/hst/x.fits")?, Source::S3 { .. }));
    /// for bad in ["ftp://example.org/x.fits", "mast:", "mast: ", "https://", "s3://stpubdata", "HST/x.fits", ""] {
    ///     assert_eq!(Source::parse(bad).unwrap_err().class_name(), "InvalidQueryError", "{bad}");
    /// }
    /// # Ok::<(), mast_download::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Source> {
        let text = text.trim();
        let invalid = |reason: &str| Err(Error::InvalidSource { input: shortened(text), reason: reason.to_owned() });
        if let Some(path) = text.strip_prefix("mast:") {
            if path.trim_matches('/').trim().is_empty() {
                return invalid("a mast: URI needs a path after 'mast:', e.g. mast:HST/product/u9o40504m_c3m.fits");
            }
            return Ok(Source::Mast(text.to_owned()));
        }
        let scheme = text.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("s3") => match parse_s3_uri(text) {
                Some((bucket, key)) => Ok(Source::S3 { bucket: bucket.to_owned(), key: key.to_owned() }),
                None => invalid("an S3 URI is written s3://<bucket>/<key>"),
            },
            Some("http" | "https") => match url::Url::parse(text) {
                Ok(url) if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(Source::Url(text.to_owned())),
                _ => invalid("not an http(s):// URL with a host"),
            },
            _ => invalid(
                "expected a mast: URI (mast:HST/product/u9o40504m_c3m.fits), an http(s):// URL or an s3://<bucket>/<key> URI",
            ),
        }
    }

    /// The URL requested (escaped); `s3://<bucket>/<key>` for S3 objects.
    pub fn request_url(&self, config: &MastConfig) -> Result<String> {
        self.check_feature()?;
        match self {
            Source::S3 { bucket, key } => Ok(cloud_uri(bucket, key, CloudUriStyle::S3)),
            Source::Mast(uri) => Ok(format!("{}?uri={}", download_endpoint(config), quote(uri, ":/"))),
            Source::Url(url) => {
                let invalid = |reason: String| Error::InvalidSource { input: url.clone(), reason };
                let parsed = url::Url::parse(url).map_err(|e| invalid(format!("not a URL ({e})")))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                    return Err(invalid("expected an http(s):// URL with a host, or a mast: URI".into()));
                }
                Ok(url.clone())
            }
        }
    }

    /// The URL as astroquery reports it in manifests (for `mast:` URIs: not escaped), with
    /// credentials hidden ([`mast_proto::redact_url`]: no `user:password@`, secret query
    /// values as `***`). For manifests and logs; requests use [`Source::request_url`].
    ///
    /// ```
    /// use mast_download::Source;
    /// let s = Source::from("https://user:pw@example.org/x.fits?X-Amz-Signature=abc");
    /// assert_eq!(s.display_url(&mast_proto::MastConfig::new()), "https://example.org/x.fits?X-Amz-Signature=***");
    /// ```
    pub fn display_url(&self, config: &MastConfig) -> String {
        let url = match self {
            Source::Mast(uri) => format!("{}?uri={uri}", download_endpoint(config)),
            Source::Url(url) => url.clone(),
            Source::S3 { bucket, key } => cloud_uri(bucket, key, CloudUriStyle::S3),
        };
        match mast_proto::redact_url(&url) {
            std::borrow::Cow::Borrowed(_) => url,
            std::borrow::Cow::Owned(redacted) => redacted,
        }
    }

    /// The URI or URL (`s3://<bucket>/<key>` for S3 objects).
    pub fn to_uri(&self) -> String {
        match self {
            Source::Url(s) | Source::Mast(s) => s.clone(),
            Source::S3 { bucket, key } => cloud_uri(bucket, key, CloudUriStyle::S3),
        }
    }

    /// An error naming the crate feature this kind of source needs, if it is off.
    fn check_feature(&self) -> Result<()> {
        let missing = match self {
            Source::Url(_) | Source::Mast(_) => cfg!(not(feature = "https")).then_some("https"),
            Source::S3 { .. } => cfg!(not(feature = "s3")).then_some("s3"),
        };
        match missing {
            Some(feature) => Err(Error::InvalidSource {
                input: self.to_uri(),
                reason: format!("mast-download was built without its `{feature}` feature"),
            }),
            None => Ok(()),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_uri())
    }
}

impl From<String> for Source {
    fn from(s: String) -> Self {
        if s.starts_with("mast:") {
            return Source::Mast(s);
        }
        match parse_s3_uri(&s) {
            Some((bucket, key)) => Source::S3 { bucket: bucket.to_owned(), key: key.to_owned() },
            None => Source::Url(s),
        }
    }
}

impl From<&str> for Source {
    fn from(s: &str) -> Self {
        Source::from(s.to_owned())
    }
}

/// `<MAST_URL>/api/v0.1/Download/file` ([`endpoints::DOWNLOAD_FILE`]).
fn download_endpoint(config: &MastConfig) -> String {
    config.url(&endpoints::DOWNLOAD_FILE)
}

/// The input as an error shows it: whole up to 200 characters, else its start, an ellipsis
/// and its length (an error line never echoes a pasted file).
fn shortened(text: &str) -> String {
    let chars = text.chars().count();
    if chars <= 200 {
        return text.to_owned();
    }
    let head: String = text.chars().take(80).collect();
    format!("{head}… ({chars} characters)")
}

#[cfg(all(test, feature = "https"))]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_with_a_host_are_requested() {
        let config = MastConfig::new();
        let url = |s: &str| Source::Url(s.to_owned()).request_url(&config);
        assert_eq!(url("https://example.org/a.fits").unwrap(), "https://example.org/a.fits");
        assert_eq!(url("http://127.0.0.1:9/a").unwrap(), "http://127.0.0.1:9/a");
        // A host but another scheme, no host, or no URL at all: refused before any request.
        for bad in ["ftp://example.org/a.fits", "file:///etc/passwd", "data:text/plain,x", "not a url"] {
            assert!(matches!(url(bad), Err(Error::InvalidSource { .. })), "{bad}");
        }
    }
}
