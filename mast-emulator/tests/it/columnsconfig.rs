//! Column configs per id.

use mast_emulator::{DataMode, EmulatorConfig};

use crate::util::*;

#[tokio::test]
async fn configs_are_routed_by_id() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let url = format!("{}/portal/Mashup/Mashup.asmx/columnsconfig", emu.base_url());
    let cases = [
        ("Mast.Caom.Cone", fixture("columnsconfig.json")),
        ("Mast.Caom.Filtered", fixture("columnsconfig.json")),
        ("Mast.Caom.Filtered.Position", fixture("columnsconfig.json")),
        ("Mast.Caom.Products", synth("colconfig_products_sky.json")),
        ("Mast.Hsc.Db.v3", fixture("columnsconfig.json")),
        ("Mast.Catalogs.Tess.Cone", fixture("ticcolumns.json")),
        ("mast.catalogs.tess.cone", fixture("ticcolumns.json")),
        ("Mast.Catalogs.Dd.Cone", fixture("ddcolumns.json")),
        ("Mast.Name.Lookup", b"{}".to_vec()),
        ("Something.Else", b"{}".to_vec()),
    ];
    for (id, expected) in cases {
        // As astroquery sends it: the id concatenated without escaping.
        let r = c
            .post(&url)
            .header("Content-type", "application/x-www-form-urlencoded")
            .body(format!("colConfigId={id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/json; charset=utf-8");
        assert_eq!(r.bytes().await.unwrap().to_vec(), expected, "{id}");
    }
    assert_eq!(emu.stats().count("columnsconfig"), 10);
    // In recorded mode the products config is the conformance suite's.
    let rec = start(EmulatorConfig::default().data_mode(DataMode::Recorded)).await;
    let r = c
        .post(format!("{}/portal/Mashup/Mashup.asmx/columnsconfig", rec.base_url()))
        .form(&[("colConfigId", "Mast.Caom.Products")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().to_vec(), synth("colconfig_products.json"));
    // Every generated product field has an entry.
    let config: serde_json::Value = serde_json::from_slice(&synth("colconfig_products_sky.json")).unwrap();
    for (name, _) in mast_emulator::products::PRODUCT_FIELDS {
        assert!(config.get(name).is_some(), "{name}");
    }
}
