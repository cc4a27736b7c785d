use mast_proto::{Column, DataType, Error, Table, TextOptions, Value, decode};

use crate::fixture;

fn caom() -> Table {
    decode::portal_table(&fixture("caom.json"), "Mast.Caom.Cone", None).unwrap().0
}

#[test]
fn head_slice_select_keep_order_and_masks() {
    let t = caom();
    let h = t.head(10);
    assert_eq!(h.num_rows(), 10);
    assert_eq!(h.value(9, "obs_id"), t.value(9, "obs_id"));
    let s = t.slice(15..100);
    assert_eq!(s.num_rows(), 4);
    assert_eq!(s.value(0, "obsid"), t.value(15, "obsid"));
    let sel = t.select(&["distance", "obs_id"]).unwrap();
    assert_eq!(sel.column_names().collect::<Vec<_>>(), ["distance", "obs_id"]);
    assert_eq!(sel.column("obs_id").unwrap().masked_count(), t.column("obs_id").unwrap().masked_count());
    let err = t.select(&["nope"]).unwrap_err();
    assert!(matches!(err, Error::NoSuchColumn { .. }));
    assert!(err.to_string().contains("obs_collection"), "lists the available columns");
}

#[test]
fn concatenation_checks_schemas() {
    let t = caom();
    let mut pages = t.slice(0..7);
    pages.append(&t.slice(7..19)).unwrap();
    assert_eq!(pages, t);

    let other = Table::new(vec![Column::from_values("obs_id", DataType::Int64, [Value::Int(1)])]).unwrap();
    let before = t.clone();
    let mut target = t.clone();
    let err = target.append(&other).unwrap_err();
    assert!(matches!(err, Error::SchemaMismatch { .. }), "{err}");
    assert_eq!(target, before, "a failed append changes nothing");

    let wrong_type = t.select(&["obs_id"]).unwrap();
    let mut ints = Table::new(vec![Column::from_values("obs_id", DataType::Int64, [Value::Int(1)])]).unwrap();
    assert!(ints.append(&wrong_type).is_err());

    assert!(
        Table::new(vec![
            Column::from_values("a", DataType::Int64, [Value::Int(1)]),
            Column::from_values("b", DataType::Int64, [])
        ])
        .is_err()
    );
}

#[test]
fn text_rendering_like_astropy() {
    let t = caom().select(&["dataproduct_type", "obs_collection", "instrument_name", "dataURL", "distance"]).unwrap();
    let text = t.head(2).to_text(&TextOptions { max_width: None, max_rows: None });
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "dataproduct_type obs_collection instrument_name dataURL          distance");
    assert_eq!(lines[1], "---------------- -------------- --------------- ------- -----------------");
    assert_eq!(lines[2], "           image            HST       WFPC2/WFC      -- 293.0973439304444");
    // Too wide: middle columns become "...", first and last stay.
    let narrow = t.head(2).to_text(&TextOptions { max_width: Some(50), max_rows: None });
    for line in narrow.lines() {
        assert!(line.chars().count() <= 50, "{line:?}");
        assert!(line.contains("..."));
    }
    assert!(narrow.lines().next().unwrap().starts_with("dataproduct_type"));
    assert!(narrow.lines().next().unwrap().ends_with("distance"));
    // Too long: rows in the middle elided, length reported.
    let long = caom().select(&["obs_id"]).unwrap().to_text(&TextOptions { max_width: None, max_rows: Some(6) });
    assert!(long.ends_with("Length = 19 rows\n"), "{long}");
    assert_eq!(long.lines().count(), 2 + 6 + 1 + 1);
}

/// `max_rows: Some(1)` shows one row (the first), the `...` line and the length (issue 11,
/// point 12: it used to show every row).
#[test]
fn one_row_at_most() {
    let t = caom().select(&["obs_id"]).unwrap();
    let first = t.column("obs_id").unwrap().get_str(0).unwrap().to_owned();
    let one = t.to_text(&TextOptions { max_width: None, max_rows: Some(1) });
    let lines: Vec<&str> = one.lines().collect();
    assert_eq!(lines.len(), 2 + 1 + 1 + 1, "{one}");
    assert_eq!(lines[2].trim(), first);
    assert_eq!(lines[3].trim(), "...");
    assert_eq!(lines[4], "Length = 19 rows");
    // Two rows: the first and the last, as before.
    let two = t.to_text(&TextOptions { max_width: None, max_rows: Some(2) });
    assert_eq!(two.lines().count(), 2 + 2 + 1 + 1, "{two}");
}

#[test]
fn canonical_csv_of_a_fixture() {
    let t = caom().select(&["obs_id", "calib_level", "em_min", "dataURL"]).unwrap().head(2);
    let csv = t.to_csv();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("\"obs_id\",\"calib_level\",\"em_min\",\"dataURL\""));
    assert_eq!(lines.next(), Some("str,int64,float64,str"));
    assert_eq!(lines.next(), Some("\"U27XCS01T\",3,713.510009765625,"));
}

#[test]
fn csv_quoting_and_floats() {
    let t = Table::new(vec![
        Column::from_values("s", DataType::String, [Value::Str("a \"quoted\", word"), Value::Str("two\nlines")]),
        Column::from_values("f", DataType::Float64, [Value::Float(1e-5), Value::Float(f64::NAN)]),
        Column::from_values("u", DataType::UInt8, [Value::UInt8(7), Value::Masked]),
    ])
    .unwrap();
    assert_eq!(
        t.to_csv(),
        "\"s\",\"f\",\"u\"\nstr,float64,uint8\n\"a \"\"quoted\"\", word\",1e-05,7\n\"two\nlines\",nan,\n"
    );
}

#[test]
fn json_records() {
    let t = caom().select(&["obs_id", "calib_level", "dataURL", "distance"]).unwrap().head(1);
    let v: serde_json::Value = serde_json::from_str(&t.to_json_records()).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"obs_id": "U27XCS01T", "calib_level": 3, "dataURL": null, "distance": 293.0973439304444}])
    );
}

#[cfg(feature = "arrow")]
#[test]
fn arrow_record_batch_has_validity_from_masks() {
    use arrow_array::Array;
    let t = caom();
    let batch = t.to_record_batch().unwrap();
    assert_eq!(batch.num_rows(), 19);
    assert_eq!(batch.num_columns(), 27);
    for (i, c) in t.columns().iter().enumerate() {
        assert_eq!(batch.column(i).null_count(), c.masked_count(), "{}", c.name());
    }
    let obs_id = batch.column_by_name("obs_id").unwrap().as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
    assert_eq!(obs_id.value(0), "U27XCS01T");
}
