//! Typed, masked columns.

use std::fmt;
use std::ops::Range;

use crate::{pyfmt, pyparse};

/// The type of a column's cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// `true` / `false`.
    Bool,
    /// 64-bit signed integers (MAST `int`, `short`, `long`, `number`).
    Int64,
    /// 8-bit unsigned integers (MAST `unsignedByte`).
    UInt8,
    /// 64-bit floats (MAST `double`, `float`, `decimal`).
    Float64,
    /// UTF-8 text (MAST `string`, `char`, `date`, `datetime`); dates stay as MAST sends them.
    String,
}

impl DataType {
    /// The NumPy-style dtype name used in canonical CSV (`bool`, `int64`, `uint8`, `float64`,
    /// `str`).
    pub fn name(self) -> &'static str {
        match self {
            DataType::Bool => "bool",
            DataType::Int64 => "int64",
            DataType::UInt8 => "uint8",
            DataType::Float64 => "float64",
            DataType::String => "str",
        }
    }

    /// The column type astroquery gives a Portal `fields[].type` (spec §4.1), compared
    /// case-insensitively; `None` for type names astroquery has no mapping for.
    pub fn from_portal_type(name: &str) -> Option<DataType> {
        match name.to_ascii_lowercase().as_str() {
            "char" | "string" | "datetime" | "date" => Some(DataType::String),
            "double" | "float" | "decimal" => Some(DataType::Float64),
            "int" | "short" | "long" | "number" => Some(DataType::Int64),
            "boolean" | "binary" => Some(DataType::Bool),
            "unsignedbyte" => Some(DataType::UInt8),
            _ => None,
        }
    }

    /// The column type of a services-API `info[].type` / `db_type` (spec §4.2).
    ///
    /// Besides astroquery's table, SQL names it cannot handle get the obvious type: names
    /// containing `int` are integers, `real`/`numeric` floats, anything else text.
    pub fn from_services_type(name: &str) -> DataType {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "char" | "string" | "null" | "datetime" | "date" | "text" => DataType::String,
            "boolean" | "binary" | "bit" => DataType::Bool,
            "unsignedbyte" => DataType::UInt8,
            "int" | "short" | "long" | "number" | "integer" => DataType::Int64,
            "double" | "float" | "decimal" | "real" | "numeric" => DataType::Float64,
            _ if lower.contains("char") => DataType::String,
            _ if lower.contains("int") => DataType::Int64,
            _ => DataType::String,
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One cell, borrowed from a column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// A masked cell (null, missing, an `ignoreValue`, or an empty string).
    Masked,
    /// A boolean cell.
    Bool(bool),
    /// An integer cell.
    Int(i64),
    /// An unsigned byte cell.
    UInt8(u8),
    /// A float cell.
    Float(f64),
    /// A text cell.
    Str(&'a str),
}

impl Value<'_> {
    /// Whether this cell is masked.
    pub fn is_masked(&self) -> bool {
        matches!(self, Value::Masked)
    }
}

impl fmt::Display for Value<'_> {
    /// Python-style text: `True`, `599`, `0.2`, `nan`; masked cells print `--`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Masked => f.write_str("--"),
            Value::Bool(b) => f.write_str(if *b { "True" } else { "False" }),
            Value::Int(i) => write!(f, "{i}"),
            Value::UInt8(u) => write!(f, "{u}"),
            Value::Float(x) => f.write_str(&pyfmt::float_repr(*x)),
            Value::Str(s) => f.write_str(s),
        }
    }
}

/// Name, type and descriptive metadata of a column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMeta {
    /// The column name, as MAST sends it.
    pub name: String,
    /// The cell type.
    pub data_type: DataType,
    /// Unit, where the server or column config gives one.
    pub unit: Option<String>,
    /// Description, where the server or column config gives one.
    pub description: Option<String>,
}

impl ColumnMeta {
    /// Metadata with a name and a type only.
    pub fn new(name: impl Into<String>, data_type: DataType) -> Self {
        ColumnMeta { name: name.into(), data_type, unit: None, description: None }
    }
}

/// Text cells stored back to back in one buffer (Arrow's layout: `offsets[i]..offsets[i+1]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Utf8Values {
    pub(crate) bytes: String,
    pub(crate) offsets: Vec<usize>,
}

impl Utf8Values {
    fn with_capacity(rows: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Utf8Values { bytes: String::new(), offsets }
    }

