//! What to download: an HTTPS URL or a `mast:` URI.

use mast_proto::MastConfig;
use mast_proto::pyfmt::quote;

use crate::{Error, Result};

/// Where a file comes from.
///
/// `From<&str>` / `From<String>` classify text: a `mast:` prefix gives [`Source::Mast`],
/// anything else [`Source::Url`] (checked when the download starts: an invalid URL is that
/// file's error, not a panic).
///
/// ```
/// use mast_download::Source;
/// use mast_proto::MastConfig;
/// let config = MastConfig::new();
/// let s = Source::from("mast:HST/product/a b+c.fits");
/// assert_eq!(s.request_url(&config)?, "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HST/product/a%20b%2Bc.fits");
/// assert_eq!(s.display_url(&config), "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:HST/product/a b+c.fits");
/// assert_eq!(Source::from("https://example.org/x.fits").request_url(&config)?, "https://example.org/x.fits");
/// assert!(Source::from("ftp://example.org/x").request_url(&config).is_err());
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
}

impl Source {
    /// The URL requested (escaped).
    pub fn request_url(&self, config: &MastConfig) -> Result<String> {
        match self {
            Source::Mast(uri) => Ok(format!("{}?uri={}", download_endpoint(config), quote(uri, ":/"))),
            Source::Url(url) => {
                let invalid = |reason: String| Error::InvalidSource { input: url.clone(), reason };
                let parsed = reqwest::Url::parse(url).map_err(|e| invalid(format!("not a URL ({e})")))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                    return Err(invalid("expected an http(s):// URL with a host, or a mast: URI".into()));
                }
                Ok(url.clone())
            }
        }
    }

    /// The URL as astroquery reports it in manifests (for `mast:` URIs: not escaped).
    pub fn display_url(&self, config: &MastConfig) -> String {
        match self {
            Source::Mast(uri) => format!("{}?uri={uri}", download_endpoint(config)),
            Source::Url(url) => url.clone(),
        }
    }

    /// The URI or URL as given.
    pub fn as_str(&self) -> &str {
        match self {
            Source::Url(s) | Source::Mast(s) => s,
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for Source {
    fn from(s: String) -> Self {
        if s.starts_with("mast:") { Source::Mast(s) } else { Source::Url(s) }
    }
}

impl From<&str> for Source {
    fn from(s: &str) -> Self {
        Source::from(s.to_owned())
    }
}

/// `<MAST_URL>/api/v0.1/Download/file`.
fn download_endpoint(config: &MastConfig) -> String {
    format!("{}/api/v0.1/Download/file", config.mast_url())
}
