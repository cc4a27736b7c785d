//! Criteria keywords → the Portal `filters` parameter (spec §3.4–3.6).
//!
//! A criteria query (`Observations.query_criteria`, `Catalogs.query_criteria` for TIC, CTL and
//! Disk Detective) sends its non-positional criteria as a list of filter objects in the
//! request's `params.filters`. [`build_filters`] turns a [`Criteria`] list into that list
//! exactly as astroquery's `PortalAPI.build_filter_set` does, validating every keyword
//! against the service's [`ColumnConfig`] before anything is sent:
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

use std::fmt;

use serde_json::{Map, Value};

use crate::{ColumnConfig, Error, Result, Warning, WarningCategory, pyfmt};

/// One value given for a criterion keyword: what a Python caller would pass as a `str`,
/// `int`, `float` or `bool`.
///
/// ```
/// use mast_proto::criteria::CriterionValue;
/// assert_eq!(CriterionValue::from("image"), CriterionValue::Text("image".into()));
/// assert_eq!(CriterionValue::from(3).to_string(), "3");
/// assert_eq!(CriterionValue::from(1e-5).to_string(), "1e-05"); // Python str(float)
/// assert_eq!(CriterionValue::from(true).to_string(), "True");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum CriterionValue {
    /// Text (`"image"`, `"Ost*"`); on a continuous column it must read as a number.
    Text(String),
    /// An integer; sent as given in ranges (`{"min": 1, ...}`), as `"3"` for discrete columns.
    Int(i64),
    /// A float; sent as given in ranges, as Python's `str(float)` for discrete columns.
    Float(f64),
    /// A boolean; `"True"` / `"False"` for discrete columns, refused in ranges.
    Bool(bool),
}

impl CriterionValue {
    /// The value as Python's `str()` writes it, which is how astroquery sends discrete values:
    /// `3` → `"3"`, `1.0` → `"1.0"`, `true` → `"True"`, text unchanged.
    ///
    /// ```
    /// use mast_proto::criteria::CriterionValue;
    /// assert_eq!(CriterionValue::Float(45.0).python_str(), "45.0");
    /// assert_eq!(CriterionValue::Int(-3).python_str(), "-3");
    /// ```
    pub fn python_str(&self) -> String {
        match self {
            CriterionValue::Text(s) => s.clone(),
            CriterionValue::Int(i) => i.to_string(),
            CriterionValue::Float(x) => pyfmt::float_repr(*x),
            CriterionValue::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
        }
    }
}

impl fmt::Display for CriterionValue {
    /// Python `str()`, as [`CriterionValue::python_str`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.python_str())
    }
}

impl From<&str> for CriterionValue {
    fn from(s: &str) -> Self {
        CriterionValue::Text(s.to_owned())
    }
}

impl From<String> for CriterionValue {
    fn from(s: String) -> Self {
        CriterionValue::Text(s)
    }
}

impl From<&String> for CriterionValue {
    fn from(s: &String) -> Self {
        CriterionValue::Text(s.clone())
    }
}

impl From<i64> for CriterionValue {
    fn from(i: i64) -> Self {
        CriterionValue::Int(i)
    }
}

impl From<i32> for CriterionValue {
    fn from(i: i32) -> Self {
        CriterionValue::Int(i.into())
    }
}

impl From<u32> for CriterionValue {
    fn from(i: u32) -> Self {
        CriterionValue::Int(i.into())
    }
}

impl From<f64> for CriterionValue {
    fn from(x: f64) -> Self {
        CriterionValue::Float(x)
    }
}

impl From<bool> for CriterionValue {
    fn from(b: bool) -> Self {
        CriterionValue::Bool(b)
    }
}

