//! The cloud side: `path_lookup`, the S3 bucket (through object_store), cloud copies equal
//! to `Download/file`, faults, stats and removal.

use std::sync::Arc;
use std::time::Duration;

use mast_emulator::cloud::{MAX_LOOKUP_URIS, cloud_key};
use mast_emulator::{Emulator, EmulatorConfig, Fault, FaultRule};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{BackoffConfig, GetOptions, GetRange, ObjectStore, ObjectStoreExt, RetryConfig};
use serde_json::{Value, json};

use crate::util::*;

const C3M: &str = "mast:HST/product/u9o40504m_c3m.fits";
const C3M_KEY: &str = "hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits";
const MISSING: &str = "mast:HST/product/does_not_exist.fits";

fn store(emu: &Emulator) -> Arc<dyn ObjectStore> {
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            base: 2.0,
        },
        max_retries: 3,
        retry_timeout: Duration::from_secs(10),
    };
    let s3 = AmazonS3Builder::new()
        .with_endpoint(emu.s3_endpoint())
        .with_allow_http(true)
        .with_bucket_name(emu.bucket())
        .with_region("us-east-1")
        .with_skip_signature(true)
        .with_retry(retry)
        .build()
        .expect("an S3 store");
    Arc::new(s3)
}

async fn lookup(c: &reqwest::Client, base: &str, uris: &[&str]) -> reqwest::Response {
    let mut q: Vec<(&str, &str)> = uris.iter().map(|u| ("uri", *u)).collect();
    q.push(("use_cloud_path", "True"));
    c.get(format!("{base}/api/v0.1/path_lookup/")).query(&q).send().await.expect("an answer")
}

async fn download(c: &reqwest::Client, base: &str, uri: &str) -> bytes::Bytes {
    let r = c.get(format!("{base}/api/v0.1/Download/file")).query(&[("uri", uri)]).send().await.unwrap();
    assert_eq!(r.status(), 200, "{uri}");
    r.bytes().await.unwrap()
}

#[tokio::test]
async fn path_lookup_answers_the_recorded_example() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    // The captured request, byte for byte.
    let url = format!(
        "{}/api/v0.1/path_lookup/?uri=mast%3AHST%2Fproduct%2Fu9o40504m_c3m.fits&uri=mast%3AHST%2Fproduct%2Fdoes_not_exist.fits&use_cloud_path=True",
        emu.base_url()
    );
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json; charset=utf-8");
    let got: Value = r.json().await.unwrap();
    let recorded: Value = serde_json::from_slice(&fixture("mast_relative_path.json")).unwrap();
    assert_eq!(got, recorded);
    let keys: Vec<&String> = got.as_object().unwrap().keys().collect();
    assert_eq!(keys, [C3M, MISSING], "request order");

    // Without the trailing slash, in the other order.
    let r = c
        .get(format!("{}/api/v0.1/path_lookup", emu.base_url()))
        .query(&[("uri", MISSING), ("uri", C3M), ("use_cloud_path", "True")])
        .send()
        .await
        .unwrap();
    let got: Value = r.json().await.unwrap();
    assert_eq!(got.as_object().unwrap().keys().collect::<Vec<_>>(), [MISSING, C3M]);
    assert_eq!(got[C3M]["path"], format!("/{C3M_KEY}"));

    // The copy is on disk, with the bytes Download/file serves.
    let on_disk = std::fs::read(emu.cloud_root().join("stpubdata").join(C3M_KEY)).unwrap();
    assert_eq!(on_disk.len(), 207_360);
    assert_eq!(on_disk, download(&c, emu.base_url(), C3M).await);
    let s = emu.stats();
    assert_eq!(s.count("path_lookup"), 2);
}

#[tokio::test]
async fn path_lookup_limits_and_methods() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let many: Vec<String> = (0..=MAX_LOOKUP_URIS).map(|i| format!("mast:HST/product/u{i:08}_raw.fits")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let r = lookup(&c, emu.base_url(), &refs).await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(v["error"].as_str().unwrap().contains("41"), "{v}");
    assert_eq!(lookup(&c, emu.base_url(), &refs[..MAX_LOOKUP_URIS]).await.status(), 200);
    assert_eq!(lookup(&c, emu.base_url(), &[]).await.status(), 400);
    let r = c.post(format!("{}/api/v0.1/path_lookup/", emu.base_url())).send().await.unwrap();
    assert_eq!(r.status(), 405);
    // A fault on the endpoint key, then the normal answer.
    emu.set_faults(vec![FaultRule::new("path_lookup", Fault::Status { code: 503, retry_after: Some(1) }).times(1)]);
    assert_eq!(lookup(&c, emu.base_url(), &[C3M]).await.status(), 503);
    assert_eq!(lookup(&c, emu.base_url(), &[C3M]).await.status(), 200);
}

