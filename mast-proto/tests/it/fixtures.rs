use mast_proto::decode::{self, Status};
use mast_proto::{ColumnConfig, DataType, Error, Value, WarningCategory};

use crate::{fixture, fixture_dir};

fn masked(t: &mast_proto::Table, col: &str) -> usize {
    t.column(col).unwrap_or_else(|| panic!("no column {col}")).masked_count()
}

#[test]
fn caom_cone_with_its_columns_config() {
    let cfg = ColumnConfig::parse(&fixture("columnsconfig.json")).unwrap();
    let (t, paging) = decode::portal_table(&fixture("caom.json"), "Mast.Caom.Cone", Some(&cfg)).unwrap();
    assert_eq!((t.num_rows(), t.num_columns()), (19, 27));
    assert!(t.column("_selected_").is_none());
    let names: Vec<&str> = t.column_names().collect();
    assert_eq!(&names[..3], ["dataproduct_type", "obs_collection", "instrument_name"]);
    assert_eq!(names.last(), Some(&"distance"));
    let paging = paging.unwrap();
    assert_eq!((paging.page, paging.pages_filtered, paging.rows_filtered), (1, 1, 19));

    // obsid/objID are declared string but carry JSON integers: Python's str() of them.
    let obsid = t.column("obsid").unwrap();
    assert_eq!(obsid.data_type(), DataType::String);
    assert_eq!(obsid.get(0), Value::Str("2003585980"));
    assert_eq!(t.value(0, "objID"), Some(Value::Str("2012765872")));
    assert_eq!(t.column("calib_level").unwrap().data_type(), DataType::Int64);
    assert_eq!(t.value(0, "calib_level"), Some(Value::Int(3)));
    assert_eq!(t.value(0, "s_ra"), Some(Value::Float(23.11817129395)));
    assert_eq!(t.value(0, "obs_id"), Some(Value::Str("U27XCS01T")));
    // t_exptime is a float column; 1500 arrives as a JSON integer.
    assert_eq!(t.value(0, "t_exptime"), Some(Value::Float(1500.0)));

    // Masks: nulls and empty strings, floats included (deliberate deviation (a)).
    assert_eq!(masked(&t, "dataURL"), 19);
    assert_eq!(masked(&t, "em_min"), 6);
    assert_eq!(masked(&t, "em_max"), 6);
    assert_eq!(masked(&t, "target_classification"), 15);
    assert_eq!(masked(&t, "wavelength_region"), 6);
    let total: usize = t.columns().iter().map(|c| c.masked_count()).sum();
    assert_eq!(total, 69);
    // Units and descriptions come from the columns config.
    assert_eq!(t.column("s_ra").unwrap().meta().unit.as_deref(), Some("deg"));
    assert!(t.warnings().is_empty());
}

#[test]
fn columns_config_ignore_values_mask_real_values() {
    let cfg = ColumnConfig::parse(&fixture("columnsconfig.json")).unwrap();
    assert_eq!(cfg.len(), 51);
    assert_eq!(cfg.ignore_value("s_fov"), Some(&serde_json::json!(0)));
    assert_eq!(cfg.ignore_value("em_resolution"), Some(&serde_json::json!(-9999)));
    let separators: Vec<&str> = cfg.names().filter(|n| cfg.separator(n) == Some(";")).collect();
    assert_eq!(separators, ["obs_collection", "project", "filters", "wavelength_region", "target_classification"]);
    assert!(cfg.is_continuous("s_ra"));
    assert!(!cfg.is_continuous("obs_collection"));
    let removed = cfg.entries().values().filter(|e| e.get("remove").and_then(|r| r.as_bool()) == Some(true)).count();
    assert_eq!(removed, 19);

    let body = br#"{"status": "COMPLETE", "msg": "", "fields": [{"name": "s_fov", "type": "float"}, {"name": "em_resolution", "type": "float"}, {"name": "calib_level", "type": "int"}],
        "data": [{"s_fov": 0, "em_resolution": -9999, "calib_level": -999}, {"s_fov": 0.5, "em_resolution": 1.5, "calib_level": null}]}"#;
    let (t, _) = decode::portal_table(body, "Mast.Caom.Cone", Some(&cfg)).unwrap();
    assert!(t.column("s_fov").unwrap().is_masked(0));
    assert_eq!(t.value(1, "s_fov"), Some(Value::Float(0.5)));
    assert!(t.column("em_resolution").unwrap().is_masked(0));
    // A genuine -999 stays a value (deliberate deviation (b)); the null is masked.
    assert_eq!(t.value(0, "calib_level"), Some(Value::Int(-999)));
    assert!(t.column("calib_level").unwrap().is_masked(1));
}

