//! Fuzz harnesses shared by `cargo xtask fuzz` (stable Rust, built-in mutation fuzzer, which
//! includes this file as a module) and the libFuzzer targets in `fuzz_targets/`
//! (`cargo +nightly fuzz run <target>`).
//!
//! Each harness feeds one input to one mast-proto entry point and checks what the API
//! documents about a successful result; any panic is a bug. It returns whether the input was
//! accepted (no error), which the stable fuzzer uses to keep interesting inputs.

use std::sync::OnceLock;

use mast_proto::criteria::{Criteria, CriterionValue, CriterionValues, build_filters};
use mast_proto::decode;
use mast_proto::position::{Position, Radius};
use mast_proto::products::{FilterValue, ProductFilter, filter_products};
use mast_proto::pyfmt;
use mast_proto::{ColumnConfig, ServiceRequest, Table, TextOptions};
use serde_json::Value;

/// A harness: one input in, whether mast-proto accepted it out.
pub type Harness = fn(&[u8]) -> bool;

/// Every target, by name (the libFuzzer target of the same name calls the same function).
pub const TARGETS: &[(&str, Harness)] = &[
    ("portal_table", portal_table),
    ("services_table", services_table),
    ("extjs_tables", extjs_tables),
    ("column_config", column_config),
    ("position", position),
    ("radius", radius),
    ("service_request", service_request),
    ("path_lookup", path_lookup),
    ("criteria", criteria),
    ("product_filter", product_filter),
];

/// The recorded `Mast.Caom.Cone` columns config: its `ignoreValue`s, units and descriptions
/// are applied to fuzzed Portal bodies.
fn caom_config() -> &'static ColumnConfig {
    static CONFIG: OnceLock<ColumnConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        ColumnConfig::parse(include_bytes!("../mast-emulator/data/astroquery-recorded/columnsconfig.json"))
            .expect("the recorded columns config parses")
    })
}

/// The recorded `Mast.Caom.Products` answer, filtered by fuzzed product filters.
fn products_table() -> &'static Table {
    static PRODUCTS: OnceLock<Table> = OnceLock::new();
    PRODUCTS.get_or_init(|| {
        decode::portal_table(
            include_bytes!("../mast-emulator/data/astroquery-recorded/products.json"),
            "Mast.Caom.Products",
            None,
        )
        .expect("the recorded products answer decodes")
        .0
    })
}

/// A Portal body whose cells hit the awkward cases of `ignoreValue` masking; fuzzed columns
/// configs are applied to it.
const CONFIG_PROBE: &[u8] = br#"{"status": "COMPLETE", "msg": "", "fields": [
 {"name": "obs_collection", "type": "string"}, {"name": "s_ra", "type": "float"}, {"name": "calib_level", "type": "int"},
 {"name": "t_exptime", "type": "float"}, {"name": "obs_id", "type": "string"}, {"name": "dataRights", "type": "string"},
 {"name": "mtFlag", "type": "boolean"}, {"name": "srcDen", "type": "float"}, {"name": "objID", "type": "string"},
 {"name": "s_fov", "type": "unsignedByte"}, {"name": "_selected_", "type": "boolean"}],
 "data": [
 {"obs_collection": "HST", "s_ra": 23.11817129395, "calib_level": 3, "t_exptime": -999, "obs_id": "U27XCS01T", "dataRights": "PUBLIC", "mtFlag": false, "srcDen": 5885.0, "objID": 2012765872, "s_fov": 0, "_selected_": null},
 {"obs_collection": "", "s_ra": -999.0, "calib_level": -999, "t_exptime": 0, "obs_id": "-999", "dataRights": null, "mtFlag": true, "srcDen": "NaN", "objID": "2012765873", "s_fov": 255, "_selected_": true},
 {"obs_collection": null, "s_ra": 1e308, "calib_level": 9223372036854775807, "t_exptime": 1.5, "obs_id": "", "dataRights": "EXCLUSIVE_ACCESS", "mtFlag": "true", "srcDen": null, "objID": -1, "s_fov": -1, "_selected_": false},
 {}]}"#;

