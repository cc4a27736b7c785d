//! `Mast.Caom.Filtered` and `Mast.Caom.Filtered.Position` over the generated sky: filter
//! semantics checked against the archive index and the cones read directly from the library.

use mast_emulator::filtered::archive;
use mast_emulator::sky::{self, Observation};
use mast_emulator::{Emulator, EmulatorConfig};
use serde_json::{Value, json};

use crate::util::*;

const SEED: u64 = 42;
const FILTERED: &str = "Mast.Caom.Filtered";
const POSITION: &str = "Mast.Caom.Filtered.Position";
/// Small projections keep the answers small.
const COLUMNS: &str = "obsid,dataproduct_type,obs_collection,filters,target_name,proposal_pi,calib_level,s_dec";

fn criteria(filters: Value) -> Value {
    json!({"columns": COLUMNS, "filters": filters})
}

/// The obsids the archive index holds that satisfy `pred`, in obsid order.
fn expected(pred: impl Fn(&Observation) -> bool) -> Vec<i64> {
    archive(SEED).observations().iter().filter(|o| pred(o)).map(|o| o.obsid).collect()
}

fn obsids(rows: &[Value]) -> Vec<i64> {
    rows.iter().map(|r| r["obsid"].as_i64().unwrap()).collect()
}

async fn count(c: &reqwest::Client, emu: &Emulator, service: &str, mut params: Value) -> u64 {
    params["columns"] = "COUNT_BIG(*)".into();
    let v = invoke(c, emu.base_url(), &request(service, params, None, None, "count")).await;
    assert_eq!(v["fields"], json!([{"name": "Column1", "type": "string"}]), "{v}");
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    assert_eq!(v["paging"]["rowsFiltered"], 1);
    v["data"][0]["Column1"].as_u64().expect("the count is a JSON number")
}

#[tokio::test]
async fn and_or_ranges_and_numbers() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();

    // AND across filters, OR within one, strings case-insensitive; pages join in obsid order.
    let filters = json!([
        {"paramName": "DATAPRODUCT_TYPE", "values": ["IMAGE"]},
        {"paramName": "obs_collection", "separator": ";", "values": ["jwst", "SWIFT"]},
        {"paramName": "s_dec", "values": [{"min": -30, "max": 30.5}]},
    ]);
    let got = walk(&c, base, FILTERED, criteria(filters.clone()), 1000).await;
    let want = expected(|o| {
        o.dataproduct_type == "image"
            && matches!(o.obs_collection, "JWST" | "SWIFT")
            && (-30.0..=30.5).contains(&o.s_dec)
    });
    assert!(want.len() > 1000, "{} rows: more than a page", want.len());
    assert_eq!(obsids(&got.rows), want);
    assert_eq!(field_names(&got.fields), COLUMNS.split(',').collect::<Vec<_>>());
    assert_eq!(got.fields[0], json!({"name": "obsid", "type": "string"}));
    assert_eq!(count(&c, &emu, FILTERED, criteria(filters)).await, want.len() as u64);

    // The documented headline query.
    let image_hst = json!([
        {"paramName": "dataproduct_type", "values": ["image"]},
        {"paramName": "obs_collection", "separator": ";", "values": ["HST"]},
    ]);
    let n = count(&c, &emu, FILTERED, criteria(image_hst)).await;
    assert_eq!(n, expected(|o| o.dataproduct_type == "image" && o.obs_collection == "HST").len() as u64);
    assert!(n > 10_000, "{n}");

    // Numbers: discrete values arrive as strings ("3"), mast_query sends numbers; ranges are
    // inclusive and take numeric strings; a range's open bound.
    let want = expected(|o| o.calib_level == 3 && o.t_exptime >= 100.0 && o.t_exptime <= 200.0);
    for calib in [json!("3"), json!(3), json!("3.0")] {
        let f = json!([
            {"paramName": "calib_level", "values": [calib]},
            {"paramName": "t_exptime", "values": [{"min": "100", "max": 200}]},
        ]);
        assert_eq!(obsids(&walk(&c, base, FILTERED, criteria(f), 50_000).await.rows), want);
    }
    let edge = archive(SEED).observations()[7].s_dec;
    let f = json!([{"paramName": "s_dec", "values": [{"min": edge, "max": edge}]}]);
    assert!(
        obsids(&walk(&c, base, FILTERED, criteria(f), 50_000).await.rows)
            .contains(&archive(SEED).observations()[7].obsid)
    );
    let f = json!([{"paramName": "s_dec", "values": [{"min": 80, "max": null}]}]);
    assert_eq!(count(&c, &emu, FILTERED, criteria(f)).await, expected(|o| o.s_dec >= 80.0).len() as u64);
    // An obsid, as text, finds its observation.
    let one = archive(SEED).observations()[100].obsid;
    let f = json!([{"paramName": "obsid", "values": [one.to_string()]}]);
    assert_eq!(obsids(&walk(&c, base, FILTERED, criteria(f), 10).await.rows), vec![one]);

    // No filters: the whole archive index.
    assert_eq!(count(&c, &emu, FILTERED, json!({"filters": []})).await, archive(SEED).len() as u64);
}

