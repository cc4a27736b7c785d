//! Portal API requests (spec §2.1–2.2): the request object and its exact form encoding.

use serde_json::{Map, Value};

use crate::{Error, Result, pyfmt};

/// The default number of rows per Portal page (astroquery's `conf.pagesize`).
pub const DEFAULT_PAGESIZE: u64 = 50_000;

/// One request to the MAST Portal API (`POST /api/v0/invoke`).
///
/// The JSON object is serialised exactly as astroquery does (keys `service`, `params`,
/// `format`, `pagesize`, `page`, then extra properties in the order given, then
/// `cacheBreaker`), so the bytes on the wire match astroquery's apart from the random
/// `cacheBreaker`, which is made once per request and kept on every poll and page.
///
/// ```
/// use mast_proto::ServiceRequest;
/// let req = ServiceRequest::new("Mast.Caom.Cone")
///     .param("ra", 322.49324)
///     .param("dec", 12.16683)
///     .param("radius", 0.2)
///     .cache_breaker("fixed");
/// assert_eq!(
///     req.to_json(),
///     r#"{"service": "Mast.Caom.Cone", "params": {"ra": 322.49324, "dec": 12.16683, "radius": 0.2}, "format": "json", "pagesize": 50000, "page": 1, "cacheBreaker": "fixed"}"#
/// );
/// assert!(req.form_body().starts_with("request=%7B%22service%22%3A%20%22Mast.Caom.Cone%22"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRequest {
    service: String,
    params: Map<String, Value>,
    format: String,
    pagesize: Option<u64>,
    page: Option<u64>,
    send_paging: bool,
    properties: Vec<(String, Value)>,
    cache_breaker: String,
}

impl ServiceRequest {
    /// A request for `service` with no parameters, `format` `json`, page 1 of
    /// [`DEFAULT_PAGESIZE`] rows and a fresh random `cacheBreaker`.
    pub fn new(service: impl Into<String>) -> Self {
        ServiceRequest {
            service: service.into(),
            params: Map::new(),
            format: "json".to_owned(),
            pagesize: None,
            page: None,
            send_paging: true,
            properties: Vec::new(),
            cache_breaker: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Adds (or replaces) one service parameter; parameters keep the order they were added in.
    pub fn param(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.params.insert(key.into(), value.into());
        self
    }

    /// Adds every parameter of `params`, in its order.
    pub fn params(mut self, params: Map<String, Value>) -> Self {
        for (k, v) in params {
            self.params.insert(k, v);
        }
        self
    }

    /// Sets the response format (`json`, the default, or `extjs`).
    pub fn format(mut self, format: impl Into<String>) -> Self {
        self.format = format.into();
        self
    }

    /// Sets the number of rows per page (default [`DEFAULT_PAGESIZE`], or the client's
    /// configured page size). It must be at least 1: a `0` is kept as given and refused by
    /// [`ServiceRequest::validate`], which the client runs before sending anything.
    pub fn pagesize(mut self, pagesize: u64) -> Self {
        self.pagesize = Some(pagesize);
        self
    }

    /// Asks for exactly this page (1-based). Without it a client fetches every page. Page `0`
    /// is kept as given and refused by [`ServiceRequest::validate`].
    pub fn page(mut self, page: u64) -> Self {
        self.page = Some(page);
        self
    }

    /// Checks what can be checked before anything is sent: the service name is not empty
    /// (nor only whitespace), the page size and the page, when given, are at least 1.
    /// [`crate::MastClient`] runs it before every Portal request, so an invalid request
    /// costs no request; the error is [`Error::InvalidQuery`] naming the value.
    ///
    /// ```
    /// use mast_proto::ServiceRequest;
    /// assert!(ServiceRequest::new("Mast.Caom.Cone").pagesize(10).page(2).validate().is_ok());
    /// let err = ServiceRequest::new("Mast.Caom.Cone").pagesize(0).validate().unwrap_err();
    /// assert_eq!(err.to_string(), "Invalid pagesize 0: a page holds at least 1 row.");
    /// let err = ServiceRequest::new("Mast.Caom.Cone").page(0).validate().unwrap_err();
    /// assert_eq!(err.to_string(), "Invalid page 0: pages are numbered from 1.");
    /// let err = ServiceRequest::new(" ").validate().unwrap_err();
    /// assert_eq!(err.class_name(), "InvalidQueryError");
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.service.trim().is_empty() {
            return Err(Error::InvalidQuery {
                message: "The service name is empty: give a MAST service such as Mast.Caom.Cone.".into(),
            });
        }
        check_paging(self.pagesize, self.page)
    }

    /// Uses `pagesize` unless a page size was set explicitly.
    pub fn with_default_pagesize(mut self, pagesize: u64) -> Self {
        self.pagesize.get_or_insert(pagesize.max(1));
        self
    }

    /// Leaves `pagesize` and `page` out of the request object (as astroquery's histogram
    /// requests do).
    pub fn without_paging(mut self) -> Self {
        self.send_paging = false;
        self
    }

    /// Sets an extra request property such as `removenullcolumns`, `timeout`, `clearcache`,
    /// `removecache`, `filename` or `data`. Properties are sent after `page`, in the order
    /// set. The names of the fixed keys change those instead, in place: `service`, `format`
    /// and `cacheBreaker` take a string (other JSON is used as its text), `params` an object,
    /// `pagesize` and `page` a positive integer; a value of another type for `params`,
    /// `pagesize` or `page` is ignored, so the request object never holds a key twice.
    pub fn property(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        let key = key.into();
        let value = value.into();
        let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        match key.as_str() {
            "service" => self.service = text(&value),
            "format" => self.format = text(&value),
            "cacheBreaker" => self.cache_breaker = text(&value),
            "params" => {
                if let Value::Object(m) = value {
                    self.params = m;
                }
            }
            "pagesize" => {
                if let Some(n) = value.as_u64() {
                    return self.pagesize(n);
                }
            }
            "page" => {
                if let Some(n) = value.as_u64() {
                    return self.page(n);
                }
            }
            _ => match self.properties.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => self.properties.push((key, value)),
            },
        }
        self
    }