/// Checks a decoded table and everything that renders it.
fn check_table(t: &Table) {
    let n = t.num_rows();
    let names: Vec<&str> = t.column_names().collect();
    for c in t.columns() {
        assert_eq!(c.len(), n, "column {:?} has {} cells in a table of {n} rows", c.name(), c.len());
        let masked = c.iter().filter(|v| v.is_masked()).count();
        assert_eq!(masked, c.masked_count(), "column {:?}: masked cells miscounted", c.name());
        for v in c.iter() {
            let _ = v.to_string();
        }
    }
    let _ = t.to_text(&TextOptions::default());
    let _ = t.to_text(&TextOptions { max_width: Some(12), max_rows: Some(3) });
    let _ = t.to_text(&TextOptions { max_width: None, max_rows: Some(0) });
    let _ = t.to_csv();
    let records = t.to_json_records();
    match serde_json::from_str::<Value>(&records) {
        Ok(Value::Array(rows)) => assert_eq!(rows.len(), n, "to_json_records: wrong number of records"),
        Ok(_) => panic!("to_json_records is not a JSON array: {records}"),
        Err(e) => panic!("to_json_records is not valid JSON ({e}): {records}"),
    }
    let _ = t.head(2);
    let _ = t.slice(n / 2..n);
    if n > 0 {
        let _ = t.take([n - 1, 0, n / 2]);
    }
    // to_portal_json is documented as the inverse of portal_table.
    let json = t.to_portal_json(None);
    match decode::portal_table(json.as_bytes(), "Mast.Fuzz.RoundTrip", None) {
        Ok((back, _)) => {
            assert_eq!(back.num_rows(), n, "to_portal_json round trip changed the row count: {json}");
            assert_eq!(
                back.column_names().collect::<Vec<_>>(),
                names,
                "to_portal_json round trip changed the columns: {json}"
            );
        }
        Err(e) => panic!("to_portal_json output does not decode ({e}): {json}"),
    }
}

/// `decode::portal_table`, without and with the recorded CAOM columns config.
pub fn portal_table(data: &[u8]) -> bool {
    let mut accepted = false;
    for config in [None, Some(caom_config())] {
        if let Ok((table, _paging)) = decode::portal_table(data, "Mast.Caom.Cone", config) {
            check_table(&table);
            accepted = true;
        }
    }
    if let Ok(response) = decode::parse_portal(data) {
        let _ = (response.status(), response.message(), response.paging(), response.fields());
    }
    accepted
}

/// `decode::services_table` with `data_key` `data` (PanSTARRS) and `results` (missions).
pub fn services_table(data: &[u8]) -> bool {
    let mut accepted = false;
    for key in ["data", "results"] {
        if let Ok(table) = decode::services_table(data, key) {
            check_table(&table);
            accepted = true;
        }
    }
    accepted
}

/// `decode::extjs_tables`.
pub fn extjs_tables(data: &[u8]) -> bool {
    let Ok(tables) = decode::extjs_tables(data, "Mast.Caom.All") else { return false };
    for t in &tables {
        check_table(&t.table);
        let _ = t.column("obs_collection");
        for c in &t.columns {
            if let Some(text) = c.get("text").and_then(Value::as_str) {
                let _ = t.column(text);
            }
        }
    }
    true
}

/// `ColumnConfig::parse`, its accessors, and the config applied to a Portal body.
pub fn column_config(data: &[u8]) -> bool {
    let Ok(config) = ColumnConfig::parse(data) else { return false };
    let names: Vec<String> = config.names().map(str::to_owned).collect();
    assert_eq!(names.len(), config.len());
    for name in &names {
        let _ = (config.entry(name), config.unit(name), config.description(name), config.ignore_value(name));
        let _ = (config.separator(name), config.datatype(name), config.is_continuous(name));
        let _ = config.find(&name.to_uppercase());
    }
    if let Ok((table, _)) = decode::portal_table(CONFIG_PROBE, "Mast.Caom.Cone", Some(&config)) {
        check_table(&table);
    }
    true
}

/// The URIs whose keys a fuzzed path-lookup body is read for.
const LOOKUP_URIS: &[&str] =
    &["mast:HST/product/u9o40504m_c3m.fits", "mast:HST/product/does_not_exist.fits", "mast:PS1/product/a b+c.fits"];

