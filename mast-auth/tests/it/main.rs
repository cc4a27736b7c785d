//! mast-auth's integration tests.

#[cfg(feature = "client")]
mod login;
mod sources;
mod store;
