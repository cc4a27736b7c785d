//! Observation queries: region, object, criteria, counts, missions, metadata.

use std::sync::{Arc, OnceLock};

use mast_download::Downloader;
use mast_proto::criteria::{Criteria, build_filters};
use mast_proto::decode;
use mast_proto::pyparse::parse_float;
use mast_proto::{
    Column, ColumnConfig, DataType, Mast, MastClient, NameResolver, Position, Radius, ResolveOptions, ServiceRequest,
    Table, Value, Warning, WarningCategory,
};
use serde_json::json;

use crate::error::invalid;
use crate::{Error, Result};

/// The columns config id of CAOM observations (cone, criteria and count services).
const CAOM_CONFIG: &str = "Mast.Caom.Cone";
const PRODUCTS_CONFIG: &str = "Mast.Caom.Products";

/// MAST's observation archive (CAOM): astroquery's `Observations`.
///
/// Cheap to clone; every method is async and returns its warnings with its result
/// ([`Table::warnings`]) as well as logging them. An `Observations` holds one [`Downloader`]
/// built from its client, shared by its clones: MAST's limit of files at once per host holds
/// across concurrent downloads, and per-call options (cache, layout, progress) are
/// arguments of each download.
#[derive(Debug, Clone)]
pub struct Observations {
    pub(crate) client: MastClient,
    /// Every download goes through this one downloader (built from `client`, shared by the
    /// clones), so its bounds per host hold across calls; per-call options are
    /// [`mast_download::BatchOptions`].
    pub(crate) downloader: Downloader,
    pub(crate) batch_size: usize,
    /// Downloads prefer MAST's public S3 bucket (`Observations::enable_cloud_dataset`).
    #[cfg(feature = "cloud")]
    pub(crate) cloud_enabled: bool,
}

/// Optional arguments of the query methods (astroquery's keyword arguments).
///
/// ```
/// use mast_observations::QueryOptions;
/// use mast_proto::{NameResolver, Radius};
/// let opts = QueryOptions::new().radius(Radius::from_arcmin(2.0)?).pagesize(1000).resolver(NameResolver::Ned);
/// # Ok::<(), mast_proto::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryOptions {
    radius: Option<Radius>,
    pagesize: Option<u64>,
    page: Option<u64>,
    resolver: Option<NameResolver>,
    coordinates: Option<Position>,
    object_name: Option<String>,
}

impl QueryOptions {
    /// No options: radius 0.2 deg, every page.
    pub fn new() -> Self {
        Self::default()
    }
    /// Search radius (default 0.2 degrees).
    pub fn radius(mut self, radius: Radius) -> Self {
        self.radius = Some(radius);
        self
    }
    /// Rows per page (default: the client's page size).
    pub fn pagesize(mut self, pagesize: u64) -> Self {
        self.pagesize = Some(pagesize);
        self
    }
    /// Only this page.
    pub fn page(mut self, page: u64) -> Self {
        self.page = Some(page);
        self
    }
    /// The name resolver to use for object names (default: SANTA's choice).
    pub fn resolver(mut self, resolver: NameResolver) -> Self {
        self.resolver = Some(resolver);
        self
    }
    /// For criteria queries: search around this position.
    pub fn coordinates(mut self, position: Position) -> Self {
        self.coordinates = Some(position);
        self
    }
    /// For criteria queries: search around this object (resolved first).
    pub fn object_name(mut self, name: impl Into<String>) -> Self {
        self.object_name = Some(name.into());
        self
    }

