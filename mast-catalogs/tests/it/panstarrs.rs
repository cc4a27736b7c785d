//! PanSTARRS through the catalogs API: the body, the metadata check, paging.

use mast_catalogs::{Decorator, PanstarrsCriteria, PanstarrsRequest, QueryOptions, SortKey};
use mast_emulator::LoggedBody;
use mast_proto::{Radius, pyfmt};

use crate::{catalogs, pos, recorded};

/// The seed's example: `Catalogs.query_criteria(coordinates="5.97754 32.53617",
/// radius=0.01, catalog="PANSTARRS", table="mean", data_release="dr2",
/// nStackDetections=[("gte", 2)], columns=[...], sort_by=[("desc", "distance")],
/// pagesize=15)`.
#[tokio::test]
async fn seed_example_body() {
    let emu = recorded().await;
    let cat = catalogs(&emu);
    let columns = ["objName", "objID", "nStackDetections", "distance"];
    let criteria = PanstarrsCriteria::new().with("nStackDetections", Decorator::Gte, 2);
    let options = QueryOptions::new()
        .catalog("PANSTARRS")
        .coordinates(pos("5.97754 32.53617"))
        .radius(Radius::from_degrees(0.01).unwrap())
        .table("mean")
        .data_release("dr2")
        .panstarrs(criteria.clone())
        .columns(columns)
        .sort_by([SortKey::desc("distance")])
        .pagesize(15);
    let table = cat.query_criteria(&options).await.unwrap();
    assert!(table.num_rows() > 0);

    let astroquery = r#"{"pagesize": 15, "ra": 5.97754, "dec": 32.53617, "radius": 0.01, "nStackDetections.gte": 2, "columns": ["objName", "objID", "nStackDetections", "distance"], "sort_by": ["distance.desc"]}"#;
    let columns: Vec<String> = columns.map(String::from).to_vec();
    let request = PanstarrsRequest::new(
        "dr2",
        "mean",
        Some((pos("5.97754 32.53617"), Radius::from_degrees(0.01).unwrap())),
        &criteria,
        Some(&columns),
        &[SortKey::desc("distance")],
    )
    .pagesize(15);
    assert_eq!(request.astroquery_body(), astroquery);

    // What went over the wire: astroquery's body with the pager's `"page": 1` first.
    let searches = emu.requests_for("services:panstarrs");
    let first = searches.iter().find(|r| r.path.ends_with("/mean.json")).unwrap();
    assert_eq!(first.path, "/api/v0.1/panstarrs/dr2/mean.json");
    let LoggedBody::Json(body) = &first.body else { panic!("{:?}", first.body) };
    assert_eq!(pyfmt::json_dumps(body), format!("{{\"page\": 1, {}", &astroquery[1..]));
    assert_eq!(emu.stats().count("services:panstarrs:metadata"), 1);
}

#[tokio::test]
async fn metadata_checks_columns_once() {
    let emu = recorded().await;
    let cat = catalogs(&emu);
    let region = QueryOptions::new().catalog("panstarrs").radius(Radius::from_degrees(0.02).unwrap());
    let table = cat.query_region(pos("322.49324 12.16683"), &region.clone().table("mean")).await.unwrap();
    assert_eq!((table.num_rows(), table.num_columns()), (35, 6));

    let bad = region.clone().panstarrs(PanstarrsCriteria::new().equals("nDetection", 2));
    let err = cat.query_region(pos("322.49324 12.16683"), &bad).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Filter 'nDetection' does not exist for panstarrs catalog mean, dr2. Did you mean 'nDetections'?"
    );
    assert_eq!(emu.stats().count("services:panstarrs:metadata"), 1, "metadata fetched once per release and table");
    let searches = emu.requests_for("services:panstarrs").into_iter().filter(|r| r.path.ends_with("mean.json")).count();
    assert_eq!(searches, 1, "no search after a refused criterion");

    // A named page: one request, that page.
    let page = region.clone().pagesize(10).page(2);
    let table = cat.query_region(pos("322.49324 12.16683"), &page).await.unwrap();
    assert_eq!(table.num_rows(), 10);

    // No criteria at all in a criteria query: refused before any request.
    emu.reset_stats();
    let err = cat.query_criteria(&QueryOptions::new().catalog("panstarrs").object_name("M10")).await.unwrap_err();
    assert_eq!(err.to_string(), "At least one non-positional criterion must be supplied.");
    assert_eq!(emu.stats().total, 0);
}
