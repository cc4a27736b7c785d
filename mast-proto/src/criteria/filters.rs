//! Criteria → the Portal `filters` list, validated against a columns config.

use serde_json::{Map, Value};

use super::{Criteria, CriterionValue, CriterionValues, difflib, invalid};
use crate::{ColumnConfig, Error, Result, Warning, WarningCategory, pyfmt, pyparse};

/// The Portal `filters` list built from criteria, with the warnings astroquery would issue.
///
/// ```
/// use mast_proto::ColumnConfig;
/// use mast_proto::criteria::{Criteria, build_filters};
/// let config = ColumnConfig::parse(br#"{"obs_collection": {"vot.datatype": "char", "separator": ";"}}"#)?;
/// let filters = build_filters(&Criteria::new().add("OBS_COLLECTION", "HST"), &config)?;
/// assert_eq!(filters.len(), 1);
/// assert!(filters.warnings().is_empty());
/// assert_eq!(filters.to_json(), r#"[{"paramName": "OBS_COLLECTION", "separator": ";", "values": ["HST"]}]"#);
/// let request = mast_proto::ServiceRequest::new("Mast.Caom.Filtered").param("columns", "*").param("filters", filters.into_value());
/// # Ok::<(), mast_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Filters {
    value: Value,
    warnings: Vec<Warning>,
}

impl Default for Filters {
    fn default() -> Self {
        Filters::empty()
    }
}

impl Filters {
    /// No filters (`"filters": []`, as the region and object count queries send).
    ///
    /// ```
    /// assert_eq!(mast_proto::criteria::Filters::empty().to_json(), "[]");
    /// ```
    pub fn empty() -> Filters {
        Filters { value: Value::Array(Vec::new()), warnings: Vec::new() }
    }

    /// The filter objects, in criteria order.
    ///
    /// ```
    /// use mast_proto::criteria::Filters;
    /// assert!(Filters::empty().entries().is_empty());
    /// ```
    pub fn entries(&self) -> &[Value] {
        self.value.as_array().map_or(&[], Vec::as_slice)
    }

    /// Number of filter objects.
    ///
    /// ```
    /// assert_eq!(mast_proto::criteria::Filters::empty().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether no filter is left (every criterion was dropped, or there were none). Query
    /// functions then refuse with astroquery's "At least one non-positional criterion must be
    /// supplied."; count functions send the empty list.
    ///
    /// ```
    /// assert!(mast_proto::criteria::Filters::empty().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `filters` JSON array.
    ///
    /// ```
    /// assert!(mast_proto::criteria::Filters::empty().as_value().is_array());
    /// ```
    pub fn as_value(&self) -> &Value {
        &self.value
    }

    /// The `filters` JSON array, for [`crate::ServiceRequest::param`].
    ///
    /// ```
    /// assert_eq!(mast_proto::criteria::Filters::empty().into_value(), serde_json::json!([]));
    /// ```
    pub fn into_value(self) -> Value {
        self.value
    }

    /// The JSON array and the warnings.
    ///
    /// ```
    /// let (value, warnings) = mast_proto::criteria::Filters::empty().into_parts();
    /// assert!(value.is_array() && warnings.is_empty());
    /// ```
    pub fn into_parts(self) -> (Value, Vec<Warning>) {
        (self.value, self.warnings)
    }

    /// The warnings astroquery issues while building these filters (all
    /// [`WarningCategory::Input`]): a continuous column given one value (the criterion is
    /// dropped) or more than two (the first two are used), a second wildcard value (skipped).
    ///
    /// ```
    /// use mast_proto::ColumnConfig;
    /// use mast_proto::criteria::{Criteria, build_filters};
    /// let config = ColumnConfig::parse(br#"{"s_dec": {"vot.datatype": "double"}}"#)?;
    /// let filters = build_filters(&Criteria::new().add("s_dec", 43.5), &config)?;
    /// assert!(filters.is_empty());
    /// assert_eq!(
    ///     filters.warnings()[0].to_string(),
    ///     "InputWarning: s_dec is continuous, and filters based on min and max values.\nNot enough values provided, skipping..."
    /// );
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The array as Python's `json.dumps` writes it (what goes inside the request object).
    ///
    /// ```
    /// assert_eq!(mast_proto::criteria::Filters::empty().to_json(), "[]");
    /// ```
    pub fn to_json(&self) -> String {
        pyfmt::json_dumps(&self.value)
    }
}