    /// Checks the options before anything is sent: the page size and the page, when given,
    /// are at least 1 ([`mast_proto::request::check_paging`]); an object name is not empty,
    /// blank or longer than [`mast_proto::MAX_OBJECT_NAME_CHARS`]
    /// ([`mast_proto::check_object_name`]); not both `coordinates` and `object_name`. Every
    /// query and count of [`Observations`] runs it first; the error is
    /// [`mast_proto::Error::InvalidQuery`].
    ///
    /// ```
    /// use mast_observations::QueryOptions;
    /// assert!(QueryOptions::new().pagesize(10).page(2).object_name("M8").check().is_ok());
    /// assert!(QueryOptions::new().pagesize(0).check().is_err());
    /// assert!(QueryOptions::new().page(0).check().is_err());
    /// assert!(QueryOptions::new().object_name(" ").check().is_err());
    /// ```
    pub fn check(&self) -> Result<()> {
        mast_proto::request::check_paging(self.pagesize, self.page)?;
        if let Some(name) = &self.object_name {
            mast_proto::check_object_name(name)?;
        }
        if self.coordinates.is_some() && self.object_name.is_some() {
            return Err(invalid("Only one of object_name and coordinates may be specified."));
        }
        Ok(())
    }

    fn radius_or_default(&self) -> Radius {
        self.radius.unwrap_or_default()
    }

    fn apply_paging(&self, mut request: ServiceRequest) -> ServiceRequest {
        if let Some(size) = self.pagesize {
            request = request.pagesize(size);
        }
        if let Some(page) = self.page {
            request = request.page(page);
        }
        request
    }
}

/// The number of observations a count found, with the warnings issued on the way (criteria
/// dropped or trimmed, names that resolved with a caveat): what the query with the same
/// arguments would have warned, since counts and queries share one validation path.
///
/// ```
/// use mast_observations::Count;
/// let count = Count::new(599, Vec::new());
/// assert_eq!((count.value(), count.warnings().len()), (599, 0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Count {
    value: u64,
    warnings: Vec<Warning>,
}

impl Count {
    /// A count and its warnings.
    pub fn new(value: u64, warnings: Vec<Warning>) -> Count {
        Count { value, warnings }
    }
    /// The number of observations.
    pub fn value(&self) -> u64 {
        self.value
    }
    /// The warnings, in the order they were issued.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
    /// The number and the warnings.
    pub fn into_parts(self) -> (u64, Vec<Warning>) {
        (self.value, self.warnings)
    }
}

/// What the criteria are for: rows need at least one criterion; a count with no criteria at
/// all counts every observation (astroquery's `query_criteria_count()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Rows,
    Count,
}

impl Purpose {
    fn columns(self) -> &'static str {
        match self {
            Purpose::Rows => "*",
            Purpose::Count => "COUNT_BIG(*)",
        }
    }
}

/// The CAOM columns config shipped with the crate, used to validate criteria with no request.
fn builtin_caom_config() -> &'static ColumnConfig {
    static CONFIG: OnceLock<ColumnConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        ColumnConfig::parse(include_bytes!("../data/caom-columns.json"))
            .expect("the built-in CAOM columns config is valid JSON")
    })
}

impl Observations {
    /// Observations over `client`, product lists in batches of 500 observations.
    pub fn new(client: MastClient) -> Observations {
        Observations {
            downloader: Downloader::new(&client),
            client,
            batch_size: 500,
            #[cfg(feature = "cloud")]
            cloud_enabled: false,
        }
    }

    /// Sets how many observations go into one product-list request (at least 1).
    pub fn with_batch_size(mut self, batch_size: usize) -> Observations {
        self.batch_size = batch_size.max(1);
        self
    }

    /// The client underneath.
    pub fn client(&self) -> &MastClient {
        &self.client
    }