/// What one criterion keyword was given: a list of values (what a Python caller passes as a
/// scalar or a list), or an explicit range (the command line's `a..b`).
///
/// On a continuous column a list must hold the minimum and the maximum (astroquery's
/// `s_dec=[43.5, 45.5]`); on a discrete column every list item is an accepted value. A
/// [`CriterionValues::Range`] is only accepted on continuous columns.
///
/// ```
/// use mast_proto::criteria::{CriterionValue, CriterionValues};
/// assert_eq!(CriterionValues::from("image"), CriterionValues::List(vec![CriterionValue::Text("image".into())]));
/// assert_eq!(CriterionValues::from([43.5, 45.5]).len(), 2);
/// assert_eq!(CriterionValues::parse("43.5..45.5")?, CriterionValues::range("43.5", "45.5"));
/// # Ok::<(), mast_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum CriterionValues {
    /// Values as a Python caller would pass them (a scalar is a one-item list).
    List(Vec<CriterionValue>),
    /// An explicit inclusive range; continuous columns only.
    Range {
        /// The lower bound.
        min: CriterionValue,
        /// The upper bound.
        max: CriterionValue,
    },
}

impl CriterionValues {
    /// An explicit range `min..max`.
    ///
    /// ```
    /// use mast_proto::criteria::{CriterionValue, CriterionValues};
    /// let r = CriterionValues::range(43.5, 45.5);
    /// assert_eq!(r, CriterionValues::Range { min: CriterionValue::Float(43.5), max: CriterionValue::Float(45.5) });
    /// ```
    pub fn range(min: impl Into<CriterionValue>, max: impl Into<CriterionValue>) -> Self {
        CriterionValues::Range { min: min.into(), max: max.into() }
    }

    /// Number of values (2 for a range).
    ///
    /// ```
    /// use mast_proto::criteria::CriterionValues;
    /// assert_eq!(CriterionValues::from(["NUV", "FUV"]).len(), 2);
    /// assert_eq!(CriterionValues::range(1, 2).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        match self {
            CriterionValues::List(v) => v.len(),
            CriterionValues::Range { .. } => 2,
        }
    }

    /// Whether this is an empty list.
    ///
    /// ```
    /// use mast_proto::criteria::CriterionValues;
    /// assert!(CriterionValues::List(vec![]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Parses the value part of a command-line criterion (`key=value`, see [`Criteria::parse_arg`]).
    ///
    /// - Unescaped commas separate values: `NUV,FUV` is two values.
    /// - A single value with an unescaped `..` is a range: `43.5..45.5`, `-1..1e3`.
    /// - A backslash escapes a comma, a dot or itself: `Osten\, Rachel A.` is one value,
    ///   `a\.\.b` is the text `a..b`; any other backslash is kept as it is.
    /// - Whitespace around each value (and around range bounds) is removed; `key=` gives one
    ///   empty value.
    /// - Values stay text: a discrete column receives them exactly as typed, a continuous one
    ///   reads them as numbers (see [`build_filters`]).
    ///
    /// A range mixed with other values (`1..2,5`) or with two `..` (`1..2..3`) is an
    /// [`Error::InvalidQuery`].
    ///
    /// ```
    /// use mast_proto::criteria::{CriterionValue, CriterionValues};
    /// assert_eq!(
    ///     CriterionValues::parse(r"*UV,Kepler, Osten\, R.")?,
    ///     CriterionValues::from(["*UV", "Kepler", "Osten, R."])
    /// );
    /// assert_eq!(CriterionValues::parse("-1 .. 2")?, CriterionValues::range("-1", "2"));
    /// assert!(CriterionValues::parse("1..2,5").is_err());
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<CriterionValues> {
        let items = split_escaped(text);
        let mut values = Vec::with_capacity(items.len());
        let single = items.len() == 1;
        for item in &items {
            let item = trim_item(item);
            match find_range_marker(item) {
                Some(at) => {
                    if !single {
                        return Err(invalid(format!(
                            "'{text}' mixes a range with other values; give either one range min..max or a list of values"
                        )));
                    }
                    let (lo, hi) = (trim_item(&item[..at]), trim_item(&item[at + 2..]));
                    if find_range_marker(hi).is_some() {
                        return Err(invalid(format!("'{text}' has more than one '..'; a range is written min..max")));
                    }
                    return Ok(CriterionValues::range(collect_item(lo), collect_item(hi)));
                }
                None => values.push(CriterionValue::Text(collect_item(item))),
            }
        }
        Ok(CriterionValues::List(values))
    }
}

