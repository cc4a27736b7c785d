//! `Mast.Caom.Products` over the generated sky and the recording, and the TESS FFIs.

use std::collections::HashMap;

use mast_emulator::products::{MRP, PRODUCT_FIELDS};
use mast_emulator::sky;
use mast_emulator::{DataMode, EmulatorConfig};
use serde_json::{Value, json};

use crate::util::*;

const PRODUCTS: &str = "Mast.Caom.Products";

#[tokio::test]
async fn products_follow_the_given_obsids_across_pages() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    // 500 observations of a cone, asked for in a shuffled (reversed-halves) order.
    let cone = walk(&c, base, "Mast.Caom.Cone", cone(Some(500)), 1000).await;
    let observations: HashMap<i64, &Value> = cone.rows.iter().map(|r| (r["obsid"].as_i64().unwrap(), r)).collect();
    let mut order: Vec<i64> = cone.rows.iter().map(|r| r["obsid"].as_i64().unwrap()).collect();
    order.reverse();
    order.rotate_left(123);
    let joined = order.iter().map(i64::to_string).collect::<Vec<_>>().join(",");

    let got = walk(&c, base, PRODUCTS, json!({"obsid": joined}), 1000).await;
    assert!((3000..=4500).contains(&got.total), "{} products", got.total);
    assert_eq!(got.pages, 4);
    let expected_fields: Vec<Value> =
        PRODUCT_FIELDS.iter().map(|(name, ty)| json!({"name": name, "type": ty})).collect();
    assert_eq!(got.fields, Value::Array(expected_fields));

    // Grouped by obsid, in the given order; each obsid has 3 to 12 products that belong to it.
    let mut groups: Vec<(i64, Vec<&Value>)> = Vec::new();
    for row in &got.rows {
        let id = row["obsID"].as_i64().expect("obsID is a JSON integer");
        match groups.last_mut() {
            Some((last, rows)) if *last == id => rows.push(row),
            _ => groups.push((id, vec![row])),
        }
    }
    assert_eq!(groups.iter().map(|g| g.0).collect::<Vec<_>>(), order);
    for (id, rows) in &groups {
        let obs = observations[id];
        assert!((3..=12).contains(&rows.len()), "{id}: {} products", rows.len());
        for p in rows {
            for key in ["obs_collection", "obs_id", "dataproduct_type", "project"] {
                assert_eq!(p[key], obs[key], "{id} {key}");
            }
            let file = p["productFilename"].as_str().unwrap();
            assert_eq!(p["dataURI"], format!("mast:{}/product/{file}", obs["obs_collection"].as_str().unwrap()));
            assert!(file.starts_with(&obs["obs_id"].as_str().unwrap().to_ascii_lowercase()));
            assert!(matches!(p["productType"].as_str().unwrap(), "SCIENCE" | "AUXILIARY" | "PREVIEW" | "INFO"));
            assert!(p["size"].as_i64().unwrap() > 0);
            assert_eq!(p["dataRights"], "PUBLIC");
            assert!(p["calib_level"].is_i64());
            assert!(p["_selected_"].is_null() && p["productDocumentationURL"].is_null());
        }
        let mrp: Vec<&str> = rows
            .iter()
            .filter(|p| p["productGroupDescription"] == MRP)
            .map(|p| p["productFilename"].as_str().unwrap())
            .collect();
        assert_eq!(mrp.len(), 2, "{id}: the main product and the preview");
        assert!(mrp[1].ends_with(".jpg"));
        if !obs["dataURL"].is_null() {
            assert_eq!(rows[0]["dataURI"], obs["dataURL"]);
        }
    }
    // The same request again gives the same products.
    let again = invoke(&c, base, &request(PRODUCTS, json!({"obsid": joined}), Some(1000), Some(2), "again")).await;
    assert_eq!(again["data"].as_array().unwrap()[..], got.rows[1000..2000]);
}

