//! Product lists over the generated sky: batching, order, concurrency, FFI filtering.

use mast_emulator::Barrier;
use mast_observations::QueryOptions;
use mast_proto::{MastClient, Position, ServiceRequest, WarningCategory};

use crate::{config, observations, sky};

async fn sky_obsids(emulator: &mast_emulator::Emulator, n: u64) -> Vec<String> {
    let client = MastClient::new(config(emulator)).unwrap();
    let cone = ServiceRequest::new("Mast.Caom.Cone")
        .param("ra", 150.1)
        .param("dec", 2.2)
        .param("radius", 0.5)
        .param("emulator_rows", n);
    let table = client.portal_table(cone).await.unwrap();
    let obsid = table.column("obsid").unwrap();
    (0..table.num_rows()).map(|i| obsid.get_str(i).unwrap().to_owned()).collect()
}

#[tokio::test]
async fn batches_of_500_merge_in_input_order() {
    let emulator = sky().await;
    let mut ids = sky_obsids(&emulator, 2_345).await;
    ids.reverse(); // an order the server would not produce by itself
    emulator.reset_stats();
    let obs = observations(&emulator);
    let products = obs.get_product_list(&ids).await.unwrap();
    let stats = emulator.stats();
    assert_eq!(stats.count("invoke:Mast.Caom.Products"), 5, "2,345 obsids in batches of 500: {stats:?}");
    assert!(stats.max_concurrency <= 4, "{stats:?}");

    // Every product belongs to an input observation, in input order, each observation's
    // products contiguous.
    let obs_col = products.column("obsID").unwrap();
    let position = |id: &str| ids.iter().position(|x| x == id).unwrap();
    let mut last = 0;
    let mut seen = std::collections::HashSet::new();
    for row in 0..products.num_rows() {
        let id = obs_col.get_str(row).unwrap();
        let p = position(id);
        assert!(p >= last, "row {row}: obsid {id} (input #{p}) after input #{last}");
        last = p;
        seen.insert(id.to_owned());
    }
    assert_eq!(seen.len(), ids.len(), "every observation has products");

    // The same list fetched one batch at a time (astroquery's way) is identical.
    let sequential =
        mast_observations::Observations::new(MastClient::new(config(&emulator).with_page_concurrency(1)).unwrap());
    assert_eq!(sequential.get_product_list(&ids).await.unwrap(), products);
    // A smaller batch size gives the same rows too.
    assert_eq!(obs.clone().with_batch_size(120).get_product_list(&ids).await.unwrap(), products);
}

/// The client's bound (`page_concurrency`, 4 by default) holds over batches × pages, and is
/// reached: small batches and pages give far more work than room, an emulator barrier holds
/// the first requests until the bound is in flight (or times out), and the latency keeps
/// every request in flight, so the emulator must see exactly the bound, never more.
#[tokio::test]
async fn the_concurrency_bound_is_reached_and_not_exceeded() {
    let emulator = sky().await;
    let ids = sky_obsids(&emulator, 240).await;
    let expected = observations(&emulator).get_product_list(&ids).await.unwrap();
    for bound in [4, 2] {
        let client = MastClient::new(config(&emulator).with_page_concurrency(bound).with_pagesize(50)).unwrap();
        let obs = mast_observations::Observations::new(client).with_batch_size(40);
        emulator.set_latency(std::time::Duration::from_millis(150));
        emulator.reset_stats();
        emulator.set_barriers(vec![Barrier::new("invoke:Mast.Caom.Products", bound as u32)]);
        let products = obs.get_product_list(&ids).await.unwrap();
        emulator.set_latency(std::time::Duration::ZERO);
        let stats = emulator.stats();
        // 6 batches, each of several pages: far more requests than the bound.
        assert!(stats.count("invoke:Mast.Caom.Products") >= 3 * bound as u64, "{stats:?}");
        assert_eq!(
            (stats.max_concurrency, stats.barriers_timed_out),
            (bound as u64, 0),
            "the bound is reached, never exceeded: {stats:?}"
        );
        assert_eq!(products, expected);
    }
}