/// A character of a command-line value and whether it was backslash-escaped.
type Escaped = (char, bool);

/// Splits on unescaped commas, resolving `\,`, `\.` and `\\`.
fn split_escaped(text: &str) -> Vec<Vec<Escaped>> {
    let mut items = vec![Vec::new()];
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some(',' | '.' | '\\')) => {
                let next = chars.next().unwrap_or('\\');
                items.last_mut().expect("never empty").push((next, true));
            }
            ',' => items.push(Vec::new()),
            _ => items.last_mut().expect("never empty").push((c, false)),
        }
    }
    items
}

fn trim_item(item: &[Escaped]) -> &[Escaped] {
    let start = item.iter().position(|(c, esc)| *esc || !c.is_whitespace()).unwrap_or(item.len());
    let end = item.iter().rposition(|(c, esc)| *esc || !c.is_whitespace()).map_or(start, |e| e + 1);
    &item[start..end.max(start)]
}

/// Index of the first unescaped `..`.
fn find_range_marker(item: &[Escaped]) -> Option<usize> {
    item.windows(2).position(|w| w[0] == ('.', false) && w[1] == ('.', false))
}

fn collect_item(item: &[Escaped]) -> String {
    item.iter().map(|(c, _)| *c).collect()
}

impl From<CriterionValue> for CriterionValues {
    fn from(v: CriterionValue) -> Self {
        CriterionValues::List(vec![v])
    }
}

macro_rules! scalar_into_values {
    ($($t:ty),*) => {$(
        impl From<$t> for CriterionValues {
            fn from(v: $t) -> Self {
                CriterionValues::List(vec![CriterionValue::from(v)])
            }
        }
    )*};
}
scalar_into_values!(&str, String, &String, i64, i32, u32, f64, bool);

