//! The /__emulator/ control endpoints over HTTP.

use mast_emulator::{EmulatorConfig, Fault, FaultRule, Stats};
use serde_json::json;

use crate::util::*;

#[tokio::test]
async fn stats_faults_and_config_over_http() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    invoke(&c, base, &request("Mast.Caom.Cone", cone(Some(1)), None, None, "c")).await;

    let stats: Stats = c.get(format!("{base}/__emulator/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(stats, emu.stats());
    assert_eq!(stats.total, 1);
    let r = c.post(format!("{base}/__emulator/stats/reset")).send().await.unwrap();
    assert!(r.status().is_success());
    assert_eq!(emu.stats().total, 0);

    let rules = vec![
        FaultRule::new("resolver", Fault::Status { code: 503, retry_after: Some(2) }).times(1),
        FaultRule::new("*", Fault::SlowBody { millis: 10 }).after(100),
    ];
    let r = c.put(format!("{base}/__emulator/faults")).json(&rules).send().await.unwrap();
    assert!(r.status().is_success());
    assert_eq!(emu.faults(), rules);
    let back: Vec<FaultRule> = c.get(format!("{base}/__emulator/faults")).send().await.unwrap().json().await.unwrap();
    assert_eq!(back, rules);
    assert_eq!(c.get(format!("{base}/Santa-war/query?name=M1")).send().await.unwrap().status(), 503);
    let r = c.put(format!("{base}/__emulator/faults")).body("[{\"endpoint\": 1}]").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = c.put(format!("{base}/__emulator/faults")).body("[]").send().await.unwrap();
    assert!(r.status().is_success());
    assert!(emu.faults().is_empty());

    let r = c.put(format!("{base}/__emulator/config")).json(&json!({"executing_polls": 1})).send().await.unwrap();
    assert!(r.status().is_success());
    let v = invoke(&c, base, &request("Mast.Caom.Cone", cone(Some(1)), None, None, "polled")).await;
    assert_eq!(v["status"], "EXECUTING");
    let r = c.put(format!("{base}/__emulator/config")).json(&json!({"latency_ms": 5})).send().await.unwrap();
    assert!(r.status().is_success());
    let config: serde_json::Value =
        c.get(format!("{base}/__emulator/config")).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        config,
        json!({"latency_ms": 5, "executing_polls": 1, "row_limit": 500_000, "seed": 42, "data_mode": "sky"})
    );
    let r = c.put(format!("{base}/__emulator/config")).json(&json!({"latency": 5})).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(c.get(format!("{base}/__emulator/nothing")).send().await.unwrap().status(), 404);
    // Only the two MAST requests were counted.
    assert_eq!(emu.stats().total, 2);
}
