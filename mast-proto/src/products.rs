//! Product-table operations: `filter_products` and de-duplication (spec §8.2–8.3).
//!
//! Both work on the [`Table`] a product-list query returns (`Mast.Caom.Products` for
//! Observations, the missions search products for `MastMissions`) and keep its row order.
//!
//! ```
//! use mast_proto::{Column, DataType, Table, Value};
//! use mast_proto::products::{ProductFilter, filter_products, unique_products};
//!
//! let products = Table::new(vec![
//!     Column::from_values("productType", DataType::String, [Value::Str("SCIENCE"), Value::Str("PREVIEW"), Value::Str("SCIENCE")]),
//!     Column::from_values("productFilename", DataType::String, [Value::Str("a.fits"), Value::Str("a.jpg"), Value::Str("a.fits")]),
//!     Column::from_values("dataURI", DataType::String, [Value::Str("mast:a.fits"), Value::Str("mast:a.jpg"), Value::Str("mast:a.fits")]),
//!     Column::from_values("size", DataType::Int64, [Value::Int(14400), Value::Int(500), Value::Int(14400)]),
//! ])?;
//! let science = filter_products(&products, &ProductFilter::new().column("productType", ["science"]).extension(["fits"]))?;
//! assert_eq!(science.num_rows(), 2);
//! let (unique, note) = unique_products(&science, "dataURI")?;
//! assert_eq!(unique.num_rows(), 1);
//! assert_eq!(note.as_deref(), Some("1 of 2 products were duplicates. Only returning 1 unique product(s)."));
//! # Ok::<(), mast_proto::Error>(())
//! ```

use std::borrow::Cow;
use std::collections::HashSet;

use crate::pyparse::{self, parse_float};
use crate::{Column, DataType, Error, Result, Table, Value, pyfmt};

/// The value Observations' `mrp_only` keeps in `productGroupDescription`.
const MRP: &str = "Minimum Recommended Products";

/// What astroquery holds underneath a masked numeric cell, and so what numeric filters
/// compare it as.
const MASKED_NUMBER: f64 = -999.0;

/// One value of a product column filter.
///
/// Text is what astroquery users write: on numeric columns `">=1000"`, `"<=x"`, `">x"`, `"<x"`,
/// `"a..b"` or a number, on other columns the cell text; a leading `!` negates it. A
/// [`FilterValue::Number`] means equality (it cannot be negated; write `"!14400"`).
///
/// ```
/// use mast_proto::products::FilterValue;
/// assert_eq!(FilterValue::from("!PREVIEW"), FilterValue::Text("!PREVIEW".into()));
/// assert_eq!(FilterValue::from(14400), FilterValue::Number(14400.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    /// A filter expression or a text value, `!` for negation.
    Text(String),
    /// A number: equality on numeric columns.
    Number(f64),
}

impl From<&str> for FilterValue {
    fn from(s: &str) -> Self {
        FilterValue::Text(s.to_owned())
    }
}

impl From<String> for FilterValue {
    fn from(s: String) -> Self {
        FilterValue::Text(s)
    }
}

impl From<&String> for FilterValue {
    fn from(s: &String) -> Self {
        FilterValue::Text(s.clone())
    }
}

impl From<f64> for FilterValue {
    fn from(x: f64) -> Self {
        FilterValue::Number(x)
    }
}

impl From<i64> for FilterValue {
    fn from(i: i64) -> Self {
        FilterValue::Number(i as f64)
    }
}

impl From<i32> for FilterValue {
    fn from(i: i32) -> Self {
        FilterValue::Number(i.into())
    }
}

/// The conditions of [`filter_products`]: `mrp_only`, `extension` and column filters, all
/// ANDed.
///
/// The default file-name column is Observations' `productFilename`; `MastMissions` products
/// use `filename` ([`ProductFilter::for_missions`]).
///
/// ```
/// use mast_proto::products::ProductFilter;
/// let filter = ProductFilter::new()
///     .mrp_only(true)
///     .extension(["fits"])
///     .column("productType", ["SCIENCE", "!PREVIEW"])
///     .column("size", [">=1000", "100..2000"])
///     .column_number("calib_level", 3.0);
/// assert!(filter.is_mrp_only());
/// assert_eq!(filter.extensions(), ["fits"]);
/// assert_eq!(filter.columns().count(), 3);
///
/// // The command-line form:
/// let cli = ProductFilter::new().arg("productType=SCIENCE,!PREVIEW")?.arg("size=<50000")?.arg("extension=fits,png")?;
/// assert_eq!(cli.extensions(), ["fits", "png"]);
/// assert_eq!(cli.columns().count(), 2);
/// # Ok::<(), mast_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFilter {
    mrp_only: bool,
    extensions: Vec<String>,
    filename_column: String,
    columns: Vec<(String, Vec<FilterValue>)>,
}

impl Default for ProductFilter {
    fn default() -> Self {
        ProductFilter::new()
    }
}

impl ProductFilter {
    /// No conditions (keeps every row), file names in `productFilename`.
    ///
    /// ```
    /// assert!(mast_proto::products::ProductFilter::new().is_empty());
    /// ```
    pub fn new() -> Self {
        ProductFilter {
            mrp_only: false,
            extensions: Vec::new(),
            filename_column: "productFilename".to_owned(),
            columns: Vec::new(),
        }
    }

    /// No conditions, file names in `filename` (`MastMissions.filter_products`).
    ///
    /// ```
    /// assert_eq!(mast_proto::products::ProductFilter::for_missions().filename_column_name(), "filename");
    /// ```
    pub fn for_missions() -> Self {
        ProductFilter::new().filename_column("filename")
    }

    /// Keep only rows whose `productGroupDescription` is exactly "Minimum Recommended
    /// Products" (Observations).
    ///
    /// ```
    /// assert!(mast_proto::products::ProductFilter::new().mrp_only(true).is_mrp_only());
    /// ```
    pub fn mrp_only(mut self, mrp_only: bool) -> Self {
        self.mrp_only = mrp_only;
        self
    }