#[test]
fn products() {
    let (t, _) = decode::portal_table(&fixture("products.json"), "Mast.Caom.Products", None).unwrap();
    assert_eq!((t.num_rows(), t.num_columns()), (22, 15));
    assert_eq!(t.column("size").unwrap().data_type(), DataType::Int64);
    assert_eq!(t.value(0, "size"), Some(Value::Int(207360)));
    assert_eq!(t.value(0, "dataURI"), Some(Value::Str("mast:HST/product/u9o40504m_c3m.fits")));
    assert_eq!(t.value(0, "obsID"), Some(Value::Str("2003738726")));
    let science = t.column("productType").unwrap().iter().filter(|v| *v == Value::Str("SCIENCE")).count();
    assert_eq!(science, 7);
    let mrp = t
        .column("productGroupDescription")
        .unwrap()
        .iter()
        .filter(|v| *v == Value::Str("Minimum Recommended Products"))
        .count();
    assert_eq!(mrp, 3);
    assert_eq!(masked(&t, "productGroupDescription"), 19);
    assert_eq!(masked(&t, "productDocumentationURL"), 22);
    assert_eq!(masked(&t, "prvversion"), 22);
}

#[test]
fn counts_response() {
    let (t, _) = decode::portal_table(&fixture("countsResp.json"), "Mast.Caom.Filtered", None).unwrap();
    assert_eq!((t.num_rows(), t.num_columns()), (1, 1));
    assert_eq!(t.value(0, "Column1"), Some(Value::Str("599")));
}

#[test]
fn tic_rows_with_null_ints() {
    let (t, _) = decode::portal_table(&fixture("tic.json"), "Mast.Catalogs.Filtered.Tic.Rows", None).unwrap();
    assert_eq!((t.num_rows(), t.num_columns()), (7, 89));
    for col in ["HIP", "KIC", "numcont"] {
        assert_eq!(t.column(col).unwrap().data_type(), DataType::Int64, "{col}");
        assert_eq!(masked(&t, col), 7, "{col}");
    }
    assert_eq!(t.value(0, "ID"), Some(Value::Str("10000732589")));
    assert_eq!(t.value(0, "ra"), Some(Value::Float(254.378937)));
    assert_eq!(t.value(0, "Tmag"), Some(Value::Float(16.328)));
    assert_eq!(t.value(0, "TWOMflag"), Some(Value::Str("   -   -   -  0-0- ")));
}

#[test]
fn hsc_float_nulls_are_masked() {
    let (t, _) = decode::portal_table(&fixture("hsc.json"), "Mast.Hsc.Db.v3", None).unwrap();
    assert_eq!((t.num_rows(), t.num_columns()), (28, 45));
    let total: usize = t.columns().iter().map(|c| c.masked_count()).sum();
    assert_eq!(total, 348);
    assert_eq!(masked(&t, "A_F606W"), 27);
    assert_eq!(t.value(0, "MatchID"), Some(Value::Int(82441651)));
    assert_eq!(t.value(0, "DSigma"), Some(Value::Float(0.0)));
    assert_eq!(t.value(0, "TargetName"), Some(Value::Str("M-15")));
}

