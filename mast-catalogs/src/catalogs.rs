//! `Catalogs`: cone, object and criteria queries of MAST's catalogs, HSC matches and spectra.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use mast_download::Downloader;
use mast_proto::Patience;
use mast_proto::criteria::build_filters;
use mast_proto::{
    ColumnConfig, Mast, MastClient, Position, Radius, ResolveOptions, ServiceRequest, Table, Value, Warning,
    WarningCategory, decode, endpoints,
};

use crate::catalog::{CatalogKind, cone_plan};
use crate::error::{Result, invalid};
use crate::options::QueryOptions;
use crate::panstarrs::{PanstarrsCriteria, PanstarrsRequest, check_columns, metadata_names};

/// astroquery's `MaxResultsWarning` text.
pub const MAX_RESULTS_MESSAGE: &str = "Maximum catalog results returned, may not include all sources within radius.";

/// MAST's catalogs (astroquery's `Catalogs`): HSC, GALEX, Gaia, PLATO, TIC, CTL, Disk
/// Detective, any other `Mast.Catalogs.<name>.Cone`, and PanSTARRS through the catalogs API.
///
/// Cheap to clone (the clones share the merged criteria configs and the PanSTARRS column
/// lists fetched so far). Every method checks its arguments before anything is sent and
/// returns its warnings on the table ([`Table::warnings`]) as well as logging them.
///
/// ```no_run
/// use mast_catalogs::{Catalogs, QueryOptions};
/// use mast_proto::{MastClient, Position, Radius};
/// # async fn run() -> mast_catalogs::Result<()> {
/// let catalogs = Catalogs::new(MastClient::from_env()?);
/// let hsc = catalogs
///     .query_region(Position::parse("158.47924 -7.30962")?, &QueryOptions::new().radius(Radius::from_degrees(0.002)?))
///     .await?;
/// let matches = catalogs.query_hsc_matchid(mast_catalogs::MatchId::from_row(&hsc, 0)?, &QueryOptions::new()).await?;
/// println!("{} sources, {} matches of the first", hsc.num_rows(), matches.num_rows());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Catalogs {
    pub(crate) client: MastClient,
    /// Every spectrum download goes through this one downloader (built from `client`,
    /// shared by the clones), so its bounds per host hold across calls.
    pub(crate) downloader: Downloader,
    state: Arc<State>,
}

/// Column names by (release, table).
type ColumnLists = HashMap<(String, String), Arc<Vec<String>>>;

#[derive(Debug, Default)]
struct State {
    /// Columns configs merged with their histograms (spec §3.2), by config id.
    configs: Mutex<HashMap<&'static str, Arc<ColumnConfig>>>,
    /// PanSTARRS column names by (release, table) as given.
    metadata: Mutex<ColumnLists>,
}

/// An HSC `MatchID`, as `query_hsc_matchid` sends it (text).
///
/// ```
/// use mast_catalogs::MatchId;
/// assert_eq!(MatchId::from(82371983).as_str(), "82371983");
/// assert_eq!(MatchId::from("82371983").as_str(), "82371983");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchId(String);

impl MatchId {
    /// The `MatchID` of row `row` of an HSC table (astroquery accepts a table row).
    pub fn from_row(table: &Table, row: usize) -> Result<MatchId> {
        if row >= table.num_rows() {
            return Err(invalid(format!("Row {row} is past the table's {} rows.", table.num_rows())));
        }
        let text = match table.value(row, "MatchID") {
            None => return Err(invalid("The row has no MatchID column.")),
            Some(Value::Int(i)) => i.to_string(),
            Some(Value::UInt8(i)) => i.to_string(),
            Some(Value::Float(f)) => mast_proto::pyfmt::float_repr(f),
            Some(Value::Str(s)) => s.to_owned(),
            Some(Value::Bool(b)) => if b { "True" } else { "False" }.to_owned(),
            Some(Value::Masked) => return Err(invalid("The row's MatchID is masked.")),
        };
        Ok(MatchId(text))
    }
    /// The id as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<i64> for MatchId {
    fn from(id: i64) -> Self {
        MatchId(id.to_string())
    }
}
impl From<&str> for MatchId {
    fn from(id: &str) -> Self {
        MatchId(id.to_owned())
    }
}
impl From<String> for MatchId {
    fn from(id: String) -> Self {
        MatchId(id)
    }
}