    /// `removenullcolumns`: ask MAST to drop columns that are null in every row.
    pub fn remove_null_columns(self, yes: bool) -> Self {
        self.property("removenullcolumns", yes)
    }

    /// `timeout`: MAST's own server-side timeout for the request, in seconds.
    pub fn server_timeout(self, seconds: u64) -> Self {
        self.property("timeout", seconds)
    }

    /// `clearcache`: discard MAST's cached copy of an identical request before running it.
    pub fn clear_cache(self, yes: bool) -> Self {
        self.property("clearcache", yes)
    }

    /// Replaces the random `cacheBreaker` (tests, or to resume a known server-side job).
    pub fn cache_breaker(mut self, value: impl Into<String>) -> Self {
        self.cache_breaker = value.into();
        self
    }

    /// The service name.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The service parameters.
    pub fn service_params(&self) -> &Map<String, Value> {
        &self.params
    }

    /// The response format asked for.
    pub fn response_format(&self) -> &str {
        &self.format
    }

    /// The page size sent (explicit, or the default), if paging is sent.
    pub fn page_size(&self) -> Option<u64> {
        self.send_paging.then(|| self.pagesize.unwrap_or(DEFAULT_PAGESIZE))
    }

    /// The page sent (explicit, or 1), if paging is sent.
    pub fn page_number(&self) -> Option<u64> {
        self.send_paging.then(|| self.page.unwrap_or(1))
    }

    /// Whether one specific page was asked for with [`ServiceRequest::page`] (then a client
    /// fetches that page only, as astroquery does).
    pub fn is_single_page(&self) -> bool {
        self.page.is_some()
    }

    /// The `cacheBreaker` sent with this request.
    pub fn cache_breaker_value(&self) -> &str {
        &self.cache_breaker
    }

    /// The request object as Python's `json.dumps` would write it.
    pub fn to_json(&self) -> String {
        let mut obj = Map::new();
        obj.insert("service".into(), Value::String(self.service.clone()));
        obj.insert("params".into(), Value::Object(self.params.clone()));
        obj.insert("format".into(), Value::String(self.format.clone()));
        if let (Some(size), Some(page)) = (self.page_size(), self.page_number()) {
            obj.insert("pagesize".into(), size.into());
            obj.insert("page".into(), page.into());
        }
        for (k, v) in &self.properties {
            obj.insert(k.clone(), v.clone());
        }
        obj.insert("cacheBreaker".into(), Value::String(self.cache_breaker.clone()));
        pyfmt::json_dumps(&Value::Object(obj))
    }

    /// The form body astroquery posts: `request=` followed by the JSON, percent-encoded with
    /// Python's `urllib.parse.quote` (only `/` kept literal besides unreserved characters).
    pub fn form_body(&self) -> String {
        format!("request={}", pyfmt::quote(&self.to_json(), "/"))
    }
}

