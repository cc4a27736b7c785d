//! The `mast` command line against a hostile server (issue 10): absurd `Retry-After`
//! values, absurd `paging` numbers, connections that stall before the first byte or
//! mid-body, invalid timeout settings, bodies over the size limit, a full disk. Every run
//! must end with a result or a typed error (exit 1, an error class on the last stderr line),
//! never a panic (101), an abort (SIGABRT, 134 in a shell) or a hang (killed by the test's
//! timeout); every test also checks in the emulator's stats that the fault really fired.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use mast_emulator::{Emulator, EmulatorConfig, Fault, FaultRule};

use super::{mast_with_cloud, stderr_last_line};

/// A product with a cloud copy (the recorded example of spec §9.3).
const URI: &str = "mast:HST/product/u9o40504m_c3m.fits";
/// Longer than any run of a test may take: a run still going then is a hang.
const HANG: Duration = Duration::from_secs(90);

/// The settings the hostile tests set themselves, removed from the inherited environment.
const KEYS: &[&str] = &[
    "MAST_TIMEOUT",
    "MAST_CONNECT_TIMEOUT",
    "MAST_FIRST_BYTE_TIMEOUT",
    "MAST_SERVICES_FIRST_BYTE_TIMEOUT",
    "MAST_IDLE_TIMEOUT",
    "MAST_RETRIES",
    "MAST_RETRY_AFTER_MAX",
    "MAST_MAX_RESPONSE_BYTES",
    "MAST_PAGE_CONCURRENCY",
    "MAST_LOG",
];

/// `mast` with every host (S3 included) at `emulator`, a clean environment for the hostile
/// settings, one retry, `Retry-After` capped at 0.2 s, and the hang timeout.
fn mast(emulator: &Emulator) -> Command {
    let mut cmd = mast_with_cloud(emulator);
    for key in KEYS {
        cmd.env_remove(key);
    }
    cmd.env("MAST_RETRIES", "1").env("MAST_RETRY_AFTER_MAX", "0.2").timeout(HANG);
    cmd
}

/// Fails unless the process ended by itself with exit status 0, 1 or 3 (ERROR rows): not a
/// panic (101), not killed by a signal (SIGABRT from an abort, SIGKILL from the hang timeout).
fn assert_no_crash(output: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    match (output.status.code(), output.status.signal()) {
        (Some(0 | 1 | 3), _) => {}
        (Some(101), _) => panic!("{what}: mast panicked (exit 101):\n{stderr}"),
        (_, Some(6)) => panic!("{what}: mast aborted (SIGABRT, exit 134 in a shell):\n{stderr}"),
        (_, Some(9)) => panic!("{what}: mast hung and was killed after {HANG:?}:\n{stderr}"),
        (code, signal) => panic!("{what}: unexpected end (code {code:?}, signal {signal:?}):\n{stderr}"),
    }
}

/// A typed error: exit status 1 and `<Class>Error: <message>` as the last stderr line.
fn assert_typed_error(output: &Output, what: &str) -> String {
    assert_no_crash(output, what);
    let last = stderr_last_line(output);
    assert_eq!(output.status.code(), Some(1), "{what}: expected a typed error, got success: {last}");
    let class = last.split(':').next().unwrap_or("");
    assert!(
        class.len() > "Error".len()
            && class.ends_with("Error")
            && class.chars().all(|c| c.is_ascii_alphanumeric())
            && last.len() > class.len() + 2,
        "{what}: the last stderr line is not `<Class>Error: message`: {last:?}"
    );
    last
}

/// Runs `check` on every case and fails at the end with every failing case, so that one
/// run shows all of them.
fn check_all<T: std::fmt::Debug>(cases: impl IntoIterator<Item = T>, mut check: impl FnMut(&T)) {
    let mut failed = Vec::new();
    for case in cases {
        if let Err(e) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&case))) {
            let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
            failed.push(format!("{case:?}: {}", msg.unwrap_or_default()));
        }
    }
    assert!(failed.is_empty(), "{} case(s) failed:\n{}", failed.len(), failed.join("\n---\n"));
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mast-cli-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Fails if a `.part` file without content was left anywhere under `dir`.
fn assert_no_empty_part(dir: &Path, what: &str) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(".part") {
                let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                assert!(len > 0, "{what}: an empty partial file was left: {}", path.display());
            }
        }
    }
}