#[tokio::test]
async fn generated_products_and_their_cloud_copies() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    // Product lists of a few hundred generated observations (so their sizes are known).
    let cone = invoke(&c, base, &request("Mast.Caom.Cone", cone(Some(300)), Some(300), Some(1), "cloud")).await;
    let obsids: Vec<String> = cone["data"].as_array().unwrap().iter().map(|r| r["obsid"].to_string()).collect();
    let params = json!({"obsid": obsids.join(",")});
    let products = invoke(&c, base, &request("Mast.Caom.Products", params, Some(5000), Some(1), "cloud")).await;
    let rows = products["data"].as_array().unwrap();
    let small: Vec<(&str, &str, u64)> = rows
        .iter()
        .map(|r| (r["dataURI"].as_str().unwrap(), r["obs_collection"].as_str().unwrap(), r["size"].as_u64().unwrap()))
        .filter(|p| p.2 < 400_000)
        .collect();
    let cloud_mission = |m: &str| ["HST", "JWST", "TESS", "GALEX"].contains(&m);
    let inside: Vec<_> = small.iter().filter(|p| cloud_mission(p.1) && cloud_key(p.0).is_some()).take(12).collect();
    let left_out: Vec<_> = small.iter().filter(|p| cloud_mission(p.1) && cloud_key(p.0).is_none()).take(4).collect();
    let elsewhere: Vec<_> = small.iter().filter(|p| !cloud_mission(p.1)).take(4).collect();
    assert!(inside.len() == 12 && left_out.len() == 4 && elsewhere.len() == 4);
    let uris: Vec<&str> = inside.iter().chain(&left_out).chain(&elsewhere).map(|p| p.0).collect();
    let answer: Value = lookup(&c, base, &uris).await.json().await.unwrap();
    assert_eq!(answer.as_object().unwrap().keys().collect::<Vec<_>>(), uris);

    let s3 = store(&emu);
    for (uri, mission, size) in &inside {
        let key = cloud_key(uri).unwrap();
        assert!(key.starts_with(&format!("{}/public/", mission.to_ascii_lowercase())) || key.starts_with("mast/hlsp/"));
        assert_eq!(answer[*uri], json!({"status_code": 200, "path": format!("/{key}")}));
        let from_s3 = s3.get(&Path::from(key.as_str())).await.unwrap().bytes().await.unwrap();
        assert_eq!(from_s3.len() as u64, *size, "{uri}");
        assert_eq!(from_s3, download(&c, base, uri).await, "{uri}");
    }
    for (uri, ..) in left_out.iter().chain(&elsewhere) {
        assert_eq!(answer[*uri], json!({"status_code": 404, "path": null}), "{uri}");
    }
}

#[tokio::test]
async fn object_store_lists_heads_and_reads() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let s3 = store(&emu);
    assert_eq!((emu.s3_endpoint(), emu.bucket()), (emu.base_url(), "stpubdata"));

    let root = s3.list_with_delimiter(None).await.unwrap();
    let prefixes: Vec<String> = root.common_prefixes.iter().map(|p| p.to_string()).collect();
    assert_eq!(prefixes, ["galex", "hst", "jwst", "mast", "panstarrs", "tess"]);
    let hlsp = s3.list_with_delimiter(Some(&Path::from("mast/hlsp"))).await.unwrap();
    assert_eq!(hlsp.common_prefixes.iter().map(|p| p.to_string()).collect::<Vec<_>>(), ["mast/hlsp/tica"]);
    // The raw listing astroquery reads: XML CommonPrefixes with trailing slashes.
    let xml = c.get(format!("{}/stpubdata?list-type=2&delimiter=/", emu.base_url())).send().await.unwrap();
    assert_eq!(xml.status(), 200);
    let xml = xml.text().await.unwrap();
    assert!(xml.contains("<CommonPrefixes><Prefix>hst/</Prefix></CommonPrefixes>"), "{xml}");

    // Not looked up yet: not there.
    let path = Path::from(C3M_KEY);
    assert!(matches!(s3.head(&path).await, Err(object_store::Error::NotFound { .. })));
    lookup(&c, emu.base_url(), &[C3M]).await;
    let meta = s3.head(&path).await.unwrap();
    assert_eq!(meta.size, 207_360);
    let https = c.head(format!("{}/api/v0.1/Download/file", emu.base_url())).query(&[("uri", C3M)]).send().await;
    let https_etag = https.unwrap().headers()["etag"].to_str().unwrap().to_owned();
    let etag = meta.e_tag.clone().expect("an ETag");
    assert_eq!(etag, https_etag, "the S3 ETag is Download/file's");

    let whole = s3.get(&path).await.unwrap().bytes().await.unwrap();
    assert_eq!(whole, emu.file_content(C3M).bytes(0..207_360));
    assert_eq!(s3.get_range(&path, 1000..2000).await.unwrap(), whole.slice(1000..2000));
    let opts = GetOptions {
        range: Some(GetRange::Bounded(200_000..207_360)),
        if_match: Some(etag.clone()),
        ..GetOptions::default()
    };
    assert_eq!(s3.get_opts(&path, opts).await.unwrap().bytes().await.unwrap(), whole.slice(200_000..));
    let wrong = GetOptions { if_match: Some("\"0123-1\"".into()), ..GetOptions::default() };
    let err = s3.get_opts(&path, wrong).await.unwrap_err();
    assert!(matches!(err, object_store::Error::Precondition { .. }), "{err:?}");
    let same = GetOptions { if_none_match: Some(etag), ..GetOptions::default() };
    let err = s3.get_opts(&path, same).await.unwrap_err();
    assert!(matches!(err, object_store::Error::NotModified { .. }), "{err:?}");

    // Read-only.
    let put = c.put(format!("{}/stpubdata/hst/new.txt", emu.base_url())).body("x").send().await.unwrap();
    assert_eq!(put.status(), 403);
    assert!(put.text().await.unwrap().contains("<Code>AccessDenied</Code>"));

    let s = emu.stats();
    assert_eq!(s.count("s3:list"), 3);
    assert_eq!(s.count("s3:head"), 2);
    assert_eq!(s.count("s3:get"), 5);
    assert_eq!(s.count("s3:get:range"), 2);
    assert_eq!(s.count("s3:get:if_match"), 2, "the two reads with If-Match");
    assert_eq!(s.count("s3:write"), 1);
    assert_eq!(s.count("s3"), 11);
    assert_eq!(s.bytes("s3"), 207_360 + 1000 + 7360);
}