impl<T: Into<CriterionValue>, const N: usize> From<[T; N]> for CriterionValues {
    fn from(values: [T; N]) -> Self {
        CriterionValues::List(values.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<CriterionValue>> From<Vec<T>> for CriterionValues {
    fn from(values: Vec<T>) -> Self {
        CriterionValues::List(values.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<CriterionValue> + Clone> From<&[T]> for CriterionValues {
    fn from(values: &[T]) -> Self {
        CriterionValues::List(values.iter().cloned().map(Into::into).collect())
    }
}

/// An ordered list of criteria: keyword → values, as a Python caller's `**criteria`.
///
/// Keywords keep the order they were first added in (the order of the `filters` entries). Adding
/// a keyword that is already present (same spelling) replaces its values in place, as a
/// Python keyword dictionary would; keywords that differ only in case are separate criteria
/// (each becomes its own filter, as in astroquery).
///
/// Position keywords (`coordinates`, `object_name`, `radius`) are not criteria: callers take
/// them out first ([`Criteria::remove`]) and pass the rest to [`build_filters`].
///
/// ```
/// use mast_proto::criteria::Criteria;
/// let criteria = Criteria::new()
///     .add("dataproduct_type", ["image"])
///     .add("proposal_pi", "Osten*")
///     .add("s_dec", [43.5, 45.5])
///     .range("t_exptime", 100, 2000);
/// assert_eq!(criteria.len(), 4);
/// assert_eq!(criteria.keywords().collect::<Vec<_>>(), ["dataproduct_type", "proposal_pi", "s_dec", "t_exptime"]);
///
/// // The command-line form:
/// let cli = Criteria::from_args(["dataproduct_type=image", "proposal_pi=Osten*", "s_dec=43.5..45.5"])?;
/// assert_eq!(cli.len(), 3);
/// # Ok::<(), mast_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Criteria {
    items: Vec<(String, CriterionValues)>,
}

impl Criteria {
    /// No criteria.
    ///
    /// ```
    /// assert!(mast_proto::criteria::Criteria::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Criteria::default()
    }

    /// Adds a criterion (builder form of [`Criteria::insert`]): a scalar, an array, a `Vec` or
    /// a slice of `&str`, `String`, integers, floats or booleans, or a [`CriterionValues`].
    ///
    /// ```
    /// use mast_proto::criteria::Criteria;
    /// let c = Criteria::new().add("filters", ["NUV", "FUV"]).add("calib_level", 3);
    /// assert_eq!(c.get("calib_level").map(|v| v.len()), Some(1));
    /// ```
    pub fn add(mut self, keyword: impl Into<String>, values: impl Into<CriterionValues>) -> Self {
        self.insert(keyword, values);
        self
    }

    /// Adds an explicit range `min..max` for a continuous column.
    ///
    /// ```
    /// use mast_proto::criteria::{Criteria, CriterionValues};
    /// let c = Criteria::new().range("s_dec", 43.5, 45.5);
    /// assert_eq!(c.get("s_dec"), Some(&CriterionValues::range(43.5, 45.5)));
    /// ```
    pub fn range(
        self,
        keyword: impl Into<String>,
        min: impl Into<CriterionValue>,
        max: impl Into<CriterionValue>,
    ) -> Self {
        self.add(keyword, CriterionValues::range(min, max))
    }

    /// Adds a criterion, replacing the values of an identically spelt keyword in place.
    ///
    /// ```
    /// use mast_proto::criteria::{Criteria, CriterionValues};
    /// let mut c = Criteria::new().add("obs_collection", "HST").add("filters", "NUV");
    /// c.insert("obs_collection", "TESS");
    /// assert_eq!(c.keywords().collect::<Vec<_>>(), ["obs_collection", "filters"]);
    /// assert_eq!(c.get("obs_collection"), Some(&CriterionValues::from("TESS")));
    /// ```
    pub fn insert(&mut self, keyword: impl Into<String>, values: impl Into<CriterionValues>) {
        let keyword = keyword.into();
        let values = values.into();
        match self.items.iter_mut().find(|(k, _)| *k == keyword) {
            Some(slot) => slot.1 = values,
            None => self.items.push((keyword, values)),
        }
    }

    /// Removes the criterion spelt exactly `keyword` and returns its values (for the position
    /// keywords `coordinates`, `object_name`, `radius`, which are not filters).
    ///
    /// ```
    /// use mast_proto::criteria::{Criteria, CriterionValues};
    /// let mut c = Criteria::from_args(["object_name=M101", "filters=NUV,FUV"])?;
    /// assert_eq!(c.remove("object_name"), Some(CriterionValues::from("M101")));
    /// assert_eq!(c.len(), 1);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn remove(&mut self, keyword: &str) -> Option<CriterionValues> {
        let at = self.items.iter().position(|(k, _)| k == keyword)?;
        Some(self.items.remove(at).1)
    }

    /// The values of the criterion spelt exactly `keyword`.
    ///
    /// ```
    /// use mast_proto::criteria::Criteria;
    /// assert!(Criteria::new().add("filters", "NUV").get("FILTERS").is_none());
    /// ```
    pub fn get(&self, keyword: &str) -> Option<&CriterionValues> {
        self.items.iter().find(|(k, _)| k == keyword).map(|(_, v)| v)
    }

    /// The criteria, in order.
    ///
    /// ```
    /// use mast_proto::criteria::Criteria;
    /// let c = Criteria::new().add("a", 1).add("b", 2);
    /// assert_eq!(c.iter().map(|(k, v)| (k, v.len())).collect::<Vec<_>>(), [("a", 1), ("b", 1)]);
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &CriterionValues)> + '_ {
        self.items.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The keywords, in order.
    ///
    /// ```
    /// use mast_proto::criteria::Criteria;
    /// assert_eq!(Criteria::new().add("b", 1).add("a", 2).keywords().collect::<Vec<_>>(), ["b", "a"]);
    /// ```
    pub fn keywords(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.items.iter().map(|(k, _)| k.as_str())
    }

    /// Number of criteria.
    ///
    /// ```
    /// assert_eq!(mast_proto::criteria::Criteria::new().add("a", 1).len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no criteria.
    ///
    /// ```
    /// assert!(mast_proto::criteria::Criteria::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Parses one command-line criterion `key=value`: the keyword is everything before the
    /// first `=` (trimmed, not empty); the value is read by [`CriterionValues::parse`]
    /// (comma lists, `a..b` ranges, `\,` to escape a comma).
    ///
    /// ```
    /// use mast_proto::criteria::{Criteria, CriterionValues};
    /// assert_eq!(Criteria::parse_arg("dataproduct_type=image")?, ("dataproduct_type".to_owned(), CriterionValues::from("image")));
    /// assert_eq!(Criteria::parse_arg("proposal_pi=Osten*")?.1, CriterionValues::from("Osten*"));
    /// assert_eq!(Criteria::parse_arg("s_dec=43.5..45.5")?.1, CriterionValues::range("43.5", "45.5"));
    /// assert_eq!(Criteria::parse_arg("filters=*UV,Kepler")?.1, CriterionValues::from(["*UV", "Kepler"]));
    /// assert!(Criteria::parse_arg("image").is_err());
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn parse_arg(arg: &str) -> Result<(String, CriterionValues)> {
        let Some((key, value)) = arg.split_once('=') else {
            return Err(invalid(format!(
                "criterion '{arg}' is not of the form keyword=value (e.g. dataproduct_type=image, s_dec=43.5..45.5)"
            )));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(invalid(format!("criterion '{arg}' has no keyword before '='")));
        }
        let values =
            CriterionValues::parse(value).map_err(|e| invalid(format!("criterion '{key}': {}", error_message(&e))))?;
        Ok((key.to_owned(), values))
    }

    /// Adds one command-line criterion `key=value` (see [`Criteria::parse_arg`]).
    ///
    /// ```
    /// use mast_proto::criteria::Criteria;
    /// let c = Criteria::new().arg("filters=NUV,FUV")?.arg("s_dec=43.5..45.5")?;
    /// assert_eq!(c.len(), 2);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn arg(mut self, arg: &str) -> Result<Self> {
        let (key, values) = Criteria::parse_arg(arg)?;
        self.insert(key, values);
        Ok(self)
    }

    /// Criteria from command-line arguments `key=value`, in order.
    ///
    /// ```
    /// use mast_proto::criteria::Criteria;
    /// let c = Criteria::from_args(["obs_collection=HST", "s_dec=43.5..45.5"])?;
    /// assert_eq!(c.keywords().collect::<Vec<_>>(), ["obs_collection", "s_dec"]);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn from_args<I, S>(args: I) -> Result<Criteria>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        args.into_iter().try_fold(Criteria::new(), |c, a| c.arg(a.as_ref()))
    }
}

