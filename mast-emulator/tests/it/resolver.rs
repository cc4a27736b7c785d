//! The SANTA resolver and Mast.Name.Lookup.

use mast_emulator::EmulatorConfig;
use serde_json::{Value, json};

use crate::util::*;

async fn santa(base: &str, query: &str) -> Value {
    let r = client().get(format!("{base}/Santa-war/query?{query}")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn summary(v: &Value) -> Vec<(String, String)> {
    assert_eq!(v["status"], "");
    v["resolvedCoordinate"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["searchString"].as_str().unwrap().to_owned(), e["resolver"].as_str().unwrap().to_owned()))
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

#[tokio::test]
async fn recorded_names() {
    let emu = start(EmulatorConfig::default()).await;
    let base = emu.base_url();
    // astroquery's captured requests (spec §7.1).
    let v = santa(base, "outputFormat=json&resolveAll=False&name=M1&name=Barnard%27s+Star&name=nonexisting").await;
    assert_eq!(summary(&v), pairs(&[("m1", "SIMBAD"), ("barnard's star", "SIMBAD")]));
    assert_eq!(v["resolvedCoordinate"][0]["ra"], json!(83.6324));
    assert_eq!(v["resolvedCoordinate"][0]["decl"], json!(22.0174));
    let v = santa(base, "outputFormat=json&resolveAll=False&resolver=SIMBAD&resolver=TIC&name=TIC+307210830").await;
    assert_eq!(summary(&v), pairs(&[("tic 307210830", "TIC"), ("tic 307210830", "SIMBAD")]));
    assert_eq!(v["resolvedCoordinate"][1]["ra"], json!(124.5317560026638));
    let v = santa(base, "outputFormat=json&resolveAll=True&name=M1").await;
    assert_eq!(summary(&v), pairs(&[("m1", "SIMBAD"), ("m1", "NED")]));
    let v = santa(base, "outputFormat=json&resolveAll=False&resolver=NED&name=m101&name=M8").await;
    assert_eq!(summary(&v), pairs(&[("m101", "NED"), ("m8", "NED")]));
    assert_eq!(v["resolvedCoordinate"][1]["ra"], json!(270.92194));
    // Unknown names contribute nothing.
    let v = santa(base, "outputFormat=json&resolveAll=False&name=nonexisting").await;
    assert_eq!(v, json!({"resolvedCoordinate": [], "status": ""}));
    // A demo name.
    let v = santa(base, "outputFormat=json&resolveAll=False&name=m31").await;
    assert_eq!(summary(&v), pairs(&[("m31", "SIMBAD")]));
    assert!((v["resolvedCoordinate"][0]["ra"].as_f64().unwrap() - 10.6847).abs() < 1e-3);
}

#[tokio::test]
async fn name_lookup_on_invoke() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let v = invoke(
        &c,
        emu.base_url(),
        &request("Mast.Name.Lookup", json!({"input": "M8", "format": "json"}), None, None, "n"),
    )
    .await;
    assert_eq!(summary(&v), pairs(&[("m8", "SIMBAD"), ("m8", "NED")]));
    let v =
        invoke(&c, emu.base_url(), &request("Mast.Name.Lookup", json!({"input": "nowhere"}), None, None, "n")).await;
    assert_eq!(v, json!({"resolvedCoordinate": [], "status": ""}));
}
