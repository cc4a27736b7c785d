//! # mast-catalogs
//!
//! MAST's catalogs for mast-rs, with astroquery's names and semantics: [`Catalogs`] runs
//! cone, object and criteria queries of the Hubble Source Catalog, GALEX, Gaia, PLATO, the
//! TESS Input Catalog and Candidate Target List, Disk Detective, any other
//! `Mast.Catalogs.<name>.Cone`, and PanSTARRS through the catalogs API; it also lists HSC
//! matches and spectra, and downloads HSC spectra ([`Catalogs::download_hsc_spectra`]).
//! Beyond astroquery, [`Catalogs::query_region_many`] and [`Catalogs::query_object_many`]
//! run one cone per target concurrently and stack the rows with the target each came from.
//!
//! ```no_run
//! use mast_catalogs::{Catalogs, Decorator, PanstarrsCriteria, QueryOptions, SortKey};
//! use mast_proto::{criteria::Criteria, MastClient, Position, Radius};
//!
//! # async fn run() -> mast_catalogs::Result<()> {
//! let catalogs = Catalogs::new(MastClient::from_env()?);
//! let tic = catalogs
//!     .query_criteria(&QueryOptions::new().catalog("Tic").criteria(Criteria::new().range("Bmag", 30, 50).add("objType", "STAR")))
//!     .await?;
//! let ps1 = catalogs
//!     .query_region(
//!         Position::parse("5.97754 32.53617")?,
//!         &QueryOptions::new()
//!             .catalog("PanSTARRS")
//!             .radius(Radius::from_degrees(0.01)?)
//!             .panstarrs(PanstarrsCriteria::new().with("nStackDetections", Decorator::Gte, 2))
//!             .columns(["objName", "objID", "nStackDetections", "distance"])
//!             .sort_by([SortKey::desc("distance")]),
//!     )
//!     .await?;
//! println!("{} TIC stars, {} PanSTARRS objects", tic.num_rows(), ps1.num_rows());
//! # Ok(()) }
//! ```

mod catalog;
mod catalogs;
mod error;
mod many;
mod options;
mod panstarrs;
mod spectra;

pub use catalog::{CatalogKind, ConePlan, DEFAULT_CATALOG_LIMIT, check_catalog_name, cone_plan, criterion_json};
pub use catalogs::{Catalogs, MAX_RESULTS_MESSAGE, MatchId};
pub use error::{Error, Result};
pub use many::{ManyResult, TARGET_COLUMNS, Target, TargetError};
pub use options::QueryOptions;
pub use panstarrs::{Condition, Decorator, PanstarrsCriteria, PanstarrsRequest, SortDirection, SortKey};
pub use spectra::{SpectraOptions, spectrum_url};
