//! Criteria keywords → the Portal `filters` parameter (spec §3.4–3.6).
//!
//! A criteria query (`Observations.query_criteria`, `Catalogs.query_criteria` for TIC, CTL and
//! Disk Detective) sends its non-positional criteria as a list of filter objects in the
//! request's `params.filters`. [`build_filters`] turns a [`Criteria`] list into that list
//! exactly as astroquery's `PortalAPI.build_filter_set` does, validating every keyword
//! against the service's [`ColumnConfig`](crate::ColumnConfig) before anything is sent:
//!
//! - the keyword is looked up case-insensitively; an unknown one is an
//!   [`Error::InvalidQuery`] with astroquery's "Did you mean" suggestion ([`difflib`]);
//! - continuous columns (`double`, `float`, `numeric`, or `treatNumeric`) take a minimum and a
//!   maximum and become `{"min": .., "max": ..}`;
//! - discrete columns take exact values, sent as Python `str()` text, plus at most one
//!   wildcard value (`*` or `%`) sent as `freeText`.
//!
//! (`Mast.mast_query`'s unvalidated filters for `*Filtered*` services, spec §3.5, are built
//! from JSON values by `Mast::mast_query` in the `client` feature.)
//!
//! ```
//! use mast_proto::ColumnConfig;
//! use mast_proto::criteria::{Criteria, build_filters};
//!
//! let config = ColumnConfig::parse(br#"{"dataproduct_type": {"vot.datatype": "char"},
//!     "proposal_pi": {"vot.datatype": "char"}, "s_dec": {"vot.datatype": "double"}}"#)?;
//! let criteria = Criteria::new().add("dataproduct_type", ["image"]).add("proposal_pi", "Ost*").add("s_dec", [43.5, 45.5]);
//! let filters = build_filters(&criteria, &config)?;
//! assert_eq!(
//!     filters.to_json(),
//!     r#"[{"paramName": "dataproduct_type", "values": ["image"]}, {"paramName": "proposal_pi", "values": [], "freeText": "Ost%"}, {"paramName": "s_dec", "values": [{"min": 43.5, "max": 45.5}]}]"#
//! );
//! # Ok::<(), mast_proto::Error>(())
//! ```
//!
//! The module is split by concern: the value model ([`CriterionValue`], [`CriterionValues`],
//! [`Criteria`]) in `value.rs`; the command-line syntax ([`Criteria::parse_arg`],
//! [`CriterionValues::parse`], over [`crate::pyparse`]) in `syntax.rs`; [`build_filters`] and
//! its validation in `filters.rs`; the did-you-mean port in [`difflib`].

pub mod difflib;
mod filters;
mod syntax;
mod value;

pub use filters::{Filters, build_filters};
pub use value::{Criteria, CriterionValue, CriterionValues};

use crate::Error;

/// An [`Error::InvalidQuery`] with this message.
fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidQuery { message: message.into() }
}
