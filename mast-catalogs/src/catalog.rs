//! Catalog names, versions, services and row caps (spec §5.4), sans-IO.

use mast_proto::criteria::{Criteria, CriterionValue, CriterionValues, difflib};
use mast_proto::pyparse::parse_float;
use mast_proto::{Warning, WarningCategory};
use serde_json::Value;

use crate::error::{Result, invalid};

/// astroquery's default row cap of HSC (`nr`) and GALEX (`maxrecords`) cones.
pub const DEFAULT_CATALOG_LIMIT: u64 = 50_000;

/// Which family a catalog name belongs to (names compared without case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogKind {
    /// The Hubble Source Catalog (`hsc`, the default): `Mast.Hsc.Db.v3` or `.v2`.
    Hsc,
    /// GALEX (`Mast.Galex.Catalog`).
    Galex,
    /// Gaia DR3 (default), DR2, DR1.
    Gaia,
    /// The PLATO input catalog.
    Plato,
    /// PanSTARRS, through the catalogs API (spec §6).
    PanStarrs,
    /// The TESS Input Catalog (criteria: `Mast.Catalogs.Filtered.Tic[.Position].Rows`).
    Tic,
    /// The TESS Candidate Target List.
    Ctl,
    /// Disk Detective.
    DiskDetective,
    /// Any other name: `Mast.Catalogs.<name as typed>.Cone`.
    Other,
}

impl CatalogKind {
    /// The family of `catalog`, compared without case.
    ///
    /// ```
    /// use mast_catalogs::CatalogKind;
    /// assert_eq!(CatalogKind::of("PANSTARRS"), CatalogKind::PanStarrs);
    /// assert_eq!(CatalogKind::of("Sample"), CatalogKind::Other);
    /// ```
    pub fn of(catalog: &str) -> CatalogKind {
        match catalog.to_ascii_lowercase().as_str() {
            "hsc" => CatalogKind::Hsc,
            "galex" => CatalogKind::Galex,
            "gaia" => CatalogKind::Gaia,
            "plato" => CatalogKind::Plato,
            "panstarrs" => CatalogKind::PanStarrs,
            "tic" => CatalogKind::Tic,
            "ctl" => CatalogKind::Ctl,
            "diskdetective" => CatalogKind::DiskDetective,
            _ => CatalogKind::Other,
        }
    }
}

/// Checks a catalog name before anything is sent: not empty, and only ASCII letters, digits
/// and `_` (it becomes part of a service name, `Mast.Catalogs.<name>.Cone`).
///
/// ```
/// assert!(mast_catalogs::check_catalog_name("Tic").is_ok());
/// assert!(mast_catalogs::check_catalog_name("").is_err());
/// assert!(mast_catalogs::check_catalog_name("Tic.Cone\"").is_err());
/// ```
pub fn check_catalog_name(catalog: &str) -> Result<()> {
    if catalog.is_empty() {
        return Err(invalid("The catalog name must not be empty."));
    }
    if !catalog.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        let shown: String = catalog.chars().take(60).flat_map(char::escape_debug).collect();
        return Err(invalid(format!(
            "Invalid catalog name \"{shown}\": a catalog name has only letters, digits and '_'."
        )));
    }
    Ok(())
}

/// A Portal cone query of a catalog: the service, the extra parameters after `ra`, `dec`,
/// `radius`, the row cap that makes a full answer a `MaxResultsWarning`, and the warnings of
/// the version choice.
#[derive(Debug, Clone, PartialEq)]
pub struct ConePlan {
    /// The Portal service, e.g. `Mast.Hsc.Db.v3`.
    pub service: String,
    /// Extra parameters in order (HSC `nr`, `ni`, `magtype`; GALEX `maxrecords`).
    pub extras: Vec<(String, Value)>,
    /// The row cap of this query (`nr`, `maxrecords`), if the catalog has one.
    pub cap: Option<u64>,
    /// Warnings (an unknown version, replaced by the default).
    pub warnings: Vec<Warning>,
}

