//! What the faults look like on the socket, read with a raw TCP client.

use std::io::ErrorKind;

use mast_emulator::{EmulatorConfig, Fault, FaultRule};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::util::*;

/// How the server ended the connection.
#[derive(Debug, PartialEq)]
enum Ending {
    /// An orderly close (FIN).
    Eof,
    /// A TCP reset.
    Reset,
}

/// Sends one raw HTTP/1.1 request and reads until the server closes the connection.
async fn exchange(base: &str, request: String) -> (Vec<u8>, Ending) {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf).await {
            Ok(0) => return (got, Ending::Eof),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return (got, Ending::Reset),
            Err(e) => panic!("{e}"),
        }
    }
}

fn cone_post(rows: u64) -> String {
    let json = request("Mast.Caom.Cone", cone(Some(rows)), Some(1000), Some(1), "wire").to_string();
    let body = format!("request={}", mast_proto::pyfmt::quote(&json, ""));
    format!(
        "POST /api/v0/invoke HTTP/1.1\r\nHost: mast\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn split(response: &[u8]) -> (String, &[u8]) {
    let end = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head") + 4;
    (String::from_utf8_lossy(&response[..end]).to_lowercase(), &response[end..])
}

fn content_length(head: &str) -> usize {
    let line = head.lines().find(|l| l.starts_with("content-length:")).expect("content-length");
    line["content-length:".len()..].trim().parse().unwrap()
}

#[tokio::test]
async fn close_kinds_and_body_lengths() {
    let emu = start(EmulatorConfig::default().row_limit(50)).await;
    let base = emu.base_url();

    let (normal, ending) = exchange(base, cone_post(20)).await;
    assert_eq!(ending, Ending::Eof);
    let (head, body) = split(&normal);
    assert!(head.starts_with("http/1.1 200 ok"));
    assert_eq!(content_length(&head), body.len());
    let full = body.len();

    // Row ceiling: nothing, then a reset (as MAST).
    assert_eq!(exchange(base, cone_post(60)).await, (Vec::new(), Ending::Reset));

    emu.set_faults(vec![FaultRule::new("invoke", Fault::DropBeforeResponse)]);
    assert_eq!(exchange(base, cone_post(20)).await, (Vec::new(), Ending::Eof));

    emu.set_faults(vec![FaultRule::new("invoke", Fault::DropMidBody)]);
    let (got, ending) = exchange(base, cone_post(20)).await;
    assert_eq!(ending, Ending::Reset);
    let (head, body) = split(&got);
    assert_eq!(content_length(&head), full);
    assert_eq!(body.len(), full / 2);

    emu.set_faults(vec![FaultRule::new("invoke", Fault::TruncatedBody)]);
    let (got, ending) = exchange(base, cone_post(20)).await;
    assert_eq!(ending, Ending::Eof);
    let (head, body) = split(&got);
    assert_eq!(content_length(&head), full);
    assert_eq!(body.len(), full * 3 / 4);
    assert_eq!(body, &normal[normal.len() - full..][..body.len()]);
}

fn file_get(path: &str, method: &str) -> String {
    format!("{method} {path} HTTP/1.1\r\nHost: mast\r\n\r\n")
}

#[tokio::test]
async fn close_delimited_bodies_end_with_the_connection() {
    let emu = start(EmulatorConfig::default()).await;
    let base = emu.base_url();
    emu.set_files(mast_emulator::FileOptions { close_delimited: true, ..Default::default() });
    let path = "/files/cd.bin?size=10000";
    let expected = mast_emulator::files::FileContent::new("files/cd.bin", 10_000, 42, 0).bytes(0..10_000);

    // HTTP/1.0-style: no length, no chunks; the close (without `Connection: close` asked)
    // ends the body.
    let (got, ending) = exchange(base, file_get(path, "GET")).await;
    assert_eq!(ending, Ending::Eof);
    let (head, body) = split(&got);
    assert!(head.starts_with("http/1.0 200"), "{head}");
    assert!(!head.contains("content-length:") && !head.contains("transfer-encoding:"), "{head}");
    assert_eq!(body, &expected[..]);

    // A HEAD still says the length.
    let (got, _) = exchange(base, file_get(path, "HEAD")).await;
    let (head, body) = split(&got);
    assert_eq!((content_length(&head), body.len()), (10_000, 0));

    // Cut with an orderly close: three quarters, and nothing on the wire says so.
    emu.set_faults(vec![FaultRule::new("files", Fault::TruncatedBody).times(1)]);
    let (got, ending) = exchange(base, file_get(path, "GET")).await;
    assert_eq!(ending, Ending::Eof);
    let (head, body) = split(&got);
    assert!(!head.contains("content-length:") && !head.contains("transfer-encoding:"), "{head}");
    assert_eq!(body, &expected[..7_500]);

    // Cut by a reset after half.
    emu.set_faults(vec![FaultRule::new("files", Fault::DropMidBody).times(1)]);
    let (got, ending) = exchange(base, file_get(path, "GET")).await;
    assert_eq!(ending, Ending::Reset);
    let (_, body) = split(&got);
    assert_eq!(body, &expected[..5_000]);
    assert_eq!(emu.stats().faults_injected, 2);
}
