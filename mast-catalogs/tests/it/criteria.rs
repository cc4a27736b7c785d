//! Criteria queries of TIC, CTL and Disk Detective: the columns config merged with the
//! histograms, the shared criteria → filters code, the position services.

use mast_catalogs::QueryOptions;
use mast_emulator::LoggedBody;
use mast_proto::criteria::Criteria;
use mast_proto::{Radius, pyfmt};
use serde_json::json;

use crate::{catalogs, portal, recorded};

fn tic() -> Criteria {
    Criteria::new().add("Bmag", [30, 50]).add("objType", "STAR")
}

#[tokio::test]
async fn tic_and_ctl_filters() {
    let emu = recorded().await;
    let cat = catalogs(&emu);
    let table = cat.query_criteria(&QueryOptions::new().catalog("Tic").criteria(tic())).await.unwrap();
    assert_eq!(table.num_rows(), 7);
    let sent = portal(&emu, "Mast.Catalogs.Filtered.Tic.Rows");
    assert_eq!(
        pyfmt::json_dumps(&sent[0]),
        r#"{"service": "Mast.Catalogs.Filtered.Tic.Rows", "params": {"columns": "*", "filters": [{"paramName": "Bmag", "values": [{"min": 30, "max": 50}]}, {"paramName": "objType", "values": ["STAR"]}]}, "format": "json", "pagesize": 50000, "page": 1, "use_json": false}"#
    );
    // The histograms, once, as astroquery asks for them; the Tess columns config.
    let hist = portal(&emu, "Mast.Catalogs.All.Tic");
    assert_eq!(hist, [json!({"service": "Mast.Catalogs.All.Tic", "params": {}, "format": "extjs"})]);
    let ids: Vec<_> = emu
        .requests_for("columnsconfig")
        .into_iter()
        .filter_map(|r| match r.body {
            LoggedBody::Form(pairs) => pairs.into_iter().find(|(k, _)| k == "colConfigId").map(|(_, v)| v),
            _ => None,
        })
        .collect();
    assert_eq!(ids, ["Mast.Catalogs.Tess.Cone"]);

    // CTL shares the merged config: no second histogram request.
    let table = cat.query_criteria(&QueryOptions::new().catalog("ctl").criteria(tic())).await.unwrap();
    assert_eq!(table.num_rows(), 7);
    assert_eq!(portal(&emu, "Mast.Catalogs.Filtered.Ctl.Rows").len(), 1);
    assert_eq!(portal(&emu, "Mast.Catalogs.All.Tic").len(), 1);
}

#[tokio::test]
async fn position_switches_services() {
    let emu = recorded().await;
    let cat = catalogs(&emu);
    let options = QueryOptions::new().catalog("Tic").object_name("M10").criteria(tic()).pagesize(2);
    let table = cat.query_criteria(&options).await.unwrap();
    assert_eq!(table.num_rows(), 7);
    let sent = portal(&emu, "Mast.Catalogs.Filtered.Tic.Position.Rows");
    assert_eq!(sent.len(), 4, "7 rows in pages of 2");
    let keys: Vec<_> = sent[0]["params"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["ra", "dec", "radius", "columns", "filters"]);
    assert_eq!(sent[0]["params"]["radius"], json!(0.2));

    let options = QueryOptions::new()
        .catalog("DiskDetective")
        .object_name("M10")
        .radius(Radius::from_degrees(2.0).unwrap())
        .criteria(Criteria::new().add("state", "complete"));
    let table = cat.query_criteria(&options).await.unwrap();
    assert_eq!(table.num_rows(), 7);
    let sent = portal(&emu, "Mast.Catalogs.Filtered.DiskDetective.Position");
    let keys: Vec<_> = sent[0]["params"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["ra", "dec", "radius", "filters"]);
    assert_eq!(sent[0]["params"]["filters"], json!([{"paramName": "state", "values": ["complete"]}]));
    assert_eq!(portal(&emu, "Mast.Catalogs.All.DiskDetective").len(), 1);

    let nopos = QueryOptions::new()
        .catalog("DiskDetective")
        .criteria(Criteria::new().add("state", ["complete", "active"]).add("oval", [0, 5]));
    cat.query_criteria(&nopos).await.unwrap();
    let sent = portal(&emu, "Mast.Catalogs.Filtered.DiskDetective");
    assert_eq!(
        pyfmt::json_dumps(&sent[0]["params"]),
        r#"{"filters": [{"paramName": "state", "values": ["complete", "active"]}, {"paramName": "oval", "values": [{"min": 0, "max": 5}]}]}"#
    );
}

/// Refusals before any search: no criteria (none at all: before any request), a catalog
/// without criteria services, an unknown column (after the config, before the search).
#[tokio::test]
async fn refusals() {
    let emu = recorded().await;
    let cat = catalogs(&emu);
    let cases = [
        (
            QueryOptions::new().catalog("Tic").object_name("M10"),
            "At least one non-positional criterion must be supplied.",
        ),
        (
            QueryOptions::new().catalog("Hsc").criteria(Criteria::new().add("MatchID", 1)),
            "Criteria query not available for Hsc",
        ),
        (QueryOptions::new().catalog("SampleFail").criteria(tic()), "Criteria query not available for SampleFail"),
        (
            QueryOptions::new().catalog("panstarrs").object_name("M10").coordinates(crate::pos("1 2")),
            "Only one of object_name and coordinates may be specified.",
        ),
    ];
    for (options, message) in cases {
        let err = cat.query_criteria(&options).await.unwrap_err();
        assert_eq!((err.class_name(), err.to_string().as_str()), ("InvalidQueryError", message));
    }
    assert_eq!(emu.stats().total, 0, "{:?}", emu.requests());

    let err = cat
        .query_criteria(&QueryOptions::new().catalog("Tic").criteria(Criteria::new().add("Bmagg", [30, 50])))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Filter 'Bmagg' does not exist. Did you mean 'Bmag'?");
    assert!(portal(&emu, "Mast.Catalogs.Filtered.Tic.Rows").is_empty());
    assert_eq!(emu.stats().count("resolver"), 0);
}