#[tokio::test]
async fn separators_and_free_text() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();

    // A separated part matches: "F200W" finds JWST's "CLEAR;F200W".
    let f = json!([{"paramName": "filters", "values": ["f200w"]}]);
    let got = walk(&c, base, FILTERED, criteria(f), 50_000).await;
    let want = expected(|o| o.filters.split(';').any(|p| p == "F200W"));
    assert!(!want.is_empty());
    assert_eq!(obsids(&got.rows), want);
    assert!(got.rows.iter().all(|r| r["filters"] == "CLEAR;F200W"));
    let f = json!([{"paramName": "target_classification", "values": ["Binary"]}]);
    let want = expected(|o| o.target_classification == Some("STAR;BINARY"));
    assert_eq!(count(&c, &emu, FILTERED, criteria(f)).await, want.len() as u64);

    // freeText: SQL LIKE, case-insensitive ('%' any run, '_' one character).
    let f = json!([{"paramName": "proposal_pi", "values": [], "freeText": "ab%"}]);
    let want = expected(|o| o.proposal_pi.is_some_and(|p| p.starts_with("Ab")));
    assert!(!want.is_empty());
    assert_eq!(obsids(&walk(&c, base, FILTERED, criteria(f), 50_000).await.rows), want);
    let f = json!([{"paramName": "obs_id", "values": [], "freeText": "tess-s00_1-%"}]);
    let want = expected(|o| o.obs_id.starts_with("tess-s00") && o.obs_id.get(9..11) == Some("1-"));
    assert!(!want.is_empty());
    assert_eq!(count(&c, &emu, FILTERED, criteria(f)).await, want.len() as u64);

    // freeText is ORed with values.
    let f = json!([{"paramName": "target_name", "values": ["tess ffi"], "freeText": "TICA%"}]);
    let want = expected(sky::is_ffi);
    assert!(!want.is_empty());
    assert_eq!(obsids(&walk(&c, base, FILTERED, criteria(f), 50_000).await.rows), want);

    // Columns of the config that generated rows lack: constant values or null.
    let f =
        json!([{"paramName": "intentType", "values": ["science"]}, {"paramName": "dataRights", "values": ["public"]}]);
    assert_eq!(count(&c, &emu, FILTERED, criteria(f)).await, archive(SEED).len() as u64);
    let f = json!([{"paramName": "srcDen", "values": [{"min": 0, "max": 1e9}]}]);
    assert_eq!(count(&c, &emu, FILTERED, criteria(f)).await, 0);
    // A filter with neither values nor freeText constrains nothing.
    let f = json!([{"paramName": "s_ra", "values": []}]);
    assert_eq!(count(&c, &emu, FILTERED, criteria(f)).await, archive(SEED).len() as u64);
}

