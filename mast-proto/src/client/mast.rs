//! [`Mast`]: astroquery's direct MAST queries and name resolution.

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::{MastClient, Resolution, ResolveOptions};
use crate::{Error, Position, Result, ServiceRequest, Table, Warning, WarningCategory};

/// Direct MAST queries, as astroquery's `Mast` object: any Portal service by name, its raw
/// answer, and object-name resolution.
///
/// ```no_run
/// use mast_proto::{Mast, MastClient, ServiceRequest};
/// # async fn run() -> mast_proto::Result<()> {
/// let mast = Mast::new(MastClient::from_env()?);
/// let m101 = mast.resolve_object("M101").await?;
/// let table = mast
///     .service_request(
///         ServiceRequest::new("Mast.Caom.Cone").param("ra", m101.ra()).param("dec", m101.dec()).param("radius", 0.2),
///     )
///     .await?;
/// println!("{} observations", table.num_rows());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Mast {
    client: MastClient,
}

impl Mast {
    /// Direct queries over `client`.
    pub fn new(client: MastClient) -> Mast {
        Mast { client }
    }

    /// The client underneath.
    pub fn client(&self) -> &MastClient {
        &self.client
    }

    /// Runs any Portal service and returns its result as a table (every page, fetched
    /// concurrently, unless the request names one page). MAST's `status: ERROR` becomes
    /// [`crate::Error::Remote`] quoting MAST's message.
    pub async fn service_request(&self, request: ServiceRequest) -> Result<Table> {
        self.client.portal_table(request).await
    }

    /// Runs any Portal service and returns the raw response bodies, one per page (for
    /// services whose answer is not a table, e.g. `Mast.Name.Lookup`).
    pub async fn service_request_raw(&self, request: ServiceRequest) -> Result<Vec<Bytes>> {
        self.client.portal_raw(request).await
    }

    /// Resolves one object name to a position (SANTA's preferred resolver). An unknown name
    /// is [`crate::Error::Resolver`] naming it.
    pub async fn resolve_object(&self, name: &str) -> Result<Position> {
        let resolution = self.client.resolve(&[name.to_owned()], &ResolveOptions::new()).await?;
        Ok(resolution.objects[0].position)
    }

    /// Resolves several names (batches of 30). See [`Resolution`] for the shape of the
    /// answer and [`ResolveOptions`] for resolver choice and `resolve_all`.
    pub async fn resolve_objects<S: AsRef<str>>(&self, names: &[S], options: &ResolveOptions) -> Result<Resolution> {
        let names: Vec<String> = names.iter().map(|n| n.as_ref().to_owned()).collect();
        self.client.resolve(&names, options).await
    }
}

/// Keywords `mast_query` sends as the request's own properties rather than service
/// parameters (compared case-insensitively, as astroquery does).
const REQUEST_PROPERTIES: &[&str] =
    &["format", "data", "filename", "timeout", "clearcache", "removecache", "removenullcolumns", "page", "pagesize"];
const POSITION_KEYS: &[&str] = &["ra", "dec", "radius", "position"];

impl Mast {
    /// astroquery's `Mast.mast_query(service, columns, **kwargs)` (spec §3.5): `params` are
    /// split into position keys (`ra`, `dec`, `radius`, `position`), request properties
    /// (`pagesize`, `page`, `timeout`, `removenullcolumns`, ...) and service parameters.
    ///
    /// For a `*Filtered*` service every service parameter becomes a filter (a list value is
    /// ORed, an object `{"min", "max"}` is a range) and `columns` picks the columns (default
    /// `*`); no filter is an [`Error::InvalidQuery`]. For other services the parameters are sent
    /// as they are and `columns` is ignored with a warning.
    pub async fn mast_query(&self, service: &str, params: &[(String, Value)], columns: Option<&str>) -> Result<Table> {
        let is_property = |k: &str| REQUEST_PROPERTIES.iter().any(|p| p.eq_ignore_ascii_case(k));
        let is_position = |k: &str| POSITION_KEYS.iter().any(|p| p.eq_ignore_ascii_case(k));
        let mut service_params = Map::new();
        let mut position = Vec::new();
        let mut properties = Vec::new();
        for (k, v) in params {
            if is_position(k) {
                position.push((k.clone(), v.clone()));
            } else if is_property(k) {
                properties.push((k.to_ascii_lowercase(), v.clone()));
            } else {
                service_params.insert(k.clone(), v.clone());
            }
        }
        let mut warnings = Vec::new();
        let mut request_params = Map::new();
        if service.to_ascii_lowercase().contains("filtered") {
            let mut filters = Vec::new();
            for (key, value) in service_params {
                let values = match value {
                    Value::Object(range) => {
                        if !(range.contains_key("min") && range.contains_key("max")) {
                            return Err(Error::InvalidQuery {
                                message: format!(
                                    "Range filter for \"{key}\" must be a dictionary with \"min\" and \"max\" keys."
                                ),
                            });
                        }
                        vec![Value::Object(range)]
                    }
                    Value::Array(list) => list,
                    scalar => vec![scalar],
                };
                filters.push(json!({"paramName": key, "values": values}));
            }
            if filters.is_empty() {
                return Err(Error::InvalidQuery { message: "Please provide at least one filter.".into() });
            }
            request_params.insert("columns".into(), Value::String(columns.unwrap_or("*").to_owned()));
            request_params.insert("filters".into(), Value::Array(filters));
        } else {
            if columns.is_some() {
                warnings.push(Warning::new(
                    WarningCategory::Input,
                    "'columns' parameter is ignored for non-filtered services.",
                ));
            }
            request_params = service_params;
        }
        for (k, v) in position {
            request_params.insert(k, v);
        }
        let mut request = ServiceRequest::new(service).params(request_params);
        for (k, v) in properties {
            request = request.property(k, v);
        }
        let mut table = self.client.portal_table(request).await?;
        for w in warnings {
            tracing::warn!("{w}");
            table.push_warning(w);
        }
        Ok(table)
    }
}
