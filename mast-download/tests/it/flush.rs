//! A failed background flush fails the download. The download runs in a child process (this
//! test binary again, running the ignored `child_with_failing_fdatasync` test) in which a
//! seccomp filter makes every `fdatasync(2)` fail with `EIO`, as a write-back error reports
//! itself: the real writer, its real flush thread and a real failing system call, no mock.
//! In mast-download only the background flush (`Flusher`, every 64 MiB) calls `fdatasync`;
//! the commit uses `fsync`, which the filter lets through.

use std::path::{Path, PathBuf};
use std::process::Command;

use mast_download::{DownloadItem, Downloader, Error, Source, Status};
use mast_emulator::{Fault, FaultRule};

use crate::util::*;

/// What the background flush waits for before it starts (`FLUSH_EVERY` in `part.rs`).
const FLUSH_EVERY: u64 = 64 << 20;

/// The line the child prints once the filter is in force and seen to work.
const FILTER_ON: &str = "fdatasync fails with EIO";

/// Run by the child process only; fails loudly when run without its environment.
#[test]
#[ignore = "run as a child process by flush::failed_flush"]
fn child_with_failing_fdatasync() {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: this test is run by flush::failed_flush"))
    };
    let (base, target, url) = (var("MAST_DL_TEST_BASE"), var("MAST_DL_TEST_TARGET"), var("MAST_DL_TEST_SOURCE"));
    fail_fdatasync();
    // The filter works: fdatasync fails, fsync does not.
    let probe = tempfile::tempfile().unwrap();
    assert_eq!(probe.sync_data().unwrap_err().raw_os_error(), Some(libc::EIO));
    probe.sync_all().unwrap();
    println!("{FILTER_ON}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = mast_proto::MastConfig::new().with_all_urls(&base).unwrap().with_retries(3);
        let client = mast_proto::MastClient::new(config).unwrap();
        let row =
            Downloader::new(&client).download(DownloadItem::to_path(Source::from(url), PathBuf::from(target))).await;
        println!("status: {}", row.status.as_str());
        println!("message: {}", row.message.as_deref().unwrap_or(""));
        if let Some(Error::Io { action, path, source }) = &row.error {
            println!("io: {action} | {} | {:?}", path.display(), source.raw_os_error());
        }
    });
}

/// Installs a seccomp filter on every thread of this process: `fdatasync` returns `EIO`,
/// every other system call runs.
fn fail_fdatasync() {
    use seccompiler::{BpfProgram, SeccompAction, SeccompFilter};
    let filter = SeccompFilter::new(
        [(libc::SYS_fdatasync, Vec::new())].into_iter().collect(),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EIO as u32),
        std::env::consts::ARCH.try_into().expect("an architecture seccompiler knows"),
    )
    .expect("a filter");
    let program: BpfProgram = filter.try_into().expect("a BPF program");
    seccompiler::apply_filter_all_threads(&program).expect("the filter is installed");
}

/// Runs the child on `url` into `target` and returns what it printed (waiting on the
/// blocking pool: this runtime's thread serves the emulator meanwhile).
async fn run_child(base: &str, url: &str, target: &Path) -> String {
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args(["--ignored", "--exact", "flush::child_with_failing_fdatasync", "--nocapture", "--test-threads=1"])
        .env("MAST_DL_TEST_BASE", base)
        .env("MAST_DL_TEST_TARGET", target)
        .env("MAST_DL_TEST_SOURCE", url);
    let out =
        tokio::task::spawn_blocking(move || child.output()).await.unwrap().expect("the child test process starts");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the child failed ({}):\n{said}", out.status);
    assert!(said.contains(FILTER_ON), "the filter was not in force:\n{said}");
    said
}

/// The value of the child's `<name>: ` line.
fn line<'a>(said: &'a str, name: &str) -> &'a str {
    let prefix = format!("{name}: ");
    said.lines().find_map(|l| l.strip_prefix(prefix.as_str())).unwrap_or_else(|| panic!("no {name} line in:\n{said}"))
}

