//! # mast-observations
//!
//! MAST's observation archive (CAOM) for mast-rs, with astroquery's names and semantics:
//! [`Observations`] runs region, object and criteria queries and their counts, lists the
//! missions, describes the columns, and fetches and filters product lists.
//!
//! ```no_run
//! use mast_observations::{Observations, QueryOptions};
//! use mast_proto::{criteria::Criteria, products::ProductFilter, MastClient, Radius};
//!
//! # async fn run() -> mast_observations::Result<()> {
//! let obs = Observations::new(MastClient::from_env()?);
//! let m8 = obs.query_object("M8", &QueryOptions::new().radius(".02 deg".parse::<Radius>()?)).await?;
//! let hst = obs
//!     .query_criteria(
//!         &Criteria::new().add("dataproduct_type", ["image"]).add("proposal_pi", "Osten*").range("s_dec", 43.5, 45.5),
//!         &QueryOptions::new(),
//!     )
//!     .await?;
//! let products = obs.get_product_list(&hst).await?;
//! let science = obs.filter_products(&products, &ProductFilter::new().column("productType", ["SCIENCE"]))?;
//! println!("{} observations near M8; {} science products", m8.num_rows(), science.num_rows());
//! # Ok(()) }
//! ```

#[cfg(feature = "cloud")]
mod cloud;
mod download;
mod error;
mod observations;
mod products;

#[cfg(feature = "cloud")]
pub use cloud::{CloudUriInput, CloudUriOptions, CloudUris};
pub use download::{DownloadFileOptions, DownloadOptions, Downloaded, Layout};
pub use error::{Error, Result};
pub use observations::{Count, Observations, QueryOptions};
pub use products::ObsIds;

/// Logs a warning and keeps it for the caller's result.
pub(crate) fn warn(
    warnings: &mut Vec<mast_proto::Warning>,
    category: mast_proto::WarningCategory,
    message: impl Into<String>,
) {
    let w = mast_proto::Warning::new(category, message);
    tracing::warn!("{w}");
    warnings.push(w);
}