/// MAST's path-lookup answer (`mast_proto::cloud::parse_path_lookup`): one key or `None` per
/// URI, in order; a key is never empty and never starts with `/`.
pub fn path_lookup(data: &[u8]) -> bool {
    let Ok(keys) = mast_proto::cloud::parse_path_lookup(data, LOOKUP_URIS) else { return false };
    assert_eq!(keys.len(), LOOKUP_URIS.len(), "one answer per URI");
    for key in keys.iter().flatten() {
        assert!(!key.is_empty() && !key.starts_with('/'), "bad key {key:?}");
    }
    true
}

fn check_position(p: Position, input: &str) {
    let (ra, dec) = (p.ra(), p.dec());
    assert!((0.0..360.0).contains(&ra), "{input:?}: ra {ra} outside [0, 360)");
    assert!((-90.0..=90.0).contains(&dec), "{input:?}: dec {dec} outside [-90, 90]");
    let text = p.to_string();
    match Position::parse(&text) {
        Ok(back) => assert_eq!(back, p, "{input:?}: Display {text:?} does not parse back to the same position"),
        Err(e) => panic!("{input:?}: Display {text:?} does not parse back: {e}"),
    }
}

/// `Position::parse` (text) and `Position::new` (the first 16 bytes as two doubles).
pub fn position(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let mut accepted = false;
    if let Ok(p) = Position::parse(&text) {
        check_position(p, &text);
        accepted = true;
    }
    if let (Some(ra), Some(dec)) = (f64_at(data, 0), f64_at(data, 8))
        && let Ok(p) = Position::new(ra, dec)
    {
        check_position(p, &format!("new({ra}, {dec})"));
    }
    accepted
}

fn check_radius(r: Radius, input: &str) {
    let deg = r.degrees();
    assert!(deg.is_finite() && deg >= 0.0, "{input:?}: radius {deg} is negative or not finite");
    let _ = (r.arcmin(), r.arcsec());
    let text = r.to_string();
    match Radius::parse(&text) {
        Ok(back) => assert_eq!(back, r, "{input:?}: Display {text:?} does not parse back to the same radius"),
        Err(e) => panic!("{input:?}: Display {text:?} does not parse back: {e}"),
    }
}

/// `Radius::parse` (text) and `Radius::from_degrees/arcmin/arcsec` (the first 8 bytes).
pub fn radius(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let mut accepted = false;
    if let Ok(r) = Radius::parse(&text) {
        check_radius(r, &text);
        accepted = true;
    }
    if let Some(x) = f64_at(data, 0) {
        for r in [Radius::from_degrees(x), Radius::from_arcmin(x), Radius::from_arcsec(x)].into_iter().flatten() {
            check_radius(r, &format!("from_*({x})"));
        }
    }
    accepted
}

/// `ServiceRequest::new(service).param(key, value)...to_json()`: the input is
/// `service\nkey\nvalue`, the value JSON if it parses, else text.
pub fn service_request(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let service = parts.next().unwrap_or_default();
    let key = parts.next().unwrap_or("ra");
    let raw = parts.next().unwrap_or_default();
    let (value, accepted) = match serde_json::from_str::<Value>(raw) {
        Ok(v) => (v, true),
        Err(_) => (Value::String(raw.to_owned()), false),
    };
    let mut request =
        ServiceRequest::new(service).param(key, value.clone()).param("radius", 0.2).property(key, value.clone());
    if let Value::Object(map) = &value {
        request = request.params(map.clone());
    }
    let page = data.len() as u64;
    let request = request.format(key).pagesize(page.wrapping_mul(7919)).page(page);
    let json = request.to_json();
    assert!(json.is_ascii(), "to_json is not ASCII: {json}");
    let body = request.form_body();
    assert!(body.starts_with("request=") && body.is_ascii(), "bad form body: {body}");
    // serde_json refuses to read more than 128 levels of nesting; to_json adds two.
    if depth(&value) < 120 {
        match serde_json::from_str::<Value>(&json) {
            // `property` with a reserved key and a value of another type is sent as given.
            Ok(Value::Object(obj)) if !["service", "params"].contains(&key) => {
                assert_eq!(
                    obj.get("service").and_then(Value::as_str),
                    Some(request.service()),
                    "to_json: wrong service: {json}"
                );
                assert!(obj.get("params").is_some_and(Value::is_object), "to_json: params is not an object: {json}");
            }
            Ok(Value::Object(_)) => {}
            Ok(_) => panic!("to_json is not a JSON object: {json}"),
            Err(e) => panic!("to_json is not valid JSON ({e}): {json}"),
        }
        // json.dumps output reads back as the same value.
        let dumped = pyfmt::json_dumps(&value);
        match serde_json::from_str::<Value>(&dumped) {
            Ok(back) => assert_eq!(back, value, "json_dumps does not read back as the same value: {dumped}"),
            Err(e) => panic!("json_dumps output is not valid JSON ({e}): {dumped}"),
        }
    }
    let _ = request.without_paging().to_json();
    accepted
}

