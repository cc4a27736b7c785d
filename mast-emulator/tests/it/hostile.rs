//! The hostile fault kinds (raw `Retry-After`, absurd `paging`, a stall mid-body, a huge
//! `Content-Length`) on every path they apply to, as a plain HTTP client sees them.

use std::time::{Duration, Instant};

use mast_emulator::{Emulator, EmulatorConfig, Fault, FaultRule, HUGE_CONTENT_LENGTH};
use serde_json::Value;

use crate::util::*;

const C3M: &str = "mast:HST/product/u9o40504m_c3m.fits";
const C3M_KEY: &str = "hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits";

fn cone_request() -> Value {
    request("Mast.Caom.Cone", cone(Some(40)), Some(100), Some(1), "hostile")
}

/// Writes the cloud copy of `C3M` (a `path_lookup`), then resets the stats.
async fn with_cloud_copy(emu: &Emulator) {
    let r = client()
        .get(format!("{}/api/v0.1/path_lookup/", emu.base_url()))
        .query(&[("uri", C3M), ("use_cloud_path", "True")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    emu.reset_stats();
}

/// One request of every path a raw `Retry-After` applies to.
async fn send(c: &reqwest::Client, emu: &Emulator, what: &str) -> reqwest::Response {
    let base = emu.base_url();
    let download = format!("{base}/api/v0.1/Download/file");
    let object = format!("{base}/stpubdata/{C3M_KEY}");
    match what {
        "invoke" => invoke_raw(c, base, &cone_request()).await.unwrap(),
        "download" => c.get(download).query(&[("uri", C3M)]).send().await.unwrap(),
        "download:head" => c.head(download).query(&[("uri", C3M)]).send().await.unwrap(),
        "files" => c.get(format!("{base}/files/x?size=1000")).send().await.unwrap(),
        "s3:get" => c.get(object).send().await.unwrap(),
        "s3:head" => c.head(object).send().await.unwrap(),
        other => panic!("no path {other}"),
    }
}

#[tokio::test]
async fn raw_retry_after_on_every_path() {
    let emu = start(EmulatorConfig::default()).await;
    with_cloud_copy(&emu).await;
    let c = client();
    let values = ["1e20", "-5", "abc", "1.5", "99999999999999999999", "Fri, 01 Jan 2999 00:00:00 GMT"];
    let paths = ["invoke", "download", "download:head", "files", "s3:get", "s3:head"];
    for value in values {
        for path in paths {
            let fault = Fault::RawRetryAfter { code: 503, retry_after: value.into() };
            emu.set_faults(vec![FaultRule::new(path, fault).times(1)]);
            let r = send(&c, &emu, path).await;
            assert_eq!(r.status(), 503, "{path} {value}");
            assert_eq!(r.headers()["retry-after"], value, "{path}");
            if path.starts_with("s3") && path != "s3:head" {
                assert!(r.text().await.unwrap().contains("<Code>SlowDown</Code>"), "{path}");
            }
            // `times: 1`: answered normally next.
            let r = send(&c, &emu, path).await;
            assert_eq!(r.status(), 200, "{path} {value}");
            assert!(r.headers().get("retry-after").is_none());
        }
    }
    assert_eq!(emu.stats().faults_injected, (values.len() * paths.len()) as u64);
    // Bytes a header cannot hold are sent as `?`; another code is kept.
    emu.set_faults(vec![FaultRule::new("resolver", Fault::RawRetryAfter { code: 429, retry_after: "1\r\n2".into() })]);
    let r = c.get(format!("{}/Santa-war/query?name=M1", emu.base_url())).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1??2");
}

#[tokio::test]
async fn paging_numbers_as_raw_text() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let normal = invoke_bytes(&c, emu.base_url(), &cone_request()).await;
    let fault = Fault::Paging { rows_filtered: "1e12".into(), pages_filtered: "1099511627776".into() };
    emu.set_faults(vec![FaultRule::new("invoke:Mast.Caom.Cone", fault).times(1)]);
    let hostile = invoke_bytes(&c, emu.base_url(), &cone_request()).await;
    let text = String::from_utf8(hostile.clone()).unwrap();
    assert!(text.contains("\"rowsFiltered\": 1e12"), "{}", &text[..text.len().min(400)]);
    assert!(text.contains("\"pagesFiltered\": 1099511627776"));
    let (n, h): (Value, Value) = (serde_json::from_slice(&normal).unwrap(), serde_json::from_slice(&hostile).unwrap());
    assert_eq!(n["data"], h["data"], "the real rows");
    assert_eq!(n["fields"], h["fields"]);
    assert_eq!(n["paging"]["page"], h["paging"]["page"]);
    assert_eq!(n["paging"]["rows"], h["paging"]["rows"]);
    assert_eq!(h["paging"]["rowsFiltered"].as_f64(), Some(1e12));
    assert_eq!(h["paging"]["pagesFiltered"].as_u64(), Some(1 << 40));
    // The rows' text is kept byte for byte.
    let data_of = |b: &[u8]| {
        let s = String::from_utf8(b.to_vec()).unwrap();
        let at = s.find("\"data\"").unwrap();
        s[at..].to_owned()
    };
    assert!(data_of(&hostile).starts_with(&data_of(&normal)[..data_of(&normal).len().min(2000)]));
    // Page 2 (after `times: 1`) is the real one.
    assert_eq!(invoke_bytes(&c, emu.base_url(), &cone_request()).await, normal);
    assert_eq!(emu.stats().faults_injected, 1);

    // Any raw text, even text that is not JSON; an answer without paging gets one.
    emu.set_faults(vec![FaultRule::new(
        "invoke",
        Fault::Paging { rows_filtered: "-1".into(), pages_filtered: "\"many\"".into() },
    )]);
    let v = invoke(&c, emu.base_url(), &cone_request()).await;
    assert_eq!((v["paging"]["rowsFiltered"].as_i64(), v["paging"]["pagesFiltered"].as_str()), (Some(-1), Some("many")));
    let lookup = request("Mast.Name.Lookup", serde_json::json!({"input": "M101", "format": "json"}), None, None, "x");
    let v = invoke(&c, emu.base_url(), &lookup).await;
    assert_eq!(v["paging"], serde_json::json!({"pagesFiltered": "many", "rowsFiltered": -1}), "{v}");
    // File answers are not touched.
    emu.set_faults(vec![FaultRule::new(
        "files",
        Fault::Paging { rows_filtered: "x".into(), pages_filtered: "y".into() },
    )]);
    let r = c.get(format!("{}/files/p?size=5000", emu.base_url())).send().await.unwrap();
    assert_eq!(r.bytes().await.unwrap().len(), 5000);
}

/// Reads `r`'s body and returns it with the longest gap between two of its chunks (or
/// between the head and the first chunk) and how many body bytes had come before that gap.
async fn timed_body(mut r: reqwest::Response) -> (Vec<u8>, Duration, usize) {
    let (mut body, mut gap, mut before, mut last) = (Vec::new(), Duration::ZERO, 0, Instant::now());
    while let Some(chunk) = r.chunk().await.expect("a complete body") {
        let now = Instant::now();
        if now - last > gap {
            (gap, before) = (now - last, body.len());
        }
        last = now;
        body.extend_from_slice(&chunk);
    }
    (body, gap, before)
}

/// Half the body, a silence with the connection open, the rest. Told by order and a lower
/// bound, not by wall-clock ceilings: the longest silence is at least the stall and comes
/// after some of the body and before the rest (so after the head, too).
#[tokio::test]
async fn stall_mid_body_on_portal_download_and_s3() {
    let emu = start(EmulatorConfig::default()).await;
    with_cloud_copy(&emu).await;
    let c = client();
    let stall = Duration::from_millis(600);
    for path in ["invoke", "download", "s3:get"] {
        let normal = send(&c, &emu, path).await.bytes().await.unwrap();
        emu.set_faults(vec![FaultRule::new(path, Fault::StallMidBody { millis: 600 }).times(1)]);
        let r = send(&c, &emu, path).await;
        assert_eq!(r.content_length(), Some(normal.len() as u64), "{path}");
        let (body, gap, before) = timed_body(r).await;
        assert_eq!(body, normal, "{path}: the whole body in the end");
        assert!(gap >= stall - Duration::from_millis(50), "{path}: a silence mid-body ({gap:?})");
        assert!(
            before > 0 && before < normal.len(),
            "{path}: the silence came after {before} of {} bytes",
            normal.len()
        );
    }
    assert_eq!(emu.stats().faults_injected, 3);
}

#[tokio::test]
async fn huge_content_length_then_close() {
    let emu = start(EmulatorConfig::default()).await;
    with_cloud_copy(&emu).await;
    let c = client();
    for path in ["invoke", "download", "files", "s3:get"] {
        let normal = send(&c, &emu, path).await.bytes().await.unwrap();
        emu.set_faults(vec![FaultRule::new(path, Fault::HugeContentLength).times(1)]);
        let mut r = send(&c, &emu, path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.content_length(), Some(HUGE_CONTENT_LENGTH), "{path}");
        let mut got = Vec::new();
        let end = loop {
            match r.chunk().await {
                Ok(Some(chunk)) => got.extend_from_slice(&chunk),
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        assert!(end.is_some(), "{path}: the connection closes before the announced length");
        assert_eq!(got, normal, "{path}: the real bytes, then the close");
    }
    for path in ["download:head", "s3:head"] {
        emu.set_faults(vec![FaultRule::new(path, Fault::HugeContentLength).times(1)]);
        let r = send(&c, &emu, path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-length"], HUGE_CONTENT_LENGTH.to_string(), "{path}");
    }
    assert_eq!(emu.stats().faults_injected, 6);
}

#[tokio::test]
async fn hostile_rules_over_the_control_endpoint() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let rules = r#"[{"endpoint": "invoke", "fault": {"kind": "raw_retry_after", "code": 503, "retry_after": "1e20"}, "times": 1},
        {"endpoint": "download", "fault": {"kind": "stall_mid_body", "millis": 10}},
        {"endpoint": "files", "fault": {"kind": "huge_content_length"}},
        {"endpoint": "invoke", "fault": {"kind": "paging", "rows_filtered": "1e12", "pages_filtered": "2"}}]"#;
    let r = c.put(format!("{}/__emulator/faults", emu.base_url())).body(rules).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let back = emu.faults();
    assert_eq!(back.len(), 4);
    assert_eq!(back[0].fault, Fault::RawRetryAfter { code: 503, retry_after: "1e20".into() });
    assert_eq!(back[1].fault, Fault::StallMidBody { millis: 10 });
    assert_eq!(back[2].fault, Fault::HugeContentLength);
    assert_eq!(back[3].fault, Fault::Paging { rows_filtered: "1e12".into(), pages_filtered: "2".into() });
    let r = invoke_raw(&c, emu.base_url(), &cone_request()).await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["retry-after"].to_str().unwrap()), (503, "1e20"));
}
