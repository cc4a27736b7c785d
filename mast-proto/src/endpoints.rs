//! Every MAST endpoint in one table (spec §1.1): which host serves it, the method the client
//! sends and its path. The client, mast-download and the emulator's router all take their
//! paths from here, so the two sides cannot drift apart.
//!
//! A URL is the configured base of the endpoint's [`Host`] followed by its path:
//! [`MastConfig::url`](crate::MastConfig::url) for a fixed path,
//! [`MastConfig::url_with`](crate::MastConfig::url_with) for a path with parameters
//! (`{release}`, `{mission}`, ...), which [`Endpoint::path_with`] fills in and
//! [`Endpoint::match_path`] reads back (the emulator's side).
//!
//! Portal services (`Mast.Caom.Cone`, `Mast.Name.Lookup`, `Mast.Bundle.Request`, ...) are
//! not endpoints of their own: they all go through [`INVOKE`]. URLs that the server hands
//! back (bundle staging areas) and pages shown to users only (the token page) are not here.
//!
//! ```
//! use mast_proto::MastConfig;
//! use mast_proto::endpoints::{self, Host, Method};
//!
//! let config = MastConfig::new().with_catalogs_url("http://127.0.0.1:8080")?;
//! assert_eq!(endpoints::INVOKE.method, Method::Post);
//! assert_eq!(config.url(&endpoints::INVOKE), "https://mast.stsci.edu/api/v0/invoke");
//! assert_eq!(endpoints::CATALOGS_SEARCH.host, Host::Catalogs);
//! assert_eq!(
//!     config.url_with(&endpoints::CATALOGS_SEARCH, &["panstarrs", "dr2", "mean"])?,
//!     "http://127.0.0.1:8080/api/v0.1/panstarrs/dr2/mean.json"
//! );
//! assert_eq!(
//!     endpoints::CATALOGS_SEARCH.match_path("/api/v0.1/panstarrs/dr2/mean.json"),
//!     Some(vec!["panstarrs", "dr2", "mean"])
//! );
//! # Ok::<(), mast_proto::Error>(())
//! ```

use crate::{Error, Result};

/// Which configured base URL an endpoint hangs off ([`crate::MastConfig::host_url`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Host {
    /// The main MAST host (`MAST_URL`): Portal, columns config, downloads, path lookup,
    /// whoami, the cutout services, mission search.
    Mast,
    /// The catalogs API host (`MAST_CATALOGS_URL`).
    Catalogs,
    /// The SANTA name resolver (`MAST_RESOLVER_URL`).
    Resolver,
    /// The Hubble Legacy Archive (`MAST_HLA_URL`), for HSC spectra.
    Hla,
    /// The public S3 endpoint (`MAST_S3_ENDPOINT`); its paths are `/<bucket>/<key>`, built
    /// by the S3 client, so no [`Endpoint`] lives here.
    S3,
}

impl Host {
    /// Every host, in the order of the configuration table.
    pub const ALL: [Host; 5] = [Host::Mast, Host::Catalogs, Host::Resolver, Host::Hla, Host::S3];

    /// The environment variable that sets this host's base URL.
    ///
    /// ```
    /// assert_eq!(mast_proto::endpoints::Host::Catalogs.env_var(), "MAST_CATALOGS_URL");
    /// ```
    pub fn env_var(self) -> &'static str {
        match self {
            Host::Mast => "MAST_URL",
            Host::Catalogs => "MAST_CATALOGS_URL",
            Host::Resolver => "MAST_RESOLVER_URL",
            Host::Hla => "MAST_HLA_URL",
            Host::S3 => "MAST_S3_ENDPOINT",
        }
    }
}

/// The HTTP method a client sends to an endpoint. `HEAD` is allowed wherever `GET` is (the
/// downloads send one to learn a size).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET` (and `HEAD`).
    Get,
    /// `POST`.
    Post,
}

