//! Long polling: EXECUTING answers per query, then COMPLETE.

use mast_emulator::EmulatorConfig;
use serde_json::json;

use crate::util::*;

#[tokio::test]
async fn executing_then_complete_per_query() {
    let emu = start(EmulatorConfig::default().executing_polls(2)).await;
    let c = client();
    let base = emu.base_url();
    let page1 = request("Mast.Caom.Cone", cone(Some(30)), Some(10), Some(1), "query-a");
    let v = invoke(&c, base, &page1).await;
    assert_eq!(v, json!({"status": "EXECUTING", "msg": "", "percent complete": 0}));
    let v = invoke(&c, base, &page1).await;
    assert_eq!(v["status"], "EXECUTING");
    assert_eq!(v["percent complete"], 50);
    assert!(v.get("data").is_none());
    let v = invoke(&c, base, &page1).await;
    assert_eq!(v["status"], "COMPLETE");
    assert_eq!(v["paging"]["rows"], 10);
    // Another page of the same query (only `page` differs) is complete at once.
    let v = invoke(&c, base, &request("Mast.Caom.Cone", cone(Some(30)), Some(10), Some(2), "query-a")).await;
    assert_eq!(v["status"], "COMPLETE");
    // Another cacheBreaker is another query.
    let v = invoke(&c, base, &request("Mast.Caom.Cone", cone(Some(30)), Some(10), Some(2), "query-b")).await;
    assert_eq!(v["status"], "EXECUTING");
    // At run time.
    emu.set_executing_polls(0);
    let v = invoke(&c, base, &request("Mast.Caom.Cone", cone(Some(30)), Some(10), Some(1), "query-c")).await;
    assert_eq!(v["status"], "COMPLETE");
    // Errors are immediate.
    emu.set_executing_polls(3);
    let v = invoke(&c, base, &request("Mast.Nope", json!({}), None, None, "query-d")).await;
    assert_eq!(v["status"], "ERROR");
}
