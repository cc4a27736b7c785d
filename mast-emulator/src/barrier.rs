//! Barriers: requests held until enough of them are in flight at once, so that a test can
//! reach a concurrency bound by construction instead of by timing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::stats::{Recorder, lock};

/// Holds the first [`Barrier::count`] requests of an endpoint until that many are in flight
/// at once, then releases them together; later requests of the endpoint pass unheld.
///
/// `endpoint` selects requests as a [`crate::FaultRule`] does (an endpoint key or key prefix,
/// compared case-insensitively, or `"*"`). A held request has been counted
/// ([`crate::Stats::requests`]) and is in flight ([`crate::Stats::max_concurrency`]), so a
/// barrier of `count` that opens guarantees `max_concurrency >= count`: a client that
/// bounds its requests to `count` at once reaches the bound exactly, one that sends fewer at
/// once never opens the barrier. If `count` requests have not arrived within `timeout`
/// (default 10 s) of a held request's arrival, every held request is released and
/// [`crate::Stats::barriers_timed_out`] counts it once: a test asserts that it stayed 0.
/// A barrier holds requests before the configured latency and before a fault is delivered;
/// [`Barrier::after`] lets a first few matching requests through unheld.
///
/// ```
/// use std::time::Duration;
/// use mast_emulator::{Barrier, Emulator, EmulatorConfig};
///
/// let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
/// runtime.block_on(async {
///     let emulator = Emulator::start(EmulatorConfig::default()).await?;
///     emulator.set_barriers(vec![Barrier::new("resolver", 3).timeout(Duration::from_secs(5))]);
///     let url = format!("{}/Santa-war/query?name=M1", emulator.base_url());
///     let get = || reqwest::get(url.clone());
///     let (a, b, c) = tokio::join!(get(), get(), get());
///     assert!(a.is_ok() && b.is_ok() && c.is_ok());
///     let stats = emulator.stats();
///     assert_eq!((stats.max_concurrency, stats.barriers_timed_out), (3, 0));
///     emulator.shutdown().await;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Barrier {
    /// The endpoint key or key prefix to match, or `"*"`.
    pub endpoint: String,
    /// How many requests are held until they are all in flight.
    pub count: u32,
    /// How long a held request waits at most before every held request is released.
    pub timeout: Duration,
    /// How many matching requests pass unheld before the barrier starts gathering (a page 1
    /// that must be answered before the other pages are asked for).
    #[serde(default)]
    pub after: u32,
}

impl Barrier {
    /// A barrier for the first `count` requests of `endpoint`, with a 10 s timeout.
    pub fn new(endpoint: impl Into<String>, count: u32) -> Self {
        Barrier { endpoint: endpoint.into(), count, timeout: Duration::from_secs(10), after: 0 }
    }

    /// Lets the first `n` matching requests pass unheld.
    pub fn after(mut self, n: u32) -> Self {
        self.after = n;
        self
    }

    /// Changes the timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A barrier with its arrivals and its gate (`true` once open).
struct Gate {
    barrier: Barrier,
    /// Matching requests let through before gathering.
    passed: u32,
    arrived: u32,
    open: Arc<tokio::sync::watch::Sender<bool>>,
}

/// The barriers in force.
#[derive(Default)]
pub(crate) struct Barriers {
    gates: Mutex<Vec<Gate>>,
}

impl Barriers {
    /// Replaces the barriers (requests held by the old ones are released).
    pub(crate) fn set(&self, barriers: Vec<Barrier>) {
        *lock(&self.gates) = barriers
            .into_iter()
            .map(|barrier| Gate {
                barrier,
                passed: 0,
                arrived: 0,
                open: Arc::new(tokio::sync::watch::Sender::new(false)),
            })
            .collect();
    }

    /// The barriers in force.
    pub(crate) fn list(&self) -> Vec<Barrier> {
        lock(&self.gates).iter().map(|g| g.barrier.clone()).collect()
    }

    /// Holds a request with endpoint key `key` at the first barrier still gathering that
    /// matches it, until the barrier opens or times out.
    pub(crate) async fn pass(&self, key: &str, stats: &Recorder) {
        let (open, mut opened, timeout) = {
            let mut gates = lock(&self.gates);
            let Some(gate) = gates
                .iter_mut()
                .find(|g| g.arrived < g.barrier.count && crate::faults::key_matches(&g.barrier.endpoint, key))
            else {
                return;
            };
            if gate.passed < gate.barrier.after {
                gate.passed += 1;
                return;
            }
            gate.arrived += 1;
            if gate.arrived == gate.barrier.count {
                gate.open.send_replace(true);
                return;
            }
            (Arc::clone(&gate.open), gate.open.subscribe(), gate.barrier.timeout)
        };
        if tokio::time::timeout(timeout, opened.wait_for(|open| *open)).await.is_err() && !open.send_replace(true) {
            tracing::warn!(endpoint = key, "a barrier timed out: its requests are released");
            stats.barrier_timed_out();
        }
    }
}
