//! Services-API requests, sans-IO (spec §4.2, §6, §11): the catalogs API (PanSTARRS) and the
//! MastMissions search, and the paging logic that turns the first page's answer into the
//! list of pages still to fetch. [`crate::MastClient::services_table`] (feature `client`)
//! sends them.
//!
//! Paging, as the spec describes the two services:
//!
//! - the **catalogs API** pages with `page` (1-based) and `pagesize` and its answer carries
//!   no total (`{"info": [...], "data": [...]}` only), so more pages are fetched while pages
//!   come back full ([`Remaining::Open`]);
//! - the **MastMissions search** pages with `limit` and `offset` and answers `totalResults`,
//!   so the pages are known after the first one ([`Remaining::Known`]).
//!
//! Neither service answers "not ready, ask again" (the Portal's `EXECUTING`, spec §2.4, has
//! no services-API counterpart in the spec), so there is no polling here: the services
//! compute before they answer, which is what the longer first-byte timeout of the services
//! API is for.
//!
//! A result is capped at [`MAX_ROWS`] rows by default ([`ServicesRequest::max_rows`]):
//! beyond it the query is refused with [`Error::TooLarge`], as the Portal refuses an
//! answer announcing too many rows, instead of filling memory, and
//! a total that is not a row count ([`Error::Decode`]) is refused as well.

use serde_json::{Map, Value};

use crate::{Error, MastConfig, Result, pyfmt};

/// Rows per page when neither the request nor the client's configuration says (astroquery's
/// `conf.pagesize`).
pub const DEFAULT_PAGESIZE: u64 = 50_000;

/// MastMissions' default `limit` (astroquery's).
pub const DEFAULT_MISSIONS_LIMIT: u64 = 5_000;

/// The most rows one services query collects unless [`ServicesRequest::max_rows`] says
/// otherwise.
pub const MAX_ROWS: u64 = 5_000_000;

/// The most rows reserved ahead from a server's announced total.
pub const MAX_RESERVED_ROWS: usize = 1_000_000;

const FORMAT: &str = "services JSON";

/// Which configured base URL a request goes to (the endpoint table's [`crate::endpoints::Host`]).
pub use crate::endpoints::Host;

/// How the parameters travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// A JSON object written as Python's `json.dumps` writes it (`Content-Type:
    /// application/json`).
    Json,
    /// A form (`application/x-www-form-urlencoded`), values printed as Python's `str`.
    Form,
}

/// How a service pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paging {
    /// One request, no paging keys.
    None,
    /// `page` (1-based) and `pagesize`, first in the body (catalogs API); `pagesize` `None`
    /// takes the client's configured page size.
    Page {
        /// Rows per page.
        pagesize: Option<u64>,
    },
    /// `limit` and `offset`, first in the body (MastMissions): pages of `limit` rows from
    /// `offset` on.
    LimitOffset {
        /// Rows per page.
        limit: u64,
        /// The first row wanted.
        offset: u64,
    },
}

/// One services-API query: where it goes, its parameters in order, how they travel and how
/// the service pages.
///
/// ```
/// use mast_proto::ServicesRequest;
/// let req = ServicesRequest::panstarrs("DR2", "mean")?
///     .param("ra", 5.97754)
///     .param("dec", 32.53617)
///     .param("radius", 0.01)
///     .param("nStackDetections.gte", 2)
///     .pagesize(15);
/// let config = mast_proto::MastConfig::new();
/// assert_eq!(req.url(&config), "https://catalogs.mast.stsci.edu/api/v0.1/panstarrs/dr2/mean.json");
/// assert_eq!(
///     req.body_for_page(1)?,
///     r#"{"page": 1, "pagesize": 15, "ra": 5.97754, "dec": 32.53617, "radius": 0.01, "nStackDetections.gte": 2}"#
/// );
/// let missions = ServicesRequest::mission_search("HST")?.param("select_cols", serde_json::Value::Null).limit(3).offset(10);
/// assert_eq!(missions.url(&config), "https://mast.stsci.edu/search/hst/api/v0.1/search");
/// assert_eq!(missions.body_for_page(2)?, r#"{"limit": 3, "offset": 13, "select_cols": null}"#);
/// # Ok::<(), mast_proto::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ServicesRequest {
    host: Host,
    path: String,
    data_key: String,
    body: BodyKind,
    paging: Paging,
    only_page: Option<u64>,
    params: Vec<(String, Value)>,
    max_rows: u64,
}

