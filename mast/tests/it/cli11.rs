//! The command line of issue 11: exit statuses, `--max-rows 1`, values starting with `-`,
//! `-q`, progress lines, help and error classes, ids from a file or stdin, `cloud paths`.
//! Every run is the built binary against the emulator over real sockets.

use std::io::Write as _;
use std::path::PathBuf;

use mast_emulator::{Emulator, EmulatorConfig, Fault, FaultRule};

use super::{mast, mast_with_cloud, stderr_last_line, tempfile_path};

/// Exit status of a command that ran but whose manifest has `ERROR` rows.
const ROWS_FAILED: i32 = 3;

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn fresh(name: &str) -> PathBuf {
    let dir = tempfile_path(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const OBSID: &str = "2003738726";
const TWO_FILES: &str = "productSubGroupDescription=C3M,TRL";

// ---- point 10: exit statuses -----------------------------------------------------------------

/// Every file fails (MAST answers 500 to every download): the manifest is printed with its
/// ERROR rows and the exit status is 3, not 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_status_3_when_download_rows_are_error() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let dir = fresh("exit-3-rows");
    emulator.set_faults(vec![FaultRule::new("download", Fault::Status { code: 500, retry_after: None })]);
    let output = mast(&emulator)
        .current_dir(&dir)
        .args(["download", "products", OBSID, "--filter", TWO_FILES, "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(ROWS_FAILED), "{}", stderr(&output));
    assert!(emulator.stats().faults_injected >= 2, "{:?}", emulator.stats());
    assert_eq!(stdout(&output).matches("\"ERROR\"").count(), 2, "{}", stdout(&output));
    assert_eq!(stderr_last_line(&output), "mast: 2 of 2 rows are ERROR (exit status 3)");

    // download file: its one row is ERROR.
    let output = mast(&emulator)
        .current_dir(&dir)
        .args(["download", "file", "mast:HST/product/u9o40504m_c3m.fits", "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(ROWS_FAILED), "{}", stderr(&output));
    assert!(stdout(&output).contains("\"ERROR\""));

    // --allow-error-rows: the same manifest, exit 0 (astroquery returns it without raising).
    let allowed = mast(&emulator)
        .current_dir(&dir)
        .args(["download", "file", "mast:HST/product/u9o40504m_c3m.fits", "--format", "csv", "--allow-error-rows"])
        .output()
        .unwrap();
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
    assert_eq!(stdout(&allowed), stdout(&output), "the same manifest");

    // The same downloads once MAST answers: exit 0.
    emulator.set_faults(Vec::new());
    let output = mast(&emulator)
        .current_dir(&dir)
        .args(["download", "products", OBSID, "--filter", TWO_FILES, "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output).matches("\"COMPLETE\"").count(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A `--download-dir` that cannot be created (below a regular file): every row is ERROR
/// with the reason, exit status 3, and nothing is fetched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_status_3_when_the_download_dir_cannot_be_created() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let dir = fresh("exit-3-dir");
    std::fs::write(dir.join("a-file"), b"x").unwrap();
    let output = mast(&emulator)
        .current_dir(&dir)
        .args(["download", "products", OBSID, "--filter", TWO_FILES, "--download-dir", "a-file/sub"])
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(ROWS_FAILED), "{}", stderr(&output));
    let csv = stdout(&output);
    assert_eq!(csv.matches("\"ERROR\"").count(), 2, "{csv}");
    // Point 16: the progress line of an ERROR row says why.
    let err = stderr(&output);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("ERROR")).collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines.iter().all(|l| l.contains(": ") && l.len() > "ERROR    a-file/sub: ".len()), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Exit statuses 1 (a failed command, `ErrorClass: message`) and 2 (clap's usage errors), and
/// 0 for a SKIPPED row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_statuses_1_2_and_0_for_skipped() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let output = mast(&emulator).args(["download", "products", "--no-such-flag"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let output = mast(&emulator).args(["service", "Mast.No.Such.Service"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_last_line(&output).starts_with("RemoteServiceError: "));

    let dir = fresh("exit-0-skipped");
    let output = mast_with_cloud(&emulator)
        .current_dir(&dir)
        .args(["download", "file", "mast:HST/product/does_not_exist.fits", "--cloud", "--cloud-only"])
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("\"SKIPPED\""));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The exit statuses are documented in `--help` of the top command and of `download`.
#[test]
fn exit_statuses_are_in_help() {
    for args in
        [&["--help"][..], &["download", "--help"], &["download", "products", "--help"], &["download", "file", "--help"]]
    {
        let output = assert_cmd::Command::cargo_bin("mast").unwrap().args(args).output().unwrap();
        assert!(output.status.success());
        let help = stdout(&output);
        assert!(help.contains("Exit status:"), "{args:?}: {help}");
        assert!(help.contains("  3  ") && help.contains("ERROR"), "{args:?}: {help}");
    }
}

// ---- point 12: --max-rows 1 ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_rows_1_prints_one_row() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let output = mast(&emulator)
        .args(["service", "Mast.Caom.Cone", "-p", "ra=184.3", "-p", "dec=54.5", "-p", "emulator_rows=5"])
        .args(["--columns", "obs_id", "--max-rows", "1"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "header, dashes, one row, `...`, length: {text}");
    assert_eq!(lines[3].trim(), "...");
    assert_eq!(lines[4], "Length = 5 rows");
}

// ---- point 13: values starting with '-' ------------------------------------------------------

/// `--radius "-1 deg"`, `--position "-0.5 10"` and `--timeout -1` reach their own validation
/// (no clap "unexpected argument"); the valid negative position is used; nothing invalid is
/// sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_starting_with_a_minus_reach_their_validation() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let refused: &[(&[&str], &str)] = &[
        (&["service", "Mast.Caom.Cone", "--position", "10 20", "--radius", "-1 deg"], "InvalidQueryError: "),
        (&["observations", "query-region", "10 20", "--radius", "-1 deg"], "InvalidQueryError: "),
        (&["observations", "count", "--position", "10 20", "--radius", "-1 deg"], "InvalidQueryError: "),
        (&["download", "products", "--position", "10 20", "--radius", "-1 deg", "--urls-only"], "InvalidQueryError: "),
        (&["--timeout", "-1", "service", "Mast.Caom.Cone"], "ConfigurationError: "),
        (&["service", "Mast.Caom.Cone", "--timeout", "-1"], "ConfigurationError: "),
    ];
    for (args, class) in refused {
        let output = mast(&emulator).args(*args).output().unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {err}");
        assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
        let last = stderr_last_line(&output);
        assert!(last.starts_with(class), "{args:?}: {last}");
        assert!(last.contains("negative") || last.contains("-1"), "{args:?}: the value's own check: {last}");
    }
    assert_eq!(emulator.stats().total, 0, "nothing invalid was sent: {:?}", emulator.stats());

    // Valid negative values are used.
    let ok: &[&[&str]] = &[
        &["service", "Mast.Caom.Cone", "--position", "-0.5 10", "--radius", "0.1", "--format", "csv"],
        &["observations", "query-region", "-0.5 -10", "--radius", "0.1", "--format", "csv"],
        &["observations", "count", "--position", "-0.5 10", "--format", "csv"],
        &["observations", "query-criteria", "--criteria", "s_dec=-45.5..-43.5", "--pagesize", "5", "--page", "1"],
    ];
    for args in ok {
        let output = mast(&emulator).args(*args).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr(&output));
    }
    assert!(emulator.stats().total >= ok.len() as u64, "{:?}", emulator.stats());
}

// ---- point 15: -q ----------------------------------------------------------------------------

/// `-q`: a run with a known warning prints nothing on stderr, and the warning still reaches
/// `$MAST_WARNINGS_JSONL`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_prints_no_warnings_but_records_them() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let jsonl = tempfile_path("quiet-warnings.jsonl");
    let _ = std::fs::remove_file(&jsonl);
    let run = |quiet: bool| {
        let mut cmd = mast(&emulator);
        cmd.env("MAST_WARNINGS_JSONL", &jsonl);
        if quiet {
            cmd.arg("-q");
        }
        cmd.args(["resolve", "M1", "nonexisting", "--format", "csv"]).output().unwrap()
    };
    let loud = run(false);
    assert!(loud.status.success());
    assert!(stderr(&loud).contains("WARNING: "), "the warning exists: {}", stderr(&loud));
    std::fs::remove_file(&jsonl).unwrap();

    let quiet = run(true);
    assert!(quiet.status.success());
    assert_eq!(stderr(&quiet), "", "-q: nothing but errors on stderr");
    let recorded = std::fs::read_to_string(&jsonl).unwrap();
    let warning: serde_json::Value = serde_json::from_str(recorded.trim()).unwrap();
    assert_eq!(warning["category"], "InputWarning");
    assert!(warning["message"].as_str().unwrap().contains("nonexisting"));
    let _ = std::fs::remove_file(jsonl);

    // Downloads: no progress lines, no warnings (flat=True has no effect on curl downloads).
    let dir = fresh("quiet-download");
    let output = mast(&emulator)
        .current_dir(&dir)
        .args(["-q", "download", "products", OBSID, "--filter", TWO_FILES, "--curl", "--flat"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    let output = mast(&emulator)
        .current_dir(&dir)
        .args(["-q", "download", "products", OBSID, "--filter", TWO_FILES])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    assert_eq!(emulator.stats().count("download"), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- point 16: progress lines ----------------------------------------------------------------

/// A file already complete on disk says so instead of "COMPLETE ... (0 bytes)".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_lines_say_already_complete() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let dir = fresh("progress-cached");
    let run = || {
        mast(&emulator)
            .current_dir(&dir)
            .args(["download", "products", OBSID, "--filter", TWO_FILES, "--format", "csv"])
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{}", stderr(&first));
    let err = stderr(&first);
    assert_eq!(err.lines().filter(|l| l.starts_with("COMPLETE") && l.ends_with(" bytes)")).count(), 2, "{err}");
    let downloads = emulator.stats().count("download");
    let again = run();
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(emulator.stats().count("download"), downloads, "served from disk");
    let err = stderr(&again);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("COMPLETE")).collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines.iter().all(|l| l.ends_with("(already complete)")), "{err}");
    assert!(!err.contains("(0 bytes)"), "{err}");

    // download file too.
    let output = mast(&emulator)
        .current_dir(&dir)
        .args(["download", "file", "mast:HST/product/u9o40504m_c3m.fits", "--local-path"])
        .arg(dir.join("mastDownload/HST/U9O40504M/u9o40504m_c3m.fits"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).lines().any(|l| l.starts_with("COMPLETE") && l.ends_with("(already complete)")));
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- point 17: help, --format, error classes -------------------------------------------------

fn help(args: &[&str]) -> String {
    let output = assert_cmd::Command::cargo_bin("mast").unwrap().args(args).arg("--help").output().unwrap();
    assert!(output.status.success(), "{args:?}");
    stdout(&output)
}

/// Each subcommand's own options come first, the global ones after them under their
/// headings; every subcommand has examples; `count` offers no paging.
#[test]
fn help_layout_and_examples() {
    let subcommands: &[&[&str]] = &[
        &["service"],
        &["mast-query"],
        &["resolve"],
        &["observations", "query-region"],
        &["observations", "query-object"],
        &["observations", "query-criteria"],
        &["observations", "count"],
        &["observations", "missions"],
        &["observations", "metadata"],
        &["observations", "products"],
        &["observations", "filter"],
        &["download", "products"],
        &["download", "file"],
        &["cloud", "uris"],
        &["cloud", "datasets"],
        &["cloud", "paths"],
    ];
    for args in subcommands {
        let text = help(args);
        assert!(text.contains("Example"), "{args:?}: no example\n{text}");
        let own = text.find("\nOptions:\n").unwrap_or_else(|| panic!("{args:?}\n{text}"));
        let connection = text.find("\nConnection options:\n").unwrap_or_else(|| panic!("{args:?}\n{text}"));
        let output = text.find("\nOutput options:\n").unwrap_or_else(|| panic!("{args:?}\n{text}"));
        assert!(own < connection && connection < output, "{args:?}\n{text}");
        assert!(text.find("--mast-url").unwrap() > connection, "{args:?}");
        assert!(text.find("      --format <FORMAT>").unwrap() > output, "{args:?}");
    }
    let query_region = help(&["observations", "query-region"]);
    let own = query_region.find("\nOptions:\n").unwrap();
    let connection = query_region.find("\nConnection options:\n").unwrap();
    let radius = query_region.find("--radius").unwrap();
    assert!(own < radius && radius < connection, "{query_region}");
    let count = help(&["observations", "count"]);
    assert!(!count.contains("--pagesize") && !count.contains("--page "), "{count}");
    assert!(count.contains("--radius") && count.contains("--resolver"), "{count}");
}

/// `--pagesize` on `count` is a usage error now (it did nothing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_refuses_paging_and_format_is_case_insensitive() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let output =
        mast(&emulator).args(["observations", "count", "--position", "10 20", "--pagesize", "5"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    for format in ["CSV", "Csv", "csv"] {
        let output = mast(&emulator).args(["resolve", "M101", "--format", format]).output().unwrap();
        assert!(output.status.success(), "{format}: {}", stderr(&output));
        assert!(stdout(&output).starts_with("\"ra\",\"dec\"\n"), "{format}");
    }
    let output = mast(&emulator).args(["resolve", "M101", "--format", "JSON"]).output().unwrap();
    assert!(stdout(&output).starts_with('['));
}

/// Errors the CLI raises itself carry a class and their cause without `-v`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_errors_have_a_class_and_a_cause() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let output = mast(&emulator).args(["observations", "products", "--from-csv", "/nonexistent.csv"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr_last_line(&output),
        "FileNotFoundError: reading /nonexistent.csv: No such file or directory (os error 2)"
    );
    let output = mast(&emulator).args(["observations", "products", "@/nonexistent-ids.txt"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr_last_line(&output),
        "FileNotFoundError: reading observation ids from /nonexistent-ids.txt: No such file or directory (os error 2)"
    );
    let dir = fresh("error-classes");
    std::fs::write(dir.join("o.csv"), "\"obsid\"\nstr\n\"1\"\n").unwrap();
    let output = mast(&emulator)
        .current_dir(&dir)
        .args(["observations", "products", "1", "--from-csv", "o.csv"])
        .output()
        .unwrap();
    assert_eq!(stderr_last_line(&output), "InvalidQueryError: give observation ids or --from-csv, not both");
    let output =
        mast(&emulator).current_dir(&dir).args(["observations", "products", "--from-csv", "."]).output().unwrap();
    assert!(stderr_last_line(&output).starts_with("IsADirectoryError: reading .: "), "{}", stderr_last_line(&output));
    assert_eq!(emulator.stats().total, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- point 18: ids from a file or stdin ------------------------------------------------------

/// 3,000 consecutive obsids of one sky cell (the emulator's obsids encode cell and index).
fn generated_obsids(n: u64) -> Vec<String> {
    // An obsid of the generated sky (mast_emulator::sky module docs).
    let known: i64 = 142_080_713_834_496;
    let base = mast_emulator::sky::OBSID_BASE;
    let per_cell = mast_emulator::sky::MAX_PER_CELL as i64;
    let cell_start = base + (known - base) / per_cell * per_cell;
    (0..n as i64).map(|k| (cell_start + k).to_string()).collect()
}

/// Thousands of obsids from `@FILE` (comments, blank lines and spaces ignored): every one is
/// sent, in batches of 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_obsids_from_a_file() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let dir = fresh("ids-file");
    let ids = generated_obsids(3000);
    let mut text = String::from("# obsids of one cell\n\n");
    for (i, id) in ids.iter().enumerate() {
        text.push_str(&if i % 7 == 0 { format!("  {id}\t\n") } else { format!("{id}\n") });
        if i % 100 == 0 {
            text.push_str("\n# a comment\n");
        }
    }
    std::fs::write(dir.join("ids.txt"), text).unwrap();
    let output = mast(&emulator)
        .current_dir(&dir)
        .args(["observations", "products", "@ids.txt", "--format", "csv", "--columns", "obsID"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(emulator.stats().count("invoke:Mast.Caom.Products"), 6, "3000 ids in batches of 500");
    let csv = stdout(&output);
    let wanted: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
    let seen: std::collections::HashSet<&str> = csv.lines().skip(2).map(|l| l.trim_matches('"')).collect();
    assert!(seen.is_subset(&wanted), "only the given observations");
    // Every observation has products except the few full-frame images (dropped with a warning).
    assert!(seen.len() > 2900, "{} of 3000 observations have products in the answer", seen.len());

    // `observations filter` reads them too.
    emulator.reset_stats();
    let output = mast(&emulator)
        .current_dir(&dir)
        .args(["observations", "filter", "@ids.txt", "--mrp-only", "--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(emulator.stats().count("invoke:Mast.Caom.Products"), 6);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A few obsids on stdin (`-`), mixed with one on the command line, for `observations
/// products`, `download products --urls-only` and `cloud uris`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obsids_from_stdin() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let generated = generated_obsids(3);
    let stdin = format!("# from a pipeline\n 2003738726 \n\n{}\n  {}\t\n", generated[1], generated[2]);
    let output = mast(&emulator)
        .args(["observations", "products", "-", "--format", "csv", "--columns", "obsID"])
        .write_stdin(stdin)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let csv = stdout(&output);
    let obs: std::collections::BTreeSet<&str> = csv.lines().skip(2).map(|l| l.trim_matches('"')).collect();
    let want: std::collections::BTreeSet<&str> = ["2003738726", &generated[1], &generated[2]].into();
    assert_eq!(obs, want, "{csv}");

    let output = mast(&emulator)
        .args(["download", "products", "-", "--filter", TWO_FILES, "--urls-only", "--format", "csv"])
        .write_stdin("2003738726\n")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("u9o40504m_c3m.fits"), "{}", stdout(&output));

    let output = mast_with_cloud(&emulator)
        .args(["cloud", "uris", "-", "--filter", "productSubGroupDescription=C3M", "--format", "csv"])
        .write_stdin("# one\n2003738726\n")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("s3://stpubdata/hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits"));

    // `-` twice is refused before any request.
    emulator.reset_stats();
    let output = mast(&emulator).args(["observations", "products", "-", "-"]).write_stdin("1\n").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_last_line(&output).starts_with("InvalidQueryError: "));
    assert_eq!(emulator.stats().total, 0);
}

// ---- point 21: cloud paths -------------------------------------------------------------------

/// `mast cloud paths`: astroquery's `utils.mast_relative_path` as a table `uri, path`, a
/// masked path and a NoResultsWarning for a URI without one; `--columns path` is the
/// conformance case's output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_paths_of_uris() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let jsonl = tempfile_path("cloud-paths.jsonl");
    let _ = std::fs::remove_file(&jsonl);
    let output = mast(&emulator)
        .env("MAST_WARNINGS_JSONL", &jsonl)
        .args(["cloud", "paths", "mast:HST/product/u9o40504m_c3m.fits", "mast:HST/product/does_not_exist.fits"])
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "\"uri\",\"path\"\nstr,str\n\
         \"mast:HST/product/u9o40504m_c3m.fits\",\"hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits\"\n\
         \"mast:HST/product/does_not_exist.fits\",\n"
    );
    let warning: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&jsonl).unwrap().trim()).unwrap();
    assert_eq!(warning["category"], "NoResultsWarning");
    assert_eq!(
        warning["message"],
        "Failed to retrieve MAST relative path for mast:HST/product/does_not_exist.fits. Skipping..."
    );
    assert_eq!(emulator.stats().count("path_lookup"), 1);
    let _ = std::fs::remove_file(&jsonl);

    // The conformance mapping: the path column alone; URIs from stdin.
    let output = mast(&emulator)
        .args(["--format", "csv", "cloud", "paths", "-", "--columns", "path"])
        .write_stdin("mast:HST/product/u9o40504m_c3m.fits\nmast:HST/product/does_not_exist.fits\n")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "\"path\"\nstr\n\"hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits\"\n\n");

    // 45 URIs: two lookups of at most 40.
    emulator.reset_stats();
    let file = tempfile_path("cloud-paths-uris.txt");
    let mut uris = std::fs::File::create(&file).unwrap();
    for i in 0..45 {
        writeln!(uris, "mast:HST/product/x{i:03}_c3m.fits").unwrap();
    }
    drop(uris);
    let output =
        mast(&emulator).args(["cloud", "paths", &format!("@{}", file.display()), "--format", "csv"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).lines().count(), 2 + 45);
    assert_eq!(emulator.stats().count("path_lookup"), 2);
    let _ = std::fs::remove_file(&file);

    // Not a mast: URI: refused before any request.
    emulator.reset_stats();
    let output = mast(&emulator).args(["cloud", "paths", "https://example.org/x.fits"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_last_line(&output).starts_with("InvalidQueryError: "), "{}", stderr_last_line(&output));
    assert_eq!(emulator.stats().total, 0);
}
