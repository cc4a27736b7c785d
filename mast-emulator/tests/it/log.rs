//! The request log: what each request carried, its fault and its status; bounded; cleared
//! with the counters; served over HTTP.

use mast_emulator::{EmulatorConfig, Fault, FaultRule, LoggedBody, MAX_LOGGED_REQUESTS, RequestLog};
use serde_json::json;

use crate::util::*;

#[tokio::test]
async fn each_request_is_logged_with_what_it_carried_and_its_answer() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    let cone_request = request("Mast.Caom.Cone", cone(Some(3)), Some(10), Some(1), "log");
    invoke(&c, base, &cone_request).await;
    // The same request object in a GET query string.
    let r = c.get(format!("{base}/api/v0/invoke")).query(&[("request", cone_request.to_string())]).send().await;
    assert_eq!(r.unwrap().status(), 200);
    c.post(format!("{base}/portal/Mashup/Mashup.asmx/columnsconfig"))
        .form(&[("colConfigId", "Mast.Caom.Cone")])
        .send()
        .await
        .unwrap();
    let uri = "mast:HST/product/u9o40504m_c3m.fits";
    let r = c
        .get(format!("{base}/api/v0.1/Download/file"))
        .query(&[("uri", uri)])
        .header("Range", "bytes=10-19")
        .header("Cookie", "mast_token=secret-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    let search = json!({"target": ["10 20"], "limit": 2, "offset": 1});
    c.post(format!("{base}/search/hst/api/v0.1/search")).json(&search).send().await.unwrap();
    c.get(format!("{base}/__emulator/stats")).send().await.unwrap();

    let log = emu.request_log();
    assert_eq!(log.dropped, 0);
    assert_eq!(log.entries.len(), 5, "control requests are not logged: {log:#?}");
    assert_eq!(log.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    let stats = emu.stats();
    for (key, n) in &stats.requests {
        assert_eq!(log.for_key(key).len() as u64, *n, "the log agrees with Stats::requests under {key}");
    }

    let post = &log.entries[0];
    assert_eq!(
        (post.key.as_str(), post.method.as_str(), post.path.as_str()),
        ("invoke:Mast.Caom.Cone", "POST", "/api/v0/invoke")
    );
    assert_eq!(post.keys, ["invoke", "invoke:Mast.Caom.Cone"]);
    assert_eq!(post.body, LoggedBody::Portal(cone_request.clone()));
    assert_eq!(post.service().as_deref(), Some("Mast.Caom.Cone"));
    assert_eq!(post.params(), Some(cone(Some(3))));
    assert_eq!(post.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!((post.status, &post.fault), (Some(200), &None));

    let get = &log.entries[1];
    assert_eq!((get.method.as_str(), &get.body), ("GET", &LoggedBody::None));
    assert_eq!(get.portal_request(), Some(cone_request.clone()));
    assert_eq!(log.portal_requests("invoke:Mast.Caom.Cone"), [cone_request.clone(), cone_request]);

    let config = &log.entries[2];
    assert_eq!(config.key, "columnsconfig");
    assert_eq!(config.body, LoggedBody::Form(vec![("colConfigId".into(), "Mast.Caom.Cone".into())]));
    assert_eq!(config.form_values("colConfigId"), ["Mast.Caom.Cone"]);

    let file = &log.entries[3];
    assert_eq!(file.keys, ["download", "download:range"]);
    assert_eq!(file.query_values("uri"), [uri], "the query string, decoded");
    assert_eq!(file.header("Range"), Some("bytes=10-19"));
    assert_eq!(file.header("cookie"), Some("mast_token=secret-token"), "raw values: the log is a test aid");
    assert_eq!(file.header("authorization"), None);
    assert_eq!(file.status, Some(206));

    let mission = &log.entries[4];
    assert_eq!(mission.key, "search:hst");
    assert_eq!(mission.body, LoggedBody::Json(search));
    assert_eq!(mission.status, Some(200));

    // Over HTTP, whole and by key.
    let over_http: RequestLog =
        c.get(format!("{base}/__emulator/requests")).send().await.unwrap().json().await.unwrap();
    assert_eq!(over_http, log);
    let only: RequestLog =
        c.get(format!("{base}/__emulator/requests?key=download:range")).send().await.unwrap().json().await.unwrap();
    assert_eq!(only.entries, [log.entries[3].clone()]);
    assert_eq!(emu.requests_for("invoke").len(), 2);
    assert_eq!(emu.requests(), log.entries);

    // Cleared with the counters, by the handle and over HTTP; numbering goes on.
    emu.reset_stats();
    assert_eq!(emu.request_log(), RequestLog::default());
    c.get(format!("{base}/Santa-war/query?name=M1")).send().await.unwrap();
    assert_eq!(emu.requests()[0].seq, 5);
    let r = c.post(format!("{base}/__emulator/stats/reset")).send().await.unwrap();
    assert!(r.status().is_success());
    assert!(emu.requests().is_empty());
    assert_eq!(c.post(format!("{base}/__emulator/requests")).send().await.unwrap().status(), 405);
}

#[tokio::test]
async fn faults_and_unanswered_requests_are_logged() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client();
    let base = emu.base_url();
    emu.set_faults(vec![
        FaultRule::new("resolver", Fault::Status { code: 503, retry_after: Some(1) }).times(1),
        FaultRule::new("columnsconfig", Fault::DropBeforeResponse).times(1),
    ]);
    assert_eq!(c.get(format!("{base}/Santa-war/query?name=M1")).send().await.unwrap().status(), 503);
    assert_eq!(c.get(format!("{base}/Santa-war/query?name=M1")).send().await.unwrap().status(), 200);
    let config = format!("{base}/portal/Mashup/Mashup.asmx/columnsconfig");
    assert!(c.post(&config).form(&[("colConfigId", "x")]).send().await.is_err());
    assert_eq!(
        c.get(format!("{base}/nowhere")).header("Authorization", "Bearer t0k").send().await.unwrap().status(),
        404
    );

    let log = emu.requests();
    let summary: Vec<_> = log.iter().map(|e| (e.key.as_str(), e.fault.clone(), e.status)).collect();
    assert_eq!(
        summary,
        [
            ("resolver", Some(Fault::Status { code: 503, retry_after: Some(1) }), Some(503)),
            ("resolver", None, Some(200)),
            ("columnsconfig", Some(Fault::DropBeforeResponse), None),
            ("not_found", None, Some(404)),
        ]
    );
    assert_eq!(log[0].query_values("name"), ["M1"]);
    assert_eq!(log[3].header("Authorization"), Some("Bearer t0k"));
    assert_eq!(emu.stats().faults_injected, log.iter().filter(|e| e.fault.is_some()).count() as u64);
}

#[tokio::test]
async fn the_log_keeps_the_last_entries_and_counts_the_dropped() {
    let emu = start(EmulatorConfig::default()).await;
    let c = reqwest::Client::new(); // keep-alive: ten thousand requests
    let base = emu.base_url().to_owned();
    for i in 0..5 {
        c.get(format!("{base}/first/{i}")).send().await.unwrap();
    }
    let tasks: Vec<_> = (0..4)
        .map(|t| {
            let (c, base) = (c.clone(), base.clone());
            tokio::spawn(async move {
                for i in 0..MAX_LOGGED_REQUESTS / 4 {
                    let r = c.get(format!("{base}/later/{t}/{i}")).send().await.unwrap();
                    assert_eq!(r.status(), 404);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let total = MAX_LOGGED_REQUESTS as u64 + 5;
    assert_eq!(emu.stats().total, total);
    let log = emu.request_log();
    assert_eq!((log.entries.len(), log.dropped), (MAX_LOGGED_REQUESTS, 5));
    assert!(log.entries.iter().all(|e| e.path.starts_with("/later/")), "the oldest five were dropped");
    let seqs: Vec<u64> = log.entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (5..total).collect::<Vec<_>>(), "the newest, in order");
    for t in 0..4 {
        let last = format!("/later/{t}/{}", MAX_LOGGED_REQUESTS / 4 - 1);
        assert!(log.entries.iter().any(|e| e.path == last), "{last} kept");
    }
    // One more drops one more.
    c.get(format!("{base}/last")).send().await.unwrap();
    let log = emu.request_log();
    assert_eq!((log.entries.len(), log.dropped), (MAX_LOGGED_REQUESTS, 6));
    assert_eq!(log.entries.last().unwrap().path, "/last");
}