impl From<Filters> for Value {
    fn from(f: Filters) -> Value {
        f.value
    }
}

/// Builds the Portal `filters` list from `criteria`, validated against the service's columns
/// config, as astroquery's `PortalAPI.build_filter_set` does (spec §3.4).
///
/// For each criterion, in order:
///
/// 1. The keyword is looked up case-insensitively among the config's keys. An unknown keyword
///    is an [`Error::InvalidQuery`] `Filter '<kw>' does not exist. Did you mean '<best>'?`,
///    where `<best>` is Python's `difflib.get_close_matches(kw, keys, n=1, cutoff=0.6)`
///    ([`difflib::get_close_matches`]); without a close match the message ends after
///    "does not exist.".
/// 2. A continuous column ([`ColumnConfig::is_continuous`]) takes a minimum and a maximum:
///    `{"paramName": kw, "values": [{"min": v0, "max": v1}]}`, numbers kept as given (`1`
///    stays `1`, `43.5` stays `43.5`). Fewer than two values: an `InputWarning` and the
///    criterion is dropped; more than two: an `InputWarning` and the first two are used.
/// 3. A discrete column takes exact values, each sent as Python's `str()` text (`3` → `"3"`,
///    `true` → `"True"`). The first value containing `*` or `%` becomes `freeText` with every
///    `*` replaced by `%` and is not among `values`; every further wildcard value gets the
///    warning `Only one wildcarded value may be used per filter, all others must be
///    exact.\nSkipping <value>...` and is skipped.
/// 4. Keys in order `paramName` (the keyword as typed, not the config's spelling),
///    `separator` (when the config has one), `values`, `freeText` (when a wildcard was given).
///
/// **Deliberate difference from astroquery:** astroquery removes a wildcard from the list it
/// is iterating over, so the element right after a removed wildcard is never examined: with
/// `["M*", "NGC%", "x"]` it sends `values ["NGC%", "x"]`, `freeText "M%"` and no warning.
/// Here every value is examined, as the code intends: `NGC%` gets the "Only one wildcarded
/// value" warning and is skipped, every exact value is kept (`values ["x"]`).
///
/// **Additions** (astroquery sends these to the server unchecked; here they are
/// [`Error::InvalidQuery`] errors naming the keyword, raised before any request):
/// - a [`CriterionValues::Range`] on a discrete column;
/// - a minimum or maximum on a continuous column that is not a finite number (text is read
///   as a number, so the command line's `s_dec=43.5,45.5` works: `"45"` is sent as `45`,
///   `"43.5"` as `43.5`; booleans are refused), and so a single value that is not one
///   (`t_min=yesterday`: an error naming the column and the value, where astroquery drops
///   the criterion with its "Not enough values" warning);
/// - a minimum greater than the maximum.
///
/// When no entry is left, [`Filters::is_empty`] says so; whether that is an error is the
/// caller's decision (query functions refuse, count functions send `[]`).
///
/// ```
/// use mast_proto::ColumnConfig;
/// use mast_proto::criteria::{Criteria, build_filters};
///
/// let config = ColumnConfig::parse(br#"{"obs_collection": {"vot.datatype": "char", "separator": ";"},
///                                      "s_dec": {"vot.datatype": "double"}}"#)?;
/// let filters = build_filters(&Criteria::from_args(["obs_collection=HST,TESS", "s_dec=-10..10"])?, &config)?;
/// assert_eq!(
///     filters.to_json(),
///     r#"[{"paramName": "obs_collection", "separator": ";", "values": ["HST", "TESS"]}, {"paramName": "s_dec", "values": [{"min": -10, "max": 10}]}]"#
/// );
///
/// let err = build_filters(&Criteria::new().add("obs_colection", "HST"), &config).unwrap_err();
/// assert_eq!(err.to_string(), "Filter 'obs_colection' does not exist. Did you mean 'obs_collection'?");
/// # Ok::<(), mast_proto::Error>(())
/// ```
pub fn build_filters(criteria: &Criteria, config: &ColumnConfig) -> Result<Filters> {
    let mut entries = Vec::with_capacity(criteria.len());
    let mut warnings = Vec::new();
    for (keyword, values) in criteria.iter() {
        let Some((name, props)) = config.find(keyword) else {
            return Err(unknown_filter(keyword, config));
        };
        let mut entry = Map::new();
        entry.insert("paramName".to_owned(), Value::String(keyword.to_owned()));
        if let Some(separator) = props.get("separator").filter(|v| python_truthy(v)) {
            entry.insert("separator".to_owned(), separator.clone());
        }
        if config.is_continuous(name) {
            let (min, max) = match values {
                CriterionValues::Range { min, max } => (min, max),
                CriterionValues::List(list) => {
                    if list.len() < 2 {
                        // A value that is not a number is an error even though the criterion
                        // would be dropped: the warning alone would hide what is wrong with it.
                        list.iter().try_for_each(|v| range_bound(keyword, v).map(drop))?;
                        warnings.push(input_warning(format!(
                            "{keyword} is continuous, and filters based on min and max values.\nNot enough values provided, skipping..."
                        )));
                        continue;
                    }
                    if list.len() > 2 {
                        warnings.push(input_warning(format!(
                            "{keyword} is continuous, and filters based on min and max values.\nToo many values provided, the first two will be assumed to be the min and max values."
                        )));
                    }
                    (&list[0], &list[1])
                }
            };
            let (min_json, min_f) = range_bound(keyword, min)?;
            let (max_json, max_f) = range_bound(keyword, max)?;
            if min_f > max_f {
                return Err(invalid(format!(
                    "Filter '{keyword}' has a minimum ({min}) greater than its maximum ({max}); give the range as min..max."
                )));
            }
            let mut range = Map::new();
            range.insert("min".to_owned(), min_json);
            range.insert("max".to_owned(), max_json);
            entry.insert("values".to_owned(), Value::Array(vec![Value::Object(range)]));
        } else {
            let list = match values {
                CriterionValues::List(list) => list,
                CriterionValues::Range { min, max } => {
                    return Err(invalid(format!(
                        "Filter '{keyword}' is not a continuous column: it takes exact values, not a range ('{min}..{max}'). Give a list of values instead."
                    )));
                }
            };
            let mut exact = Vec::with_capacity(list.len());
            let mut free_text: Option<String> = None;
            for value in list {
                let text = value.python_str();
                if text.contains(['*', '%']) {
                    if free_text.is_some() {
                        warnings.push(input_warning(format!(
                            "Only one wildcarded value may be used per filter, all others must be exact.\nSkipping {text}..."
                        )));
                    } else {
                        free_text = Some(text.replace('*', "%"));
                    }
                } else {
                    exact.push(Value::String(text));
                }
            }
            entry.insert("values".to_owned(), Value::Array(exact));
            if let Some(free_text) = free_text {
                entry.insert("freeText".to_owned(), Value::String(free_text));
            }
        }
        entries.push(Value::Object(entry));
    }
    Ok(Filters { value: Value::Array(entries), warnings })
}

