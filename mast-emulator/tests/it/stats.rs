//! Request counters and the in-flight maximum.

use std::time::Duration;

use mast_emulator::EmulatorConfig;

use crate::util::*;

#[tokio::test]
async fn counts_per_endpoint() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    invoke(&c, base, &request("Mast.Caom.Cone", cone(Some(2)), None, None, "s")).await;
    invoke(&c, base, &request("mast.caom.cone", cone(Some(2)), None, None, "s")).await;
    invoke(&c, base, &request("Mast.Hsc.Db.v3", serde_json::json!({}), None, None, "s")).await;
    c.get(format!("{base}/Santa-war/query?name=M1")).send().await.unwrap();
    c.post(format!("{base}/portal/Mashup/Mashup.asmx/columnsconfig"))
        .body("colConfigId=Mast.Caom.Cone")
        .send()
        .await
        .unwrap();
    c.post(format!("{base}/api/v0.1/panstarrs/dr2/mean.json")).body("{}").send().await.unwrap();
    c.get(format!("{base}/api/v0.1/panstarrs/dr2/mean/metadata.json")).send().await.unwrap();
    c.get(format!("{base}/__emulator/stats")).send().await.unwrap();
    let s = emu.stats();
    assert_eq!(s.count("invoke"), 3);
    assert_eq!(s.count("invoke:Mast.Caom.Cone"), 1);
    assert_eq!(s.count("invoke:mast.caom.cone"), 1);
    assert_eq!(s.count("invoke:Mast.Hsc.Db.v3"), 1);
    assert_eq!(s.count("resolver"), 1);
    assert_eq!(s.count("columnsconfig"), 1);
    assert_eq!(s.count("services:panstarrs"), 1);
    assert_eq!(s.count("services:panstarrs:metadata"), 1);
    assert_eq!(s.total, 7, "control requests are not counted: {s:?}");
    assert_eq!(s.max_concurrency, 1);
    emu.reset_stats();
    assert_eq!(emu.stats(), mast_emulator::Stats::default());
}

#[tokio::test]
async fn max_concurrency_counts_requests_in_flight() {
    let emu = start(EmulatorConfig::default().latency(Duration::from_millis(300))).await;
    let c = client();
    let base = emu.base_url().to_owned();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (c, base) = (c.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            invoke(&c, &base, &request("Mast.Caom.Cone", cone(Some(5)), None, None, &format!("q{i}"))).await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap()["status"], "COMPLETE");
    }
    let s = emu.stats();
    assert_eq!(s.max_concurrency, 6, "{s:?}");
    assert_eq!(s.count("invoke"), 6);
    // Sequential requests afterwards do not raise it.
    emu.reset_stats();
    emu.set_latency(Duration::ZERO);
    invoke(&c, &base, &request("Mast.Caom.Cone", cone(Some(5)), None, None, "after")).await;
    assert_eq!(emu.stats().max_concurrency, 1);
}
