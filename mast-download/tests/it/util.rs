//! Helpers shared by the tests.

use std::path::Path;
use std::time::Duration;

use mast_download::{Checksum, Downloader};
use mast_emulator::{Emulator, EmulatorConfig};
use mast_proto::{MastClient, MastConfig};

pub async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default()).await.expect("the emulator starts")
}

/// A client for `emu` with fast back-off and `retries` retries.
pub fn client(emu: &Emulator, retries: u32) -> MastClient {
    let config = MastConfig::new()
        .with_all_urls(emu.base_url())
        .expect("emulator URL")
        .with_retries(retries)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .with_idle_timeout(Duration::from_secs(20));
    MastClient::new(config).expect("client")
}

pub fn downloader(emu: &Emulator) -> Downloader {
    Downloader::new(&client(emu, 5))
}

/// The SHA-256 and length of `uri` as served now, fetched with a separate plain client.
pub async fn served(emu: &Emulator, uri: &str) -> (Checksum, u64) {
    let url = format!("{}/api/v0.1/Download/file", emu.base_url());
    let c = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let r = c.get(url).query(&[("uri", uri)]).send().await.expect("an answer");
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.expect("a body");
    (Checksum::sha256_of(&body), body.len() as u64)
}

pub fn file_sha(path: &Path) -> (Checksum, u64) {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (Checksum::sha256_of(&data), data.len() as u64)
}

pub fn part_of(target: &Path) -> std::path::PathBuf {
    let mut s = target.as_os_str().to_owned();
    s.push(mast_download::PART_SUFFIX);
    s.into()
}

pub fn meta_of(target: &Path) -> std::path::PathBuf {
    let mut s = target.as_os_str().to_owned();
    s.push(mast_download::META_SUFFIX);
    s.into()
}
