//! Canonical CSV, JSON records and the MAST Portal JSON envelope.

use std::fmt::Write as _;

use super::{Column, DataType, Table, Value};
use crate::pyfmt;

impl Table {
    /// The table as canonical CSV (`../shared/conformance/README.md`, "Canonical CSV"):
    /// a line of quoted column names, a line of dtypes (`int64`, `uint8`, `float64`, `bool`,
    /// `str`), then one line per row; masked cells are empty fields, text is always quoted
    /// (`"` doubled), floats are shortest round-trip (`nan`, `inf`, `-inf`), booleans
    /// `true`/`false`.
    ///
    /// ```
    /// use mast_proto::{Column, DataType, Table, Value};
    /// let t = Table::new(vec![
    ///     Column::from_values("x", DataType::Float64, [Value::Float(0.5), Value::Masked]),
    ///     Column::from_values("ok", DataType::Bool, [Value::Bool(true), Value::Bool(false)]),
    /// ])?;
    /// assert_eq!(t.to_csv(), "\"x\",\"ok\"\nfloat64,bool\n0.5,true\n,false\n");
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn to_csv(&self) -> String {
        let mut out = String::with_capacity(64 + self.num_rows() * self.num_columns() * 8);
        self.write_csv_into(&mut out);
        out
    }

    /// Writes [`Table::to_csv`] to `w`.
    pub fn write_csv(&self, mut w: impl std::io::Write) -> std::io::Result<()> {
        let mut buf = String::new();
        self.write_csv_into(&mut buf);
        w.write_all(buf.as_bytes())
    }

    fn write_csv_into(&self, out: &mut String) {
        let cols = self.columns();
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_csv_quoted(out, c.name());
        }
        out.push('\n');
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(c.data_type().name());
        }
        out.push('\n');
        for row in 0..self.num_rows() {
            for (i, c) in cols.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match c.get(row) {
                    Value::Masked => {}
                    Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
                    Value::Int(x) => {
                        let _ = write!(out, "{x}");
                    }
                    Value::UInt8(x) => {
                        let _ = write!(out, "{x}");
                    }
                    Value::Float(x) => pyfmt::write_float_repr(out, x),
                    Value::Str(s) => push_csv_quoted(out, s),
                }
            }
            out.push('\n');
        }
    }

    /// The table as a JSON array of row objects (`[{"col": value, ...}, ...]`); masked cells
    /// are `null`, non-finite floats are `null` too (JSON has no NaN).
    ///
    /// ```
    /// use mast_proto::{Column, DataType, Table, Value};
    /// let t = Table::new(vec![Column::from_values("n", DataType::Int64, [Value::Int(1), Value::Masked])])?;
    /// assert_eq!(t.to_json_records(), r#"[{"n":1},{"n":null}]"#);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn to_json_records(&self) -> String {
        let mut out = String::with_capacity(2 + self.num_rows() * self.num_columns() * 16);
        out.push('[');
        for row in 0..self.num_rows() {
            if row > 0 {
                out.push(',');
            }
            out.push('{');
            for (i, c) in self.columns().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_str(&mut out, c.name());
                out.push(':');
                push_json_value(&mut out, c.get(row));
            }
            out.push('}');
        }
        out.push(']');
        out
    }

    /// Encodes the table as a MAST Portal `format=json` envelope (spec §2.3) with `status`
    /// `COMPLETE`: the inverse of [`crate::decode::portal_table`]. Masked cells become `null`.
    /// `paging` is `(page, page_size, pages_filtered, rows_filtered)`; without it the envelope
    /// describes one page holding every row. Used by the emulator and by round-trip tests.
    pub fn to_portal_json(&self, paging: Option<(u64, u64, u64, u64)>) -> String {
        let rows = self.num_rows() as u64;
        let (page, size, pages, filtered) = paging.unwrap_or((1, rows.max(1), 1, rows));
        let mut out = String::with_capacity(256 + self.num_rows() * self.num_columns() * 20);
        let _ = write!(
            out,
            "{{\"status\": \"COMPLETE\", \"msg\": \"\", \"paging\": {{\"page\": {page}, \"pageSize\": {size}, \"pagesFiltered\": {pages}, \"rows\": {rows}, \"rowsFiltered\": {filtered}, \"rowsTotal\": {filtered}}}, \"fields\": ["
        );
        for (i, c) in self.columns().iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str("{\"name\": ");
            push_json_str(&mut out, c.name());
            out.push_str(", \"type\": \"");
            out.push_str(portal_type_name(c));
            out.push_str("\"}");
        }
        out.push_str("], \"data\": [");
        for row in 0..self.num_rows() {
            if row > 0 {
                out.push_str(", ");
            }
            out.push('{');
            for (i, c) in self.columns().iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_json_str(&mut out, c.name());
                out.push_str(": ");
                push_json_value(&mut out, c.get(row));
            }
            out.push('}');
        }
        out.push_str("]}");
        out
    }
}