#[tokio::test]
async fn every_page_of_every_batch_is_kept() {
    let emulator = sky().await;
    let ids = sky_obsids(&emulator, 300).await;
    let full = observations(&emulator).get_product_list(&ids).await.unwrap();
    // Pages of 100 products: astroquery would keep only the first page of each batch.
    let client = MastClient::new(config(&emulator).with_pagesize(100)).unwrap();
    let paged = mast_observations::Observations::new(client).get_product_list(&ids).await.unwrap();
    assert!(full.num_rows() > 300);
    assert_eq!(paged, full);
}

#[tokio::test]
async fn ffi_observations_are_dropped_with_a_warning() {
    let emulator = sky().await;
    let obs = observations(&emulator);
    let position = Position::new(150.1, 2.2).unwrap();
    let cone = obs.query_region(position, &QueryOptions::new().radius("1 deg".parse().unwrap())).await.unwrap();
    let targets = cone.column("target_name").unwrap();
    let ffis = (0..cone.num_rows()).filter(|&i| matches!(targets.get_str(i), Some("TESS FFI" | "TICA FFI"))).count();
    // The cone holds FFI observations (the generated sky puts them there), so the filter runs.
    assert!(ffis > 0 && ffis < cone.num_rows(), "{ffis} FFIs of {} observations", cone.num_rows());
    let products = obs.get_product_list(&cone).await.unwrap();
    let w = products.warnings().iter().find(|w| w.category == WarningCategory::Input).expect("a warning");
    assert!(w.message.contains("FFI"), "{w}");
    let product_obsids: std::collections::HashSet<&str> =
        (0..products.num_rows()).filter_map(|i| products.column("obsID").unwrap().get_str(i)).collect();
    for i in 0..cone.num_rows() {
        if matches!(targets.get_str(i), Some("TESS FFI" | "TICA FFI")) {
            assert!(!product_obsids.contains(cone.column("obsid").unwrap().get_str(i).unwrap()));
        }
    }
}

/// Issue 11, point 19: an observations table with repeated obsids sends each obsid once
/// (order kept), says so, and lists each product once, in every entry point that takes
/// observations.
#[tokio::test]
async fn repeated_obsids_are_sent_once_with_a_note() {
    let emulator = sky().await;
    let client = MastClient::new(config(&emulator)).unwrap();
    let cone = ServiceRequest::new("Mast.Caom.Cone")
        .param("ra", 150.1)
        .param("dec", 2.2)
        .param("radius", 0.5)
        .param("emulator_rows", 3);
    let cone = client.portal_table(cone).await.unwrap();
    assert_eq!(cone.num_rows(), 3);
    let repeated = cone.take([2, 0, 2, 1, 0, 2]);
    let unique_order = cone.take([2, 0, 1]);
    // One obsid per batch: the number of product-list requests is the number of obsids sent.
    let obs = observations(&emulator).with_batch_size(1);
    let expected = obs.get_product_list(&unique_order).await.unwrap();
    assert!(expected.warnings().is_empty(), "{:?}", expected.warnings());

    emulator.reset_stats();
    let products = obs.get_product_list(&repeated).await.unwrap();
    assert_eq!(emulator.stats().count("invoke:Mast.Caom.Products"), 3, "{:?}", emulator.stats());
    assert_eq!(products.to_csv(), expected.to_csv(), "same rows, in the first-seen order of the obsids");
    let uris = products.column("dataURI").unwrap();
    let distinct: std::collections::HashSet<&str> = (0..products.num_rows()).filter_map(|i| uris.get_str(i)).collect();
    assert_eq!(distinct.len(), products.num_rows(), "each product once");
    let notes: Vec<_> = products.warnings().iter().filter(|w| w.category == WarningCategory::Input).collect();
    assert_eq!(notes.len(), 1, "{:?}", products.warnings());
    assert_eq!(
        notes[0].message,
        "3 of 6 observation ids were repeats and are sent once: fetching products for 3 unique observations."
    );

    // Obsid lists and comma-joined ids too.
    let ids: Vec<String> = (0..6).map(|i| repeated.column("obsid").unwrap().get(i).to_string()).collect();
    emulator.reset_stats();
    let from_ids = obs.get_product_list(&ids).await.unwrap();
    assert_eq!(emulator.stats().count("invoke:Mast.Caom.Products"), 3);
    assert_eq!(from_ids.to_csv(), expected.to_csv());
    let joined = format!("{},{}, {}", ids[0], ids[1], ids[0]);
    emulator.reset_stats();
    let from_joined = obs.get_product_list(&joined).await.unwrap();
    assert_eq!(emulator.stats().count("invoke:Mast.Caom.Products"), 1);
    assert_eq!(from_joined.warnings().len(), 1, "{:?}", from_joined.warnings());
    let two = obs.get_product_list(&ids[..2].to_vec()).await.unwrap();
    assert_eq!(from_joined.to_csv(), two.to_csv());

    // download_products given observations (URL-only: the same planning step).
    emulator.reset_stats();
    let urls = obs.product_urls(&repeated, &mast_observations::DownloadOptions::new()).await.unwrap();
    assert_eq!(emulator.stats().count("invoke:Mast.Caom.Products"), 3);
    assert_eq!(urls.num_rows(), products.num_rows());
    assert!(urls.warnings().iter().any(|w| w.message.contains("observation ids were repeats")));

    // get_cloud_uris given observations.
    #[cfg(feature = "cloud")]
    {
        emulator.reset_stats();
        let cloud =
            obs.get_cloud_uris(&repeated, &mast_observations::CloudUriOptions::new().verify(false)).await.unwrap();
        assert_eq!(emulator.stats().count("invoke:Mast.Caom.Products"), 3);
        assert_eq!(cloud.entries().len(), products.num_rows());
        assert!(cloud.warnings().iter().any(|w| w.message.contains("observation ids were repeats")));
    }
}

