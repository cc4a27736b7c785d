//! The columns-config model (spec §3.1): per-column properties MAST's portal keeps for each
//! service (type, unit, description, `separator`, `ignoreValue`, ...).

use serde_json::{Map, Value};

use crate::{Error, Result};

/// A columns config: column name → property object, in the server's order.
///
/// ```
/// use mast_proto::ColumnConfig;
/// let cfg = ColumnConfig::parse(br#"{"s_fov": {"vot.datatype": "double", "ignoreValue": 0},
///                                     "obs_collection": {"vot.datatype": "char", "separator": ";"}}"#)?;
/// assert!(cfg.is_continuous("s_fov"));
/// assert_eq!(cfg.separator("obs_collection"), Some(";"));
/// assert_eq!(cfg.find("OBS_COLLECTION").map(|(name, _)| name), Some("obs_collection"));
/// # Ok::<(), mast_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ColumnConfig {
    entries: Map<String, Value>,
}

impl ColumnConfig {
    /// Parses a `columnsconfig` response body. `{}` (MAST's answer for an id without a
    /// config) gives an empty config.
    pub fn parse(bytes: &[u8]) -> Result<ColumnConfig> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(entries)) => Ok(ColumnConfig { entries }),
            Ok(other) => Err(Error::decode("columns config", format!("expected a JSON object, got {}", kind(&other)))),
            Err(e) => Err(Error::decode("columns config", e)),
        }
    }

    /// A config from an already parsed object.
    pub fn from_map(entries: Map<String, Value>) -> ColumnConfig {
        ColumnConfig { entries }
    }

    /// Whether the config has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of entries (including `_selected_` if present).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The column names, in the server's order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.keys().map(String::as_str)
    }

    /// All entries, in the server's order.
    pub fn entries(&self) -> &Map<String, Value> {
        &self.entries
    }

    /// Mutable entries (e.g. to merge histogram answers, spec §3.2).
    pub fn entries_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.entries
    }

    /// The property object of column `name` (exact name).
    pub fn entry(&self, name: &str) -> Option<&Map<String, Value>> {
        self.entries.get(name).and_then(Value::as_object)
    }

    /// The column whose name equals `name` ignoring ASCII case: its canonical name and
    /// properties.
    pub fn find(&self, name: &str) -> Option<(&str, &Map<String, Value>)> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(k, v)| v.as_object().map(|m| (k.as_str(), m)))
    }

    fn str_prop(&self, name: &str, key: &str) -> Option<&str> {
        self.entry(name)?.get(key)?.as_str()
    }

    /// The declared `ignoreValue` of column `name`, when present and not null.
    pub fn ignore_value(&self, name: &str) -> Option<&Value> {
        self.entry(name)?.get("ignoreValue").filter(|v| !v.is_null())
    }

    /// The multi-value `separator` of column `name` (`;` for CAOM `obs_collection`, ...).
    pub fn separator(&self, name: &str) -> Option<&str> {
        self.str_prop(name, "separator")
    }

    /// The VOTable datatype (`vot.datatype`, else `type`) of column `name`.
    pub fn datatype(&self, name: &str) -> Option<&str> {
        self.str_prop(name, "vot.datatype").or_else(|| self.str_prop(name, "type"))
    }

    /// The unit of column `name` (`unit`, else `vot.unit`).
    pub fn unit(&self, name: &str) -> Option<&str> {
        self.str_prop(name, "unit").or_else(|| self.str_prop(name, "vot.unit")).filter(|u| !u.is_empty())
    }

    /// The description of column `name` (`vot.description`).
    pub fn description(&self, name: &str) -> Option<&str> {
        self.str_prop(name, "vot.description").filter(|d| !d.is_empty())
    }

    /// Whether criteria on column `name` are ranges (`[min, max]`): its datatype is
    /// `double`, `float` or `numeric`, or it has `treatNumeric: true` (spec §3.4).
    pub fn is_continuous(&self, name: &str) -> bool {
        let Some(entry) = self.entry(name) else { return false };
        let dt = entry.get("vot.datatype").or_else(|| entry.get("type")).and_then(Value::as_str).unwrap_or("");
        matches!(dt.to_ascii_lowercase().as_str(), "double" | "float" | "numeric")
            || entry.get("treatNumeric").and_then(Value::as_bool).unwrap_or(false)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