#[test]
fn panstarrs_services_table() {
    let t = decode::services_table(&fixture("panstarrs.json"), "data").unwrap();
    assert_eq!((t.num_rows(), t.num_columns()), (35, 6));
    let types: Vec<DataType> = t.columns().iter().map(|c| c.data_type()).collect();
    assert_eq!(
        types,
        [DataType::String, DataType::Int64, DataType::Float64, DataType::Float64, DataType::Float64, DataType::UInt8]
    );
    // A 64-bit id sent as a JSON string parses exactly.
    assert_eq!(t.value(0, "objID"), Some(Value::Int(68960059717834079)));
    assert_eq!(t.value(34, "objID"), Some(Value::Int(68950059842489921)));
    assert_eq!(t.value(0, "surveyID"), Some(Value::UInt8(0)));
    // Eight genuine -999 magnitudes stay values (deliberate deviation (b)).
    let mag = t.column("iMeanApMag").unwrap();
    assert_eq!(mag.iter().filter(|v| *v == Value::Float(-999.0)).count(), 8);
    assert_eq!(mag.masked_count(), 0);
    assert_eq!(t.column("objname").unwrap().meta().description.as_deref(), Some("IAU name for this object."));
}

#[test]
fn missions_extjs() {
    let tables = decode::extjs_tables(&fixture("missions.extjs"), "Mast.Caom.All").unwrap();
    assert_eq!(tables.len(), 1);
    let t = &tables[0];
    assert_eq!(t.columns.len(), 26);
    assert_eq!(t.table.num_columns(), 25, "26 fields less the `_selected_` UI column");
    assert_eq!(t.table.num_rows(), 0);
    let hist = t.column("obs_collection").unwrap()["ExtendedProperties"]["histObj"].as_object().unwrap();
    let mut missions: Vec<&str> = hist.keys().map(String::as_str).filter(|k| *k != "hist").collect();
    missions.sort_unstable();
    assert_eq!(
        missions,
        [
            "BEFS",
            "EUVE",
            "FUSE",
            "GALEX",
            "HLA",
            "HST",
            "HUT",
            "IUE",
            "K2",
            "K2FFI",
            "Kepler",
            "KeplerFFI",
            "SWIFT",
            "TUES",
            "WUPPE"
        ]
    );
}

#[test]
fn histogram_extjs() {
    let tables = decode::extjs_tables(&fixture("ticcolumns_filtered.json"), "Mast.Catalogs.All.Tic").unwrap();
    let props = &tables[0].extended_properties;
    assert_eq!(props["discreteHistogram"].as_object().unwrap().len(), 8);
    assert_eq!(props["continuousHistogram"].as_object().unwrap().len(), 71);
    let tables = decode::extjs_tables(&fixture("ddcolumns_filtered.json"), "Mast.Catalogs.All.DiskDetective").unwrap();
    assert_eq!(tables[0].extended_properties["continuousHistogram"].as_object().unwrap().len(), 102);
}

#[test]
fn every_portal_fixture_decodes() {
    let cases: &[(&str, usize, usize)] = &[
        ("caom.json", 19, 27),
        ("advSearch.json", 3, 26),
        ("advSearchPos.json", 12, 28),
        ("countsResp.json", 1, 1),
        ("products.json", 22, 15),
        ("hsc.json", 28, 45),
        ("matchid.json", 9, 37),
        ("spectra.json", 26, 16),
        ("tic.json", 7, 89),
        ("dd.json", 7, 64),
    ];
    for (file, rows, cols) in cases {
        let (t, _) = decode::portal_table(&fixture(file), "S", None).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!((t.num_rows(), t.num_columns()), (*rows, *cols), "{file}");
        assert!(t.warnings().is_empty(), "{file}: {:?}", t.warnings());
    }
    // spectra.json holds 52 empty strings: all masked.
    let (t, _) = decode::portal_table(&fixture("spectra.json"), "S", None).unwrap();
    let empty_masked: usize =
        t.columns().iter().filter(|c| c.data_type() == DataType::String).map(|c| c.masked_count()).sum();
    assert_eq!(empty_masked, 52);
}

