//! mast-proto's integration tests: every recorded fixture decodes, tables round-trip through
//! the MAST JSON encoding, and the table operations keep their contracts.

#[cfg(feature = "client")]
mod auth;
#[cfg(feature = "client")]
mod client;
mod fixtures;
#[cfg(feature = "client")]
mod hostile;
mod roundtrip;
#[cfg(feature = "client")]
mod services;
mod table_ops;

use std::path::PathBuf;

/// The recorded MAST responses, as kept in the emulator's data directory.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading fixture {}: {e}", path.display()))
}

/// The directory of the recorded MAST responses.
pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../mast-emulator/data/astroquery-recorded")
}
