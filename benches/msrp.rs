//! MSRP receiving speed: a 64 MiB transfer in 2 KiB and in 64 KiB chunks.
//!
//! ```text
//! cargo bench --bench msrp
//! ```
//!
//! For each chunk size, over the same wire bytes (every SEND of the message, in 64 KiB
//! reads as a socket would give them):
//!
//! - `floor`: one `memchr::memmem` pass looking for an end-line that is not there:
//!   the least any framing that must find end-lines can do;
//! - `read`: `MsrpStreamReader` cuts the frames and `MsrpFrame::parse_framed` reads
//!   each one;
//! - `reassemble`: a receiving `MsrpSession` (buffer mode) takes each read, handed
//!   over as `Bytes` (`handle_bytes_owned`, as after a read into a `BytesMut` of the
//!   application's: the messages a read holds whole are read in place): framing,
//!   reading, a 200 written per chunk, the body copied into the message's buffer,
//!   progress events, the whole message handed out;
//! - `sink`: the same session in sink mode, as a file transfer receives: each
//!   chunk's body handed out in order as a `Data` event (a slice of the read, no
//!   copy at all), for the application to write where it wants.
//!
//! The summary at the end gives MB/s (10^6 bytes of wire per second, median of the
//! samples) and each one's time over the floor's.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cpm_client::ids::SequentialIds;
use cpm_client::msrp::{
    MsrpEvent, MsrpFrame, MsrpMessage, MsrpSession, MsrpSessionConfig, MsrpStreamReader,
    ReceivePolicy,
};
use cpm_client::sdp::Setup;
use criterion::{BenchmarkId, Criterion, Throughput};

const ALICE: &str = "msrp://192.0.2.10:2855/a1b2c3d4e5;tcp";
const BOB: &str = "msrp://192.0.2.20:2856/z9y8x7w6v5;tcp";
const SIZE: usize = 64 << 20;
const READ: usize = 64 << 10;

/// One way of reading the wire bytes.
type Run = fn(&Bytes) -> u64;

/// The reads of `wire`, handed over whole as slices of it (no copy).
fn reads(wire: &Bytes) -> impl Iterator<Item = Bytes> + '_ {
    (0..wire.len())
        .step_by(READ)
        .map(|at| wire.slice(at..(at + READ).min(wire.len())))
}

/// Seconds per iteration of each measurement, by (chunk size, name).
static TIMES: Mutex<BTreeMap<(usize, &'static str), Vec<f64>>> = Mutex::new(BTreeMap::new());

fn wire(chunk: usize) -> Bytes {
    let content: Vec<u8> = (0..SIZE as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    MsrpMessage::new(ALICE, "application/octet-stream", content)
        .chunk_size(chunk)
        .chunks(BOB, &mut SequentialIds::new(1))
        .expect("chunks")
        .concat()
        .into()
}

fn floor(wire: &[u8]) -> usize {
    let finder = memchr::memmem::Finder::new(b"\r\n-------zzzzzzzzzzzzzzzz$");
    let mut n = 0;
    for read in wire.chunks(READ) {
        n += usize::from(finder.find(read).is_some());
    }
    n
}

fn read(wire: &[u8]) -> usize {
    let mut reader = MsrpStreamReader::new();
    let mut body = 0;
    for piece in wire.chunks(READ) {
        reader.push(piece);
        while let Ok(Some(frame)) = reader.next_frame() {
            if let Ok(MsrpFrame::Request(r)) = MsrpFrame::parse_framed(frame) {
                body += r.body().map_or(0, <[u8]>::len);
            }
        }
    }
    body
}

fn reassemble(wire: &Bytes) -> u64 {
    let mut config = MsrpSessionConfig::new(BOB, ALICE, Setup::Passive);
    config.max_buffered_size = SIZE as u64;
    let mut bob = MsrpSession::new(config);
    let now = Instant::now();
    let mut size = 0;
    for read in reads(wire) {
        bob.handle_bytes_owned(now, read);
        while let Some(bytes) = bob.poll_transmit(now) {
            black_box(bytes);
        }
        while let Some(event) = bob.poll_event() {
            if let MsrpEvent::MessageReceived(m) = event {
                size = m.size;
            }
        }
    }
    assert_eq!(size, SIZE as u64);
    size
}

fn sink(wire: &Bytes) -> u64 {
    let mut config = MsrpSessionConfig::new(BOB, ALICE, Setup::Passive);
    config.receive = ReceivePolicy::Sink;
    let mut bob = MsrpSession::new(config);
    let now = Instant::now();
    let mut written = 0;
    let mut whole = false;
    for read in reads(wire) {
        bob.handle_bytes_owned(now, read);
        while let Some(bytes) = bob.poll_transmit(now) {
            black_box(bytes);
        }
        while let Some(event) = bob.poll_event() {
            match event {
                MsrpEvent::Data { data, .. } => written += black_box(data).len() as u64,
                MsrpEvent::MessageReceived(_) => whole = true,
                _ => {}
            }
        }
    }
    assert!(whole);
    assert_eq!(written, SIZE as u64);
    written
}

fn timed(c: &mut Criterion) {
    for chunk in [2 << 10, 64 << 10] {
        let wire = wire(chunk);
        let mut group = c.benchmark_group(format!("msrp_64MiB_in_{}KiB_chunks", chunk >> 10));
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.sample_size(10);
        let runs: [(&'static str, Run); 4] = [
            ("floor", |w| floor(w) as u64),
            ("read", |w| read(w) as u64),
            ("reassemble", reassemble),
            ("sink", sink),
        ];
        for (name, run) in runs {
            group.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box(run(black_box(&wire)));
                    }
                    let elapsed = start.elapsed();
                    TIMES
                        .lock()
                        .expect("not poisoned")
                        .entry((chunk, name))
                        .or_default()
                        .push(elapsed.as_secs_f64() / iters as f64);
                    elapsed
                })
            });
        }
        group.finish();
        TIMES
            .lock()
            .expect("not poisoned")
            .entry((chunk, "wire bytes"))
            .or_default()
            .push(wire.len() as f64);
    }
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn summary() {
    let times = TIMES.lock().expect("not poisoned");
    println!("\n| chunk | measure | MB/s | x floor |");
    println!("| --- | --- | --- | --- |");
    for chunk in [2 << 10, 64 << 10] {
        let Some(bytes) = times.get(&(chunk, "wire bytes")).map(|v| v[0]) else {
            continue;
        };
        let floor = times.get(&(chunk, "floor")).map(|v| median(v));
        for name in ["floor", "read", "reassemble", "sink"] {
            let Some(t) = times.get(&(chunk, name)).map(|v| median(v)) else {
                continue;
            };
            let ratio = floor.map_or(f64::NAN, |f| t / f);
            println!(
                "| {} KiB | {name} | {:.0} | {:.1} |",
                chunk >> 10,
                bytes / t / 1e6,
                ratio
            );
        }
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    timed(&mut c);
    c.final_summary();
    summary();
}