impl<K: Into<String>, V: Into<CriterionValues>> FromIterator<(K, V)> for Criteria {
    /// Criteria from `(keyword, values)` pairs, as [`Criteria::insert`] would add them.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut c = Criteria::new();
        for (k, v) in iter {
            c.insert(k, v);
        }
        c
    }
}

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
///   `"43.5"` as `43.5`; booleans are refused);
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

/// Text read as a finite number: an integer when it is one (`"45"` → `45`), else a float with
/// Python's `float()` syntax.
fn parse_number(text: &str) -> Option<(Value, f64)> {
    let t = text.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Some((Value::from(i), i as f64));
    }
    let x = python_float(t)?;
    serde_json::Number::from_f64(x).map(|n| (Value::Number(n), x))
}

/// Python's `float(text)`: surrounding whitespace ignored, `_` allowed between digits,
/// `nan`/`inf`/`infinity` in any case with an optional sign.
pub(crate) fn python_float(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.contains('_') {
        let bytes = t.as_bytes();
        let ok = bytes.iter().enumerate().all(|(i, b)| {
            *b != b'_'
                || (i > 0 && bytes[i - 1].is_ascii_digit() && bytes.get(i + 1).is_some_and(|n| n.is_ascii_digit()))
        });
        if !ok {
            return None;
        }
        return t.replace('_', "").parse().ok();
    }
    t.parse().ok()
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

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidQuery { message: message.into() }
}

fn error_message(e: &Error) -> String {
    match e {
        Error::InvalidQuery { message } => message.clone(),
        other => other.to_string(),
    }
}

