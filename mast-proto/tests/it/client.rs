//! MastClient against the emulator, over real sockets.

use std::time::Duration;

use mast_emulator::{Barrier, Emulator, EmulatorConfig, Fault, FaultRule};
use mast_proto::{Error, Mast, MastClient, MastConfig, NameResolver, ResolveOptions, ServiceRequest, Table};

fn config(emulator: &Emulator) -> MastConfig {
    MastConfig::new()
        .with_all_urls(emulator.base_url())
        .unwrap()
        .with_backoff(Duration::from_millis(5), Duration::from_millis(40))
        .with_retries(3)
        .with_timeout(Duration::from_secs(20))
        .with_idle_timeout(Duration::from_secs(5))
}

fn cone(rows: u64) -> ServiceRequest {
    ServiceRequest::new("Mast.Caom.Cone")
        .param("ra", 184.3)
        .param("dec", 54.5)
        .param("radius", 0.2)
        .param("emulator_rows", rows)
}

async fn fetch(emulator: &Emulator, concurrency: usize, request: ServiceRequest) -> mast_proto::Result<Table> {
    MastClient::new(config(emulator).with_page_concurrency(concurrency))?.portal_table(request).await
}

#[tokio::test]
async fn seven_pages_fetched_concurrently_equal_the_sequential_walk_and_one_big_page() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = MastClient::new(config(&emulator).with_page_concurrency(4)).unwrap();
    let concurrent = client.portal_table(cone(6_500).pagesize(1_000)).await.unwrap();
    let invokes = emulator.stats().requests.get("invoke").copied().unwrap_or(0);
    assert_eq!(invokes, 7, "one request per page");
    let sequential = fetch(&emulator, 1, cone(6_500).pagesize(1_000)).await.unwrap();
    let whole = client.portal_table(cone(6_500).pagesize(10_000)).await.unwrap();
    assert_eq!(concurrent.num_rows(), 6_500);
    assert_eq!(concurrent, sequential);
    assert_eq!(concurrent, whole);
    assert!(concurrent.warnings().is_empty());
    // The columns config was fetched once per client: two clients (one of them queried
    // twice), two fetches.
    assert_eq!(emulator.stats().count("columnsconfig"), 2);
}

#[tokio::test]
async fn one_named_page_only() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let all = fetch(&emulator, 4, cone(2_500).pagesize(1_000)).await.unwrap();
    emulator.reset_stats();
    let page2 = fetch(&emulator, 4, cone(2_500).pagesize(1_000).page(2)).await.unwrap();
    assert_eq!(page2, all.slice(1_000..2_000));
    assert_eq!(emulator.stats().requests.get("invoke").copied(), Some(1));
}

#[tokio::test]
async fn executing_is_polled_until_complete() {
    let emulator = Emulator::start(EmulatorConfig::default().executing_polls(3)).await.unwrap();
    let table = fetch(&emulator, 4, cone(30)).await.unwrap();
    assert_eq!(table.num_rows(), 30);
    let stats = emulator.stats();
    assert_eq!(stats.count("invoke"), 4, "3 EXECUTING answers, then COMPLETE");
    // The polls back off: at least 100, 200 and 400 ms apart (lower bounds only: a loaded
    // machine may only make the gaps longer).
    let at = stats.arrivals("invoke");
    let gaps: Vec<u64> = at.windows(2).map(|w| (w[1] - w[0]) / 1_000).collect();
    assert_eq!(gaps.len(), 3, "{at:?}");
    for (gap, least) in gaps.iter().zip([100, 200, 400]) {
        assert!(*gap >= least, "poll gaps {gaps:?} ms: each at least twice the one before, from 100 ms");
    }
}

#[tokio::test]
async fn raw_pages_are_polled_past_executing_and_configs_are_cached_per_id() {
    let emulator = Emulator::start(EmulatorConfig::default().executing_polls(2)).await.unwrap();
    let client = MastClient::new(config(&emulator)).unwrap();
    assert!(client.cached_column_config("Mast.Caom.Cone").is_none(), "nothing fetched yet");
    let pages = client.portal_raw(cone(30)).await.unwrap();
    assert_eq!(pages.len(), 1);
    let page = mast_proto::decode::parse_portal(&pages[0]).unwrap();
    assert_eq!(page.status(), &mast_proto::decode::Status::Complete, "the raw page is the answer after EXECUTING");
    assert_eq!(emulator.stats().count("invoke"), 3);
    // A table query fetches the columns config once and keeps it under its id only.
    let table = client.portal_table(cone(30)).await.unwrap();
    let cached = client.cached_column_config("Mast.Caom.Cone").expect("cached after the query");
    assert!(cached.len() > 10, "the real config, not an empty one: {} columns", cached.len());
    assert!(table.num_rows() == 30);
    assert!(client.cached_column_config("Mast.Caom.Filtered").is_none());
}