/// Checks a page size and a page number given by a caller: each, when given, at least 1
/// (the check of [`ServiceRequest::validate`], for option types that hold them before a
/// request exists). The error is [`Error::InvalidQuery`].
///
/// ```
/// use mast_proto::request::check_paging;
/// assert!(check_paging(Some(500), None).is_ok());
/// assert_eq!(check_paging(Some(0), None).unwrap_err().to_string(), "Invalid pagesize 0: a page holds at least 1 row.");
/// assert_eq!(check_paging(None, Some(0)).unwrap_err().to_string(), "Invalid page 0: pages are numbered from 1.");
/// ```
pub fn check_paging(pagesize: Option<u64>, page: Option<u64>) -> Result<()> {
    let invalid = |message: &str| Err(Error::InvalidQuery { message: message.to_owned() });
    if pagesize == Some(0) {
        return invalid("Invalid pagesize 0: a page holds at least 1 row.");
    }
    if page == Some(0) {
        return invalid("Invalid page 0: pages are numbered from 1.");
    }
    Ok(())
}

/// The form body of a columns-config request: `colConfigId=<name>`, unescaped as astroquery
/// sends it (column-config ids are dotted ASCII names).
///
/// ```
/// assert_eq!(mast_proto::request::column_config_body("Mast.Caom.Cone"), "colConfigId=Mast.Caom.Cone");
/// ```
pub fn column_config_body(config_id: &str) -> String {
    format!("colConfigId={config_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_exact_wire_form_of_the_spec_example() {
        let req = ServiceRequest::new("Mast.Caom.Cone")
            .param("ra", 322.49324)
            .param("dec", 12.16683)
            .param("radius", 0.2)
            .cache_breaker("<uuid4>");
        assert_eq!(
            req.form_body(),
            "request=%7B%22service%22%3A%20%22Mast.Caom.Cone%22%2C%20%22params%22%3A%20%7B%22ra%22%3A%20322.49324%2C%20%22dec%22%3A%2012.16683%2C%20%22radius%22%3A%200.2%7D%2C%20%22format%22%3A%20%22json%22%2C%20%22pagesize%22%3A%2050000%2C%20%22page%22%3A%201%2C%20%22cacheBreaker%22%3A%20%22%3Cuuid4%3E%22%7D"
        );
    }

    #[test]
    fn properties_keep_their_order_and_known_keys_stay_in_place() {
        let req = ServiceRequest::new("Mast.Caom.Filtered")
            .pagesize(10)
            .remove_null_columns(true)
            .server_timeout(30)
            .property("format", "extjs")
            .cache_breaker("x");
        assert_eq!(
            req.to_json(),
            r#"{"service": "Mast.Caom.Filtered", "params": {}, "format": "extjs", "pagesize": 10, "page": 1, "removenullcolumns": true, "timeout": 30, "cacheBreaker": "x"}"#
        );
    }

    #[test]
    fn fixed_keys_are_never_sent_twice() {
        let req = ServiceRequest::new("S")
            .property("params", "not an object")
            .property("page", "x")
            .property("service", 3)
            .cache_breaker("c");
        assert_eq!(
            req.to_json(),
            r#"{"service": "3", "params": {}, "format": "json", "pagesize": 50000, "page": 1, "cacheBreaker": "c"}"#
        );
    }

    #[test]
    fn zero_paging_and_empty_services_are_refused() {
        for req in [
            ServiceRequest::new(""),
            ServiceRequest::new(" \t"),
            ServiceRequest::new("S").pagesize(0),
            ServiceRequest::new("S").page(0),
            ServiceRequest::new("S").property("pagesize", 0),
            ServiceRequest::new("S").property("page", 0),
        ] {
            let err = req.validate().unwrap_err();
            assert!(matches!(err, Error::InvalidQuery { .. }), "{req:?}: {err:?}");
        }
        assert!(ServiceRequest::new("S").pagesize(1).page(1).validate().is_ok());
        // A zero default page size (never sent: config validation refuses it) still becomes 1.
        assert_eq!(ServiceRequest::new("S").with_default_pagesize(0).page_size(), Some(1));
    }

    #[test]
    fn histogram_requests_have_no_paging() {
        let req = ServiceRequest::new("Mast.Catalogs.All.Tic").format("extjs").without_paging().cache_breaker("u");
        assert_eq!(
            req.to_json(),
            r#"{"service": "Mast.Catalogs.All.Tic", "params": {}, "format": "extjs", "cacheBreaker": "u"}"#
        );
    }

    #[test]
    fn cache_breaker_is_a_fresh_uuid_and_survives_page_changes() {
        let a = ServiceRequest::new("S");
        let b = ServiceRequest::new("S");
        assert_ne!(a.cache_breaker_value(), b.cache_breaker_value());
        assert_eq!(a.cache_breaker_value().len(), 36);
        let p2 = a.clone().page(2);
        assert_eq!(p2.cache_breaker_value(), a.cache_breaker_value());
        assert_eq!(p2.page_number(), Some(2));
    }
}