/// The Portal cone query for `catalog` (not PanSTARRS) with `version` and the extra
/// `criteria` (spec §5.4): only the catalog's own extras are accepted (HSC `nr`, `ni`,
/// `magtype`; GALEX `maxrecords`; none elsewhere), each with one value, and anything else is
/// astroquery's `InvalidQueryError` `Filter '<k>' does not exist for catalog <catalog>.`
/// with a did-you-mean suggestion among the valid extras.
///
/// ```
/// use mast_catalogs::cone_plan;
/// use mast_proto::criteria::Criteria;
/// let plan = cone_plan("hsc", Some(5), &Criteria::new().add("nr", 28))?;
/// assert_eq!(plan.service, "Mast.Hsc.Db.v3");
/// assert_eq!(plan.cap, Some(28));
/// assert_eq!(plan.warnings[0].to_string(), "InputWarning: Invalid HSC version number, defaulting to v3.");
/// let err = cone_plan("hsc", None, &Criteria::new().add("magtyp", 1)).unwrap_err();
/// assert_eq!(err.to_string(), "Filter 'magtyp' does not exist for catalog hsc. Did you mean 'magtype'?");
/// assert_eq!(cone_plan("Tic", None, &Criteria::new())?.service, "Mast.Catalogs.Tic.Cone");
/// # Ok::<(), mast_catalogs::Error>(())
/// ```
pub fn cone_plan(catalog: &str, version: Option<i64>, criteria: &Criteria) -> Result<ConePlan> {
    check_catalog_name(catalog)?;
    let mut warnings = Vec::new();
    let mut warn = |message: &str| warnings.push(Warning::new(WarningCategory::Input, message));
    let (service, valid): (String, &[&str]) = match CatalogKind::of(catalog) {
        CatalogKind::Hsc => {
            let service = match version {
                Some(2) => "Mast.Hsc.Db.v2",
                None | Some(3) => "Mast.Hsc.Db.v3",
                Some(_) => {
                    warn("Invalid HSC version number, defaulting to v3.");
                    "Mast.Hsc.Db.v3"
                }
            };
            (service.into(), &["nr", "ni", "magtype"])
        }
        CatalogKind::Galex => ("Mast.Galex.Catalog".into(), &["maxrecords"]),
        CatalogKind::Gaia => {
            let service = match version {
                None | Some(3) => "Mast.Catalogs.GaiaDR3.Cone",
                Some(2) => "Mast.Catalogs.GaiaDR2.Cone",
                Some(1) => "Mast.Catalogs.GaiaDR1.Cone",
                Some(_) => {
                    warn("Invalid Gaia version number, defaulting to DR3.");
                    "Mast.Catalogs.GaiaDR3.Cone"
                }
            };
            (service.into(), &[])
        }
        CatalogKind::Plato => {
            if !matches!(version, None | Some(1)) {
                warn("Invalid PLATO catalog version number, defaulting to DR1.");
            }
            ("Mast.Catalogs.Plato.Cone".into(), &[])
        }
        CatalogKind::PanStarrs => {
            return Err(invalid("PanSTARRS is queried through the catalogs API, not a Portal cone."));
        }
        _ => (format!("Mast.Catalogs.{catalog}.Cone"), &[]),
    };
    // astroquery names the first keyword that is not one of the catalog's extras.
    if let Some(key) = criteria.keywords().find(|k| !valid.contains(k)) {
        let best = difflib::get_close_matches(key, valid.iter().copied(), 1, 0.6);
        return Err(invalid(match best.first() {
            Some(b) => format!("Filter '{key}' does not exist for catalog {catalog}. Did you mean '{b}'?"),
            None => format!("Filter '{key}' does not exist for catalog {catalog}."),
        }));
    }
    let mut extras = Vec::with_capacity(valid.len());
    let default =
        Value::from(if valid.contains(&"nr") || valid.contains(&"maxrecords") { DEFAULT_CATALOG_LIMIT } else { 1 });
    for key in valid {
        let value = match criteria.get(key) {
            Some(values) => single_value(key, values)?,
            None if *key == "nr" || *key == "maxrecords" => default.clone(),
            None => Value::from(1),
        };
        extras.push(((*key).to_owned(), value));
    }
    let cap = extras.iter().find(|(k, _)| k == "nr" || k == "maxrecords").and_then(|(_, v)| {
        v.as_u64().or_else(|| v.as_f64().filter(|f| *f >= 0.0 && f.fract() == 0.0).map(|f| f as u64))
    });
    Ok(ConePlan { service, extras, cap, warnings })
}

