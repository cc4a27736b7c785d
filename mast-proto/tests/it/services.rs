//! `MastClient::services_table` against the emulator's catalogs API (PanSTARRS) and
//! MastMissions search, over real sockets.

use std::time::Duration;

use mast_emulator::{Barrier, Emulator, EmulatorConfig, Fault, FaultRule};
use mast_proto::services::Host;
use mast_proto::{Error, MastClient, MastConfig, ServicesRequest, Table, decode};

fn client(emulator: &Emulator, concurrency: usize) -> MastClient {
    let config = MastConfig::new()
        .with_all_urls(emulator.base_url())
        .unwrap()
        .with_backoff(Duration::from_millis(5), Duration::from_millis(40))
        .with_retries(2)
        .with_timeout(Duration::from_secs(20))
        .with_page_concurrency(concurrency);
    MastClient::new(config).unwrap()
}

fn panstarrs(pagesize: u64) -> ServicesRequest {
    ServicesRequest::panstarrs("dr2", "mean")
        .unwrap()
        .param("ra", 5.97754)
        .param("dec", 32.53617)
        .param("radius", 0.01)
        .pagesize(pagesize)
}

fn recorded_panstarrs() -> Table {
    decode::services_table(&crate::fixture("panstarrs.json"), "data").unwrap()
}

#[tokio::test]
async fn panstarrs_pages_join_in_order_and_equal_one_page() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let whole = client(&emulator, 4).services_table(panstarrs(50_000)).await.unwrap();
    assert_eq!(whole.num_rows(), 35);
    assert_eq!(whole, recorded_panstarrs());
    assert_eq!(emulator.stats().count("services:panstarrs"), 1);
    // 35 rows: pages of 5 (seven full pages, then an empty one), of 6 (the last one short),
    // of 7 (five full pages, then an empty one), of 35 (one full page, then an empty one).
    // At most two pages (concurrency 3) are asked for past the last one.
    for (size, at_least) in [(5, 8), (6, 6), (7, 6), (35, 2), (1, 36)] {
        let fresh = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let paged = client(&fresh, 3).services_table(panstarrs(size)).await.unwrap();
        assert_eq!(paged, whole, "pages of {size}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let sent = fresh.stats().count("services:panstarrs");
        assert!(sent >= at_least && sent <= at_least + 2, "pages of {size}: {sent} requests");
    }
    // A named page is that page only.
    emulator.reset_stats();
    let page3 = client(&emulator, 3).services_table(panstarrs(10).page(3)).await.unwrap();
    assert_eq!(page3, whole.slice(20..30));
    assert_eq!(emulator.stats().count("services:panstarrs"), 1);
}

#[tokio::test]
async fn panstarrs_page_concurrency_is_bounded() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    emulator.set_faults(vec![FaultRule::new("services:panstarrs", Fault::SlowFirstByte { millis: 80 })]);
    // Page 1 passes; then three pages are held until all three are in flight (the bound
    // reached by construction, or the barrier times out); the slow answers keep every page
    // in flight, so a fourth at once would be seen.
    emulator.set_barriers(vec![Barrier::new("services:panstarrs", 3).after(1)]);
    let table = client(&emulator, 3).services_table(panstarrs(2)).await.unwrap();
    assert_eq!(table, recorded_panstarrs());
    let stats = emulator.stats();
    assert_eq!(
        (stats.max_concurrency, stats.barriers_timed_out),
        (3, 0),
        "the bound reached, never exceeded: {stats:?}"
    );
}

#[tokio::test]
async fn panstarrs_row_cap_is_a_typed_error() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let err = client(&emulator, 2).services_table(panstarrs(5).max_rows(12)).await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("12 rows"), "{err}");
    // Exactly the cap is fine.
    let t = client(&emulator, 2).services_table(panstarrs(5).max_rows(35)).await.unwrap();
    assert_eq!(t.num_rows(), 35);
}

#[tokio::test]
async fn mission_search_pages_by_offset_from_the_reported_total() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let search = || ServicesRequest::mission_search("hst").unwrap().param("select_cols", serde_json::Value::Null);
    let whole = client(&emulator, 4).services_table(search()).await.unwrap();
    assert_eq!(whole.num_rows(), 3);
    assert_eq!(whole, decode::services_table(&crate::fixture("mission_results.json"), "results").unwrap());
    emulator.reset_stats();
    let paged = client(&emulator, 4).services_table(search().limit(1)).await.unwrap();
    assert_eq!(paged, whole);
    assert_eq!(emulator.stats().count("search:hst"), 3, "exactly the pages totalResults needs");
    emulator.reset_stats();
    let tail = client(&emulator, 4).services_table(search().limit(1).offset(1)).await.unwrap();
    assert_eq!(tail, whole.slice(1..3));
    assert_eq!(emulator.stats().count("search:hst"), 2);
}

#[tokio::test]
async fn bad_totals_are_typed_errors_not_panics() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    for (value, want_decode) in [
        ("-5", true),
        ("2.5", true),
        ("1e300", true),
        ("\"many\"", true),
        ("[3]", true),
        ("18446744073709551615", false),
        ("9999999999", false),
    ] {
        emulator.set_faults(vec![FaultRule::new("search:hst", Fault::TotalResults { value: value.into() })]);
        emulator.reset_stats();
        let err = client(&emulator, 4)
            .services_table(ServicesRequest::mission_search("hst").unwrap().limit(1))
            .await
            .unwrap_err();
        if want_decode {
            assert!(matches!(err, Error::Decode { .. }), "{value}: {err}");
        } else {
            assert!(matches!(err, Error::TooLarge { .. }), "{value}: {err}");
        }
        assert_eq!(emulator.stats().count("search:hst"), 1, "{value}: refused after the first page, not retried");
    }
    // `null` is no total: pages are fetched until one is short.
    emulator.set_faults(vec![FaultRule::new("search:hst", Fault::TotalResults { value: "null".into() })]);
    let t =
        client(&emulator, 1).services_table(ServicesRequest::mission_search("hst").unwrap().limit(1)).await.unwrap();
    assert_eq!(t.num_rows(), 3);
    // A total that lies upwards within the cap: the pages past the data come back empty.
    emulator.set_faults(vec![FaultRule::new("search:hst", Fault::TotalResults { value: "6".into() })]);
    let t =
        client(&emulator, 4).services_table(ServicesRequest::mission_search("hst").unwrap().limit(1)).await.unwrap();
    assert_eq!(t.num_rows(), 3);
}

#[tokio::test]
async fn services_errors_come_through_the_retry_policy() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    emulator.set_faults(vec![
        FaultRule::new("services:panstarrs", Fault::Status { code: 503, retry_after: None }).times(2),
    ]);
    let t = client(&emulator, 2).services_table(panstarrs(10)).await.unwrap();
    assert_eq!(t, recorded_panstarrs());
    let unknown = ServicesRequest::new(Host::Catalogs, "/api/v0.1/nope/dr2/mean.json", "data");
    let err = client(&emulator, 2).services_table(unknown).await.unwrap_err();
    assert!(matches!(err, Error::Http { status: 404, .. }), "{err}");
}