/// What a recorded fixture is, and so which decoder reads it and what it must give.
enum Kind {
    /// `decode::portal_table`: rows, columns.
    Portal(usize, usize),
    /// `decode::services_table` with this data key: rows, columns.
    Services(&'static str, usize, usize),
    /// `decode::extjs_tables`: one table of this many rows and columns.
    Extjs(usize, usize),
    /// `ColumnConfig::parse`: this many columns.
    ColumnConfig(usize),
    /// A services column list (the `info` of a services answer): this many columns.
    ServicesInfo(usize),
    /// `cloud::parse_path_lookup` for these URIs: these keys.
    PathLookup(&'static [&'static str], &'static [Option<&'static str>]),
    /// A Portal envelope that is not a table (`Mast.Bundle.Request`): its status.
    PortalEnvelope(Status),
    /// Read by no decoder of this crate (the resolver's private reader, the astrocut and
    /// missions product answers): the JSON object's one list member and its length.
    JsonList(&'static str, usize),
}

/// Every recorded fixture, each with the one decoder it belongs to.
const FIXTURES: &[(&str, Kind)] = &[
    ("caom.json", Kind::Portal(19, 27)),
    ("advSearch.json", Kind::Portal(3, 26)),
    ("advSearchPos.json", Kind::Portal(12, 28)),
    ("countsResp.json", Kind::Portal(1, 1)),
    ("products.json", Kind::Portal(22, 15)),
    ("hsc.json", Kind::Portal(28, 45)),
    ("matchid.json", Kind::Portal(9, 37)),
    ("spectra.json", Kind::Portal(26, 16)),
    ("tic.json", Kind::Portal(7, 89)),
    ("dd.json", Kind::Portal(7, 64)),
    ("panstarrs.json", Kind::Services("data", 35, 6)),
    ("mission_results.json", Kind::Services("results", 3, 19)),
    ("missions.extjs", Kind::Extjs(0, 25)),
    ("ticcolumns_filtered.json", Kind::Extjs(0, 89)),
    ("ddcolumns_filtered.json", Kind::Extjs(0, 120)),
    ("columnsconfig.json", Kind::ColumnConfig(51)),
    ("ticcolumns.json", Kind::ColumnConfig(95)),
    ("ddcolumns.json", Kind::ColumnConfig(39)),
    ("mission_columns.json", Kind::ServicesInfo(57)),
    ("panstarrs_columns.json", Kind::ServicesInfo(124)),
    (
        "mast_relative_path.json",
        Kind::PathLookup(
            &["mast:HST/product/u9o40504m_c3m.fits", "mast:HST/product/does_not_exist.fits"],
            &[Some("hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits"), None],
        ),
    ),
    ("bundleResponse.json", Kind::PortalEnvelope(Status::Complete)),
    ("resolver.json", Kind::JsonList("resolvedCoordinate", 15)),
    ("mission_products.json", Kind::JsonList("products", 5)),
    ("tess_sector.json", Kind::JsonList("results", 1)),
    ("zcut_survey.json", Kind::JsonList("surveys", 3)),
];

