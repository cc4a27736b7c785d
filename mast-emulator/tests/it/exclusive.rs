//! Exclusive-access files (spec §8.8, §12): `401` on `GET` and `HEAD` without a valid token,
//! served with one (cookie or Bearer); never in the public bucket; named by product lists
//! only with `EmulatorConfig::exclusive_products`.

use mast_emulator::files::FileContent;
use mast_emulator::{EmulatorConfig, EmulatorToken};
use serde_json::json;

use crate::util::*;

const URI: &str = "mast:JWST/product/jw_exclusive_x_cal.fits";

fn config() -> EmulatorConfig {
    EmulatorConfig::new().token(EmulatorToken::new("good-token")).token(EmulatorToken::new("old-token").expired())
}

/// `(status, body)` of a `GET` (or the status and `Content-Length` of a `HEAD`) of `uri`.
async fn fetch(base: &str, head: bool, uri: &str, header: Option<(&str, &str)>) -> (u16, Vec<u8>, Option<String>) {
    let url = format!("{base}/api/v0.1/Download/file");
    let c = client();
    let mut request = if head { c.head(&url) } else { c.get(&url) }.query(&[("uri", uri)]);
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    let r = request.send().await.unwrap();
    let len = r.headers().get("content-length").map(|v| v.to_str().unwrap().to_owned());
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec(), len)
}

#[tokio::test]
async fn exclusive_files_need_a_valid_token() {
    let emu = start(config()).await;
    let base = emu.base_url();
    let size = emu.file_size(URI);
    for head in [false, true] {
        for header in [
            None,
            Some(("cookie", "mast_token=old-token")),
            Some(("authorization", "Bearer old-token")),
            Some(("cookie", "mast_token=nobody")),
            Some(("authorization", "Basic Z29vZC10b2tlbg==")),
            Some(("cookie", "other=good-token")),
        ] {
            let (status, body, _) = fetch(base, head, URI, header).await;
            assert_eq!(status, 401, "head {head}, {header:?}");
            if !head {
                assert!(String::from_utf8_lossy(&body).contains("exclusive-access"), "{header:?}");
            }
        }
        for header in [("cookie", "a=b; mast_token=good-token"), ("authorization", "Bearer good-token")] {
            let (status, body, len) = fetch(base, head, URI, Some(header)).await;
            assert_eq!(status, 200, "head {head}, {header:?}");
            assert_eq!(len, Some(size.to_string()));
            if !head {
                assert_eq!(body, FileContent::new(URI, size, 42, 0).bytes(0..size).to_vec());
            }
        }
    }
    // A public file needs no token; `unauth` is refused even with a valid one.
    assert_eq!(fetch(base, false, "mast:JWST/product/jw_public_x_cal.fits", None).await.0, 200);
    let unauth = fetch(base, true, "mast:HST/product/unauthorized.fits", Some(("cookie", "mast_token=good-token")));
    assert_eq!(unauth.await.0, 401);
    // The refusals and the answers are counted and logged like any file request.
    let logged = emu.requests_for("download");
    assert_eq!(logged.iter().filter(|r| r.status == Some(401)).count(), 2 * 6 + 1);
    assert_eq!(emu.stats().count("download"), 2 * (6 + 2) + 1 + 1);
}

#[tokio::test]
async fn exclusive_files_have_no_cloud_copy() {
    let emu = start(config()).await;
    let c = client();
    // Eight exclusive files (whatever the 1-in-8 rule would say) and their public twins.
    let exclusive: Vec<String> = (0..8).map(|i| format!("mast:JWST/product/jw_exclusive_{i}_cal.fits")).collect();
    let public: Vec<String> = (0..8).map(|i| format!("mast:JWST/product/jw_public_{i}_cal.fits")).collect();
    let mut query: Vec<(&str, &str)> = exclusive.iter().chain(&public).map(|u| ("uri", u.as_str())).collect();
    query.push(("use_cloud_path", "True"));
    let r = c.get(format!("{}/api/v0.1/path_lookup/", emu.base_url())).query(&query).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    for uri in &exclusive {
        assert_eq!(v[uri], json!({"status_code": 404, "path": null}), "{uri}: {v}");
        assert_eq!(mast_emulator::cloud::cloud_key(uri), None);
    }
    assert!(public.iter().any(|u| v[u]["status_code"] == 200), "{v}");
    // Nor is the key one would have in the bucket readable.
    let key = "jwst/public/jw_exclusive_0/jw_exclusive_0_cal.fits";
    let r = c.head(format!("{}/stpubdata/{key}", emu.base_url())).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn product_lists_name_exclusive_products_only_when_asked() {
    for on in [false, true] {
        let emu = start(config().exclusive_products(on)).await;
        let c = client();
        let base = emu.base_url();
        let obsids = walk(&c, base, "Mast.Caom.Cone", cone(Some(3)), 1000).await;
        let ids: Vec<String> = obsids.rows.iter().map(|r| r["obsid"].as_i64().unwrap().to_string()).collect();
        let products = walk(&c, base, "Mast.Caom.Products", json!({"obsid": ids.join(",")}), 1000).await;
        let exclusive: Vec<&serde_json::Value> =
            products.rows.iter().filter(|p| p["dataRights"] == "EXCLUSIVE_ACCESS").collect();
        let public = products.rows.iter().filter(|p| p["dataRights"] == "PUBLIC").count();
        assert_eq!(public + exclusive.len(), products.rows.len());
        assert!(public > 0);
        if !on {
            assert!(exclusive.is_empty());
            continue;
        }
        assert_eq!(exclusive.len(), ids.len(), "one per observation");
        for p in exclusive {
            let uri = p["dataURI"].as_str().unwrap();
            assert!(mast_emulator::files::is_exclusive(uri), "{uri}");
            assert_eq!(p["productSubGroupDescription"], "EXCLUSIVE");
            assert_eq!(p["size"].as_u64().unwrap(), emu.file_size(uri));
            assert_eq!(fetch(base, true, uri, None).await.0, 401);
            assert_eq!(fetch(base, true, uri, Some(("cookie", "mast_token=good-token"))).await.0, 200);
        }
    }
}
