//! Runs one of the readers of `benches/msrp.rs` over a transfer, for a profiler that
//! counts instructions (wall time on a shared machine moves with its load; instruction
//! counts do not):
//!
//! ```text
//! cargo build --release --example msrp_profile
//! valgrind --tool=callgrind --toggle-collect='msrp_profile::run' \
//!     target/release/examples/msrp_profile reassemble 2048 16
//! ```
//!
//! Arguments: the reader (`floor`, `read`, `reassemble`, `sink`, or `sink-copy`: the
//! sink through `handle_bytes`, which copies each read), the chunk size in bytes, the
//! transfer's size in MiB. The wire bytes are built outside `run`, so that collecting
//! only inside it counts the reading alone; divide by the number of chunks it prints.

use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;

use cpm_client::ids::SequentialIds;
use cpm_client::msrp::{
    MsrpEvent, MsrpFrame, MsrpMessage, MsrpSession, MsrpSessionConfig, MsrpStreamReader,
    ReceivePolicy,
};
use cpm_client::sdp::Setup;

const ALICE: &str = "msrp://192.0.2.10:2855/a1b2c3d4e5;tcp";
const BOB: &str = "msrp://192.0.2.20:2856/z9y8x7w6v5;tcp";
const READ: usize = 64 << 10;

fn wire(size: usize, chunk: usize) -> (Vec<u8>, usize) {
    let content: Vec<u8> = (0..size as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let chunks = MsrpMessage::new(ALICE, "application/octet-stream", content)
        .chunk_size(chunk)
        .chunks(BOB, &mut SequentialIds::new(1))
        .expect("chunks");
    let n = chunks.len();
    (chunks.concat(), n)
}

#[inline(never)]
fn run(how: &str, wire: &Bytes, size: usize) -> u64 {
    match how {
        "floor" => {
            let finder = memchr::memmem::Finder::new(b"\r\n-------zzzzzzzzzzzzzzzz$");
            let mut n = 0;
            for read in wire.chunks(READ) {
                n += u64::from(finder.find(read).is_some());
            }
            n
        }
        "read" => {
            let mut reader = MsrpStreamReader::new();
            let mut body = 0;
            for piece in wire.chunks(READ) {
                reader.push(piece);
                while let Ok(Some(frame)) = reader.next_frame() {
                    if let Ok(MsrpFrame::Request(r)) = MsrpFrame::parse_framed(frame) {
                        body += r.body().map_or(0, <[u8]>::len) as u64;
                    }
                }
            }
            body
        }
        "sink" => receive(wire, ReceivePolicy::Sink, size, true),
        "sink-copy" => receive(wire, ReceivePolicy::Sink, size, false),
        _ => receive(wire, ReceivePolicy::Buffer, size, true),
    }
}

/// A receiving session takes the transfer in 64 KiB reads, handed over whole
/// (`handle_bytes_owned`) or copied (`handle_bytes`); the 200s are taken and dropped.
/// What it received: the bytes of the sink's `Data` events, or the size of the
/// message reassembled into one buffer.
fn receive(wire: &Bytes, policy: ReceivePolicy, size: usize, owned: bool) -> u64 {
    let mut config = MsrpSessionConfig::new(BOB, ALICE, Setup::Passive);
    if policy == ReceivePolicy::Buffer {
        config.max_buffered_size = size as u64;
    }
    config.receive = policy;
    let mut bob = MsrpSession::new(config);
    let now = Instant::now();
    let mut received = 0;
    for at in (0..wire.len()).step_by(READ) {
        let read = wire.slice(at..(at + READ).min(wire.len()));
        if owned {
            bob.handle_bytes_owned(now, read);
        } else {
            bob.handle_bytes(now, &read);
        }
        while let Some(bytes) = bob.poll_transmit(now) {
            black_box(bytes);
        }
        while let Some(event) = bob.poll_event() {
            if let MsrpEvent::Data { data, .. } = event {
                received += black_box(data).len() as u64;
            } else if let MsrpEvent::MessageReceived(m) = event {
                received = received.max(m.size);
            }
        }
    }
    received
}

fn main() {
    let mut args = std::env::args().skip(1);
    let how = args.next().unwrap_or_else(|| "reassemble".into());
    let chunk: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2048);
    let mib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    let size = mib << 20;
    let (wire, chunks) = wire(size, chunk);
    let wire = Bytes::from(wire);
    let out = run(&how, black_box(&wire), size);
    eprintln!(
        "{how}: {chunks} chunks, {} wire bytes, result {out}",
        wire.len()
    );
}
