//! Helpers shared by the tests.

use mast_emulator::{Emulator, EmulatorConfig};
use serde_json::{Value, json};

pub const RADIUS: f64 = 0.2;

pub async fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("the emulator starts")
}

/// A client that does not keep idle connections (each test sees fresh connections).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client")
}

/// A Portal request object as astroquery sends it.
pub fn request(service: &str, params: Value, pagesize: Option<u64>, page: Option<u64>, cache_breaker: &str) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("service".into(), service.into());
    m.insert("params".into(), params);
    m.insert("format".into(), "json".into());
    if let Some(s) = pagesize {
        m.insert("pagesize".into(), s.into());
    }
    if let Some(p) = page {
        m.insert("page".into(), p.into());
    }
    m.insert("cacheBreaker".into(), cache_breaker.into());
    Value::Object(m)
}

pub fn cone(rows: Option<u64>) -> Value {
    let mut p = json!({"ra": 322.49324, "dec": 12.16683, "radius": RADIUS});
    if let Some(n) = rows {
        p["emulator_rows"] = n.into();
    }
    p
}

/// POSTs a request object to /api/v0/invoke.
pub async fn invoke_raw(client: &reqwest::Client, base: &str, request: &Value) -> reqwest::Result<reqwest::Response> {
    client.post(format!("{base}/api/v0/invoke")).form(&[("request", request.to_string())]).send().await
}

/// POSTs a request object and returns the body bytes (status 200 checked).
pub async fn invoke_bytes(client: &reqwest::Client, base: &str, request: &Value) -> Vec<u8> {
    let r = invoke_raw(client, base, request).await.expect("an answer");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json; charset=utf-8");
    r.bytes().await.expect("a body").to_vec()
}

/// POSTs a request object and parses the JSON answer.
pub async fn invoke(client: &reqwest::Client, base: &str, request: &Value) -> Value {
    serde_json::from_slice(&invoke_bytes(client, base, request).await).expect("JSON")
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/data/astroquery-recorded/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn synth(name: &str) -> Vec<u8> {
    let path = format!("{}/data/synth/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A whole Portal result, walked page by page as astroquery does.
pub struct Walked {
    pub fields: Value,
    pub rows: Vec<Value>,
    pub pages: u64,
    pub total: u64,
}

/// Requests page 1, 2, ... of `service` with `params` until `pagesFiltered`, checking the
/// paging object of every page, and returns the fields and the rows in page order.
pub async fn walk(client: &reqwest::Client, base: &str, service: &str, params: Value, pagesize: u64) -> Walked {
    let mut rows = Vec::new();
    let mut page = 1;
    loop {
        let v = invoke(client, base, &request(service, params.clone(), Some(pagesize), Some(page), "walk")).await;
        assert_eq!(v["status"], "COMPLETE", "{v}");
        let paging = &v["paging"];
        let total = paging["rowsFiltered"].as_u64().unwrap();
        let pages = paging["pagesFiltered"].as_u64().unwrap();
        assert_eq!(paging["page"], page);
        assert_eq!(pages, total.div_ceil(pagesize));
        let data = v["data"].as_array().unwrap();
        assert_eq!(paging["rows"].as_u64().unwrap(), data.len() as u64);
        rows.extend(data.iter().cloned());
        if page >= pages {
            assert_eq!(rows.len() as u64, total);
            return Walked { fields: v["fields"].clone(), rows, pages, total };
        }
        page += 1;
    }
}

/// The field names of a Portal answer.
pub fn field_names(fields: &Value) -> Vec<&str> {
    fields.as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect()
}
