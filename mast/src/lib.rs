//! # mast
//!
//! A Rust client for [MAST](https://mast.stsci.edu), the Barbara A. Mikulski Archive for
//! Space Telescopes. This facade re-exports the mast-rs crates a program needs; the `mast`
//! command line lives here too (feature `cli`).
//!
//! ```no_run
//! use mast::{Mast, MastClient, ServiceRequest, TextOptions};
//!
//! # async fn run() -> mast::Result<()> {
//! let mast = Mast::new(MastClient::from_env()?);            // real MAST unless MAST_URL says otherwise
//! let m101 = mast.resolve_object("M101").await?;
//! let table = mast
//!     .service_request(ServiceRequest::new("Mast.Caom.Cone")
//!         .param("ra", m101.ra()).param("dec", m101.dec()).param("radius", 0.2))
//!     .await?;
//! println!("{}", table.head(10).to_text(&TextOptions::default()));
//! # Ok(()) }
//! ```
//!
//! ## Crates
//!
//! Every mast-rs crate a program needs is here as a module, so that depending on `mast`
//! alone is enough:
//!
//! | module | crate | feature |
//! |---|---|---|
//! | [`proto`] | mast-proto: the sans-IO core and the HTTP client ([`MastClient`], [`Mast`]) | always |
//! | `download` | mast-download: verified, resumable downloads (`download::Downloader`) | `download` |
//! | `observations` | mast-observations: astroquery's `Observations` | `observations` |
//! | `catalogs` | mast-catalogs: astroquery's `Catalogs` (HSC, GALEX, Gaia, PLATO, TIC, CTL, Disk Detective, PanSTARRS) | `catalogs` |
//! | `emulator` | mast-emulator: a local MAST for tests and demos | `emulator` |
//!
//! The types most programs use are also at the top level ([`Table`], [`MastClient`],
//! [`Criteria`], `Observations`, ...).
//!
//! ```
//! # #[cfg(feature = "observations")]
//! # fn check() {
//! use mast::download::{DownloadItem, Downloader, Status};
//! use mast::observations::{DownloadOptions, Layout};
//! use mast::proto::cloud::CloudUriStyle;
//! let options = DownloadOptions::new().layout(Layout::Flat).cache(false);
//! let item = DownloadItem::new("mast:HST/product/u9o40504m_c3m.fits", "data", "u9o40504m_c3m.fits");
//! # let _ = (options, item, CloudUriStyle::S3, Status::Complete, Downloader::new);
//! # }
//! ```
//!
//! ## Features
#![cfg_attr(doc, doc = document_features::document_features!())]

pub use mast_proto::{
    Column, ColumnConfig, ColumnMeta, DataType, Error, Mast, MastClient, MastConfig, NameResolver, Position, Radius,
    Resolution, ResolveOptions, ResolvedObject, Result, ServiceRequest, Table, TextOptions, Value, Warning,
    WarningCategory, decode, pyfmt,
};

pub use mast_proto::criteria::{self, Criteria};
pub use mast_proto::products::{self, ProductFilter};
pub use mast_proto::pyparse;

/// The sans-IO core and the HTTP client: [`mast_proto`] (requests, decoders, tables,
/// positions, cloud URIs, configuration).
pub use mast_proto as proto;

/// Verified, resumable downloads (feature `download`): [`mast_download`].
#[cfg(feature = "download")]
pub use mast_download as download;

/// MAST's observation archive (feature `observations`): [`mast_observations`].
#[cfg(feature = "observations")]
pub use mast_observations as observations;

/// MAST API tokens (feature `auth`): sources and stores, [`mast_auth`].
#[cfg(feature = "catalogs")]
pub use mast_catalogs as catalogs;

#[cfg(feature = "auth")]
pub use mast_auth as auth;

#[cfg(feature = "blocking")]
pub mod blocking;

/// MAST's observation archive (feature `observations`); see [`mast_observations`].
#[cfg(feature = "observations")]
pub use mast_observations::{ObsIds, Observations, QueryOptions};

/// A local MAST for tests and demos (feature `emulator`); see [`mast_emulator`].
#[cfg(feature = "catalogs")]
pub use mast_catalogs::Catalogs;

#[cfg(feature = "emulator")]
pub use mast_emulator as emulator;
