//! Cloud access: cloud URIs through the path lookup, the bucket's datasets, and downloads
//! that prefer MAST's public S3 bucket (the emulator's s3s-fs bucket) with astroquery's
//! fallbacks, `cloud_only` skips and warnings.

use mast_download::Status;
use mast_emulator::{Barrier, Emulator, Fault, FaultRule};
use mast_observations::{
    CloudUriInput, CloudUriOptions, DownloadFileOptions, DownloadOptions, ObsIds, Observations, QueryOptions,
};
use mast_proto::cloud::CloudUriStyle;
use mast_proto::criteria::Criteria;
use mast_proto::products::ProductFilter;
use mast_proto::{MastClient, Table, WarningCategory};

use crate::{config, observations, sky};

/// An HST observation of the generated sky.
const OBSID: &str = "162748935323654";

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mast-obs-cloud-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The products of `OBSID` and which of them MAST says have a cloud copy.
async fn products(emulator: &Emulator) -> (Table, Vec<bool>) {
    let obs = observations(emulator);
    let products = obs.get_product_list(OBSID).await.unwrap();
    let uris: Vec<String> =
        (0..products.num_rows()).map(|i| products.column("dataURI").unwrap().get_str(i).unwrap().to_owned()).collect();
    let client = MastClient::new(config(emulator)).unwrap();
    let in_cloud = client.path_lookup(&uris).await.unwrap().iter().map(Option::is_some).collect();
    (products, in_cloud)
}

fn cloud_observations(emulator: &Emulator) -> Observations {
    let mut obs = observations(emulator);
    obs.enable_cloud_dataset().unwrap();
    obs
}

fn count(warnings: &[mast_proto::Warning], category: WarningCategory, text: &str) -> usize {
    warnings.iter().filter(|w| w.category == category && w.message.contains(text)).count()
}

