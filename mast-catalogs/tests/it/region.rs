//! Cones of the Portal catalogs: services, versions, extras, caps, refusals.

use mast_catalogs::{MAX_RESULTS_MESSAGE, QueryOptions};
use mast_proto::criteria::Criteria;
use mast_proto::{Radius, pyfmt};
use serde_json::json;

use crate::{catalogs, portal, pos, recorded, warnings};

fn small() -> QueryOptions {
    QueryOptions::new().radius(Radius::from_degrees(0.002).unwrap())
}

/// Spec §5.4's captured HSC request, key order and `use_json` included.
#[tokio::test]
async fn hsc_default_request() {
    let emu = recorded().await;
    let table = catalogs(&emu).query_region(pos("23.34086 60.658"), &small()).await.unwrap();
    assert_eq!((table.num_rows(), table.num_columns()), (28, 45));
    assert!(warnings(&table).is_empty(), "{:?}", warnings(&table));
    let sent = portal(&emu, "Mast.Hsc.Db.v3");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        pyfmt::json_dumps(&sent[0]),
        r#"{"service": "Mast.Hsc.Db.v3", "params": {"ra": 23.34086, "dec": 60.658, "radius": 0.002, "nr": 50000, "ni": 1, "magtype": 1}, "format": "json", "pagesize": 50000, "page": 1, "use_json": false}"#
    );
}

/// Catalog names without case, versions, unknown versions warned and defaulted.
#[tokio::test]
async fn services_and_versions() {
    let emu = recorded().await;
    let cat = catalogs(&emu);
    let cases: [(&str, Option<i64>, &str, Option<&str>); 9] = [
        ("HSC", Some(2), "Mast.Hsc.Db.v2", None),
        ("hsc", Some(5), "Mast.Hsc.Db.v3", Some("InputWarning: Invalid HSC version number, defaulting to v3.")),
        ("galex", None, "Mast.Galex.Catalog", None),
        ("gaia", Some(2), "Mast.Catalogs.GaiaDR2.Cone", None),
        ("Gaia", Some(1), "Mast.Catalogs.GaiaDR1.Cone", None),
        ("gaia", None, "Mast.Catalogs.GaiaDR3.Cone", None),
        (
            "gaia",
            Some(5),
            "Mast.Catalogs.GaiaDR3.Cone",
            Some("InputWarning: Invalid Gaia version number, defaulting to DR3."),
        ),
        ("Sample", Some(9), "Mast.Catalogs.Sample.Cone", None),
        ("Tic", None, "Mast.Catalogs.Tic.Cone", None),
    ];
    for (catalog, version, service, warning) in cases {
        emu.reset_stats();
        let mut options = small().catalog(catalog);
        if let Some(v) = version {
            options = options.version(v);
        }
        let table = cat.query_region(pos("322.49324 12.16683"), &options).await.unwrap();
        assert!(table.num_rows() > 0, "{catalog}");
        let sent = portal(&emu, service);
        assert_eq!(sent.len(), 1, "{catalog} {version:?}: {:?}", emu.requests());
        assert_eq!(sent[0]["use_json"], json!(false));
        assert_eq!(warnings(&table).first().map(String::as_str), warning, "{catalog} {version:?}");
    }
    // GALEX's maxrecords follows ra/dec/radius.
    emu.reset_stats();
    cat.query_region(pos("322.49324 12.16683"), &small().catalog("GALEX")).await.unwrap();
    let params = &portal(&emu, "Mast.Galex.Catalog")[0]["params"];
    assert_eq!(
        pyfmt::json_dumps(params),
        r#"{"ra": 322.49324, "dec": 12.16683, "radius": 0.002, "maxrecords": 50000}"#
    );
}

/// `MaxResultsWarning` compares with the cap of the query that ran: `nr=28` on 28 rows
/// warns; a Gaia query after a GALEX `maxrecords=28` query does not (astroquery's stale cap).
#[tokio::test]
async fn max_results_uses_the_cap_of_the_query() {
    let emu = recorded().await;
    let cat = catalogs(&emu);
    let hsc = small().criteria(Criteria::new().add("nr", 28).add("magtype", 2));
    let table = cat.query_region(pos("322.49324 12.16683"), &hsc).await.unwrap();
    assert_eq!(table.num_rows(), 28);
    assert_eq!(warnings(&table), [format!("MaxResultsWarning: {MAX_RESULTS_MESSAGE}")]);
    let params = &portal(&emu, "Mast.Hsc.Db.v3")[0]["params"];
    assert_eq!(
        (params["nr"].clone(), params["ni"].clone(), params["magtype"].clone()),
        (json!(28), json!(1), json!(2))
    );

    let galex = small().catalog("galex").criteria(Criteria::new().add("maxrecords", "28"));
    let table = cat.query_region(pos("322.49324 12.16683"), &galex).await.unwrap();
    assert_eq!(warnings(&table), [format!("MaxResultsWarning: {MAX_RESULTS_MESSAGE}")]);
    let table = cat.query_region(pos("322.49324 12.16683"), &small().catalog("gaia")).await.unwrap();
    assert_eq!(table.num_rows(), 28);
    assert!(warnings(&table).is_empty(), "stale cap: {:?}", warnings(&table));
    // A cap above the rows: no warning.
    let table =
        cat.query_region(pos("322.49324 12.16683"), &small().criteria(Criteria::new().add("nr", 29))).await.unwrap();
    assert!(warnings(&table).is_empty());
}

/// Invalid catalogs, versions' options, criteria and paging send nothing.
#[tokio::test]
async fn invalid_input_sends_nothing() {
    let emu = recorded().await;
    let cat = catalogs(&emu);
    let p = pos("322.49324 12.16683");
    let cases = [
        (
            small().catalog("hsc").criteria(Criteria::new().add("magtyp", 1)),
            "Filter 'magtyp' does not exist for catalog hsc. Did you mean 'magtype'?",
        ),
        (
            small().catalog("gaia").criteria(Criteria::new().add("nr", 1)),
            "Filter 'nr' does not exist for catalog gaia.",
        ),
        (small().catalog(""), "The catalog name must not be empty."),
        (
            small().catalog("Tic.Cone"),
            "Invalid catalog name \"Tic.Cone\": a catalog name has only letters, digits and '_'.",
        ),
        (small().pagesize(0), "Invalid pagesize 0"),
        (
            small().catalog("gaia").table("mean"),
            "data_release, table, columns, sort_by and decorated criteria are for PanSTARRS, not catalog gaia.",
        ),
    ];
    for (options, message) in cases {
        let err = cat.query_region(p, &options).await.unwrap_err();
        assert_eq!(err.class_name(), "InvalidQueryError");
        assert!(err.to_string().starts_with(message), "{err} vs {message}");
        let err = cat.query_object("M10", &options).await.unwrap_err();
        assert!(err.to_string().starts_with(message), "{err}");
    }
    assert_eq!(emu.stats().total, 0, "{:?}", emu.requests());
}

/// `query_object` resolves, then queries the cone around the resolved position.
#[tokio::test]
async fn query_object_resolves_then_queries() {
    let emu = recorded().await;
    let table =
        catalogs(&emu).query_object("M10", &QueryOptions::new().radius(".02 deg".parse().unwrap())).await.unwrap();
    assert_eq!(table.num_rows(), 28);
    assert_eq!(emu.stats().count("resolver"), 1);
    let params = &portal(&emu, "Mast.Hsc.Db.v3")[0]["params"];
    assert_eq!(params["radius"], json!(0.02));
    assert!((params["ra"].as_f64().unwrap() - 254.28).abs() < 0.1, "{params}");
}
