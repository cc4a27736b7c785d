//! astropy-like text rendering.

use std::fmt;

use super::{Table, Value};

/// How [`Table::to_text`] lays a table out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// Maximum line width in characters; columns in the middle are replaced by `...` when
    /// the table is wider. `None`: no limit.
    pub max_width: Option<usize>,
    /// Maximum number of data rows; rows in the middle are replaced by a `...` line and a
    /// `Length = N rows` line is added, as astropy does. `None`: no limit.
    pub max_rows: Option<usize>,
}

impl Default for TextOptions {
    /// 80 columns wide, every row.
    fn default() -> Self {
        TextOptions { max_width: Some(80), max_rows: None }
    }
}

impl Table {
    /// Renders the table as astropy prints it: a header of names, a line of dashes, every
    /// cell right-aligned, `--` for masked cells, `...` where columns or rows were elided.
    ///
    /// ```
    /// use mast_proto::{Column, DataType, Table, TextOptions, Value};
    /// let t = Table::new(vec![
    ///     Column::from_values("obs_collection", DataType::String, [Value::Str("HST"), Value::Masked]),
    ///     Column::from_values("distance", DataType::Float64, [Value::Float(0.0), Value::Float(3.5)]),
    /// ])?;
    /// assert_eq!(
    ///     t.to_text(&TextOptions::default()),
    ///     "obs_collection distance\n-------------- --------\n           HST      0.0\n            --      3.5\n"
    /// );
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn to_text(&self, options: &TextOptions) -> String {
        let n = self.num_rows();
        let rows: Vec<Option<usize>> = match options.max_rows {
            Some(max) if n > max && max >= 1 => {
                let top = max.div_ceil(2);
                let bottom = max - top;
                (0..top).map(Some).chain(std::iter::once(None)).chain((n - bottom..n).map(Some)).collect()
            }
            _ => (0..n).map(Some).collect(),
        };
        // Cell texts per column, and each column's width.
        let cells: Vec<Vec<String>> = self
            .columns()
            .iter()
            .map(|c| rows.iter().map(|r| r.map_or_else(|| "...".to_owned(), |r| cell_text(c.get(r)))).collect())
            .collect();
        let widths: Vec<usize> = self
            .columns()
            .iter()
            .zip(&cells)
            .map(|(c, col)| col.iter().map(|s| s.chars().count()).chain([c.name().chars().count()]).max().unwrap_or(0))
            .collect();
        let shown = visible_columns(&widths, options.max_width);

        let mut out = String::new();
        let line = |pieces: &mut dyn FnMut(usize) -> String, out: &mut String| {
            let mut first = true;
            for slot in &shown {
                if !first {
                    out.push(' ');
                }
                first = false;
                match slot {
                    Some(i) => {
                        let s = pieces(*i);
                        pad_left(out, &s, widths[*i]);
                    }
                    None => out.push_str("..."),
                }
            }
            // astropy leaves no trailing spaces.
            while out.ends_with(' ') {
                out.pop();
            }
            out.push('\n');
        };
        line(&mut |i| self.columns()[i].name().to_owned(), &mut out);
        line(&mut |i| "-".repeat(widths[i]), &mut out);
        for (k, _) in rows.iter().enumerate() {
            line(&mut |i| cells[i][k].clone(), &mut out);
        }
        if rows.len() < n || rows.iter().any(Option::is_none) {
            out.push_str(&format!("Length = {n} rows\n"));
        }
        out
    }
}

impl fmt::Display for Table {
    /// The whole table, astropy style, with no width or row limit.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text(&TextOptions { max_width: None, max_rows: None }))
    }
}

fn cell_text(v: Value<'_>) -> String {
    v.to_string()
}

fn pad_left(out: &mut String, s: &str, width: usize) {
    for _ in s.chars().count()..width {
        out.push(' ');
    }
    out.push_str(s);
}

/// Which columns fit in `max_width`: `Some(i)` for a column, `None` for the `...` marker.
/// Like astropy, columns are taken alternately from the left and the right end.
fn visible_columns(widths: &[usize], max_width: Option<usize>) -> Vec<Option<usize>> {
    let total: usize = widths.iter().sum::<usize>() + widths.len().saturating_sub(1);
    let Some(max) = max_width.filter(|m| total > *m) else {
        return (0..widths.len()).map(Some).collect();
    };
    let mut left: Vec<usize> = Vec::new();
    let mut right: Vec<usize> = Vec::new();
    let mut used = 3; // the "..." marker
    let (mut lo, mut hi) = (0usize, widths.len());
    let mut take_left = true;
    while lo < hi {
        let i = if take_left { lo } else { hi - 1 };
        let need = widths[i] + 1;
        if used + need > max {
            break;
        }
        used += need;
        if take_left {
            left.push(i);
            lo += 1;
        } else {
            right.push(i);
            hi -= 1;
        }
        take_left = !take_left;
    }
    if left.is_empty() && !widths.is_empty() {
        left.push(0);
    }
    let mut shown: Vec<Option<usize>> = left.into_iter().map(Some).collect();
    shown.push(None);
    shown.extend(right.into_iter().rev().map(Some));
    shown
}
