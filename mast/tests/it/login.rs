//! `mast login`, `mast whoami`, `mast logout` and the token every command sends, end to end
//! against the emulator's `/whoami` and request log.

use std::path::Path;

use mast_emulator::{Emulator, EmulatorConfig, EmulatorToken};

use super::{mast, stderr_last_line};

const GOOD: &str = "good-0123456789abcdef";
const OLD: &str = "old-0123456789abcdef";

async fn emulator() -> Emulator {
    let config = EmulatorConfig::default()
        .token(EmulatorToken::new(GOOD).ezid("jdoe").display_name("Jane Doe"))
        .token(EmulatorToken::new(OLD).expired());
    Emulator::start(config).await.unwrap()
}

/// `mast` with its configuration directory (and so the token file) in `config`.
fn mast_in(emulator: &Emulator, config: &Path) -> assert_cmd::Command {
    let mut cmd = mast(emulator);
    cmd.env("XDG_CONFIG_HOME", config).env("HOME", config);
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts that `token` went only as the `mast_token` cookie: in no other header, no path,
/// no query of any request the emulator logged.
fn only_in_cookies(emulator: &Emulator, token: &str) {
    for r in &emulator.request_log().entries {
        let elsewhere = r.headers.iter().filter(|(k, _)| k != "cookie").any(|(_, v)| v.contains(token))
            || r.path.contains(token)
            || r.query.iter().any(|(k, v)| k.contains(token) || v.contains(token));
        assert!(!elsewhere, "{r:?}");
    }
}

/// The `Cookie` headers of the requests logged under `key`.
fn cookies(emulator: &Emulator, key: &str) -> Vec<String> {
    emulator
        .requests_for(key)
        .iter()
        .map(|r| r.headers.iter().filter(|(k, _)| k == "cookie").map(|(_, v)| v.clone()).collect::<Vec<_>>().join(";"))
        .collect()
}

const CONE: [&str; 8] = ["service", "Mast.Caom.Cone", "-p", "ra=184.3", "-p", "dec=54.5", "-p", "radius=0.2"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_token_then_whoami_then_logout_forget() {
    let emulator = emulator().await;
    let config = tempfile::tempdir().unwrap();
    let token_file = config.path().join("mast-rs").join("token");

    let out = mast_in(&emulator, config.path())
        .args(["--token-store", "file", "login", "--with-token", "--store-token"])
        .write_stdin(format!("{GOOD}\n"))
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("MAST API token accepted, welcome Jane Doe"), "{stderr}");
    assert!(stderr.contains(&format!("token stored in the file {}", token_file.display())), "{stderr}");
    assert!(!stderr.contains(GOOD) && out.stdout.is_empty(), "{stderr}");
    assert_eq!(cookies(&emulator, "whoami"), [format!("mast_token={GOOD}")]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // A later command finds the stored token: `whoami` and every other command send it.
    let out = mast_in(&emulator, config.path()).args(["--token-store", "file", "whoami"]).output().unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for line in
        ["eppn: jdoe@stsci.edu", "ezid: jdoe", "attrib.display_name: Jane Doe", "anon: False", "token: good-012..."]
    {
        assert!(stdout.lines().any(|l| l == line), "{line}: {stdout}");
    }
    let out = mast_in(&emulator, config.path())
        .args(["--token-store", "file", "whoami", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((json["ezid"].as_str(), json["anon"].as_bool()), (Some("jdoe"), Some(false)));
    let out = mast_in(&emulator, config.path()).args(CONE).args(["--token-store", "file"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(cookies(&emulator, "invoke").iter().all(|c| c == &format!("mast_token={GOOD}")));
    assert!(!cookies(&emulator, "invoke").is_empty());
    only_in_cookies(&emulator, GOOD);

    // `logout --forget` deletes it; the next command is anonymous.
    let out = mast_in(&emulator, config.path()).args(["--token-store", "file", "logout", "--forget"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("deleted the stored token"), "{}", text(&out.stderr));
    assert!(!token_file.exists());
    let out = mast_in(&emulator, config.path()).args(["--token-store", "file", "whoami"]).output().unwrap();
    assert!(text(&out.stdout).lines().any(|l| l == "ezid: anonymous"), "{}", text(&out.stdout));
    assert_eq!(cookies(&emulator, "whoami").last().map(String::as_str), Some(""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_tokens_are_login_errors_and_nothing_is_stored() {
    let emulator = emulator().await;
    let config = tempfile::tempdir().unwrap();
    for token in [OLD, "unknown-0123456789"] {
        let out = mast_in(&emulator, config.path())
            .args(["--token-store", "file", "login", "--with-token", "--store-token"])
            .write_stdin(token)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let last = stderr_last_line(&out);
        assert!(last.starts_with("LoginError: MAST API token invalid or expired"), "{last}");
        assert!(last.contains("10 days without use") && last.contains("https://auth.mast.stsci.edu/token"), "{last}");
        assert!(!text(&out.stderr).contains(token), "{}", text(&out.stderr));
    }
    assert!(!config.path().join("mast-rs").exists(), "a refused token is not stored");
    assert_eq!(emulator.stats().count("whoami"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_token_goes_first_even_empty() {
    let emulator = emulator().await;
    let config = tempfile::tempdir().unwrap();
    let stored = mast_in(&emulator, config.path())
        .args(["--token-store", "file", "login", "--with-token", "--store-token"])
        .write_stdin(GOOD)
        .output()
        .unwrap();
    assert!(stored.status.success(), "{}", text(&stored.stderr));

    // Set, MAST_API_TOKEN wins over the stored token...
    let out = mast_in(&emulator, config.path())
        .env("MAST_API_TOKEN", OLD)
        .args(CONE)
        .args(["--token-store", "file"])
        .output();
    assert!(out.unwrap().status.success());
    assert_eq!(cookies(&emulator, "invoke").last(), Some(&format!("mast_token={OLD}")));
    // ... even empty: then no token at all, and `login` says why before any request.
    let out =
        mast_in(&emulator, config.path()).env("MAST_API_TOKEN", "").args(CONE).args(["--token-store", "file"]).output();
    assert!(out.unwrap().status.success());
    assert_eq!(cookies(&emulator, "invoke").last().map(String::as_str), Some(""));
    let whoami_before = emulator.stats().count("whoami");
    let out = mast_in(&emulator, config.path())
        .env("MAST_API_TOKEN", "")
        .args(["--token-store", "file", "login"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_last_line(&out).starts_with("ValueError: the MAST API token is empty"), "{}", text(&out.stderr));
    assert_eq!(emulator.stats().count("whoami"), whoami_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_without_a_token_or_a_terminal_asks_for_with_token() {
    let emulator = emulator().await;
    let config = tempfile::tempdir().unwrap();
    for extra in [&[][..], &["--reenter-token"][..]] {
        let mut cmd = mast_in(&emulator, config.path());
        if !extra.is_empty() {
            cmd.env("MAST_API_TOKEN", GOOD);
        }
        let out = cmd.arg("login").args(extra).write_stdin("").output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let last = stderr_last_line(&out);
        assert!(last.contains("standard input is not a terminal") && last.contains("--with-token"), "{last}");
    }
    assert_eq!(emulator.stats().count("whoami"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storing_without_a_keyring_says_how_to_opt_in_to_the_file() {
    let emulator = emulator().await;
    let config = tempfile::tempdir().unwrap();
    let out = mast_in(&emulator, config.path())
        .args(["login", "--with-token", "--store-token"])
        .write_stdin(GOOD)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let last = stderr_last_line(&out);
    assert!(last.starts_with("KeyringError: ") && last.contains("no system keyring is available"), "{last}");
    assert!(last.contains("--token-store file"), "{last}");
    assert!(!config.path().join("mast-rs").exists(), "never a silent fall back to the file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_insecure_token_argument_works_with_a_warning() {
    let emulator = emulator().await;
    let config = tempfile::tempdir().unwrap();
    let out = mast_in(&emulator, config.path())
        .args(["--insecure-token", GOOD, "whoami", "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("WARNING: --insecure-token puts the token where other users can read it"));
    let csv = text(&out.stdout);
    assert!(csv.starts_with("\"key\",\"value\"\nstr,str\n\"eppn\",\"\"\"jdoe@stsci.edu\"\"\"\n"), "{csv}");
    assert!(csv.contains("\"anon\",\"false\"\n") && csv.contains("\"token\",\"\"\"good-012...\"\"\"\n"), "{csv}");
    // -q: no warning.
    let out = mast_in(&emulator, config.path()).args(["-q", "--insecure-token", GOOD, "whoami"]).output().unwrap();
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    assert_eq!(cookies(&emulator, "whoami"), [format!("mast_token={GOOD}"), format!("mast_token={GOOD}")]);
    only_in_cookies(&emulator, GOOD);
}

#[test]
fn blocking_login_session_info_and_logout() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emulator = rt.block_on(emulator());
    let config = mast::MastConfig::new().with_all_urls(emulator.base_url()).unwrap();
    let client = mast::MastClient::new(config).unwrap();
    let mast = mast::blocking::Mast::new(client.clone()).unwrap();
    let error = mast.login(mast::auth::Token::new(OLD)).unwrap_err();
    assert_eq!(error.class_name(), "LoginError");
    assert!(!client.has_token());
    let info = mast.login(mast::auth::Token::new(GOOD)).unwrap();
    assert_eq!(info.display_name(), Some("Jane Doe"));
    assert!(client.has_token(), "the client given to Mast::new carries it");
    assert_eq!(mast.session_info().unwrap().ezid.as_deref(), Some("jdoe"));
    mast.logout();
    assert!(mast.session_info().unwrap().anon);
    assert_eq!(cookies(&emulator, "whoami").last().map(String::as_str), Some(""));
}
