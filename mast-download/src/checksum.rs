//! Checksums a file is verified against, when the caller knows one.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// An expected checksum.
///
/// ```
/// use mast_download::Checksum;
/// let c = Checksum::sha256_hex("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")?;
/// assert_eq!(c.to_string(), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
/// assert_eq!(c, Checksum::sha256_of(b""));
/// assert!(Checksum::sha256_hex("xyz").is_err());
/// # Ok::<(), mast_download::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Checksum {
    /// SHA-256 of the whole file.
    Sha256([u8; 32]),
}

impl Checksum {
    /// A SHA-256 from its 64 hexadecimal digits (either case).
    pub fn sha256_hex(hex: &str) -> Result<Checksum> {
        let hex = hex.trim();
        let invalid =
            || Error::InvalidSource { input: hex.to_owned(), reason: "not a SHA-256 (64 hexadecimal digits)".into() };
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(invalid());
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| invalid())?;
        }
        Ok(Checksum::Sha256(out))
    }

    /// The SHA-256 of `data`.
    pub fn sha256_of(data: &[u8]) -> Checksum {
        Checksum::Sha256(Sha256::digest(data).into())
    }

    /// The same kind of checksum computed over the file at `path` (blocking: call it from
    /// `spawn_blocking` in async code).
    pub fn compute_file(&self, path: &Path) -> std::io::Result<Checksum> {
        self.compute_reader(std::fs::File::open(path)?)
    }

    /// The same kind of checksum computed over what `file` reads to its end (blocking).
    pub(crate) fn compute_reader(&self, mut file: impl Read) -> std::io::Result<Checksum> {
        match self {
            Checksum::Sha256(_) => {
                let mut hasher = Sha256::new();
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let n = file.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    hasher.update(&buf[..n]);
                }
                Ok(Checksum::Sha256(hasher.finalize().into()))
            }
        }
    }
}

impl std::fmt::Display for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Checksum::Sha256(bytes) => {
                f.write_str("sha256:")?;
                bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn hex_digests_read_in_either_case_and_anything_else_is_refused() {
        assert_eq!(Checksum::sha256_hex(EMPTY).unwrap(), Checksum::sha256_of(b""));
        assert_eq!(Checksum::sha256_hex(&format!(" {} ", EMPTY.to_uppercase())).unwrap(), Checksum::sha256_of(b""));
        // One digit short or long, a non-hexadecimal digit, and 64 bytes that are not 64
        // ASCII characters (a two-byte character where two digits should be) are errors,
        // never a slice across a character.
        for bad in [&EMPTY[1..], &format!("{EMPTY}0"), &format!("g{}", &EMPTY[1..]), &format!("é{}", &EMPTY[2..]), ""]
        {
            let err = Checksum::sha256_hex(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidSource { .. }), "{bad:?}: {err:?}");
        }
    }

    #[test]
    fn files_and_readers_hash_past_one_buffer() {
        let data: Vec<u8> = (0..(3 << 20) + 7).map(|i| (i % 251) as u8).collect();
        let expected = Checksum::sha256_of(&data);
        assert_eq!(expected.compute_reader(&data[..]).unwrap(), expected);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, &data).unwrap();
        assert_eq!(expected.compute_file(&path).unwrap(), expected);
        assert_ne!(expected.compute_file(&path).unwrap(), Checksum::sha256_of(&data[1..]));
        assert_eq!(
            expected.to_string(),
            format!("sha256:{}", expected_hex(&data)),
            "Display is sha256: and 64 lowercase digits"
        );
    }

    fn expected_hex(data: &[u8]) -> String {
        Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
    }
}