#[tokio::test]
async fn mast_query_sends_filters_positions_and_properties_where_they_belong() {
    use serde_json::json;
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let mast = Mast::new(MastClient::new(config(&emulator)).unwrap());
    let p = |k: &str, v: serde_json::Value| (k.to_owned(), v);

    // A cone: the parameters as they are, a property by its lower-case name, and `columns`
    // ignored with a warning.
    let cone_params =
        [p("ra", json!(184.3)), p("dec", json!(54.5)), p("radius", json!(0.2)), p("emulator_rows", json!(30))];
    let mut with_page = cone_params.to_vec();
    with_page.push(p("PageSize", json!(50)));
    let table = mast.mast_query("Mast.Caom.Cone", &with_page, Some("obs_id")).await.unwrap();
    assert_eq!(table.num_rows(), 30);
    assert_eq!(table.warnings().len(), 1, "{:?}", table.warnings());
    assert!(table.warnings()[0].message.contains("'columns' parameter is ignored"));
    let sent = emulator.request_log().portal_requests("invoke");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["service"], "Mast.Caom.Cone");
    assert_eq!(sent[0]["params"], json!({"ra": 184.3, "dec": 54.5, "radius": 0.2, "emulator_rows": 30}));
    assert_eq!(sent[0]["pagesize"], 50);
    let direct = fetch(&emulator, 1, cone(30)).await.unwrap();
    assert_eq!(table.column("obs_id").unwrap().len(), 30);
    assert_eq!(format!("{:?}", table.column("obs_id")), format!("{:?}", direct.column("obs_id")));

    // A Filtered service: every other parameter is a filter (a list ORed, a range as an
    // object), the position kept as it is, `columns` defaulting to `*`.
    emulator.reset_stats();
    let filtered = [
        p("obs_collection", json!(["HST", "JWST"])),
        p("t_exptime", json!({"min": 10, "max": 100})),
        p("dataproduct_type", json!("image")),
        p("position", json!("184.3, 54.5, 0.2")),
    ];
    mast.mast_query("Mast.Caom.Filtered.Position", &filtered, None).await.unwrap();
    let sent = emulator.request_log().portal_requests("invoke");
    let params = &sent.last().unwrap()["params"];
    assert_eq!(params["columns"], "*");
    assert_eq!(params["position"], "184.3, 54.5, 0.2");
    let mut filters = params["filters"].as_array().unwrap().clone();
    filters.sort_by_key(|f| f["paramName"].as_str().unwrap().to_owned());
    assert_eq!(
        filters,
        [
            json!({"paramName": "dataproduct_type", "values": ["image"]}),
            json!({"paramName": "obs_collection", "values": ["HST", "JWST"]}),
            json!({"paramName": "t_exptime", "values": [{"min": 10, "max": 100}]}),
        ]
    );

    // No filter, or a range without both ends: an error before any request.
    emulator.reset_stats();
    let none = mast.mast_query("Mast.Caom.Filtered", &[], None).await.unwrap_err();
    assert!(matches!(&none, Error::InvalidQuery { message } if message.contains("at least one filter")), "{none}");
    let half = [p("t_exptime", json!({"min": 10}))];
    let half = mast.mast_query("Mast.Caom.Filtered", &half, None).await.unwrap_err();
    assert!(half.to_string().contains("must be a dictionary with \"min\" and \"max\" keys"), "{half}");
    assert_eq!(emulator.stats().total, 0);
}

#[tokio::test]
async fn executing_forever_ends_in_a_timeout_error() {
    let emulator = Emulator::start(EmulatorConfig::default().executing_polls(1_000_000)).await.unwrap();
    let client = MastClient::new(config(&emulator).with_timeout(Duration::from_millis(800))).unwrap();
    let err = client.portal_table(cone(30)).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert_eq!(err.class_name(), "TimeoutError");
}

#[tokio::test]
async fn page_concurrency_bound_is_never_exceeded() {
    let emulator = Emulator::start(EmulatorConfig::default().latency(Duration::from_millis(60))).await.unwrap();
    // Page 1 passes; then three pages are held until all three are in flight (the bound
    // reached by construction, or the barrier times out); the latency keeps every page in
    // flight, so a fourth at once would be seen.
    emulator.set_barriers(vec![Barrier::new("invoke", 3).after(1)]);
    let table = fetch(&emulator, 3, cone(10_000).pagesize(1_000)).await.unwrap();
    assert_eq!(table.num_rows(), 10_000);
    let stats = emulator.stats();
    assert_eq!(stats.count("invoke"), 10, "{stats:?}");
    assert_eq!(
        (stats.max_concurrency, stats.barriers_timed_out),
        (3, 0),
        "the bound reached, never exceeded: {stats:?}"
    );
}