/// The failed flush is the download's error: `ERROR`, `OSError` naming the `.part` file and
/// `EIO`, final (one request, no retry), and nothing under the final name. A fresh download
/// had nothing durable: its temporary file and sidecar are gone. A resumed one keeps exactly
/// what it started from (the earlier run's bytes), never less, and a rerun resumes them.
#[tokio::test]
async fn failed_flush() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();

    // A file shorter than one flush interval never starts a background flush: it completes
    // with `fdatasync` failing (the commit before the rename is an `fsync`).
    let size = 1 << 20;
    let url = format!("{}/files/small.bin?size={size}", emu.base_url());
    let target = dir.path().join("small.bin");
    let said = run_child(emu.base_url(), &url, &target).await;
    assert_eq!(line(&said, "status"), "COMPLETE", "{said}");
    assert_eq!(std::fs::metadata(&target).unwrap().len(), size);

    // A fresh download one flush long and a little more.
    let size = FLUSH_EVERY + (1 << 20);
    let url = format!("{}/files/fresh.bin?size={size}", emu.base_url());
    let target = dir.path().join("fresh.bin");
    emu.reset_stats();
    let said = run_child(emu.base_url(), &url, &target).await;
    assert_eq!(line(&said, "status"), "ERROR", "{said}");
    let message = line(&said, "message");
    assert!(message.starts_with("OSError: could not write ") && message.contains("fresh.bin.part"), "{said}");
    assert_eq!(line(&said, "io"), format!("write | {} | Some({})", part_of(&target).display(), libc::EIO));
    let stats = emu.stats();
    assert_eq!((stats.count("files"), stats.bytes("files")), (1, size), "final at once, no retry: {stats:?}");
    assert!(!target.exists(), "no final file");
    assert!(!part_of(&target).exists() && !meta_of(&target).exists(), "nothing durable, nothing kept");

    // A resumed download: an earlier run (here, no filter) kept about half of a file whose
    // rest is more than one flush long.
    let size = 2 * FLUSH_EVERY + (6 << 20);
    let url = format!("{}/files/resumed.bin?size={size}", emu.base_url());
    let target = dir.path().join("resumed.bin");
    emu.set_faults(vec![FaultRule::new("files", Fault::DropMidBody).times(1)]);
    let row = Downloader::new(&client(&emu, 0)).download(DownloadItem::to_path(url.as_str(), &target)).await;
    emu.set_faults(Vec::new());
    assert_eq!(row.status, Status::Error, "{:?}", row.message);
    let kept = std::fs::metadata(part_of(&target)).unwrap().len();
    assert!(kept > 0 && size - kept > FLUSH_EVERY, "kept {kept} of {size}: the rest must start a flush");
    emu.reset_stats();
    let said = run_child(emu.base_url(), &url, &target).await;
    assert_eq!(line(&said, "status"), "ERROR", "{said}");
    assert!(line(&said, "io").ends_with(&format!("Some({})", libc::EIO)), "{said}");
    assert_eq!(emu.stats().count("files:range"), 1, "one ranged request, no retry");
    assert!(!target.exists(), "no final file");
    assert_eq!(std::fs::metadata(part_of(&target)).unwrap().len(), kept, "the durable prefix, no more, no less");
    assert!(meta_of(&target).exists(), "its sidecar kept for a rerun");
    let row = downloader(&emu).download(DownloadItem::to_path(url.as_str(), &target)).await;
    assert_eq!(row.status, Status::Complete, "{:?}", row.message);
    assert_eq!(row.resumed_from, kept);
    // The file `/files/resumed.bin` serves, compared a MiB at a time.
    let expected = mast_emulator::files::FileContent::new("files/resumed.bin", size, 42, emu.files().version);
    let mut got = std::fs::File::open(&target).unwrap();
    assert_eq!(got.metadata().unwrap().len(), size);
    let mut buf = vec![0u8; 1 << 20];
    for at in (0..size).step_by(buf.len()) {
        let n = (size - at).min(buf.len() as u64) as usize;
        std::io::Read::read_exact(&mut got, &mut buf[..n]).unwrap();
        assert!(expected.bytes(at..at + n as u64) == buf[..n], "the bytes at {at}");
    }
    assert!(!part_of(&target).exists() && !meta_of(&target).exists());
}
