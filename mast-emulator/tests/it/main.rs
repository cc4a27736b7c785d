//! Integration tests: the emulator over real sockets, driven by a plain HTTP client.

mod columnsconfig;
mod control;
mod faults;
mod paging;
mod polling;
mod recorded;
mod resolver;
mod stats;
mod util;
mod wire;
