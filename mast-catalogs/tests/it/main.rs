//! `Catalogs` against the emulator over real sockets (recorded fixtures): what each call
//! sends, read back from the emulator's request log, and what it returns.

mod criteria;
mod hsc;
mod many;
mod panstarrs;
mod region;
mod spectra;

use std::time::Duration;

use mast_catalogs::Catalogs;
use mast_emulator::{DataMode, Emulator, EmulatorConfig};
use mast_proto::{MastClient, MastConfig, Position};
use serde_json::Value;

/// An emulator answering from the recorded fixtures.
pub async fn recorded() -> Emulator {
    Emulator::start(EmulatorConfig::default().data_mode(DataMode::Recorded)).await.unwrap()
}

/// `Catalogs` over `emulator`, with quick retries.
pub fn catalogs(emulator: &Emulator) -> Catalogs {
    let config = MastConfig::new()
        .with_all_urls(emulator.base_url())
        .unwrap()
        .with_retries(2)
        .with_backoff(Duration::from_millis(5), Duration::from_millis(20));
    Catalogs::new(MastClient::new(config).unwrap())
}

/// The Portal request objects sent to `service`, without `cacheBreaker`.
pub fn portal(emulator: &Emulator, service: &str) -> Vec<Value> {
    emulator
        .request_log()
        .portal_requests(&format!("invoke:{service}"))
        .into_iter()
        .map(|mut r| {
            r.as_object_mut().unwrap().remove("cacheBreaker");
            r
        })
        .collect()
}

/// The position of the spec's captured HSC request.
pub fn pos(text: &str) -> Position {
    Position::parse(text).unwrap()
}

/// The warnings of a table as `Class: message` lines.
pub fn warnings(table: &mast_proto::Table) -> Vec<String> {
    table.warnings().iter().map(ToString::to_string).collect()
}