/// Issue 18, point 8: pages and batches are joined in their order, not in the order they
/// arrive. With `page_concurrency` 2, the first of the concurrent requests to reach the
/// emulator (one of the first two) is slowed by a fault rule while the later ones complete
/// before it; since more requests follow it, that request is never the last, so a join in
/// arrival order (`buffer_unordered`) would move its rows to the end.
#[tokio::test]
async fn a_slow_early_page_or_batch_keeps_its_place() {
    use mast_emulator::{Fault, FaultRule};
    let emulator = sky().await;
    let slow = Fault::SlowFirstByte { millis: 600 };

    // Portal pages: page 1 alone first, then pages 2..12 two at a time.
    let cone = ServiceRequest::new("Mast.Caom.Cone")
        .param("ra", 150.1)
        .param("dec", 2.2)
        .param("radius", 0.5)
        .param("emulator_rows", 600);
    let sequential = MastClient::new(config(&emulator).with_page_concurrency(1).with_pagesize(50)).unwrap();
    let expected = sequential.portal_table(cone.clone()).await.unwrap();
    assert_eq!(expected.num_rows(), 600);
    let client = MastClient::new(config(&emulator).with_page_concurrency(2).with_pagesize(50)).unwrap();
    emulator.reset_stats();
    emulator.set_faults(vec![FaultRule::new("invoke:Mast.Caom.Cone", slow.clone()).after(1).times(1)]);
    let table = client.portal_table(cone).await.unwrap();
    let stats = emulator.stats();
    assert_eq!((stats.faults_injected, stats.count("invoke:Mast.Caom.Cone")), (1, 12), "{stats:?}");
    assert_eq!(table.to_csv(), expected.to_csv(), "rows in page order");

    // Product-list batches: one page each, six batches two at a time.
    let ids = sky_obsids(&emulator, 240).await;
    emulator.set_faults(Vec::new());
    let expected = observations(&emulator).with_batch_size(40).get_product_list(&ids).await.unwrap();
    let obs =
        mast_observations::Observations::new(MastClient::new(config(&emulator).with_page_concurrency(2)).unwrap())
            .with_batch_size(40);
    emulator.reset_stats();
    emulator.set_faults(vec![FaultRule::new("invoke:Mast.Caom.Products", slow).times(1)]);
    let products = obs.get_product_list(&ids).await.unwrap();
    let stats = emulator.stats();
    assert_eq!((stats.faults_injected, stats.count("invoke:Mast.Caom.Products")), (1, 6), "{stats:?}");
    assert_eq!(products.to_csv(), expected.to_csv(), "batches in input order");
    emulator.set_faults(Vec::new());
}
