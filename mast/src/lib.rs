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

#[cfg(feature = "blocking")]
pub mod blocking;

/// MAST's observation archive (feature `observations`); see [`mast_observations`].
#[cfg(feature = "observations")]
pub use mast_observations::{ObsIds, Observations, QueryOptions};

/// A local MAST for tests and demos (feature `emulator`); see [`mast_emulator`].
#[cfg(feature = "emulator")]
pub use mast_emulator as emulator;
