//! Integration tests: the emulator over real sockets, driven by a plain HTTP client.

mod cloud;
mod columnsconfig;
mod control;
mod criteria;
mod endpoints;
mod exclusive;
mod faults;
mod files;
mod hostile;
mod log;
mod paging;
mod polling;
mod products;
mod recorded;
mod resolver;
mod stats;
mod util;
mod whoami;
mod wire;
