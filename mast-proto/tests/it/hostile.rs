//! MastClient against a hostile server (issue 10), over real sockets: absurd `Retry-After`
//! values, absurd `paging` numbers, stalls, bodies over the size limit. Each query runs in
//! its own task so that a panic is reported as such, under a timeout that catches a hang.
//!
//! These tests set the integrator's new settings through [`MastConfig::set`]
//! (`MAST_RETRY_AFTER_MAX`, `MAST_FIRST_BYTE_TIMEOUT`, `MAST_IDLE_TIMEOUT`,
//! `MAST_MAX_RESPONSE_BYTES`), so they compile before those keys exist and fail with
//! "unknown configuration key" until they do.

use std::time::{Duration, Instant};

use mast_emulator::{Emulator, EmulatorConfig, Fault, FaultRule};
use mast_proto::{MastClient, MastConfig, ServiceRequest, Table};

/// A client for `emulator`: one retry, `Retry-After` capped at 0.2 s, plus `extra` settings.
fn client(emulator: &Emulator, extra: &[(&str, &str)]) -> MastClient {
    let mut config = MastConfig::new()
        .with_all_urls(emulator.base_url())
        .unwrap()
        .with_backoff(Duration::from_millis(5), Duration::from_millis(40))
        .with_retries(1)
        .with_timeout(Duration::from_secs(60));
    for (key, value) in [("MAST_RETRY_AFTER_MAX", "0.2")].iter().chain(extra) {
        config = config.set(key, value).unwrap_or_else(|e| panic!("the setting {key}={value}: {e}"));
    }
    MastClient::new(config).unwrap()
}

fn cone(rows: u64) -> ServiceRequest {
    ServiceRequest::new("Mast.Caom.Cone")
        .param("ra", 184.3)
        .param("dec", 54.5)
        .param("radius", 0.2)
        .param("emulator_rows", rows)
}

/// Runs `request` in a task: its result, or a failure naming a panic or a hang.
async fn run(client: MastClient, request: ServiceRequest, what: &str) -> mast_proto::Result<Table> {
    let task = tokio::spawn(async move { client.portal_table(request).await });
    match tokio::time::timeout(Duration::from_secs(60), task).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) if e.is_panic() => panic!("{what}: the client panicked"),
        Ok(Err(e)) => panic!("{what}: {e}"),
        Err(_) => panic!("{what}: no answer after 60 s (a hang)"),
    }
}

