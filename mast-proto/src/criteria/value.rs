//! The criteria value model: what a caller gives for each keyword.

use std::fmt;

use crate::pyfmt;

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
/// them out first ([`Criteria::remove`]) and pass the rest to [`build_filters`](super::build_filters).
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
