//! astroquery's offline checklist (spec §13, items 20–39). Each test asserts what was sent,
//! from the emulator's request log (service, params, paging, requests per endpoint), and,
//! where the answer must depend on the request, runs on the generated sky and compares the
//! rows with what the sky holds for the request the test means (`mast_emulator::sky`,
//! `filtered`, `products`), so that a wrong parameter gives wrong rows.

use mast_emulator::filtered::{self, Filters};
use mast_emulator::{Emulator, products, sky};
use mast_observations::QueryOptions;
use mast_proto::criteria::Criteria;
use mast_proto::products::ProductFilter;
use mast_proto::{Error, Mast, MastClient, Position, Radius, Table, Value, WarningCategory};
use serde_json::{Value as Json, json};

use crate::{config, observations, recorded, sky};

/// The generated sky's seed (the emulator's default).
const SEED: u64 = 42;

fn region() -> Position {
    Position::new(23.34086, 60.658).unwrap()
}

fn deg(x: f64) -> QueryOptions {
    QueryOptions::new().radius(Radius::from_degrees(x).unwrap())
}

/// The Portal request objects sent for `service` (`invoke:<service>`), in order, each with
/// its `cacheBreaker` checked (a UUID) and removed.
fn sent(emulator: &Emulator, service: &str) -> Vec<Json> {
    emulator
        .request_log()
        .portal_requests(&format!("invoke:{service}"))
        .into_iter()
        .map(|mut r| {
            let breaker = r.as_object_mut().unwrap().remove("cacheBreaker").expect("a cacheBreaker");
            assert_eq!(breaker.as_str().map(str::len), Some(36), "a UUID: {breaker}");
            r
        })
        .collect()
}

/// A Portal request object for every page (`pagesize` 50000, page 1), as astroquery sends it.
fn query(service: &str, params: Json) -> Json {
    json!({"service": service, "params": params, "format": "json", "pagesize": 50000, "page": 1})
}

/// The columns-config ids asked for, in order.
fn configs(emulator: &Emulator) -> Vec<String> {
    emulator.requests_for("columnsconfig").iter().flat_map(|e| e.form_values("colConfigId")).map(String::from).collect()
}

/// The `name`s of the SANTA requests, in order.
fn resolved(emulator: &Emulator) -> Vec<Vec<String>> {
    emulator
        .requests_for("resolver")
        .iter()
        .map(|e| e.query_values("name").into_iter().map(String::from).collect())
        .collect()
}

/// Requests per endpoint key, exactly.
fn counts(emulator: &Emulator) -> Vec<(String, u64)> {
    emulator.stats().requests.into_iter().collect()
}

fn expect(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
}

/// An id column (`obsid`, `obsID`: text or integers) as numbers.
fn ids(table: &Table, column: &str) -> Vec<i64> {
    table
        .column(column)
        .unwrap_or_else(|| panic!("no {column}"))
        .iter()
        .map(|v| match v {
            Value::Int(n) => n,
            Value::Str(s) => s.parse().unwrap(),
            other => panic!("{column}: {other:?}"),
        })
        .collect()
}

fn texts(table: &Table, column: &str) -> Vec<String> {
    table.column(column).unwrap_or_else(|| panic!("no {column}")).iter().map(|v| v.to_string()).collect()
}

/// The obsids of the generated cone.
fn cone_ids(ra: f64, dec: f64, radius: f64) -> Vec<i64> {
    sky::search(ra, dec, radius, None, SEED).unwrap().obsids().collect()
}

/// The obsids a criteria query selects in the generated sky.
fn selected(filters: &Json, position: Option<(f64, f64, f64)>) -> Vec<i64> {
    let filters = Filters::parse(Some(filters)).unwrap();
    filtered::query(&filters, position, SEED).unwrap().obsids().collect()
}

/// The products of obsids, in order, as their `dataURI`s.
fn product_uris(obsids: &[i64]) -> Vec<String> {
    obsids.iter().flat_map(|&id| products::products_of(id, SEED)).map(|p| p.data_uri).collect()
}

#[tokio::test]
async fn list_missions_20() {
    let emulator = recorded().await;
    let missions = observations(&emulator).list_missions().await.unwrap();
    assert_eq!(
        missions,
        [
            "BEFS",
            "EUVE",
            "FUSE",
            "GALEX",
            "HLA",
            "HST",
            "HUT",
            "IUE",
            "K2",
            "K2FFI",
            "Kepler",
            "KeplerFFI",
            "SWIFT",
            "TUES",
            "WUPPE"
        ],
        "code-point order"
    );
    let mut all = query("Mast.Caom.All", json!({}));
    all["format"] = "extjs".into();
    assert_eq!(sent(&emulator, "Mast.Caom.All"), [all]);
    assert_eq!(counts(&emulator), expect(&[("invoke", 1), ("invoke:Mast.Caom.All", 1)]));
}