    /// Keep only rows whose file name ends with one of these extensions, compared in lower
    /// case (`"fits"`, `".fits"` and `"FITS"` all keep `x.fits`; `"fits"` does not keep
    /// `x.fits.gz`). Further calls add to the list. An empty list adds no condition.
    ///
    /// ```
    /// let f = mast_proto::products::ProductFilter::new().extension(["fits"]).extension(vec![String::from("png")]);
    /// assert_eq!(f.extensions(), ["fits", "png"]);
    /// ```
    pub fn extension<I, S>(mut self, extensions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.extensions.extend(extensions.into_iter().map(Into::into));
        self
    }

    /// Sets the column holding file names for the extension filter (default
    /// `productFilename`; `filename` for missions products).
    ///
    /// ```
    /// let f = mast_proto::products::ProductFilter::new().filename_column("filename");
    /// assert_eq!(f.filename_column_name(), "filename");
    /// ```
    pub fn filename_column(mut self, name: impl Into<String>) -> Self {
        self.filename_column = name.into();
        self
    }

    /// Adds a filter on column `name` (exact, case-sensitive name): a row passes when it
    /// matches any of the positive values (or there are none) and none of the `!` values.
    /// Each call is its own condition, ANDed with the others, so two calls on the same
    /// column narrow it further (`size` `>=1000` then `size` `<5000`).
    ///
    /// ```
    /// use mast_proto::products::{FilterValue, ProductFilter};
    /// let f = ProductFilter::new().column("productType", ["SCIENCE", "!PREVIEW"]).column("size", [FilterValue::from(14400), ">20000".into()]);
    /// assert_eq!(f.columns().next().map(|(name, values)| (name, values.len())), Some(("productType", 2)));
    /// ```
    pub fn column<I, V>(mut self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<FilterValue>,
    {
        self.columns.push((name.into(), values.into_iter().map(Into::into).collect()));
        self
    }

    /// Adds a numeric equality filter on column `name` (astroquery's `size=14400`).
    ///
    /// ```
    /// use mast_proto::products::{FilterValue, ProductFilter};
    /// let f = ProductFilter::new().column_number("size", 14400.0);
    /// assert_eq!(f.columns().next(), Some(("size", &[FilterValue::Number(14400.0)][..])));
    /// ```
    pub fn column_number(self, name: impl Into<String>, value: f64) -> Self {
        self.column(name, [FilterValue::Number(value)])
    }

    /// Adds one command-line filter `key=value[,value...]`.
    ///
    /// - `extension=fits,png` sets the extension filter and `mrp_only=true|false` the MRP
    ///   filter, as those are keyword arguments (not columns) in astroquery;
    /// - anything else is a column filter: `productType=SCIENCE,!PREVIEW`, `size=<50000`,
    ///   `size=>=1000` (the key ends at the first `=`), `size=100..2000`.
    ///
    /// Values are split on unescaped commas ([`pyparse::split_list`]: `\,` is a comma inside
    /// a value, `\.` a dot, `\\` a backslash) and trimmed of surrounding whitespace; they stay
    /// text, read as numbers (Python `float()`) by numeric columns. The key is everything
    /// before the first `=`, trimmed ([`pyparse::split_key_value`]).
    ///
    /// ```
    /// use mast_proto::products::{FilterValue, ProductFilter};
    /// let f = ProductFilter::new().arg("productType=SCIENCE,!PREVIEW")?.arg("mrp_only=true")?;
    /// assert!(f.is_mrp_only());
    /// assert_eq!(
    ///     f.columns().next(),
    ///     Some(("productType", &[FilterValue::from("SCIENCE"), FilterValue::from("!PREVIEW")][..]))
    /// );
    /// assert!(ProductFilter::new().arg("SCIENCE").is_err());
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn arg(self, arg: &str) -> Result<Self> {
        let (key, values) = ProductFilter::parse_arg(arg)?;
        match key.as_str() {
            "extension" => Ok(self.extension(values.into_iter().map(|v| match v {
                FilterValue::Text(t) => t,
                FilterValue::Number(x) => pyfmt::float_repr(x),
            }))),
            "mrp_only" => {
                let flag = match values.as_slice() {
                    [FilterValue::Text(t)] if t.eq_ignore_ascii_case("true") => true,
                    [FilterValue::Text(t)] if t.eq_ignore_ascii_case("false") => false,
                    _ => return Err(invalid(format!("'{arg}': mrp_only takes true or false"))),
                };
                Ok(self.mrp_only(flag))
            }
            _ => Ok(self.column(key, values)),
        }
    }

    /// Splits a command-line filter `key=value[,value...]` into its key and text values
    /// (see [`ProductFilter::arg`]), without interpreting the key.
    ///
    /// ```
    /// use mast_proto::products::{FilterValue, ProductFilter};
    /// let (key, values) = ProductFilter::parse_arg(r"productSubGroupDescription=C3M, DRZ\,X")?;
    /// assert_eq!(key, "productSubGroupDescription");
    /// assert_eq!(values, [FilterValue::from("C3M"), FilterValue::from("DRZ,X")]);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn parse_arg(arg: &str) -> Result<(String, Vec<FilterValue>)> {
        let (key, value) = pyparse::split_key_value(
            arg,
            "product filter",
            "column=value[,value...] (e.g. productType=SCIENCE,!PREVIEW or size=<50000)",
        )?;
        let in_arg = |e: Error| match e {
            Error::InvalidQuery { message } => invalid(format!("product filter '{key}': {message}")),
            other => other,
        };
        let items = pyparse::split_values(value).map_err(in_arg)?;
        let values: Vec<FilterValue> = items.into_iter().map(|v| FilterValue::Text(v.into_string())).collect();
        values.iter().try_for_each(check_value_range).map_err(in_arg)?;
        Ok((key.to_owned(), values))
    }

