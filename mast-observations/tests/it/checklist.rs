use mast_observations::QueryOptions;
use mast_proto::criteria::Criteria;
use mast_proto::products::ProductFilter;
use mast_proto::{Error, Mast, MastClient, Position, Radius, Value, WarningCategory};
use serde_json::json;

use crate::{config, observations, recorded};

fn region() -> Position {
    Position::new(23.34086, 60.658).unwrap()
}

fn deg(x: f64) -> QueryOptions {
    QueryOptions::new().radius(Radius::from_degrees(x).unwrap())
}

#[tokio::test]
async fn list_missions_20() {
    let emulator = recorded().await;
    let missions = observations(&emulator).list_missions().await.unwrap();
    for m in ["HST", "HLA", "GALEX", "Kepler"] {
        assert!(missions.iter().any(|x| x == m), "{m} in {missions:?}");
    }
    assert_eq!(missions.len(), 15);
    assert!(missions.windows(2).all(|w| w[0] < w[1]), "code-point order");
}

#[tokio::test]
async fn service_request_and_mast_query_22_23() {
    let emulator = recorded().await;
    let mast = Mast::new(MastClient::new(config(&emulator)).unwrap());
    let t = mast
        .service_request(
            mast_proto::ServiceRequest::new("Mast.Caom.Cone")
                .param("ra", 23.34086)
                .param("dec", 60.658)
                .param("radius", 0.2),
        )
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 19);

    let t = mast
        .mast_query(
            "Mast.Caom.Cone",
            &[("ra".into(), json!(23.34086)), ("dec".into(), json!(60.658)), ("radius".into(), json!(0.2))],
            Some("obs_id"),
        )
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 19);
    assert!(
        t.warnings()
            .iter()
            .any(|w| w.category == WarningCategory::Input && w.message.contains("'columns' parameter is ignored"))
    );

    let filtered = mast
        .mast_query(
            "Mast.Caom.Filtered",
            &[
                ("dataproduct_type".into(), json!(["image", "spectrum"])),
                ("proposal_pi".into(), json!(["Osten, Rachel A."])),
                ("s_dec".into(), json!({"min": 43.5, "max": 45.5})),
            ],
            Some("proposal_pi,s_dec,obs_id"),
        )
        .await
        .unwrap();
    assert!(filtered.num_rows() > 0);

    emulator.reset_stats();
    let err = mast.mast_query("Mast.Caom.Filtered", &[], None).await.unwrap_err();
    assert_eq!(err.to_string(), "Please provide at least one filter.");
    let err = mast.mast_query("Mast.Caom.Filtered", &[("s_ra".into(), json!({"min": 10.0}))], None).await.unwrap_err();
    assert_eq!(err.to_string(), "Range filter for \"s_ra\" must be a dictionary with \"min\" and \"max\" keys.");
    assert_eq!(emulator.stats().total, 0, "bad queries send nothing");
}

#[tokio::test]
async fn query_region_and_object_29_31() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    let t = obs.query_region(region(), &deg(0.2)).await.unwrap();
    assert_eq!((t.num_rows(), t.num_columns()), (19, 27));
    let t = obs.query_object("M103", &QueryOptions::new().radius(".02 deg".parse().unwrap())).await.unwrap();
    assert_eq!(t.num_rows(), 19);
    let err = obs.query_object("nonexisting", &QueryOptions::new()).await.unwrap_err();
    assert!(matches!(err, mast_observations::Error::Proto(Error::Resolver { .. })));
}

#[tokio::test]
async fn query_criteria_32_33() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    let criteria =
        Criteria::new().add("dataproduct_type", ["image"]).add("proposal_pi", "Ost*").range("s_dec", 43.5, 45.5);
    assert_eq!(obs.query_criteria(&criteria, &QueryOptions::new()).await.unwrap().num_rows(), 3);
    let t = obs
        .query_criteria(&Criteria::new().add("filters", ["NUV", "FUV"]), &QueryOptions::new().object_name("M101"))
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 12);

    emulator.reset_stats();
    let err = obs.query_criteria(&Criteria::new(), &QueryOptions::new().object_name("M101")).await.unwrap_err();
    assert!(err.to_string().contains("least one non-positional criterion"), "{err}");
    let both = QueryOptions::new().object_name("M101").coordinates(region());
    let err = obs.query_criteria(&Criteria::new().add("intentType", "science"), &both).await.unwrap_err();
    assert!(err.to_string().contains("one of object_name and coordinates"), "{err}");
    assert_eq!(emulator.stats().total, 0);
}

