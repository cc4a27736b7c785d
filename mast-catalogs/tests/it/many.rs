//! Many targets in one call: order, per-target errors, the concurrency bound.

use std::collections::BTreeSet;
use std::time::Duration;

use mast_catalogs::{QueryOptions, TARGET_COLUMNS, Target};
use mast_emulator::{Barrier, Fault, FaultRule};
use mast_proto::{MastClient, MastConfig, Position, Radius};

use super::{catalogs, recorded};

const HSC: &str = "invoke:Mast.Hsc.Db.v3";

fn positions(n: usize) -> Vec<Position> {
    (0..n).map(|i| Position::new(i as f64 * 0.7 % 360.0, (i as f64 * 0.13) % 80.0 - 40.0).unwrap()).collect()
}

fn small() -> QueryOptions {
    QueryOptions::new().radius(Radius::from_degrees(0.002).unwrap())
}

/// The `_target` of every row.
fn target_column(table: &mast_proto::Table) -> Vec<i64> {
    let c = table.column("_target").unwrap();
    (0..table.num_rows()).map(|i| c.get_i64(i).unwrap()).collect()
}

/// 500 cones with failures injected: every target is answered or reported, in input order,
/// and the emulator never sees more cones at once than the client's bound, which is reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_cones_with_faults_keep_order_and_the_bound() {
    let emulator = recorded().await;
    let one = catalogs(&emulator).query_region(positions(1)[0], &small()).await.unwrap();
    let per_target = one.num_rows();
    assert!(per_target > 0);

    let bound = 4;
    let config =
        MastConfig::new().with_all_urls(emulator.base_url()).unwrap().with_retries(0).with_page_concurrency(bound);
    let catalogs = mast_catalogs::Catalogs::new(MastClient::new(config).unwrap());
    emulator.reset_stats();
    // Seven cones fail for good (no retries); the first `bound` are held until all are in flight.
    emulator.set_faults(vec![FaultRule::new(HSC, Fault::Status { code: 500, retry_after: None }).after(20).times(7)]);
    emulator.set_barriers(vec![Barrier::new(HSC, bound as u32)]);
    emulator.set_latency(Duration::from_millis(5));
    let targets = positions(500);
    let found = catalogs.query_region_many(&targets, &small()).await.unwrap();
    emulator.set_latency(Duration::ZERO);

    let stats = emulator.stats();
    assert_eq!(stats.count(HSC), 500, "one cone per target");
    assert_eq!((stats.max_concurrency, stats.barriers_timed_out), (bound as u64, 0), "{stats:?}");

    // Every target is either in the table or an error, never both, never lost.
    assert_eq!(found.errors.len(), 7);
    let failed: BTreeSet<usize> = found.errors.iter().map(|e| e.index).collect();
    assert_eq!(failed.len(), 7);
    for e in &found.errors {
        assert_eq!(e.target, Target::Position(targets[e.index]));
        assert_eq!(e.error.class_name(), "HTTPError", "{e}");
    }
    let rows = target_column(&found.table);
    assert_eq!(rows.len(), (500 - 7) * per_target);
    assert!(rows.windows(2).all(|w| w[0] <= w[1]), "input order");
    let answered: BTreeSet<usize> = rows.iter().map(|&i| i as usize).collect();
    assert!(answered.is_disjoint(&failed));
    assert_eq!(answered.len() + failed.len(), 500);

    // The target columns come first and say where each row's cone was.
    let names: Vec<&str> = found.table.column_names().take(5).collect();
    assert_eq!(&names[..4], TARGET_COLUMNS);
    assert_eq!(names[4], one.column_names().next().unwrap());
    let last = found.table.num_rows() - 1;
    let (ra, dec) = (found.table.column("_target_ra").unwrap(), found.table.column("_target_dec").unwrap());
    let t = rows[last] as usize;
    assert_eq!((ra.get_f64(last), dec.get_f64(last)), (Some(targets[t].ra()), Some(targets[t].dec())));
    assert!(found.table.column("_target_name").unwrap().is_masked(last));
}

#[tokio::test]
async fn names_are_resolved_per_target_and_a_bad_name_is_only_its_error() {
    let emulator = recorded().await;
    let catalogs = catalogs(&emulator);
    let found = catalogs.query_object_many(&["M101", "no such object xyz", "M10"], &small()).await.unwrap();
    assert_eq!(found.errors.len(), 1);
    assert_eq!(found.errors[0].index, 1);
    assert!(found.errors[0].to_string().starts_with("target 1 (no such object xyz): "), "{}", found.errors[0]);
    let rows = target_column(&found.table);
    assert_eq!(rows.first(), Some(&0));
    assert_eq!(rows.last(), Some(&2));
    let name = found.table.column("_target_name").unwrap();
    assert_eq!(name.get_str(0), Some("M101"));
    assert_eq!(name.get_str(found.table.num_rows() - 1), Some("M10"));
    // The resolved position of M101 (the recorded resolver answer) is the one queried.
    let m101 = mast_proto::Mast::new(catalogs.client().clone()).resolve_object("M101").await.unwrap();
    assert_eq!(found.table.column("_target_ra").unwrap().get_f64(0), Some(m101.ra()));
}

#[tokio::test]
async fn an_invalid_query_fails_the_call_before_any_request() {
    let emulator = recorded().await;
    let catalogs = catalogs(&emulator);
    let bad = small().criteria(mast_proto::criteria::Criteria::new().add("magtyp", 1));
    let error = catalogs.query_region_many(&positions(3), &bad).await.unwrap_err();
    assert_eq!(error.class_name(), "InvalidQueryError");
    let error = catalogs.query_region_many(&positions(3), &small().pagesize(0)).await.unwrap_err();
    assert_eq!(error.class_name(), "InvalidQueryError");
    assert_eq!(emulator.stats().count("invoke"), 0);
}
