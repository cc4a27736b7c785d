//! Every fault kind as a client sees it, and the `times`/`after` rules.

use std::time::{Duration, Instant};

use mast_emulator::{EmulatorConfig, Fault, FaultRule};
use serde_json::Value;

use crate::util::*;

fn cone_request() -> Value {
    request("Mast.Caom.Cone", cone(Some(40)), Some(100), Some(1), "faults")
}

#[tokio::test]
async fn status_codes_with_and_without_retry_after() {
    let emu = start(EmulatorConfig::default().faults(vec![
        FaultRule::new("invoke:Mast.Caom.Cone", Fault::Status { code: 503, retry_after: Some(7) }).times(1),
        FaultRule::new("resolver", Fault::Status { code: 429, retry_after: None }).times(1),
    ]))
    .await;
    let c = client();
    let r = invoke_raw(&c, emu.base_url(), &cone_request()).await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "7");
    assert!(r.text().await.unwrap().contains("503"));
    let r = c.get(format!("{}/Santa-war/query?name=M1", emu.base_url())).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_none());
    // `times: 1`: the next requests are answered normally.
    let v = invoke(&c, emu.base_url(), &cone_request()).await;
    assert_eq!(v["status"], "COMPLETE");
    assert_eq!(emu.stats().faults_injected, 2);
}

#[tokio::test]
async fn dropped_and_cut_connections() {
    let emu = start(EmulatorConfig::default()).await;
    let base = emu.base_url();
    let normal = invoke_bytes(&client(), base, &cone_request()).await;

    emu.set_faults(vec![FaultRule::new("invoke", Fault::DropBeforeResponse)]);
    let err = invoke_raw(&client(), base, &cone_request()).await.unwrap_err();
    assert!(err.is_request(), "{err:?}");

    for fault in [Fault::DropMidBody, Fault::TruncatedBody] {
        emu.set_faults(vec![FaultRule::new("invoke", fault.clone())]);
        let r = invoke_raw(&client(), base, &cone_request()).await.expect("the head arrives");
        assert_eq!(r.status(), 200, "{fault:?}");
        assert_eq!(r.content_length(), Some(normal.len() as u64), "{fault:?}");
        let err = r.bytes().await.expect_err("the body is incomplete");
        assert!(err.is_body() || err.is_decode() || err.is_request(), "{fault:?}: {err:?}");
    }
    assert_eq!(emu.stats().faults_injected, 3);
}

#[tokio::test]
async fn malformed_json_and_html_pages() {
    let emu = start(EmulatorConfig::default()).await;
    let base = emu.base_url();
    let c = client();
    let normal = invoke_bytes(&c, base, &cone_request()).await;

    emu.set_faults(vec![FaultRule::new("invoke", Fault::MalformedJson)]);
    let r = invoke_raw(&c, base, &cone_request()).await.unwrap();
    assert_eq!(r.status(), 200);
    let declared = r.content_length();
    let body = r.bytes().await.unwrap();
    assert_eq!(declared, Some(body.len() as u64));
    assert!(normal.starts_with(&body) && body.len() < normal.len());
    assert!(serde_json::from_slice::<Value>(&body).is_err());

    emu.set_faults(vec![FaultRule::new("*", Fault::HtmlErrorPage)]);
    let r = invoke_raw(&c, base, &cone_request()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert!(r.text().await.unwrap().contains("Service Unavailable"));
}

#[tokio::test]
async fn slow_first_byte_and_slow_body() {
    let emu = start(EmulatorConfig::default()).await;
    let base = emu.base_url();
    let c = client();
    let normal = invoke_bytes(&c, base, &cone_request()).await;

    emu.set_faults(vec![FaultRule::new("invoke", Fault::SlowFirstByte { millis: 250 })]);
    let t = Instant::now();
    let r = invoke_raw(&c, base, &cone_request()).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(250));
    assert_eq!(r.bytes().await.unwrap(), normal);

    emu.set_faults(vec![FaultRule::new("invoke", Fault::SlowBody { millis: 250 })]);
    let t = Instant::now();
    let r = invoke_raw(&c, base, &cone_request()).await.unwrap();
    let head = t.elapsed();
    assert_eq!(r.bytes().await.unwrap(), normal);
    // Order and lower bounds only (no wall-clock ceiling, which a loaded runner breaks):
    // the slowness is in the body, after the head.
    let whole = t.elapsed();
    assert!(whole >= Duration::from_millis(240), "{whole:?}");
    assert!(whole > head, "the body ends after the head ({head:?}, {whole:?})");
}

#[tokio::test]
async fn times_after_and_endpoint_matching() {
    let emu = start(EmulatorConfig::default().faults(vec![
        FaultRule::new("columnsconfig", Fault::Status { code: 500, retry_after: None }).after(1).times(2),
    ]))
    .await;
    let c = client();
    let url = format!("{}/portal/Mashup/Mashup.asmx/columnsconfig", emu.base_url());
    let mut codes = Vec::new();
    for _ in 0..4 {
        let r = c.post(&url).body("colConfigId=Mast.Caom.Cone").send().await.unwrap();
        codes.push(r.status().as_u16());
    }
    assert_eq!(codes, [200, 500, 500, 200]);

    // Service names match case-insensitively, by prefix; other endpoints are untouched.
    emu.set_faults(vec![FaultRule::new("invoke:mast.caom.cone", Fault::Status { code: 504, retry_after: None })]);
    assert_eq!(invoke_raw(&c, emu.base_url(), &cone_request()).await.unwrap().status(), 504);
    let hsc = request("Mast.Hsc.Db.v3", serde_json::json!({}), None, None, "h");
    assert_eq!(invoke_raw(&c, emu.base_url(), &hsc).await.unwrap().status(), 200);
    assert_eq!(c.post(&url).body("colConfigId=x").send().await.unwrap().status(), 200);
    assert_eq!(emu.faults().len(), 1);
    assert_eq!(emu.stats().faults_injected, 3);
}
