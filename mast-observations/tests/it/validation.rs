//! Issue 11, points 11 and 14: queries and counts share one validation path (same warnings,
//! same errors), and every malformed input is refused with a typed error before any request,
//! which the emulator's stats confirm (zero requests).

use mast_download::Source;
use mast_emulator::Emulator;
use mast_observations::{DownloadFileOptions, Observations, QueryOptions};
use mast_proto::criteria::Criteria;
use mast_proto::{Error, Mast, Position, Radius, ServiceRequest, WarningCategory};

use crate::{observations, recorded};

fn region() -> Position {
    "322.49324 12.16683".parse().unwrap()
}

/// The query's and the count's outcome for the same criteria: either both errors with the
/// same message, or both answers with the same criteria warnings.
async fn query_and_count(obs: &Observations, criteria: &Criteria, options: &QueryOptions) -> (String, String) {
    let query = match obs.query_criteria(criteria, options).await {
        Ok(t) => format!("ok {:?}", criteria_warnings(t.warnings())),
        Err(e) => format!("{}: {e}", e.class_name()),
    };
    let count = match obs.query_criteria_count(criteria, options).await {
        Ok(c) => format!("ok {:?}", criteria_warnings(c.warnings())),
        Err(e) => format!("{}: {e}", e.class_name()),
    };
    (query, count)
}

/// The warnings criteria give (the query's table may carry others from its rows).
fn criteria_warnings(warnings: &[mast_proto::Warning]) -> Vec<String> {
    warnings
        .iter()
        .filter(|w| w.category == WarningCategory::Input && w.message.contains("continuous"))
        .map(|w| w.to_string())
        .collect()
}

fn assert_no_request(emulator: &Emulator, what: &str) {
    let stats = emulator.stats();
    assert_eq!(stats.total, 0, "{what}: {:?}", stats.requests);
}

/// Point 11: `s_dec=abc` next to `obs_collection=HST` is the same error for the count as for
/// the query (it was a silent count of all of HST), before any request.
#[tokio::test]
async fn count_refuses_what_the_query_refuses() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    let cases = [
        (Criteria::new().add("s_dec", "abc").add("obs_collection", "HST"), "'abc' is not a finite number"),
        (Criteria::from_args(["t_min=5"]).unwrap(), "At least one non-positional criterion must be supplied."),
        (Criteria::from_args(["t_min=yesterday"]).unwrap(), "'yesterday' is not a finite number"),
        (Criteria::new().add("obs_colection", "HST"), "Did you mean 'obs_collection'?"),
        (Criteria::new().add("obstype", "science"), "intentType"),
    ];
    for (criteria, needle) in cases {
        for options in [QueryOptions::new(), QueryOptions::new().coordinates(region())] {
            let (query, count) = query_and_count(&obs, &criteria, &options).await;
            assert_eq!(query, count, "{criteria:?}");
            assert!(query.starts_with("InvalidQueryError: ") && query.contains(needle), "{query} lacks {needle}");
        }
        // Typed: the client layer's InvalidQuery, not a stringly error.
        let err = obs.query_criteria_count(&criteria, &QueryOptions::new()).await.unwrap_err();
        assert!(matches!(err, mast_observations::Error::Proto(Error::InvalidQuery { .. })), "{err:?}");
    }
    assert_no_request(&emulator, "refused criteria");
}

/// Point 11: the count returns the warnings the query returns (a continuous criterion with one
/// value is dropped with astroquery's warning; the rest is counted), and no criteria at all
/// still counts every observation, as astroquery does.
#[tokio::test]
async fn count_returns_the_query_warnings() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    let criteria = Criteria::from_args(["t_min=5", "dataproduct_type=image"]).unwrap();
    let (query, count) = query_and_count(&obs, &criteria, &QueryOptions::new()).await;
    assert_eq!(query, count);
    let expected = format!(
        "ok {:?}",
        [
            "InputWarning: t_min is continuous, and filters based on min and max values.\nNot enough values provided, skipping..."
        ]
    );
    assert_eq!(count, expected);
    let counted = obs.query_criteria_count(&criteria, &QueryOptions::new()).await.unwrap();
    assert_eq!(counted.value(), 599);
    let sent = emulator.stats().requests.get("invoke:Mast.Caom.Filtered").copied();
    assert_eq!(sent, Some(3), "the query, the count, and the count again were sent");
    // What was sent: t_min left out, the rest the same for the query and the counts.
    let image = serde_json::json!([{"paramName": "dataproduct_type", "values": ["image"]}]);
    let params: Vec<_> =
        emulator.requests_for("invoke:Mast.Caom.Filtered").iter().map(|e| e.params().unwrap()).collect();
    assert_eq!(
        params,
        [
            serde_json::json!({"columns": "*", "filters": image}),
            serde_json::json!({"columns": "COUNT_BIG(*)", "filters": image}),
            serde_json::json!({"columns": "COUNT_BIG(*)", "filters": image}),
        ]
    );

    emulator.reset_stats();
    let everything = obs.query_criteria_count(&Criteria::new(), &QueryOptions::new()).await.unwrap();
    assert!(everything.warnings().is_empty());
    assert_eq!(emulator.stats().requests.get("invoke:Mast.Caom.Filtered").copied(), Some(1));
    let sent = emulator.requests_for("invoke:Mast.Caom.Filtered");
    assert_eq!(
        sent[0].params(),
        Some(serde_json::json!({"columns": "COUNT_BIG(*)", "filters": []})),
        "no filter at all"
    );
    let err = obs.query_criteria(&Criteria::new(), &QueryOptions::new()).await.unwrap_err();
    assert!(err.to_string().contains("At least one non-positional criterion"), "{err}");
}