#[tokio::test]
async fn service_request_and_mast_query_22_23() {
    let emulator = sky().await;
    let mast = Mast::new(MastClient::new(config(&emulator)).unwrap());
    let cone = cone_ids(23.34086, 60.658, 0.2);
    assert!(cone.len() > 30, "{}", cone.len());
    let request = || {
        mast_proto::ServiceRequest::new("Mast.Caom.Cone")
            .param("ra", 23.34086)
            .param("dec", 60.658)
            .param("radius", 0.2)
    };
    let t = mast.service_request(request()).await.unwrap();
    assert_eq!(ids(&t, "obsid"), cone);
    let cone_params = json!({"ra": 23.34086, "dec": 60.658, "radius": 0.2});
    assert_eq!(sent(&emulator, "Mast.Caom.Cone"), [query("Mast.Caom.Cone", cone_params.clone())]);
    // One page asked for: exactly it (spec §5.2: `pagesize=100, page=3` is sent as given).
    let t = mast.service_request(request().pagesize(10).page(3)).await.unwrap();
    assert_eq!(ids(&t, "obsid"), cone[20..30]);
    let mut third = query("Mast.Caom.Cone", cone_params.clone());
    (third["pagesize"], third["page"]) = (10.into(), 3.into());
    assert_eq!(sent(&emulator, "Mast.Caom.Cone")[1], third);

    let t = mast
        .mast_query(
            "Mast.Caom.Cone",
            &[("ra".into(), json!(23.34086)), ("dec".into(), json!(60.658)), ("radius".into(), json!(0.2))],
            Some("obs_id"),
        )
        .await
        .unwrap();
    assert_eq!(ids(&t, "obsid"), cone);
    assert!(
        t.warnings()
            .iter()
            .any(|w| w.category == WarningCategory::Input && w.message.contains("'columns' parameter is ignored"))
    );
    assert_eq!(sent(&emulator, "Mast.Caom.Cone")[2], query("Mast.Caom.Cone", cone_params));

    // Spec §3.5's captured request, with a PI the generated sky has.
    let filters = json!([
        {"paramName": "dataproduct_type", "values": ["image", "spectrum"]},
        {"paramName": "proposal_pi", "values": ["Okafor, Ada"]},
        {"paramName": "s_dec", "values": [{"min": 43.5, "max": 45.5}]},
    ]);
    let expected = selected(&filters, None);
    assert!(expected.len() > 10, "more than one page of 10: {}", expected.len());
    let filtered = mast
        .mast_query(
            "Mast.Caom.Filtered",
            &[
                ("dataproduct_type".into(), json!(["image", "spectrum"])),
                ("proposal_pi".into(), json!(["Okafor, Ada"])),
                ("s_dec".into(), json!({"min": 43.5, "max": 45.5})),
                ("pagesize".into(), json!(10)),
                ("removenullcolumns".into(), json!(true)),
                ("timeout".into(), json!(30)),
            ],
            Some("proposal_pi,s_dec,obs_id"),
        )
        .await
        .unwrap();
    assert_eq!(filtered.column_names().collect::<Vec<_>>(), ["proposal_pi", "s_dec", "obs_id"]);
    let obs_ids: Vec<String> = expected.iter().map(|&id| sky::observation(id, SEED).unwrap().obs_id).collect();
    assert_eq!(texts(&filtered, "obs_id"), obs_ids);
    assert!(texts(&filtered, "proposal_pi").iter().all(|pi| pi == "Okafor, Ada"));
    let pages = expected.len().div_ceil(10) as u64;
    let sent_filtered = sent(&emulator, "Mast.Caom.Filtered");
    assert_eq!(sent_filtered.len() as u64, pages, "every page of 10");
    for (i, request) in sent_filtered.iter().enumerate() {
        let mut want = query("Mast.Caom.Filtered", json!({"columns": "proposal_pi,s_dec,obs_id", "filters": filters}));
        (want["pagesize"], want["page"]) = (10.into(), (i as u64 + 1).into());
        want["removenullcolumns"] = true.into();
        want["timeout"] = 30.into();
        let mut request = request.clone();
        request["page"] = (i as u64 + 1).into(); // pages arrive in any order
        assert_eq!(request, want);
    }
    let mut pages_sent: Vec<u64> = sent_filtered.iter().map(|r| r["page"].as_u64().unwrap()).collect();
    pages_sent.sort_unstable();
    assert_eq!(pages_sent, (1..=pages).collect::<Vec<_>>());
    assert_eq!(
        counts(&emulator),
        expect(&[
            ("columnsconfig", 2),
            ("invoke", 3 + pages),
            ("invoke:Mast.Caom.Cone", 3),
            ("invoke:Mast.Caom.Filtered", pages)
        ])
    );
    assert_eq!(configs(&emulator), ["Mast.Caom.Cone", "Mast.Caom.Filtered"]);

    emulator.reset_stats();
    let err = mast.mast_query("Mast.Caom.Filtered", &[], None).await.unwrap_err();
    assert_eq!(err.to_string(), "Please provide at least one filter.");
    let err = mast.mast_query("Mast.Caom.Filtered", &[("s_ra".into(), json!({"min": 10.0}))], None).await.unwrap_err();
    assert_eq!(err.to_string(), "Range filter for \"s_ra\" must be a dictionary with \"min\" and \"max\" keys.");
    assert_eq!(emulator.stats().total, 0, "bad queries send nothing");
}