    pub(crate) fn get(&self, i: usize) -> &str {
        &self.bytes[self.offsets[i]..self.offsets[i + 1]]
    }

    fn push(&mut self, s: &str) {
        self.bytes.push_str(s);
        self.offsets.push(self.bytes.len());
    }

    /// Appends an integer's decimal digits (Python's `str(int)`).
    fn push_int(&mut self, x: impl itoa::Integer) {
        self.bytes.push_str(itoa::Buffer::new().format(x));
        self.offsets.push(self.bytes.len());
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Values {
    Bool(Vec<bool>),
    Int64(Vec<i64>),
    UInt8(Vec<u8>),
    Float64(Vec<f64>),
    String(Utf8Values),
}

/// What marks a "null" cell for one column besides JSON null: the column config's
/// `ignoreValue` (spec §3.1).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IgnoreValue {
    Number(f64),
    Text(String),
}

impl IgnoreValue {
    pub(crate) fn from_json(v: &serde_json::Value) -> Option<IgnoreValue> {
        match v {
            serde_json::Value::Number(n) => n.as_f64().map(IgnoreValue::Number),
            serde_json::Value::String(s) => match pyparse::parse_float(s) {
                Some(x) => Some(IgnoreValue::Number(x)),
                None => Some(IgnoreValue::Text(s.clone())),
            },
            _ => None,
        }
    }

    fn matches_number(&self, x: f64) -> bool {
        match self {
            IgnoreValue::Number(n) => *n == x || (n.is_nan() && x.is_nan()),
            IgnoreValue::Text(_) => false,
        }
    }

    fn matches_text(&self, s: &str) -> bool {
        match self {
            IgnoreValue::Text(t) => t == s,
            IgnoreValue::Number(n) => pyparse::parse_float(s).is_some_and(|x| x == *n || (n.is_nan() && x.is_nan())),
        }
    }
}

/// A typed column with a validity mask.
///
/// Masked cells hold a default value underneath (`false`, `0`, `NaN`, `""`); read them
/// through [`Column::get`], which returns [`Value::Masked`], or check [`Column::is_masked`].
///
/// ```
/// use mast_proto::{Column, DataType, Value};
/// let mut c = Column::new("size", DataType::Int64);
/// c.push(Value::Int(31680));
/// c.push(Value::Masked);
/// c.push(Value::Str("42"));      // converted as Python would
/// assert_eq!(c.len(), 3);
/// assert_eq!(c.get(0), Value::Int(31680));
/// assert!(c.is_masked(1));
/// assert_eq!(c.get(2), Value::Int(42));
/// ```
#[derive(Debug, Clone)]
pub struct Column {
    meta: ColumnMeta,
    pub(crate) values: Values,
    pub(crate) valid: Vec<bool>,
    pub(crate) coercion_failures: usize,
}

impl Column {
    /// An empty column.
    pub fn new(name: impl Into<String>, data_type: DataType) -> Self {
        Column::with_meta(ColumnMeta::new(name, data_type), 0)
    }

    /// An empty column with the given metadata and room for `rows` cells.
    pub fn with_meta(meta: ColumnMeta, rows: usize) -> Self {
        let values = match meta.data_type {
            DataType::Bool => Values::Bool(Vec::with_capacity(rows)),
            DataType::Int64 => Values::Int64(Vec::with_capacity(rows)),
            DataType::UInt8 => Values::UInt8(Vec::with_capacity(rows)),
            DataType::Float64 => Values::Float64(Vec::with_capacity(rows)),
            DataType::String => Values::String(Utf8Values::with_capacity(rows)),
        };
        Column { meta, values, valid: Vec::with_capacity(rows), coercion_failures: 0 }
    }

    /// A column built from cells (converted to `data_type` as [`Column::push`] does).
    pub fn from_values<'a>(
        name: impl Into<String>,
        data_type: DataType,
        cells: impl IntoIterator<Item = Value<'a>>,
    ) -> Self {
        let mut c = Column::new(name, data_type);
        for v in cells {
            c.push(v);
        }
        c
    }

    /// The column name.
    pub fn name(&self) -> &str {
        &self.meta.name
    }

    /// The cell type.
    pub fn data_type(&self) -> DataType {
        self.meta.data_type
    }

    /// Name, type, unit and description.
    pub fn meta(&self) -> &ColumnMeta {
        &self.meta
    }

