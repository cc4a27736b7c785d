//! [`Table`]: the result of every MAST query, as typed, masked columns.

#[cfg(feature = "arrow")]
mod arrow;
mod column;
mod export;
mod render;

use std::ops::Range;

pub(crate) use column::IgnoreValue;
pub use column::{Column, ColumnMeta, DataType, Value};
pub use render::TextOptions;

use crate::{Error, Result, Warning};

/// A table of typed, masked columns, in the row order MAST sent.
///
/// Columns are `bool`, `i64`, `u8`, `f64` or text ([`DataType`]), each with a validity
/// mask. Tables decode straight from MAST's response bytes into these columns.
///
/// # Masking
///
/// A cell is masked **if and only if** the server sent `null` or left the value out, or the
/// value equals the `ignoreValue` that the column's columns config declares (CAOM `s_fov` 0,
/// `em_resolution` -9999, ...), or it is an empty string in a text column.
///
/// Two astroquery quirks are deliberately not copied, because both hide or invent data:
/// - **Float nulls are masked.** astroquery fills a null float with NaN and then compares
///   NaN with NaN, so the cell ends up *unmasked* NaN; here it is masked.
/// - **A genuine -999 stays unmasked.** astroquery fills null integers (and services-API
///   floats) with -999 and masks every -999, including real ones; here only nulls are masked.
///
/// # Example
///
/// ```
/// use mast_proto::{Column, DataType, Table, Value};
/// let table = Table::new(vec![
///     Column::from_values("obs_id", DataType::String, [Value::Str("u9o40504m"), Value::Str("")]),
///     Column::from_values("size", DataType::Int64, [Value::Int(31680), Value::Masked]),
/// ])?;
/// assert_eq!(table.num_rows(), 2);
/// assert!(table.column("obs_id").unwrap().is_masked(1)); // empty string: masked
/// assert_eq!(table.to_csv(), "\"obs_id\",\"size\"\nstr,int64\n\"u9o40504m\",31680\n,\n");
/// # Ok::<(), mast_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    columns: Vec<Column>,
    num_rows: usize,
    warnings: Vec<Warning>,
}

impl Table {
    /// A table from columns of equal length (checked) and unique names (checked).
    pub fn new(columns: Vec<Column>) -> Result<Table> {
        let num_rows = columns.first().map_or(0, Column::len);
        for c in &columns {
            if c.len() != num_rows {
                return Err(Error::SchemaMismatch {
                    detail: format!(
                        "column {:?} has {} rows, column {:?} has {num_rows}",
                        c.name(),
                        c.len(),
                        columns[0].name()
                    ),
                });
            }
        }
        for (i, c) in columns.iter().enumerate() {
            if columns[..i].iter().any(|d| d.name() == c.name()) {
                return Err(Error::SchemaMismatch { detail: format!("column name {:?} appears twice", c.name()) });
            }
        }
        Ok(Table { columns, num_rows, warnings: Vec::new() })
    }

    /// An empty table with no columns.
    pub fn empty() -> Table {
        Table::default()
    }

    pub(crate) fn from_parts(columns: Vec<Column>, num_rows: usize) -> Table {
        debug_assert!(columns.iter().all(|c| c.len() == num_rows));
        Table { columns, num_rows, warnings: Vec::new() }
    }

    /// Number of rows.
    pub fn num_rows(&self) -> usize {
        self.num_rows
    }

    /// Number of columns.
    pub fn num_columns(&self) -> usize {
        self.columns.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.num_rows == 0
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column names, in order.
    pub fn column_names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.columns.iter().map(Column::name)
    }

