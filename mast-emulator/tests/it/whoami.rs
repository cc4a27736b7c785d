//! `/whoami` (spec §12): valid, expired, unknown and missing tokens, by cookie or Bearer.

use mast_emulator::{EmulatorConfig, EmulatorToken};
use serde_json::Value;

use crate::util::*;

async fn whoami(base: &str, header: Option<(&str, &str)>) -> (u16, Value) {
    let mut request = client().get(format!("{base}/whoami")).header("accept", "application/json");
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn config() -> EmulatorConfig {
    EmulatorConfig::new()
        .token(EmulatorToken::new("good-token").ezid("jdoe").display_name("Jane Doe"))
        .token(EmulatorToken::new("old-token").expired())
}

#[tokio::test]
async fn a_valid_token_by_cookie_or_bearer_is_its_user() {
    let emu = start(config()).await;
    for header in [("cookie", "other=1; mast_token=good-token"), ("authorization", "Bearer good-token")] {
        let (status, body) = whoami(emu.base_url(), Some(header)).await;
        assert_eq!(status, 200);
        assert_eq!(body["anon"], false, "{body}");
        assert_eq!(body["ezid"], "jdoe");
        assert_eq!(body["eppn"], "jdoe@stsci.edu");
        assert_eq!(body["attrib"]["display_name"], "Jane Doe");
        assert_eq!(body["attrib"]["first_name"], "A.");
        assert_eq!(body["scopes"], serde_json::json!(["mast:user:info", "mast:exclusive_access"]));
        assert_eq!(body["token"], "good-tok...", "MAST echoes the start of the token only");
        assert!(body["attrib"]["uuid"].as_str().unwrap().len() == 36);
    }
    assert_eq!(emu.stats().count("whoami"), 2);
    assert_eq!(emu.stats().authorized("whoami"), 2);
}

#[tokio::test]
async fn expired_unknown_and_missing_tokens_are_anonymous() {
    let emu = start(config()).await;
    for header in [
        Some(("cookie", "mast_token=old-token")),
        Some(("authorization", "Bearer old-token")),
        Some(("cookie", "mast_token=nobody")),
        Some(("authorization", "Basic Z29vZC10b2tlbg==")),
        None,
    ] {
        let (status, body) = whoami(emu.base_url(), header).await;
        assert_eq!(status, 200);
        assert_eq!(body["anon"], true, "{header:?}: {body}");
        assert_eq!(body["ezid"], "anonymous");
        assert_eq!(body["token"], Value::Null);
    }
}

#[tokio::test]
async fn whoami_is_get_only_and_logged() {
    let emu = start(config()).await;
    let status = client().post(format!("{}/whoami", emu.base_url())).send().await.unwrap().status();
    assert_eq!(status.as_u16(), 405);
    whoami(emu.base_url(), Some(("cookie", "mast_token=good-token"))).await;
    let logged = emu.requests_for("whoami");
    assert!(logged.iter().any(|r| r.path == "/whoami" && r.status == Some(200)), "{logged:?}");
}