/// A continuous column's bound as JSON (numbers as given, numeric text read as a number) and
/// as `f64` for the min/max comparison.
fn range_bound(keyword: &str, v: &CriterionValue) -> Result<(Value, f64)> {
    let parsed = match v {
        CriterionValue::Int(i) => Some((Value::from(*i), *i as f64)),
        CriterionValue::Float(x) => serde_json::Number::from_f64(*x).map(|n| (Value::Number(n), *x)),
        CriterionValue::Text(t) => parse_number(t),
        CriterionValue::Bool(_) => None,
    };
    parsed.ok_or_else(|| {
        invalid(format!(
            "Filter '{keyword}' is continuous and filters on a minimum and a maximum, but '{v}' is not a finite number."
        ))
    })
}

/// Text read as a finite number with Python's `float()` ([`pyparse::parse_float`]), kept as an
/// integer when it is one (`"45"` → `45`, `"45.0"` → `45.0`).
fn parse_number(text: &str) -> Option<(Value, f64)> {
    let x = pyparse::parse_float(text)?;
    if let Ok(i) = text.trim().parse::<i64>() {
        return Some((Value::from(i), i as f64));
    }
    serde_json::Number::from_f64(x).map(|n| (Value::Number(n), x))
}

/// Python truthiness of a JSON value (`if separator:`).
fn python_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn unknown_filter(keyword: &str, config: &ColumnConfig) -> Error {
    match difflib::get_close_matches(keyword, config.names(), 1, 0.6).first() {
        Some(best) => invalid(format!("Filter '{keyword}' does not exist. Did you mean '{best}'?")),
        None => invalid(format!("Filter '{keyword}' does not exist.")),
    }
}