impl Method {
    /// The method's name on the wire.
    ///
    /// ```
    /// assert_eq!(mast_proto::endpoints::Method::Post.as_str(), "POST");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One MAST endpoint: a host, a method and a path. Where astroquery calls one path with two
/// methods (the cutout services: `GET` to download a zip, `POST` to get it in memory), the
/// table has one entry per method.
///
/// A path may hold parameters, each a whole segment or a segment with a fixed prefix or
/// suffix: `/api/v0.1/{catalog}/{release}/{table}.json`. [`Endpoint::path_with`] fills them
/// in, [`Endpoint::match_path`] reads them back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// A stable name, `<family>.<service>` (`portal.invoke`, `download.file`, ...), for logs
    /// and messages.
    pub name: &'static str,
    /// The host whose configured base URL the path is joined to.
    pub host: Host,
    /// The method astroquery sends (the emulator may accept more).
    pub method: Method,
    /// The path, starting with `/`; parameters in braces.
    pub path: &'static str,
}

const fn ep(name: &'static str, host: Host, method: Method, path: &'static str) -> Endpoint {
    Endpoint { name, host, method, path }
}

// ---- main host: Portal, downloads, cloud, auth (spec §2, §3.1, §8, §9.3, §12) -------------

/// `POST /api/v0/invoke`, form body `request=<JSON>`: the Portal API (spec §2). Every Portal
/// service goes through it, `Mast.Name.Lookup` and `Mast.Bundle.Request` included.
pub const INVOKE: Endpoint = ep("portal.invoke", Host::Mast, Method::Post, "/api/v0/invoke");
/// `POST /portal/Mashup/Mashup.asmx/columnsconfig`, form body `colConfigId=<id>` (spec §3.1).
pub const COLUMNS_CONFIG: Endpoint =
    ep("portal.columnsconfig", Host::Mast, Method::Post, "/portal/Mashup/Mashup.asmx/columnsconfig");
/// `GET`/`HEAD /api/v0.1/Download/file?uri=<mast: URI>`: one file (spec §8.4).
pub const DOWNLOAD_FILE: Endpoint = ep("download.file", Host::Mast, Method::Get, "/api/v0.1/Download/file");
/// `POST /api/v0.1/Download/bundle.sh`, one `uri=` per product: a curl script (spec §8.6).
pub const DOWNLOAD_BUNDLE: Endpoint = ep("download.bundle", Host::Mast, Method::Post, "/api/v0.1/Download/bundle.sh");
/// `GET /api/v0.1/path_lookup/?uri=...&use_cloud_path=True`: S3 keys of `mast:` URIs (spec
/// §9.3). The trailing slash is part of the path.
pub const PATH_LOOKUP: Endpoint = ep("cloud.path_lookup", Host::Mast, Method::Get, "/api/v0.1/path_lookup/");
/// `GET /whoami`: the session behind a token (spec §12).
pub const WHOAMI: Endpoint = ep("auth.whoami", Host::Mast, Method::Get, "/whoami");

// ---- name resolver (spec §7.1) ------------------------------------------------------------

/// `GET /Santa-war/query?outputFormat=json&resolveAll=...&name=...`: SANTA (spec §7.1).
pub const SANTA: Endpoint = ep("resolver.santa", Host::Resolver, Method::Get, "/Santa-war/query");

// ---- catalogs API (spec §6) ---------------------------------------------------------------

/// `POST /api/v0.1/{catalog}/{release}/{table}.json`, JSON body: a catalogs-API search
/// (spec §6.1; astroquery uses it for `panstarrs`, e.g. `panstarrs/dr2/mean.json`).
pub const CATALOGS_SEARCH: Endpoint =
    ep("catalogs.search", Host::Catalogs, Method::Post, "/api/v0.1/{catalog}/{release}/{table}.json");
/// `GET /api/v0.1/{catalog}/{release}/{table}/metadata.json`: the columns of a catalog
/// table (spec §6.3).
pub const CATALOGS_METADATA: Endpoint =
    ep("catalogs.metadata", Host::Catalogs, Method::Get, "/api/v0.1/{catalog}/{release}/{table}/metadata.json");

