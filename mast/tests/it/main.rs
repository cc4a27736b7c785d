//! The `mast` command line end to end, against the emulator over real sockets.

use assert_cmd::Command;
use mast_emulator::{Emulator, EmulatorConfig};

mod catalogs;
mod cli11;
mod hostile;
mod login;
mod validation;

fn mast(emulator: &Emulator) -> Command {
    let mut cmd = Command::cargo_bin("mast").unwrap();
    for var in mast_proto_env_vars() {
        cmd.env_remove(var);
    }
    // No token from the environment, and no system keyring (an unreachable session bus), so
    // that only a test's own token and token file count.
    cmd.env_remove("MAST_API_TOKEN").env_remove("MAST_TOKEN_STORE");
    cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mast-rs-test-bus");
    cmd.env("MAST_URL", emulator.base_url()).env("MAST_RESOLVER_URL", emulator.base_url()).env("MAST_RETRIES", "1");
    cmd
}

fn mast_proto_env_vars() -> &'static [&'static str] {
    &[
        "MAST_URL",
        "MAST_CATALOGS_URL",
        "MAST_RESOLVER_URL",
        "MAST_HLA_URL",
        "MAST_TIMEOUT",
        "MAST_PAGESIZE",
        "MAST_WARNINGS_JSONL",
    ]
}