/// Point 14: empty, blank and absurdly long object names, for every call that resolves one;
/// the long name is not echoed whole.
#[tokio::test]
async fn object_names_are_checked_before_the_resolver() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    let mast = Mast::new(obs.client().clone());
    let long = "M".repeat(100_000);
    for name in ["", "   ", "\t", long.as_str()] {
        let errors = [
            obs.query_object(name, &QueryOptions::new()).await.unwrap_err(),
            obs.query_object_count(name, &QueryOptions::new()).await.unwrap_err(),
            obs.query_criteria(&Criteria::new().add("obs_collection", "HST"), &QueryOptions::new().object_name(name))
                .await
                .unwrap_err(),
            mast.resolve_object(name).await.unwrap_err().into(),
            mast.resolve_objects(&["M8", name], &Default::default()).await.unwrap_err().into(),
        ];
        for err in errors {
            assert!(matches!(err, mast_observations::Error::Proto(Error::InvalidQuery { .. })), "{err:?}");
            let message = err.to_string();
            assert!(message.len() < 300, "the error echoes {} bytes", message.len());
            if name.len() > 1000 {
                assert!(message.contains("(100000 characters) is too long"), "{message}");
                assert!(message.contains(&format!("{}…", "M".repeat(40))), "{message}");
            } else {
                assert!(message.contains("give a name such as M101"), "{message}");
            }
        }
    }
    // A name of exactly the limit is sent.
    let limit = "M".repeat(mast_proto::MAX_OBJECT_NAME_CHARS);
    assert!(mast_proto::check_object_name(&limit).is_ok());
    assert_no_request(&emulator, "bad object names");
}

/// Point 14: an empty service name, `pagesize` 0 and `page` 0, through every entry point that
/// takes them (the request builders keep the value; the client refuses it before sending).
#[tokio::test]
async fn empty_services_and_zero_paging_send_nothing() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    let mast = Mast::new(obs.client().clone());
    let cone = || ServiceRequest::new("Mast.Caom.Cone").param("ra", 1.0).param("dec", 2.0);
    let proto_errors = [
        mast.service_request(ServiceRequest::new("")).await.unwrap_err(),
        mast.service_request(ServiceRequest::new("  ")).await.unwrap_err(),
        mast.service_request_raw(ServiceRequest::new("")).await.unwrap_err(),
        mast.mast_query("", &[], None).await.unwrap_err(),
        mast.service_request(cone().pagesize(0)).await.unwrap_err(),
        mast.service_request(cone().page(0)).await.unwrap_err(),
        mast.service_request_raw(cone().page(0)).await.unwrap_err(),
        mast.mast_query("Mast.Caom.Cone", &[("pagesize".into(), 0.into())], None).await.unwrap_err(),
    ];
    for err in proto_errors {
        assert!(matches!(err, Error::InvalidQuery { .. }), "{err:?}");
    }
    assert_eq!(
        mast.service_request(ServiceRequest::new("")).await.unwrap_err().to_string(),
        "The service name is empty: give a MAST service such as Mast.Caom.Cone."
    );
    let zero_size = QueryOptions::new().pagesize(0);
    let zero_page = QueryOptions::new().page(0);
    let criteria = Criteria::new().add("obs_collection", "HST");
    for (options, message) in [
        (&zero_size, "Invalid pagesize 0: a page holds at least 1 row."),
        (&zero_page, "Invalid page 0: pages are numbered from 1."),
    ] {
        let errors = [
            obs.query_region(region(), options).await.unwrap_err(),
            obs.query_object("M8", options).await.unwrap_err(),
            obs.query_criteria(&criteria, options).await.unwrap_err(),
            obs.query_region_count(region(), options).await.unwrap_err(),
            obs.query_object_count("M8", options).await.unwrap_err(),
            obs.query_criteria_count(&criteria, options).await.unwrap_err(),
        ];
        for err in errors {
            assert!(matches!(err, mast_observations::Error::Proto(Error::InvalidQuery { .. })), "{err:?}");
            assert_eq!(err.to_string(), message);
        }
    }
    assert_no_request(&emulator, "empty services and zero paging");
}