fn criterion_text(v: &CriterionValue, input: &str) -> String {
    match v {
        CriterionValue::Text(t) => t.clone(),
        other => panic!("{input:?}: the command-line form gave a non-text value {other:?}"),
    }
}

/// Command-line criteria (user input): each line of the input is one `key=value` argument
/// (`Criteria::parse_arg`, `Criteria::from_args`), then the criteria are turned into Portal
/// filters with the recorded CAOM columns config (`build_filters`).
pub fn criteria(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').collect();
    for line in &lines {
        let Ok((key, values)) = Criteria::parse_arg(line) else { continue };
        assert!(!key.is_empty() && key.trim() == key, "{line:?}: keyword {key:?} is empty or not trimmed");
        match &values {
            CriterionValues::List(items) => {
                assert!(!items.is_empty(), "{line:?}: an empty list of values");
                for item in items {
                    let t = criterion_text(item, line);
                    assert!(!t.is_empty() && t.trim() == t, "{line:?}: value {t:?} is empty or not trimmed");
                }
            }
            CriterionValues::Range { min, max } => {
                let (lo, hi) = (criterion_text(min, line), criterion_text(max, line));
                assert!(!lo.is_empty() && !hi.is_empty(), "{line:?}: a range with an empty bound");
            }
        }
    }
    let Ok(criteria) = Criteria::from_args(&lines) else { return false };
    assert!(criteria.len() <= lines.len(), "more criteria than arguments");
    match build_filters(&criteria, caom_config()) {
        Ok(filters) => {
            let json = filters.to_json();
            match serde_json::from_str::<Value>(&json) {
                Ok(Value::Array(entries)) => assert_eq!(entries.len(), filters.len(), "to_json: wrong entry count"),
                Ok(_) => panic!("filters to_json is not a JSON array: {json}"),
                Err(e) => panic!("filters to_json is not valid JSON ({e}): {json}"),
            }
            true
        }
        Err(e) => {
            assert!(!e.to_string().is_empty(), "an empty error message");
            false
        }
    }
}

/// Command-line product filters (user input): each line is one `column=value[,value...]`
/// argument (`ProductFilter::parse_arg`, `ProductFilter::arg`), then the filter is checked and
/// applied to the recorded products of an observation (`filter_products`).
pub fn product_filter(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let mut filter = ProductFilter::new();
    for line in text.split('\n') {
        if let Ok((key, values)) = ProductFilter::parse_arg(line) {
            assert!(!key.is_empty() && key.trim() == key, "{line:?}: column {key:?} is empty or not trimmed");
            assert!(!values.is_empty(), "{line:?}: no values");
            for v in &values {
                if let FilterValue::Text(t) = v {
                    assert!(!t.is_empty() && t.trim() == t, "{line:?}: value {t:?} is empty or not trimmed");
                }
            }
        }
        filter = match filter.clone().arg(line) {
            Ok(f) => f,
            Err(_) => filter,
        };
    }
    if filter.check().is_err() {
        return false;
    }
    let products = products_table();
    match filter_products(products, &filter) {
        Ok(kept) => {
            assert!(kept.num_rows() <= products.num_rows(), "a filter added rows");
            assert_eq!(kept.num_columns(), products.num_columns(), "a filter changed the columns");
            check_table(&kept);
            true
        }
        Err(e) => {
            assert!(!e.to_string().is_empty(), "an empty error message");
            false
        }
    }
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn f64_at(data: &[u8], at: usize) -> Option<f64> {
    let bytes: [u8; 8] = data.get(at..at + 8)?.try_into().ok()?;
    Some(f64::from_le_bytes(bytes))
}
