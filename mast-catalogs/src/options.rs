//! Optional arguments of the catalog queries (astroquery's keyword arguments).

use mast_proto::criteria::Criteria;
use mast_proto::{NameResolver, Position, Radius};

use crate::error::{Result, invalid};
use crate::panstarrs::{PanstarrsCriteria, SortKey};

/// Optional arguments of [`crate::Catalogs`]' queries, with astroquery's names and defaults:
/// catalog `Hsc`, radius 0.2 degrees, every page, the newest version.
///
/// ```
/// use mast_catalogs::{Decorator, PanstarrsCriteria, QueryOptions, SortKey};
/// use mast_proto::{criteria::Criteria, Radius};
/// let hsc = QueryOptions::new().radius(Radius::from_degrees(0.002)?).criteria(Criteria::new().add("nr", 28));
/// let ps1 = QueryOptions::new()
///     .catalog("PanSTARRS")
///     .data_release("dr2")
///     .table("mean")
///     .panstarrs(PanstarrsCriteria::new().with("nDetections", Decorator::Gte, 2))
///     .columns(["objID", "distance"])
///     .sort_by([SortKey::desc("distance")])
///     .pagesize(100);
/// assert_eq!(ps1.catalog_name(), "PanSTARRS");
/// # Ok::<(), mast_proto::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryOptions {
    pub(crate) catalog: Option<String>,
    pub(crate) radius: Option<Radius>,
    pub(crate) pagesize: Option<u64>,
    pub(crate) page: Option<u64>,
    pub(crate) version: Option<i64>,
    pub(crate) resolver: Option<NameResolver>,
    pub(crate) coordinates: Option<Position>,
    pub(crate) object_name: Option<String>,
    pub(crate) criteria: Criteria,
    pub(crate) panstarrs: PanstarrsCriteria,
    pub(crate) data_release: Option<String>,
    pub(crate) table: Option<String>,
    pub(crate) columns: Option<Vec<String>>,
    pub(crate) sort_by: Vec<SortKey>,
}

impl QueryOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// The catalog (default `Hsc`; names compared without case, see [`crate::CatalogKind`]).
    pub fn catalog(mut self, catalog: impl Into<String>) -> Self {
        self.catalog = Some(catalog.into());
        self
    }
    /// Search radius (default 0.2 degrees).
    pub fn radius(mut self, radius: Radius) -> Self {
        self.radius = Some(radius);
        self
    }
    /// Rows per page.
    pub fn pagesize(mut self, pagesize: u64) -> Self {
        self.pagesize = Some(pagesize);
        self
    }
    /// Only this page.
    pub fn page(mut self, page: u64) -> Self {
        self.page = Some(page);
        self
    }
    /// The catalog version (HSC 3 or 2, Gaia 3, 2 or 1, PLATO 1); another number gives
    /// astroquery's `InputWarning` and the default.
    pub fn version(mut self, version: i64) -> Self {
        self.version = Some(version);
        self
    }
    /// The name resolver for object names.
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
    /// Keyword criteria: a cone's extras (HSC `nr`, `ni`, `magtype`; GALEX `maxrecords`)
    /// or, for criteria queries of TIC, CTL and Disk Detective, column criteria (values,
    /// ranges, wildcards as for Observations). For PanSTARRS they are read as equalities
    /// (a range as `gte`/`lte`) and added after [`QueryOptions::panstarrs`]' conditions.
    pub fn criteria(mut self, criteria: Criteria) -> Self {
        self.criteria = criteria;
        self
    }
    /// PanSTARRS conditions (column, decorator, value).
    pub fn panstarrs(mut self, criteria: PanstarrsCriteria) -> Self {
        self.panstarrs = criteria;
        self
    }
    /// PanSTARRS data release (default `dr2`).
    pub fn data_release(mut self, release: impl Into<String>) -> Self {
        self.data_release = Some(release.into());
        self
    }
    /// PanSTARRS table: `mean` (default), `stack`, `detection`, `forced_mean`.
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = Some(table.into());
        self
    }
    /// PanSTARRS: only these columns.
    pub fn columns<I: IntoIterator<Item = S>, S: Into<String>>(mut self, columns: I) -> Self {
        self.columns = Some(columns.into_iter().map(Into::into).collect());
        self
    }
    /// PanSTARRS: the sort keys, in order.
    pub fn sort_by<I: IntoIterator<Item = SortKey>>(mut self, keys: I) -> Self {
        self.sort_by = keys.into_iter().collect();
        self
    }

    /// The catalog name (default `Hsc`).
    pub fn catalog_name(&self) -> &str {
        self.catalog.as_deref().unwrap_or("Hsc")
    }

    pub(crate) fn radius_or_default(&self) -> Radius {
        self.radius.unwrap_or_default()
    }
    pub(crate) fn release(&self) -> &str {
        self.data_release.as_deref().unwrap_or("dr2")
    }
    pub(crate) fn table_name(&self) -> &str {
        self.table.as_deref().unwrap_or("mean")
    }

    /// Checks what needs no request: paging (at least 1), the object name, not both
    /// `coordinates` and `object_name`, the catalog name, and PanSTARRS-only options on
    /// PanSTARRS only.
    ///
    /// ```
    /// use mast_catalogs::QueryOptions;
    /// assert!(QueryOptions::new().pagesize(0).check().is_err());
    /// assert!(QueryOptions::new().catalog("").check().is_err());
    /// assert!(QueryOptions::new().catalog("gaia").table("mean").check().is_err());
    /// assert!(QueryOptions::new().catalog("panstarrs").table("mean").check().is_ok());
    /// ```
    pub fn check(&self) -> Result<()> {
        mast_proto::request::check_paging(self.pagesize, self.page)?;
        crate::catalog::check_catalog_name(self.catalog_name())?;
        if let Some(name) = &self.object_name {
            mast_proto::check_object_name(name)?;
        }
        if self.coordinates.is_some() && self.object_name.is_some() {
            return Err(invalid("Only one of object_name and coordinates may be specified."));
        }
        let panstarrs = crate::CatalogKind::of(self.catalog_name()) == crate::CatalogKind::PanStarrs;
        if !panstarrs
            && (!self.panstarrs.is_empty()
                || self.data_release.is_some()
                || self.table.is_some()
                || self.columns.is_some()
                || !self.sort_by.is_empty())
        {
            return Err(invalid(format!(
                "data_release, table, columns, sort_by and decorated criteria are for PanSTARRS, not catalog {}.",
                self.catalog_name()
            )));
        }
        if panstarrs {
            for (what, value) in [("data_release", self.release()), ("table", self.table_name())] {
                if value.is_empty() || value == "." || value == ".." || value.contains('/') {
                    return Err(invalid(format!("Invalid PanSTARRS {what} '{value}'.")));
                }
            }
        }
        Ok(())
    }
}