/// The transports of the tests.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Transport {
    /// A Portal query (`mast service Mast.Caom.Cone`).
    Portal,
    /// `mast download file mast:...` over HTTPS (`Download/file`).
    Https,
    /// `mast download file mast:... --cloud` from the S3 bucket.
    S3,
}

const TRANSPORTS: [Transport; 3] = [Transport::Portal, Transport::Https, Transport::S3];

impl Transport {
    /// The endpoint key a fault on this transport's main request uses.
    fn endpoint(self) -> &'static str {
        match self {
            Transport::Portal => "invoke:Mast.Caom.Cone",
            Transport::Https => "download",
            Transport::S3 => "s3:get",
        }
    }

    /// Runs the transport's command in `dir`.
    fn run(self, emulator: &Emulator, dir: &Path, env: &[(&str, &str)]) -> Output {
        let mut cmd = mast(emulator);
        cmd.current_dir(dir).envs(env.iter().copied());
        match self {
            Transport::Portal => cmd
                .args(["service", "Mast.Caom.Cone", "-p", "ra=184.3", "-p", "dec=54.5", "-p", "radius=0.2"])
                .args(["-p", "emulator_rows=40", "--format", "csv"]),
            Transport::Https => cmd.args(["download", "file", URI, "--no-cache", "--format", "csv"]),
            Transport::S3 => cmd.args(["download", "file", URI, "--cloud", "--no-cache", "--format", "csv"]),
        };
        cmd.output().unwrap()
    }

    /// Checks a successful run's result: 40 rows, or the file's exact bytes from the right
    /// place.
    fn assert_result(self, emulator: &Emulator, dir: &Path, output: &Output, what: &str) {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{what}: {stderr}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        match self {
            Transport::Portal => assert_eq!(stdout.lines().count(), 2 + 40, "{what}: {stdout}"),
            Transport::Https | Transport::S3 => {
                assert!(stdout.contains("\"COMPLETE\""), "{what}: {stdout}\n{stderr}");
                let file = dir.join("u9o40504m_c3m.fits");
                let want = emulator.file_content(URI);
                let got = std::fs::read(&file).unwrap_or_else(|e| panic!("{what}: {}: {e}", file.display()));
                assert!(got == want.bytes(0..want.size()), "{what}: wrong bytes ({} of {})", got.len(), want.size());
                let stats = emulator.stats();
                let (https, s3) = (stats.count("download") - stats.count("download:head"), stats.count("s3:get"));
                match self {
                    Transport::Https => assert!(https >= 1 && s3 == 0, "{what}: {stats:?}"),
                    _ => assert!(s3 >= 1 && https == 0, "{what}: not from the bucket: {stats:?}"),
                }
            }
        }
    }
}