#[tokio::test]
async fn s3_faults_then_success() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    lookup(&c, emu.base_url(), &[C3M]).await;
    let s3 = store(&emu);
    let path = Path::from(C3M_KEY);

    emu.set_faults(vec![FaultRule::new("s3", Fault::Status { code: 503, retry_after: None }).times(1)]);
    let meta = s3.head(&path).await.expect("a retry succeeds");
    assert_eq!(meta.size, 207_360);
    let s = emu.stats();
    assert_eq!((s.count("s3:head"), s.faults_injected), (2, 1));

    // The raw answer of a status fault is an S3 XML error.
    emu.set_faults(vec![FaultRule::new("s3:get", Fault::Status { code: 503, retry_after: Some(2) }).times(1)]);
    let r = c.get(format!("{}/stpubdata/{C3M_KEY}", emu.base_url())).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "2");
    assert!(r.text().await.unwrap().contains("<Code>SlowDown</Code>"));

    // Body faults cut the object.
    let url = format!("{}/stpubdata/{C3M_KEY}", emu.base_url());
    for fault in [Fault::DropMidBody, Fault::TruncatedBody] {
        emu.set_faults(vec![FaultRule::new("s3:get", fault.clone()).times(1)]);
        let r = client().get(&url).send().await.unwrap();
        assert_eq!((r.status().as_u16(), r.content_length()), (200, Some(207_360)), "{fault:?}");
        assert!(r.bytes().await.is_err(), "{fault:?}");
    }
    emu.set_faults(vec![FaultRule::new("s3:get:range", Fault::MalformedJson).times(1)]);
    let r = client().get(&url).header("Range", "bytes=0-999").send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.bytes().await.unwrap().len()), (206, 500));
    emu.set_faults(vec![FaultRule::new("s3", Fault::SlowBody { millis: 100 }).times(1)]);
    let t0 = std::time::Instant::now();
    let whole = s3.get(&path).await.unwrap().bytes().await.unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(80));
    assert_eq!(whole, emu.file_content(C3M).bytes(0..207_360));
}

