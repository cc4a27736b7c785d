//! Zip inflation: entry names checked, links refused, corrupt entries never under their
//! final name, size limits, removal of the archive.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use mast_download::{Error, UnzipOptions, unzip};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

/// One archive entry to write.
enum Entry<'a> {
    File(&'a str, &'a [u8]),
    Stored(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
}

fn write_archive(path: &Path, entries: &[Entry<'_>]) {
    let mut w = ZipWriter::new(std::fs::File::create(path).unwrap());
    let deflated = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for entry in entries {
        match entry {
            Entry::File(name, data) | Entry::Stored(name, data) => {
                let options = if matches!(entry, Entry::Stored(..)) { stored } else { deflated };
                w.start_file(*name, options).unwrap();
                w.write_all(data).unwrap();
            }
            Entry::Dir(name) => w.add_directory(*name, deflated).unwrap(),
            Entry::Symlink(name, target) => w.add_symlink(*name, *target, deflated).unwrap(),
        }
    }
    w.finish().unwrap();
}

/// Every file under `dir` (relative, sorted).
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/");
            if path.symlink_metadata().unwrap().is_dir() {
                out.push(format!("{rel}/"));
                walk(base, &path, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

fn data(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8).collect()
}

#[test]
fn nested_archive_is_inflated_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("astrocut.zip");
    let big = data(300_000, 1);
    let small = data(100, 2);
    write_archive(
        &archive,
        &[
            Entry::Dir("cutouts/"),
            Entry::Dir("cutouts/empty/"),
            Entry::File("cutouts/s0001/tess-s0001-1-1_cutout.fits", &big),
            Entry::Stored("cutouts/s0002/x.fits", &small),
            Entry::File("implicit/dir/y.txt", b"y"),
            Entry::File("zero", b""),
        ],
    );
    let out = tmp.path().join("out");
    let u = unzip(&archive, &out, &UnzipOptions::new()).unwrap();
    assert!(u.is_complete(), "{:?}", u.errors().collect::<Vec<_>>());
    assert!(!u.archive_removed && archive.exists());
    assert_eq!(u.archive, archive);
    let paths: Vec<PathBuf> = u.entries.iter().map(|e| e.result.as_ref().unwrap().clone()).collect();
    assert_eq!(
        paths,
        [
            out.join("cutouts"),
            out.join("cutouts/empty"),
            out.join("cutouts/s0001/tess-s0001-1-1_cutout.fits"),
            out.join("cutouts/s0002/x.fits"),
            out.join("implicit/dir/y.txt"),
            out.join("zero"),
        ]
    );
    assert_eq!(u.files().count(), 4);
    assert_eq!(std::fs::read(out.join("cutouts/s0001/tess-s0001-1-1_cutout.fits")).unwrap(), big);
    assert_eq!(std::fs::read(out.join("cutouts/s0002/x.fits")).unwrap(), small);
    assert_eq!(std::fs::read(out.join("zero")).unwrap(), b"");
    assert_eq!(
        tree(&out),
        [
            "cutouts/",
            "cutouts/empty/",
            "cutouts/s0001/",
            "cutouts/s0001/tess-s0001-1-1_cutout.fits",
            "cutouts/s0002/",
            "cutouts/s0002/x.fits",
            "implicit/",
            "implicit/dir/",
            "implicit/dir/y.txt",
            "zero"
        ]
    );
    // Again over the same files: replaced, same bytes.
    let u = unzip(&archive, &out, &UnzipOptions::new()).unwrap();
    assert!(u.is_complete());
    assert_eq!(std::fs::read(out.join("cutouts/s0001/tess-s0001-1-1_cutout.fits")).unwrap(), big);
}

#[test]
fn traversal_entries_are_refused_and_the_rest_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("evil.zip");
    let bad = ["../evil", "/abs", "C:x", "a\\b", "a/../../b", "a//b", "./c", "../", "a\0b"];
    let mut entries = vec![Entry::File("good1", b"1")];
    entries.extend(bad.iter().map(|n| Entry::File(n, b"evil")));
    entries.push(Entry::Dir("../up/"));
    entries.push(Entry::File("sub/good2", b"2"));
    write_archive(&archive, &entries);
    let root = tmp.path().join("root");
    let out = root.join("out");
    let u = unzip(&archive, &out, &UnzipOptions::new()).unwrap();
    assert_eq!(u.entries.len(), bad.len() + 3);
    assert!(!u.is_complete());
    for e in &u.entries {
        if e.name.starts_with("good") || e.name.starts_with("sub/") {
            assert!(e.result.is_ok(), "{}: {:?}", e.name, e.result);
        } else {
            match &e.result {
                Err(err @ Error::UnsafePath { name, .. }) => {
                    assert_eq!(name, &e.name);
                    assert_eq!(err.class_name(), "ValueError");
                    assert!(err.to_string().starts_with("unsafe file name "), "{err}");
                }
                other => panic!("{:?}: {other:?}", e.name),
            }
        }
    }
    assert_eq!(u.errors().count(), bad.len() + 1);
    // Nothing but the good files, anywhere under the temporary directory.
    assert_eq!(tree(&out), ["good1", "sub/", "sub/good2"]);
    assert_eq!(tree(&root), ["out/", "out/good1", "out/sub/", "out/sub/good2"]);
    assert_eq!(tree(tmp.path()).iter().filter(|p| !p.starts_with("root/")).collect::<Vec<_>>(), ["evil.zip"]);
    assert!(!Path::new("/abs").exists());
}