    /// Checks the conditions that can be checked without a table, as [`filter_products`]
    /// does first: no empty extension (it would keep every file), no reversed numeric range
    /// (`10..5`, `!10..5`: it would match nothing). Call it before fetching the products a
    /// filter will be applied to, so that a mistake costs no request. The error is
    /// [`Error::InvalidQuery`].
    ///
    /// ```
    /// use mast_proto::products::ProductFilter;
    /// assert!(ProductFilter::new().extension(["fits"]).column("size", ["5..10"]).check().is_ok());
    /// assert_eq!(
    ///     ProductFilter::new().extension([""]).check().unwrap_err().to_string(),
    ///     "An empty extension would keep every file: give extensions such as fits or .fits."
    /// );
    /// assert!(ProductFilter::new().column("size", ["10..5"]).check().unwrap_err().to_string().contains("reversed"));
    /// ```
    pub fn check(&self) -> Result<()> {
        if self.extensions.iter().any(|e| e.trim().is_empty()) {
            return Err(invalid("An empty extension would keep every file: give extensions such as fits or .fits."));
        }
        for (name, values) in &self.columns {
            values
                .iter()
                .try_for_each(check_value_range)
                .map_err(|e| invalid(format!("product filter '{name}': {}", error_message(&e))))?;
        }
        Ok(())
    }

    /// Whether the MRP filter is on.
    ///
    /// ```
    /// assert!(!mast_proto::products::ProductFilter::new().is_mrp_only());
    /// ```
    pub fn is_mrp_only(&self) -> bool {
        self.mrp_only
    }

    /// The extensions of the extension filter (empty: no extension filter).
    ///
    /// ```
    /// assert!(mast_proto::products::ProductFilter::new().extensions().is_empty());
    /// ```
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The column the extension filter reads.
    ///
    /// ```
    /// assert_eq!(mast_proto::products::ProductFilter::new().filename_column_name(), "productFilename");
    /// ```
    pub fn filename_column_name(&self) -> &str {
        &self.filename_column
    }

    /// The column filters, in order.
    ///
    /// ```
    /// let f = mast_proto::products::ProductFilter::new().column("a", ["x"]).column("b", ["y"]);
    /// assert_eq!(f.columns().map(|(name, _)| name).collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn columns(&self) -> impl ExactSizeIterator<Item = (&str, &[FilterValue])> + '_ {
        self.columns.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// Whether the filter has no condition at all.
    ///
    /// ```
    /// assert!(!mast_proto::products::ProductFilter::new().extension(["fits"]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        !self.mrp_only && self.extensions.is_empty() && self.columns.is_empty()
    }
}

/// Filters a product table as astroquery's `filter_products` does (spec §8.2): every
/// condition of `filter` is ANDed and the kept rows stay in their order.
///
/// - **MRP** ([`ProductFilter::mrp_only`]): `productGroupDescription` is exactly "Minimum
///   Recommended Products" (case-sensitive; masked cells fail).
/// - **Extension** ([`ProductFilter::extension`]): the file name (`productFilename`, or the
///   [`ProductFilter::filename_column`]), lower-cased, ends with one of the extensions,
///   lower-cased; masked names fail.
/// - **Columns** ([`ProductFilter::column`]), by exact name. Within one filter: (any positive
///   value matches, or there is none) and (no `!` value matches).
///   - Numeric columns (`int64`, `float64`): a [`FilterValue::Number`] is equality; text is,
///     checked in this order, `>=x`, `<=x`, `>x`, `<x`, `a..b` (inclusive; each bound an
///     optionally signed decimal such as `14400`, `1.5`, `.5`), else equality with the
///     number it reads as (Python `float()` syntax). Masked cells compare as -999, the value
///     astroquery keeps underneath masked integers (astroquery compatibility: a masked
///     `size` passes `size="<50000"` and fails `size=">0"`). astroquery itself holds NaN
///     under a null Portal float (it compares false) and the real value under a cell masked
///     by a columns-config `ignoreValue`; a [`Table`] keeps neither, so every masked numeric
///     cell is -999 here.
///   - Other columns (text, and, as in astroquery, `uint8` and `bool`): case-insensitive
///     equality with the cell's text (`True`/`False` for booleans, digits for `uint8`;
///     masked cells read as the empty string, where astroquery reads the value underneath:
///     also empty for text, `False` for booleans). A [`FilterValue::Number`] there is compared
///     as its text (`3.0` → `"3"`, `1.5` → `"1.5"`); astroquery fails on non-text values.
///
/// Errors ([`Error::InvalidQuery`], checked before any row is looked at, whatever the table
/// holds): what [`ProductFilter::check`] refuses (an empty extension, a reversed range); a column the table does not have, `Column '<name>' not found in product table.`
/// (also for `productGroupDescription` under `mrp_only` and for the file-name column under
/// an extension filter); numeric text that does not parse, `Could not parse numeric filter
/// '<value>' for column '<name>'.`, where `<value>` is the filter's only value, or the
/// Python list of all its values when it has several.
///
/// ```
/// use mast_proto::{Column, DataType, Table, Value};
/// use mast_proto::products::{ProductFilter, filter_products};
///
/// let products = Table::new(vec![
///     Column::from_values("category", DataType::String, ["UNCALIBRATED", "AUX", "CALIBRATED"].map(Value::Str)),
///     Column::from_values("size", DataType::Int64, [31680, 17280, 14400].map(Value::Int)),
/// ])?;
/// let rows = |f: ProductFilter| filter_products(&products, &f).map(|t| t.num_rows());
/// assert_eq!(rows(ProductFilter::new().column("size", ["<20000"]))?, 2);
/// assert_eq!(rows(ProductFilter::new().column("size", ["!14400", "<20000"]))?, 1);
/// assert_eq!(rows(ProductFilter::new().column("size", ["14400..17280"]))?, 2);
/// assert_eq!(rows(ProductFilter::new().column("category", ["!calibrated"]))?, 2);
/// assert_eq!(
///     rows(ProductFilter::new().column("size", ["invalid"])).unwrap_err().to_string(),
///     "Could not parse numeric filter 'invalid' for column 'size'."
/// );
/// # Ok::<(), mast_proto::Error>(())
/// ```
pub fn filter_products(products: &Table, filter: &ProductFilter) -> Result<Table> {
    filter.check()?;
    let mut conditions: Vec<(&Column, Condition)> = Vec::new();
    if filter.mrp_only {
        conditions.push((product_column(products, "productGroupDescription")?, Condition::Mrp));
    }
    if !filter.extensions.is_empty() {
        let column = product_column(products, &filter.filename_column)?;
        let extensions = filter.extensions.iter().map(|e| e.to_lowercase()).collect();
        conditions.push((column, Condition::Extension(extensions)));
    }
    for (name, values) in &filter.columns {
        let column = product_column(products, name)?;
        let condition = match column.data_type() {
            DataType::Int64 | DataType::Float64 => Condition::Numeric(parse_numeric(name, values)?),
            DataType::String | DataType::Bool | DataType::UInt8 => Condition::Text(text_items(values)),
        };
        conditions.push((column, condition));
    }
    let keep: Vec<usize> =
        (0..products.num_rows()).filter(|&row| conditions.iter().all(|(c, cond)| cond.keeps(c, row))).collect();
    Ok(products.take(keep))
}