// ---- TESScut, Zcut, Hapcut (spec §10) -----------------------------------------------------

/// `POST /tesscut/api/v0.1/sector`, form body `ra=..&dec=..&radius=..`: the TESS sectors
/// of a position (spec §10.2).
pub const TESSCUT_SECTOR: Endpoint = ep("tesscut.sector", Host::Mast, Method::Post, "/tesscut/api/v0.1/sector");
/// `POST /tesscut/api/v0.1/moving_target/sector`, form body `obj_id=..[&obj_type=..]`.
pub const TESSCUT_MOVING_SECTOR: Endpoint =
    ep("tesscut.moving_sector", Host::Mast, Method::Post, "/tesscut/api/v0.1/moving_target/sector");
/// `GET /tesscut/api/v0.1/astrocut?x=..&y=..&units=..[&sector=N]&ra=..&dec=..`: a zip of
/// cutouts saved to disk (`download_cutouts`).
pub const TESSCUT_ASTROCUT: Endpoint = ep("tesscut.astrocut", Host::Mast, Method::Get, "/tesscut/api/v0.1/astrocut");
/// `POST /tesscut/api/v0.1/astrocut`, the same keys as a form body: cutouts in memory
/// (`get_cutouts`).
pub const TESSCUT_ASTROCUT_POST: Endpoint =
    ep("tesscut.astrocut_post", Host::Mast, Method::Post, "/tesscut/api/v0.1/astrocut");
/// `GET /tesscut/api/v0.1/moving_target/astrocut?...&obj_id=..`: moving-target cutouts.
pub const TESSCUT_MOVING_ASTROCUT: Endpoint =
    ep("tesscut.moving_astrocut", Host::Mast, Method::Get, "/tesscut/api/v0.1/moving_target/astrocut");
/// `POST /tesscut/api/v0.1/moving_target/astrocut`: moving-target cutouts in memory.
pub const TESSCUT_MOVING_ASTROCUT_POST: Endpoint =
    ep("tesscut.moving_astrocut_post", Host::Mast, Method::Post, "/tesscut/api/v0.1/moving_target/astrocut");
/// `POST /zcut/api/v0.1/survey`, form body `ra=..&dec=..&radius=..`: the deep-field surveys
/// of a position (spec §10.3).
pub const ZCUT_SURVEY: Endpoint = ep("zcut.survey", Host::Mast, Method::Post, "/zcut/api/v0.1/survey");
/// `GET /zcut/api/v0.1/astrocut?ra=..&dec=..&y=..&x=..&units=..`: a zip of cutouts on disk.
pub const ZCUT_ASTROCUT: Endpoint = ep("zcut.astrocut", Host::Mast, Method::Get, "/zcut/api/v0.1/astrocut");
/// `POST /zcut/api/v0.1/astrocut`, form body: cutouts in memory.
pub const ZCUT_ASTROCUT_POST: Endpoint = ep("zcut.astrocut_post", Host::Mast, Method::Post, "/zcut/api/v0.1/astrocut");
/// `GET /hapcut/api/v0.1/astrocut?ra=..&dec=..&x=..&y=..&units=..`: a zip of cutouts on disk
/// (spec §10.4).
pub const HAPCUT_ASTROCUT: Endpoint = ep("hapcut.astrocut", Host::Mast, Method::Get, "/hapcut/api/v0.1/astrocut");
/// `POST /hapcut/api/v0.1/astrocut`, JSON body: cutouts in memory.
pub const HAPCUT_ASTROCUT_POST: Endpoint =
    ep("hapcut.astrocut_post", Host::Mast, Method::Post, "/hapcut/api/v0.1/astrocut");

// ---- MastMissions (spec §11) --------------------------------------------------------------