#[tokio::test]
async fn query_region_and_object_29_31() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    let t = obs.query_region(region(), &deg(0.2)).await.unwrap();
    let cone = cone_ids(23.34086, 60.658, 0.2);
    assert_eq!((ids(&t, "obsid"), t.num_columns()), (cone.clone(), 27));
    let first = sky::observation(cone[0], SEED).unwrap();
    assert_eq!(t.column("s_ra").unwrap().get(0), Value::Float(first.s_ra));
    assert_eq!(t.column("s_dec").unwrap().get(0), Value::Float(first.s_dec));
    // M103 resolves to 23.339, 60.659 (resolver.json); 5 arcmin around it, in degrees.
    let t = obs.query_object("M103", &QueryOptions::new().radius("5 arcmin".parse().unwrap())).await.unwrap();
    let near = cone_ids(23.339, 60.659, 5.0 / 60.0);
    assert!(!near.is_empty());
    assert_eq!(ids(&t, "obsid"), near);
    assert_eq!(
        sent(&emulator, "Mast.Caom.Cone"),
        [
            query("Mast.Caom.Cone", json!({"ra": 23.34086, "dec": 60.658, "radius": 0.2})),
            query("Mast.Caom.Cone", json!({"ra": 23.339, "dec": 60.659, "radius": 0.08333333333333333})),
        ]
    );
    let err = obs.query_object("nonexisting", &QueryOptions::new()).await.unwrap_err();
    assert!(matches!(err, mast_observations::Error::Proto(Error::Resolver { .. })));
    assert_eq!(resolved(&emulator), [["M103"], ["nonexisting"]]);
    let santa = emulator.requests_for("resolver");
    assert!(santa.iter().all(|e| e.query_value("outputFormat") == Some("json")), "{santa:?}");
    assert_eq!(
        counts(&emulator),
        expect(&[("columnsconfig", 1), ("invoke", 2), ("invoke:Mast.Caom.Cone", 2), ("resolver", 2)]),
        "nothing is asked for an unresolved name"
    );
}

