//! # mast-proto
//!
//! The sans-IO core of mast-rs, a Rust client for MAST (the Barbara A. Mikulski Archive for
//! Space Telescopes): everything about MAST's wire protocol that needs no network.
//!
//! - [`ServiceRequest`]: Portal API requests, encoded byte for byte as astroquery sends them.
//! - [`decode`]: the Portal JSON envelope, the services-API envelope and the `extjs` format,
//!   decoded straight from bytes into typed columns; [`ColumnConfig`] for columns configs.
//! - [`Table`]: typed, masked columns with astropy-like text, canonical CSV, JSON records
//!   and (feature `arrow`) Arrow record batches.
//! - [`Position`] and [`Radius`]: sky positions and search radii from the text forms
//!   astronomers write.
//! - [`pyfmt`]: Python-compatible number and JSON formatting used on the wire; [`pyparse`]:
//!   text read as Python reads it (`float()`) and the command line's `KEY=VALUE` lists.
//! - [`endpoints`]: every MAST endpoint (host, method, path) in one table.
//! - [`cloud`]: MAST's path lookup (which products have a copy in the public S3 bucket).
//!
//! ```
//! use mast_proto::{decode, Position, Radius, ServiceRequest};
//!
//! let pos: Position = "21h29m58.38s +12d10m00.6s".parse()?;
//! let radius: Radius = "0.2 deg".parse()?;
//! let request = ServiceRequest::new("Mast.Caom.Cone")
//!     .param("ra", pos.ra())
//!     .param("dec", pos.dec())
//!     .param("radius", radius.degrees());
//! assert!(request.to_json().starts_with(r#"{"service": "Mast.Caom.Cone", "params": {"ra": 322.49325"#));
//!
//! // ... send request.form_body() to endpoints::INVOKE, then:
//! let body = br#"{"status": "COMPLETE", "msg": "", "fields": [{"name": "obs_id", "type": "string"}],
//!                 "data": [{"obs_id": "u9o40504m"}]}"#;
//! let (table, _paging) = decode::portal_table(body, request.service(), None)?;
//! assert_eq!(table.column("obs_id").unwrap().get_str(0), Some("u9o40504m"));
//! # Ok::<(), mast_proto::Error>(())
//! ```
//!
//! ## Features
#![cfg_attr(doc, doc = document_features::document_features!())]

pub mod auth;
#[cfg(feature = "client")]
mod client;
pub mod cloud;
pub mod colconfig;
pub mod config;
pub mod criteria;
pub mod decode;
pub mod endpoints;
mod error;
pub mod fs;
pub mod position;
pub mod products;
pub mod pyfmt;
pub mod pyparse;
pub mod request;
pub mod retry;
pub mod services;
pub mod table;
mod warning;

pub use auth::{Secret, redact_text, redact_url};
#[cfg(feature = "client")]
pub use client::{
    MAX_OBJECT_NAME_CHARS, Mast, MastClient, NameResolver, Patience, Resolution, ResolveOptions, ResolvedObject,
    Retrier, check_object_name,
};
pub use colconfig::ColumnConfig;
pub use config::MastConfig;
pub use error::{Error, Result, innermost_cause, is_transient_status};
pub use position::{Position, Radius};
pub use request::ServiceRequest;
pub use retry::{Retry, RetryPolicy, Retryable};
pub use services::ServicesRequest;
pub use table::{Column, ColumnMeta, DataType, Table, TextOptions, Value};
pub use warning::{Warning, WarningCategory};