/// Python's `difflib` similarity, as astroquery uses it for "Did you mean" suggestions.
///
/// [`ratio`](difflib::ratio) is `difflib.SequenceMatcher(None, a, b).ratio()` and
/// [`get_close_matches`](difflib::get_close_matches) is
/// `difflib.get_close_matches`, reproduced exactly: Ratcliff/Obershelp matching (the longest
/// matching block, then the same on both sides of it), over Unicode code points, case
/// sensitive, with difflib's "autojunk" rule (when the second sequence has 200 or more
/// elements, elements making up more than 1% of it are not used to start a match). The
/// `real_quick_ratio`/`quick_ratio` pre-filters of `get_close_matches` are upper bounds of
/// `ratio` and do not change its answer, so they are left out.
///
/// ```
/// use mast_proto::criteria::difflib;
/// assert_eq!(difflib::ratio("abcd", "bcde"), 0.75);
/// assert_eq!(difflib::get_close_matches("appel", ["ape", "apple", "peach", "puppy"], 3, 0.6), ["apple", "ape"]);
/// ```
pub mod difflib {
    use std::collections::HashMap;

    /// `difflib.SequenceMatcher(None, a, b).ratio()`: `2 * M / T`, where `M` is the number of
    /// matched code points and `T` the total length of both strings (`1.0` when both are
    /// empty). Not symmetric in general, as in Python.
    ///
    /// ```
    /// use mast_proto::criteria::difflib::ratio;
    /// assert_eq!(ratio("abcd", "bcde"), 0.75);
    /// assert_eq!(ratio("", ""), 1.0);
    /// assert_eq!(ratio("obs_collection", "obs_colection"), 0.9629629629629629);
    /// ```
    pub fn ratio(a: &str, b: &str) -> f64 {
        let b: Vec<char> = b.chars().collect();
        let a: Vec<char> = a.chars().collect();
        Matcher::new(&b).ratio(&a)
    }