/// `POST /search/{mission}/api/v0.1/search`, JSON body: a mission search (spec §11.2;
/// `{mission}` lower-cased by the caller).
pub const MISSIONS_SEARCH: Endpoint =
    ep("missions.search", Host::Mast, Method::Post, "/search/{mission}/api/v0.1/search");
/// `POST /search/{mission}/api/v0.1/post_list_products`, `{"dataset_ids": [...]}`: the
/// products of datasets (spec §11.5).
pub const MISSIONS_POST_LIST_PRODUCTS: Endpoint =
    ep("missions.post_list_products", Host::Mast, Method::Post, "/search/{mission}/api/v0.1/post_list_products");
/// `GET /search/{mission}/api/v0.1/list_products?dataset_ids=<id>`: the same answer as
/// [`MISSIONS_POST_LIST_PRODUCTS`] (astroquery's code uses only the POST form).
pub const MISSIONS_LIST_PRODUCTS: Endpoint =
    ep("missions.list_products", Host::Mast, Method::Get, "/search/{mission}/api/v0.1/list_products");
/// `GET /search/{mission}/api/v0.1/retrieve_product?product_name=<escaped>`: one product
/// file of `hst`, `jwst` and the Roman missions (spec §11.5).
pub const MISSIONS_RETRIEVE_PRODUCT: Endpoint =
    ep("missions.retrieve_product", Host::Mast, Method::Get, "/search/{mission}/api/v0.1/retrieve_product");
/// `GET /search/util/api/v0.1/column_list?mission=<m>`: a mission's columns (spec §11.6).
pub const MISSIONS_COLUMN_LIST: Endpoint =
    ep("missions.column_list", Host::Mast, Method::Get, "/search/util/api/v0.1/column_list");

// ---- HLA (spec §8.7) ----------------------------------------------------------------------

/// `GET /cgi-bin/getdata.cgi?config=ops&dataset=<DatasetName>`: an HSC spectrum with
/// `SpectrumType < 2`.
pub const HLA_GETDATA: Endpoint = ep("hla.getdata", Host::Hla, Method::Get, "/cgi-bin/getdata.cgi");
/// `GET /cgi-bin/ecfproxy?file_id=<DatasetName>.fits`: the other HSC spectra.
pub const HLA_ECFPROXY: Endpoint = ep("hla.ecfproxy", Host::Hla, Method::Get, "/cgi-bin/ecfproxy");

/// Every endpoint of the table.
pub const ALL: &[Endpoint] = &[
    INVOKE,
    COLUMNS_CONFIG,
    DOWNLOAD_FILE,
    DOWNLOAD_BUNDLE,
    PATH_LOOKUP,
    WHOAMI,
    SANTA,
    CATALOGS_SEARCH,
    CATALOGS_METADATA,
    TESSCUT_SECTOR,
    TESSCUT_MOVING_SECTOR,
    TESSCUT_ASTROCUT,
    TESSCUT_ASTROCUT_POST,
    TESSCUT_MOVING_ASTROCUT,
    TESSCUT_MOVING_ASTROCUT_POST,
    ZCUT_SURVEY,
    ZCUT_ASTROCUT,
    ZCUT_ASTROCUT_POST,
    HAPCUT_ASTROCUT,
    HAPCUT_ASTROCUT_POST,
    MISSIONS_SEARCH,
    MISSIONS_POST_LIST_PRODUCTS,
    MISSIONS_LIST_PRODUCTS,
    MISSIONS_RETRIEVE_PRODUCT,
    MISSIONS_COLUMN_LIST,
    HLA_GETDATA,
    HLA_ECFPROXY,
];

/// One segment of a path template: `prefix{name}suffix`, or literal text.
enum Segment<'t> {
    Literal(&'t str),
    Param { prefix: &'t str, name: &'t str, suffix: &'t str },
}

fn segment(s: &str) -> Segment<'_> {
    match s.split_once('{').and_then(|(prefix, rest)| rest.split_once('}').map(|(name, suffix)| (prefix, name, suffix)))
    {
        Some((prefix, name, suffix)) => Segment::Param { prefix, name, suffix },
        None => Segment::Literal(s),
    }
}