#[test]
fn symlink_entries_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("links.zip");
    write_archive(
        &archive,
        &[
            Entry::Symlink("link", "/etc"),
            Entry::Symlink("rel", "../outside"),
            Entry::File("link/passwd", b"through the link?"),
            Entry::File("ok.txt", b"ok"),
        ],
    );
    let out = tmp.path().join("out");
    let u = unzip(&archive, &out, &UnzipOptions::new()).unwrap();
    for e in &u.entries[..2] {
        match &e.result {
            Err(Error::UnsafePath { reason, .. }) => assert!(reason.contains("symbolic link"), "{reason}"),
            other => panic!("{}: {other:?}", e.name),
        }
    }
    // No link was made, so `link/passwd` is a plain file in a plain directory.
    assert!(u.entries[2].result.is_ok());
    assert!(u.entries[3].result.is_ok());
    assert_eq!(tree(&out), ["link/", "link/passwd", "ok.txt"]);
    assert!(!out.join("link").symlink_metadata().unwrap().file_type().is_symlink());
}

#[cfg(unix)]
#[test]
fn existing_links_in_the_directory_are_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(&outside, out.join("ln")).unwrap();
    let archive = tmp.path().join("a.zip");
    write_archive(&archive, &[Entry::File("ln/x", b"x"), Entry::File("ln", b"replace the link?")]);
    let u = unzip(&archive, &out, &UnzipOptions::new()).unwrap();
    assert!(u.entries.iter().all(|e| matches!(e.result, Err(Error::UnsafePath { .. }))), "{u:?}");
    assert_eq!(tree(&outside), Vec::<String>::new());
    assert!(out.join("ln").symlink_metadata().unwrap().file_type().is_symlink());
}

/// The byte offset of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).position(|w| w == needle).expect("the bytes are in the archive")
}

