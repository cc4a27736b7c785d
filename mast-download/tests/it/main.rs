//! Integration tests: mast-download against mast-emulator over real sockets.

mod auth;
mod cache;
mod exclusive;
mod faults;
mod files;
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod flush;
mod hostile;
mod kill;
mod limits;
mod manifest;
mod paths;
mod plain;
mod resume;
#[cfg(feature = "s3")]
mod s3;
mod sizes;
#[cfg(feature = "zip")]
mod unzip;
mod util;
