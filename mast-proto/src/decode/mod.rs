//! Decoders for MAST's response formats: the Portal JSON envelope (spec §2.3), the
//! services-API envelope (§4.2), the `extjs` format (§2.7); columns configs are in
//! [`crate::ColumnConfig`].
//!
//! Every decoder reads the body once and writes cells straight into typed columns. The hot
//! path is hand-written (`scan`, `envelope`, the fast row decoder in `rows`); whatever it
//! does not accept goes through serde_json, which gives the same result or words the error.

mod envelope;
mod rows;
mod scan;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::table::{Column, ColumnMeta, DataType};
use crate::{ColumnConfig, Error, Result, Table, Warning, WarningCategory};
use rows::RowSink;
use scan::{Bail, Fast, Scanner};

/// The `status` of a Portal response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The job is still running: send the identical request again.
    Executing,
    /// The result is ready.
    Complete,
    /// MAST reports an error (an empty JSON body counts as this too, as in astroquery).
    Error,
    /// A status MAST does not document, kept verbatim (`""` for `Mast.Name.Lookup`).
    Other(String),
    /// The body has no `status` key.
    Missing,
}

/// The `paging` object of a Portal response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Paging {
    /// The page returned (1-based).
    pub page: u64,
    /// The page size asked for.
    pub page_size: u64,
    /// How many pages the whole result has.
    pub pages_filtered: u64,
    /// Rows in this response.
    pub rows: u64,
    /// Rows matching the query in all.
    pub rows_filtered: u64,
    /// Rows in all.
    pub rows_total: u64,
}

/// One entry of a Portal `fields` list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Field {
    /// Column name.
    pub name: String,
    /// MAST type name (`string`, `float`, `int`, `boolean`, ...).
    #[serde(rename = "type", default)]
    pub type_name: String,
}

#[derive(Deserialize)]
struct RawEnvelope<'a> {
    status: Option<String>,
    msg: Option<String>,
    paging: Option<Paging>,
    fields: Option<Vec<Field>>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

/// A parsed Portal (`format=json`) response whose rows are not decoded yet.
///
/// ```
/// use mast_proto::decode::{self, Status};
/// let body = br#"{"status": "COMPLETE", "msg": "", "paging": {"page": 1, "pageSize": 2, "pagesFiltered": 1, "rows": 1, "rowsFiltered": 1, "rowsTotal": 1},
///                 "fields": [{"name": "obs_id", "type": "string"}, {"name": "t_exptime", "type": "float"}],
///                 "data": [{"obs_id": "u9o40504m", "t_exptime": null}]}"#;
/// let response = decode::parse_portal(body)?;
/// assert_eq!(*response.status(), Status::Complete);
/// let table = response.into_table("Mast.Caom.Cone", None)?;
/// assert_eq!(table.num_rows(), 1);
/// assert!(table.column("t_exptime").unwrap().is_masked(0)); // a float null is masked
/// # Ok::<(), mast_proto::Error>(())
/// ```
#[derive(Debug)]
pub struct PortalResponse<'a> {
    status: Status,
    msg: Option<String>,
    paging: Option<Paging>,
    fields: Option<Vec<Field>>,
    /// The `data` value's JSON text.
    data: Option<&'a str>,
    /// The rows of a `COMPLETE` response, decoded with `fields` in the same pass as the
    /// envelope (no columns config applied yet).
    decoded: Option<Table>,
}

/// Parses the envelope of a Portal response (status, msg, paging, fields); rows are decoded
/// by [`PortalResponse::into_table`].
///
/// The body is read in one pass: for a `COMPLETE` response the rows are decoded here already,
/// so that `into_table` only applies the columns config.
pub fn parse_portal(bytes: &[u8]) -> Result<PortalResponse<'_>> {
    const FORMAT: &str = "portal JSON";
    let text = std::str::from_utf8(bytes).map_err(|e| Error::decode(FORMAT, format!("the body is not UTF-8 ({e})")))?;
    match envelope::scan_portal(text) {
        Ok(response) => Ok(response),
        Err(Bail) => parse_portal_serde(text),
    }
}