    /// The column called `name` (exact match).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name() == name)
    }

    /// Mutable access to the column called `name` (to set its unit or description).
    pub fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.name() == name)
    }

    /// The cell at `row` of column `name`, if both exist.
    pub fn value(&self, row: usize, name: &str) -> Option<Value<'_>> {
        let c = self.column(name)?;
        (row < c.len()).then(|| c.get(row))
    }

    /// Warnings that came with this result (no results, values that could not be converted,
    /// ...). They are also logged by the client; they are never dropped silently.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Adds a warning (kept once: an identical warning is not repeated).
    pub fn push_warning(&mut self, warning: Warning) {
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    /// Puts a warning first (kept once), for warnings about the input that came before the
    /// query.
    pub fn insert_warning(&mut self, warning: Warning) {
        if !self.warnings.contains(&warning) {
            self.warnings.insert(0, warning);
        }
    }

    /// Appends a column of the table's length.
    pub fn push_column(&mut self, column: Column) -> Result<()> {
        if !self.columns.is_empty() && column.len() != self.num_rows {
            return Err(Error::SchemaMismatch {
                detail: format!(
                    "column {:?} has {} rows, the table has {}",
                    column.name(),
                    column.len(),
                    self.num_rows
                ),
            });
        }
        if self.column(column.name()).is_some() {
            return Err(Error::SchemaMismatch { detail: format!("column name {:?} appears twice", column.name()) });
        }
        self.num_rows = column.len();
        self.columns.push(column);
        Ok(())
    }

    /// The first `n` rows (all rows if there are fewer), like `table[:n]` in astropy.
    pub fn head(&self, n: usize) -> Table {
        self.slice(0..n.min(self.num_rows))
    }

    /// Rows `range`, like `table[a:b]` in astropy. The range is clamped to the table.
    pub fn slice(&self, range: Range<usize>) -> Table {
        let end = range.end.min(self.num_rows);
        let start = range.start.min(end);
        self.take(start..end)
    }

    /// The given rows, in the given order (e.g. the rows a filter kept). Panics on an
    /// out-of-bounds row index.
    pub fn take(&self, rows: impl IntoIterator<Item = usize> + Clone) -> Table {
        let columns: Vec<Column> = self.columns.iter().map(|c| c.take(rows.clone())).collect();
        let num_rows = rows.into_iter().count();
        Table { columns, num_rows, warnings: self.warnings.clone() }
    }

    /// The named columns, in the order given. An unknown name is an [`Error::NoSuchColumn`].
    pub fn select<S: AsRef<str>>(&self, names: &[S]) -> Result<Table> {
        let mut columns = Vec::with_capacity(names.len());
        for name in names {
            let name = name.as_ref();
            let c = self.column(name).ok_or_else(|| Error::NoSuchColumn {
                name: name.to_owned(),
                available: self.column_names().collect::<Vec<_>>().join(", "),
            })?;
            columns.push(c.clone());
        }
        let mut t = Table::new(columns)?;
        t.num_rows = self.num_rows;
        t.warnings = self.warnings.clone();
        Ok(t)
    }

    /// Appends the rows of `other` (e.g. the next page). Both tables must have the same
    /// column names and types in the same order; otherwise nothing is changed and the error
    /// names the first difference. Appending to a table with no columns adopts `other`'s.
    pub fn append(&mut self, other: &Table) -> Result<()> {
        if self.columns.is_empty() && self.num_rows == 0 {
            let warnings = std::mem::take(&mut self.warnings);
            *self = other.clone();
            for w in warnings {
                self.push_warning(w);
            }
            return Ok(());
        }
        if self.columns.len() != other.columns.len() {
            return Err(Error::SchemaMismatch {
                detail: format!("{} columns against {}", self.columns.len(), other.columns.len()),
            });
        }
        for (a, b) in self.columns.iter().zip(&other.columns) {
            if a.name() != b.name() || a.data_type() != b.data_type() {
                return Err(Error::SchemaMismatch {
                    detail: format!(
                        "column {:?} ({}) against {:?} ({})",
                        a.name(),
                        a.data_type(),
                        b.name(),
                        b.data_type()
                    ),
                });
            }
        }
        for (a, b) in self.columns.iter_mut().zip(&other.columns) {
            a.extend_from(b);
        }
        self.num_rows += other.num_rows;
        // "No results" from an empty page does not hold once rows are there.
        if self.num_rows > 0 {
            self.warnings.retain(|w| *w != Warning::no_results());
        }
        for w in &other.warnings {
            if !(self.num_rows > 0 && *w == Warning::no_results()) {
                self.push_warning(w.clone());
            }
        }
        Ok(())
    }

    /// Applies a columns config: masks every cell equal to its column's declared
    /// `ignoreValue`, and takes units and descriptions the columns do not have yet.
    pub fn apply_column_config(&mut self, config: &crate::ColumnConfig) {
        for c in &mut self.columns {
            if let Some(ignore) = config.ignore_value(c.name()).and_then(IgnoreValue::from_json) {
                c.mask_ignored(&ignore);
            }
            if c.meta().unit.is_none() {
                let unit = config.unit(c.name()).map(str::to_owned);
                c.set_unit(unit);
            }
            if c.meta().description.is_none() {
                let description = config.description(c.name()).map(str::to_owned);
                c.set_description(description);
            }
        }
    }

    /// Makes room for `additional` more rows in every column (text columns by the average
    /// length of their current cells), so that appending pages does not re-copy.
    pub fn reserve(&mut self, additional: usize) {
        for c in &mut self.columns {
            c.reserve(additional);
        }
    }

    /// Joins tables vertically in order (e.g. pages 1..N of one query), checking schemas.
    pub fn concat(tables: impl IntoIterator<Item = Table>) -> Result<Table> {
        let mut iter = tables.into_iter();
        let Some(mut first) = iter.next() else { return Ok(Table::empty()) };
        for t in iter {
            first.append(&t)?;
        }
        Ok(first)
    }
}