#[tokio::test]
async fn bad_criteria_send_zero_requests() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    let cases = [
        (Criteria::new().add("dataproduct_typ", "image"), "Did you mean 'dataproduct_type'?"),
        (Criteria::new().add("obstype", "science"), "intentType"),
        (Criteria::new().range("s_dec", "north", 45.5), "s_dec"),
        (Criteria::new().range("s_dec", 50.0, 45.5), "s_dec"),
        (Criteria::new().range("obs_collection", 1, 2), "obs_collection"),
    ];
    for (criteria, needle) in cases {
        let err = obs.query_criteria(&criteria, &QueryOptions::new()).await.unwrap_err();
        assert!(matches!(err, mast_observations::Error::Proto(Error::InvalidQuery { .. })), "{err}");
        assert!(err.to_string().contains(needle), "{err} lacks {needle}");
        let err = obs.query_criteria_count(&criteria, &QueryOptions::new()).await.unwrap_err();
        assert!(matches!(err, mast_observations::Error::Proto(Error::InvalidQuery { .. })), "{err}");
    }
    assert!("10 95".parse::<Position>().is_err());
    assert!("3 px".parse::<Radius>().is_err());
    assert_eq!(emulator.stats().total, 0, "{:?}", emulator.stats());
}

#[tokio::test]
async fn continuous_criterion_with_one_value_warns_and_is_dropped() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    let t = obs
        .query_criteria(&Criteria::new().add("s_dec", [43.5]).add("dataproduct_type", "image"), &QueryOptions::new())
        .await
        .unwrap();
    assert!(t.warnings().iter().any(|w| w.category == WarningCategory::Input && w.message.contains("continuous")));
}

#[tokio::test]
async fn counts_34_36() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    assert_eq!(
        obs.query_region_count(region(), &QueryOptions::new().radius("0.2 deg".parse().unwrap()))
            .await
            .unwrap()
            .value(),
        599
    );
    assert_eq!(obs.query_object_count("M8", &deg(0.2)).await.unwrap().value(), 599);
    let criteria =
        Criteria::new().add("dataproduct_type", ["image"]).add("proposal_pi", "Ost*").range("s_dec", 43.5, 45.5);
    assert_eq!(obs.query_criteria_count(&criteria, &QueryOptions::new()).await.unwrap().value(), 599);
    assert_eq!(
        obs.query_criteria_count(&criteria, &QueryOptions::new().coordinates(region())).await.unwrap().value(),
        599
    );
    let both = QueryOptions::new().coordinates(region()).object_name("M101");
    assert!(
        obs.query_criteria_count(&criteria, &both)
            .await
            .unwrap_err()
            .to_string()
            .contains("one of object_name and coordinates")
    );
}

#[tokio::test]
async fn metadata() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    let t = obs.get_metadata("observations").await.unwrap();
    assert_eq!((t.num_rows(), t.num_columns()), (31, 6));
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        ["Column Name", "Column Label", "Data Type", "Units", "Description", "Examples/Valid Values"]
    );
    let err = obs.get_metadata("nope").await.unwrap_err();
    assert_eq!(err.to_string(), "Unknown query type.");
}

#[tokio::test]
async fn product_lists_37_38() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    assert_eq!(obs.get_product_list("2003738726").await.unwrap().num_rows(), 22);
    assert_eq!(obs.get_product_list("2003738726,3000007760").await.unwrap().num_rows(), 22);
    let ids: Vec<String> = ["83229830", "1829332", "26074149", "24556715"].map(String::from).to_vec();
    assert_eq!(obs.get_product_list(&ids).await.unwrap().num_rows(), 22);
    let observations_table = obs.query_region(region(), &deg(0.2)).await.unwrap();
    let rows = observations_table.slice(0..4);
    assert_eq!(obs.get_product_list(&rows).await.unwrap().num_rows(), 22);
    emulator.reset_stats();
    let blank = vec![" ".to_owned()];
    let err = obs.get_product_list(&blank).await.unwrap_err();
    assert!(err.to_string().contains("Observation list is empty"), "{err}");
    assert_eq!(emulator.stats().total, 0);
    let unique = obs.get_unique_product_list("2003738726").await.unwrap();
    assert!(unique.num_rows() <= 22);
}

#[tokio::test]
async fn filter_products_39() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    let p = obs.get_product_list("2003738726").await.unwrap();
    let f = |filter: ProductFilter| obs.filter_products(&p, &filter);
    assert_eq!(f(ProductFilter::new().column("productType", ["sCiEnCE"])).unwrap().num_rows(), 7);
    let mrp = f(ProductFilter::new().mrp_only(true)).unwrap();
    assert_eq!(mrp.num_rows(), 3);
    assert!(
        mrp.column("productGroupDescription").unwrap().iter().all(|v| v == Value::Str("Minimum Recommended Products"))
    );
    assert_eq!(f(ProductFilter::new().extension(["FITS"])).unwrap().num_rows(), 22);
    assert_eq!(f(ProductFilter::new().extension(["png"])).unwrap().num_rows(), 0);
    let small = f(ProductFilter::new().column("size", ["<50000"])).unwrap();
    assert_eq!(small.num_rows(), 7);
    assert!(small.column("size").unwrap().iter().all(|v| matches!(v, Value::Int(s) if s < 50_000)));
    let err = f(ProductFilter::new().column("size", ["invalid"])).unwrap_err();
    assert!(err.to_string().contains("Could not parse numeric filter 'invalid' for column 'size'"), "{err}");
    let err = f(ProductFilter::new().column("invalid", ["True"])).unwrap_err();
    assert_eq!(err.to_string(), "Column 'invalid' not found in product table.");
}