/// [`parse_portal`] by serde: for what the one-pass reader leaves (unusual or malformed
/// bodies), and the wording of every error.
fn parse_portal_serde(text: &str) -> Result<PortalResponse<'_>> {
    const FORMAT: &str = "portal JSON";
    match serde_json::from_str::<RawEnvelope<'_>>(text) {
        Ok(env) => {
            // Only a body without a status is read again, to tell `{}` (an error) from one
            // that has other keys.
            let status = match env.status.as_deref() {
                None => status_of(None, is_empty_object(text)),
                known => status_of(known, false),
            };
            Ok(PortalResponse {
                status,
                msg: env.msg,
                paging: env.paging,
                fields: env.fields,
                data: env.data.map(RawValue::get),
                decoded: None,
            })
        }
        Err(e) => match serde_json::from_str::<Value>(text) {
            // astroquery treats any falsy JSON value ([], null, "", 0, false) as an error status.
            Ok(v) if is_falsy(&v) => Ok(PortalResponse {
                status: Status::Error,
                msg: None,
                paging: None,
                fields: None,
                data: None,
                decoded: None,
            }),
            Ok(_) => Err(Error::decode(FORMAT, format!("expected a JSON object with status, fields and data ({e})"))),
            Err(e) => Err(Error::decode_caused(FORMAT, describe_json_error(&e, text), e)),
        },
    }
}

/// The [`Status`] of a `status` value; a body that is `{}` counts as an error.
fn status_of(status: Option<&str>, empty_object: bool) -> Status {
    match status {
        Some("EXECUTING") => Status::Executing,
        Some("COMPLETE") => Status::Complete,
        Some("ERROR") => Status::Error,
        Some(other) => Status::Other(other.to_owned()),
        None if empty_object => Status::Error,
        None => Status::Missing,
    }
}

fn is_empty_object(text: &str) -> bool {
    matches!(serde_json::from_str::<Value>(text), Ok(Value::Object(m)) if m.is_empty())
}

fn is_falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

fn describe_json_error(e: &serde_json::Error, text: &str) -> String {
    if e.is_eof() {
        format!("the body ends early, after {} bytes ({e}): the response was probably truncated", text.len())
    } else if text.trim_start().starts_with('<') {
        format!("the body is HTML, not JSON ({e}): the server sent an error page")
    } else {
        e.to_string()
    }
}

impl<'a> PortalResponse<'a> {
    /// The response status.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// MAST's `msg`, if any.
    pub fn message(&self) -> Option<&str> {
        self.msg.as_deref()
    }

    /// The `paging` object, if any.
    pub fn paging(&self) -> Option<Paging> {
        self.paging
    }

    /// The `fields` list, if any.
    pub fn fields(&self) -> Option<&[Field]> {
        self.fields.as_deref()
    }