    /// `difflib.get_close_matches(word, possibilities, n, cutoff)`: the at most `n`
    /// possibilities whose [`ratio`]`(possibility, word)` is at least `cutoff`, best first;
    /// equal scores are ordered by the possibility text, larger first (Python compares the
    /// `(score, text)` pairs). `n == 0` gives nothing (Python raises `ValueError` there).
    ///
    /// ```
    /// use mast_proto::criteria::difflib::get_close_matches;
    /// assert_eq!(get_close_matches("appel", ["ape", "apple", "peach", "puppy"], 1, 0.6), ["apple"]);
    /// assert_eq!(get_close_matches("ab", ["ba", "ab_", "ab-"], 3, 0.6), ["ab_", "ab-"]);
    /// assert!(get_close_matches("xyz", ["s_ra", "s_dec"], 1, 0.6).is_empty());
    /// ```
    pub fn get_close_matches<'a>(
        word: &str,
        possibilities: impl IntoIterator<Item = &'a str>,
        n: usize,
        cutoff: f64,
    ) -> Vec<&'a str> {
        if n == 0 {
            return Vec::new();
        }
        let word: Vec<char> = word.chars().collect();
        let matcher = Matcher::new(&word);
        let mut scored: Vec<(f64, &'a str)> = possibilities
            .into_iter()
            .filter_map(|x| {
                let a: Vec<char> = x.chars().collect();
                let score = matcher.ratio(&a);
                (score >= cutoff).then_some((score, x))
            })
            .collect();
        scored.sort_by(|(s1, x1), (s2, x2)| s2.total_cmp(s1).then_with(|| x2.cmp(x1)));
        scored.into_iter().take(n).map(|(_, x)| x).collect()
    }

    /// A `SequenceMatcher` with a fixed second sequence `b` (difflib's `b2j` index).
    struct Matcher<'b> {
        b: &'b [char],
        b2j: HashMap<char, Vec<usize>>,
    }

    impl<'b> Matcher<'b> {
        fn new(b: &'b [char]) -> Self {
            let mut b2j: HashMap<char, Vec<usize>> = HashMap::new();
            for (j, c) in b.iter().enumerate() {
                b2j.entry(*c).or_default().push(j);
            }
            // difflib's autojunk: popular elements of a long `b` do not start matches.
            let n = b.len();
            if n >= 200 {
                let ntest = n / 100 + 1;
                b2j.retain(|_, js| js.len() <= ntest);
            }
            Matcher { b, b2j }
        }

        fn ratio(&self, a: &[char]) -> f64 {
            let total = a.len() + self.b.len();
            if total == 0 {
                return 1.0;
            }
            2.0 * self.matched(a) as f64 / total as f64
        }

        /// Sum of the sizes of `get_matching_blocks()`.
        fn matched(&self, a: &[char]) -> usize {
            let mut queue = vec![(0, a.len(), 0, self.b.len())];
            let mut total = 0;
            while let Some((alo, ahi, blo, bhi)) = queue.pop() {
                let (i, j, k) = self.find_longest_match(a, alo, ahi, blo, bhi);
                if k > 0 {
                    total += k;
                    if alo < i && blo < j {
                        queue.push((alo, i, blo, j));
                    }
                    if i + k < ahi && j + k < bhi {
                        queue.push((i + k, ahi, j + k, bhi));
                    }
                }
            }
            total
        }

        /// `SequenceMatcher.find_longest_match` with no junk function: the longest block
        /// `a[i..i+k] == b[j..j+k]` inside the ranges, earliest in `a`, then earliest in `b`,
        /// extended over elements the autojunk rule left out of the index.
        fn find_longest_match(
            &self,
            a: &[char],
            alo: usize,
            ahi: usize,
            blo: usize,
            bhi: usize,
        ) -> (usize, usize, usize) {
            let b = self.b;
            let (mut besti, mut bestj, mut bestsize) = (alo, blo, 0);
            let mut j2len: HashMap<usize, usize> = HashMap::new();
            for (i, c) in a.iter().enumerate().take(ahi).skip(alo) {
                let mut new_j2len = HashMap::new();
                if let Some(js) = self.b2j.get(c) {
                    for &j in js {
                        if j < blo {
                            continue;
                        }
                        if j >= bhi {
                            break;
                        }
                        let k = j.checked_sub(1).and_then(|p| j2len.get(&p)).copied().unwrap_or(0) + 1;
                        new_j2len.insert(j, k);
                        if k > bestsize {
                            (besti, bestj, bestsize) = (i + 1 - k, j + 1 - k, k);
                        }
                    }
                }
                j2len = new_j2len;
            }
            while besti > alo && bestj > blo && a[besti - 1] == b[bestj - 1] {
                besti -= 1;
                bestj -= 1;
                bestsize += 1;
            }
            while besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] == b[bestj + bestsize] {
                bestsize += 1;
            }
            (besti, bestj, bestsize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAOM: &[u8] = include_bytes!("../../mast-emulator/data/astroquery-recorded/columnsconfig.json");
    const DD: &[u8] = include_bytes!("../../mast-emulator/data/astroquery-recorded/ddcolumns.json");
    const TIC: &[u8] = include_bytes!("../../mast-emulator/data/astroquery-recorded/ticcolumns.json");
    const TIC_HIST: &[u8] = include_bytes!("../../mast-emulator/data/astroquery-recorded/ticcolumns_filtered.json");

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

    #[test]
    fn cli_parsing() {
        let p = |s: &str| Criteria::parse_arg(s).unwrap();
        assert_eq!(p("dataproduct_type=image"), ("dataproduct_type".into(), CriterionValues::from("image")));
        assert_eq!(p(" s_dec = 43.5..45.5 "), ("s_dec".into(), CriterionValues::range("43.5", "45.5")));
        assert_eq!(p("filters=*UV,Kepler").1, CriterionValues::from(["*UV", "Kepler"]));
        assert_eq!(p(r"proposal_pi=Osten\, Rachel A.").1, CriterionValues::from("Osten, Rachel A."));
        assert_eq!(p(r"target_name=a\.\.b").1, CriterionValues::from("a..b"));
        assert_eq!(p(r"target_name=a\..b").1, CriterionValues::from("a..b"));
        assert_eq!(p(r"x=C:\data\\,y").1, CriterionValues::from([r"C:\data\", "y"]));
        assert_eq!(p("x=").1, CriterionValues::from(""));
        assert_eq!(p("x=a,,b").1, CriterionValues::from(["a", "", "b"]));
        assert_eq!(p("x=a=b").1, CriterionValues::from("a=b"));
        assert_eq!(p("x=-1e3..-5").1, CriterionValues::range("-1e3", "-5"));
        assert_eq!(p("x=..5").1, CriterionValues::range("", "5"));
        for bad in ["image", "=image", " =x", "x=1..2,3", "x=1,2..3", "x=1..2..3"] {
            let e = Criteria::parse_arg(bad).unwrap_err();
            assert_eq!(e.class_name(), "InvalidQueryError", "{bad}");
        }
        assert_eq!(
            Criteria::parse_arg("s_dec=1..2,3").unwrap_err().to_string(),
            "criterion 's_dec': '1..2,3' mixes a range with other values; give either one range min..max or a list of values"
        );
        // Same keyword twice: the last value wins, in the first position.
        let c = Criteria::from_args(["a=1", "b=2", "a=3"]).unwrap();
        assert_eq!(
            c.iter().map(|(k, v)| (k, v.clone())).collect::<Vec<_>>(),
            [("a", CriterionValues::from("3")), ("b", CriterionValues::from("2"))]
        );
        let c: Criteria = [("a", 1), ("b", 2)].into_iter().collect();
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn python_float_syntax() {
        assert_eq!(python_float(" 1_000.5 "), Some(1000.5));
        assert_eq!(python_float(".5"), Some(0.5));
        assert_eq!(python_float("5."), Some(5.0));
        assert_eq!(python_float("-1E-3"), Some(-0.001));
        assert_eq!(python_float("+inf"), Some(f64::INFINITY));
        assert!(python_float("NaN").is_some_and(f64::is_nan));
        for bad in ["", "_1", "1_", "1__0", "1_.5", "abc", "1e", "0x10"] {
            assert_eq!(python_float(bad), None, "{bad}");
        }
    }

    /// Expected values from Python 3: `difflib.SequenceMatcher(None, a, b).ratio()`.
    #[test]
    fn difflib_ratio_matches_python() {
        let cases: &[(&str, &str, f64)] = &[
            ("abcd", "bcde", 0.75),
            ("qabxcd", "abycdf", 0.6666666666666666),
            ("private Thread currentThread;", "private volatile Thread currentThread;", 0.8656716417910447),
            ("obs_collection", "obs_colection", 0.9629629629629629),
            ("instrument_name", "instrument", 0.8),
            ("obs_id", "objid1", 0.6666666666666666),
            ("", "", 1.0),
            ("a", "", 0.0),
        ];
        for (a, b, expected) in cases {
            assert_eq!(difflib::ratio(a, b), *expected, "{a:?} {b:?}");
        }
        // autojunk: with a 210-element b, 'a' (150 > 3) and 'b' (60 > 3) are popular.
        let a = format!("{}{}", "a".repeat(100), "b".repeat(100));
        let b = format!("{}{}", "a".repeat(150), "b".repeat(60));
        assert_eq!(difflib::ratio(&a, &b), 0.4878048780487805);
    }

    #[test]
    fn difflib_close_matches_match_python() {
        use difflib::get_close_matches as g;
        assert_eq!(g("appel", ["ape", "apple", "peach", "puppy"], 3, 0.6), ["apple", "ape"]);
        assert_eq!(g("appel", ["ape", "apple", "peach", "puppy"], 1, 0.6), ["apple"]);
        assert_eq!(g("ab", ["ba", "ab_", "ab-"], 3, 0.6), ["ab_", "ab-"]);
        assert!(g("ac", ["ab", "ca", "bc"], 3, 0.6).is_empty());
        assert!(g("ab", ["ab"], 0, 0.6).is_empty());
        let config = caom();
        assert_eq!(g("objid1", config.names(), 3, 0.6), ["obsid", "obs_id", "objID1"]);
        assert_eq!(g("obs_colection", config.names(), 3, 0.6), ["obs_collection", "obs_creation_date", "s_resolution"]);
    }
}
