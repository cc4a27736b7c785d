//! Request counters and the in-flight maximum.

use std::time::Duration;

use mast_emulator::{Barrier, EmulatorConfig};

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

/// Six requests held by a barrier of six are all in flight at once: the barrier guarantees
/// the count (no timing), and only six were sent, so it is exact.
#[tokio::test]
async fn max_concurrency_counts_requests_in_flight() {
    let emu = start(EmulatorConfig::default()).await;
    emu.set_barriers(vec![Barrier::new("invoke:Mast.Caom.Cone", 6).timeout(Duration::from_secs(30))]);
    assert_eq!(emu.barriers().len(), 1);
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
    assert_eq!((s.max_concurrency, s.barriers_timed_out), (6, 0), "{s:?}");
    assert_eq!(s.count("invoke"), 6);
    // Past its count the barrier holds nothing: sequential requests afterwards do not
    // raise the maximum.
    emu.reset_stats();
    invoke(&c, &base, &request("Mast.Caom.Cone", cone(Some(5)), None, None, "after")).await;
    assert_eq!(emu.stats().max_concurrency, 1);
}

/// A barrier that never fills releases its requests after its timeout and says so; it
/// holds only the endpoint it names.
#[tokio::test]
async fn a_barrier_that_never_fills_times_out_and_is_counted() {
    let emu = start(EmulatorConfig::default()).await;
    let wait = Duration::from_millis(300);
    emu.set_barriers(vec![Barrier::new("resolver", 3).timeout(wait)]);
    let c = client();
    let base = emu.base_url().to_owned();
    // Not the barrier's endpoint: answered at once, whatever the barrier.
    invoke(&c, &base, &request("Mast.Caom.Cone", cone(Some(5)), None, None, "other")).await;
    assert_eq!(emu.stats().barriers_timed_out, 0);
    let get = || c.get(format!("{base}/Santa-war/query?name=M1")).send();
    let t = std::time::Instant::now();
    let (a, b) = tokio::join!(get(), get());
    assert!(t.elapsed() >= wait, "held for the timeout: {:?}", t.elapsed());
    assert_eq!((a.unwrap().status().as_u16(), b.unwrap().status().as_u16()), (200, 200));
    let s = emu.stats();
    assert_eq!((s.count("resolver"), s.max_concurrency, s.barriers_timed_out), (2, 2, 1), "{s:?}");
}

/// `after(1)`: the first matching request passes alone (held, it would time out), the next
/// two are gathered.
#[tokio::test]
async fn a_barrier_lets_its_first_requests_pass() {
    let emu = start(EmulatorConfig::default()).await;
    emu.set_barriers(vec![Barrier::new("resolver", 2).after(1).timeout(Duration::from_secs(30))]);
    let c = client();
    let base = emu.base_url().to_owned();
    let get = || c.get(format!("{base}/Santa-war/query?name=M1")).send();
    assert_eq!(get().await.unwrap().status().as_u16(), 200);
    let (a, b) = tokio::join!(get(), get());
    assert_eq!((a.unwrap().status().as_u16(), b.unwrap().status().as_u16()), (200, 200));
    let s = emu.stats();
    assert_eq!((s.count("resolver"), s.max_concurrency, s.barriers_timed_out), (3, 2, 0), "{s:?}");
}