    /// Downloads go through `downloader` (its bounds per host and per bucket, its
    /// client's connection pool, timeouts and retries) instead of the default one built
    /// from the client by [`Observations::new`]. Build it from the same client
    /// ([`Downloader::builder`]) so that downloads and queries share one configuration.
    ///
    /// ```
    /// use mast_download::Downloader;
    /// use mast_observations::Observations;
    /// use mast_proto::{MastClient, MastConfig};
    /// let client = MastClient::new(MastConfig::new())?;
    /// let obs = Observations::new(client.clone()).with_downloader(Downloader::builder(&client).per_host_concurrency(2).build());
    /// assert_eq!(obs.downloader().host_limit("https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:x"), 2);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn with_downloader(mut self, downloader: Downloader) -> Observations {
        self.downloader = downloader;
        self
    }

    /// The downloader every download of this `Observations` (and of its clones) goes
    /// through: one per client, so that MAST's limit of files at once per host holds across
    /// concurrent calls.
    pub fn downloader(&self) -> &Downloader {
        &self.downloader
    }

    /// Observations within a radius of a position (`Mast.Caom.Cone`).
    pub async fn query_region(&self, position: Position, options: &QueryOptions) -> Result<Table> {
        options.check()?;
        let request = cone(position, options.radius_or_default());
        let table = self.client.portal_table(options.apply_paging(request)).await?;
        finish(&table);
        Ok(table)
    }

    /// Observations around a named object: the name is resolved first (SANTA), then as
    /// [`Observations::query_region`].
    pub async fn query_object(&self, name: &str, options: &QueryOptions) -> Result<Table> {
        options.check()?;
        let (position, warnings) = self.resolve(name, options).await?;
        let mut table = self.query_region(position, options).await?;
        warnings.into_iter().for_each(|w| table.push_warning(w));
        Ok(table)
    }

    /// Observations matching criteria on any CAOM column, optionally within a radius of
    /// `coordinates` or `object_name` (see [`Criteria`] for values, ranges and wildcards).
    ///
    /// Criteria are validated before anything is sent, by the one path that
    /// [`Observations::query_criteria_count`] takes too (same warnings, same errors): an
    /// unknown keyword is an [`mast_proto::Error::InvalidQuery`] with a did-you-mean
    /// suggestion, a value a continuous column cannot read as a number is an error naming
    /// both, and when no criterion is left (none given, or every one dropped with a warning)
    /// the error is astroquery's "At least one non-positional criterion must be supplied.".
    pub async fn query_criteria(&self, criteria: &Criteria, options: &QueryOptions) -> Result<Table> {
        let (request, warnings) = self.criteria_request(criteria, options, Purpose::Rows).await?;
        // MAST describes the filtered services' rows with the cone's columns config (spec
        // §3.1), which also becomes the live config criteria are validated against.
        let mut table = self.client.portal_table_with_config(options.apply_paging(request), CAOM_CONFIG).await?;
        finish(&table);
        warnings.into_iter().for_each(|w| table.push_warning(w));
        Ok(table)
    }

    /// The number of observations within a radius of a position.
    pub async fn query_region_count(&self, position: Position, options: &QueryOptions) -> Result<Count> {
        options.check()?;
        let request = ServiceRequest::new("Mast.Caom.Filtered.Position")
            .param("columns", "COUNT_BIG(*)")
            .param("filters", json!([]))
            .param("position", position_param(position, options.radius_or_default()));
        Ok(Count::new(self.count(options.apply_paging(request)).await?, Vec::new()))
    }

    /// The number of observations around a named object, with the resolver's warnings.
    pub async fn query_object_count(&self, name: &str, options: &QueryOptions) -> Result<Count> {
        options.check()?;
        let (position, warnings) = self.resolve(name, options).await?;
        let count = self.query_region_count(position, options).await?;
        Ok(Count::new(count.value, warnings))
    }

    /// The number of observations matching criteria, with the warnings
    /// [`Observations::query_criteria`] would give for the same criteria: both take one
    /// validation path, and every error of the query is an error of the count, before
    /// anything is sent. The one difference: no criteria at all counts every observation
    /// (or every one around the position), as astroquery does; criteria that were given and
    /// all dropped (`t_min=5`: a continuous column needs a minimum and a maximum) are the
    /// query's error, not a count of the whole archive.
    pub async fn query_criteria_count(&self, criteria: &Criteria, options: &QueryOptions) -> Result<Count> {
        let (request, warnings) = self.criteria_request(criteria, options, Purpose::Count).await?;
        Ok(Count::new(self.count(request).await?, warnings))
    }

    /// The missions (`obs_collection` values) MAST holds, sorted by code point as astroquery
    /// sorts them.
    pub async fn list_missions(&self) -> Result<Vec<String>> {
        let bodies = self.client.portal_raw(ServiceRequest::new("Mast.Caom.All").format("extjs")).await?;
        let body = bodies.first().ok_or_else(|| {
            Error::Proto(mast_proto::Error::Decode { format: "extjs", detail: "no response".into(), source: None })
        })?;
        let tables = decode::extjs_tables(body, "Mast.Caom.All")?;
        let mut missions: Vec<String> = tables
            .first()
            .and_then(|t| t.column("obs_collection"))
            .and_then(|c| c["ExtendedProperties"]["histObj"].as_object())
            .map(|hist| hist.keys().filter(|k| *k != "hist").cloned().collect())
            .unwrap_or_default();
        missions.sort_unstable();
        Ok(missions)
    }

    /// What the columns of `"observations"` or `"products"` mean: one row per column with
    /// `Column Name`, `Column Label`, `Data Type`, `Units`, `Description`,
    /// `Examples/Valid Values` (columns empty in every row are left out, as astroquery does).
    pub async fn get_metadata(&self, query_type: &str) -> Result<Table> {
        let id = match query_type.to_ascii_lowercase().as_str() {
            "observations" => CAOM_CONFIG,
            "products" => PRODUCTS_CONFIG,
            _ => return Err(invalid("Unknown query type.")),
        };
        metadata_table(&*self.client.column_config(id).await?)
    }

    async fn resolve(&self, name: &str, options: &QueryOptions) -> Result<(Position, Vec<Warning>)> {
        let mut resolve = ResolveOptions::new();
        if let Some(r) = options.resolver {
            resolve = resolve.resolver(r);
        }
        let resolution = Mast::new(self.client.clone()).resolve_objects(&[name], &resolve).await?;
        Ok((resolution.objects[0].position, resolution.warnings))
    }

    /// The one validation path of criteria queries and counts, run before anything is sent
    /// (no name resolved, no request): the options ([`QueryOptions::check`]), the retired
    /// `obstype` keyword, the filters against the CAOM columns config ([`build_filters`]),
    /// and at least one criterion left unless a count was given none at all. The filters
    /// and their warnings (logged here, once).
    fn check_criteria(
        &self,
        criteria: &Criteria,
        options: &QueryOptions,
        purpose: Purpose,
    ) -> Result<(serde_json::Value, Vec<Warning>)> {
        options.check()?;
        if let Some((kw, _)) = criteria.iter().find(|(kw, _)| kw.eq_ignore_ascii_case("obstype")) {
            return Err(invalid(format!(
                "Filter '{kw}' does not exist. The obstype keyword has been replaced by intentType, with valid values \"calibration\" and \"science\"."
            )));
        }
        let config = self.validation_config();
        let filters = build_filters(criteria, &config)?;
        for w in filters.warnings() {
            tracing::warn!("{w}");
        }
        if filters.is_empty() && (purpose == Purpose::Rows || !criteria.is_empty()) {
            return Err(invalid("At least one non-positional criterion must be supplied."));
        }
        Ok(filters.into_parts())
    }

    /// The criteria request: checked first ([`Observations::check_criteria`]), then the
    /// object name resolved, if any.
    async fn criteria_request(
        &self,
        criteria: &Criteria,
        options: &QueryOptions,
        purpose: Purpose,
    ) -> Result<(ServiceRequest, Vec<Warning>)> {
        let (filters, mut warnings) = self.check_criteria(criteria, options, purpose)?;
        let columns = purpose.columns();
        let position = match (&options.coordinates, &options.object_name) {
            (Some(p), None) => Some(*p),
            (None, Some(name)) => {
                let (p, w) = self.resolve(name, options).await?;
                warnings.extend(w);
                Some(p)
            }
            _ => None,
        };
        let request = match position {
            Some(p) => ServiceRequest::new("Mast.Caom.Filtered.Position")
                .param("columns", columns)
                .param("filters", filters)
                .param("position", position_param(p, options.radius_or_default())),
            None => ServiceRequest::new("Mast.Caom.Filtered").param("columns", columns).param("filters", filters),
        };
        Ok((request, warnings))
    }

    /// The live CAOM config if this client has fetched it already, else the built-in one.
    fn validation_config(&self) -> Arc<ColumnConfig> {
        self.client.cached_column_config(CAOM_CONFIG).unwrap_or_else(|| Arc::new(builtin_caom_config().clone()))
    }

    async fn count(&self, request: ServiceRequest) -> Result<u64> {
        let service = request.service().to_owned();
        let table = self.client.portal_table_with_config(request, CAOM_CONFIG).await?;
        let bad = || {
            Error::Proto(mast_proto::Error::Decode {
                format: "portal JSON",
                detail: format!("{service} did not answer with a count"),
                source: None,
            })
        };
        let column = table.columns().first().ok_or_else(bad)?;
        if table.num_rows() == 0 {
            return Err(bad());
        }
        match column.get(0) {
            Value::Int(n) => u64::try_from(n).map_err(|_| bad()),
            Value::Str(s) => s.trim().parse::<u64>().ok().or_else(|| parse_float(s).map(|f| f as u64)).ok_or_else(bad),
            Value::Float(f) if f >= 0.0 => Ok(f as u64),
            _ => Err(bad()),
        }
    }
}

