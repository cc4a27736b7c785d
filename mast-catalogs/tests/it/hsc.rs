//! HSC matches and spectra.

use mast_catalogs::{MatchId, QueryOptions};
use mast_proto::Radius;
use serde_json::json;

use crate::{catalogs, portal, pos, recorded, warnings};

#[tokio::test]
async fn matchid_versions_and_rows() {
    let emu = recorded().await;
    let cat = catalogs(&emu);
    let table = cat.query_hsc_matchid(82371983, &QueryOptions::new()).await.unwrap();
    assert_eq!(table.num_rows(), 9);
    let sent = portal(&emu, "Mast.HscMatches.Db.v3");
    assert_eq!(sent[0]["params"], json!({"input": "82371983"}));
    assert!(sent[0].get("use_json").is_none());

    let table = cat.query_hsc_matchid("82371983", &QueryOptions::new().version(2)).await.unwrap();
    assert_eq!(table.num_rows(), 9);
    assert_eq!(portal(&emu, "Mast.HscMatches.Db.v2").len(), 1);

    let table = cat.query_hsc_matchid(82371983, &QueryOptions::new().version(5)).await.unwrap();
    assert_eq!(warnings(&table), ["InputWarning: Invalid HSC version number, defaulting to v3."]);
    assert_eq!(portal(&emu, "Mast.HscMatches.Db.v3").len(), 2);

    // A row of an HSC cone: its MatchID, as text.
    let hsc = cat
        .query_region(pos("322.49324 12.16683"), &QueryOptions::new().radius(Radius::from_degrees(0.002).unwrap()))
        .await
        .unwrap();
    let id = MatchId::from_row(&hsc, 0).unwrap();
    cat.query_hsc_matchid(id.clone(), &QueryOptions::new()).await.unwrap();
    let sent = portal(&emu, "Mast.HscMatches.Db.v3");
    assert_eq!(sent[2]["params"], json!({"input": id.as_str()}));
    assert!(id.as_str().chars().all(|c| c.is_ascii_digit()), "{id:?}");

    // Refused before any request.
    emu.reset_stats();
    assert!(MatchId::from_row(&hsc, 28).is_err());
    assert!(cat.query_hsc_matchid("  ", &QueryOptions::new()).await.is_err());
    assert!(cat.query_hsc_matchid(1, &QueryOptions::new().page(0)).await.is_err());
    assert_eq!(emu.stats().total, 0);
}

#[tokio::test]
async fn spectra() {
    let emu = recorded().await;
    let cat = catalogs(&emu);
    let table = cat.get_hsc_spectra(&QueryOptions::new()).await.unwrap();
    assert_eq!((table.num_rows(), table.num_columns()), (26, 16));
    let sent = portal(&emu, "Mast.HscSpectra.Db.All");
    assert_eq!(sent[0]["params"], json!({}));
    let table = cat.get_hsc_spectra(&QueryOptions::new().pagesize(10)).await.unwrap();
    assert_eq!(table.num_rows(), 26);
    let pages: Vec<_> = portal(&emu, "Mast.HscSpectra.Db.All")[1..]
        .iter()
        .map(|r| (r["pagesize"].clone(), r["page"].clone()))
        .collect();
    assert_eq!(pages, [(json!(10), json!(1)), (json!(10), json!(2)), (json!(10), json!(3))]);
}