fn portal_type_name(c: &Column) -> &'static str {
    match c.data_type() {
        DataType::Bool => "boolean",
        DataType::Int64 => "int",
        DataType::UInt8 => "unsignedByte",
        DataType::Float64 => "float",
        DataType::String => "string",
    }
}

fn push_csv_quoted(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        if ch == '"' {
            out.push('"');
        }
        out.push(ch);
    }
    out.push('"');
}

fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, ch) in s.char_indices() {
        let escaped = match ch {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escaped.is_empty() {
            let _ = write!(out, "\\u{:04x}", ch as u32);
        } else {
            out.push_str(escaped);
        }
        start = i + ch.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn push_json_value(out: &mut String, v: Value<'_>) {
    match v {
        Value::Masked => out.push_str("null"),
        Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Value::Int(x) => {
            let _ = write!(out, "{x}");
        }
        Value::UInt8(x) => {
            let _ = write!(out, "{x}");
        }
        Value::Float(x) if x.is_finite() => pyfmt::write_float_repr(out, x),
        Value::Float(_) => out.push_str("null"),
        Value::Str(s) => push_json_str(out, s),
    }
}

impl Table {
    /// Reads canonical CSV as [`Table::to_csv`] writes it (names line, dtype line, rows):
    /// the inverse of `to_csv`, so a table written by `mast ... --format csv` can be read
    /// back (e.g. a product list to download later). An empty field is a masked cell, `""`
    /// an empty text; dtypes `int64`/`uint8`/`float64`/`bool`/`str` (`object` reads as text).
    ///
    /// ```
    /// use mast_proto::Table;
    /// let t = Table::from_csv("\"obs_id\",\"size\"\nstr,int64\n\"u9o40504m\",31680\n,\n")?;
    /// assert_eq!(t.to_csv(), "\"obs_id\",\"size\"\nstr,int64\n\"u9o40504m\",31680\n,\n");
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn from_csv(text: &str) -> crate::Result<Table> {
        let bad = |detail: String| crate::Error::Decode { format: "canonical CSV", detail, source: None };
        let mut records = csv_records(text).into_iter();
        let names = records.next().ok_or_else(|| bad("no header line".into()))?;
        let types = records.next().ok_or_else(|| bad("no dtype line".into()))?;
        if names.len() != types.len() {
            return Err(bad(format!("{} names but {} dtypes", names.len(), types.len())));
        }
        let mut columns = Vec::with_capacity(names.len());
        for ((name, _), (dtype, _)) in names.iter().zip(&types) {
            let data_type = match dtype.as_str() {
                "int64" => DataType::Int64,
                "uint8" => DataType::UInt8,
                "float64" => DataType::Float64,
                "bool" => DataType::Bool,
                "str" | "object" => DataType::String,
                other => return Err(bad(format!("unknown dtype {other:?} of column {name:?}"))),
            };
            columns.push(Column::new(name.clone(), data_type));
        }
        for (line, record) in records.enumerate() {
            if record.len() != columns.len() {
                return Err(bad(format!("row {} has {} fields, expected {}", line + 1, record.len(), columns.len())));
            }
            for (column, (field, quoted)) in columns.iter_mut().zip(record) {
                match (column.data_type(), quoted, field.as_str()) {
                    (_, false, "") => column.push_masked(),
                    (DataType::String, _, text) => column.push_text(text),
                    (DataType::Bool, false, "true") => column.push(Value::Bool(true)),
                    (DataType::Bool, false, "false") => column.push(Value::Bool(false)),
                    (_, _, text) => {
                        let before = column.coercion_failures();
                        column.push(Value::Str(text));
                        if column.coercion_failures() > before {
                            return Err(bad(format!("row {}: {text:?} is not a {}", line + 1, column.data_type())));
                        }
                    }
                }
            }
        }
        Table::new(columns)
    }
}

/// Splits CSV text into records of `(field, was_quoted)` (quoted fields may hold commas,
/// `""` and newlines).
fn csv_records(text: &str) -> Vec<Vec<(String, bool)>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let (mut quoted, mut was_quoted) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => {
                quoted = !quoted;
                was_quoted = true;
            }
            (',', false) => record.push((std::mem::take(&mut field), std::mem::take(&mut was_quoted))),
            ('\n', false) => {
                record.push((std::mem::take(&mut field), std::mem::take(&mut was_quoted)));
                records.push(std::mem::take(&mut record));
            }
            ('\r', false) => {}
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || was_quoted || !record.is_empty() {
        record.push((field, was_quoted));
        records.push(record);
    }
    records
}