impl ServicesRequest {
    /// A request to `path` (starting with `/`) on `host`, whose rows are under `data_key`;
    /// JSON body, no paging.
    pub fn new(host: Host, path: impl Into<String>, data_key: impl Into<String>) -> Self {
        ServicesRequest {
            host,
            path: path.into(),
            data_key: data_key.into(),
            body: BodyKind::Json,
            paging: Paging::None,
            only_page: None,
            params: Vec::new(),
            max_rows: MAX_ROWS,
        }
    }

    /// A PanSTARRS search (spec §6.1): `POST <catalogs>/api/v0.1/panstarrs/<release>/<table>.json`
    /// (both lower-cased), JSON body, rows under `data`, paged with `page`/`pagesize`.
    /// The path comes from the endpoint table ([`crate::endpoints::CATALOGS_SEARCH`]); an
    /// empty, `.` or `..` release or table is an [`crate::Error::InvalidQuery`].
    pub fn panstarrs(release: &str, table: &str) -> Result<Self> {
        let endpoint = crate::endpoints::CATALOGS_SEARCH;
        let path = endpoint.path_with(&["panstarrs", &release.to_lowercase(), &table.to_lowercase()])?;
        Ok(ServicesRequest {
            paging: Paging::Page { pagesize: None },
            ..ServicesRequest::new(endpoint.host, path, "data")
        })
    }

    /// A MastMissions search (spec §11.2): `POST <mast>/search/<mission>/api/v0.1/search`
    /// (lower-cased), JSON body, rows under `results`, paged with `limit`/`offset` (default
    /// 5000 from 0).
    /// The path comes from the endpoint table ([`crate::endpoints::MISSIONS_SEARCH`]); an
    /// empty, `.` or `..` mission is an [`crate::Error::InvalidQuery`].
    pub fn mission_search(mission: &str) -> Result<Self> {
        let endpoint = crate::endpoints::MISSIONS_SEARCH;
        let path = endpoint.path_with(&[&mission.to_lowercase()])?;
        Ok(ServicesRequest {
            paging: Paging::LimitOffset { limit: DEFAULT_MISSIONS_LIMIT, offset: 0 },
            ..ServicesRequest::new(endpoint.host, path, "results")
        })
    }