#[test]
fn corrupt_entries_never_sit_under_their_final_name() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("corrupt.zip");
    let stored = b"STORED-PAYLOAD-0123456789".repeat(100);
    let deflated = data(200_000, 7);
    write_archive(
        &archive,
        &[
            Entry::Stored("d/stored.fits", &stored),
            Entry::File("d/deflated.fits", &deflated),
            Entry::File("d/fine.txt", b"fine"),
        ],
    );
    let mut bytes = std::fs::read(&archive).unwrap();
    // Flip bytes in the middle of the stored data: the CRC-32 no longer matches.
    let at = find(&bytes, b"STORED-PAYLOAD") + 1000;
    bytes[at] ^= 0xff;
    bytes[at + 1] ^= 0x55;
    // And in the middle of the deflated data: found through the zip reader.
    let start = {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
        let f = z.by_name("d/deflated.fits").unwrap();
        (f.data_start().unwrap() + f.compressed_size() / 2) as usize
    };
    for b in &mut bytes[start..start + 8] {
        *b ^= 0xa5;
    }
    std::fs::write(&archive, &bytes).unwrap();

    let out = tmp.path().join("out");
    // A previous good copy of the deflated file stays as it was.
    std::fs::create_dir_all(out.join("d")).unwrap();
    std::fs::write(out.join("d/deflated.fits"), b"previous").unwrap();
    let u = unzip(&archive, &out, &UnzipOptions::new().remove_archive(true)).unwrap();
    match &u.entries[0].result {
        Err(e @ Error::Zip { entry: Some(entry), message, .. }) => {
            assert_eq!(entry, "d/stored.fits");
            assert!(message.to_lowercase().contains("checksum"), "{message}");
            assert_eq!(e.class_name(), "BadZipFile");
            let text = e.to_string();
            assert!(text.contains("d/stored.fits") && text.contains("download it again"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(u.entries[1].result, Err(Error::Zip { .. })), "{:?}", u.entries[1].result);
    assert!(u.entries[2].result.is_ok());
    assert_eq!(tree(&out), ["d/", "d/deflated.fits", "d/fine.txt"]);
    assert_eq!(std::fs::read(out.join("d/deflated.fits")).unwrap(), b"previous");
    // Not complete: the archive is kept despite remove_archive.
    assert!(!u.archive_removed && archive.exists());
}

#[test]
fn size_limits_refuse_zip_bombs() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("bomb.zip");
    let zeros = vec![0u8; 5_000_000];
    write_archive(&archive, &[Entry::File("a.txt", b"small"), Entry::File("bomb.bin", &zeros)]);
    assert!(std::fs::metadata(&archive).unwrap().len() < 100_000, "it compresses well");

    let out = tmp.path().join("out");
    let u = unzip(&archive, &out, &UnzipOptions::new().max_entry_size(1_000_000)).unwrap();
    assert!(u.entries[0].result.is_ok());
    match &u.entries[1].result {
        Err(e @ Error::ZipTooLarge { entry: Some(entry), size: 5_000_000, limit: 1_000_000, .. }) => {
            assert_eq!(entry, "bomb.bin");
            assert!(e.to_string().contains("UnzipOptions::max_entry_size"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(tree(&out), ["a.txt"]);

    // The total declared by all entries: the whole archive is refused.
    let out2 = tmp.path().join("out2");
    let e = unzip(&archive, &out2, &UnzipOptions::new().max_total_size(4_000_000)).unwrap_err();
    assert!(matches!(e, Error::ZipTooLarge { entry: None, size: 5_000_005, limit: 4_000_000, .. }), "{e:?}");
    assert!(e.to_string().contains("UnzipOptions::max_total_size"), "{e}");
    assert!(!out2.exists());
}

/// Rewrites the uncompressed size of the only entry, in the local header (offset 22) and
/// the central directory (offset 24).
fn lie_about_size(bytes: &mut [u8], size: u32) {
    let local = find(bytes, &[0x50, 0x4b, 0x03, 0x04]);
    bytes[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
    let central = find(bytes, &[0x50, 0x4b, 0x01, 0x02]);
    bytes[central + 24..central + 28].copy_from_slice(&size.to_le_bytes());
}

#[test]
fn an_entry_inflating_past_its_declared_size_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("liar.zip");
    write_archive(&archive, &[Entry::File("liar.bin", &[0u8; 1_000_000])]);
    let mut bytes = std::fs::read(&archive).unwrap();
    lie_about_size(&mut bytes, 1000);
    std::fs::write(&archive, &bytes).unwrap();
    let out = tmp.path().join("out");
    // The declared size passes the limits; the inflated data does not match it.
    let u = unzip(&archive, &out, &UnzipOptions::new().max_entry_size(10_000).max_total_size(10_000)).unwrap();
    assert!(
        matches!(&u.entries[0].result, Err(Error::Zip { .. } | Error::ZipTooLarge { .. })),
        "{:?}",
        u.entries[0].result
    );
    assert_eq!(tree(&out), Vec::<String>::new());
}

#[test]
fn remove_archive_after_a_complete_extraction() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("astrocut_1.zip");
    write_archive(&archive, &[Entry::File("c1.fits", b"one"), Entry::File("c2.fits", b"two")]);
    let out = tmp.path().join("out");
    // Kept by default.
    assert!(!unzip(&archive, &out, &UnzipOptions::new()).unwrap().archive_removed);
    assert!(archive.exists());
    let u = unzip(&archive, &out, &UnzipOptions::new().remove_archive(true)).unwrap();
    assert!(u.is_complete() && u.archive_removed);
    assert!(!archive.exists());
    assert_eq!(u.files().collect::<Vec<_>>(), [out.join("c1.fits"), out.join("c2.fits")]);
    assert_eq!(std::fs::read(out.join("c2.fits")).unwrap(), b"two");
    // The archive may sit in the directory it is extracted into.
    let inside = out.join("inner.zip");
    write_archive(&inside, &[Entry::File("c3.fits", b"three")]);
    let u = unzip(&inside, &out, &UnzipOptions::new().remove_archive(true)).unwrap();
    assert!(u.archive_removed);
    assert_eq!(tree(&out), ["c1.fits", "c2.fits", "c3.fits"]);
}

#[test]
fn unreadable_archives_are_one_error() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("truncated.zip");
    write_archive(&archive, &[Entry::File("a", &data(10_000, 3))]);
    let bytes = std::fs::read(&archive).unwrap();
    std::fs::write(&archive, &bytes[..bytes.len() / 2]).unwrap();
    let out = tmp.path().join("out");
    let e = unzip(&archive, &out, &UnzipOptions::new().remove_archive(true)).unwrap_err();
    assert!(matches!(e, Error::Zip { entry: None, .. }), "{e:?}");
    assert!(e.manifest_message().starts_with("BadZipFile: "), "{}", e.manifest_message());
    assert!(archive.exists() && !out.exists());
}