#[tokio::test]
async fn query_criteria_32_33() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    // Spec §3.4's captured request: a range, a wildcard, a value.
    let criteria =
        Criteria::new().add("dataproduct_type", ["image"]).add("proposal_pi", "Ost*").range("s_dec", 43.5, 45.5);
    let t = obs.query_criteria(&criteria, &QueryOptions::new()).await.unwrap();
    let captured = json!([
        {"paramName": "dataproduct_type", "values": ["image"]},
        {"paramName": "proposal_pi", "values": [], "freeText": "Ost%"},
        {"paramName": "s_dec", "values": [{"min": 43.5, "max": 45.5}]},
    ]);
    assert_eq!(t.num_rows(), selected(&captured, None).len());
    // The same with a PI of the generated sky: rows that depend on every filter.
    let criteria = Criteria::new().add("dataproduct_type", ["image"]).add("proposal_pi", "Oka*").range("s_dec", 40, 60);
    let t = obs.query_criteria(&criteria, &QueryOptions::new()).await.unwrap();
    let okafor = json!([
        {"paramName": "dataproduct_type", "values": ["image"]},
        {"paramName": "proposal_pi", "values": [], "freeText": "Oka%"},
        {"paramName": "s_dec", "values": [{"min": 40, "max": 60}]},
    ]);
    let expected = selected(&okafor, None);
    assert!(expected.len() > 2, "{}", expected.len());
    assert_eq!(ids(&t, "obsid"), expected);
    assert!(texts(&t, "proposal_pi").iter().all(|pi| pi == "Okafor, Ada"));
    assert!(texts(&t, "dataproduct_type").iter().all(|d| d == "image"));

    // M101 resolves to 210.802429, 54.34875: `.Position` with the default radius.
    let t = obs
        .query_criteria(&Criteria::new().add("filters", ["NUV", "FUV"]), &QueryOptions::new().object_name("M101"))
        .await
        .unwrap();
    let uv = json!([{"paramName": "filters", "separator": ";", "values": ["NUV", "FUV"]}]);
    let expected = selected(&uv, Some((210.802429, 54.34875, 0.2)));
    let m101 = cone_ids(210.802429, 54.34875, 0.2).len();
    assert!(!expected.is_empty() && expected.len() < m101, "{} of {m101}", expected.len());
    assert_eq!(ids(&t, "obsid"), expected);
    assert_eq!(
        sent(&emulator, "Mast.Caom.Filtered"),
        [
            query("Mast.Caom.Filtered", json!({"columns": "*", "filters": captured})),
            query("Mast.Caom.Filtered", json!({"columns": "*", "filters": okafor})),
        ]
    );
    assert_eq!(
        sent(&emulator, "Mast.Caom.Filtered.Position"),
        [query(
            "Mast.Caom.Filtered.Position",
            json!({"columns": "*", "filters": uv, "position": "210.802429, 54.34875, 0.2"})
        )]
    );
    assert_eq!(resolved(&emulator), [["M101"]]);
    assert_eq!(configs(&emulator), ["Mast.Caom.Cone"], "filtered rows are described by the cone's config");
    assert_eq!(
        counts(&emulator),
        expect(&[
            ("columnsconfig", 1),
            ("invoke", 3),
            ("invoke:Mast.Caom.Filtered", 2),
            ("invoke:Mast.Caom.Filtered.Position", 1),
            ("resolver", 1)
        ])
    );

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
    assert_eq!(
        sent(&emulator, "Mast.Caom.Filtered"),
        [query(
            "Mast.Caom.Filtered",
            json!({"columns": "*", "filters": [{"paramName": "dataproduct_type", "values": ["image"]}]})
        )],
        "s_dec left out"
    );
    assert_eq!(t.num_rows(), 3, "advSearch.json");
}

#[tokio::test]
async fn counts_34_36() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    let region_count = cone_ids(23.34086, 60.658, 0.2).len() as u64;
    assert_eq!(
        obs.query_region_count(region(), &QueryOptions::new().radius("0.2 deg".parse().unwrap()))
            .await
            .unwrap()
            .value(),
        region_count
    );
    // M8 resolves to 270.904, -24.387.
    let m8 = cone_ids(270.904, -24.387, 0.1).len() as u64;
    assert_ne!(m8, region_count);
    assert_eq!(obs.query_object_count("M8", &deg(0.1)).await.unwrap().value(), m8);
    let criteria = Criteria::new().add("dataproduct_type", ["image"]).add("proposal_pi", "Oka*").range("s_dec", 40, 60);
    let filters = json!([
        {"paramName": "dataproduct_type", "values": ["image"]},
        {"paramName": "proposal_pi", "values": [], "freeText": "Oka%"},
        {"paramName": "s_dec", "values": [{"min": 40, "max": 60}]},
    ]);
    let everywhere = selected(&filters, None).len() as u64;
    assert!(everywhere > 2);
    assert_eq!(obs.query_criteria_count(&criteria, &QueryOptions::new()).await.unwrap().value(), everywhere);
    let image = Criteria::new().add("dataproduct_type", ["image"]);
    let image_filters = json!([{"paramName": "dataproduct_type", "values": ["image"]}]);
    let near = selected(&image_filters, Some((23.34086, 60.658, 0.2))).len() as u64;
    assert!(0 < near && near < region_count, "{near} of {region_count}");
    assert_eq!(
        obs.query_criteria_count(&image, &QueryOptions::new().coordinates(region())).await.unwrap().value(),
        near
    );

    let count = |params: Json| query("Mast.Caom.Filtered.Position", params);
    assert_eq!(
        sent(&emulator, "Mast.Caom.Filtered.Position"),
        [
            count(json!({"columns": "COUNT_BIG(*)", "filters": [], "position": "23.34086, 60.658, 0.2"})),
            count(json!({"columns": "COUNT_BIG(*)", "filters": [], "position": "270.904, -24.387, 0.1"})),
            count(json!({"columns": "COUNT_BIG(*)", "filters": image_filters, "position": "23.34086, 60.658, 0.2"})),
        ]
    );
    assert_eq!(
        sent(&emulator, "Mast.Caom.Filtered"),
        [query("Mast.Caom.Filtered", json!({"columns": "COUNT_BIG(*)", "filters": filters}))]
    );
    assert_eq!(resolved(&emulator), [["M8"]]);
    assert_eq!(configs(&emulator), ["Mast.Caom.Cone"]);
    assert_eq!(
        counts(&emulator),
        expect(&[
            ("columnsconfig", 1),
            ("invoke", 4),
            ("invoke:Mast.Caom.Filtered", 1),
            ("invoke:Mast.Caom.Filtered.Position", 3),
            ("resolver", 1)
        ])
    );

    emulator.reset_stats();
    let both = QueryOptions::new().coordinates(region()).object_name("M101");
    assert!(
        obs.query_criteria_count(&criteria, &both)
            .await
            .unwrap_err()
            .to_string()
            .contains("one of object_name and coordinates")
    );
    assert_eq!(emulator.stats().total, 0);
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
    assert_eq!(configs(&emulator), ["Mast.Caom.Cone"]);
    assert_eq!(counts(&emulator), expect(&[("columnsconfig", 1)]));
}

