//! The token hook and the redirect policy against the emulator, over real sockets: which
//! requests carry the `mast_token` cookie, where it never goes, and how redirects end.

use std::time::Duration;

use mast_emulator::{Emulator, EmulatorConfig, LoggedRequest};
use mast_proto::services::Host;
use mast_proto::{Error, Mast, MastClient, MastConfig, Secret, ServiceRequest, ServicesRequest};

const TOKEN: &str = "tok-3f9a1c77e2";

fn config(emulator: &Emulator) -> MastConfig {
    MastConfig::new()
        .with_all_urls(emulator.base_url())
        .unwrap()
        .with_backoff(Duration::from_millis(5), Duration::from_millis(40))
        .with_retries(0)
        .with_timeout(Duration::from_secs(20))
}

fn with_token(emulator: &Emulator) -> MastClient {
    MastClient::new(config(emulator).with_token(Secret::new(TOKEN))).unwrap()
}

/// Whether `entry` of the emulator's request log carries `TOKEN` anywhere it was logged: a
/// header (any of them), the path or the query.
fn carries_token(entry: &LoggedRequest) -> bool {
    entry.headers.iter().any(|(k, v)| k.contains(TOKEN) || v.contains(TOKEN)) || in_url(entry)
}

/// Whether `entry` has `TOKEN` in its URL (path, or a query name or value).
fn in_url(entry: &LoggedRequest) -> bool {
    entry.path.contains(TOKEN) || entry.query.iter().any(|(k, v)| k.contains(TOKEN) || v.contains(TOKEN))
}

fn cone() -> ServiceRequest {
    ServiceRequest::new("Mast.Caom.Cone")
        .param("ra", 184.3)
        .param("dec", 54.5)
        .param("radius", 0.2)
        .param("emulator_rows", 10)
}

fn redirect(emulator: &Emulator, to: &str, hops: u32) -> ServicesRequest {
    let to = mast_proto::pyfmt::form_encode(to);
    let _ = emulator;
    ServicesRequest::new(Host::Mast, format!("/__emulator/redirect?to={to}&hops={hops}"), "data")
}

#[tokio::test]
async fn the_token_goes_on_portal_and_services_requests_only() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = with_token(&emulator);
    client.portal_table(cone()).await.unwrap();
    client.services_table(ServicesRequest::panstarrs("dr2", "mean").unwrap().pagesize(10)).await.unwrap();
    Mast::new(client.clone()).resolve_object("M101").await.unwrap();
    client.path_lookup(&["mast:HST/product/u9o40504m_c3m.fits"]).await.unwrap();
    let stats = emulator.stats();
    assert_eq!(stats.authorized("invoke"), stats.count("invoke"), "{stats:?}");
    assert!(stats.authorized("columnsconfig") >= 1, "{stats:?}");
    assert!(stats.authorized("services:panstarrs") >= 4, "{stats:?}");
    assert_eq!(stats.count("resolver"), 1, "{stats:?}");
    assert_eq!(stats.authorized("resolver"), 0, "never on the resolver: {stats:?}");
    assert_eq!(stats.count("path_lookup"), 1, "{stats:?}");
    assert_eq!(stats.authorized("path_lookup"), 0, "never on the path lookup: {stats:?}");
    // The request log, searched: the resolver and the path lookup have it nowhere, no URL
    // has it, and where it is, it is the cookie.
    let log = emulator.requests();
    assert!(log.iter().any(carries_token), "the search finds the cookie: {log:?}");
    for entry in &log {
        assert!(!in_url(entry), "the token in a URL: {entry:?}");
        if entry.is("resolver") || entry.is("path_lookup") {
            assert!(!carries_token(entry), "{entry:?}");
        } else if carries_token(entry) {
            let cookie = format!("mast_token={TOKEN}");
            assert_eq!(entry.header("cookie"), Some(cookie.as_str()), "only as the cookie: {entry:?}");
        }
    }

    // No token configured: nothing carries one.
    let other = Emulator::start(EmulatorConfig::default()).await.unwrap();
    MastClient::new(config(&other)).unwrap().portal_table(cone()).await.unwrap();
    assert!(other.stats().authorized.is_empty(), "{:?}", other.stats());
}

