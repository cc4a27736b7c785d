//! Issue 11, points 11 and 14 from the command line: `count` warns and refuses as
//! `query-criteria` does, and malformed input is refused before any request: with every host
//! pointed at a closed port, the last stderr line is the input's error (class and message),
//! never a connection error.

use assert_cmd::Command;
use mast_emulator::{Emulator, EmulatorConfig};

use super::{mast, mast_proto_env_vars, stderr_last_line};

/// `mast` with every host (MAST, catalogs, resolver, HLA, S3) on a port nothing listens on,
/// and no retries: any request would end in a connection error.
fn offline() -> Command {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::cargo_bin("mast").unwrap();
    for var in mast_proto_env_vars() {
        cmd.env_remove(var);
    }
    for var in ["MAST_URL", "MAST_CATALOGS_URL", "MAST_RESOLVER_URL", "MAST_HLA_URL", "MAST_S3_ENDPOINT"] {
        cmd.env(var, &url);
    }
    cmd.env("MAST_RETRIES", "0").env_remove("MAST_S3_BUCKET").env_remove("MAST_LOG");
    cmd
}

/// Point 14: each form is refused before any request, with its own error line.
#[test]
fn malformed_input_is_refused_before_any_request() {
    let long = "M".repeat(100_000);
    let dir = std::env::temp_dir().join(format!("mast-cli-validation-{}", std::process::id()));
    let dir = dir.to_str().unwrap().to_owned();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["resolve", ""], "InvalidQueryError: The object name is empty: give a name such as M101."),
        (vec!["resolve", "  "], "InvalidQueryError: The object name \"  \" is blank: give a name such as M101."),
        (vec!["observations", "query-object", ""], "InvalidQueryError: The object name is empty"),
        (vec!["observations", "count", "--object-name", " "], "InvalidQueryError: The object name \" \" is blank"),
        (
            vec!["resolve", &long],
            "InvalidQueryError: The object name \"MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM…\" (100000 characters) is too long: names are at most 1000 characters.",
        ),
        (
            vec!["service", ""],
            "InvalidQueryError: The service name is empty: give a MAST service such as Mast.Caom.Cone.",
        ),
        (vec!["mast-query", " "], "InvalidQueryError: The service name is empty"),
        (
            vec!["download", "file", "ftp://example.org/x.fits", "--local-path", &dir],
            "InvalidQueryError: invalid download source \"ftp://example.org/x.fits\": expected a mast: URI",
        ),
        (
            vec!["download", "file", "mast:", "--local-path", &dir],
            "InvalidQueryError: invalid download source \"mast:\": a mast: URI needs a path after 'mast:'",
        ),
        (
            vec!["observations", "query-region", "10 20", "--radius", "181 deg"],
            "InvalidQueryError: invalid radius \"181 deg\": a radius cannot exceed 180 degrees",
        ),
        (
            vec!["service", "Mast.Caom.Cone", "--position", "10 20", "--radius", "200"],
            "InvalidQueryError: invalid radius \"200\"",
        ),
        (
            vec!["service", "Mast.Caom.Cone", "-p", "ra=1", "--pagesize", "0"],
            "InvalidQueryError: Invalid pagesize 0: a page holds at least 1 row.",
        ),
        (
            vec!["service", "Mast.Caom.Cone", "-p", "ra=1", "--page", "0"],
            "InvalidQueryError: Invalid page 0: pages are numbered from 1.",
        ),
        (
            vec!["observations", "query-region", "10 20", "--pagesize", "0"],
            "InvalidQueryError: Invalid pagesize 0: a page holds at least 1 row.",
        ),
        (
            vec!["observations", "query-object", "M8", "--page", "0"],
            "InvalidQueryError: Invalid page 0: pages are numbered from 1.",
        ),
        (
            vec!["observations", "query-criteria", "--criteria", "obs_collection=HST", "--page", "0"],
            "InvalidQueryError: Invalid page 0: pages are numbered from 1.",
        ),
        (
            vec!["cloud", "uris", "--uri", "notmast"],
            "InvalidQueryError: invalid download source \"notmast\": expected a mast: URI",
        ),
        (
            vec!["observations", "filter", "2003738726", "--filter", "size=10..5"],
            "InvalidQueryError: product filter 'size': the range 10..5 is reversed: its minimum 10 is greater than its maximum 5; write it as min..max",
        ),
        (
            vec!["observations", "filter", "2003738726", "--extension", ""],
            "InvalidQueryError: An empty extension would keep every file: give extensions such as fits or .fits.",
        ),
        (
            vec!["download", "products", "2003738726", "--urls-only", "--extension", ""],
            "InvalidQueryError: An empty extension would keep every file",
        ),
        (
            vec!["observations", "filter", "2003738726", "--filter", "productType="],
            "InvalidQueryError: product filter 'productType': no value after '='; give one or more values separated by commas",
        ),
        (
            vec!["cloud", "uris", "2003738726", "--filter", "size=10..5"],
            "InvalidQueryError: product filter 'size': the range 10..5 is reversed",
        ),
        (
            vec!["observations", "query-criteria", "--criteria", "s_dec=10..5"],
            "InvalidQueryError: criterion 's_dec': the range 10..5 is reversed",
        ),
        (
            vec!["observations", "query-criteria", "--criteria", "obs_collection="],
            "InvalidQueryError: criterion 'obs_collection': no value after '='",
        ),
        (
            vec!["observations", "query-criteria", "--criteria", "t_min=yesterday"],
            "InvalidQueryError: Filter 't_min' is continuous and filters on a minimum and a maximum, but 'yesterday' is not a finite number.",
        ),
        (
            vec!["observations", "count", "--criteria", "t_min=yesterday"],
            "InvalidQueryError: Filter 't_min' is continuous and filters on a minimum and a maximum, but 'yesterday' is not a finite number.",
        ),
    ];
    for (args, expected) in cases {
        let output = offline().args(&args).output().unwrap();
        let shown: Vec<&str> = args.iter().map(|a| if a.len() > 60 { "<long>" } else { *a }).collect();
        assert!(!output.status.success(), "{shown:?}");
        let last = stderr_last_line(&output);
        assert!(last.starts_with(expected), "{shown:?}: {last}");
        assert!(last.len() < 400, "{shown:?}: the error line is {} bytes", last.len());
        let stderr = String::from_utf8_lossy(&output.stderr).to_lowercase();
        assert!(!stderr.contains("connection"), "{shown:?} tried to connect: {stderr}");
    }
    assert!(!std::path::Path::new(&dir).exists(), "nothing was created for a refused download");
}

