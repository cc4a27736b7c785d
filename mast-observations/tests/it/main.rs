//! `Observations` against the emulator, over real sockets: astroquery's offline test
//! checklist (spec §13, items 20–39) on the recorded fixtures, and batching on the sky.

mod checklist;
#[cfg(feature = "cloud")]
mod cloud;
mod curl;
mod exclusive;
mod limits;
mod plan;
mod products;
mod sizes;
mod validation;

use std::time::Duration;

use mast_emulator::{DataMode, Emulator, EmulatorConfig};
use mast_observations::Observations;
use mast_proto::{MastClient, MastConfig};

/// An emulator answering every service from the recorded fixtures.
pub async fn recorded() -> Emulator {
    Emulator::start(EmulatorConfig::default().data_mode(DataMode::Recorded)).await.unwrap()
}

/// An emulator answering CAOM services from the generated sky.
pub async fn sky() -> Emulator {
    Emulator::start(EmulatorConfig::default()).await.unwrap()
}

/// A client configuration pointing at `emulator`, with quick retries.
pub fn config(emulator: &Emulator) -> MastConfig {
    MastConfig::new()
        .with_all_urls(emulator.base_url())
        .unwrap()
        .with_retries(2)
        .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

/// `Observations` over `emulator`.
pub fn observations(emulator: &Emulator) -> Observations {
    Observations::new(MastClient::new(config(emulator)).unwrap())
}