fn check_fixture(file: &str, kind: &Kind) {
    let bytes = fixture(file);
    match kind {
        Kind::Portal(rows, cols) => {
            let (t, _) = decode::portal_table(&bytes, "S", None).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!((t.num_rows(), t.num_columns()), (*rows, *cols), "{file}");
            assert!(t.warnings().is_empty(), "{file}: {:?}", t.warnings());
        }
        Kind::Services(key, rows, cols) => {
            let t = decode::services_table(&bytes, key).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!((t.num_rows(), t.num_columns()), (*rows, *cols), "{file}");
        }
        Kind::Extjs(rows, cols) => {
            let tables = decode::extjs_tables(&bytes, "S").unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(tables.len(), 1, "{file}");
            assert_eq!((tables[0].table.num_rows(), tables[0].table.num_columns()), (*rows, *cols), "{file}");
        }
        Kind::ColumnConfig(len) => {
            let cfg = ColumnConfig::parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(cfg.len(), *len, "{file}");
            // Every entry is a column description, not one of a Portal answer's members.
            assert!(cfg.names().all(|n| !["status", "msg", "data", "fields", "paging"].contains(&n)), "{file}");
        }
        Kind::ServicesInfo(cols) => {
            let body = format!(r#"{{"info": {}, "data": []}}"#, std::str::from_utf8(&bytes).unwrap());
            let t = decode::services_table(body.as_bytes(), "data").unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!((t.num_rows(), t.num_columns()), (0, *cols), "{file}");
        }
        Kind::PathLookup(uris, keys) => {
            let got = mast_proto::cloud::parse_path_lookup(&bytes, uris).unwrap_or_else(|e| panic!("{file}: {e}"));
            let got: Vec<Option<&str>> = got.iter().map(Option::as_deref).collect();
            assert_eq!(got, *keys, "{file}");
        }
        Kind::PortalEnvelope(status) => {
            let response = decode::parse_portal(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(response.status(), status, "{file}");
            assert!(response.fields().is_none(), "{file} is not a table");
        }
        Kind::JsonList(key, len) => {
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
            let obj = v.as_object().unwrap_or_else(|| panic!("{file} is not a JSON object"));
            let list = obj.get(*key).and_then(|l| l.as_array()).unwrap_or_else(|| panic!("{file} has no {key} list"));
            assert_eq!(list.len(), *len, "{file}");
        }
    }
}

#[test]
fn every_fixture_is_read_by_its_own_decoder_with_exact_shape() {
    let mut files: Vec<String> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json") || n.ends_with(".extjs"))
        .collect();
    files.sort();
    let mut listed: Vec<&str> = FIXTURES.iter().map(|(f, _)| *f).collect();
    listed.sort_unstable();
    assert_eq!(files, listed, "every recorded fixture is listed with its decoder, and only those");
    for (file, kind) in FIXTURES {
        check_fixture(file, kind);
    }
}

#[test]
fn mission_results_services_table() {
    let t = decode::services_table(&fixture("mission_results.json"), "results").unwrap();
    assert_eq!((t.num_rows(), t.num_columns()), (3, 19));
}

#[test]
fn status_error_quotes_msg() {
    let body = br#"{"status": "ERROR", "msg": "Incorrect syntax near '*'.", "data": null}"#;
    let err = decode::portal_table(body, "Mast.Catalogs.Filtered.Tic.Rows", None).unwrap_err();
    assert!(matches!(&err, Error::Remote { message, .. } if message == "Incorrect syntax near '*'."));
    assert_eq!(err.class_name(), "RemoteServiceError");
    assert!(err.to_string().contains("Mast.Catalogs.Filtered.Tic.Rows"));

    let err = decode::portal_table(br#"{"status": "ERROR"}"#, "S", None).unwrap_err();
    assert!(err.to_string().contains("There was an error with your request."));
    // astroquery: an empty JSON value counts as ERROR.
    for body in [&b"{}"[..], b"[]", b"null"] {
        assert_eq!(*decode::parse_portal(body).unwrap().status(), Status::Error);
    }
}

#[test]
fn bad_bodies_are_typed_decode_errors() {
    let cases: &[(&[u8], &str)] = &[
        (b"<html><body>Service Unavailable</body></html>", "HTML"),
        (br#"{"status": "COMPLETE", "fields": [{"name": "a", "type": "int"}], "data": [{"a": 1}, {"a""#, "truncated"),
        (br#"{"status": "COMPLETE", "msg": ""}"#, "missing required key"),
        (br#"{"msg": "", "fields": [], "data": []}"#, "no \"status\""),
        (br#"{"status": "EXECUTING", "msg": ""}"#, "EXECUTING"),
    ];
    for (body, needle) in cases {
        let err = decode::portal_table(body, "S", None).unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err}");
        assert!(err.to_string().contains(needle), "{err} lacks {needle}");
    }
}

#[test]
fn zero_rows_keep_columns_and_warn() {
    let body = br#"{"status": "COMPLETE", "msg": "", "fields": [{"name": "obs_id", "type": "string"}, {"name": "n", "type": "int"}], "data": []}"#;
    let (t, _) = decode::portal_table(body, "S", None).unwrap();
    assert_eq!((t.num_rows(), t.num_columns()), (0, 2));
    assert_eq!(t.column("n").unwrap().data_type(), DataType::Int64);
    assert_eq!(t.warnings().len(), 1);
    assert_eq!(t.warnings()[0].category, WarningCategory::NoResults);
    assert_eq!(t.warnings()[0].message, "Query returned no results.");
}

#[test]
fn float_text_cells_read_as_python_float() {
    // Expected values from CPython 3.11's float(); the old table conversion accepted "+-inf"
    // and refused "1_000.5".
    let body = r#"{"status": "COMPLETE", "msg": "", "fields": [{"name": "f", "type": "double"}],
      "data": [{"f": "1_000.5"}, {"f": " -Infinity\n"}, {"f": "nan"}, {"f": "+-inf"}, {"f": "1__0"},
               {"f": "\u0661\u0662"}, {"f": "0x10"}, {"f": "1e400"}, {"f": "\u001c1"}, {"f": ""}]}"#;
    let (t, _) = decode::portal_table(body.as_bytes(), "S", None).unwrap();
    let f = t.column("f").unwrap();
    assert_eq!(f.get(0), Value::Float(1000.5));
    assert_eq!(f.get(1), Value::Float(f64::NEG_INFINITY));
    assert!(matches!(f.get(2), Value::Float(x) if x.is_nan()));
    assert_eq!(f.get(5), Value::Float(12.0));
    assert_eq!(f.get(7), Value::Float(f64::INFINITY));
    let masked: Vec<usize> = (0..f.len()).filter(|&i| f.is_masked(i)).collect();
    assert_eq!(masked, [3, 4, 6, 8, 9]);
    assert_eq!(f.coercion_failures(), 4, "the empty string is a null, not a failure");
}

#[test]
fn python_style_conversions() {
    let body = br#"{"status": "COMPLETE", "msg": "", "fields": [
        {"name": "s", "type": "string"}, {"name": "i", "type": "int"}, {"name": "f", "type": "double"},
        {"name": "b", "type": "boolean"}, {"name": "u", "type": "unsignedByte"}, {"name": "s", "type": "int"}],
      "data": [
        {"s": 1.5, "i": 7.0, "f": 9007199254740993, "b": 1, "u": 255},
        {"s": true, "i": "12345678901234567", "f": "2.5", "b": false, "u": 300},
        {"s": "x", "i": -7.9, "f": 1e-05, "b": null, "u": "7", "extra": [1, 2]},
        {"i": "not a number", "f": null, "b": true}
      ]}"#;
    let (t, _) = decode::portal_table(body, "S", None).unwrap();
    assert_eq!(t.num_columns(), 5, "a repeated field name keeps its first entry only");
    let col = |n: &str| t.column(n).unwrap();
    assert_eq!(
        col("s").iter().collect::<Vec<_>>(),
        [Value::Str("1.5"), Value::Str("True"), Value::Str("x"), Value::Masked]
    );
    assert_eq!(
        col("i").iter().collect::<Vec<_>>(),
        [Value::Int(7), Value::Int(12345678901234567), Value::Int(-7), Value::Masked]
    );
    assert_eq!(col("i").coercion_failures(), 1);
    assert_eq!(col("f").get(0), Value::Float(9007199254740992.0), "2^53+1 rounds as in Python");
    assert_eq!(col("f").get(1), Value::Float(2.5));
    assert_eq!(col("f").get(2), Value::Float(1e-5));
    assert!(col("f").is_masked(3));
    assert_eq!(
        col("b").iter().collect::<Vec<_>>(),
        [Value::Bool(true), Value::Bool(false), Value::Masked, Value::Bool(true)]
    );
    assert_eq!(col("u").iter().collect::<Vec<_>>(), [Value::UInt8(255), Value::Masked, Value::UInt8(7), Value::Masked]);
    // Unconvertible values are masked and reported, never silent.
    let blank: Vec<&str> = t
        .warnings()
        .iter()
        .filter(|w| w.category == WarningCategory::BlankResponse)
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(
        blank,
        [
            "Column 'i': 1 values could not be coerced to int64 and were masked.",
            "Column 'u': 1 values could not be coerced to uint8 and were masked."
        ]
    );
}