fn stderr_last_line(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or("").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_as_csv() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let output = mast(&emulator)
        .args(["service", "Mast.Caom.Cone", "-p", "ra=184.3", "-p", "dec=54.5", "-p", "radius=0.2"])
        .args(["-p", "emulator_rows=1234", "--pagesize", "500", "--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let csv = String::from_utf8(output.stdout).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("\"dataproduct_type\",\"obs_collection\","), "{header}");
    assert!(!header.contains("_selected_"));
    let dtypes = lines.next().unwrap();
    assert!(dtypes.starts_with("str,str,"), "{dtypes}");
    assert_eq!(lines.count(), 1234, "every row of the 3 pages");
    assert_eq!(emulator.stats().requests.get("invoke").copied(), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_as_table_and_json_with_columns() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let output = mast(&emulator)
        .args(["service", "Mast.Caom.Cone", "--position", "12h17m12s +54d30m", "--radius", "5 arcmin"])
        .args(["--columns", "obs_collection,obs_id,distance", "--max-rows", "5"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().trim_start().starts_with("obs_collection"));
    assert!(lines.next().unwrap().starts_with("---"));
    // The position and radius as MAST reads them: degrees (12h17m12s is 184.3 degrees).
    let sent = emulator.requests_for("invoke:Mast.Caom.Cone");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].params(), Some(serde_json::json!({"ra": 184.3, "dec": 54.5, "radius": 5.0 / 60.0})));
    // That cone's rows, nearest first: `--max-rows 5` shows the first three and the last two
    // (the middle column elided), then the length.
    let cone = mast_emulator::sky::search(184.3, 54.5, 5.0 / 60.0, None, 42).unwrap();
    let all: Vec<(String, f64)> = cone
        .obsids()
        .zip(cone.distances())
        .map(|(id, d)| (mast_emulator::sky::observation(id, 42).unwrap().obs_collection.to_owned(), d))
        .collect();
    assert!(all.len() > 5);
    let expected: Vec<(String, f64)> = all[..3].iter().chain(&all[all.len() - 2..]).cloned().collect();
    let body: Vec<&str> = lines.collect();
    let shown: Vec<(String, f64)> = body
        .iter()
        .filter(|l| !l.trim_start().starts_with("...") && !l.starts_with("Length"))
        .map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            (cells[0].to_owned(), cells[cells.len() - 1].parse().unwrap())
        })
        .collect();
    assert_eq!(shown, expected, "{text}");
    assert_eq!(body.last().copied(), Some(format!("Length = {} rows", all.len()).as_str()), "{text}");

    let output = mast(&emulator)
        .args(["service", "Mast.Caom.Cone", "-p", "ra=184.3", "-p", "dec=54.5", "-p", "emulator_rows=3"])
        .args(["--columns", "obs_id,calib_level", "--format", "json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3);
    assert!(rows[0]["obs_id"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_position_or_radius_sends_nothing() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    for args in [["--position", "not a position"], ["--position", "10 95"]] {
        let output = mast(&emulator).args(["service", "Mast.Caom.Cone"]).args(args).output().unwrap();
        assert!(!output.status.success());
        let last = stderr_last_line(&output);
        assert!(last.starts_with("InvalidQueryError: invalid position"), "{last}");
    }
    let output = mast(&emulator)
        .args(["service", "Mast.Caom.Cone", "--position", "10 20", "--radius", "3 px"])
        .output()
        .unwrap();
    assert!(stderr_last_line(&output).starts_with("InvalidQueryError: invalid radius \"3 px\""));
    assert_eq!(emulator.stats().total, 0, "no request reached MAST");
}

/// `-p`, `--property`, `--criteria` and `--filter` share one `KEY=VALUE` parser
/// (`mast_proto::pyparse::split_key_value`): one error class, the argument named, nothing sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_value_arguments_share_one_parser() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["service", "Mast.Caom.Cone", "-p", "ra"], "--param 'ra' is not of the form KEY=VALUE"),
        (&["service", "Mast.Caom.Cone", "-p", "ra=1", "--property", "=30"], "--property '=30' has no key before '='"),
        (&["mast-query", "Mast.Caom.Cone", "-p", " =1"], "--param ' =1' has no key before '='"),
        (
            &["observations", "query-criteria", "--criteria", "image"],
            "criterion 'image' is not of the form keyword=value (e.g. dataproduct_type=image, s_dec=43.5..45.5)",
        ),
        (&["observations", "count", "--criteria", "=HST"], "criterion '=HST' has no key before '='"),
        (
            &["observations", "filter", "2003738726", "--filter", "size"],
            "product filter 'size' is not of the form column=value[,value...] (e.g. productType=SCIENCE,!PREVIEW or size=<50000)",
        ),
        (
            &["download", "products", "2003738726", "--urls-only", "--filter", "=5"],
            "product filter '=5' has no key before '='",
        ),
    ];
    for (args, message) in cases {
        let output = mast(&emulator).args(*args).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr_last_line(&output), format!("InvalidQueryError: {message}"), "{args:?}");
    }
    assert_eq!(emulator.stats().total, 0, "no request reached MAST");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_one_line_with_astroquery_class_names() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let output = mast(&emulator).args(["service", "Mast.No.Such.Service"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_last_line(&output).starts_with("RemoteServiceError: "), "{}", stderr_last_line(&output));

    let output = mast(&emulator).args(["resolve", "nonexisting"]).output().unwrap();
    assert!(!output.status.success());
    assert_eq!(stderr_last_line(&output), "ResolverError: Could not resolve \"nonexisting\" to a sky position.");

    // -v adds the cause chain before the last line.
    let output = mast(&emulator)
        .env("MAST_URL", "http://127.0.0.1:9")
        .args(["-v", "service", "Mast.Caom.Cone", "-p", "ra=1", "-p", "dec=2"])
        .output()
        .unwrap();
    let last = stderr_last_line(&output);
    assert!(last.starts_with("ConnectionError: ") && last.contains("Mast.Caom.Cone"), "{last}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("retrying"), "-v shows the retries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_names() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let output = mast(&emulator).args(["resolve", "M101", "--format", "csv"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "\"ra\",\"dec\"\nfloat64,float64\n210.802429,54.34875\n");

    let jsonl = tempfile_path("warnings.jsonl");
    let output = mast(&emulator)
        .env("MAST_WARNINGS_JSONL", &jsonl)
        .args(["resolve", "M1", "nonexisting", "--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let csv = String::from_utf8(output.stdout).unwrap();
    assert!(csv.starts_with("\"name\",\"ra\",\"dec\"\nstr,float64,float64\n\"M1\",83.6324,22.0174\n"), "{csv}");
    let warning: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&jsonl).unwrap().trim()).unwrap();
    assert_eq!(warning["category"], "InputWarning");
    assert!(warning["message"].as_str().unwrap().contains("nonexisting"));
    let _ = std::fs::remove_file(jsonl);
}

#[test]
fn embedded_emulator_flag() {
    let output = Command::cargo_bin("mast")
        .unwrap()
        .env_remove("MAST_URL")
        .args(["--emulator", "service", "Mast.Caom.Cone", "-p", "ra=184.3", "-p", "dec=54.5", "-p", "radius=0.2"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stderr).contains("embedded MAST emulator"));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.lines().next().unwrap().starts_with("dataproduct_type obs_collection"), "{text}");
}

fn tempfile_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("mast-cli-{}-{name}", std::process::id()))
}