    /// Adds one parameter, or replaces the value of one already there (in its place).
    pub fn param(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        let (key, value) = (key.into(), value.into());
        match self.params.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.params.push((key, value)),
        }
        self
    }

    /// Sends the parameters as a form instead of JSON.
    pub fn form(mut self) -> Self {
        self.body = BodyKind::Form;
        self
    }

    /// Sets how the service pages.
    pub fn paging(mut self, paging: Paging) -> Self {
        self.paging = paging;
        self
    }

    /// Rows per page (`pagesize`, or `limit` for limit/offset paging); at least 1.
    pub fn pagesize(mut self, rows: u64) -> Self {
        let rows = rows.max(1);
        self.paging = match self.paging {
            Paging::LimitOffset { offset, .. } => Paging::LimitOffset { limit: rows, offset },
            _ => Paging::Page { pagesize: Some(rows) },
        };
        self
    }

    /// Rows per page for limit/offset paging (the same as [`ServicesRequest::pagesize`]).
    pub fn limit(self, rows: u64) -> Self {
        let offset = self.offset_value();
        self.paging(Paging::LimitOffset { limit: rows.max(1), offset })
    }

    /// The first row wanted, for limit/offset paging.
    pub fn offset(mut self, offset: u64) -> Self {
        let limit = match self.paging {
            Paging::LimitOffset { limit, .. } => limit,
            Paging::Page { pagesize } => pagesize.unwrap_or(DEFAULT_MISSIONS_LIMIT),
            Paging::None => DEFAULT_MISSIONS_LIMIT,
        };
        self.paging = Paging::LimitOffset { limit, offset };
        self
    }

    /// Fetches only page `page` (1-based), as astroquery does when given a page.
    pub fn page(mut self, page: u64) -> Self {
        self.only_page = Some(page.max(1));
        self
    }

    /// The most rows this query may collect (default [`MAX_ROWS`]); a larger result is
    /// refused with [`Error::TooLarge`].
    pub fn max_rows(mut self, rows: u64) -> Self {
        self.max_rows = rows.max(1);
        self
    }

    /// The configured page size where the request has none (used by the client with
    /// [`MastConfig::pagesize`]).
    pub fn with_default_pagesize(mut self, rows: u64) -> Self {
        if let Paging::Page { pagesize: None } = self.paging {
            self.paging = Paging::Page { pagesize: Some(rows.max(1)) };
        }
        self
    }

    /// Where the rows are in the answer (`data`, `results`).
    pub fn data_key(&self) -> &str {
        &self.data_key
    }

    /// The path, e.g. `/api/v0.1/panstarrs/dr2/mean.json`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// How the parameters travel.
    pub fn body_kind(&self) -> BodyKind {
        self.body
    }

    /// The `Content-Type` of the body.
    pub fn content_type(&self) -> &'static str {
        match self.body {
            BodyKind::Json => "application/json",
            BodyKind::Form => "application/x-www-form-urlencoded",
        }
    }

    /// The full URL under `config`'s base URL for this request's host.
    pub fn url(&self, config: &MastConfig) -> String {
        format!("{}{}", config.host_url(self.host), self.path)
    }

    /// Rows per page, if the request pages.
    pub fn rows_per_page(&self) -> Option<u64> {
        match self.paging {
            Paging::None => None,
            Paging::Page { pagesize } => Some(pagesize.unwrap_or(DEFAULT_PAGESIZE).max(1)),
            Paging::LimitOffset { limit, .. } => Some(limit.max(1)),
        }
    }

    /// Whether one request answers the query (no paging, or one named page).
    pub fn is_single_page(&self) -> bool {
        self.paging == Paging::None || self.only_page.is_some()
    }

    /// The page the first request asks for (1, or the named page).
    pub fn first_page(&self) -> u64 {
        self.only_page.unwrap_or(1)
    }

    fn offset_value(&self) -> u64 {
        match self.paging {
            Paging::LimitOffset { offset, .. } => offset,
            _ => 0,
        }
    }

    /// The body asking for page `page` (1-based): the paging keys first (`page`, `pagesize`
    /// or `limit`, `offset`), then the parameters in order. An offset past `u64` is an
    /// [`Error::InvalidQuery`].
    pub fn body_for_page(&self, page: u64) -> Result<String> {
        let page = page.max(1);
        let mut head: Vec<(&str, Value)> = Vec::with_capacity(2);
        match self.paging {
            Paging::None => {}
            Paging::Page { .. } => {
                head.push(("page", page.into()));
                head.push(("pagesize", self.rows_per_page().unwrap_or(DEFAULT_PAGESIZE).into()));
            }
            Paging::LimitOffset { limit, offset } => {
                let skip = (page - 1).checked_mul(limit).and_then(|n| n.checked_add(offset)).ok_or_else(|| {
                    Error::InvalidQuery {
                        message: format!("page {page} of {limit} rows from offset {offset} is past any result"),
                    }
                })?;
                head.push(("limit", limit.into()));
                head.push(("offset", skip.into()));
            }
        }
        Ok(match self.body {
            BodyKind::Json => {
                let mut map = Map::with_capacity(head.len() + self.params.len());
                for (k, v) in head {
                    map.insert(k.to_owned(), v);
                }
                for (k, v) in &self.params {
                    map.insert(k.clone(), v.clone());
                }
                pyfmt::json_dumps(&Value::Object(map))
            }
            BodyKind::Form => {
                let pairs: Vec<(String, String)> = head
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), python_str(&v)))
                    .chain(self.params.iter().flat_map(|(k, v)| match v {
                        Value::Array(items) => items.iter().map(|i| (k.clone(), python_str(i))).collect::<Vec<_>>(),
                        v => vec![(k.clone(), python_str(v))],
                    }))
                    .collect();
                pyfmt::form_urlencoded(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            }
        })
    }

    /// What the first page's answer says about the other pages: `first_rows` rows arrived
    /// and the answer reported `total` (MastMissions' `totalResults`; `None` when the answer
    /// has none, as the catalogs API's).
    ///
    /// Errors: a page with more rows than asked, or a total that is not a row count, is
    /// [`Error::Decode`]; a total above [`ServicesRequest::max_rows`] is
    /// [`Error::TooLarge`].
    ///
    /// ```
    /// use mast_proto::ServicesRequest;
    /// use mast_proto::services::Remaining;
    /// let m = ServicesRequest::mission_search("hst")?.limit(100);
    /// assert_eq!(m.remaining(100, Some(&serde_json::json!(250)))?, Remaining::Known { last_page: 3 });
    /// assert_eq!(m.remaining(40, Some(&serde_json::json!(40)))?, Remaining::None);
    /// assert!(m.remaining(100, Some(&serde_json::json!(-1))).is_err());
    /// let p = ServicesRequest::panstarrs("dr2", "mean")?.pagesize(100);
    /// assert!(matches!(p.remaining(100, None)?, Remaining::Open { .. }));
    /// assert_eq!(p.remaining(99, None)?, Remaining::None);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn remaining(&self, first_rows: usize, total: Option<&Value>) -> Result<Remaining> {
        let Some(size) = self.rows_per_page() else { return Ok(Remaining::None) };
        self.check_rows(self.first_page(), first_rows)?;
        if self.only_page.is_some() {
            return Ok(Remaining::None);
        }
        let first_rows = first_rows as u64;
        match total {
            Some(total) => {
                let total = row_count(total)?;
                let wanted = total.saturating_sub(self.offset_value());
                if wanted > self.max_rows {
                    return Err(self.too_many(format!("the server reports {total} rows")));
                }
                if first_rows < size {
                    return Ok(Remaining::None);
                }
                match wanted.div_ceil(size) {
                    0 | 1 => Ok(Remaining::None),
                    last_page => Ok(Remaining::Known { last_page }),
                }
            }
            None if first_rows < size => Ok(Remaining::None),
            // One page past the cap, to tell "exactly the cap" from "more".
            None => Ok(Remaining::Open { max_page: self.max_rows.div_ceil(size).saturating_add(1) }),
        }
    }

    /// Checks page `page`'s row count (no more than a page; within the row cap) and says
    /// whether it ends the result (a page that is not full).
    pub fn check_page(&self, page: u64, rows: usize) -> Result<PageEnd> {
        self.check_rows(page, rows)?;
        let size = self.rows_per_page().unwrap_or(u64::MAX);
        let before = (page.max(1) - 1).saturating_mul(size);
        if rows > 0 && before >= self.max_rows {
            return Err(self.too_many(format!("page {page} of {size} rows still has rows")));
        }
        Ok(if (rows as u64) < size { PageEnd::Last } else { PageEnd::Full })
    }

    fn check_rows(&self, page: u64, rows: usize) -> Result<()> {
        match self.rows_per_page() {
            Some(size) if rows as u64 > size => Err(Error::decode(
                FORMAT,
                format!(
                    "page {page} has {rows} rows, more than the {size} asked for: the server does not page as asked"
                ),
            )),
            _ => Ok(()),
        }
    }

    fn too_many(&self, why: String) -> Error {
        Error::TooLarge {
            what: format!("the services API {}", self.path),
            detail: format!(
                "{why}: more than the {} rows one query may collect; narrow the query, ask for one page, or raise the limit (max_rows)",
                self.max_rows
            ),
        }
    }
}