#[tokio::test]
async fn recorded_obsid_gives_the_recorded_products() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    let recorded: Value = serde_json::from_slice(&fixture("products.json")).unwrap();
    let recorded = recorded["data"].as_array().unwrap();
    let sky_obsid = sky::search(10.68, 41.27, 0.2, None, 42).unwrap().obsids().next().unwrap();

    for obsid in [json!("2003738726"), json!(2003738726)] {
        let v = invoke(&c, base, &request(PRODUCTS, json!({"obsid": obsid}), None, None, "r")).await;
        let rows = v["data"].as_array().unwrap();
        assert_eq!(rows.len(), 22);
        for (got, want) in rows.iter().zip(recorded) {
            for (key, value) in want.as_object().unwrap() {
                assert_eq!(&got[key], value, "{key}");
            }
            assert_eq!(got["dataRights"], "PUBLIC");
        }
    }
    // Mixed with a generated obsid, an unknown one and junk: in the given order.
    let ids = format!("{sky_obsid}, 99, 2003738726,,abc");
    let v = invoke(&c, base, &request(PRODUCTS, json!({"obsid": ids}), None, None, "m")).await;
    let rows = v["data"].as_array().unwrap();
    let n = rows.iter().take_while(|r| r["obsID"] == sky_obsid).count();
    assert!((3..=12).contains(&n));
    assert_eq!(rows.len(), n + 22);
    assert_eq!(rows[n]["dataURI"], recorded[0]["dataURI"]);
    // Unknown obsids only: no rows, the fields still declared.
    let v = invoke(&c, base, &request(PRODUCTS, json!({"obsid": "1,2,3"}), None, None, "u")).await;
    assert_eq!(v["paging"]["rowsFiltered"], 0);
    assert_eq!(v["fields"].as_array().unwrap().len(), PRODUCT_FIELDS.len());

    // In recorded mode, every request gets products.json.
    let rec = start(EmulatorConfig::default().data_mode(DataMode::Recorded)).await;
    let b =
        invoke_bytes(&c, rec.base_url(), &request(PRODUCTS, json!({"obsid": sky_obsid}), Some(50_000), Some(1), "x"))
            .await;
    assert_eq!(b, fixture("products.json"));
}

#[tokio::test]
async fn ffi_observations_are_where_documented() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    for (obsid, name) in [(sky::find_ffi(42), sky::TESS_FFI), (sky::find_tica_ffi(42), sky::TICA_FFI)] {
        let obs = sky::observation(obsid, 42).unwrap();
        let params = json!({"ra": obs.s_ra, "dec": obs.s_dec, "radius": 0.2});
        let v = invoke(&c, base, &request("Mast.Caom.Cone", params, None, None, "ffi")).await;
        let row = v["data"].as_array().unwrap().iter().find(|r| r["obsid"] == obsid).expect("the FFI is in the cone");
        assert_eq!(row["target_name"], name);
        assert_eq!(row["obs_collection"], "TESS");
        assert_eq!(row["dataproduct_type"], "image");
        // Its products exist (clients drop FFIs before asking).
        let v = invoke(&c, base, &request(PRODUCTS, json!({"obsid": obsid.to_string()}), None, None, "p")).await;
        assert!(v["data"][0]["productFilename"].as_str().unwrap().ends_with("_ffic.fits"), "{v}");
    }
    // Criteria find them too.
    let f = json!({"columns": "COUNT_BIG(*)", "filters": [
        {"paramName": "target_name", "values": ["TESS FFI", "TICA FFI"]},
        {"paramName": "obs_collection", "separator": ";", "values": ["TESS"]},
        {"paramName": "dataproduct_type", "values": ["image"]},
    ]});
    let v = invoke(&c, base, &request("Mast.Caom.Filtered", f, None, None, "c")).await;
    assert!(v["data"][0]["Column1"].as_u64().unwrap() > 100, "{v}");
}