#[tokio::test]
async fn position_sorts_by_distance_and_counts_agree() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    let (ra, dec, radius) = (10.684708, 41.26875, 0.5);
    let position = "10.684708, 41.26875, 0.5";
    let cone = sky::search(ra, dec, radius, None, SEED).unwrap();
    let cone_ids: Vec<i64> = cone.obsids().collect();

    // No filters: exactly the cone (the same as Mast.Caom.Cone), and its count.
    let all = json!({"columns": "*", "filters": [], "position": position});
    let got = walk(&c, base, POSITION, all.clone(), 200).await;
    assert_eq!(obsids(&got.rows), cone_ids);
    assert_eq!(count(&c, &emu, POSITION, all).await, cone_ids.len() as u64);
    let v =
        invoke(&c, base, &request("Mast.Caom.Cone", json!({"ra": ra, "dec": dec, "radius": radius}), None, None, "c"))
            .await;
    assert_eq!(v["paging"]["rowsFiltered"], cone_ids.len());

    // The fields are those MAST answers with: advSearchPos.json's (objID1, distance) with a
    // position, advSearch.json's (no distance) without.
    let recorded_pos: Value = serde_json::from_slice(&fixture("advSearchPos.json")).unwrap();
    let recorded: Value = serde_json::from_slice(&fixture("advSearch.json")).unwrap();
    assert_eq!(got.fields, recorded_pos["fields"]);
    let plain =
        invoke(&c, base, &request(FILTERED, json!({"columns": "*", "filters": []}), Some(3), Some(1), "p")).await;
    assert_eq!(plain["fields"], recorded["fields"]);
    assert_eq!(plain["data"].as_array().unwrap().len(), 3);
    let row = &got.rows[0];
    assert_eq!(row["objID1"], row["objID"]);
    let o = sky::observation(row["obsid"].as_i64().unwrap(), SEED).unwrap();
    assert_eq!(row["s_ra"].as_f64(), Some(o.s_ra));
    assert_eq!(row["obs_id"], o.obs_id.as_str());

    // With filters: the matching cone rows, still sorted by distance.
    let f = json!({"columns": "*", "position": position, "filters": [
        {"paramName": "obs_collection", "separator": ";", "values": ["HST", "GALEX"]},
        {"paramName": "distance", "values": [{"min": 0, "max": 1200}]},
    ]});
    let got = walk(&c, base, POSITION, f.clone(), 25).await;
    let d: Vec<f64> = got.rows.iter().map(|r| r["distance"].as_f64().unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]));
    let want: Vec<i64> = cone
        .obsids()
        .zip(cone.distances())
        .filter(|&(id, dist)| {
            dist <= 1200.0 && matches!(sky::observation(id, SEED).unwrap().obs_collection, "HST" | "GALEX")
        })
        .map(|(id, _)| id)
        .collect();
    assert!(!want.is_empty());
    assert_eq!(obsids(&got.rows), want);
    assert_eq!(count(&c, &emu, POSITION, f).await, want.len() as u64);
}

#[tokio::test]
async fn unknown_columns_are_errors() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    for service in [FILTERED, POSITION] {
        let params = json!({"columns": "*", "position": "1, 2, 0.2", "filters": [
            {"paramName": "dataproduct_type", "values": ["image"]},
            {"paramName": "no_such_column", "values": ["x"]},
        ]});
        let v = invoke(&c, base, &request(service, params, None, None, "e")).await;
        assert_eq!(v, json!({"status": "ERROR", "msg": "Invalid column name 'no_such_column'."}), "{service}");
    }
    let v =
        invoke(&c, base, &request(FILTERED, json!({"columns": "obsid,nope", "filters": []}), None, None, "e")).await;
    assert_eq!(v, json!({"status": "ERROR", "msg": "Invalid column name 'nope'."}));
    let v = invoke(&c, base, &request(FILTERED, json!({"filters": {"paramName": "x"}}), None, None, "e")).await;
    assert_eq!(v["status"], "ERROR");
    let v = invoke(&c, base, &request(POSITION, json!({"filters": [], "position": "1, 2, x"}), None, None, "e")).await;
    assert_eq!(v["status"], "ERROR");
    assert!(v["msg"].as_str().unwrap().contains("position"), "{v}");
    // A column named twice comes once.
    let v = invoke(
        &c,
        base,
        &request(FILTERED, json!({"columns": "obsid, OBSID,s_ra", "filters": []}), Some(2), None, "d"),
    )
    .await;
    assert_eq!(field_names(&v["fields"]), ["obsid", "s_ra"]);
    // Unknown parameters are ignored.
    let v = invoke(&c, base, &request(FILTERED, json!({"filters": [], "whatever": 1}), Some(1), None, "i")).await;
    assert_eq!(v["status"], "COMPLETE");
}