/// Removes duplicate products (spec §8.3): keeps the first row for each value of
/// `key_column` (`dataURI` for Observations, `filename` for `MastMissions`), in the original
/// order.
///
/// When rows were removed the second value is astroquery's message "N of M products were
/// duplicates. Only returning K unique product(s)."; astroquery only logs it at INFO level
/// (it is not a warning), so it is returned for the caller to log rather than attached to
/// the table.
///
/// Rows whose key is masked are all kept (a missing URI says nothing about which product it
/// is). Keys compare by value and type; text compares exactly (case-sensitive).
///
/// An unknown `key_column` is an [`Error::InvalidQuery`] `Column '<name>' not found in
/// product table.`.
///
/// ```
/// use mast_proto::{Column, DataType, Table, Value};
/// use mast_proto::products::unique_products;
///
/// let products = Table::new(vec![Column::from_values(
///     "dataURI",
///     DataType::String,
///     [Value::Str("mast:a"), Value::Str("mast:b"), Value::Str("mast:a"), Value::Masked, Value::Masked],
/// )])?;
/// let (unique, note) = unique_products(&products, "dataURI")?;
/// assert_eq!(unique.num_rows(), 4);
/// assert_eq!(note.as_deref(), Some("1 of 5 products were duplicates. Only returning 4 unique product(s)."));
/// let (again, note) = unique_products(&unique, "dataURI")?;
/// assert_eq!((again.num_rows(), note), (4, None));
/// # Ok::<(), mast_proto::Error>(())
/// ```
pub fn unique_products(products: &Table, key_column: &str) -> Result<(Table, Option<String>)> {
    let column = product_column(products, key_column)?;
    let mut seen: HashSet<Key<'_>> = HashSet::with_capacity(column.len());
    let keep: Vec<usize> = (0..column.len())
        .filter(|&row| match Key::of(column.get(row)) {
            None => true,
            Some(key) => seen.insert(key),
        })
        .collect();
    let total = products.num_rows();
    let kept = keep.len();
    let note = (kept < total).then(|| {
        format!("{} of {total} products were duplicates. Only returning {kept} unique product(s).", total - kept)
    });
    Ok((products.take(keep), note))
}

/// A hashable cell value for de-duplication.
#[derive(PartialEq, Eq, Hash)]
enum Key<'a> {
    Str(&'a str),
    Int(i64),
    UInt8(u8),
    Float(u64),
    Bool(bool),
}

impl<'a> Key<'a> {
    fn of(value: Value<'a>) -> Option<Key<'a>> {
        Some(match value {
            Value::Masked => return None,
            Value::Str(s) => Key::Str(s),
            Value::Int(i) => Key::Int(i),
            Value::UInt8(u) => Key::UInt8(u),
            // -0.0 and 0.0 are one key, as in NumPy.
            Value::Float(x) => Key::Float(if x == 0.0 { 0 } else { x.to_bits() }),
            Value::Bool(b) => Key::Bool(b),
        })
    }
}

fn product_column<'t>(products: &'t Table, name: &str) -> Result<&'t Column> {
    products.column(name).ok_or_else(|| invalid(format!("Column '{name}' not found in product table.")))
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidQuery { message: message.into() }
}

/// One ANDed condition on one column.
enum Condition {
    Mrp,
    Extension(Vec<String>),
    Numeric(Vec<(NumericTest, bool)>),
    Text(Vec<(String, bool)>),
}

impl Condition {
    fn keeps(&self, column: &Column, row: usize) -> bool {
        match self {
            Condition::Mrp => column.get(row) == Value::Str(MRP),
            Condition::Extension(extensions) => {
                let value = column.get(row);
                if value.is_masked() {
                    return false;
                }
                let name = cell_text(value).to_lowercase();
                extensions.iter().any(|e| name.ends_with(e.as_str()))
            }
            Condition::Numeric(tests) => {
                let x = match column.get(row) {
                    Value::Int(i) => i as f64,
                    Value::Float(x) => x,
                    _ => MASKED_NUMBER,
                };
                combine(tests, |t| t.matches(x))
            }
            Condition::Text(items) => {
                let text = cell_text(column.get(row)).to_lowercase();
                combine(items, |item| *item == text)
            }
        }
    }
}

/// (any positive item matches, or there is none) and (no negated item matches).
fn combine<T>(items: &[(T, bool)], matches: impl Fn(&T) -> bool) -> bool {
    let mut any_positive = false;
    let mut positive_hit = false;
    for (item, negated) in items {
        if *negated {
            if matches(item) {
                return false;
            }
        } else {
            any_positive = true;
            positive_hit = positive_hit || matches(item);
        }
    }
    !any_positive || positive_hit
}

