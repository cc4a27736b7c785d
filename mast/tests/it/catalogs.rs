//! `mast catalogs ...` against the recorded emulator.

use mast_emulator::{DataMode, Emulator, EmulatorConfig, LoggedBody};
use serde_json::json;

use super::{mast, stderr_last_line};

async fn recorded() -> Emulator {
    Emulator::start(EmulatorConfig::default().data_mode(DataMode::Recorded)).await.unwrap()
}

/// With PanSTARRS, `--columns` goes to the catalogs API (and is not applied again to the
/// output); decorated criteria and sort keys take astroquery's wire forms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panstarrs_flags_reach_the_service() {
    let emulator = recorded().await;
    let output = mast(&emulator)
        .env("MAST_CATALOGS_URL", emulator.base_url())
        .args(["catalogs", "query-region", "322.49324 12.16683", "--radius", "0.02", "--catalog", "panstarrs"])
        .args(["--columns", "objID,iMeanApMag,objName", "--sort-by", "iMeanApMag:desc"])
        .args(["--criteria", "nDetections=gte:2,lt:10", "--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let search = emulator
        .requests_for("services:panstarrs")
        .into_iter()
        .find(|r| r.path == "/api/v0.1/panstarrs/dr2/mean.json")
        .unwrap();
    let LoggedBody::Json(body) = search.body else { panic!("{:?}", search.body) };
    assert_eq!(
        body,
        json!({"page": 1, "pagesize": 50000, "ra": 322.49324, "dec": 12.16683, "radius": 0.02,
               "nDetections.gte": 2, "nDetections.lt": 10, "columns": ["objID", "iMeanApMag", "objName"],
               "sort_by": ["iMeanApMag.desc"]})
    );
    // The recorded answer has 6 columns; they are printed as the service sent them.
    let csv = String::from_utf8(output.stdout).unwrap();
    assert_eq!(csv.lines().next().unwrap().split(',').count(), 6, "{csv}");
    assert_eq!(csv.lines().count(), 2 + 35);
}

/// Refusals are astroquery's errors, before any request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_send_nothing() {
    let emulator = recorded().await;
    let cases: [(&[&str], &str); 4] = [
        (
            &["query-criteria", "--catalog", "Tic", "--objectname", "M10"],
            "InvalidQueryError: At least one non-positional criterion must be supplied.",
        ),
        (
            &["query-criteria", "--catalog", "Hsc", "--criteria", "MatchID=1"],
            "InvalidQueryError: Criteria query not available for Hsc",
        ),
        (
            &["query-region", "1 2", "--catalog", "hsc", "--criteria", "magtyp=1"],
            "InvalidQueryError: Filter 'magtyp' does not exist for catalog hsc. Did you mean 'magtype'?",
        ),
        (
            &["query-region", "1 2", "--catalog", "panstarrs", "--sort-by", "x:up"],
            "InvalidQueryError: 'x:up': a sort key is COLUMN, COLUMN:asc or COLUMN:desc.",
        ),
    ];
    for (args, last) in cases {
        let output =
            mast(&emulator).env("MAST_CATALOGS_URL", emulator.base_url()).arg("catalogs").args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr_last_line(&output), last);
        if args[0] == "query-region" {
            // astroquery warns about the coordinate string before it raises.
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains("InputWarning: Coordinate string is being interpreted"), "{stderr}");
        }
    }
    assert_eq!(emulator.stats().total, 0, "{:?}", emulator.requests());
}

