//! # mast-emulator
//!
//! A local MAST (the Barbara A. Mikulski Archive for Space Telescopes): a real HTTP/1.1
//! server on `127.0.0.1` that speaks MAST's wire formats (`../shared/spec/MAST-PROTOCOL.md`),
//! so that mast-rs (or astroquery) can be tested and benchmarked with no network.
//!
//! One listener serves the paths of every MAST host (they do not collide), at
//! [`Emulator::base_url`]:
//!
//! | path | answers |
//! |---|---|
//! | `POST`/`GET /api/v0/invoke` (`request=<JSON>`) | the Portal API: paging, long polling (`EXECUTING`), `ERROR`s, the row ceiling; `Mast.Caom.Cone` from the generated [`sky`], `Mast.Caom.Filtered[.Position]` ([`filtered`]) and `Mast.Caom.Products` ([`products`]) over it (or the recordings), the other services from the recorded fixtures, `Mast.Name.Lookup` from the resolver table |
//! | `POST /portal/Mashup/Mashup.asmx/columnsconfig` (`colConfigId=<id>`) | column configs (`columnsconfig.json` for `Mast.Caom.Cone` and `Mast.Caom.Filtered*`, `data/synth/colconfig_products*.json` for `Mast.Caom.Products`) |
//! | `GET /Santa-war/query` | the SANTA name resolver |
//! | `POST`/`GET /api/v0.1/panstarrs/<release>/<table>.json`, `GET …/metadata.json` | the catalogs (services) API |
//! | `/__emulator/...` | control: `GET stats`, `POST stats/reset`, `GET`/`PUT faults`, `GET`/`PUT config` |
//!
//! Every answer can be replaced or damaged by [`FaultRule`]s (status codes with
//! `Retry-After`, dropped connections, truncated bodies, malformed JSON, HTML error pages,
//! slow responses), set in the [`EmulatorConfig`], with [`Emulator::set_faults`] or over HTTP.
//! [`Stats`] count what was asked, so tests can check that a request was (not) sent.
//!
//! ## Paging
//!
//! Portal tables are paged as MAST pages them (spec §2.5): `pagesize` defaults to 1000 and
//! `page` to 1; `paging.page` echoes the page asked for, `pageSize` the page size,
//! `pagesFiltered` is ceil(rows / pagesize) (**0 when there are no rows**, as in MAST's
//! recorded empty answers), `rows` counts the rows sent, `rowsFiltered` = `rowsTotal` = all
//! rows. A page past the end is answered with no rows and the same paging totals. A recorded
//! table asked for exactly as recorded (page 1 of 50,000 rows) is sent byte for byte.
//!
//! ## Example
//!
//! ```
//! use mast_emulator::{Emulator, EmulatorConfig, Fault, FaultRule};
//!
//! let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
//! runtime.block_on(async {
//!     let emulator = Emulator::start(EmulatorConfig::default().executing_polls(1)).await?;
//!     assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
//!     emulator.set_faults(vec![FaultRule::new("resolver", Fault::DropBeforeResponse).times(1)]);
//!     assert_eq!(emulator.stats().total, 0);
//!     emulator.shutdown().await;
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! ## Features
#![cfg_attr(doc, doc = document_features::document_features!())]

mod faults;
pub mod filtered;
mod fixtures;
mod portal;
pub mod products;
mod resolver;
mod server;
pub mod sky;
mod stats;

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use faults::{Fault, FaultRule};
pub use stats::Stats;

use crate::faults::FaultBook;
use crate::server::State;
use crate::stats::lock;

/// Where the answers come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataMode {
    /// CAOM services from the generated [`sky`]: cone searches (`Mast.Caom.Cone`), criteria
    /// queries (`Mast.Caom.Filtered[.Position]`, see [`filtered`]) and product lists
    /// (`Mast.Caom.Products`, see [`products`]; recorded obsids get their recorded products);
    /// every other service from the recorded fixtures (`Mast.Caom.All` gets
    /// `missions.extjs`).
    #[default]
    Sky,
    /// Every service from the recorded fixtures, as astroquery's own tests answer them
    /// (`Mast.Caom.Cone` gets `caom.json` whatever the cone, `Mast.Caom.Filtered` /
    /// `.Position` `advSearch.json` / `advSearchPos.json`, or `countsResp.json` for
    /// `COUNT_BIG(*)`, whatever the filters, `Mast.Caom.Products` `products.json` whatever the
    /// obsids).
    Recorded,
}