fn input_warning(message: String) -> Warning {
    Warning::new(WarningCategory::Input, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAOM: &[u8] = include_bytes!("../../../mast-emulator/data/astroquery-recorded/columnsconfig.json");
    const DD: &[u8] = include_bytes!("../../../mast-emulator/data/astroquery-recorded/ddcolumns.json");
    const TIC: &[u8] = include_bytes!("../../../mast-emulator/data/astroquery-recorded/ticcolumns.json");
    const TIC_HIST: &[u8] = include_bytes!("../../../mast-emulator/data/astroquery-recorded/ticcolumns_filtered.json");

    fn caom() -> ColumnConfig {
        ColumnConfig::parse(CAOM).unwrap()
    }

    fn filters_json(criteria: &Criteria, config: &ColumnConfig) -> String {
        build_filters(criteria, config).unwrap().to_json()
    }

    fn err_message(r: Result<Filters>) -> String {
        match r {
            Err(Error::InvalidQuery { message }) => message,
            other => panic!("expected InvalidQuery, got {other:?}"),
        }
    }

    #[test]
    fn captured_query_criteria_example() {
        // Observations.query_criteria(dataproduct_type=["image"], proposal_pi="Ost*", s_dec=[43.5, 45.5])
        let c =
            Criteria::new().add("dataproduct_type", ["image"]).add("proposal_pi", "Ost*").add("s_dec", [43.5, 45.5]);
        let filters = build_filters(&c, &caom()).unwrap();
        assert!(filters.warnings().is_empty());
        assert_eq!(
            filters.to_json(),
            r#"[{"paramName": "dataproduct_type", "values": ["image"]}, {"paramName": "proposal_pi", "values": [], "freeText": "Ost%"}, {"paramName": "s_dec", "values": [{"min": 43.5, "max": 45.5}]}]"#
        );
        // The same request object as captured (spec §3.4), cacheBreaker aside.
        let req = crate::ServiceRequest::new("Mast.Caom.Filtered")
            .param("columns", "*")
            .param("filters", filters.into_value())
            .cache_breaker("<uuid4>");
        assert_eq!(
            req.to_json(),
            r#"{"service": "Mast.Caom.Filtered", "params": {"columns": "*", "filters": [{"paramName": "dataproduct_type", "values": ["image"]}, {"paramName": "proposal_pi", "values": [], "freeText": "Ost%"}, {"paramName": "s_dec", "values": [{"min": 43.5, "max": 45.5}]}]}, "format": "json", "pagesize": 50000, "page": 1, "cacheBreaker": "<uuid4>"}"#
        );
    }

    #[test]
    fn captured_case_preserving_param_name_and_separator() {
        let c = Criteria::new().add("OBS_COLLECTION", "HST");
        assert_eq!(
            filters_json(&c, &caom()),
            r#"[{"paramName": "OBS_COLLECTION", "separator": ";", "values": ["HST"]}]"#
        );
        let c = Criteria::new().add("filters", ["NUV", "FUV"]);
        assert_eq!(
            filters_json(&c, &caom()),
            r#"[{"paramName": "filters", "separator": ";", "values": ["NUV", "FUV"]}]"#
        );
    }

    #[test]
    fn cli_form_gives_the_same_filters() {
        let c = Criteria::from_args(["dataproduct_type=image", "proposal_pi=Ost*", "s_dec=43.5..45.5"]).unwrap();
        assert_eq!(
            filters_json(&c, &caom()),
            r#"[{"paramName": "dataproduct_type", "values": ["image"]}, {"paramName": "proposal_pi", "values": [], "freeText": "Ost%"}, {"paramName": "s_dec", "values": [{"min": 43.5, "max": 45.5}]}]"#
        );
        // A comma list on a continuous column is min, max (astroquery's list form).
        let c = Criteria::from_args(["s_dec=43.5, 45.5"]).unwrap();
        assert_eq!(filters_json(&c, &caom()), r#"[{"paramName": "s_dec", "values": [{"min": 43.5, "max": 45.5}]}]"#);
        // Integer text stays an integer, float text a float.
        let c = Criteria::from_args(["t_exptime=100..2e3"]).unwrap();
        assert_eq!(
            filters_json(&c, &caom()),
            r#"[{"paramName": "t_exptime", "values": [{"min": 100, "max": 2000.0}]}]"#
        );
        // Discrete columns get the text as typed (no number conversion).
        let c = Criteria::from_args(["calib_level=3,1e1", "filters=*UV,Kepler"]).unwrap();
        assert_eq!(
            filters_json(&c, &caom()),
            r#"[{"paramName": "calib_level", "values": ["3", "1e1"]}, {"paramName": "filters", "separator": ";", "values": ["Kepler"], "freeText": "%UV"}]"#
        );
    }

    #[test]
    fn numbers_kept_as_given_on_continuous_columns() {
        let c = Criteria::new().add("s_ra", [1, 2]).add("t_min", [0.5, 1e16]).add("em_min", vec![-1.0, 0.0]);
        assert_eq!(
            filters_json(&c, &caom()),
            r#"[{"paramName": "s_ra", "values": [{"min": 1, "max": 2}]}, {"paramName": "t_min", "values": [{"min": 0.5, "max": 1e+16}]}, {"paramName": "em_min", "values": [{"min": -1.0, "max": 0.0}]}]"#
        );
        // Mixed int and float bounds stay as given.
        let c = Criteria::new().add("s_dec", [CriterionValue::Int(-5), CriterionValue::Float(5.5)]);
        assert_eq!(filters_json(&c, &caom()), r#"[{"paramName": "s_dec", "values": [{"min": -5, "max": 5.5}]}]"#);
    }

    #[test]
    fn discrete_values_are_python_str() {
        let c = Criteria::new().add(
            "obs_id",
            [
                CriterionValue::Int(3),
                CriterionValue::Float(1.0),
                CriterionValue::Float(1e-5),
                CriterionValue::Bool(true),
            ],
        );
        assert_eq!(filters_json(&c, &caom()), r#"[{"paramName": "obs_id", "values": ["3", "1.0", "1e-05", "True"]}]"#);
        // calib_level is "int" in the CAOM config: discrete.
        let c = Criteria::new().add("calib_level", [1, 3]);
        assert_eq!(filters_json(&c, &caom()), r#"[{"paramName": "calib_level", "values": ["1", "3"]}]"#);
        // An empty list is an empty values list.
        let c = Criteria::new().add("obs_id", Vec::<&str>::new());
        assert_eq!(filters_json(&c, &caom()), r#"[{"paramName": "obs_id", "values": []}]"#);
        // Non-ASCII text is escaped as json.dumps does.
        let c = Criteria::new().add("target_name", "Barnard’s Star");
        assert_eq!(filters_json(&c, &caom()), r#"[{"paramName": "target_name", "values": ["Barnard\u2019s Star"]}]"#);
    }

    #[test]
    fn wildcards() {
        let c = Criteria::new().add("target_name", ["M*", "NGC%", "x"]);
        let f = build_filters(&c, &caom()).unwrap();
        // Our intended behaviour (astroquery would send values ["NGC%", "x"] and no warning).
        assert_eq!(f.to_json(), r#"[{"paramName": "target_name", "values": ["x"], "freeText": "M%"}]"#);
        assert_eq!(f.warnings().len(), 1);
        assert_eq!(f.warnings()[0].category, WarningCategory::Input);
        assert_eq!(
            f.warnings()[0].message,
            "Only one wildcarded value may be used per filter, all others must be exact.\nSkipping NGC%..."
        );
        // Every * becomes %, % stays; a wildcard after exact values.
        let c = Criteria::new().add("proposal_pi", ["Smith", "*Osten*"]);
        assert_eq!(
            filters_json(&c, &caom()),
            r#"[{"paramName": "proposal_pi", "values": ["Smith"], "freeText": "%Osten%"}]"#
        );
        // Three wildcards: two warnings, exact values all kept.
        let c = Criteria::new().add("obs_id", ["a*", "b", "c*", "d%", "e"]);
        let f = build_filters(&c, &caom()).unwrap();
        assert_eq!(f.to_json(), r#"[{"paramName": "obs_id", "values": ["b", "e"], "freeText": "a%"}]"#);
        assert_eq!(f.warnings().len(), 2);
        assert!(f.warnings()[1].message.ends_with("Skipping d%..."));
        // The separator comes before values, freeText after.
        let c = Criteria::new().add("filters", ["F*", "NUV"]);
        assert_eq!(
            filters_json(&c, &caom()),
            r#"[{"paramName": "filters", "separator": ";", "values": ["NUV"], "freeText": "F%"}]"#
        );
    }

    #[test]
    fn continuous_warnings() {
        let c = Criteria::new().add("s_dec", 43.5).add("s_ra", [1.0, 2.0, 3.0]).add("t_min", Vec::<f64>::new());
        let f = build_filters(&c, &caom()).unwrap();
        assert_eq!(f.to_json(), r#"[{"paramName": "s_ra", "values": [{"min": 1.0, "max": 2.0}]}]"#);
        let messages: Vec<_> = f.warnings().iter().map(|w| (w.category, w.message.as_str())).collect();
        assert_eq!(
            messages,
            [
                (
                    WarningCategory::Input,
                    "s_dec is continuous, and filters based on min and max values.\nNot enough values provided, skipping..."
                ),
                (
                    WarningCategory::Input,
                    "s_ra is continuous, and filters based on min and max values.\nToo many values provided, the first two will be assumed to be the min and max values."
                ),
                (
                    WarningCategory::Input,
                    "t_min is continuous, and filters based on min and max values.\nNot enough values provided, skipping..."
                ),
            ]
        );
        // Keyword as typed in the warning.
        let f = build_filters(&Criteria::new().add("S_DEC", 1), &caom()).unwrap();
        assert!(f.is_empty());
        assert!(f.warnings()[0].message.starts_with("S_DEC is continuous"));
        // Extra values after the first two are not checked.
        let f = build_filters(&Criteria::new().add("s_dec", ["1", "2", "x"]), &caom()).unwrap();
        assert_eq!(f.to_json(), r#"[{"paramName": "s_dec", "values": [{"min": 1, "max": 2}]}]"#);
    }

    #[test]
    fn tic_and_dd_configs() {
        // DD: treatNumeric columns are continuous even without a datatype.
        let dd = ColumnConfig::parse(DD).unwrap();
        let c = Criteria::new().add("classifiers", [1, 5]).add("state", "complete");
        assert_eq!(
            filters_json(&c, &dd),
            r#"[{"paramName": "classifiers", "values": [{"min": 1, "max": 5}]}, {"paramName": "state", "values": ["complete"]}]"#
        );
        let f = build_filters(&Criteria::new().add("good", 3), &dd).unwrap();
        assert!(f.is_empty() && f.warnings().len() == 1);

        // TIC with the histogram merge of spec §3.2: Bmag becomes {"min", "max", "type": "numeric"}.
        let mut tic = ColumnConfig::parse(TIC).unwrap();
        let hist: Value = serde_json::from_slice(TIC_HIST).unwrap();
        let props = &hist["data"]["Tables"][0]["ExtendedProperties"];
        for kind in ["discreteHistogram", "continuousHistogram"] {
            for (name, entry) in props[kind].as_object().unwrap() {
                let mut entry = entry.clone();
                entry.as_object_mut().unwrap().remove("hist");
                tic.entries_mut().insert(name.clone(), entry);
            }
        }
        // Catalogs.query_criteria(catalog="Tic", Bmag=[30, 50], objType="STAR")
        let c = Criteria::new().add("Bmag", [30, 50]).add("objType", "STAR");
        assert_eq!(
            filters_json(&c, &tic),
            r#"[{"paramName": "Bmag", "values": [{"min": 30, "max": 50}]}, {"paramName": "objType", "values": ["STAR"]}]"#
        );
        // Without the merge Bmag is discrete.
        let plain = ColumnConfig::parse(TIC).unwrap();
        assert_eq!(
            filters_json(&Criteria::new().add("Bmag", [30, 50]), &plain),
            r#"[{"paramName": "Bmag", "values": ["30", "50"]}]"#
        );
    }

    #[test]
    fn unknown_keywords_suggest_like_python() {
        // Expected suggestions computed with Python's difflib.get_close_matches(kw, keys, n=1).
        let cases = [
            ("obs_colection", Some("obs_collection")),
            ("instrument", Some("instrument_name")),
            ("proposalpi", Some("proposal_pi")),
            ("t_exp", Some("t_exptime")),
            ("sdec", Some("s_dec")),
            ("dataproduct", Some("dataproduct_type")),
            ("filter", Some("filters")),
            ("target", Some("target_name")),
            ("calib", Some("calib_level")),
            ("objid_1", Some("obsid")),
            ("xyz", None),
            ("S_DECL", None),
        ];
        for (kw, best) in cases {
            let message = err_message(build_filters(&Criteria::new().add(kw, "x"), &caom()));
            let expected = match best {
                Some(b) => format!("Filter '{kw}' does not exist. Did you mean '{b}'?"),
                None => format!("Filter '{kw}' does not exist."),
            };
            assert_eq!(message, expected, "{kw}");
        }
        let dd = ColumnConfig::parse(DD).unwrap();
        assert_eq!(
            err_message(build_filters(&Criteria::new().add("clasifiers", [1, 2]), &dd)),
            "Filter 'clasifiers' does not exist. Did you mean 'classifiers'?"
        );
        // An unknown keyword after a valid one still fails the whole build.
        let c = Criteria::new().add("s_dec", [1, 2]).add("nope", 1);
        assert!(build_filters(&c, &caom()).is_err());
        // Case-insensitive lookup: these exist.
        let c = Criteria::new().add("Obs_Collection", "HST").add("S_DEC", [1, 2]).add("OBSID", "1");
        assert_eq!(build_filters(&c, &caom()).unwrap().len(), 3);
        // The error class is astroquery's.
        assert_eq!(
            build_filters(&Criteria::new().add("nope", 1), &caom()).unwrap_err().class_name(),
            "InvalidQueryError"
        );
    }

    #[test]
    fn additions_are_errors_naming_the_keyword() {
        let c = Criteria::from_args(["calib_level=1..3"]).unwrap();
        assert_eq!(
            err_message(build_filters(&c, &caom())),
            "Filter 'calib_level' is not a continuous column: it takes exact values, not a range ('1..3'). Give a list of values instead."
        );
        let c = Criteria::from_args(["s_dec=abc..3"]).unwrap();
        assert_eq!(
            err_message(build_filters(&c, &caom())),
            "Filter 's_dec' is continuous and filters on a minimum and a maximum, but 'abc' is not a finite number."
        );
        let c = Criteria::new().add("s_dec", ["1", "nan"]);
        assert!(err_message(build_filters(&c, &caom())).contains("'nan' is not a finite number"));
        let c = Criteria::new().add("s_dec", [CriterionValue::Bool(true), CriterionValue::Int(3)]);
        assert!(err_message(build_filters(&c, &caom())).contains("'True' is not a finite number"));
        let c = Criteria::new().add("s_dec", [f64::INFINITY, 1.0]);
        assert!(err_message(build_filters(&c, &caom())).contains("'inf' is not a finite number"));
        let c = Criteria::new().range("s_dec", 45.5, 43.5);
        assert_eq!(
            err_message(build_filters(&c, &caom())),
            "Filter 's_dec' has a minimum (45.5) greater than its maximum (43.5); give the range as min..max."
        );
        // Equal bounds are fine.
        let c = Criteria::new().range("s_dec", 1, 1.0);
        assert_eq!(filters_json(&c, &caom()), r#"[{"paramName": "s_dec", "values": [{"min": 1, "max": 1.0}]}]"#);
    }

    #[test]
    fn a_single_non_numeric_value_on_a_continuous_column_is_an_error() {
        for (criteria, bad) in [
            (Criteria::from_args(["t_min=yesterday"]).unwrap(), "yesterday"),
            (Criteria::new().add("s_dec", "abc").add("obs_collection", "HST"), "abc"),
            (Criteria::new().add("s_dec", true), "True"),
        ] {
            let message = err_message(build_filters(&criteria, &caom()));
            let keyword = criteria.keywords().next().unwrap();
            assert_eq!(
                message,
                format!(
                    "Filter '{keyword}' is continuous and filters on a minimum and a maximum, but '{bad}' is not a finite number."
                )
            );
        }
        // A single number is still astroquery's warning, and the criterion is dropped.
        let f = build_filters(&Criteria::from_args(["t_min=5"]).unwrap(), &caom()).unwrap();
        assert!(f.is_empty() && f.warnings().len() == 1);
    }

    #[test]
    fn no_criteria_left_is_the_callers_decision() {
        let f = build_filters(&Criteria::new(), &caom()).unwrap();
        assert!(f.is_empty());
        assert_eq!(f.to_json(), "[]");
        assert_eq!(Filters::default(), Filters::empty());
        // An empty config knows no keyword.
        assert_eq!(
            err_message(build_filters(&Criteria::new().add("s_dec", [1, 2]), &ColumnConfig::default())),
            "Filter 's_dec' does not exist."
        );
    }

    #[test]
    fn separator_must_be_truthy() {
        let config =
            ColumnConfig::parse(br#"{"a": {"separator": ""}, "b": {"separator": null}, "c": {"separator": ","}}"#)
                .unwrap();
        let c = Criteria::new().add("a", "1").add("b", "2").add("c", "3");
        assert_eq!(
            filters_json(&c, &config),
            r#"[{"paramName": "a", "values": ["1"]}, {"paramName": "b", "values": ["2"]}, {"paramName": "c", "separator": ",", "values": ["3"]}]"#
        );
    }
}