    /// Decodes the rows into a [`Table`] (spec §4.1, with mast-rs's masking rule, see
    /// [`Table`]). `config` is the service's columns config: its `ignoreValue`s mask cells,
    /// its units and descriptions become column metadata.
    ///
    /// `status: ERROR` becomes [`Error::Remote`] quoting `msg`; any status other than
    /// `COMPLETE`, or a missing `fields`/`data`, is a decode error. Zero rows give an empty
    /// table with every column and a `NoResultsWarning`.
    pub fn into_table(self, service: &str, config: Option<&ColumnConfig>) -> Result<Table> {
        const FORMAT: &str = "portal JSON";
        match &self.status {
            Status::Complete => {}
            Status::Error => {
                return Err(Error::Remote {
                    service: service.to_owned(),
                    message: self
                        .msg
                        .filter(|m| !m.is_empty())
                        .unwrap_or_else(|| "There was an error with your request.".to_owned()),
                });
            }
            Status::Executing => {
                return Err(Error::decode(FORMAT, format!("{service} is still EXECUTING; poll again")));
            }
            Status::Missing => return Err(Error::decode(FORMAT, "the response has no \"status\"")),
            Status::Other(s) => return Err(Error::decode(FORMAT, format!("unexpected status {s:?}"))),
        }
        let (Some(fields), Some(data)) = (self.fields.as_ref(), self.data) else {
            return Err(Error::decode(FORMAT, "missing required key(s) \"data\" and/or \"fields\""));
        };
        match self.decoded {
            Some(mut table) => {
                if let Some(cfg) = config {
                    table.apply_column_config(cfg);
                }
                Ok(table)
            }
            None => decode_rows(FORMAT, fields, data, config, TableKind::Portal),
        }
    }
}

/// Parses and decodes a complete Portal response in one go: the table and the `paging`.
pub fn portal_table(bytes: &[u8], service: &str, config: Option<&ColumnConfig>) -> Result<(Table, Option<Paging>)> {
    let response = parse_portal(bytes)?;
    let paging = response.paging();
    Ok((response.into_table(service, config)?, paging))
}

#[derive(Clone, Copy, PartialEq)]
enum TableKind {
    Portal,
    Services,
}

/// Decodes a JSON array of rows (the whole of `rows`) into a table of `fields`.
fn decode_rows(
    format: &'static str,
    fields: &[Field],
    rows: &str,
    config: Option<&ColumnConfig>,
    kind: TableKind,
) -> Result<Table> {
    let mut sc = Scanner::new(rows);
    let fast = rows_fast(fields, &mut sc, kind).and_then(|t| {
        sc.skip_ws();
        if sc.at_end() { Ok(t) } else { Err(Bail) }
    });
    let mut table = match fast {
        Ok(table) => table,
        Err(Bail) => {
            let mut sink = new_sink(fields, kind, rows.len());
            sink.decode(rows).map_err(|e| Error::decode_caused(format, describe_json_error(&e, rows), e))?;
            finish_table(sink, kind)
        }
    };
    if let Some(cfg) = config {
        table.apply_column_config(cfg);
    }
    Ok(table)
}

/// Decodes the array of rows at the scanner's position with the fast decoder.
fn rows_fast(fields: &[Field], sc: &mut Scanner<'_>, kind: TableKind) -> Fast<Table> {
    let mut sink = new_sink(fields, kind, sc.text().len() - sc.pos);
    let keys: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    sink.decode_fast(sc, &keys)?;
    Ok(finish_table(sink, kind))
}

/// Empty columns for `fields` and the sink that fills them; `json_len` (the length of the
/// rows' JSON) sizes them.
fn new_sink(fields: &[Field], kind: TableKind, json_len: usize) -> RowSink<'_> {
    // `_selected_` is a portal UI column; a repeated name keeps its first entry only.
    let mut kept: Vec<&Field> = Vec::with_capacity(fields.len());
    for f in fields {
        if f.name != "_selected_" && !kept.iter().any(|k| k.name == f.name) {
            kept.push(f);
        }
    }
    let estimated_rows = json_len / (kept.len().max(1) * 12 + 2);
    let columns: Vec<Column> = kept
        .iter()
        .map(|f| {
            let data_type = match kind {
                TableKind::Portal => DataType::from_portal_type(&f.type_name)
                    .unwrap_or_else(|| DataType::from_services_type(&f.type_name)),
                TableKind::Services => DataType::from_services_type(&f.type_name),
            };
            Column::with_meta(ColumnMeta::new(f.name.clone(), data_type), estimated_rows.min(1 << 20))
        })
        .collect();
    let names: Vec<&str> = kept.iter().map(|f| f.name.as_str()).collect();
    RowSink::new(columns, names)
}

