//! mast-auth's integration tests.

mod sources;
mod store;