/// The pages still to fetch after the first ([`ServicesRequest::remaining`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remaining {
    /// None.
    None,
    /// Pages 2 to `last_page`.
    Known {
        /// The last page (at least 2).
        last_page: u64,
    },
    /// Pages 2, 3, ... while they come back full; a page up to `max_page` that still has
    /// rows past the row cap is an error ([`ServicesRequest::check_page`]).
    Open {
        /// The last page that may be asked for.
        max_page: u64,
    },
}

impl Remaining {
    /// How many rows to reserve ahead for the pages after the first (`have` rows arrived,
    /// `size` per page): the announced pages' rows, at most [`MAX_RESERVED_ROWS`].
    pub fn reserve_rows(&self, size: u64) -> usize {
        match *self {
            Remaining::Known { last_page } => {
                let rows = (last_page - 1).saturating_mul(size);
                usize::try_from(rows).unwrap_or(usize::MAX).min(MAX_RESERVED_ROWS)
            }
            Remaining::None | Remaining::Open { .. } => 0,
        }
    }
}

/// Whether a page ends the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageEnd {
    /// A full page: more may follow.
    Full,
    /// Fewer rows than a page: the last one.
    Last,
}

/// The `totalResults` of a services answer (MastMissions), as sent (`None` when the answer
/// has no such member). Only that member is kept; the rows are skipped.
///
/// ```
/// let body = br#"{"info": [], "totalResults": 3, "results": [{"a": 1}]}"#;
/// assert_eq!(mast_proto::services::reported_total(body)?, Some(serde_json::json!(3)));
/// assert_eq!(mast_proto::services::reported_total(br#"{"info": [], "data": []}"#)?, None);
/// # Ok::<(), mast_proto::Error>(())
/// ```
pub fn reported_total(body: &[u8]) -> Result<Option<Value>> {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(rename = "totalResults")]
        total: Option<Value>,
    }
    let head: Head =
        serde_json::from_slice(body).map_err(|e| Error::decode_caused(FORMAT, "not a services answer", e))?;
    Ok(head.total)
}