fn finish_table(sink: RowSink<'_>, kind: TableKind) -> Table {
    let rows = sink.rows;
    let mut columns = sink.columns;
    if kind == TableKind::Services && rows > 0 {
        // As astroquery: a listed column that no row carries is left out.
        let carried = sink.carried;
        let mut i = 0;
        columns.retain(|_| {
            i += 1;
            carried[i - 1]
        });
    }
    let mut warnings = Vec::new();
    for c in &columns {
        if c.coercion_failures() > 0 {
            warnings.push(Warning::new(
                WarningCategory::BlankResponse,
                format!(
                    "Column '{}': {} values could not be coerced to {} and were masked.",
                    c.name(),
                    c.coercion_failures(),
                    c.data_type()
                ),
            ));
        }
    }
    let mut table = Table::from_parts(columns, rows);
    for w in warnings {
        table.push_warning(w);
    }
    if rows == 0 {
        table.push_warning(Warning::no_results());
    }
    table
}

/// Decodes a services-API response (`{"info": [...], "<data_key>": [...]}`, spec §4.2):
/// PanSTARRS uses `data_key` `data`, the missions search `results`.
///
/// Column names come from `column_name` (else `name`); types from `type` when the first
/// `info` entry has one, else from `db_type`. Rows may be arrays (in `info` order) or
/// objects. Nulls, missing cells and empty strings are masked; a genuine -999 stays a
/// value (see [`Table`]). A column that no row carries is left out, as astroquery does.
///
/// ```
/// let body = br#"{"info": [{"name": "objID", "type": "long"}, {"name": "raMean", "type": "double"}],
///                 "data": [["68960059717834079", 325.9], [1, null]]}"#;
/// let t = mast_proto::decode::services_table(body, "data")?;
/// assert_eq!(t.column("objID").unwrap().get_i64(0), Some(68960059717834079));
/// assert!(t.column("raMean").unwrap().is_masked(1));
/// # Ok::<(), mast_proto::Error>(())
/// ```
pub fn services_table(bytes: &[u8], data_key: &str) -> Result<Table> {
    const FORMAT: &str = "services JSON";
    let text = std::str::from_utf8(bytes).map_err(|e| Error::decode(FORMAT, format!("the body is not UTF-8 ({e})")))?;
    let raw: std::collections::HashMap<std::borrow::Cow<'_, str>, &RawValue> =
        serde_json::from_str(text).map_err(|e| Error::decode_caused(FORMAT, describe_json_error(&e, text), e))?;
    let info = raw.get("info").ok_or_else(|| Error::decode(FORMAT, "the response has no \"info\" column list"))?;
    let info: Vec<Map<String, Value>> = serde_json::from_str(info.get())
        .map_err(|e| Error::decode(FORMAT, format!("\"info\" is not a list of column descriptors ({e})")))?;
    let rows =
        raw.get(data_key).ok_or_else(|| Error::decode(FORMAT, format!("the response has no {data_key:?} rows")))?;
    let use_type = info.first().and_then(|e| e.get("type")).is_some_and(truthy);
    let fields: Vec<Field> = info
        .iter()
        .map(|e| {
            let name = e.get("column_name").or_else(|| e.get("name")).and_then(Value::as_str).unwrap_or("").to_owned();
            let type_name =
                e.get(if use_type { "type" } else { "db_type" }).and_then(Value::as_str).unwrap_or("").to_owned();
            Field { name, type_name }
        })
        .collect();
    let mut table = decode_rows(FORMAT, &fields, rows.get(), None, TableKind::Services)?;
    for e in &info {
        let name = e.get("column_name").or_else(|| e.get("name")).and_then(Value::as_str).unwrap_or("");
        if let Some(c) = table.column_mut(name) {
            c.set_unit(e.get("unit").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned));
            c.set_description(
                e.get("description").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned),
            );
        }
    }
    Ok(table)
}

