//! Request counters.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// What the emulator has seen since it started (or since the last reset).
///
/// `requests` counts requests per endpoint key:
///
/// | key | requests |
/// |---|---|
/// | `invoke` | every `/api/v0/invoke` request |
/// | `invoke:<service>` | the same, per `service` as sent (case kept), when the request names one |
/// | `columnsconfig` | `/portal/Mashup/Mashup.asmx/columnsconfig` |
/// | `resolver` | `/Santa-war/query` |
/// | `services:<catalog>` | `/api/v0.1/<catalog>/<release>/<table>.json` (e.g. `services:panstarrs`) |
/// | `services:<catalog>:metadata` | `/api/v0.1/<catalog>/<release>/<table>/metadata.json` |
/// | `download` | every `/api/v0.1/Download/file` request |
/// | `download:range` / `download:head` | the same, for a `GET` with a `Range` header / a `HEAD` |
/// | `files` (`files:range`, `files:head`) | `/files/<name>` (the same split) |
/// | `path_lookup` | `/api/v0.1/path_lookup[/]` |
/// | `s3` | every request for the S3 bucket (`/<bucket>[/<key>]`, see [`crate::cloud`]) |
/// | `s3:list` / `s3:head` / `s3:get` / `s3:write` | the same, for a `GET` of the bucket (listings) / a `HEAD` / a `GET` of an object / any other method |
/// | `s3:get:range` | a `GET` of an object with a `Range` header (also counted under `s3:get`) |
/// | `s3:get:if_match` | a `GET` of an object with an `If-Match` header (also counted under `s3:get`) |
/// | `search:<mission>` | `/search/<mission>/api/v0.1/search` (MastMissions search) |
/// | `redirect` | `/__emulator/redirect` (see [`crate`]'s table of paths) |
/// | `not_found` | any other path (answered 404) |
///
/// `total` counts every request once; control requests (`/__emulator/...`) are not counted.
/// `max_concurrency` is the largest number of requests in flight at once, each counted from
/// the moment its head was read until its response body was written or its connection
/// dropped. `faults_injected` counts the requests a [`crate::FaultRule`] fired on.
/// `bytes_sent` counts the body bytes of the file endpoints handed to the connection, per
/// base key (`download`, `files`), and the `GetObject` body bytes of the bucket under `s3`: a
/// body cut by a fault counts what was sent before the cut. `authorized` counts, under the
/// same keys, the requests that carried credentials: a `mast_token` cookie or an
/// `Authorization` header (the credentials themselves are not kept). `arrivals` keeps, per
/// endpoint key, when its requests were counted (their heads read), in microseconds on a
/// monotonic clock whose zero means nothing: compare two arrivals (e.g. a refused request
/// and its retry). At most [`MAX_ARRIVALS`] per key are kept; later ones are counted only.
/// `barriers_timed_out` counts the [`crate::Barrier`]s whose requests were released by
/// the timeout rather than by reaching their count.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Stats {
    /// Requests per endpoint key.
    pub requests: BTreeMap<String, u64>,
    /// All requests.
    pub total: u64,
    /// Most requests in flight at once.
    pub max_concurrency: u64,
    /// Requests answered with an injected fault.
    pub faults_injected: u64,
    /// File body bytes sent, per base endpoint key (`download`, `files`, `s3`).
    #[serde(default)]
    pub bytes_sent: BTreeMap<String, u64>,
    /// Requests that carried a `mast_token` cookie or an `Authorization` header, per
    /// endpoint key.
    #[serde(default)]
    pub authorized: BTreeMap<String, u64>,
    /// When the requests of each endpoint key arrived, in arrival order: microseconds on a
    /// monotonic clock (only differences mean something), the first [`MAX_ARRIVALS`] per key.
    #[serde(default)]
    pub arrivals: BTreeMap<String, Vec<u64>>,
    /// [`crate::Barrier`]s that timed out before their count of requests was in flight.
    #[serde(default)]
    pub barriers_timed_out: u64,
}

/// The most arrival times [`Stats::arrivals`] keeps per endpoint key.
pub const MAX_ARRIVALS: usize = 1000;

/// The zero of [`Stats::arrivals`]' clock.
static CLOCK_ZERO: std::sync::LazyLock<std::time::Instant> = std::sync::LazyLock::new(std::time::Instant::now);

impl Stats {
    /// The count for endpoint key `key` (0 if none was seen).
    pub fn count(&self, key: &str) -> u64 {
        self.requests.get(key).copied().unwrap_or(0)
    }

    /// The requests under endpoint key `key` that carried credentials (0 if none).
    pub fn authorized(&self, key: &str) -> u64 {
        self.authorized.get(key).copied().unwrap_or(0)
    }

    /// The arrival times of the requests under endpoint key `key` (see [`Stats::arrivals`]):
    /// microseconds on a monotonic clock, in arrival order.
    pub fn arrivals(&self, key: &str) -> &[u64] {
        self.arrivals.get(key).map_or(&[], Vec::as_slice)
    }

    /// The file body bytes sent under base key `key` (`download`, `files`, `s3`).
    pub fn bytes(&self, key: &str) -> u64 {
        self.bytes_sent.get(key).copied().unwrap_or(0)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Recorder {
    counts: Mutex<Stats>,
    in_flight: AtomicU64,
    /// The request log ([`crate::log`]), cleared with the counters.
    pub(crate) log: crate::log::Log,
}

impl Recorder {
    pub(crate) fn snapshot(&self) -> Stats {
        lock(&self.counts).clone()
    }

    pub(crate) fn reset(&self) {
        let mut s = lock(&self.counts);
        *s = Stats::default();
        s.max_concurrency = self.in_flight.load(Ordering::SeqCst);
        self.log.clear();
    }

    pub(crate) fn record(&self, keys: &[String]) {
        let now = u64::try_from(CLOCK_ZERO.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut s = lock(&self.counts);
        s.total += 1;
        for k in keys {
            *s.requests.entry(k.clone()).or_default() += 1;
            let arrivals = s.arrivals.entry(k.clone()).or_default();
            if arrivals.len() < MAX_ARRIVALS {
                arrivals.push(now);
            }
        }
    }

    pub(crate) fn record_authorized(&self, keys: &[String]) {
        let mut s = lock(&self.counts);
        for k in keys {
            *s.authorized.entry(k.clone()).or_default() += 1;
        }
    }

    pub(crate) fn bytes_sent(&self, key: &str, n: u64) {
        let mut s = lock(&self.counts);
        match s.bytes_sent.get_mut(key) {
            Some(total) => *total += n,
            None => {
                s.bytes_sent.insert(key.to_owned(), n);
            }
        }
    }

    pub(crate) fn barrier_timed_out(&self) {
        lock(&self.counts).barriers_timed_out += 1;
    }

    pub(crate) fn fault_injected(&self) {
        lock(&self.counts).faults_injected += 1;
    }

    /// Marks a request in flight until the returned guard is dropped.
    pub(crate) fn enter(self: &Arc<Self>) -> InFlight {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let mut s = lock(&self.counts);
        s.max_concurrency = s.max_concurrency.max(now);
        InFlight(Arc::clone(self))
    }
}

/// A request in flight (see [`Recorder::enter`]).
#[derive(Debug)]
pub(crate) struct InFlight(Arc<Recorder>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Locks a mutex, ignoring poisoning (the data stays usable: counters and maps).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