/// A reported total as a row count: a non-negative integer (`3` or `3.0`).
fn row_count(total: &Value) -> Result<u64> {
    let bad = || Error::decode(FORMAT, format!("totalResults {total} is not a row count"));
    match total {
        Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(n), _) => Ok(n),
            (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 && f < u64::MAX as f64 => Ok(f as u64),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

/// A JSON value as Python's `str` prints it in a form.
fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() => pyfmt::float_repr(f),
            _ => n.to_string(),
        },
        other => pyfmt::json_dumps(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn panstarrs_body_matches_the_spec_capture() {
        let req = ServicesRequest::panstarrs("dr2", "MEAN")
            .unwrap()
            .param("ra", 5.97754)
            .param("dec", 32.53617)
            .param("radius", 0.01)
            .param("nStackDetections.gte", 2)
            .param("columns", json!(["objName", "objID", "nStackDetections", "distance"]))
            .param("sort_by", json!(["distance.desc"]))
            .pagesize(15);
        assert_eq!(req.path(), "/api/v0.1/panstarrs/dr2/mean.json");
        assert_eq!(
            req.body_for_page(3).unwrap(),
            r#"{"page": 3, "pagesize": 15, "ra": 5.97754, "dec": 32.53617, "radius": 0.01, "nStackDetections.gte": 2, "columns": ["objName", "objID", "nStackDetections", "distance"], "sort_by": ["distance.desc"]}"#
        );
        assert_eq!(req.content_type(), "application/json");
        // A repeated key replaces its value in place.
        let r = ServicesRequest::new(Host::Mast, "/x", "results").param("a", 1).param("b", 2).param("a", 3);
        assert_eq!(r.body_for_page(1).unwrap(), r#"{"a": 3, "b": 2}"#);
    }

    #[test]
    fn mission_body_and_offsets() {
        let req = ServicesRequest::mission_search("hst")
            .unwrap()
            .limit(3)
            .offset(10)
            .param("select_cols", json!(["sci_pep_id", "sci_data_set_name"]))
            .param("conditions", json!([{"sci_pep_id": 12556}]));
        assert_eq!(
            req.body_for_page(1).unwrap(),
            r#"{"limit": 3, "offset": 10, "select_cols": ["sci_pep_id", "sci_data_set_name"], "conditions": [{"sci_pep_id": 12556}]}"#
        );
        assert!(req.body_for_page(3).unwrap().starts_with(r#"{"limit": 3, "offset": 16,"#));
        let huge = ServicesRequest::mission_search("hst").unwrap().limit(u64::MAX).offset(1);
        assert!(matches!(huge.body_for_page(2), Err(Error::InvalidQuery { .. })));
        assert!(matches!(huge.body_for_page(u64::MAX), Err(Error::InvalidQuery { .. })));
    }

    #[test]
    fn form_bodies_print_values_as_python() {
        let req = ServicesRequest::new(Host::Mast, "/tesscut/api/v0.1/sector", "results")
            .form()
            .param("ra", 107.27)
            .param("dec", -70.0)
            .param("radius", 0.0)
            .param("flag", true)
            .param("ids", json!(["a b", "c"]));
        assert_eq!(req.body_for_page(1).unwrap(), "ra=107.27&dec=-70.0&radius=0.0&flag=True&ids=a+b&ids=c");
        assert!(req.is_single_page());
        assert_eq!(req.remaining(10_000, None).unwrap(), Remaining::None);
    }

    #[test]
    fn page_counts_from_totals() {
        let m = ServicesRequest::mission_search("hst").unwrap().limit(10);
        assert_eq!(m.remaining(10, Some(&json!(10))).unwrap(), Remaining::None);
        assert_eq!(m.remaining(10, Some(&json!(11))).unwrap(), Remaining::Known { last_page: 2 });
        assert_eq!(m.remaining(10, Some(&json!(30.0))).unwrap(), Remaining::Known { last_page: 3 });
        assert_eq!(m.remaining(0, Some(&json!(0))).unwrap(), Remaining::None);
        // A short first page ends the result whatever the total says.
        assert_eq!(m.remaining(4, Some(&json!(100))).unwrap(), Remaining::None);
        // Offsets count: 25 rows from row 5 are 20 rows, two pages.
        let o = ServicesRequest::mission_search("hst").unwrap().limit(10).offset(5);
        assert_eq!(o.remaining(10, Some(&json!(25))).unwrap(), Remaining::Known { last_page: 2 });
        assert_eq!(o.remaining(0, Some(&json!(3))).unwrap(), Remaining::None);
        for bad in [json!(-1), json!(2.5), json!("3"), json!(null), json!(1e300), json!([3]), json!(-0.5)] {
            let err = m.remaining(10, Some(&bad)).unwrap_err();
            assert!(matches!(err, Error::Decode { .. } | Error::TooLarge { .. }), "{bad}: {err}");
        }
        let err = m.remaining(10, Some(&json!(u64::MAX))).unwrap_err();
        assert!(matches!(err, Error::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("5000000"), "{err}");
        let capped = m.clone().max_rows(25);
        assert_eq!(capped.remaining(10, Some(&json!(25))).unwrap(), Remaining::Known { last_page: 3 });
        assert!(capped.remaining(10, Some(&json!(26))).is_err());
        // More rows than a page.
        assert!(matches!(m.remaining(11, Some(&json!(11))), Err(Error::Decode { .. })));
    }

    #[test]
    fn open_paging_is_bounded() {
        let p = ServicesRequest::panstarrs("dr2", "mean").unwrap().pagesize(10).max_rows(25);
        assert_eq!(p.remaining(10, None).unwrap(), Remaining::Open { max_page: 4 });
        assert_eq!(p.check_page(2, 10).unwrap(), PageEnd::Full);
        assert_eq!(p.check_page(3, 5).unwrap(), PageEnd::Last);
        assert_eq!(p.check_page(4, 0).unwrap(), PageEnd::Last);
        assert!(matches!(p.check_page(4, 1), Err(Error::TooLarge { .. })));
        assert!(matches!(p.check_page(2, 11), Err(Error::Decode { .. })));
        let default = ServicesRequest::panstarrs("dr2", "mean").unwrap().with_default_pagesize(1);
        assert_eq!(default.remaining(1, None).unwrap(), Remaining::Open { max_page: MAX_ROWS + 1 });
        assert_eq!(
            ServicesRequest::panstarrs("dr2", "mean").unwrap().pagesize(7).with_default_pagesize(1).rows_per_page(),
            Some(7)
        );
        // A named page is one request.
        let one = ServicesRequest::panstarrs("dr2", "mean").unwrap().pagesize(10).page(3);
        assert_eq!(one.remaining(10, None).unwrap(), Remaining::None);
        assert!(one.remaining(11, None).is_err());
        assert_eq!(one.first_page(), 3);
        // The largest page numbers do not overflow.
        assert!(p.check_page(u64::MAX, 0).is_ok());
        assert!(p.check_page(0, 0).is_ok());
    }

    #[test]
    fn reservations_are_capped() {
        assert_eq!(Remaining::Known { last_page: 3 }.reserve_rows(10), 20);
        assert_eq!(Remaining::Known { last_page: u64::MAX }.reserve_rows(u64::MAX), MAX_RESERVED_ROWS);
        assert_eq!(Remaining::Open { max_page: 9 }.reserve_rows(10), 0);
    }

    #[test]
    fn totals_are_read_without_the_rows() {
        assert_eq!(reported_total(br#"{"totalResults": "x", "results": []}"#).unwrap(), Some(json!("x")));
        assert!(reported_total(b"{not json").is_err());
        assert!(reported_total(b"[]").is_err());
    }
}
