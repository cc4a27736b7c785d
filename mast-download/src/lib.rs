//! # mast-download
//!
//! Parallel, resumable, verified downloads for mast-rs, a Rust client for MAST (the Barbara
//! A. Mikulski Archive for Space Telescopes).
//!
//! - [`Downloader`] (features `https` and `s3`): built from a [`mast_proto::MastClient`] (its connection pool, timeouts
//!   and retry policy), it downloads [`DownloadItem`]s: an HTTPS URL or a `mast:` URI
//!   ([`Source`]), a destination (an untrusted name checked by [`safe_join`], or a path the
//!   caller chose), and optionally the expected size and a [`Checksum`].
//! - Each file is streamed to `<name>.part` beside its destination (never held in memory),
//!   resumed with `Range`/`If-Range` after checking that the kept bytes belong to the same
//!   file version, verified, fsynced and renamed into place: a partial or corrupt file never
//!   sits under the final name.
//! - [`Downloader::download_all`] returns a [`Manifest`] with astroquery's columns
//!   (`Local Path`, `Status`, `Message`, `URL`; [`Manifest::to_table`]) plus bytes and
//!   durations, one row per file in the order given; errors are per file.
//! - [`ProgressEvent`]s go to a callback for whoever draws progress.
//! - [`unzip`] (feature `zip`) inflates an archive (a Tesscut cutout bundle) into a
//!   directory: entry names checked like [`safe_join`], links and zip bombs refused, each
//!   file renamed into place once its CRC and size are verified.
//!
//! ```
//! # #[cfg(feature = "https")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use mast_download::{DownloadItem, Downloader, Status};
//! use mast_emulator::{Emulator, EmulatorConfig};
//! use mast_proto::{MastClient, MastConfig};
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let emulator = Emulator::start(EmulatorConfig::default()).await?;
//! let client = MastClient::new(MastConfig::new().with_all_urls(emulator.base_url())?)?;
//! let downloader = Downloader::new(&client);
//! let dir = tempfile::tempdir()?;
//! let item = DownloadItem::new("mast:HST/product/u9o40504m_c3m.fits", dir.path(), "HST/u9o40504m_c3m.fits").size(207360);
//! let row = downloader.download(item.clone()).await;
//! assert_eq!((row.status, row.message.as_deref(), row.bytes), (Status::Complete, None, 207360));
//! // Complete on disk with the expected size: kept without a request.
//! let before = emulator.stats().total;
//! let row = downloader.download(item).await;
//! assert!(row.cached && row.status == Status::Complete);
//! assert_eq!(emulator.stats().total, before);
//! # Ok::<(), Box<dyn std::error::Error>>(()) })?;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "https"))]
//! # fn main() {}
//! ```
//!
//! Without `https` and `s3` the crate is sans-IO (no tokio, no reqwest, no async): the
//! manifest types, [`Source`] parsing, [`safe_join`], [`Checksum`], [`local_curl_script`],
//! the `.part` names ([`PART_SUFFIX`]) and, with `zip`, the blocking [`unzip`].
//!
//! ## Features
#![cfg_attr(doc, doc = document_features::document_features!())]
// With `client` but neither transport (a build nobody chooses on purpose: `https` and `s3`
// turn it on) every download is that file's error naming the missing feature, and the
// transfer plumbing is unused.
#![cfg_attr(all(feature = "client", not(any(feature = "https", feature = "s3"))), allow(dead_code, unused_variables))]

mod checksum;
mod curl;
#[cfg(feature = "client")]
mod downloader;
mod error;
#[cfg(feature = "https")]
mod http;
mod manifest;
mod nofollow;
mod part;
mod path;
mod progress;
#[cfg(feature = "s3")]
mod s3;
mod source;
#[cfg(feature = "zip")]
mod unzip;

pub use checksum::Checksum;
#[cfg(feature = "https")]
pub use curl::BundleAnswer;
pub use curl::{
    bundle_request, bundle_script_body, bundle_script_stem, bundle_script_url, local_curl_script, local_curl_script_for,
};
#[cfg(feature = "client")]
pub use downloader::{
    BatchOptions, DEFAULT_MAX_FILES_IN_FLIGHT, DEFAULT_OTHER_HOST_CONCURRENCY, DEFAULT_PER_HOST_CONCURRENCY,
    DEFAULT_S3_CONCURRENCY, DownloadItem, Downloader, DownloaderBuilder,
};
pub use error::{Error, Result};
pub use manifest::{Manifest, ManifestRow, Status};
pub use nofollow::{open_no_follow, write_file};
pub use part::{META_SUFFIX, PART_SUFFIX};
pub use path::{escape_for_terminal, join_relative, join_text, safe_join, windows_name_problem};
pub use progress::ProgressEvent;
#[cfg(feature = "s3")]
pub use s3::{CloudObject, CloudStore};
pub use source::Source;
#[cfg(feature = "zip")]
pub use unzip::{DEFAULT_MAX_ENTRY_SIZE, DEFAULT_MAX_TOTAL_SIZE, UnzipOptions, Unzipped, UnzippedEntry, unzip};