/// `hsc-matchid --position`: the MatchID of a row of the HSC cone there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsc_matchid_of_a_cone_row() {
    let emulator = recorded().await;
    let output = mast(&emulator)
        .args(["catalogs", "hsc-matchid", "--position", "322.49324 12.16683", "--radius", "0.002 deg", "--row", "1"])
        .args(["--version", "2", "--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout).unwrap().lines().count(), 2 + 9);
    let cone = emulator.requests_for("invoke:Mast.Hsc.Db.v3");
    assert_eq!(cone.len(), 1);
    let matches = emulator.requests_for("invoke:Mast.HscMatches.Db.v2");
    let input = matches[0].params().unwrap()["input"].as_str().unwrap().to_owned();
    assert!(!input.is_empty() && input.chars().all(|c| c.is_ascii_digit()), "{input}");
}

/// `query-many`: targets from arguments, stdin and a CSV written by `mast resolve`; a target
/// that fails is an `ERROR:` line and exit status 3, the others are printed in input order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_many_stacks_targets_and_reports_the_failed_ones() {
    let emulator = recorded().await;
    let dir = tempfile::tempdir().unwrap();
    let resolved = mast(&emulator).args(["resolve", "M101", "M10", "--format", "csv"]).output().unwrap();
    assert!(resolved.status.success(), "{}", String::from_utf8_lossy(&resolved.stderr));
    let csv = dir.path().join("targets.csv");
    std::fs::write(&csv, &resolved.stdout).unwrap();

    let output = mast(&emulator)
        .args(["catalogs", "query-many", "-", "no such object zz", "--from-csv"])
        .arg(&csv)
        .args(["--radius", "0.002", "--format", "csv", "--columns", "_target,_target_name,_target_ra"])
        .write_stdin("23.34086 60.658\n# a comment\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ERROR: target 1 (no such object zz): ResolverError: "), "{stderr}");
    assert!(stderr.contains("mast: 1 of 4 rows are ERROR"), "{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let targets: Vec<&str> = stdout.lines().skip(2).map(|l| l.split(',').next().unwrap()).collect();
    assert!(!targets.is_empty());
    assert!(targets.windows(2).all(|w| w[0].parse::<i64>().unwrap() <= w[1].parse::<i64>().unwrap()));
    for t in ["0", "2", "3"] {
        assert!(targets.contains(&t), "{t}: {stdout}");
    }
    assert!(!targets.contains(&"1"));
    // The CSV's rows are positions (ra/dec columns), so their names are masked.
    assert!(stdout.lines().any(|l| l.starts_with("2,,210.802429")), "{stdout}");
    assert_eq!(emulator.stats().count("invoke:Mast.Hsc.Db.v3"), 3);
}

/// `download-hsc-spectra`: rows of `get_hsc_spectra()`, a CSV on stdin (an ERROR row is exit
/// 3, the others complete), and `--curl` through `Mast.Bundle.Request`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_hsc_spectra_rows_stdin_and_curl() {
    let emulator = recorded().await;
    let dir = tempfile::tempdir().unwrap();
    let spectra = |extra: &[&str]| {
        let mut cmd = mast(&emulator);
        cmd.env("MAST_HLA_URL", emulator.base_url())
            .args(["--format", "csv", "catalogs", "download-hsc-spectra", "--download-dir"])
            .arg(dir.path())
            .args(extra);
        cmd
    };
    let output = spectra(&["--rows", "10:13"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let csv = String::from_utf8(output.stdout).unwrap();
    let name = "HAG_J072656.64+691436.7_J8HPAXAEQ_V01.SPEC1D.fits";
    assert_eq!(csv.lines().count(), 2 + 3, "{csv}");
    assert_eq!(
        csv.lines().nth(2).unwrap(),
        format!("\"{}/mastDownload/HSC/{name}\",\"COMPLETE\",,", dir.path().display())
    );
    assert!(dir.path().join("mastDownload/HSC").join(name).is_file());
    assert_eq!(emulator.requests_for("hla").len(), 3);

    // A CSV on stdin; the missing spectrum is an ERROR row and the exit status 3.
    let input = "\"DatasetName\",\"SpectrumType\"\nstr,int64\n\"HAG_does_not_exist\",2\n\"O6H\",1\n";
    let output = spectra(&["--from-csv", "-"]).write_stdin(input).output().unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", String::from_utf8_lossy(&output.stderr));
    let csv = String::from_utf8(output.stdout).unwrap();
    let rows: Vec<&str> = csv.lines().skip(2).collect();
    assert!(rows[0].contains("\"ERROR\",\"HTTPError: 404 Client Error: Not Found for url: "), "{csv}");
    assert!(rows[1].ends_with("\"COMPLETE\",,"), "{csv}");
    assert!(dir.path().join("mastDownload/HSC/O6H.fits").is_file());
    assert!(emulator.requests_for("hla").iter().any(|r| r.path == "/cgi-bin/getdata.cgi"));

    // --curl: MAST's script, no spectrum fetched.
    emulator.reset_stats();
    let output = spectra(&["--rows", "20:24", "--curl"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(emulator.request_log().portal_requests("invoke:Mast.Bundle.Request").len(), 1);
    assert_eq!(emulator.stats().count("hla"), 0);
    let csv = String::from_utf8(output.stdout).unwrap();
    let row = csv.lines().nth(2).unwrap();
    let script = row.split('"').nth(1).unwrap();
    assert!(script.starts_with(&format!("{}/mastDownload_", dir.path().display())), "{csv}");
    assert!(std::path::Path::new(script).is_file());
}