fn cone(position: Position, radius: Radius) -> ServiceRequest {
    ServiceRequest::new("Mast.Caom.Cone")
        .param("ra", position.ra())
        .param("dec", position.dec())
        .param("radius", radius.degrees())
}

/// `"<ra>, <dec>, <radius>"` in degrees, numbers as Python prints them.
fn position_param(position: Position, radius: Radius) -> String {
    use mast_proto::pyfmt::float_repr;
    format!("{}, {}, {}", float_repr(position.ra()), float_repr(position.dec()), float_repr(radius.degrees()))
}

/// Logs a result's warnings (they also stay on the table).
fn finish(table: &Table) {
    for w in table.warnings() {
        tracing::warn!("{w}");
    }
}

/// The `get_metadata` table of a columns config (spec §3.3).
fn metadata_table(config: &ColumnConfig) -> Result<Table> {
    let names = ["Column Name", "Column Label", "Data Type", "Units", "Description", "Examples/Valid Values"];
    let mut rows: Vec<[String; 6]> = Vec::new();
    for (name, entry) in config.entries() {
        let Some(entry) = entry.as_object() else { continue };
        if name == "_selected_" || entry.get("remove").and_then(serde_json::Value::as_bool) == Some(true) {
            continue;
        }
        let text = |k: &str| entry.get(k).and_then(serde_json::Value::as_str).unwrap_or("").to_owned();
        let label = entry.get("text").and_then(serde_json::Value::as_str).unwrap_or(name).to_owned();
        let raw_type =
            entry.get("type").or_else(|| entry.get("vot.datatype")).and_then(serde_json::Value::as_str).unwrap_or("");
        let data_type = match DataType::from_portal_type(raw_type) {
            Some(DataType::String) => "string".to_owned(),
            Some(DataType::Float64) => "float".to_owned(),
            Some(DataType::Int64) => "integer".to_owned(),
            Some(DataType::Bool) => "boolean".to_owned(),
            Some(DataType::UInt8) => "byte".to_owned(),
            None => raw_type.to_ascii_lowercase(),
        };
        let unit = entry
            .get("unit")
            .or_else(|| entry.get("vot.unit"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_owned();
        rows.push([name.clone(), label, data_type, unit, text("vot.description"), text("example")]);
    }
    let mut table = Table::empty();
    for (i, name) in names.iter().enumerate() {
        if rows.iter().all(|r| r[i].is_empty()) {
            continue;
        }
        // astroquery builds this table itself: empty cells are empty text, not masked.
        let mut column = Column::new(*name, DataType::String);
        rows.iter().for_each(|r| column.push_text(&r[i]));
        table.push_column(column)?;
    }
    if rows.is_empty() {
        table.push_warning(Warning::new(WarningCategory::NoResults, "Query returned no results."));
    }
    Ok(table)
}