/// The criteria services of a Portal catalog (spec §3.6) and its columns config.
struct CriteriaService {
    base: &'static str,
    rows_suffix: &'static str,
    columns: bool,
    config_id: &'static str,
    histograms: &'static str,
}

fn criteria_service(kind: CatalogKind) -> Option<CriteriaService> {
    let tess = |base| CriteriaService {
        base,
        rows_suffix: ".Rows",
        columns: true,
        config_id: "Mast.Catalogs.Tess.Cone",
        histograms: "Mast.Catalogs.All.Tic",
    };
    match kind {
        CatalogKind::Tic => Some(tess("Mast.Catalogs.Filtered.Tic")),
        CatalogKind::Ctl => Some(tess("Mast.Catalogs.Filtered.Ctl")),
        CatalogKind::DiskDetective => Some(CriteriaService {
            base: "Mast.Catalogs.Filtered.DiskDetective",
            rows_suffix: "",
            columns: false,
            config_id: "Mast.Catalogs.Dd.Cone",
            histograms: "Mast.Catalogs.All.DiskDetective",
        }),
        _ => None,
    }
}

impl Catalogs {
    /// Catalogs over `client`, with a [`Downloader`] of its own over the same client.
    pub fn new(client: MastClient) -> Catalogs {
        let downloader = Downloader::new(&client);
        Catalogs { client, downloader, state: Arc::default() }
    }

