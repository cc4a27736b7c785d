//! # mast-download
//!
//! Parallel, resumable, verified downloads for mast-rs, a Rust client for MAST (the Barbara
//! A. Mikulski Archive for Space Telescopes).
//!
//! - [`Downloader`]: built from a [`mast_proto::MastClient`] (its connection pool, timeouts
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
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Without `https` and `s3` the crate still builds (manifests, paths, zip, curl scripts), and
// every download is that file's error naming the missing feature; the transfer plumbing is
// then unused.
#![cfg_attr(not(any(feature = "https", feature = "s3")), allow(dead_code, unused_variables))]

mod checksum;
mod curl;
mod downloader;
mod error;
#[cfg(feature = "https")]
mod http;
mod manifest;
mod part;
mod path;
mod progress;
#[cfg(feature = "s3")]
mod s3;
mod source;
#[cfg(feature = "zip")]
mod unzip;

pub use checksum::Checksum;
pub use curl::{bundle_script_body, bundle_script_url, local_curl_script};
pub use downloader::{
    DEFAULT_MAX_FILES_IN_FLIGHT, DEFAULT_OTHER_HOST_CONCURRENCY, DEFAULT_PER_HOST_CONCURRENCY, DEFAULT_S3_CONCURRENCY,
    DownloadItem, Downloader, DownloaderBuilder,
};
pub use error::{Error, Result};
pub use manifest::{Manifest, ManifestRow, Status};
pub use part::{META_SUFFIX, PART_SUFFIX};
pub use path::safe_join;
pub use progress::ProgressEvent;
#[cfg(feature = "s3")]
pub use s3::{CloudObject, CloudStore};
pub use source::Source;
#[cfg(feature = "zip")]
pub use unzip::{DEFAULT_MAX_ENTRY_SIZE, DEFAULT_MAX_TOTAL_SIZE, UnzipOptions, Unzipped, UnzippedEntry, unzip};