fn every_fault() -> Vec<Fault> {
    Fault::every_kind(150)
}

#[tokio::test]
async fn transient_faults_are_retried_to_the_correct_result() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let clean = fetch(&emulator, 4, cone(3_000).pagesize(1_000)).await.unwrap();
    for fault in every_fault() {
        // Page 1 passes, then two faults (on page 2 or 3, whichever comes first), then it works.
        emulator.set_faults(vec![FaultRule {
            endpoint: "invoke".into(),
            fault: fault.clone(),
            times: Some(2),
            after: 1,
        }]);
        emulator.reset_stats();
        let got = fetch(&emulator, 4, cone(3_000).pagesize(1_000)).await.unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(got, clean, "{fault:?}");
        let stats = emulator.stats();
        assert_eq!(stats.faults_injected, 2, "{fault:?}: both faults fired: {stats:?}");
        // Slowness is waited out (no retry); every other fault costs exactly one retry.
        let slow = matches!(fault, Fault::SlowFirstByte { .. } | Fault::SlowBody { .. });
        let expected = if slow { 3 } else { 3 + 2 };
        assert_eq!(stats.count("invoke"), expected, "{fault:?}: {stats:?}");
    }
}

#[tokio::test]
async fn persistent_faults_end_in_honest_typed_errors() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    for fault in every_fault() {
        if matches!(fault, Fault::SlowFirstByte { .. } | Fault::SlowBody { .. }) {
            continue; // slowness alone is not an error
        }
        emulator.set_faults(vec![FaultRule { endpoint: "invoke".into(), fault: fault.clone(), times: None, after: 1 }]);
        emulator.reset_stats();
        // One page at a time, so that the count of attempts is exact.
        let err = fetch(&emulator, 1, cone(3_000).pagesize(1_000)).await.expect_err("never a partial table");
        let expected = match &fault {
            Fault::Status { .. } => matches!(err, Error::Http { .. }),
            Fault::MalformedJson | Fault::HtmlErrorPage => matches!(err, Error::Decode { .. }),
            _ => matches!(err, Error::Transport { .. }),
        };
        assert!(expected, "{fault:?} gave {err:?}");
        assert!(err.to_string().contains("Mast.Caom.Cone"), "the error names the service: {err}");
        // Page 1 passed, then page 2 was tried 1 + 3 times (`with_retries(3)`) and the query
        // ended there: page 3 was never asked for.
        let stats = emulator.stats();
        assert_eq!(stats.count("invoke"), 1 + 4, "{fault:?}: exactly 3 retries of the failing page: {stats:?}");
        assert_eq!(stats.faults_injected, 4, "{fault:?}: every request after page 1 failed: {stats:?}");
    }
}

/// A Portal server asking `Retry-After: 1` (within the 2 s cap) sees the retry no earlier
/// than 1 s after its refusal: the client's own back-off (5 to 40 ms here) is not enough.
/// Only a lower bound is asserted (a loaded runner may be slower, never faster).
#[tokio::test]
async fn retry_after_is_waited_for_before_the_portal_retry() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    emulator.set_faults(vec![FaultRule {
        endpoint: "invoke".into(),
        fault: Fault::Status { code: 503, retry_after: Some(1) },
        times: Some(1),
        after: 0,
    }]);
    let client = MastClient::new(config(&emulator).with_retry_after_max(Duration::from_secs(2))).unwrap();
    // The refusal comes after this instant, the retry's answer before the call returns.
    let started = std::time::Instant::now();
    let table = client.portal_table(cone(30)).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(table.num_rows(), 30);
    let stats = emulator.stats();
    assert_eq!(stats.faults_injected, 1, "the server refused once: {stats:?}");
    assert_eq!(stats.count("invoke"), 2, "one refusal, one retry: {stats:?}");
    assert!(elapsed >= Duration::from_secs(1), "the retry came {elapsed:?} after the start, before Retry-After's 1 s");
}

#[tokio::test]
async fn status_error_is_a_remote_error_without_retries() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let err = fetch(&emulator, 4, ServiceRequest::new("Mast.No.Such.Service")).await.unwrap_err();
    assert!(matches!(err, Error::Remote { .. }), "{err}");
    assert_eq!(emulator.stats().requests.get("invoke").copied(), Some(1));
}

#[tokio::test]
async fn row_ceiling_reset_is_an_honest_error() {
    let emulator = Emulator::start(EmulatorConfig::default().row_limit(500)).await.unwrap();
    let err = fetch(&emulator, 4, cone(2_000).pagesize(1_000)).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(err.to_string().contains("500,000"), "the hint mentions MAST's row limit: {err}");
}