/// A patched copy: new bytes where patched, the same size and the rest, a new ETag; a read
/// or HEAD with `If-Match` on the old ETag is refused with 412; a later lookup keeps it.
#[tokio::test]
async fn patched_copies_change_their_etag() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let s3 = store(&emu);
    let path = Path::from(C3M_KEY);
    let err = emu.patch_cloud_object(C3M_KEY, 0, b"x").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "no copy before a lookup");
    lookup(&c, emu.base_url(), &[C3M]).await;
    let before = s3.get(&path).await.unwrap();
    let old_etag = before.meta.e_tag.clone().unwrap();
    let old = before.bytes().await.unwrap();

    let etag = emu.patch_cloud_object(&format!("/{C3M_KEY}"), 1000, &[0xAA; 100]).unwrap();
    assert_ne!(etag, old_etag);
    let meta = s3.head(&path).await.unwrap();
    assert_eq!((meta.e_tag.as_deref(), meta.size), (Some(etag.as_str()), 207_360));
    let now = s3.get(&path).await.unwrap().bytes().await.unwrap();
    assert_eq!(now.len(), old.len());
    assert_eq!(&now[1000..1100], &[0xAA; 100]);
    assert_eq!((&now[..1000], &now[1100..]), (&old[..1000], &old[1100..]), "only the patched bytes changed");

    emu.reset_stats();
    let stale = GetOptions {
        range: Some(GetRange::Offset(100_000)),
        if_match: Some(old_etag.clone()),
        ..GetOptions::default()
    };
    let err = s3.get_opts(&path, stale).await.unwrap_err();
    assert!(matches!(err, object_store::Error::Precondition { .. }), "{err:?}");
    let head = c.head(format!("{}/stpubdata/{C3M_KEY}", emu.base_url())).header("if-match", &old_etag).send().await;
    assert_eq!(head.unwrap().status(), 412);
    let fresh = GetOptions { if_match: Some(etag.clone()), ..GetOptions::default() };
    assert_eq!(s3.get_opts(&path, fresh).await.unwrap().bytes().await.unwrap(), now);
    let s = emu.stats();
    assert_eq!((s.count("s3:get"), s.count("s3:get:if_match"), s.count("s3:get:range")), (2, 2, 1), "{s:?}");
    assert_eq!(s.bytes("s3"), 207_360, "the refused read sent no object bytes: {s:?}");

    // A later lookup keeps the patched copy; a patch past the end is refused.
    lookup(&c, emu.base_url(), &[C3M]).await;
    assert_eq!(s3.head(&path).await.unwrap().e_tag.as_deref(), Some(etag.as_str()));
    let err = emu.patch_cloud_object(C3M_KEY, 207_300, &[0; 61]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
    assert!(emu.patch_cloud_object("hst/../x", 0, b"x").is_err());
}

#[tokio::test]
async fn removed_copies_are_not_found() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let s3 = store(&emu);
    let other = "mast:HST/product/u9o40504m_c0f.fits";
    let other_key = cloud_key(other).unwrap();
    let answer: Value = lookup(&c, emu.base_url(), &[C3M, other]).await.json().await.unwrap();
    assert_eq!(answer[C3M]["status_code"], 200);
    assert!(s3.head(&Path::from(C3M_KEY)).await.is_ok());

    assert!(emu.remove_cloud_object(C3M_KEY));
    assert!(!emu.remove_cloud_object(C3M_KEY), "already gone");
    assert!(matches!(s3.head(&Path::from(C3M_KEY)).await, Err(object_store::Error::NotFound { .. })));
    assert!(matches!(s3.get(&Path::from(C3M_KEY)).await, Err(object_store::Error::NotFound { .. })));
    // MAST still names the path; the bucket still lacks the object.
    let again: Value = lookup(&c, emu.base_url(), &[C3M]).await.json().await.unwrap();
    assert_eq!(again[C3M], json!({"status_code": 200, "path": format!("/{C3M_KEY}")}));
    assert!(matches!(s3.head(&Path::from(C3M_KEY)).await, Err(object_store::Error::NotFound { .. })));

    // The control endpoint (a path_lookup path works as a key).
    let r = c
        .post(format!("{}/__emulator/cloud/remove", emu.base_url()))
        .query(&[("key", format!("/{other_key}"))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"key": other_key, "removed": true}));
    assert!(matches!(s3.head(&Path::from(other_key.as_str())).await, Err(object_store::Error::NotFound { .. })));
    let view: Value = c.get(format!("{}/__emulator/cloud", emu.base_url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(view["bucket"], "stpubdata");
    assert_eq!(view["removed"], json!([other_key, C3M_KEY]), "sorted");
}

#[tokio::test]
async fn the_bucket_directory_is_temporary_and_configurable() {
    let emu = start(EmulatorConfig::default().bucket("other-bucket")).await;
    let root = emu.cloud_root().to_owned();
    assert!(root.starts_with(std::env::temp_dir()));
    assert!(root.join("other-bucket/hst/README.txt").is_file());
    let c = client();
    lookup(&c, emu.base_url(), &[C3M]).await;
    assert_eq!(emu.bucket(), "other-bucket");
    let r = c.head(format!("{}/other-bucket/{C3M_KEY}", emu.base_url())).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], "207360");
    let r = c.get(format!("{}/stpubdata/{C3M_KEY}", emu.base_url())).send().await.unwrap();
    assert_eq!(r.status(), 404, "not the bucket: an ordinary unknown path");
    emu.shutdown().await;
    assert!(!root.exists());

    let emu = start(EmulatorConfig::default()).await;
    let root = emu.cloud_root().to_owned();
    drop(emu);
    assert!(!root.exists());
    assert!(Emulator::start(EmulatorConfig::default().bucket("files")).await.is_err());
}