/// After a persistent fault on a download: an ERROR row (exit 3) and no file, a typed error,
/// or, from the bucket only, the file fetched whole from MAST instead (the HTTPS fallback).
fn assert_download_error_or_fallback(
    transport: Transport,
    emulator: &Emulator,
    dir: &Path,
    output: &Output,
    what: &str,
) {
    assert_no_crash(output, what);
    if output.status.code() == Some(1) {
        assert_typed_error(output, what);
        return;
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    if transport == Transport::S3 && stdout.contains("\"COMPLETE\"") {
        assert_eq!(output.status.code(), Some(0), "{what}: COMPLETE is exit 0");
        let want = emulator.file_content(URI);
        let got = std::fs::read(dir.join("u9o40504m_c3m.fits")).unwrap_or_default();
        assert!(got == want.bytes(0..want.size()), "{what}: wrong bytes from the fallback");
        assert!(emulator.stats().count("download") >= 1, "{what}: COMPLETE without the fallback");
        return;
    }
    assert!(stdout.contains("\"ERROR\""), "{what}: {stdout}");
    assert_eq!(output.status.code(), Some(3), "{what}: an ERROR row is exit 3");
    assert!(!dir.join("u9o40504m_c3m.fits").exists(), "{what}: a file after an error");
}

/// The `Retry-After` values of the issue, each as a hostile server may send it.
const RETRY_AFTER: [&str; 6] = ["1e20", "-5", "abc", "1.5", "99999999999999999999", "Fri, 01 Jan 2999 00:00:00 GMT"];

/// A transient 503 with a hostile `Retry-After` is retried (the cap keeps the wait short)
/// and the command gives its result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_retry_after_once_then_the_result() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let cases = TRANSPORTS.iter().flat_map(|t| RETRY_AFTER.map(|v| (*t, v)));
    check_all(cases, |&(transport, value)| {
        let what = format!("{transport:?} Retry-After {value:?} once");
        let dir = fresh_dir("retry-after-once");
        emulator.reset_stats();
        let fault = Fault::RawRetryAfter { code: 503, retry_after: value.into() };
        emulator.set_faults(vec![FaultRule::new(transport.endpoint(), fault).times(1)]);
        let t = Instant::now();
        let output = transport.run(&emulator, &dir, &[]);
        assert_no_crash(&output, &what);
        assert_no_empty_part(&dir, &what);
        assert_eq!(emulator.stats().faults_injected, 1, "{what}: the fault fired");
        transport.assert_result(&emulator, &dir, &output, &what);
        assert!(t.elapsed() < Duration::from_secs(20), "{what}: took {:?}", t.elapsed());
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// A persistent 503 with a hostile `Retry-After`: with `MAST_RETRIES=1` and
/// `MAST_RETRY_AFTER_MAX=0.2` the command gives up quickly with a typed error (a Portal
/// query) or an ERROR row / typed error (a download), and leaves no empty partial file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_retry_after_always_then_a_quick_typed_error() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let cases = TRANSPORTS.iter().flat_map(|t| RETRY_AFTER.map(|v| (*t, v)));
    check_all(cases, |&(transport, value)| {
        {
            let what = format!("{transport:?} Retry-After {value:?} always");
            let dir = fresh_dir("retry-after-always");
            emulator.reset_stats();
            // On S3 every request of the bucket (HEAD and GET) answers 503.
            let endpoint = if transport == Transport::S3 { "s3" } else { transport.endpoint() };
            let fault = Fault::RawRetryAfter { code: 503, retry_after: value.into() };
            emulator.set_faults(vec![FaultRule::new(endpoint, fault)]);
            let t = Instant::now();
            let output = transport.run(&emulator, &dir, &[]);
            assert_no_crash(&output, &what);
            assert_no_empty_part(&dir, &what);
            assert!(emulator.stats().faults_injected >= 1, "{what}: the fault fired");
            let elapsed = t.elapsed();
            assert!(elapsed < Duration::from_secs(15), "{what}: {elapsed:?} despite MAST_RETRY_AFTER_MAX=0.2");
            if transport == Transport::Portal {
                let last = assert_typed_error(&output, &what);
                assert!(last.contains("503"), "{what}: {last}");
            } else {
                assert_download_error_or_fallback(transport, &emulator, &dir, &output, &what);
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    });
}

/// `paging` numbers no client can honour (`rowsFiltered: 1e12`, `pagesFiltered: 2^40`) on
/// page 1: a typed error, no terabyte allocation (an abort) and no endless paging (a hang).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absurd_paging_numbers_give_a_typed_error() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let cases = [
        ("1e12", "1099511627776"),
        ("1000000000000", "1099511627776"),
        ("1000000000000", "2"),
        ("1e12", "2"),
        ("40", "1099511627776"),
    ];
    check_all(cases, |&(rows, pages)| {
        let what = format!("rowsFiltered {rows}, pagesFiltered {pages}");
        emulator.reset_stats();
        let fault = Fault::Paging { rows_filtered: rows.into(), pages_filtered: pages.into() };
        // Every answer hostile (a single garbled one is retried like a cut answer).
        emulator.set_faults(vec![FaultRule::new("invoke:Mast.Caom.Cone", fault)]);
        let t = Instant::now();
        let output = mast(&emulator)
            .args(["service", "Mast.Caom.Cone", "-p", "ra=184.3", "-p", "dec=54.5", "-p", "radius=0.2"])
            .args(["-p", "emulator_rows=1234", "--pagesize", "500", "--format", "csv"])
            .output()
            .unwrap();
        assert!(emulator.stats().faults_injected >= 1, "{what}: the fault fired");
        let last = assert_typed_error(&output, &what);
        assert!(t.elapsed() < Duration::from_secs(30), "{what}: {:?} ({last})", t.elapsed());
        assert!(emulator.stats().count("invoke") < 100, "{what}: endless paging {:?}", emulator.stats());
    });
}

/// A connection that goes silent, before its first byte or mid-body, once: noticed by
/// `MAST_FIRST_BYTE_TIMEOUT=1` / `MAST_IDLE_TIMEOUT=1`, retried, and the command completes
/// with the right result long before the 30 s stall ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalls_are_noticed_and_retried() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let stall = 30_000;
    let env = [("MAST_FIRST_BYTE_TIMEOUT", "1"), ("MAST_IDLE_TIMEOUT", "1"), ("MAST_RETRIES", "2")];
    let faults = [Fault::SlowFirstByte { millis: stall }, Fault::StallMidBody { millis: stall }];
    let cases = TRANSPORTS.iter().flat_map(|t| faults.clone().map(|f| (*t, f)));
    check_all(cases, |(transport, fault)| {
        let (transport, fault) = (*transport, fault.clone());
        {
            let what = format!("{transport:?} {fault:?}");
            let dir = fresh_dir("stalls");
            emulator.reset_stats();
            emulator.set_faults(vec![FaultRule::new(transport.endpoint(), fault).times(1)]);
            let t = Instant::now();
            let output = transport.run(&emulator, &dir, &env);
            let elapsed = t.elapsed();
            assert_no_crash(&output, &what);
            assert_eq!(emulator.stats().faults_injected, 1, "{what}: the fault fired");
            transport.assert_result(&emulator, &dir, &output, &what);
            assert!(elapsed < Duration::from_secs(10), "{what}: took {elapsed:?}; the stall was not cut short");
            let _ = std::fs::remove_dir_all(&dir);
        }
    });
}

/// Invalid values of every timeout setting, by environment variable and by flag: exit 1
/// and a `ConfigurationError` naming the key, before any request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_timeouts_are_configuration_errors() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let keys = [
        ("MAST_TIMEOUT", "--timeout"),
        ("MAST_CONNECT_TIMEOUT", "--connect-timeout"),
        ("MAST_FIRST_BYTE_TIMEOUT", "--first-byte-timeout"),
        ("MAST_SERVICES_FIRST_BYTE_TIMEOUT", "--services-first-byte-timeout"),
        ("MAST_IDLE_TIMEOUT", "--idle-timeout"),
        ("MAST_RETRY_AFTER_MAX", "--retry-after-max"),
    ];
    let values = ["1e20", "1e19", "-1", "nan", "inf", "abc"];
    let cases = keys.iter().flat_map(|k| values.iter().flat_map(move |v| [(*k, *v, false), (*k, *v, true)]));
    check_all(cases, |&((key, flag), value, by_flag)| {
        let what = if by_flag { format!("{flag}={value}") } else { format!("{key}={value}") };
        emulator.reset_stats();
        let mut cmd = mast(&emulator);
        cmd.env_remove("MAST_RETRY_AFTER_MAX");
        if by_flag {
            cmd.arg(format!("{flag}={value}"));
        } else {
            cmd.env(key, value);
        }
        let output = cmd.args(["resolve", "M101", "--format", "csv"]).output().unwrap();
        let last = assert_typed_error(&output, &what);
        assert!(last.starts_with("ConfigurationError: ") && last.contains(key), "{what}: {last}");
        assert_eq!(emulator.stats().total, 0, "{what}: a request was sent");
    });
    for value in ["-1", "nan", "abc", "1.5"] {
        let what = format!("MAST_MAX_RESPONSE_BYTES={value}");
        let output = mast(&emulator).env("MAST_MAX_RESPONSE_BYTES", value).args(["resolve", "M101"]).output().unwrap();
        let last = assert_typed_error(&output, &what);
        assert!(last.starts_with("ConfigurationError: ") && last.contains("MAST_MAX_RESPONSE_BYTES"), "{what}: {last}");
    }
}