/// A cell's text as `astype(str)` gives it; masked cells read as "".
fn cell_text(value: Value<'_>) -> Cow<'_, str> {
    match value {
        Value::Masked => Cow::Borrowed(""),
        Value::Str(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

/// Text-path items, lower-cased, with their negation flag.
fn text_items(values: &[FilterValue]) -> Vec<(String, bool)> {
    values
        .iter()
        .map(|v| match v {
            FilterValue::Text(t) => match t.strip_prefix('!') {
                Some(rest) => (rest.to_lowercase(), true),
                None => (t.to_lowercase(), false),
            },
            FilterValue::Number(x) => (number_text(*x), false),
        })
        .collect()
}

/// A number as a user would type it: integral values without a fraction.
fn number_text(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e16 { format!("{}", x as i64) } else { pyfmt::float_repr(x) }
}

/// One numeric test (spec §8.2's `parse_numeric_product_filter`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum NumericTest {
    Eq(f64),
    Ge(f64),
    Le(f64),
    Gt(f64),
    Lt(f64),
    Between(f64, f64),
}

impl NumericTest {
    fn matches(self, x: f64) -> bool {
        match self {
            NumericTest::Eq(v) => x == v,
            NumericTest::Ge(v) => x >= v,
            NumericTest::Le(v) => x <= v,
            NumericTest::Gt(v) => x > v,
            NumericTest::Lt(v) => x < v,
            NumericTest::Between(lo, hi) => x >= lo && x <= hi,
        }
    }

    /// Reads one text item (its `!` already removed), in astroquery's order.
    fn parse(text: &str) -> Option<NumericTest> {
        if let Some(rest) = text.strip_prefix(">=") {
            return parse_float(rest).map(NumericTest::Ge);
        }
        if let Some(rest) = text.strip_prefix("<=") {
            return parse_float(rest).map(NumericTest::Le);
        }
        if let Some(rest) = text.strip_prefix('>') {
            return parse_float(rest).map(NumericTest::Gt);
        }
        if let Some(rest) = text.strip_prefix('<') {
            return parse_float(rest).map(NumericTest::Lt);
        }
        if is_range(text) {
            // Python: `start, end = map(float, text.split('..'))`, which fails unless the
            // split gives exactly two parts (`1....5` gives three).
            let parts: Vec<&str> = text.split("..").collect();
            return match parts.as_slice() {
                [lo, hi] => Some(NumericTest::Between(parse_float(lo)?, parse_float(hi)?)),
                _ => None,
            };
        }
        parse_float(text).map(NumericTest::Eq)
    }
}

/// A reversed numeric range (`10..5`, `!10..5`) in a filter value: an error
/// ([`pyparse::check_range`], shared with criteria).
fn check_value_range(value: &FilterValue) -> Result<()> {
    let FilterValue::Text(t) = value else { return Ok(()) };
    let text = t.strip_prefix('!').unwrap_or(t);
    if !is_range(text) {
        return Ok(());
    }
    match text.split("..").collect::<Vec<_>>().as_slice() {
        [lo, hi] => pyparse::check_range(lo, hi),
        _ => Ok(()),
    }
}

fn error_message(e: &Error) -> String {
    match e {
        Error::InvalidQuery { message } => message.clone(),
        other => other.to_string(),
    }
}

/// `re.fullmatch(r'[+-]?(\d+(\.\d*)?|\.\d+)\.\.[+-]?(\d+(\.\d*)?|\.\d+)', text)`.
fn is_range(text: &str) -> bool {
    // Every position, overlapping ones included (`1....5` is `1.` `..` `.5`).
    // Byte positions that are not on a character boundary are skipped (no slicing inside a
    // multi-byte character: `size=ä` must be an error, not a panic).
    (0..text.len()).any(|at| {
        text.is_char_boundary(at)
            && text[at..].starts_with("..")
            && is_decimal(&text[..at])
            && is_decimal(&text[at + 2..])
    })
}

/// `[+-]?(\d+(\.\d*)?|\.\d+)` over the whole text.
fn is_decimal(text: &str) -> bool {
    let t = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match frac {
        None => !int.is_empty() && digits(int),
        Some(f) => digits(int) && digits(f) && (!int.is_empty() || !f.is_empty()),
    }
}

/// Parses the numeric items of one column filter, with astroquery's error message.
fn parse_numeric(column: &str, values: &[FilterValue]) -> Result<Vec<(NumericTest, bool)>> {
    values
        .iter()
        .map(|v| match v {
            FilterValue::Number(x) => Ok((NumericTest::Eq(*x), false)),
            FilterValue::Text(t) => {
                let (negated, text) = match t.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, t.as_str()),
                };
                NumericTest::parse(text).map(|test| (test, negated)).ok_or_else(|| {
                    invalid(format!("Could not parse numeric filter '{}' for column '{column}'.", raw_argument(values)))
                })
            }
        })
        .collect()
}

/// The filter's argument as astroquery shows it: the value itself, or Python's list repr.
fn raw_argument(values: &[FilterValue]) -> String {
    let show = |v: &FilterValue, quoted: bool| match v {
        FilterValue::Text(t) if quoted => python_str_repr(t),
        FilterValue::Text(t) => t.clone(),
        FilterValue::Number(x) => pyfmt::float_repr(*x),
    };
    match values {
        [one] => show(one, false),
        many => format!("[{}]", many.iter().map(|v| show(v, true)).collect::<Vec<_>>().join(", ")),
    }
}

/// Python's `repr(str)` for printable text: single quotes unless the text has a single quote
/// and no double quote.
fn python_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRODUCTS: &[u8] = include_bytes!("../../mast-emulator/data/astroquery-recorded/products.json");
    const MISSION_PRODUCTS: &[u8] =
        include_bytes!("../../mast-emulator/data/astroquery-recorded/mission_products.json");

    fn products() -> Table {
        crate::decode::portal_table(PRODUCTS, "Mast.Caom.Products", None).unwrap().0
    }

    /// The 5 missions products of `Z14Z0104T` (filename, category, size).
    fn mission_products() -> Table {
        let v: serde_json::Value = serde_json::from_slice(MISSION_PRODUCTS).unwrap();
        let rows = v["products"].as_array().unwrap();
        let text = |key: &str| {
            Column::from_values(key, DataType::String, rows.iter().map(|r| Value::Str(r[key].as_str().unwrap())))
        };
        Table::new(vec![
            text("filename"),
            text("category"),
            Column::from_values("size", DataType::Int64, rows.iter().map(|r| Value::Int(r["size"].as_i64().unwrap()))),
        ])
        .unwrap()
    }

    fn count(table: &Table, filter: ProductFilter) -> usize {
        filter_products(table, &filter).unwrap().num_rows()
    }

    fn error(table: &Table, filter: ProductFilter) -> String {
        match filter_products(table, &filter) {
            Err(Error::InvalidQuery { message }) => message,
            other => panic!("expected InvalidQuery, got {other:?}"),
        }
    }

    fn strings<'t>(table: &'t Table, column: &str) -> Vec<&'t str> {
        let c = table.column(column).unwrap();
        (0..c.len()).map(|i| c.get_str(i).unwrap_or("--")).collect()
    }

    #[test]
    fn observations_fixture_counts() {
        // Expected counts from spec §8.2 / astroquery's test_observations_filter_products,
        // recomputed with Python over products.json.
        let p = products();
        assert_eq!(p.num_rows(), 22);
        let science = filter_products(&p, &ProductFilter::new().column("productType", ["sCiEnCE"])).unwrap();
        assert_eq!(science.num_rows(), 7);
        assert!(strings(&science, "productType").iter().all(|t| *t == "SCIENCE"));
        let mrp = filter_products(&p, &ProductFilter::new().mrp_only(true)).unwrap();
        assert_eq!(
            strings(&mrp, "productFilename"),
            ["u9o40504m_c0f.fits", "u9o40504m_c1f.fits", "u9o40504m_drz.fits"]
        );
        assert_eq!(count(&p, ProductFilter::new().extension(["FITS"])), 22);
        assert_eq!(count(&p, ProductFilter::new().extension([".fits"])), 22);
        assert_eq!(count(&p, ProductFilter::new().extension(["png"])), 0);
        assert_eq!(count(&p, ProductFilter::new().extension(["png", "c0m.FITS"])), 1);
        let small = filter_products(&p, &ProductFilter::new().column("size", ["<50000"])).unwrap();
        assert_eq!(small.num_rows(), 7);
        let sizes = small.column("size").unwrap();
        assert!((0..sizes.len()).all(|i| sizes.get_i64(i).unwrap() < 50000));
        assert_eq!(
            error(&p, ProductFilter::new().column("size", ["invalid"])),
            "Could not parse numeric filter 'invalid' for column 'size'."
        );
        assert_eq!(
            error(&p, ProductFilter::new().column("invalid", ["True"])),
            "Column 'invalid' not found in product table."
        );
        // The table's warnings and column metadata survive.
        assert_eq!(small.column_names().collect::<Vec<_>>(), p.column_names().collect::<Vec<_>>());
    }

    #[test]
    fn observations_fixture_combinations() {
        // Counts recomputed with Python over products.json.
        let p = products();
        // AND across keys.
        assert_eq!(
            count(&p, ProductFilter::new().column("productType", ["SCIENCE"]).column("size", [">=10000000"])),
            3
        );
        assert_eq!(count(&p, ProductFilter::new().mrp_only(true).column("size", ["<6000000"])), 1);
        // Negation and ranges.
        assert_eq!(count(&p, ProductFilter::new().column("productType", ["!science"])), 15);
        assert_eq!(count(&p, ProductFilter::new().column("productType", ["!SCIENCE", "!AUXILIARY"])), 0);
        assert_eq!(count(&p, ProductFilter::new().column("size", ["100000..200000"])), 4);
        assert_eq!(count(&p, ProductFilter::new().column("size", ["!100000..200000"])), 18);
        assert_eq!(count(&p, ProductFilter::new().column("size", ["31680", "!<30000"])), 2);
        assert_eq!(count(&p, ProductFilter::new().column_number("size", 5184000.0)), 3);
        assert_eq!(count(&p, ProductFilter::new().column("size", [FilterValue::from(31680), ">27000000".into()])), 3);
        // Two calls on one column narrow it (AND).
        assert_eq!(count(&p, ProductFilter::new().column("size", [">30000"]).column("size", ["<35000"])), 4);
        // Text columns: OR of positives.
        assert_eq!(
            count(&p, ProductFilter::new().column("productFilename", ["U9O40504M_DRZ.FITS", "u9o40504j_jif.fits"])),
            2
        );
        // A masked text cell reads as "": productGroupDescription is masked on 19 rows.
        assert_eq!(count(&p, ProductFilter::new().column("productGroupDescription", [""])), 19);
        assert_eq!(count(&p, ProductFilter::new().column("productGroupDescription", ["!"])), 3);
        // Empty value list: no condition.
        assert_eq!(count(&p, ProductFilter::new().column("size", Vec::<&str>::new())), 22);
        assert_eq!(count(&p, ProductFilter::new()), 22);
        // Order is kept.
        let t = filter_products(&p, &ProductFilter::new().column("size", ["5178240", "5184000"])).unwrap();
        assert_eq!(
            strings(&t, "productFilename"),
            [
                "u9o40504m_q0f.fits",
                "u9o40504m_q0m.fits",
                "u9o40504m_c1m.fits",
                "u9o40504m_d0f.fits",
                "u9o40504m_d0m.fits",
                "u9o40504m_c1f.fits"
            ]
        );
    }

    #[test]
    fn missions_fixture_like_astroquery_test() {
        // astroquery test_missions_filter_products over the 5 Z14Z0104T products.
        let m = mission_products();
        let size = |vals: &[&str]| count(&m, ProductFilter::for_missions().column("size", vals.iter().copied()));
        assert_eq!(count(&m, ProductFilter::for_missions().column("category", ["CALIBRATED"])), 0);
        assert_eq!(count(&m, ProductFilter::for_missions().extension(["fits"])), 5);
        assert_eq!(count(&m, ProductFilter::for_missions().column_number("size", 11520.0)), 2);
        assert_eq!(size(&["11520"]), 2);
        assert_eq!(size(&["<15000"]), 3);
        assert_eq!(size(&[">15000"]), 2);
        assert_eq!(size(&[">=14400"]), 3);
        assert_eq!(size(&["<=14400"]), 3);
        assert_eq!(size(&["14400..17280"]), 2);
        assert_eq!(
            count(&m, ProductFilter::for_missions().column("size", [FilterValue::from(14400), ">20000".into()])),
            2
        );
        assert_eq!(size(&["!11520"]), 3);
        assert_eq!(size(&["!<15000"]), 2);
        assert_eq!(size(&["!14400", ">20000"]), 1);
        assert_eq!(size(&["!14400", "<20000", ">30000"]), 4);
        assert_eq!(size(&["!14400..17280"]), 3);
        assert_eq!(count(&m, ProductFilter::for_missions().column("category", ["!calibrated"])), 5);
        assert_eq!(count(&m, ProductFilter::for_missions().column("category", ["!CALIBRATED", "UNCALIBRATED"])), 2);
        assert_eq!(count(&m, ProductFilter::for_missions().column("category", ["!CALIBRATED", "!UNCALIBRATED"])), 3);
        assert_eq!(
            error(&m, ProductFilter::for_missions().column("size", ["invalid"])),
            "Could not parse numeric filter 'invalid' for column 'size'."
        );
        assert_eq!(
            error(&m, ProductFilter::for_missions().column("non_existing", ["value"])),
            "Column 'non_existing' not found in product table."
        );
        // Observations' file-name column does not exist in missions products.
        assert_eq!(
            error(&m, ProductFilter::new().extension(["fits"])),
            "Column 'productFilename' not found in product table."
        );
        assert_eq!(
            error(&m, ProductFilter::for_missions().mrp_only(true)),
            "Column 'productGroupDescription' not found in product table."
        );
    }

    #[test]
    fn numeric_syntax_in_astroquery_order() {
        assert_eq!(NumericTest::parse(">=1.5"), Some(NumericTest::Ge(1.5)));
        assert_eq!(NumericTest::parse("<= 2"), Some(NumericTest::Le(2.0)));
        assert_eq!(NumericTest::parse(">-3"), Some(NumericTest::Gt(-3.0)));
        assert_eq!(NumericTest::parse("<1e3"), Some(NumericTest::Lt(1000.0)));
        assert_eq!(NumericTest::parse(".5..+7."), Some(NumericTest::Between(0.5, 7.0)));
        assert_eq!(NumericTest::parse("-5..-1"), Some(NumericTest::Between(-5.0, -1.0)));
        // `1...5` matches the range pattern as `1.` `..` `5`, but Python splits it as 1 and .5.
        assert_eq!(NumericTest::parse("1...5"), Some(NumericTest::Between(1.0, 0.5)));
        // `1....5` matches the pattern but splits into three parts: a parse error.
        assert_eq!(NumericTest::parse("1....5"), None);
        // Not a range pattern (exponent): falls to float(), which fails.
        assert_eq!(NumericTest::parse("1e3..2e3"), None);
        assert_eq!(NumericTest::parse(" 14400 "), Some(NumericTest::Eq(14400.0)));
        assert_eq!(NumericTest::parse("1_000"), Some(NumericTest::Eq(1000.0)));
        assert_eq!(NumericTest::parse("inf"), Some(NumericTest::Eq(f64::INFINITY)));
        for bad in ["", "..", "1..", "..2", ">=", "=5", "! 5", "abc", ">=1..2"] {
            assert_eq!(NumericTest::parse(bad), None, "{bad}");
        }
        assert!(is_range("1..2") && is_range("+1.0..-.5") && !is_range("1..2..3") && !is_range("a..b"));
    }

    #[test]
    fn masked_numeric_cells_compare_as_minus_999() {
        let t = Table::new(vec![
            Column::from_values("size", DataType::Int64, [Value::Int(100), Value::Masked, Value::Int(60000)]),
            Column::from_values(
                "exptime",
                DataType::Float64,
                [Value::Float(1.5), Value::Masked, Value::Float(f64::NAN)],
            ),
        ])
        .unwrap();
        assert_eq!(count(&t, ProductFilter::new().column("size", ["<50000"])), 2);
        assert_eq!(count(&t, ProductFilter::new().column("size", [">0"])), 2);
        assert_eq!(count(&t, ProductFilter::new().column("size", ["-999"])), 1);
        assert_eq!(count(&t, ProductFilter::new().column("size", ["!-999"])), 2);
        assert_eq!(count(&t, ProductFilter::new().column("exptime", ["<=1.5"])), 2);
        // NaN compares false everywhere, so only its negation keeps it.
        assert_eq!(count(&t, ProductFilter::new().column("exptime", ["!>0"])), 2);
    }

    #[test]
    fn text_path_for_bool_uint8_and_numbers() {
        let t = Table::new(vec![
            Column::from_values("flag", DataType::Bool, [Value::Bool(true), Value::Bool(false), Value::Masked]),
            Column::from_values("level", DataType::UInt8, [Value::UInt8(3), Value::UInt8(2), Value::Masked]),
            Column::from_values("name", DataType::String, [Value::Str("Ärger"), Value::Str("3"), Value::Masked]),
        ])
        .unwrap();
        assert_eq!(count(&t, ProductFilter::new().column("flag", ["true"])), 1);
        assert_eq!(count(&t, ProductFilter::new().column("flag", ["FALSE"])), 1);
        assert_eq!(count(&t, ProductFilter::new().column("flag", ["!True"])), 2);
        assert_eq!(count(&t, ProductFilter::new().column("level", ["3"])), 1);
        // uint8 takes the text path: comparison operators are plain text there.
        assert_eq!(count(&t, ProductFilter::new().column("level", [">2"])), 0);
        // A number on a text column compares as its text.
        assert_eq!(count(&t, ProductFilter::new().column_number("level", 2.0)), 1);
        assert_eq!(count(&t, ProductFilter::new().column_number("name", 3.0)), 1);
        // Unicode lower-casing.
        assert_eq!(count(&t, ProductFilter::new().column("name", ["äRGER"])), 1);
        // Non-ASCII text on a numeric column is an error, never a panic.
        let sizes = Table::new(vec![Column::from_values("size", DataType::Int64, [Value::Int(1)])]).unwrap();
        for text in ["ä", "1..ä", "ä..1", "1.ä.2"] {
            assert!(
                error(&sizes, ProductFilter::new().column("size", [text])).starts_with("Could not parse"),
                "{text}"
            );
        }
        // Column names are case-sensitive.
        assert_eq!(
            error(&t, ProductFilter::new().column("Flag", ["true"])),
            "Column 'Flag' not found in product table."
        );
    }

    #[test]
    fn extension_edge_cases() {
        let t = Table::new(vec![Column::from_values(
            "productFilename",
            DataType::String,
            [Value::Str("a.fits.gz"), Value::Str("B.FITS"), Value::Masked, Value::Str("c.png")],
        )])
        .unwrap();
        assert_eq!(count(&t, ProductFilter::new().extension(["fits"])), 1);
        assert_eq!(count(&t, ProductFilter::new().extension(["fits.gz", "PNG"])), 2);
        // An empty extension would match every unmasked name (astroquery keeps them all): an
        // error, as a blank one is.
        for empty in ["", " "] {
            assert_eq!(
                error(&t, ProductFilter::new().extension(["fits", empty])),
                "An empty extension would keep every file: give extensions such as fits or .fits."
            );
        }
        // No extensions: no condition.
        assert_eq!(count(&t, ProductFilter::new().extension(Vec::<String>::new())), 4);
    }

    #[test]
    fn errors_are_raised_whatever_the_rows() {
        let empty = Table::new(vec![Column::new("size", DataType::Int64)]).unwrap();
        assert_eq!(
            error(&empty, ProductFilter::new().column("size", [">x"])),
            "Could not parse numeric filter '>x' for column 'size'."
        );
        // Several values: the Python list is shown.
        assert_eq!(
            error(&empty, ProductFilter::new().column("size", ["!14400", "abc", "it's"])),
            r#"Could not parse numeric filter '['!14400', 'abc', "it's"]' for column 'size'."#
        );
        assert_eq!(
            error(&empty, ProductFilter::new().column("size", [FilterValue::Number(1.0), "x".into()])),
            "Could not parse numeric filter '[1.0, 'x']' for column 'size'."
        );
        // Errors come in condition order.
        assert_eq!(
            error(&empty, ProductFilter::new().column("nope", ["1"]).column("size", ["x"])),
            "Column 'nope' not found in product table."
        );
        assert_eq!(filter_products(&empty, &ProductFilter::new().column("size", ["1"])).unwrap().num_rows(), 0);
        // A reversed range would match nothing: an error, before any row, on any column.
        assert_eq!(
            error(&empty, ProductFilter::new().column("size", ["1", "10..5"])),
            "product filter 'size': the range 10..5 is reversed: its minimum 10 is greater than its maximum 5; write it as min..max"
        );
        assert!(error(&empty, ProductFilter::new().column("nope", ["!3..-3"])).contains("reversed"));
    }

    #[test]
    fn cli_args() {
        let f = ProductFilter::new()
            .arg("productType=SCIENCE,!PREVIEW")
            .unwrap()
            .arg("size=<50000")
            .unwrap()
            .arg("size=>=1000")
            .unwrap()
            .arg("extension=fits, png")
            .unwrap()
            .arg("mrp_only=True")
            .unwrap();
        assert!(f.is_mrp_only());
        assert_eq!(f.extensions(), ["fits", "png"]);
        let cols: Vec<_> = f.columns().map(|(n, v)| (n.to_owned(), v.to_vec())).collect();
        assert_eq!(
            cols,
            [
                ("productType".to_owned(), vec![FilterValue::from("SCIENCE"), FilterValue::from("!PREVIEW")]),
                ("size".to_owned(), vec![FilterValue::from("<50000")]),
                ("size".to_owned(), vec![FilterValue::from(">=1000")]),
            ]
        );
        assert_eq!(
            ProductFilter::parse_arg(r"a=x\,y,z\\,w\q").unwrap().1,
            ["x,y", r"z\", r"w\q"].map(FilterValue::from)
        );
        assert_eq!(ProductFilter::parse_arg("Extension=fits").unwrap().0, "Extension");
        assert_eq!(
            ProductFilter::parse_arg("productType=").unwrap_err().to_string(),
            "product filter 'productType': no value after '='; give one or more values separated by commas"
        );
        assert_eq!(
            ProductFilter::parse_arg("size=10..5").unwrap_err().to_string(),
            "product filter 'size': the range 10..5 is reversed: its minimum 10 is greater than its maximum 5; write it as min..max"
        );
        // Text that only looks like a range is not one (astroquery's regex): a text value.
        assert_eq!(ProductFilter::parse_arg("obs_id=b..a").unwrap().1, [FilterValue::from("b..a")]);
        for bad in [
            "size",
            "=5",
            "mrp_only=yes",
            "mrp_only=true,false",
            "a=",
            "a= ",
            "a=x,,y",
            "a=x,",
            "extension=",
            "size=!9..1.5",
        ] {
            assert_eq!(ProductFilter::new().arg(bad).unwrap_err().class_name(), "InvalidQueryError", "{bad}");
        }
        // The CLI form filters the fixture the same way.
        let p = products();
        let f = ProductFilter::new().arg("productType=SCIENCE,!PREVIEW").unwrap().arg("size=<6000000").unwrap();
        assert_eq!(count(&p, f), 4);
    }

    #[test]
    fn unique_products_keeps_first_rows() {
        let p = products();
        let (u, note) = unique_products(&p, "dataURI").unwrap();
        assert_eq!((u.num_rows(), note), (22, None));
        let doubled = Table::concat([p.clone(), p.head(5)]).unwrap();
        let (u, note) = unique_products(&doubled, "dataURI").unwrap();
        assert_eq!(u, p);
        assert_eq!(note.as_deref(), Some("5 of 27 products were duplicates. Only returning 22 unique product(s)."));
        // By another key: 2 distinct product types.
        let (u, _) = unique_products(&p, "productType").unwrap();
        assert_eq!(strings(&u, "productType"), ["AUXILIARY", "SCIENCE"]);
        // Masked keys are all kept: productGroupDescription is masked on 19 rows, 3 equal.
        let (u, note) = unique_products(&p, "productGroupDescription").unwrap();
        assert_eq!(u.num_rows(), 20);
        assert_eq!(note.as_deref(), Some("2 of 22 products were duplicates. Only returning 20 unique product(s)."));
        // Numeric keys, -0.0 == 0.0.
        let t = Table::new(vec![Column::from_values(
            "x",
            DataType::Float64,
            [Value::Float(0.0), Value::Float(-0.0), Value::Float(1.0)],
        )])
        .unwrap();
        assert_eq!(unique_products(&t, "x").unwrap().0.num_rows(), 2);
        match unique_products(&p, "uri") {
            Err(Error::InvalidQuery { message }) => assert_eq!(message, "Column 'uri' not found in product table."),
            other => panic!("{other:?}"),
        }
        // Empty table.
        let (u, note) = unique_products(&p.head(0), "dataURI").unwrap();
        assert_eq!((u.num_rows(), note), (0, None));
    }
}