/// The one value of an extra parameter as JSON: numbers stay numbers, numeric text (from a
/// command line) becomes a number, other text stays text.
fn single_value(key: &str, values: &CriterionValues) -> Result<Value> {
    match values {
        CriterionValues::List(items) if items.len() == 1 => Ok(criterion_json(&items[0])),
        _ => Err(invalid(format!("'{key}' takes one value."))),
    }
}

/// A criterion value as JSON: integers and finite floats as numbers (numeric text too),
/// booleans as booleans, anything else as text.
///
/// ```
/// use mast_catalogs::criterion_json;
/// use mast_proto::criteria::CriterionValue;
/// assert_eq!(criterion_json(&CriterionValue::Text("28".into())), serde_json::json!(28));
/// assert_eq!(criterion_json(&CriterionValue::Text("2.5".into())), serde_json::json!(2.5));
/// assert_eq!(criterion_json(&CriterionValue::Text("nan".into())), serde_json::json!("nan"));
/// assert_eq!(criterion_json(&CriterionValue::Text("PSO J".into())), serde_json::json!("PSO J"));
/// ```
pub fn criterion_json(value: &CriterionValue) -> Value {
    match value {
        CriterionValue::Int(i) => Value::from(*i),
        CriterionValue::Float(f) => {
            serde_json::Number::from_f64(*f).map_or_else(|| Value::from(value.python_str()), Value::Number)
        }
        CriterionValue::Bool(b) => Value::from(*b),
        CriterionValue::Text(s) => {
            let t = s.trim();
            if let Ok(i) = t.parse::<i64>() {
                Value::from(i)
            } else if let Some(n) = parse_float(t).and_then(serde_json::Number::from_f64)
                && t.bytes().any(|b| b.is_ascii_digit())
            {
                Value::Number(n)
            } else {
                Value::from(s.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_services() {
        let none = Criteria::new();
        let service = |c: &str, v: Option<i64>| cone_plan(c, v, &none).unwrap().service;
        assert_eq!(service("HSC", Some(2)), "Mast.Hsc.Db.v2");
        assert_eq!(service("hsc", None), "Mast.Hsc.Db.v3");
        assert_eq!(service("gaia", Some(1)), "Mast.Catalogs.GaiaDR1.Cone");
        assert_eq!(service("Gaia", Some(2)), "Mast.Catalogs.GaiaDR2.Cone");
        assert_eq!(service("gaia", None), "Mast.Catalogs.GaiaDR3.Cone");
        assert_eq!(service("PLATO", Some(7)), "Mast.Catalogs.Plato.Cone");
        assert_eq!(service("galex", Some(9)), "Mast.Galex.Catalog");
        assert_eq!(service("tic", None), "Mast.Catalogs.tic.Cone");
        let gaia = cone_plan("gaia", Some(5), &none).unwrap();
        assert_eq!(gaia.warnings[0].message, "Invalid Gaia version number, defaulting to DR3.");
        assert_eq!(gaia.cap, None);
        let hsc = cone_plan("hsc", None, &none).unwrap();
        assert_eq!(hsc.cap, Some(50_000));
        assert_eq!(
            hsc.extras,
            vec![("nr".into(), Value::from(50_000)), ("ni".into(), Value::from(1)), ("magtype".into(), Value::from(1))]
        );
        let galex = cone_plan("GALEX", None, &Criteria::new().add("maxrecords", "28")).unwrap();
        assert_eq!((galex.cap, galex.extras[0].1.clone()), (Some(28), Value::from(28)));
    }

    #[test]
    fn only_the_extras() {
        let err = |c: &str, k: &str| cone_plan(c, None, &Criteria::new().add(k, 1)).unwrap_err().to_string();
        assert_eq!(err("gaia", "nr"), "Filter 'nr' does not exist for catalog gaia.");
        assert_eq!(
            err("GALEX", "maxrecord"),
            "Filter 'maxrecord' does not exist for catalog GALEX. Did you mean 'maxrecords'?"
        );
        assert_eq!(err("hsc", "NR"), "Filter 'NR' does not exist for catalog hsc.");
        assert!(cone_plan("hsc", None, &Criteria::new().add("nr", [1, 2])).is_err());
        assert!(cone_plan("a b", None, &Criteria::new()).is_err());
    }
}