    /// These catalogs with `downloader` for [`Catalogs::download_hsc_spectra`] (e.g. one
    /// shared with an `Observations`, so that both respect one limit per host).
    ///
    /// ```
    /// use mast_catalogs::Catalogs;
    /// use mast_download::Downloader;
    /// use mast_proto::{MastClient, MastConfig};
    /// let client = MastClient::new(MastConfig::new())?;
    /// let catalogs = Catalogs::new(client.clone()).with_downloader(Downloader::builder(&client).per_host_concurrency(2).build());
    /// assert_eq!(catalogs.downloader().host_limit("https://hla.stsci.edu/cgi-bin/ecfproxy?file_id=x.fits"), 2);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn with_downloader(mut self, downloader: Downloader) -> Catalogs {
        self.downloader = downloader;
        self
    }

    /// The downloader of [`Catalogs::download_hsc_spectra`].
    pub fn downloader(&self) -> &Downloader {
        &self.downloader
    }

    /// The client underneath.
    pub fn client(&self) -> &MastClient {
        &self.client
    }

    /// Sources within a radius of a position (spec §5.3, §5.4): a Portal cone
    /// (`Mast.Hsc.Db.v3`, `Mast.Galex.Catalog`, `Mast.Catalogs.GaiaDR3.Cone`, ...,
    /// `Mast.Catalogs.<catalog>.Cone`) or, for PanSTARRS, the catalogs API.
    ///
    /// Checked before anything is sent: the options ([`QueryOptions::check`]) and the
    /// criteria: only the catalog's extras for Portal catalogs ([`crate::cone_plan`]); for
    /// PanSTARRS every condition's column against the table's `metadata.json` (fetched once
    /// per release and table), before the search. A result that reaches the row cap of this
    /// query (HSC `nr`, GALEX `maxrecords`, 50,000 by default) carries astroquery's
    /// `MaxResultsWarning`.
    pub async fn query_region(&self, position: Position, options: &QueryOptions) -> Result<Table> {
        options.check()?;
        if CatalogKind::of(options.catalog_name()) == CatalogKind::PanStarrs {
            let criteria = self.panstarrs_criteria(options).await?;
            return self
                .panstarrs_search(Some((position, options.radius_or_default())), &criteria, options, Vec::new())
                .await;
        }
        let plan = cone_plan(options.catalog_name(), options.version, &options.criteria)?;
        let radius = options.radius_or_default();
        let mut request = ServiceRequest::new(plan.service.as_str())
            .param("ra", position.ra())
            .param("dec", position.dec())
            .param("radius", radius.degrees());
        for (k, v) in &plan.extras {
            request = request.param(k.as_str(), v.clone());
        }
        let request = apply_paging(request.property("use_json", false), options);
        log_all(&plan.warnings);
        let table = self.client.portal_table(request).await?;
        Ok(finish(table, plan.warnings, plan.cap))
    }

    /// Sources around a named object: the name is resolved first, then as
    /// [`Catalogs::query_region`] (the options and a Portal catalog's criteria are checked
    /// before the name is resolved).
    pub async fn query_object(&self, name: &str, options: &QueryOptions) -> Result<Table> {
        options.check()?;
        if CatalogKind::of(options.catalog_name()) != CatalogKind::PanStarrs {
            cone_plan(options.catalog_name(), options.version, &options.criteria)?;
        }
        let (position, warnings) = self.resolve(name, options).await?;
        let mut table = self.query_region(position, options).await?;
        for w in warnings.into_iter().rev() {
            table.insert_warning(w);
        }
        Ok(table)
    }

    /// Sources matching criteria, optionally around `coordinates` or `object_name`
    /// (spec §3.4, §3.6, §6): TIC and CTL (`Mast.Catalogs.Filtered.{Tic,Ctl}[.Position].Rows`)
    /// and Disk Detective (`Mast.Catalogs.Filtered.DiskDetective[.Position]`) with the
    /// criteria checked against the columns config merged with the histogram service (one
    /// implementation with Observations: [`mast_proto::criteria::build_filters`]); PanSTARRS
    /// with its conditions checked against the table's metadata. Any other catalog is
    /// astroquery's `Criteria query not available for <catalog>`; no criterion (position
    /// keywords do not count) is "At least one non-positional criterion must be supplied.";
    /// both are refused before any request.
    pub async fn query_criteria(&self, options: &QueryOptions) -> Result<Table> {
        options.check()?;
        let catalog = options.catalog_name();
        let kind = CatalogKind::of(catalog);
        if kind == CatalogKind::PanStarrs {
            let criteria = PanstarrsCriteria::from_criteria(&options.criteria);
            if options.panstarrs.is_empty()
                && criteria.is_empty()
                && options.table.is_none()
                && options.data_release.is_none()
            {
                return Err(invalid("At least one non-positional criterion must be supplied."));
            }
            let criteria = self.panstarrs_criteria(options).await?;
            let (position, warnings) = self.position(options).await?;
            let position = position.map(|p| (p, options.radius_or_default()));
            return self.panstarrs_search(position, &criteria, options, warnings).await;
        }
        let Some(service) = criteria_service(kind) else {
            return Err(invalid(format!("Criteria query not available for {catalog}")));
        };
        if options.criteria.is_empty() {
            return Err(invalid("At least one non-positional criterion must be supplied."));
        }
        let config = self.criteria_config(&service).await?;
        let filters = build_filters(&options.criteria, &config)?;
        log_all(filters.warnings());
        if filters.is_empty() {
            return Err(invalid("At least one non-positional criterion must be supplied."));
        }
        let (filters, mut warnings) = filters.into_parts();
        let (position, resolved) = self.position(options).await?;
        warnings.extend(resolved);
        let name = match position {
            Some(_) => format!("{}.Position{}", service.base, service.rows_suffix),
            None => format!("{}{}", service.base, service.rows_suffix),
        };
        let mut request = ServiceRequest::new(name);
        if let Some(p) = position {
            let radius = options.radius_or_default();
            request = request.param("ra", p.ra()).param("dec", p.dec()).param("radius", radius.degrees());
        }
        if service.columns {
            request = request.param("columns", "*");
        }
        let request = apply_paging(request.param("filters", filters).property("use_json", false), options);
        let table = self.client.portal_table_with_config(request, service.config_id).await?;
        Ok(finish(table, warnings, None))
    }

    /// Every HSC source matched with `match_id` (`Mast.HscMatches.Db.v3`, or `.v2` with
    /// [`QueryOptions::version`] 2; another version gives astroquery's `InputWarning` and
    /// v3), params `{"input": "<MatchID>"}`. Paging from the options.
    pub async fn query_hsc_matchid(&self, match_id: impl Into<MatchId>, options: &QueryOptions) -> Result<Table> {
        mast_proto::request::check_paging(options.pagesize, options.page)?;
        let match_id = match_id.into();
        if match_id.as_str().trim().is_empty() {
            return Err(invalid("The MatchID must not be empty."));
        }
        let mut warnings = Vec::new();
        let service = match options.version {
            Some(2) => "Mast.HscMatches.Db.v2",
            None | Some(3) => "Mast.HscMatches.Db.v3",
            Some(_) => {
                warnings.push(Warning::new(WarningCategory::Input, "Invalid HSC version number, defaulting to v3."));
                "Mast.HscMatches.Db.v3"
            }
        };
        log_all(&warnings);
        let request = apply_paging(ServiceRequest::new(service).param("input", match_id.as_str()), options);
        let table = self.client.portal_table(request).await?;
        Ok(finish(table, warnings, None))
    }

    /// Every HSC spectrum (`Mast.HscSpectra.Db.All`, params `{}`). Paging from the options.
    pub async fn get_hsc_spectra(&self, options: &QueryOptions) -> Result<Table> {
        mast_proto::request::check_paging(options.pagesize, options.page)?;
        let request = apply_paging(ServiceRequest::new("Mast.HscSpectra.Db.All"), options);
        let table = self.client.portal_table(request).await?;
        Ok(finish(table, Vec::new(), None))
    }

    /// The column names of a PanSTARRS release and table (`metadata.json`, spec §6.3),
    /// fetched once per `Catalogs` (and its clones) per release and table as given.
    pub async fn panstarrs_columns(&self, release: &str, table: &str) -> Result<Arc<Vec<String>>> {
        let key = (release.to_owned(), table.to_owned());
        if let Some(names) = self.state.metadata.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return Ok(names.clone());
        }
        let url = self.client.config().url_with(&endpoints::CATALOGS_METADATA, &["panstarrs", release, table])?;
        let what = format!("the columns of panstarrs catalog {table}, {release}");
        let body = self
            .client
            .fetch(Patience::Quick, &what, || self.client.http().get(&url).header("Accept", "application/json"))
            .await?;
        let names = Arc::new(metadata_names(&body)?);
        self.state.metadata.lock().unwrap_or_else(PoisonError::into_inner).insert(key, names.clone());
        Ok(names)
    }

    /// The PanSTARRS conditions of `options` (decorated ones, then the keyword criteria),
    /// checked against the table's columns.
    pub(crate) async fn panstarrs_criteria(&self, options: &QueryOptions) -> Result<PanstarrsCriteria> {
        let mut criteria = options.panstarrs.clone();
        for c in PanstarrsCriteria::from_criteria(&options.criteria).iter() {
            criteria.push(c.clone());
        }
        let names = self.panstarrs_columns(options.release(), options.table_name()).await?;
        check_columns(&criteria, &names, options.release(), options.table_name())?;
        Ok(criteria)
    }

    async fn panstarrs_search(
        &self,
        position: Option<(Position, Radius)>,
        criteria: &PanstarrsCriteria,
        options: &QueryOptions,
        warnings: Vec<Warning>,
    ) -> Result<Table> {
        let mut request = PanstarrsRequest::new(
            options.release(),
            options.table_name(),
            position,
            criteria,
            options.columns.as_deref(),
            &options.sort_by,
        );
        if let Some(s) = options.pagesize {
            request = request.pagesize(s);
        }
        if let Some(p) = options.page {
            request = request.page(p);
        }
        let table = self.client.services_table(request.services_request()?).await?;
        Ok(finish(table, warnings, None))
    }

    /// The position of a criteria query: `coordinates`, or `object_name` resolved.
    async fn position(&self, options: &QueryOptions) -> Result<(Option<Position>, Vec<Warning>)> {
        match (&options.coordinates, &options.object_name) {
            (Some(p), _) => Ok((Some(*p), Vec::new())),
            (None, Some(name)) => {
                let (p, w) = self.resolve(name, options).await?;
                Ok((Some(p), w))
            }
            (None, None) => Ok((None, Vec::new())),
        }
    }

    pub(crate) async fn resolve(&self, name: &str, options: &QueryOptions) -> Result<(Position, Vec<Warning>)> {
        let mut resolve = ResolveOptions::new();
        if let Some(r) = options.resolver {
            resolve = resolve.resolver(r);
        }
        let resolution = Mast::new(self.client.clone()).resolve_objects(&[name], &resolve).await?;
        let position = resolution
            .objects
            .first()
            .map(|o| o.position)
            .ok_or_else(|| invalid(format!("Could not resolve \"{name}\" to a sky position.")))?;
        Ok((position, resolution.warnings))
    }

    /// The columns config of a criteria service merged with its histograms (spec §3.2):
    /// each histogram column's entry replaced by the histogram's (without `hist`).
    async fn criteria_config(&self, service: &CriteriaService) -> Result<Arc<ColumnConfig>> {
        if let Some(c) = self.state.configs.lock().unwrap_or_else(PoisonError::into_inner).get(service.config_id) {
            return Ok(c.clone());
        }
        let base = self.client.column_config(service.config_id).await?;
        let request = ServiceRequest::new(service.histograms).format("extjs").without_paging();
        let bodies = self.client.portal_raw(request).await?;
        let body = bodies.first().ok_or_else(|| mast_proto::Error::Decode {
            format: "extjs",
            detail: format!("{} gave no answer", service.histograms),
            source: None,
        })?;
        let tables = decode::extjs_tables(body, service.histograms)?;
        let mut merged = (*base).clone();
        if let Some(props) = tables.first().map(|t| &t.extended_properties) {
            for kind in ["discreteHistogram", "continuousHistogram"] {
                if let Some(hist) = props.get(kind).and_then(serde_json::Value::as_object) {
                    for (name, entry) in hist {
                        merged.entries_mut().insert(name.clone(), entry.clone());
                    }
                }
            }
        }
        for entry in merged.entries_mut().values_mut() {
            if let Some(obj) = entry.as_object_mut() {
                obj.remove("hist");
            }
        }
        let merged = Arc::new(merged);
        self.state.configs.lock().unwrap_or_else(PoisonError::into_inner).insert(service.config_id, merged.clone());
        Ok(merged)
    }
}

fn apply_paging(mut request: ServiceRequest, options: &QueryOptions) -> ServiceRequest {
    if let Some(size) = options.pagesize {
        request = request.pagesize(size);
    }
    if let Some(page) = options.page {
        request = request.page(page);
    }
    request
}

fn log_all(warnings: &[Warning]) {
    for w in warnings {
        tracing::warn!("{w}");
    }
}

/// The result with the warnings issued before the query first, the decoder's (logged here),
/// and `MaxResultsWarning` when the rows reach `cap`, the cap of the query that ran.
fn finish(mut table: Table, before: Vec<Warning>, cap: Option<u64>) -> Table {
    log_all(table.warnings());
    for w in before.into_iter().rev() {
        table.insert_warning(w);
    }
    if let Some(cap) = cap
        && table.num_rows() as u64 >= cap
    {
        let w = Warning::new(WarningCategory::MaxResults, MAX_RESULTS_MESSAGE);
        tracing::warn!("{w}");
        table.push_warning(w);
    }
    table
}
