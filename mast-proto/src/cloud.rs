//! MAST's path lookup (spec §9.3), sans-IO: which `mast:` products have a copy in MAST's
//! public S3 bucket, and under which key.
//!
//! `GET <MAST_URL>/api/v0.1/path_lookup/?uri=<u1>&uri=<u2>...&use_cloud_path=True`, at
//! most [`PATH_LOOKUP_BATCH`] URIs per request, answers one JSON entry per URI:
//! `{"<uri>": {"status_code": 200, "path": "/hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits"}}`
//! (or `"path": null` when the product has no cloud copy). The key is the path without its
//! leading `/`.
//!
//! ```
//! use mast_proto::cloud::{CloudUriStyle, cloud_uri, parse_path_lookup, path_lookup_url};
//! use mast_proto::MastConfig;
//! let uris = ["mast:HST/product/u9o40504m_c3m.fits", "mast:HST/product/does_not_exist.fits"];
//! assert_eq!(
//!     path_lookup_url(&MastConfig::new(), &uris),
//!     "https://mast.stsci.edu/api/v0.1/path_lookup/?uri=mast%3AHST%2Fproduct%2Fu9o40504m_c3m.fits&uri=mast%3AHST%2Fproduct%2Fdoes_not_exist.fits&use_cloud_path=True"
//! );
//! let body = br#"{"mast:HST/product/u9o40504m_c3m.fits": {"status_code": 200, "path": "/hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits"},
//!                 "mast:HST/product/does_not_exist.fits": {"status_code": 404, "path": null}}"#;
//! let keys = parse_path_lookup(body, &uris)?;
//! assert_eq!(keys, [Some("hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits".to_owned()), None]);
//! assert_eq!(
//!     cloud_uri("stpubdata", keys[0].as_deref().unwrap(), CloudUriStyle::S3),
//!     "s3://stpubdata/hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits"
//! );
//! # Ok::<(), mast_proto::Error>(())
//! ```

use serde_json::Value;

use crate::pyfmt::form_urlencoded;
use crate::{Error, MastConfig, Result};

/// URIs per path-lookup request (MAST's limit; astroquery sends at most 40).
pub const PATH_LOOKUP_BATCH: usize = 40;

/// The path-lookup request for `uris` (at most [`PATH_LOOKUP_BATCH`]; the caller batches).
pub fn path_lookup_url<S: AsRef<str>>(config: &MastConfig, uris: &[S]) -> String {
    let pairs = uris.iter().map(|u| ("uri", u.as_ref())).chain([("use_cloud_path", "True")]);
    format!("{}?{}", config.url(&crate::endpoints::PATH_LOOKUP), form_urlencoded(pairs))
}

/// The S3 key of each of `uris` from a path-lookup answer, in the order of `uris`: `None`
/// where MAST has no cloud copy. A URI missing from the answer, or an answer that is not a
/// JSON object of entries, is an [`Error::Decode`].
pub fn parse_path_lookup<S: AsRef<str>>(body: &[u8], uris: &[S]) -> Result<Vec<Option<String>>> {
    let bad = |detail: String| Error::Decode { format: "path lookup JSON", detail, source: None };
    let value: Value = serde_json::from_slice(body).map_err(|e| bad(e.to_string()))?;
    let Value::Object(map) = value else { return Err(bad("expected a JSON object".into())) };
    uris.iter()
        .map(|uri| {
            let uri = uri.as_ref();
            let entry = map.get(uri).ok_or_else(|| bad(format!("no entry for {uri}")))?;
            match entry.get("path") {
                Some(Value::String(path)) => {
                    let key = path.trim_start_matches('/');
                    Ok((!key.is_empty()).then(|| key.to_owned()))
                }
                Some(Value::Null) | None => Ok(None),
                Some(other) => Err(bad(format!("the path of {uri} is not text: {other}"))),
            }
        })
        .collect()
}

/// How a cloud URI is written (astroquery's `include_bucket` / `full_url`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CloudUriStyle {
    /// `s3://<bucket>/<key>` (the default).
    #[default]
    S3,
    /// `http://s3.amazonaws.com/<bucket>/<key>` (`include_bucket=False, full_url=True`).
    HttpUrl,
    /// The bare key (`include_bucket=False`).
    Key,
}

/// A cloud URI for `key` in `bucket`.
pub fn cloud_uri(bucket: &str, key: &str, style: CloudUriStyle) -> String {
    match style {
        CloudUriStyle::S3 => format!("s3://{bucket}/{key}"),
        CloudUriStyle::HttpUrl => format!("http://s3.amazonaws.com/{bucket}/{key}"),
        CloudUriStyle::Key => key.to_owned(),
    }
}

/// The bucket and key of an `s3://<bucket>/<key>` URI.
///
/// ```
/// use mast_proto::cloud::parse_s3_uri;
/// assert_eq!(parse_s3_uri("s3://stpubdata/hst/a.fits"), Some(("stpubdata", "hst/a.fits")));
/// assert_eq!(parse_s3_uri("s3://stpubdata/"), None);
/// assert_eq!(parse_s3_uri("mast:HST/product/a.fits"), None);
/// ```
pub fn parse_s3_uri(uri: &str) -> Option<(&str, &str)> {
    let rest = uri.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then_some((bucket, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_entries_and_bad_shapes_are_decode_errors() {
        let uris = ["mast:a", "mast:b"];
        assert!(parse_path_lookup(br#"{"mast:a": {"path": "/x"}}"#, &uris).is_err());
        assert!(parse_path_lookup(br#"[1]"#, &uris).is_err());
        assert!(parse_path_lookup(br#"{"mast:a": {"path": 3}, "mast:b": {}}"#, &uris).is_err());
        let got = parse_path_lookup(br#"{"mast:a": {"path": "/x/y"}, "mast:b": {}}"#, &uris).unwrap();
        assert_eq!(got, [Some("x/y".to_owned()), None]);
    }

    #[test]
    fn uri_styles() {
        assert_eq!(cloud_uri("b", "k/x", CloudUriStyle::HttpUrl), "http://s3.amazonaws.com/b/k/x");
        assert_eq!(cloud_uri("b", "k/x", CloudUriStyle::Key), "k/x");
    }
}