#[tokio::test]
async fn the_token_never_shows() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = with_token(&emulator);
    assert!(!format!("{:?}", client.config()).contains(TOKEN));
    assert!(!format!("{client:?}").contains(TOKEN));
    let env = MastConfig::new().with_env_from(|k| (k == "MAST_API_TOKEN").then(|| TOKEN.to_owned())).unwrap();
    assert_eq!(env.token().map(Secret::expose), Some(TOKEN));
    assert!(!format!("{env:?}").contains(TOKEN));
    let missing = ServicesRequest::new(Host::Catalogs, "/api/v0.1/nope/dr2/mean.json", "data");
    let errors = [
        client.services_table(missing).await.unwrap_err(),
        client.services_table(redirect(&emulator, "/api/v0.1/panstarrs/dr2/mean.json", 11)).await.unwrap_err(),
        client.portal_table(ServiceRequest::new("Mast.No.Such.Service")).await.unwrap_err(),
    ];
    for e in errors {
        assert!(!e.to_string().contains(TOKEN) && !format!("{e:?}").contains(TOKEN), "{e}");
    }
}

#[tokio::test]
async fn redirects_are_bounded_and_drop_the_token_across_hosts() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let foreign = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = with_token(&emulator);

    // Ten redirects on the same host are followed, the cookie kept.
    let table = client.services_table(redirect(&emulator, "/api/v0.1/panstarrs/dr2/mean.json", 10)).await.unwrap();
    assert_eq!(table.num_rows(), 35);
    let stats = emulator.stats();
    assert_eq!((stats.count("redirect"), stats.authorized("redirect")), (10, 10), "{stats:?}");
    assert_eq!(stats.authorized("services:panstarrs"), 1, "same host: the cookie stays: {stats:?}");

    // An eleventh is a typed error, final even with retries left, and the target is never
    // asked.
    emulator.reset_stats();
    let retrying = MastClient::new(config(&emulator).with_retries(3).with_token(Secret::new(TOKEN))).unwrap();
    let err = retrying.services_table(redirect(&emulator, "/api/v0.1/panstarrs/dr2/mean.json", 11)).await.unwrap_err();
    assert!(matches!(err, Error::Redirect { .. }), "{err}");
    assert!(err.to_string().contains("too many redirects"), "{err}");
    assert_eq!(emulator.stats().count("redirect"), 11, "not retried");
    assert_eq!(emulator.stats().count("services:panstarrs"), 0);

    // To another host (another port): followed, without the cookie.
    let target = format!("{}/api/v0.1/panstarrs/dr2/mean.json", foreign.base_url());
    let table = client.services_table(redirect(&emulator, &target, 2)).await.unwrap();
    assert_eq!(table.num_rows(), 35);
    let (here, there) = (emulator.stats(), foreign.stats());
    assert!(here.authorized("redirect") >= 2, "{here:?}");
    assert_eq!(there.count("services:panstarrs"), 1, "{there:?}");
    assert!(there.authorized.is_empty(), "the foreign host never sees the token: {there:?}");
    // The request logs, searched: the MAST hops carry it, the foreign hop nowhere (no header,
    // path or query), and no URL on either host.
    let hops = emulator.requests_for("redirect");
    assert!(hops.len() >= 2 && hops.iter().all(carries_token), "{hops:?}");
    let log = foreign.requests();
    assert!(log.iter().any(|e| e.is("services:panstarrs")), "{log:?}");
    assert!(log.iter().all(|e| !carries_token(e)), "the token crossed the redirect: {log:?}");
    assert!(emulator.requests().iter().chain(&log).all(|e| !in_url(e)), "the token in a URL");
}