/// How to start an [`Emulator`]. Builder-style; [`Default`] gives port 0 (any free port), no
/// latency, no `EXECUTING` polls, a row limit of 500,000, no faults, seed 42 and
/// [`DataMode::Sky`].
///
/// ```
/// use std::time::Duration;
/// use mast_emulator::{DataMode, EmulatorConfig};
/// let config = EmulatorConfig::default()
///     .latency(Duration::from_millis(5))
///     .executing_polls(2)
///     .row_limit(100_000)
///     .seed(7)
///     .data_mode(DataMode::Recorded);
/// assert_eq!(config.get_seed(), 7);
/// ```
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    port: u16,
    latency: Duration,
    executing_polls: u32,
    row_limit: usize,
    faults: Vec<FaultRule>,
    seed: u64,
    data_mode: DataMode,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            port: 0,
            latency: Duration::ZERO,
            executing_polls: 0,
            row_limit: 500_000,
            faults: Vec::new(),
            seed: 42,
            data_mode: DataMode::Sky,
        }
    }
}

impl EmulatorConfig {
    /// The same as [`EmulatorConfig::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The TCP port on 127.0.0.1 (0: any free port, see [`Emulator::base_url`]).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// A delay added before every answer of `/api/v0/invoke` (every page and poll), for
    /// benchmarks that want a realistic round trip.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// How many `EXECUTING` answers each distinct query gets before its `COMPLETE` answers.
    /// A query is the request object without `page` (so with its `cacheBreaker`): the first
    /// `n` requests of a query are answered `EXECUTING`, whatever page they ask for.
    pub fn executing_polls(mut self, n: u32) -> Self {
        self.executing_polls = n;
        self
    }

    /// The most rows one response may carry: a Portal page with more rows is answered by
    /// closing the connection (a TCP reset) with no response, as MAST does beyond about
    /// 500,000 rows.
    pub fn row_limit(mut self, rows: usize) -> Self {
        self.row_limit = rows;
        self
    }

    /// The initial fault rules.
    pub fn faults(mut self, rules: Vec<FaultRule>) -> Self {
        self.faults = rules;
        self
    }

    /// The seed of the generated sky (the same seed always gives the same sky).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Where answers come from.
    pub fn data_mode(mut self, mode: DataMode) -> Self {
        self.data_mode = mode;
        self
    }

    /// The configured port.
    pub fn get_port(&self) -> u16 {
        self.port
    }

    /// The configured seed.
    pub fn get_seed(&self) -> u64 {
        self.seed
    }

    /// The configured data mode.
    pub fn get_data_mode(&self) -> DataMode {
        self.data_mode
    }
}

/// A running emulator: an HTTP/1.1 server on 127.0.0.1, served by tasks on the Tokio runtime
/// it was started on.
///
/// [`Emulator::shutdown`] stops it; dropping it stops it too (the listener closes at once,
/// open connections are cut).
pub struct Emulator {
    base_url: String,
    state: Arc<State>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl Emulator {
    /// Binds `127.0.0.1:<port>` and starts serving on Tokio tasks (call it inside a Tokio
    /// runtime with I/O and time enabled).
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let port = listener.local_addr()?.port();
        let base_url = format!("http://127.0.0.1:{port}");
        let state = Arc::new(State {
            base_url: base_url.clone(),
            row_limit: config.row_limit,
            seed: config.seed,
            mode: config.data_mode,
            latency_us: AtomicU64::new(duration_us(config.latency)),
            executing_polls: AtomicU32::new(config.executing_polls),
            faults: Mutex::new(FaultBook::new(config.faults)),
            stats: Arc::default(),
            executing: Mutex::new(HashMap::new()),
            cones: portal::ConeCache::default(),
            filtered: portal::FilteredCache::default(),
            products: portal::ProductCache::default(),
            pages: portal::PageCache::default(),
        });
        let task = tokio::spawn(server::accept_loop(listener, Arc::clone(&state)));
        tracing::info!(%base_url, mode = ?config.data_mode, seed = config.seed, "mast-emulator listening");
        Ok(Emulator { base_url, state, task: Some(task) })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash. Every MAST host's paths are served
    /// here (use it as the main, catalogs and resolver base URL alike).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.state.stats.snapshot()
    }

    /// Zeroes the counters (`max_concurrency` restarts from the requests in flight now).
    pub fn reset_stats(&self) {
        self.state.stats.reset();
    }

    /// Replaces the fault rules (and their counts).
    pub fn set_faults(&self, rules: Vec<FaultRule>) {
        *lock(&self.state.faults) = FaultBook::new(rules);
    }

    /// The fault rules in force.
    pub fn faults(&self) -> Vec<FaultRule> {
        lock(&self.state.faults).rules()
    }

    /// Changes the delay added before every `/api/v0/invoke` answer.
    pub fn set_latency(&self, latency: Duration) {
        self.state.latency_us.store(duration_us(latency), Ordering::SeqCst);
    }

    /// Changes the number of `EXECUTING` answers per query (queries already past their polls
    /// stay `COMPLETE`).
    pub fn set_executing_polls(&self, n: u32) {
        self.state.executing_polls.store(n, Ordering::SeqCst);
    }

    /// Stops accepting connections and ends the open ones.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

fn duration_us(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