#[tokio::test]
async fn cloud_downloads_give_the_same_files_and_fall_back_to_mast() {
    let emulator = sky().await;
    let (products, in_cloud) = products(&emulator).await;
    let (cloud, not_cloud) = (in_cloud.iter().filter(|c| **c).count(), in_cloud.iter().filter(|c| !**c).count());
    assert!(cloud > 0 && not_cloud > 0, "the fixture needs both kinds: {in_cloud:?}");

    let https_dir = temp_dir("https");
    let plain = observations(&emulator)
        .download_products(&products, &DownloadOptions::new().download_dir(&https_dir))
        .await
        .unwrap();
    assert_eq!(plain.manifest.count(Status::Complete), products.num_rows());

    emulator.reset_stats();
    let dir = temp_dir("cloud");
    let done = cloud_observations(&emulator)
        .download_products(&products, &DownloadOptions::new().download_dir(&dir))
        .await
        .unwrap();
    assert_eq!(done.manifest.count(Status::Complete), products.num_rows());
    let stats = emulator.stats();
    assert_eq!(stats.count("s3:get"), cloud as u64);
    assert_eq!(stats.count("download"), not_cloud as u64);
    assert_eq!(stats.count("path_lookup"), 1);
    assert_eq!(
        count(&done.warnings, WarningCategory::Input, "was not found in the cloud. Falling back to MAST download."),
        not_cloud
    );
    for (a, b) in plain.manifest.iter().zip(done.manifest.iter()) {
        let relative = a.local_path.strip_prefix(&https_dir).unwrap();
        assert_eq!(b.local_path, dir.join(relative));
        assert_eq!(std::fs::read(&a.local_path).unwrap(), std::fs::read(&b.local_path).unwrap(), "{relative:?}");
    }
    let _ = std::fs::remove_dir_all(&https_dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn cloud_only_skips_what_is_not_in_the_cloud() {
    let emulator = sky().await;
    let (products, in_cloud) = products(&emulator).await;
    emulator.reset_stats();
    let dir = temp_dir("only");
    let done = cloud_observations(&emulator)
        .download_products(&products, &DownloadOptions::new().download_dir(&dir).cloud_only(true))
        .await
        .unwrap();
    for (row, cloud) in done.manifest.iter().zip(&in_cloud) {
        if *cloud {
            assert_eq!(row.status, Status::Complete);
        } else {
            assert_eq!(
                (row.status, row.message.as_deref(), row.url.as_deref()),
                (Status::Skipped, Some("Product not found in cloud"), None)
            );
            assert!(!row.local_path.exists());
        }
    }
    let skipped = in_cloud.iter().filter(|c| !**c).count();
    assert_eq!(
        count(&done.warnings, WarningCategory::NoResults, "was not found in the cloud. Skipping download."),
        skipped
    );
    assert_eq!(emulator.stats().count("download"), 0, "nothing from MAST with cloud_only");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn unreadable_cloud_copies_fall_back_or_are_skipped() {
    let emulator = sky().await;
    let (products, in_cloud) = products(&emulator).await;
    let cloud = in_cloud.iter().filter(|c| **c).count();
    emulator.set_faults(vec![FaultRule::new("s3:get", Fault::Status { code: 503, retry_after: None })]);

    let dir = temp_dir("fallback");
    let done = cloud_observations(&emulator)
        .download_products(&products, &DownloadOptions::new().download_dir(&dir))
        .await
        .unwrap();
    assert_eq!(done.manifest.count(Status::Complete), products.num_rows());
    assert_eq!(count(&done.warnings, WarningCategory::Input, "from cloud: "), cloud);
    assert!(done.manifest.iter().filter(|r| r.fallback_from.is_some()).count() == cloud);

    let dir2 = temp_dir("fallback-only");
    let done = cloud_observations(&emulator)
        .download_products(&products, &DownloadOptions::new().download_dir(&dir2).cloud_only(true))
        .await
        .unwrap();
    assert_eq!(done.manifest.count(Status::Skipped), products.num_rows());
    assert_eq!(count(&done.warnings, WarningCategory::NoResults, ". Skipping download."), products.num_rows());
    for (row, c) in done.manifest.iter().zip(&in_cloud) {
        if *c {
            assert!(row.message.as_deref().unwrap().starts_with("could not download s3://"), "{:?}", row.message);
        }
    }
    emulator.set_faults(Vec::new());
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&dir2);
}

#[tokio::test]
async fn cloud_only_without_cloud_access_warns_and_uses_mast() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    let dir = temp_dir("off");
    let options =
        DownloadOptions::new().download_dir(&dir).cloud_only(true).filter(ProductFilter::new().extension(["fits"]));
    let done = obs.download_products(OBSID, &options).await.unwrap();
    assert!(done.manifest.count(Status::Complete) > 0);
    assert_eq!(
        count(&done.warnings, WarningCategory::Input, "`cloud_only` is True but cloud data access is not enabled."),
        1
    );
    assert_eq!(emulator.stats().count("path_lookup"), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn cloud_uris_from_products_uris_and_criteria() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    let (products, in_cloud) = products(&emulator).await;

    let found = obs.get_cloud_uris(&products, &CloudUriOptions::new()).await.unwrap();
    assert_eq!(found.entries().len(), products.num_rows());
    // Observations (here an obsid) give the same as their products table.
    let by_obsid =
        obs.get_cloud_uris(CloudUriInput::Products(ObsIds::from(OBSID)), &CloudUriOptions::new()).await.unwrap();
    assert_eq!(by_obsid.entries(), found.entries());
    assert_eq!(found.uris().len(), in_cloud.iter().filter(|c| **c).count());
    assert!(found.uris().iter().all(|u| u.starts_with("s3://stpubdata/")));
    let table = found.to_table();
    assert_eq!(table.column_names().collect::<Vec<_>>(), ["dataURI", "cloudURI"]);
    for (i, c) in in_cloud.iter().enumerate() {
        assert_eq!(!table.column("cloudURI").unwrap().is_masked(i), *c);
    }

    // Filters apply to tables; keys and URLs instead of s3:// URIs; no HEADs when not verifying.
    emulator.reset_stats();
    let fits =
        CloudUriOptions::new().filter(ProductFilter::new().extension(["fits"])).style(CloudUriStyle::Key).verify(false);
    let keys = obs.get_cloud_uris(&products, &fits).await.unwrap();
    assert!(keys.entries().iter().all(|(u, _)| u.ends_with(".fits")));
    assert!(keys.uris().iter().all(|k| !k.starts_with("s3://") && !k.starts_with('/')));
    assert_eq!(emulator.stats().count("s3:head"), 0);
    let first = found.entries().iter().find(|(_, c)| c.is_some()).unwrap().0.clone();
    let one = obs.get_cloud_uri(&first, CloudUriStyle::HttpUrl).await.unwrap().unwrap();
    assert!(one.starts_with("http://s3.amazonaws.com/stpubdata/"), "{one}");

    // A list of URIs: duplicates dropped in order; filters are not applied (a warning).
    let uris = vec![first.clone(), first.clone(), "mast:HST/product/does_not_exist.fits".to_owned()];
    let listed = obs.get_cloud_uris(&uris, &fits).await.unwrap();
    assert_eq!(listed.entries().len(), 2);
    assert_eq!(count(listed.warnings(), WarningCategory::Input, "Filtering is not supported"), 1);
    assert_eq!(
        count(
            listed.warnings(),
            WarningCategory::NoResults,
            "Failed to retrieve cloud path for mast:HST/product/does_not_exist.fits"
        ),
        1
    );

    // Nothing to look up.
    let none = obs.get_cloud_uris(&Vec::<String>::new(), &CloudUriOptions::new()).await.unwrap();
    assert!(none.entries().is_empty());
    assert_eq!(
        count(none.warnings(), WarningCategory::NoResults, "No matching products to fetch associated cloud URIs."),
        1
    );

    // Criteria: observations, then products, then the filter.
    let criteria = Criteria::new().add("obs_collection", ["HST"]);
    let near_m101 = CloudUriOptions::new().query(QueryOptions::new().object_name("M101"));
    let by_criteria = obs.get_cloud_uris(&criteria, &near_m101).await.unwrap();
    assert!(!by_criteria.uris().is_empty(), "{:?}", by_criteria.warnings());
    assert!(by_criteria.entries().iter().all(|(u, _)| u.starts_with("mast:HST/")));

    // A removed copy is not reported (the HEAD check).
    let key = keys.uris()[0].to_owned();
    assert!(emulator.remove_cloud_object(&key));
    let head_checked = obs
        .get_cloud_uris(&products, &CloudUriOptions::new().filter(ProductFilter::new().extension(["fits"])))
        .await
        .unwrap();
    assert_eq!(head_checked.uris().len(), keys.uris().len() - 1);
}

/// `get_cloud_uris` checks keys with 16 `HEAD`s in flight, reached (a barrier holds the
/// first 16 until all are in flight: it times out if fewer are ever sent at once) and never
/// exceeded, even when URIs without a key sit among them; one path lookup, not retried.
#[tokio::test]
async fn cloud_uris_are_verified_sixteen_heads_at_a_time() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    // 40 URIs (one lookup): 37 small products in the cloud, 3 with no cloud copy among them.
    let mut in_cloud = (0..)
        .map(|i| format!("mast:HST/product/h{i:04}head_q.dat"))
        .filter(|u| mast_emulator::cloud::cloud_key(u).is_some());
    let uris: Vec<String> = (0..40)
        .map(|i| match i {
            3 | 17 | 30 => format!("mast:HST/product/does_not_exist_{i}.fits"),
            _ => in_cloud.next().unwrap(),
        })
        .collect();
    let keyed = uris.iter().filter(|u| mast_emulator::cloud::cloud_key(u).is_some()).count();
    assert_eq!(keyed, 37, "the URIs chosen: 37 with a cloud copy");
    assert!(uris.iter().all(|u| emulator.file_size(u) <= 3_000_000), "small copies: the lookup writes them");
    emulator.reset_stats();
    emulator.set_barriers(vec![Barrier::new("s3:head", 16)]);
    let found = obs.get_cloud_uris(&uris, &CloudUriOptions::new()).await.unwrap();
    let stats = emulator.stats();
    assert_eq!(stats.count("path_lookup"), 1, "one lookup of 40 URIs, not retried: {stats:?}");
    assert_eq!(stats.count("s3:head"), 37, "one HEAD per key: {stats:?}");
    assert_eq!(stats.barriers_timed_out, 0, "16 HEADs were in flight at once: {stats:?}");
    assert_eq!(stats.max_concurrency, 16, "and never more: {stats:?}");
    assert_eq!(stats.total, 38, "{stats:?}");
    // The answer keeps the input's order, the three without a copy unmatched.
    assert_eq!(found.entries().len(), 40);
    for (i, (uri, cloud)) in found.entries().iter().enumerate() {
        assert_eq!(uri, &uris[i]);
        assert_eq!(cloud.is_none(), [3, 17, 30].contains(&i), "{i}: {uri} {cloud:?}");
    }
}

#[tokio::test]
async fn datasets_of_the_bucket() {
    let emulator = sky().await;
    let datasets = observations(&emulator).list_cloud_datasets().await.unwrap();
    assert_eq!(datasets, ["galex", "hst", "jwst", "mast/hlsp/tica", "panstarrs", "tess"]);
}

#[tokio::test]
async fn download_file_prefers_the_cloud_with_astroquery_fallbacks() {
    let emulator = sky().await;
    let in_cloud = "mast:HST/product/u9o40504m_c3m.fits";
    let missing = "mast:HST/product/does_not_exist.fits";
    let dir = temp_dir("file");
    let into = |sub: &str| DownloadFileOptions::new().local_path(dir.join(sub));
    let status = |done: &mast_observations::Downloaded| {
        let row = &done.manifest.rows()[0];
        (row.status, row.message.clone(), row.url.clone())
    };

    // Bad arguments fail before any request.
    let obs = cloud_observations(&emulator);
    emulator.reset_stats();
    let both = obs.download_file(in_cloud, &into("x").cloud_only(true).force_on_prem(true)).await;
    assert!(
        matches!(&both, Err(mast_observations::Error::Proto(mast_proto::Error::InvalidQuery { message })) if message.contains("Invalid argument combination")),
        "{both:?}"
    );
    let empty = obs.download_file("  ", &into("x")).await;
    assert!(
        matches!(&empty, Err(mast_observations::Error::Proto(mast_proto::Error::InvalidQuery { message })) if message.contains("A valid data product URI")),
        "{empty:?}"
    );
    assert_eq!(emulator.stats().total, 0);

    // In the cloud: one lookup, one GET from the bucket, none from MAST.
    let done = obs.download_file(in_cloud, &into("cloud")).await.unwrap();
    assert_eq!(status(&done), (Status::Complete, None, None));
    assert!(done.warnings.is_empty(), "{:?}", done.warnings);
    let stats = emulator.stats();
    assert_eq!((stats.count("path_lookup"), stats.count("s3:get"), stats.count("download")), (1, 1, 0));
    let from_cloud = std::fs::read(dir.join("cloud/u9o40504m_c3m.fits")).unwrap();

    // force_on_prem: MAST only, same bytes.
    emulator.reset_stats();
    let done = obs.download_file(in_cloud, &into("prem").force_on_prem(true)).await.unwrap();
    assert_eq!(status(&done), (Status::Complete, None, None));
    let stats = emulator.stats();
    assert_eq!((stats.count("path_lookup"), stats.count("s3:get"), stats.count("download")), (0, 0, 1));
    assert_eq!(std::fs::read(dir.join("prem/u9o40504m_c3m.fits")).unwrap(), from_cloud);

    // Not in the cloud: cloud_only skips with a NoResultsWarning and no file; otherwise MAST
    // is asked (here it has no such file either) after an InputWarning.
    let done = obs.download_file(missing, &into("missing").cloud_only(true)).await.unwrap();
    assert_eq!(status(&done), (Status::Skipped, None, None));
    assert_eq!(
        count(
            &done.warnings,
            WarningCategory::NoResults,
            &format!("The product {missing} was not found in the cloud. Skipping download.")
        ),
        1
    );
    assert!(!dir.join("missing/does_not_exist.fits").exists());
    let done = obs.download_file(missing, &into("missing")).await.unwrap();
    assert_eq!(done.manifest.rows()[0].status, Status::Error);
    assert_eq!(
        count(&done.warnings, WarningCategory::Input, "was not found in the cloud. Falling back to MAST download."),
        1
    );

    // An unreadable cloud copy: fall back to MAST, or SKIPPED with cloud_only.
    emulator.set_faults(vec![FaultRule::new("s3:get", Fault::Status { code: 503, retry_after: None })]);
    let done = obs.download_file(in_cloud, &into("fallback")).await.unwrap();
    assert_eq!(status(&done), (Status::Complete, None, None));
    assert_eq!(count(&done.warnings, WarningCategory::Input, "Falling back to MAST download."), 1);
    assert_eq!(std::fs::read(dir.join("fallback/u9o40504m_c3m.fits")).unwrap(), from_cloud);
    let done = obs.download_file(in_cloud, &into("skipped").cloud_only(true)).await.unwrap();
    assert_eq!(status(&done), (Status::Skipped, None, None));
    assert_eq!(count(&done.warnings, WarningCategory::NoResults, "Skipping download."), 1);
    assert!(!dir.join("skipped/u9o40504m_c3m.fits").exists());
    emulator.set_faults(Vec::new());

    // A copy the lookup names but the bucket lost: reported as not in the cloud.
    let client = MastClient::new(config(&emulator)).unwrap();
    let key = client.path_lookup(&[in_cloud]).await.unwrap().remove(0).unwrap();
    assert!(emulator.remove_cloud_object(&key));
    let done = obs.download_file(in_cloud, &into("lost-only").cloud_only(true)).await.unwrap();
    assert_eq!(status(&done), (Status::Skipped, None, None));
    assert_eq!(
        count(
            &done.warnings,
            WarningCategory::NoResults,
            &format!("The product {in_cloud} was not found in the cloud. Skipping download.")
        ),
        1,
        "{:?}",
        done.warnings
    );
    let done = obs.download_file(in_cloud, &into("lost")).await.unwrap();
    assert_eq!(status(&done), (Status::Complete, None, None));
    assert_eq!(
        count(
            &done.warnings,
            WarningCategory::Input,
            &format!("The product {in_cloud} was not found in the cloud. Falling back to MAST download.")
        ),
        1,
        "{:?}",
        done.warnings
    );

    // Cloud access off: cloud_only only warns, MAST is used.
    let done = observations(&emulator).download_file(in_cloud, &into("off").cloud_only(true)).await.unwrap();
    assert_eq!(status(&done), (Status::Complete, None, None));
    assert_eq!(count(&done.warnings, WarningCategory::Input, "cloud data access is not enabled"), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn urls_scripts_and_s3_uris_with_cloud_access() {
    let emulator = sky().await;
    let (products, in_cloud) = products(&emulator).await;
    let obs = cloud_observations(&emulator);
    let dir = temp_dir("urls");
    std::fs::create_dir_all(&dir).unwrap();

    // URL-only: s3:// for cloud copies, MAST for the rest; cloud_only keeps the skipped rows
    // with a masked URL.
    let urls = obs.product_urls(&products, &DownloadOptions::new().download_dir(&dir)).await.unwrap();
    let only = obs.product_urls(&products, &DownloadOptions::new().download_dir(&dir).cloud_only(true)).await.unwrap();
    assert_eq!((urls.num_rows(), only.num_rows()), (products.num_rows(), products.num_rows()));
    for (i, cloud) in in_cloud.iter().enumerate() {
        let url = urls.column("URL").unwrap().get_str(i).unwrap();
        assert_eq!(url.starts_with("s3://stpubdata/"), *cloud, "{url}");
        assert_eq!(only.column("URL").unwrap().is_masked(i), !*cloud);
    }

    // A curl script always fetches from MAST over HTTPS.
    let script = dir.join("fetch.sh");
    obs.write_curl_script(&products, &DownloadOptions::new().download_dir(&dir), &script).await.unwrap();
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(!text.contains("s3://"), "{text}");
    assert_eq!(text.matches("/api/v0.1/Download/file?uri=").count(), products.num_rows(), "{text}");

    // download_file takes an s3:// URI as it is, with or without cloud access.
    let uri = "mast:HST/product/u24r0102t_c1f.fits";
    let client = MastClient::new(config(&emulator)).unwrap();
    let key = client.path_lookup(&[uri]).await.unwrap().remove(0).unwrap();
    let s3 = format!("s3://stpubdata/{key}");
    emulator.reset_stats();
    let done = observations(&emulator)
        .download_file(&s3, &DownloadFileOptions::new().local_path(dir.join("s3")))
        .await
        .unwrap();
    assert_eq!(done.manifest.rows()[0].status, Status::Complete, "{:?}", done.manifest.rows()[0].message);
    assert!(done.warnings.is_empty(), "{:?}", done.warnings);
    let stats = emulator.stats();
    assert_eq!((stats.count("s3:get"), stats.count("download"), stats.count("path_lookup")), (1, 0, 0));
    let done = obs.download_file(&s3, &DownloadFileOptions::new().local_path(dir.join("s3-cloud"))).await.unwrap();
    assert_eq!(done.manifest.rows()[0].status, Status::Complete);
    assert!(done.warnings.is_empty(), "{:?}", done.warnings);
    assert_eq!(
        std::fs::read(dir.join("s3/u24r0102t_c1f.fits")).unwrap(),
        std::fs::read(dir.join("s3-cloud/u24r0102t_c1f.fits")).unwrap()
    );
    // An s3:// URI cannot come from MAST.
    let prem = obs.download_file(&s3, &DownloadFileOptions::new().force_on_prem(true)).await;
    assert!(
        matches!(&prem, Err(mast_observations::Error::Proto(mast_proto::Error::InvalidQuery { message })) if message.contains("cloud URI")),
        "{prem:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