/// Point 14: a radius over 180 degrees cannot be built, whatever the form.
#[test]
fn radius_over_180_degrees_is_refused() {
    for text in ["181", "180.5 deg", "13h", "10801 arcmin", "1e3"] {
        let err = Radius::parse(text).unwrap_err();
        assert!(matches!(err, Error::InvalidRadius { .. }), "{text}: {err:?}");
        assert_eq!(err.class_name(), "InvalidQueryError");
    }
    assert!(Radius::parse("181").unwrap_err().to_string().contains("cannot exceed 180 degrees"));
    assert!(Radius::from_degrees(180.000001).is_err());
    assert_eq!(Radius::parse("180").unwrap().degrees(), 180.0);
}

/// Point 14: `download_file` of a URI that is not `mast:`, `http(s):` or `s3:`, or of a bare
/// `mast:`, is refused by `Source::parse`, before any request.
#[tokio::test]
async fn download_file_refuses_unknown_schemes_and_bare_mast() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    let dir = std::env::temp_dir().join(format!("mast-obs-validation-{}", std::process::id()));
    let options = DownloadFileOptions::new().local_path(&dir);
    for uri in ["ftp://example.org/x.fits", "mast:", "mast:/", "gopher:x", "HST/product/x.fits", "12345", "https://"] {
        let err = obs.download_file(uri, &options).await.unwrap_err();
        match &err {
            mast_observations::Error::Download(e) => {
                assert!(matches!(**e, mast_download::Error::InvalidSource { .. }), "{uri}: {e:?}")
            }
            other => panic!("{uri}: {other:?}"),
        }
        assert_eq!(err.class_name(), "InvalidQueryError", "{uri}");
    }
    let err = obs.download_file("ftp://example.org/x.fits", &options).await.unwrap_err().to_string();
    assert!(err.contains("expected a mast: URI") && err.contains("\"ftp://example.org/x.fits\""), "{err}");
    let err = obs.download_file("mast:", &options).await.unwrap_err().to_string();
    assert!(err.contains("needs a path after 'mast:'"), "{err}");
    assert!(!dir.exists(), "nothing was created for a refused URI");
    // The accepted forms parse to their kinds.
    assert!(matches!(Source::parse("mast:HST/product/x.fits").unwrap(), Source::Mast(_)));
    assert!(matches!(Source::parse("HTTPS://example.org/x").unwrap(), Source::Url(_)));
    assert_no_request(&emulator, "refused download sources");
}

/// Point 14: `get_cloud_uris` with a URI that is not a `mast:` data URI, and product filters
/// that cannot be right (an empty extension, a reversed range), send nothing.
#[cfg(feature = "cloud")]
#[tokio::test]
async fn cloud_uris_and_product_filters_are_checked_first() {
    use mast_observations::{CloudUriInput, CloudUriOptions, ObsIds};
    use mast_proto::products::ProductFilter;

    let emulator = recorded().await;
    let obs = observations(&emulator);
    for uri in ["notmast", "mast:", "s3://stpubdata/hst/x.fits", "https://example.org/x.fits"] {
        let uris = vec!["mast:HST/product/u9o40504m_c3m.fits".to_owned(), uri.to_owned()];
        let err = obs.get_cloud_uris(&uris, &CloudUriOptions::new()).await.unwrap_err();
        assert_eq!(err.class_name(), "InvalidQueryError", "{uri}");
        assert!(err.to_string().contains(&format!("{uri:?}")), "{err}");
    }
    let err = obs.get_cloud_uri("notmast", mast_proto::cloud::CloudUriStyle::S3).await.unwrap_err();
    assert_eq!(err.class_name(), "InvalidQueryError");

    let obsids = vec!["2003738726".to_owned()];
    for (filter, needle) in [
        (ProductFilter::new().extension([""]), "An empty extension would keep every file"),
        (ProductFilter::new().column("size", ["10..5"]), "the range 10..5 is reversed"),
    ] {
        let options = CloudUriOptions::new().filter(filter.clone());
        let err = obs.get_cloud_uris(CloudUriInput::Products(ObsIds::from(&obsids)), &options).await.unwrap_err();
        assert!(matches!(err, mast_observations::Error::Proto(Error::InvalidQuery { .. })), "{err:?}");
        assert!(err.to_string().contains(needle), "{err}");
        // Every download mode plans through the same step, which checks the filter before
        // the product lists are asked for.
        let options = mast_observations::DownloadOptions::new().download_dir("/nonexistent/never").filter(filter);
        let err = obs.download_products(&obsids, &options).await.unwrap_err();
        assert!(err.to_string().contains(needle), "download_products: {err}");
        let err = obs.product_urls(&obsids, &options).await.unwrap_err();
        assert!(err.to_string().contains(needle), "product_urls: {err}");
    }
    for (arg, needle) in [
        ("size=10..5", "product filter 'size': the range 10..5 is reversed"),
        ("productType=", "product filter 'productType': no value after '='"),
        ("extension=", "product filter 'extension': no value after '='"),
    ] {
        let err = ProductFilter::new().arg(arg).unwrap_err();
        assert!(matches!(err, Error::InvalidQuery { .. }) && err.to_string().contains(needle), "{arg}: {err}");
    }
    assert_no_request(&emulator, "bad cloud URIs and filters");
}