#[tokio::test]
async fn product_lists_37_38() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    let uris = |t: &Table| texts(t, "dataURI");
    let recorded_products = product_uris(&[2003738726]);
    assert_eq!(recorded_products.len(), 22);
    assert_eq!(uris(&obs.get_product_list("2003738726").await.unwrap()), recorded_products);
    // One value with a comma is sent as it is; 3000007760 has no products here.
    assert_eq!(uris(&obs.get_product_list("2003738726,3000007760").await.unwrap()), recorded_products);
    let checklist: Vec<String> = ["83229830", "1829332", "26074149", "24556715"].map(String::from).to_vec();
    let none = obs.get_product_list(&checklist).await.unwrap();
    assert_eq!(none.num_rows(), 0);
    assert!(none.warnings().iter().any(|w| w.category == WarningCategory::NoResults));
    // Rows of an observations table: their obsids.
    let observations_table = obs.query_region(region(), &deg(0.2)).await.unwrap();
    let first_four = cone_ids(23.34086, 60.658, 0.2)[..4].to_vec();
    let p = obs.get_product_list(&observations_table.slice(0..4)).await.unwrap();
    assert_eq!(uris(&p), product_uris(&first_four));
    assert_eq!(
        ids(&p, "obsID"),
        first_four.iter().flat_map(|&id| vec![id; products::products_of(id, SEED).len()]).collect::<Vec<_>>()
    );
    let joined = first_four.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let products_query = |obsid: &str| query("Mast.Caom.Products", json!({"obsid": obsid}));
    assert_eq!(
        sent(&emulator, "Mast.Caom.Products"),
        [
            products_query("2003738726"),
            products_query("2003738726,3000007760"),
            products_query("83229830,1829332,26074149,24556715"),
            products_query(&joined),
        ]
    );
    emulator.reset_stats();
    let blank = vec![" ".to_owned()];
    let err = obs.get_product_list(&blank).await.unwrap_err();
    assert!(err.to_string().contains("Observation list is empty"), "{err}");
    assert_eq!(emulator.stats().total, 0);
    // Unique products: the first row of each dataURI, in order.
    let unique = obs.get_unique_product_list("2003738726").await.unwrap();
    let mut first_seen = Vec::new();
    for uri in recorded_products {
        if !first_seen.contains(&uri) {
            first_seen.push(uri);
        }
    }
    assert_eq!(uris(&unique), first_seen);
    assert_eq!(sent(&emulator, "Mast.Caom.Products"), [products_query("2003738726")]);
}

#[tokio::test]
async fn filter_products_39() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    let p = obs.get_product_list("2003738726").await.unwrap();
    assert_eq!(counts(&emulator), expect(&[("columnsconfig", 1), ("invoke", 1), ("invoke:Mast.Caom.Products", 1)]));
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
    assert_eq!(emulator.stats().total, 2, "filtering sends nothing");
}