    /// Mutable metadata (the type cannot change).
    pub fn set_unit(&mut self, unit: Option<String>) {
        self.meta.unit = unit;
    }

    /// Sets the description.
    pub fn set_description(&mut self, description: Option<String>) {
        self.meta.description = description;
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.valid.len()
    }

    /// Whether the column has no cells.
    pub fn is_empty(&self) -> bool {
        self.valid.is_empty()
    }

    /// Whether cell `i` is masked. Panics if `i` is out of bounds.
    pub fn is_masked(&self, i: usize) -> bool {
        !self.valid[i]
    }

    /// Number of masked cells.
    pub fn masked_count(&self) -> usize {
        self.valid.iter().filter(|v| !**v).count()
    }

    /// Cell `i`. Panics if `i` is out of bounds.
    pub fn get(&self, i: usize) -> Value<'_> {
        if !self.valid[i] {
            return Value::Masked;
        }
        match &self.values {
            Values::Bool(v) => Value::Bool(v[i]),
            Values::Int64(v) => Value::Int(v[i]),
            Values::UInt8(v) => Value::UInt8(v[i]),
            Values::Float64(v) => Value::Float(v[i]),
            Values::String(v) => Value::Str(v.get(i)),
        }
    }

    /// The cells, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Value<'_>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Cell `i` as an integer, if it is an unmasked integer (or unsigned byte) cell.
    pub fn get_i64(&self, i: usize) -> Option<i64> {
        match self.get(i) {
            Value::Int(x) => Some(x),
            Value::UInt8(x) => Some(x.into()),
            _ => None,
        }
    }

    /// Cell `i` as a float, if it is an unmasked numeric cell.
    pub fn get_f64(&self, i: usize) -> Option<f64> {
        match self.get(i) {
            Value::Float(x) => Some(x),
            Value::Int(x) => Some(x as f64),
            Value::UInt8(x) => Some(x.into()),
            _ => None,
        }
    }

    /// Cell `i` as text, if it is an unmasked text cell.
    pub fn get_str(&self, i: usize) -> Option<&str> {
        match self.get(i) {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Cell `i` as a boolean, if it is an unmasked boolean cell.
    pub fn get_bool(&self, i: usize) -> Option<bool> {
        match self.get(i) {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// How many values could not be converted to this column's type and were masked.
    pub fn coercion_failures(&self) -> usize {
        self.coercion_failures
    }

    /// Appends a cell, converting it to the column's type with Python's rules: numbers in a
    /// text column become their Python text (`599` → `"599"`, `1.5` → `"1.5"`, `true` →
    /// `"True"`), a float in an integer column is truncated toward zero, numeric text is
    /// parsed, booleans take truthiness. A value that cannot be converted is masked and
    /// counted in [`Column::coercion_failures`]. An empty string is masked in a text column.
    pub fn push(&mut self, value: Value<'_>) {
        match value {
            Value::Masked => self.push_masked(),
            Value::Bool(b) => self.push_bool(b),
            Value::Int(i) => self.push_i64(i),
            Value::UInt8(u) => self.push_i64(u.into()),
            Value::Float(x) => self.push_f64(x),
            Value::Str(s) => self.push_str(s),
        }
    }

    /// Appends text to a text column as it is, an empty string included (unmasked). For
    /// tables a program builds itself; decoders use [`Column::push`], which masks `""`.
    /// In a column of another type the text is converted as [`Column::push`] does.
    pub fn push_text(&mut self, s: &str) {
        match &mut self.values {
            Values::String(v) => {
                v.push(s);
                self.valid.push(true);
            }
            _ => self.push_str(s),
        }
    }

    /// Appends a masked cell.
    #[inline]
    pub fn push_masked(&mut self) {
        match &mut self.values {
            Values::Bool(v) => v.push(false),
            Values::Int64(v) => v.push(0),
            Values::UInt8(v) => v.push(0),
            Values::Float64(v) => v.push(f64::NAN),
            Values::String(v) => v.push(""),
        }
        self.valid.push(false);
    }

    #[inline]
    pub(crate) fn push_unconvertible(&mut self) {
        self.coercion_failures += 1;
        self.push_masked();
    }

    #[inline]
    pub(crate) fn push_bool(&mut self, b: bool) {
        match &mut self.values {
            Values::Bool(v) => v.push(b),
            Values::Int64(v) => v.push(b.into()),
            Values::UInt8(v) => v.push(b.into()),
            Values::Float64(v) => v.push(if b { 1.0 } else { 0.0 }),
            Values::String(v) => v.push(if b { "True" } else { "False" }),
        }
        self.valid.push(true);
    }

    #[inline]
    pub(crate) fn push_i64(&mut self, i: i64) {
        match &mut self.values {
            Values::Bool(v) => v.push(i != 0),
            Values::Int64(v) => v.push(i),
            Values::UInt8(v) => match u8::try_from(i) {
                Ok(u) => v.push(u),
                Err(_) => return self.push_unconvertible(),
            },
            Values::Float64(v) => v.push(i as f64),
            Values::String(v) => v.push_int(i),
        }
        self.valid.push(true);
    }

    #[inline]
    pub(crate) fn push_u64(&mut self, u: u64) {
        match i64::try_from(u) {
            Ok(i) => self.push_i64(i),
            Err(_) => match &mut self.values {
                Values::Float64(v) => {
                    v.push(u as f64);
                    self.valid.push(true);
                }
                Values::String(v) => {
                    v.push_int(u);
                    self.valid.push(true);
                }
                Values::Bool(v) => {
                    v.push(true);
                    self.valid.push(true);
                }
                _ => self.push_unconvertible(),
            },
        }
    }

    #[inline]
    pub(crate) fn push_f64(&mut self, x: f64) {
        match &mut self.values {
            Values::Bool(v) => v.push(x != 0.0),
            Values::Int64(v) => {
                // Python int(): truncate toward zero; refuse what does not fit.
                if !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&x) {
                    return self.push_unconvertible();
                }
                v.push(x.trunc() as i64);
            }
            Values::UInt8(v) => {
                if !(x.is_finite() && (0.0..256.0).contains(&x.trunc())) {
                    return self.push_unconvertible();
                }
                v.push(x.trunc() as u8);
            }
            Values::Float64(v) => v.push(x),
            Values::String(v) => {
                pyfmt::write_float_repr(&mut v.bytes, x);
                v.offsets.push(v.bytes.len());
            }
        }
        self.valid.push(true);
    }

    #[inline]
    pub(crate) fn push_str(&mut self, s: &str) {
        match &mut self.values {
            Values::String(v) if !s.is_empty() => {
                v.push(s);
                self.valid.push(true);
            }
            _ => self.push_str_converted(s),
        }
    }

    /// [`Column::push_str`] of an empty string, or into a column that is not text.
    fn push_str_converted(&mut self, s: &str) {
        match &mut self.values {
            Values::String(v) => {
                if s.is_empty() {
                    return self.push_masked();
                }
                v.push(s);
                self.valid.push(true);
            }
            Values::Bool(_) => match s.trim() {
                "" => self.push_masked(),
                t if t.eq_ignore_ascii_case("true") || t == "1" => self.push_bool(true),
                t if t.eq_ignore_ascii_case("false") || t == "0" => self.push_bool(false),
                _ => self.push_unconvertible(),
            },
            Values::Int64(_) | Values::UInt8(_) => {
                let t = s.trim();
                if t.is_empty() {
                    return self.push_masked();
                }
                match t.parse::<i64>() {
                    Ok(i) => self.push_i64(i),
                    Err(_) => self.push_unconvertible(),
                }
            }
            Values::Float64(_) => {
                let t = s.trim();
                if t.is_empty() {
                    return self.push_masked();
                }
                match pyparse::parse_float(s) {
                    Some(x) => self.push_f64(x),
                    None => self.push_unconvertible(),
                }
            }
        }
    }

    /// Masks every cell equal to `ignore` (a columns config's `ignoreValue`).
    pub(crate) fn mask_ignored(&mut self, ignore: &IgnoreValue) {
        for i in 0..self.valid.len() {
            if !self.valid[i] {
                continue;
            }
            let hit = match &self.values {
                Values::Bool(_) => false,
                Values::Int64(v) => ignore.matches_number(v[i] as f64),
                Values::UInt8(v) => ignore.matches_number(v[i].into()),
                Values::Float64(v) => ignore.matches_number(v[i]),
                Values::String(v) => ignore.matches_text(v.get(i)),
            };
            if hit {
                self.valid[i] = false;
            }
        }
    }

    /// A new column holding rows `range` of this one. Panics if the range is out of bounds.
    pub fn slice(&self, range: Range<usize>) -> Column {
        self.take(range)
    }

    /// A new column holding the given rows, in the given order. Panics on an out-of-bounds
    /// index.
    pub fn take(&self, rows: impl IntoIterator<Item = usize>) -> Column {
        let mut out = Column::with_meta(self.meta.clone(), 0);
        for i in rows {
            match &mut out.values {
                Values::Bool(v) => v.push(self.bool_at(i)),
                Values::Int64(v) => v.push(self.raw_i64(i)),
                Values::UInt8(v) => v.push(self.raw_u8(i)),
                Values::Float64(v) => v.push(self.raw_f64(i)),
                Values::String(v) => v.push(self.raw_str(i)),
            }
            out.valid.push(self.valid[i]);
        }
        out
    }

    fn bool_at(&self, i: usize) -> bool {
        matches!(&self.values, Values::Bool(v) if v[i])
    }
    fn raw_i64(&self, i: usize) -> i64 {
        if let Values::Int64(v) = &self.values { v[i] } else { 0 }
    }
    fn raw_u8(&self, i: usize) -> u8 {
        if let Values::UInt8(v) = &self.values { v[i] } else { 0 }
    }
    fn raw_f64(&self, i: usize) -> f64 {
        if let Values::Float64(v) = &self.values { v[i] } else { f64::NAN }
    }
    fn raw_str(&self, i: usize) -> &str {
        if let Values::String(v) = &self.values { v.get(i) } else { "" }
    }

    pub(crate) fn reserve(&mut self, additional: usize) {
        self.valid.reserve(additional);
        match &mut self.values {
            Values::Bool(v) => v.reserve(additional),
            Values::Int64(v) => v.reserve(additional),
            Values::UInt8(v) => v.reserve(additional),
            Values::Float64(v) => v.reserve(additional),
            Values::String(v) => {
                let rows = v.offsets.len().saturating_sub(1).max(1);
                v.bytes.reserve(text_room(v.bytes.len() / rows, additional));
                v.offsets.reserve(additional);
            }
        }
    }

    /// Reserves text bytes for `additional` more cells as long as the ones so far on average
    /// (no-op for other types).
    pub(crate) fn reserve_text(&mut self, additional: usize) {
        if let Values::String(v) = &mut self.values {
            let rows = v.offsets.len().saturating_sub(1).max(1);
            v.bytes.reserve(text_room(v.bytes.len().div_ceil(rows), additional));
        }
    }

    /// Appends all cells of `other` (same type required; checked by the caller).
    pub(crate) fn extend_from(&mut self, other: &Column) {
        match (&mut self.values, &other.values) {
            (Values::Bool(a), Values::Bool(b)) => a.extend_from_slice(b),
            (Values::Int64(a), Values::Int64(b)) => a.extend_from_slice(b),
            (Values::UInt8(a), Values::UInt8(b)) => a.extend_from_slice(b),
            (Values::Float64(a), Values::Float64(b)) => a.extend_from_slice(b),
            (Values::String(a), Values::String(b)) => {
                let base = a.bytes.len();
                a.bytes.push_str(&b.bytes);
                a.offsets.extend(b.offsets[1..].iter().map(|o| o + base));
            }
            _ => unreachable!("extend_from is only called on columns of equal type"),
        }
        self.valid.extend_from_slice(&other.valid);
        self.coercion_failures += other.coercion_failures;
    }
}

impl PartialEq for Column {
    /// Same metadata and the same cells (masks included; NaN equals NaN).
    fn eq(&self, other: &Column) -> bool {
        self.meta == other.meta
            && self.len() == other.len()
            && (0..self.len()).all(|i| match (self.get(i), other.get(i)) {
                (Value::Float(a), Value::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
                (a, b) => a == b,
            })
    }
}

/// Text bytes to reserve for `additional` cells of `per_cell` bytes on average: checked
/// arithmetic, and at most [`MAX_TEXT_RESERVE`] (the text grows past it as cells arrive), so
/// no estimate built from server counts can ask for a terabyte.
fn text_room(per_cell: usize, additional: usize) -> usize {
    per_cell.saturating_mul(additional).min(MAX_TEXT_RESERVE)
}

/// The most text bytes reserved ahead of the cells that fill them.
const MAX_TEXT_RESERVE: usize = 256 << 20;
