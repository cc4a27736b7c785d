//! The emulator's router and mast-proto's table of MAST endpoints agree: every endpoint the
//! emulator claims to serve ([`SERVED_ENDPOINTS`]) is routed, with the method the table
//! gives, and every other endpoint of the table gets the emulator's 404 for unknown paths.

use mast_emulator::{EmulatorConfig, SERVED_ENDPOINTS};
use mast_proto::MastConfig;
use mast_proto::endpoints::{self, Endpoint, Method};

use crate::util::*;

/// The URL of `e` on the emulator, with plausible parameter values.
fn url(config: &MastConfig, e: &Endpoint) -> String {
    let values: Vec<&str> = e
        .params()
        .map(|p| match p {
            "catalog" => "panstarrs",
            "release" => "dr2",
            "table" => "mean",
            "mission" => "hst",
            _ => "x",
        })
        .collect();
    config.url_with(e, &values).unwrap()
}

/// Sends `e`'s method to its URL; the status and whether the emulator counted it as an
/// unknown path.
async fn send(c: &reqwest::Client, emu: &mast_emulator::Emulator, config: &MastConfig, e: &Endpoint) -> (u16, bool) {
    let before = emu.stats().count("not_found");
    let url = url(config, e);
    let request = match e.method {
        Method::Post => c.post(&url).header("content-type", "application/x-www-form-urlencoded").body(""),
        _ => c.get(&url),
    };
    let status = request.send().await.unwrap_or_else(|err| panic!("{} {url}: {err}", e.name)).status().as_u16();
    (status, emu.stats().count("not_found") > before)
}

#[tokio::test]
async fn every_served_endpoint_is_routed_and_no_other() {
    let emu = start(EmulatorConfig::default()).await;
    let config = MastConfig::new().with_all_urls(emu.base_url()).unwrap();
    let c = client();
    assert!(!SERVED_ENDPOINTS.is_empty());
    for e in endpoints::ALL {
        let (status, unknown) = send(&c, &emu, &config, e).await;
        if SERVED_ENDPOINTS.contains(e) {
            assert!(!unknown, "{} ({}) is served but not routed (status {status})", e.name, e.path);
            assert_ne!(status, 405, "{} ({}): the table's method {} is refused", e.name, e.path, e.method.as_str());
        } else {
            assert!(unknown && status == 404, "{} ({}) is routed but not listed as served ({status})", e.name, e.path);
        }
    }
    for e in SERVED_ENDPOINTS {
        assert!(endpoints::ALL.contains(e), "{} is served but not in the table", e.name);
    }
}

#[tokio::test]
async fn served_paths_route_with_a_trailing_slash_and_not_below() {
    let emu = start(EmulatorConfig::default()).await;
    let config = MastConfig::new().with_all_urls(emu.base_url()).unwrap();
    let c = client();
    for e in SERVED_ENDPOINTS {
        let url = url(&config, e);
        let (slash, below) = match url.strip_suffix('/') {
            Some(bare) => (bare.to_owned(), format!("{url}x")),
            None => (format!("{url}/"), format!("{url}/x")),
        };
        for (u, routed) in [(slash, true), (below, false)] {
            let before = emu.stats().count("not_found");
            let request = match e.method {
                Method::Post => c.post(&u).body(""),
                _ => c.get(&u),
            };
            let status = request.send().await.unwrap().status().as_u16();
            let unknown = emu.stats().count("not_found") > before;
            assert_eq!(!unknown, routed, "{} {u}: status {status}", e.name);
        }
    }
}