fn truthy(v: &Value) -> bool {
    !is_falsy(v)
}

/// One table of an `extjs` response.
#[derive(Debug, Clone)]
pub struct ExtjsTable {
    /// The table's `name` (`Table`).
    pub name: String,
    /// The `Columns` descriptors as sent (`text`, `dataIndex`, `ExtendedProperties`, ...).
    pub columns: Vec<Value>,
    /// The table's `ExtendedProperties` (`Paging`, and for histogram services
    /// `discreteHistogram` / `continuousHistogram`).
    pub extended_properties: Map<String, Value>,
    /// The rows, decoded with the types of `Fields`.
    pub table: Table,
}

impl ExtjsTable {
    /// The `Columns` descriptor whose `text` is `text`.
    pub fn column(&self, text: &str) -> Option<&Value> {
        self.columns.iter().find(|c| c.get("text").and_then(Value::as_str) == Some(text))
    }
}

#[derive(Deserialize)]
struct RawExtjs<'a> {
    status: Option<String>,
    msg: Option<String>,
    #[serde(borrow)]
    data: Option<RawExtjsData<'a>>,
}

#[derive(Deserialize)]
struct RawExtjsData<'a> {
    #[serde(rename = "Tables", borrow, default)]
    tables: Vec<RawExtjsTable<'a>>,
}

#[derive(Deserialize)]
struct RawExtjsTable<'a> {
    #[serde(default)]
    name: String,
    #[serde(rename = "Columns", default)]
    columns: Vec<Value>,
    #[serde(rename = "Fields", default)]
    fields: Vec<Field>,
    #[serde(rename = "ExtendedProperties", default)]
    extended_properties: Map<String, Value>,
    #[serde(rename = "Rows", borrow)]
    rows: Option<&'a RawValue>,
}

/// Decodes an `extjs` response (spec §2.7) of `service`: every table in `data.Tables`.
///
/// ```
/// let body = br#"{"status": "COMPLETE", "msg": "", "data": {"name": "NewDataSet", "Tables": [{"name": "Table",
///   "ExtendedProperties": {}, "Columns": [{"text": "obs_collection", "ExtendedProperties": {"histObj": {"HST": {"count": 3, "key": "HST"}}}}],
///   "Fields": [{"name": "obs_collection", "type": "string"}], "Rows": []}]}}"#;
/// let tables = mast_proto::decode::extjs_tables(body, "Mast.Caom.All")?;
/// assert!(tables[0].column("obs_collection").is_some());
/// # Ok::<(), mast_proto::Error>(())
/// ```
pub fn extjs_tables(bytes: &[u8], service: &str) -> Result<Vec<ExtjsTable>> {
    const FORMAT: &str = "extjs";
    let text = std::str::from_utf8(bytes).map_err(|e| Error::decode(FORMAT, format!("the body is not UTF-8 ({e})")))?;
    let raw: RawExtjs<'_> =
        serde_json::from_str(text).map_err(|e| Error::decode_caused(FORMAT, describe_json_error(&e, text), e))?;
    match raw.status.as_deref() {
        Some("COMPLETE") => {}
        Some("ERROR") => {
            return Err(Error::Remote {
                service: service.to_owned(),
                message: raw
                    .msg
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "There was an error with your request.".to_owned()),
            });
        }
        other => return Err(Error::decode(FORMAT, format!("unexpected status {other:?}"))),
    }
    let data = raw.data.ok_or_else(|| Error::decode(FORMAT, "the response has no \"data\""))?;
    data.tables
        .into_iter()
        .map(|t| {
            let rows = t.rows.map_or("[]", RawValue::get);
            let table = decode_rows(FORMAT, &t.fields, rows, None, TableKind::Portal)?;
            Ok(ExtjsTable { name: t.name, columns: t.columns, extended_properties: t.extended_properties, table })
        })
        .collect()
}

#[cfg(test)]
mod tests;
