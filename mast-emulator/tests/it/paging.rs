//! Portal paging over the generated sky, parameters and errors.

use mast_emulator::EmulatorConfig;
use serde_json::{Value, json};

use crate::util::*;

#[tokio::test]
async fn seven_pages_concatenate_to_the_whole_result() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    let mut rows = Vec::new();
    for page in 1..=7u64 {
        let v = invoke(&c, base, &request("Mast.Caom.Cone", cone(Some(650)), Some(100), Some(page), "cb-7")).await;
        assert_eq!(v["status"], "COMPLETE");
        let expect_rows = if page == 7 { 50 } else { 100 };
        assert_eq!(
            v["paging"],
            json!({"page": page, "pageSize": 100, "pagesFiltered": 7, "rows": expect_rows, "rowsFiltered": 650, "rowsTotal": 650})
        );
        let fields = v["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 28);
        assert_eq!(fields[24], json!({"name": "obsid", "type": "string"}));
        assert_eq!(fields[27], json!({"name": "_selected_", "type": "boolean"}));
        let data = v["data"].as_array().unwrap();
        assert_eq!(data.len(), expect_rows);
        rows.extend(data.iter().cloned());
    }
    let whole = invoke(&c, base, &request("Mast.Caom.Cone", cone(Some(650)), Some(1000), Some(1), "cb-1")).await;
    assert_eq!(whole["data"].as_array().unwrap(), &rows);
    // Sorted by distance, all inside the cone, obsids are integers.
    let d: Vec<f64> = rows.iter().map(|r| r["distance"].as_f64().unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]));
    assert!(d.iter().all(|&x| x <= RADIUS * 3600.0));
    assert!(rows.iter().all(|r| r["obsid"].is_i64() && r["_selected_"].is_null()));
    emu.shutdown().await;
}

#[tokio::test]
async fn the_same_cone_gives_the_same_bytes() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let a = invoke_bytes(&c, emu.base_url(), &request("Mast.Caom.Cone", cone(None), Some(50_000), Some(1), "a")).await;
    let b = invoke_bytes(&c, emu.base_url(), &request("Mast.Caom.Cone", cone(None), Some(50_000), Some(1), "b")).await;
    assert_eq!(a, b);
    // A second emulator with the same seed agrees; another seed does not.
    let same = start(EmulatorConfig::default()).await;
    let other = start(EmulatorConfig::default().seed(43)).await;
    let c2 =
        invoke_bytes(&c, same.base_url(), &request("Mast.Caom.Cone", cone(None), Some(50_000), Some(1), "c")).await;
    let d =
        invoke_bytes(&c, other.base_url(), &request("Mast.Caom.Cone", cone(None), Some(50_000), Some(1), "d")).await;
    assert_eq!(a, c2);
    assert_ne!(a, d);
    let v: Value = serde_json::from_slice(&a).unwrap();
    let n = v["paging"]["rowsTotal"].as_u64().unwrap();
    assert!((20..=250).contains(&n), "{n} rows in a default 0.2 deg cone");
}

#[tokio::test]
async fn defaults_zero_rows_and_pages_past_the_end() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    // No pagesize/page: MAST's defaults, 1000 and 1.
    let v = invoke(&c, base, &request("Mast.Caom.Cone", cone(Some(1500)), None, None, "x")).await;
    assert_eq!(
        v["paging"],
        json!({"page": 1, "pageSize": 1000, "pagesFiltered": 2, "rows": 1000, "rowsFiltered": 1500, "rowsTotal": 1500})
    );
    // Zero rows: pagesFiltered 0, the columns are still declared.
    let v = invoke(&c, base, &request("Mast.Caom.Cone", cone(Some(0)), Some(10), Some(1), "z")).await;
    assert_eq!(
        v["paging"],
        json!({"page": 1, "pageSize": 10, "pagesFiltered": 0, "rows": 0, "rowsFiltered": 0, "rowsTotal": 0})
    );
    assert_eq!(v["fields"].as_array().unwrap().len(), 28);
    assert_eq!(v["data"], json!([]));
    // A page past the end: no rows, the page echoed.
    let v = invoke(&c, base, &request("Mast.Caom.Cone", cone(Some(15)), Some(10), Some(5), "p")).await;
    assert_eq!(
        v["paging"],
        json!({"page": 5, "pageSize": 10, "pagesFiltered": 2, "rows": 0, "rowsFiltered": 15, "rowsTotal": 15})
    );
    // GET with ?request= answers the same as POST.
    let req = request("mast.caom.CONE", cone(Some(3)), Some(10), Some(1), "g");
    let post = invoke_bytes(&c, base, &req).await;
    let get = c.get(format!("{base}/api/v0/invoke")).query(&[("request", req.to_string())]).send().await.unwrap();
    assert_eq!(get.bytes().await.unwrap().to_vec(), post);
}

#[tokio::test]
async fn bad_requests_are_status_error() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    let v = invoke(&c, base, &request("Mast.Caom.Cone", json!({"radius": 0.2}), None, None, "e")).await;
    assert_eq!(v["status"], "ERROR");
    assert!(v["msg"].as_str().unwrap().contains("'ra'"), "{v}");
    let v = invoke(&c, base, &request("Mast.No.Such", json!({}), None, None, "e")).await;
    assert_eq!(v["status"], "ERROR");
    assert!(v["msg"].as_str().unwrap().contains("Unknown service"), "{v}");
    let v = invoke(&c, base, &request("Mast.Caom.Cone", cone(None), Some(0), None, "e")).await;
    assert_eq!(v["status"], "ERROR");
    let mut extjs = request("Mast.Caom.Cone", cone(None), None, None, "e");
    extjs["format"] = "extjs".into();
    let v = invoke(&c, base, &extjs).await;
    assert_eq!(v["status"], "ERROR");
    assert!(v["msg"].as_str().unwrap().contains("format"), "{v}");
    let r = c.post(format!("{base}/api/v0/invoke")).form(&[("request", "{not json")]).send().await.unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "ERROR");
    let v: Value = c.post(format!("{base}/api/v0/invoke")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["status"], "ERROR");
    let r = c.get(format!("{base}/no/such/path")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(emu.stats().count("not_found"), 1);
}

#[tokio::test]
async fn the_row_ceiling_closes_the_connection() {
    let emu = start(EmulatorConfig::default().row_limit(100)).await;
    let c = client();
    let base = emu.base_url();
    let err =
        invoke_raw(&c, base, &request("Mast.Caom.Cone", cone(Some(150)), Some(1000), Some(1), "r")).await.unwrap_err();
    assert!(err.is_request() || err.is_connect(), "{err:?}");
    // Pages under the ceiling are fine.
    let v = invoke(&c, base, &request("Mast.Caom.Cone", cone(Some(150)), Some(100), Some(2), "r")).await;
    assert_eq!(v["paging"]["rows"], 50);
    // Recorded tables too (caom.json has 19 rows).
    let small = start(EmulatorConfig::default().row_limit(10).data_mode(mast_emulator::DataMode::Recorded)).await;
    assert!(
        invoke_raw(&c, small.base_url(), &request("Mast.Caom.Cone", cone(None), Some(50_000), Some(1), "r"))
            .await
            .is_err()
    );
    assert_eq!(emu.stats().faults_injected, 0);
}
