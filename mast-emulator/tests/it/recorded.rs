//! Services answered from the recorded fixtures.

use mast_emulator::{DataMode, EmulatorConfig};
use serde_json::{Value, json};

use crate::util::*;

#[tokio::test]
async fn recorded_mode_serves_the_fixtures() {
    let emu = start(EmulatorConfig::default().data_mode(DataMode::Recorded)).await;
    let c = client();
    let base = emu.base_url();
    // As recorded: byte for byte.
    let b = invoke_bytes(&c, base, &request("Mast.Caom.Cone", cone(None), Some(50_000), Some(1), "r")).await;
    assert_eq!(b, fixture("caom.json"));
    // Re-paged.
    let v = invoke(&c, base, &request("Mast.Caom.Cone", cone(None), Some(5), Some(4), "r")).await;
    assert_eq!(
        v["paging"],
        json!({"page": 4, "pageSize": 5, "pagesFiltered": 4, "rows": 4, "rowsFiltered": 19, "rowsTotal": 19})
    );
    let all: Value = serde_json::from_slice(&fixture("caom.json")).unwrap();
    assert_eq!(v["data"][3], all["data"][18]);
}

#[tokio::test]
async fn recorded_caom_criteria_and_products() {
    let emu = start(EmulatorConfig::default().data_mode(DataMode::Recorded)).await;
    let c = client();
    let base = emu.base_url();
    let cases: [(&str, Value, &str); 5] = [
        ("Mast.Caom.Filtered", json!({"columns": "COUNT_BIG(*)", "filters": []}), "countsResp.json"),
        (
            "Mast.Caom.Filtered.Position",
            json!({"columns": "COUNT_BIG(*)", "filters": [], "position": "1, 2, 0.2"}),
            "countsResp.json",
        ),
        (
            "Mast.Caom.Filtered",
            json!({"columns": "*", "filters": [{"paramName": "nonsense", "values": []}]}),
            "advSearch.json",
        ),
        (
            "Mast.Caom.Filtered.Position",
            json!({"columns": "*", "filters": [], "position": "1, 2, 0.2"}),
            "advSearchPos.json",
        ),
        ("Mast.Caom.Products", json!({"obsid": "100000000000001,2"}), "products.json"),
    ];
    for (service, params, file) in cases {
        let b = invoke_bytes(&c, base, &request(service, params, Some(50_000), Some(1), "o")).await;
        assert_eq!(b, fixture(file), "{service}");
    }
    let v = invoke(&c, base, &request("Mast.Caom.Filtered.Position", json!({"filters": []}), None, None, "e")).await;
    assert_eq!(v["status"], "ERROR");
}

#[tokio::test]
async fn other_services_in_sky_mode() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    let cases: [(&str, Value, &str); 3] = [
        ("Mast.Hsc.Db.v3", json!({"ra": 1, "dec": 2, "radius": 0.2, "nr": 50000, "ni": 1, "magtype": 1}), "hsc.json"),
        ("Mast.Catalogs.Filtered.Tic.Rows", json!({"columns": "*", "filters": []}), "tic.json"),
        ("Mast.Catalogs.Filtered.DiskDetective.Position", json!({"filters": []}), "dd.json"),
    ];
    for (service, params, file) in cases {
        let b = invoke_bytes(&c, base, &request(service, params, Some(50_000), Some(1), "o")).await;
        assert_eq!(b, fixture(file), "{service}");
    }
    // extjs answers are sent as recorded.
    let mut all = request("Mast.Caom.All", json!({}), Some(50_000), Some(1), "x");
    all["format"] = "extjs".into();
    assert_eq!(invoke_bytes(&c, base, &all).await, fixture("missions.extjs"));
    let hist = json!({"service": "Mast.Catalogs.All.Tic", "params": {}, "format": "extjs", "cacheBreaker": "h"});
    assert_eq!(invoke_bytes(&c, base, &hist).await, fixture("ticcolumns_filtered.json"));
    // A `.Rows` service asked for a count fails as MAST does.
    let v = invoke(
        &c,
        base,
        &request("Mast.Catalogs.Filtered.Tic.Rows", json!({"columns": "COUNT_BIG(*)", "filters": []}), None, None, "e"),
    )
    .await;
    assert_eq!(v, json!({"status": "ERROR", "msg": "Incorrect syntax near '*'."}));
    // Products need obsids.
    let v = invoke(&c, base, &request("Mast.Caom.Products", json!({}), None, None, "e")).await;
    assert_eq!(v["status"], "ERROR");
    // The bundle's URLs point at the emulator.
    let v = invoke(&c, base, &request("Mast.Bundle.Request", json!({"urlList": "x"}), None, None, "b")).await;
    assert!(v["url"].as_str().unwrap().starts_with(&format!("{base}/portal/Download/stage/")), "{v}");
}

#[tokio::test]
async fn panstarrs_services_api() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    let r = c
        .post(format!("{base}/api/v0.1/panstarrs/dr2/mean.json"))
        .json(&json!({"ra": 5.97754, "dec": 32.53617, "radius": 0.01}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().to_vec(), fixture("panstarrs.json"));
    let v: Value = c
        .post(format!("{base}/api/v0.1/panstarrs/dr2/mean.json"))
        .json(&json!({"pagesize": 15, "page": 3, "ra": 5.97754}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let recorded: Value = serde_json::from_slice(&fixture("panstarrs.json")).unwrap();
    assert_eq!(v["info"], recorded["info"]);
    assert_eq!(v["data"].as_array().unwrap()[..], recorded["data"].as_array().unwrap()[30..35]);
    let r = c.get(format!("{base}/api/v0.1/panstarrs/dr2/mean/metadata.json")).send().await.unwrap();
    assert_eq!(r.bytes().await.unwrap().to_vec(), fixture("panstarrs_columns.json"));
    let r = c.get(format!("{base}/api/v0.1/nocatalog/dr2/mean/metadata.json")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}