#[tokio::test]
async fn raw_responses_and_name_lookup() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let mast = Mast::new(MastClient::new(config(&emulator)).unwrap());
    let bodies = mast
        .service_request_raw(ServiceRequest::new("Mast.Name.Lookup").param("input", "M8").param("format", "json"))
        .await
        .unwrap();
    assert_eq!(bodies.len(), 1);
    let v: serde_json::Value = serde_json::from_slice(&bodies[0]).unwrap();
    assert_eq!(v["resolvedCoordinate"][0]["searchString"], "m8");
    let pages = mast.service_request_raw(cone(2_500).pagesize(1_000)).await.unwrap();
    assert_eq!(pages.len(), 3);
}

#[tokio::test]
async fn resolver() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let mast = Mast::new(MastClient::new(config(&emulator)).unwrap());
    let m101 = mast.resolve_object("M101").await.unwrap();
    assert_eq!((m101.ra(), m101.dec()), (210.802429, 54.34875));
    let tic = mast.resolve_object("TIC 307210830").await.unwrap();
    assert_eq!((tic.ra(), tic.dec()), (124.531756290083, -68.3129998725044));

    let err = mast.resolve_object("nonexisting").await.unwrap_err();
    assert!(matches!(err, Error::Resolver { .. }));
    assert_eq!(err.to_string(), "Could not resolve \"nonexisting\" to a sky position.");
    assert_eq!(err.class_name(), "ResolverError");

    let several = mast.resolve_objects(&["M1", "Barnard's Star", "nonexisting"], &ResolveOptions::new()).await.unwrap();
    let names: Vec<&str> = several.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["M1", "Barnard's Star"]);
    assert_eq!(several.objects[0].position.ra(), 83.6324);
    assert_eq!(several.warnings.len(), 1);
    assert!(several.warnings[0].message.contains("nonexisting"));

    let ned = mast.resolve_objects(&["M1"], &ResolveOptions::new().resolver(NameResolver::Ned)).await.unwrap();
    assert_eq!((ned.objects[0].position.ra(), ned.objects[0].resolver.as_str()), (83.63311, "NED"));
    let all = mast.resolve_objects(&["M1"], &ResolveOptions::new().resolve_all(true)).await.unwrap();
    assert!(all.objects.len() >= 2);

    // With a resolver named, a name no resolver knows gets the plain message (the one that
    // names the resolver is for names another resolver knows).
    let ned = ResolveOptions::new().resolver(NameResolver::Ned);
    let err = mast.resolve_objects(&["nonexisting"], &ned).await.unwrap_err();
    assert_eq!(err.to_string(), "Could not resolve \"nonexisting\" to a sky position.");

    let err = mast.resolve_objects(&["nope1", "nope2"], &ResolveOptions::new()).await.unwrap_err();
    assert_eq!(err.to_string(), "Could not resolve any of the given object names to sky positions.");

    // 61 names go out in 3 batches of at most 30.
    emulator.reset_stats();
    let many: Vec<String> = (0..61).map(|i| if i % 2 == 0 { "M101".to_owned() } else { format!("x{i}") }).collect();
    let r = mast.resolve_objects(&many, &ResolveOptions::new()).await.unwrap();
    assert_eq!(r.objects.len(), 31);
    assert_eq!(emulator.stats().requests.get("resolver").copied(), Some(3));
}

#[tokio::test]
async fn unreachable_host_is_a_transport_error_naming_what_failed() {
    let config = MastConfig::new()
        .with_mast_url("http://127.0.0.1:9")
        .unwrap()
        .with_retries(1)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(2));
    let err = MastClient::new(config).unwrap().portal_table(cone(1)).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(err.to_string().contains("MAST_URL"), "{err}");
}

/// Error chains are kept (issue 10, point 4): a transport error carries the HTTP client's
/// error as its source, without the URL; a decode error carries the parser's.
#[tokio::test]
async fn errors_keep_their_cause_as_the_source() {
    let config = MastConfig::new()
        .with_mast_url("http://user:secret@127.0.0.1:9")
        .unwrap()
        .with_retries(0)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(2));
    let err = MastClient::new(config).unwrap().portal_table(cone(1)).await.unwrap_err();
    let source = std::error::Error::source(&err).expect("the transport error keeps its cause");
    let chain: Vec<String> = std::iter::successors(Some(source), |e| e.source()).map(|e| e.to_string()).collect();
    assert!(chain.len() >= 2, "the cause's own causes are kept: {chain:?}");
    assert!(chain.iter().all(|c| !c.contains("secret")), "no credentials in the chain: {chain:?}");

    let err = mast_proto::decode::parse_portal(b"{\"status\": \"COMPLETE\", \"data\": [1,").unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    assert!(std::error::Error::source(&err).is_some(), "the parser's error is kept: {err:?}");
}