const RETRY_AFTER: [&str; 6] = ["1e20", "-5", "abc", "1.5", "99999999999999999999", "Fri, 01 Jan 2999 00:00:00 GMT"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_retry_after_on_portal_queries() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    for value in RETRY_AFTER {
        let fault = Fault::RawRetryAfter { code: 503, retry_after: value.into() };
        // Once: retried, the rows.
        emulator.reset_stats();
        emulator.set_faults(vec![FaultRule::new("invoke:Mast.Caom.Cone", fault.clone()).times(1)]);
        let t = Instant::now();
        let table = run(client(&emulator, &[]), cone(40), value).await.unwrap();
        assert_eq!(table.num_rows(), 40, "{value}");
        assert_eq!(emulator.stats().faults_injected, 1, "{value}");
        assert!(t.elapsed() < Duration::from_secs(10), "{value}: {:?}", t.elapsed());
        // Always: a typed HTTP error, quickly.
        emulator.reset_stats();
        emulator.set_faults(vec![FaultRule::new("invoke:Mast.Caom.Cone", fault)]);
        let t = Instant::now();
        let err = run(client(&emulator, &[]), cone(40), value).await.unwrap_err();
        assert_eq!(err.class_name(), "HTTPError", "{value}: {err}");
        assert_eq!(emulator.stats().faults_injected, 2, "{value}: one retry");
        assert!(t.elapsed() < Duration::from_secs(10), "{value}: {:?}", t.elapsed());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absurd_paging_is_a_typed_error() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    // Only cases that cannot abort this test process (a terabyte reservation aborts; the
    // CLI tests cover those in a child process).
    // (rowsFiltered, pagesFiltered, whether one such answer is final): a float count does not
    // decode (garbled, retried like a cut answer); 2^40 pages decode and are refused at once.
    for (rows, pages, final_at_once) in
        [("1e12", "1099511627776", false), ("1e12", "2", false), ("1234", "1099511627776", true)]
    {
        let what = format!("rowsFiltered {rows}, pagesFiltered {pages}");
        let fault = Fault::Paging { rows_filtered: rows.into(), pages_filtered: pages.into() };
        // Every answer hostile: a typed error, after a bounded number of requests.
        emulator.reset_stats();
        emulator.set_faults(vec![FaultRule::new("invoke:Mast.Caom.Cone", fault.clone())]);
        let result = run(client(&emulator, &[]), cone(1234).pagesize(500), &what).await;
        assert!(emulator.stats().faults_injected >= 1, "{what}");
        let err = result.map(|t| t.num_rows()).expect_err(&what);
        assert!(
            ["ResponseDecodeError", "RemoteServiceError", "ResponseTooLargeError"].contains(&err.class_name()),
            "{what}: {err}"
        );
        assert!(emulator.stats().count("invoke") < 100, "{what}: endless paging");
        // One hostile answer: a garbled one (a float count) is retried like a cut answer and
        // the whole result comes back; an absurd count is final at once.
        emulator.reset_stats();
        emulator.set_faults(vec![FaultRule::new("invoke:Mast.Caom.Cone", fault).times(1)]);
        let result = run(client(&emulator, &[]), cone(1234).pagesize(500), &what).await;
        assert_eq!(emulator.stats().faults_injected, 1, "{what}");
        if final_at_once {
            let err = result.map(|t| t.num_rows()).expect_err(&what);
            assert_eq!(err.class_name(), "ResponseTooLargeError", "{what}: {err}");
            assert_eq!(emulator.stats().count("invoke"), 1, "{what}: a final error is not retried");
        } else {
            assert_eq!(result.unwrap().num_rows(), 1234, "{what}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalls_are_retried_within_the_timeouts() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let settings = [("MAST_FIRST_BYTE_TIMEOUT", "1"), ("MAST_IDLE_TIMEOUT", "1")];
    for fault in [Fault::SlowFirstByte { millis: 30_000 }, Fault::StallMidBody { millis: 30_000 }] {
        emulator.reset_stats();
        emulator.set_faults(vec![FaultRule::new("invoke:Mast.Caom.Cone", fault.clone()).times(1)]);
        let t = Instant::now();
        let table = run(client(&emulator, &settings), cone(40), &format!("{fault:?}")).await.unwrap();
        assert_eq!(table.num_rows(), 40);
        assert_eq!(emulator.stats().faults_injected, 1);
        assert!(t.elapsed() < Duration::from_secs(10), "{fault:?}: {:?}", t.elapsed());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_are_typed_errors() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let err = run(client(&emulator, &[("MAST_MAX_RESPONSE_BYTES", "2000")]), cone(40), "limit").await.unwrap_err();
    assert!(err.to_string().contains("MAST_MAX_RESPONSE_BYTES"), "{err}");
    emulator.set_faults(vec![FaultRule::new("invoke:Mast.Caom.Cone", Fault::HugeContentLength)]);
    let err = run(client(&emulator, &[]), cone(40), "huge Content-Length").await.unwrap_err();
    assert!(emulator.stats().faults_injected >= 1);
    assert!(err.to_string().contains("MAST_MAX_RESPONSE_BYTES"), "names the limit: {err}");
}

#[test]
fn invalid_timeouts_are_configuration_errors() {
    let keys = [
        "MAST_TIMEOUT",
        "MAST_CONNECT_TIMEOUT",
        "MAST_FIRST_BYTE_TIMEOUT",
        "MAST_SERVICES_FIRST_BYTE_TIMEOUT",
        "MAST_IDLE_TIMEOUT",
        "MAST_RETRY_AFTER_MAX",
    ];
    for key in keys {
        for value in ["1e20", "1e19", "-1", "nan", "inf", "abc"] {
            let result = std::panic::catch_unwind(|| MastConfig::new().set(key, value).map(|_| ()));
            let err = result.unwrap_or_else(|_| panic!("{key}={value}: panicked")).expect_err(key);
            assert_eq!(err.class_name(), "ConfigurationError", "{key}={value}");
            assert!(err.to_string().contains(key), "{key}={value}: {err}");
            assert!(!err.to_string().contains("unknown configuration key"), "{key} is not a known setting yet");
        }
    }
}