#[test]
fn blocking_api_outside_and_inside_a_runtime() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emulator = rt.block_on(Emulator::start(EmulatorConfig::default())).unwrap();
    let config = mast::MastConfig::new().with_all_urls(emulator.base_url()).unwrap();
    let mast = mast::blocking::Mast::new(mast::MastClient::new(config).unwrap()).unwrap();
    let m101 = mast.resolve_object("M101").unwrap();
    assert_eq!((m101.ra(), m101.dec()), (210.802429, 54.34875));
    let table = mast
        .service_request(
            mast::ServiceRequest::new("Mast.Caom.Cone").param("ra", 1.0).param("dec", 2.0).param("emulator_rows", 7),
        )
        .unwrap();
    assert_eq!(table.num_rows(), 7);
    // Inside a runtime the blocking API refuses instead of deadlocking.
    let err = rt.block_on(async { mast.resolve_object("M101") }).unwrap_err();
    assert!(matches!(err, mast::Error::BlockingInsideRuntime), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_products_curl_script() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let dir = tempfile_path("server-curl-script");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let output = mast(&emulator)
        .current_dir(&dir)
        .args(["download", "products", "2003738726", "--filter", "productSubGroupDescription=C3M,TRL"])
        .args(["--curl", "--flat", "--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let csv = String::from_utf8(output.stdout).unwrap();
    assert!(csv.starts_with("\"Local Path\",\"Status\",\"Message\"\nstr,str,"), "{csv}");
    let name = csv.lines().nth(2).unwrap().split('"').nth(1).unwrap().strip_prefix("./").unwrap().to_owned();
    assert!(name.starts_with("mastDownload_") && name.ends_with(".sh") && name.len() == "mastDownload_.sh".len() + 14);
    assert!(csv.contains("\"COMPLETE\""), "{csv}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("flat=True has no effect on curl downloads."));
    let script = std::fs::read_to_string(dir.join(&name)).unwrap();
    assert_eq!(script.matches("curl --globoff").count(), 2, "{script}");
    assert!(script.contains("Download/file?uri=mast:HST/product/u9o40504m_c3m.fits"), "{script}");
    assert_eq!(emulator.stats().requests.get("bundle").copied(), Some(1));
    assert_eq!(emulator.stats().requests.get("download").copied(), None);
    assert!(!dir.join("mastDownload").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_products_layouts_cache_and_urls_only() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let dir = tempfile_path("downloads");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = |extra: &[&str]| {
        let mut cmd = mast(&emulator);
        cmd.current_dir(&dir).args([
            "download",
            "products",
            "2003738726",
            "--filter",
            "productSubGroupDescription=C3M,TRL",
        ]);
        cmd.args(extra).args(["--format", "csv"]).output().unwrap()
    };
    // URL-only: nothing is written, nothing is downloaded.
    let output = run(&["--urls-only"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let csv = String::from_utf8(output.stdout).unwrap();
    assert!(
        csv.starts_with(
            "\"Local Path\",\"Status\",\"Message\",\"URL\"\nstr,str,str,str\n\"./mastDownload/HST/U9O40504M/u9o40504m_c3m.fits\",\"PLANNED\",,"
        ),
        "{csv}"
    );
    assert!(csv.contains("/api/v0.1/Download/file?uri=mast:HST/product/u9o40504m_c3m.fits"));
    assert_eq!(emulator.stats().requests.get("download").copied(), None);
    assert!(!dir.join("mastDownload").exists());

    let output = run(&[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout).unwrap().matches("\"COMPLETE\"").count(), 2);
    // Progress: a line per finished file on stderr (the bar itself only on a terminal).
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("COMPLETE")).collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines.iter().any(|l| l.contains("u9o40504m_trl.fits (") && l.ends_with(" bytes)")), "{stderr}");
    assert!(dir.join("mastDownload/HST/U9O40504M/u9o40504m_trl.fits").is_file());
    // Again: complete on disk with the listed size, so no download request.
    let before = emulator.stats().requests.get("download").copied().unwrap_or(0);
    assert!(run(&[]).status.success());
    assert_eq!(emulator.stats().requests.get("download").copied().unwrap_or(0), before);

    assert!(run(&["--no-prefix"]).status.success());
    assert!(dir.join("HST/U9O40504M/u9o40504m_c3m.fits").is_file());
    assert!(run(&["--flat"]).status.success());
    assert!(dir.join("u9o40504m_c3m.fits").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_csv_feeds_filter_and_download() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let dir = tempfile_path("products-csv");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let output = mast(&emulator).args(["observations", "products", "2003738726", "--format", "csv"]).output().unwrap();
    assert!(output.status.success());
    std::fs::write(dir.join("p.csv"), &output.stdout).unwrap();
    emulator.reset_stats();
    let output = mast(&emulator)
        .current_dir(&dir)
        .args(["observations", "filter", "--from-csv", "p.csv", "--mrp-only", "--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout).unwrap().lines().count(), 2 + 3, "3 MRP products");
    assert_eq!(emulator.stats().total, 0, "a products CSV is filtered without asking MAST");
    let output = mast(&emulator)
        .current_dir(&dir)
        .args([
            "download",
            "products",
            "--from-csv",
            "p.csv",
            "--filter",
            "productSubGroupDescription=TRL",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(dir.join("mastDownload/HST/U9O40504M/u9o40504m_trl.fits").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_curl_script_downloads_the_same_files() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let dir = tempfile_path("local-curl-script");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let output = mast(&emulator)
        .current_dir(&dir)
        .args(["download", "products", "2003738726", "--filter", "productSubGroupDescription=TRL,C3M"])
        .args(["--curl-script", "get.sh", "--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let script = std::fs::read_to_string(dir.join("get.sh")).unwrap();
    assert_eq!(script.matches("\nfetch '").count(), 2, "{script}");
    assert!(!dir.join("mastDownload").exists(), "nothing downloaded");
    // The script itself runs: curl is required (`.ci/run` installs it), never skipped.
    let curl = std::process::Command::new("curl").arg("--version").output();
    assert!(
        curl.as_ref().is_ok_and(|o| o.status.success()),
        "this test runs the generated script, which needs curl on PATH: {curl:?}"
    );
    emulator.reset_stats();
    let status = std::process::Command::new("bash").arg("get.sh").current_dir(&dir).status().unwrap();
    assert!(status.success());
    assert_eq!(emulator.stats().count("download"), 2, "the script fetched both files: {:?}", emulator.stats());
    let file = dir.join("mastDownload/HST/U9O40504M/u9o40504m_trl.fits");
    assert!(file.is_file());
    assert!(dir.join("mastDownload/HST/U9O40504M/u9o40504m_c3m.fits").is_file());
    // The bytes are the ones mast itself downloads.
    let again = tempfile_path("local-curl-script-check");
    let _ = std::fs::remove_dir_all(&again);
    std::fs::create_dir_all(&again).unwrap();
    let output = mast(&emulator)
        .current_dir(&again)
        .args(["download", "file", "mast:HST/product/u9o40504m_trl.fits", "--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(std::fs::read(&file).unwrap(), std::fs::read(again.join("u9o40504m_trl.fits")).unwrap());
    let _ = std::fs::remove_dir_all(&again);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `mast` with every host, the S3 endpoint included, pointed at `emulator`.
fn mast_with_cloud(emulator: &Emulator) -> Command {
    let mut cmd = mast(emulator);
    cmd.env("MAST_S3_ENDPOINT", emulator.base_url()).env_remove("MAST_S3_BUCKET");
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_uris_and_datasets() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let output = mast_with_cloud(&emulator)
        .args(["cloud", "uris", "--uri", "mast:HST/product/u9o40504m_c3m.fits"])
        .args(["--uri", "mast:HST/product/does_not_exist.fits", "--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "\"dataURI\",\"cloudURI\"\nstr,str\n\
         \"mast:HST/product/u9o40504m_c3m.fits\",\"s3://stpubdata/hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits\"\n\
         \"mast:HST/product/does_not_exist.fits\",\n"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Failed to retrieve cloud path for mast:HST/product/does_not_exist.fits"), "{stderr}");

    // From an obsid's products, filtered, as bare keys.
    let output = mast_with_cloud(&emulator)
        .args(["cloud", "uris", "2003738726", "--filter", "productSubGroupDescription=C3M", "--no-include-bucket"])
        .args(["--format", "csv", "--columns", "cloudURI"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "\"cloudURI\"\nstr\n\"hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits\"\n"
    );

    let output = mast_with_cloud(&emulator).args(["cloud", "datasets", "--format", "csv"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let csv = String::from_utf8(output.stdout).unwrap();
    assert!(
        csv.starts_with("\"dataset\"\nstr\n") && csv.contains("\"hst\"\n") && csv.contains("\"mast/hlsp/tica\"\n"),
        "{csv}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_from_the_cloud() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let dir = tempfile_path("cloud-downloads");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let output = mast_with_cloud(&emulator)
        .current_dir(&dir)
        .args(["-q", "download", "products", "2003738726", "--filter", "productSubGroupDescription=C3M,TRL"])
        .args(["--cloud", "--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout).unwrap().matches("\"COMPLETE\"").count(), 2);
    assert!(!String::from_utf8_lossy(&output.stderr).contains("COMPLETE"), "-q: no progress lines");
    assert!(dir.join("mastDownload/HST/U9O40504M/u9o40504m_c3m.fits").is_file());
    let stats = emulator.stats();
    assert!(stats.count("s3:get") >= 1, "{stats:?}");
    assert_eq!(stats.count("s3:get") + stats.count("download"), 2, "each file from one place: {stats:?}");

    // download file: --cloud-only skips what the bucket does not have.
    let output = mast_with_cloud(&emulator)
        .current_dir(&dir)
        .args(["download", "file", "mast:HST/product/does_not_exist.fits", "--cloud", "--cloud-only"])
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "\"status\",\"msg\",\"url\"\nstr,str,str\n\"SKIPPED\",,\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("was not found in the cloud. Skipping download."), "{stderr}");
    assert!(!dir.join("does_not_exist.fits").exists());

    let output = mast_with_cloud(&emulator)
        .args(["download", "file", "mast:HST/product/u9o40504m_c3m.fits", "--cloud-only", "--force-on-prem"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_products_of_a_criteria_query() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let output = mast(&emulator)
        .args(["download", "products", "--criteria", "obs_collection=HST", "--position", "210.80227 54.34895"])
        .args(["--extension", "fits", "--urls-only", "--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let csv = String::from_utf8(output.stdout).unwrap();
    let rows: Vec<&str> = csv.lines().skip(2).collect();
    assert!(rows.iter().all(|r| r.starts_with("\"./mastDownload/HST/") && r.contains(".fits\",")), "{csv}");
    let stats = emulator.stats();
    assert_eq!(stats.count("invoke:Mast.Caom.Filtered.Position"), 1, "{stats:?}");
    assert_eq!(stats.count("download"), 0);
    // What was asked: HST around the position (the default radius), then the products of
    // exactly the observations found, in one batch.
    let hst = serde_json::json!([{"paramName": "obs_collection", "separator": ";", "values": ["HST"]}]);
    let sent = emulator.requests_for("invoke:Mast.Caom.Filtered.Position");
    assert_eq!(
        sent[0].params(),
        Some(serde_json::json!({"columns": "*", "filters": hst, "position": "210.80227, 54.34895, 0.2"}))
    );
    let filters = mast_emulator::filtered::Filters::parse(Some(&hst)).unwrap();
    let found: Vec<i64> =
        mast_emulator::filtered::query(&filters, Some((210.80227, 54.34895, 0.2)), 42).unwrap().obsids().collect();
    assert!(!found.is_empty() && found.len() < 500, "{}", found.len());
    let joined = found.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let products = emulator.requests_for("invoke:Mast.Caom.Products");
    assert_eq!(
        products.iter().map(|e| e.params().unwrap()).collect::<Vec<_>>(),
        [serde_json::json!({"obsid": joined})]
    );
    // One row per FITS product of those observations (by dataURI), each as its URL.
    let mut uris: Vec<String> = found
        .iter()
        .flat_map(|&id| mast_emulator::products::products_of(id, 42))
        .filter(|p| p.product_filename.to_ascii_lowercase().ends_with(".fits"))
        .map(|p| p.data_uri)
        .collect();
    let mut seen = std::collections::HashSet::new();
    uris.retain(|u| seen.insert(u.clone()));
    assert!(!uris.is_empty());
    assert_eq!(rows.len(), uris.len(), "{csv}");
    for (row, uri) in rows.iter().zip(&uris) {
        assert!(row.contains(&format!("Download/file?uri={uri}")), "{row} is not {uri}");
    }

    // A misspelt criterion costs no request.
    emulator.reset_stats();
    let output = mast(&emulator)
        .args(["download", "products", "--criteria", "obs_colection=HST", "--urls-only"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(stderr_last_line(&output).starts_with("InvalidQueryError: "), "{}", stderr_last_line(&output));
    assert_eq!(emulator.stats().total, 0);
}