/// Point 11: `count` prints the same warning as `query-criteria` for the same criteria, and
/// refuses what it refuses (it used to count all of HST, or the whole archive, silently).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_warns_and_refuses_as_query_criteria_does() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let warning = "WARNING: InputWarning: t_min is continuous, and filters based on min and max values.\nNot enough values provided, skipping...";
    let criteria = ["--criteria", "t_min=5", "--criteria", "obs_collection=HST"];
    let mut stderrs = Vec::new();
    for command in ["query-criteria", "count"] {
        let output = mast(&emulator).args(["observations", command]).args(criteria).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{command}: {stderr}");
        assert!(stderr.contains(warning), "{command}: {stderr}");
        stderrs.push(stderr);
    }
    assert_eq!(stderrs[0], stderrs[1], "the same warnings on stderr");
    let sent = emulator.stats().requests.get("invoke:Mast.Caom.Filtered").copied();
    assert_eq!(sent.map(|n| n >= 2), Some(true), "both were sent: {sent:?}");

    emulator.reset_stats();
    for criteria in [vec!["--criteria", "s_dec=abc", "--criteria", "obs_collection=HST"], vec!["--criteria", "t_min=5"]]
    {
        let mut lines = Vec::new();
        for command in ["query-criteria", "count"] {
            let output = mast(&emulator).args(["observations", command]).args(&criteria).output().unwrap();
            assert!(!output.status.success(), "{command} {criteria:?}");
            lines.push(stderr_last_line(&output));
        }
        assert_eq!(lines[0], lines[1], "{criteria:?}");
        assert!(lines[0].starts_with("InvalidQueryError: "), "{}", lines[0]);
    }
    assert_eq!(emulator.stats().total, 0, "{:?}", emulator.stats().requests);
}