/// A Portal answer over `MAST_MAX_RESPONSE_BYTES`, and answers announcing 10^13 bytes, give
/// a typed error (or, for a file, an ERROR row), never an attempt to buffer them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_are_typed_errors() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let dir = fresh_dir("max-response");
    // A real answer over a small limit.
    let output = Transport::Portal.run(&emulator, &dir, &[("MAST_MAX_RESPONSE_BYTES", "2000")]);
    let last = assert_typed_error(&output, "a 40-row page over MAST_MAX_RESPONSE_BYTES=2000");
    assert!(last.contains("MAST_MAX_RESPONSE_BYTES"), "the error names the setting: {last}");
    // Page 1 and the columns config are asked together; whichever is refused first ends it.
    assert!(emulator.stats().count("invoke:Mast.Caom.Cone") + emulator.stats().count("columnsconfig") >= 1);

    // Content-Length: 10^13 on every answer of the Portal service.
    emulator.reset_stats();
    emulator.set_faults(vec![FaultRule::new("invoke:Mast.Caom.Cone", Fault::HugeContentLength)]);
    let output = Transport::Portal.run(&emulator, &dir, &[]);
    assert_typed_error(&output, "Portal Content-Length 10^13");
    assert!(emulator.stats().faults_injected >= 1);

    // Once on a download (GET and HEAD): the file arrives whole; always: an honest error.
    for transport in [Transport::Https, Transport::S3] {
        let base = if transport == Transport::S3 { "s3" } else { "download" };
        let what = format!("{transport:?} Content-Length 10^13 once");
        // A partial file left by the other transport would be resumed by it first.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        emulator.reset_stats();
        emulator.set_faults(vec![FaultRule::new(base, Fault::HugeContentLength).times(1)]);
        let output = transport.run(&emulator, &dir, &[]);
        assert_no_crash(&output, &what);
        assert_eq!(emulator.stats().faults_injected, 1, "{what}: the fault fired");
        transport.assert_result(&emulator, &dir, &output, &what);

        let what = format!("{transport:?} Content-Length 10^13 always");
        emulator.reset_stats();
        emulator.set_faults(vec![FaultRule::new(base, Fault::HugeContentLength)]);
        let _ = std::fs::remove_file(dir.join("u9o40504m_c3m.fits"));
        let output = transport.run(&emulator, &dir, &[]);
        assert!(emulator.stats().faults_injected >= 1, "{what}: the fault fired");
        assert_download_error_or_fallback(transport, &emulator, &dir, &output, &what);
        let _ = std::fs::remove_file(dir.join("u9o40504m_c3m.fits"));
        emulator.set_faults(Vec::new());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A tmpfs of 64 KiB mounted at a fresh directory, unmounted on drop.
struct TinyDisk(PathBuf);

impl TinyDisk {
    /// `Err(reason)` when this process cannot mount one (not root, no mount permission).
    fn mount(name: &str) -> Result<TinyDisk, String> {
        let uid = std::process::Command::new("id").arg("-u").output().map_err(|e| format!("id -u: {e}"))?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Err("not root: cannot mount a tiny tmpfs".into());
        }
        let dir = fresh_dir(name);
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(&dir)
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(format!("mount -t tmpfs failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(TinyDisk(dir))
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A full disk is final at once: exactly one request for the file, and an error that names
/// the disk (ENOSPC). Needs root to mount a tiny tmpfs; skipped (with the reason printed)
/// otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_one_attempt_and_a_clear_error() {
    let disk = match TinyDisk::mount("tiny-disk") {
        Ok(disk) => disk,
        Err(reason) => {
            eprintln!("SKIPPED a_full_disk_is_one_attempt_and_a_clear_error: {reason}");
            return;
        }
    };
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    // A product of 1 to 3 MB: far more than the 64 KiB disk.
    let uri = "mast:HST/product/hostile_disk_full_c3m.fits";
    assert!(emulator.file_size(uri) > 1 << 20);
    let output = mast(&emulator)
        .env("MAST_RETRIES", "3")
        .args(["download", "file", uri, "--local-path"])
        .arg(disk.0.join("x.fits"))
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert_no_crash(&output, "disk full");
    let stats = emulator.stats();
    let gets = stats.count("download") - stats.count("download:head");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(text.contains("No space left on device"), "the error names the disk: {text}");
    assert_eq!(gets, 1, "a full disk is not retried: {stats:?}\n{text}");
    if output.status.code() == Some(3) {
        assert!(text.contains("\"ERROR\""), "{text}");
    } else {
        assert_typed_error(&output, "disk full");
    }
    assert!(!disk.0.join("x.fits").exists());
}