/// The segments of a path without its leading `/` and one trailing `/`.
fn segments(path: &str) -> std::str::Split<'_, char> {
    let path = path.strip_prefix('/').unwrap_or(path);
    path.strip_suffix('/').unwrap_or(path).split('/')
}

impl Endpoint {
    /// The names of the path's parameters, in order (none for a fixed path).
    ///
    /// ```
    /// use mast_proto::endpoints;
    /// assert_eq!(endpoints::CATALOGS_METADATA.params().collect::<Vec<_>>(), ["catalog", "release", "table"]);
    /// assert_eq!(endpoints::INVOKE.params().count(), 0);
    /// ```
    pub fn params(&self) -> impl Iterator<Item = &'static str> {
        segments(self.path).filter_map(|s| match segment(s) {
            Segment::Param { name, .. } => Some(name),
            Segment::Literal(_) => None,
        })
    }

    /// The path with `values` in place of its parameters, in order. Each value is escaped as
    /// one path segment (Python `quote(value, safe="")`: `/` becomes `%2F`). The wrong
    /// number of values, or an empty, `.` or `..` value, is an [`Error::InvalidQuery`]; a
    /// fixed path takes `&[]`.
    ///
    /// ```
    /// use mast_proto::endpoints;
    /// assert_eq!(endpoints::MISSIONS_SEARCH.path_with(&["hst"])?, "/search/hst/api/v0.1/search");
    /// assert_eq!(endpoints::INVOKE.path_with(&[])?, "/api/v0/invoke");
    /// assert_eq!(endpoints::MISSIONS_SEARCH.path_with(&["a/b"])?, "/search/a%2Fb/api/v0.1/search");
    /// assert!(endpoints::MISSIONS_SEARCH.path_with(&[]).is_err());
    /// assert!(endpoints::MISSIONS_SEARCH.path_with(&[".."]).is_err());
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn path_with(&self, values: &[&str]) -> Result<String> {
        let names: Vec<&str> = self.params().collect();
        if names.len() != values.len() {
            return Err(Error::InvalidQuery {
                message: format!(
                    "the MAST endpoint {} ({}) takes {} path parameter(s) ({}), got {}",
                    self.name,
                    self.path,
                    names.len(),
                    names.join(", "),
                    values.len()
                ),
            });
        }
        if let Some((name, value)) = names.iter().zip(values).find(|(_, v)| matches!(**v, "" | "." | "..")) {
            return Err(Error::InvalidQuery {
                message: format!("the {name} of the MAST endpoint {} cannot be {value:?}", self.name),
            });
        }
        let mut values = values.iter();
        let mut out = String::with_capacity(self.path.len() + 16);
        for s in segments(self.path) {
            out.push('/');
            match segment(s) {
                Segment::Literal(text) => out.push_str(text),
                Segment::Param { prefix, suffix, .. } => {
                    out.push_str(prefix);
                    out.push_str(&crate::pyfmt::quote(values.next().copied().unwrap_or_default(), ""));
                    out.push_str(suffix);
                }
            }
        }
        if self.path.len() > 1 && self.path.ends_with('/') {
            out.push('/');
        }
        Ok(out)
    }

    /// Whether `path` (a request's path, without the query) is this endpoint, with or
    /// without a trailing `/`; `Some` holds the parameters' values in order, as they appear
    /// in the path (not unescaped). A parameter never matches an empty value.
    ///
    /// ```
    /// use mast_proto::endpoints;
    /// assert_eq!(endpoints::PATH_LOOKUP.match_path("/api/v0.1/path_lookup"), Some(vec![]));
    /// assert_eq!(endpoints::INVOKE.match_path("/api/v0/invoke/"), Some(vec![]));
    /// assert_eq!(endpoints::MISSIONS_SEARCH.match_path("/search/jwst/api/v0.1/search"), Some(vec!["jwst"]));
    /// assert_eq!(endpoints::CATALOGS_SEARCH.match_path("/api/v0.1/panstarrs/dr2/.json"), None);
    /// assert_eq!(endpoints::INVOKE.match_path("/api/v0/invoke/x"), None);
    /// ```
    pub fn match_path<'p>(&self, path: &'p str) -> Option<Vec<&'p str>> {
        if !path.starts_with('/') {
            return None;
        }
        let mut values = Vec::new();
        let mut want = segments(self.path);
        let mut got = segments(path);
        loop {
            match (want.next(), got.next()) {
                (None, None) => return Some(values),
                (Some(w), Some(g)) => match segment(w) {
                    Segment::Literal(text) if text == g => {}
                    Segment::Literal(_) => return None,
                    Segment::Param { prefix, suffix, .. } => {
                        let value = g.strip_prefix(prefix)?.strip_suffix(suffix)?;
                        if value.is_empty() {
                            return None;
                        }
                        values.push(value);
                    }
                },
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// A concrete path of `e`: `x0`, `x1`, ... for its parameters.
    fn sample(e: &Endpoint) -> String {
        let values: Vec<String> = (0..e.params().count()).map(|i| format!("x{i}")).collect();
        e.path_with(&values.iter().map(String::as_str).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn paths_start_with_a_slash_and_nothing_is_listed_twice() {
        let mut names = HashSet::new();
        let mut routes = HashSet::new();
        for e in ALL {
            assert!(e.path.starts_with('/'), "{}: {}", e.name, e.path);
            assert!(!e.path.contains(['?', '#', ' ']) && !e.path.contains("//"), "{}: {}", e.name, e.path);
            assert!(e.host != Host::S3, "{}: S3 paths are the S3 client's", e.name);
            assert!(names.insert(e.name), "name listed twice: {}", e.name);
            assert!(routes.insert((e.host, e.method, e.path)), "route listed twice: {} {}", e.method.as_str(), e.path);
            let params: Vec<_> = e.params().collect();
            assert_eq!(params.len(), params.iter().collect::<HashSet<_>>().len(), "{}: a parameter twice", e.name);
        }
    }

    #[test]
    fn every_path_matches_itself_and_no_other_route() {
        // Across hosts too: one emulator listener serves every host's paths.
        for e in ALL {
            let path = sample(e);
            let values = e.match_path(&path).unwrap_or_else(|| panic!("{} does not match {path}", e.name));
            assert_eq!(values.len(), e.params().count(), "{path}");
            for other in ALL.iter().filter(|o| o.path != e.path) {
                assert_eq!(other.match_path(&path), None, "{path} of {} also matches {}", e.name, other.name);
            }
        }
    }

    #[test]
    fn parameters_are_escaped_and_read_back() {
        let path = CATALOGS_METADATA.path_with(&["panstarrs", "dr2", "forced mean"]).unwrap();
        assert_eq!(path, "/api/v0.1/panstarrs/dr2/forced%20mean/metadata.json");
        assert_eq!(CATALOGS_METADATA.match_path(&path), Some(vec!["panstarrs", "dr2", "forced%20mean"]));
        assert_eq!(PATH_LOOKUP.path_with(&[]).unwrap(), PATH_LOOKUP.path);
        assert!(CATALOGS_SEARCH.path_with(&["panstarrs", "dr2"]).is_err());
        assert!(CATALOGS_SEARCH.path_with(&["panstarrs", "", "mean"]).is_err());
        assert!(INVOKE.path_with(&["x"]).is_err());
        assert_eq!(CATALOGS_SEARCH.match_path("/api/v0.1/panstarrs/dr2/mean.csv"), None);
        assert_eq!(CATALOGS_SEARCH.match_path("api/v0.1/panstarrs/dr2/mean.json"), None);
        assert_eq!(DOWNLOAD_FILE.match_path(""), None);
        assert_eq!(DOWNLOAD_FILE.match_path("/"), None);
    }
}
