//! Routing speed, per message, beside the least work any router can do.
//!
//! ```text
//! cargo bench --bench route
//! ```
//!
//! Contenders, one criterion group per message, throughput in bytes:
//! - `route`: `cpm_client::route(&[u8])`, the allocation-free one-pass router;
//! - `parse+route`: `IncomingRequest::parse` then `route()`, what a dispatcher does;
//! - `floor`: one pass over the head with `memchr` that looks only at the first byte
//!   of each line, searches Accept-Contact lines for the ICSI prefix and reads
//!   Content-Length. It checks nothing; no correct router can do less.

use std::hint::black_box;
use std::path::Path;

use bytes::Bytes;
use cpm_client::{route, IncomingRequest};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// The messages measured, from the library's own test cases.
const MESSAGES: &[(&str, &str)] = &[
    ("pager", "tests/data/row01-message-msg.sip"),
    ("session-invite", "tests/data/row05-invite-session.sip"),
    (
        "compact-invite",
        "tests/data/compact-all-names-invite-session.sip",
    ),
    ("file-transfer", "tests/data/row04-invite-filetransfer.sip"),
];

fn load(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect("bench message")
}

/// The floor contender: see the module docs.
fn floor(input: &[u8]) -> Option<(bool, usize)> {
    const TAG: &[u8] = b"3gpp-service.ims.icsi.oma.cpm.";
    let finder = memchr::memmem::Finder::new(TAG);
    let mut tagged = false;
    let mut length = 0;
    let mut pos = memchr::memchr(b'\n', input)? + 1;
    loop {
        let end = memchr::memchr(b'\n', &input[pos..])? + pos;
        let line = &input[pos..end];
        match line.first()? {
            b'\r' => return Some((tagged, length)),
            b'a' | b'A' => tagged |= finder.find(line).is_some(),
            b'l' | b'L' | b'C' | b'c' if line.len() > 2 => {
                if let Some(colon) = memchr::memchr(b':', line) {
                    if line[..colon].eq_ignore_ascii_case(b"l")
                        || line[..colon].eq_ignore_ascii_case(b"content-length")
                    {
                        length = line[colon + 1..]
                            .iter()
                            .filter(|b| b.is_ascii_digit())
                            .fold(0, |n, &b| n * 10 + usize::from(b - b'0'));
                    }
                }
            }
            _ => {}
        }
        pos = end + 1;
    }
}

fn bench(c: &mut Criterion) {
    for &(name, path) in MESSAGES {
        let message = load(path);
        let shared = Bytes::from(message.clone());
        assert!(route(&message).is_ok(), "{path} routes");
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(message.len() as u64));
        group.bench_function("route", |b| b.iter(|| route(black_box(&message))));
        group.bench_function("parse+route", |b| {
            b.iter(|| IncomingRequest::parse(black_box(shared.clone())).map(|r| r.route()))
        });
        group.bench_function("floor", |b| b.iter(|| floor(black_box(&message))));
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
