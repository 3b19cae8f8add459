//! Hostile input grows linearly: the work stays proportional to the input's size.
//!
//! ```text
//! cargo bench --bench hostile
//! ```
//!
//! Each hostile family of `tests/hostile.rs` is timed at the empty size and at 1/4,
//! 1/2, 1 and 2 times its target size, under limits raised so that the whole
//! input is read (not refused at the first limit). The summary at the end gives, per
//! size, the median time, the time per unit (byte, header, value, escape, digit) and
//! the same with the empty case's time taken off: that last column staying flat as the
//! size grows eightfold is what "linear" means here. `growth` divides it at 2x by it at
//! 1/4: 1.0 is linear, 2.0 would be quadratic over that range (x8 the size, x16 the
//! time).
//!
//! Wall times are noisy on a shared machine; the run also takes
//! `HOSTILE_ONCE="<case> <units> <calls>"` (case as named in the summary) to build one
//! input and read it `calls` times without criterion, for
//! `valgrind --tool=callgrind`, whose instruction counts do not move with the load:
//! `(count at calls=11 - count at calls=1) / 10` is the exact cost of one read.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cpm_client::sip::NameAddr;
use cpm_client::{cpim::CpimMessage, sdp::Sdp, RoutedRequest};
use cpm_client::{Decision, Dispatcher, Limits, PagerHandler, PagerMessage, Routing};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};

const MSG: &str = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg";

/// Limits that let every input through: the work is really done.
const ROOMY: Limits = Limits::DEFAULT
    .with_max_message_size(usize::MAX)
    .with_max_headers(usize::MAX)
    .with_max_header_size(usize::MAX)
    .with_max_accept_contact_values(usize::MAX)
    .with_max_params(usize::MAX);

/// One hostile family and the reader timed on it.
struct Case {
    /// The name in criterion's output and the summary.
    name: &'static str,
    /// What grows.
    unit: &'static str,
    /// The target size, in units.
    full: usize,
    /// The input of `n` units.
    make: fn(usize) -> Vec<u8>,
    /// Reads the input once; returns something that depends on the whole read.
    read: fn(&Bytes) -> usize,
}

const CASES: &[Case] = &[
    Case {
        name: "folds in Subject: routing",
        unit: "byte",
        full: 1 << 20,
        make: |n| pager(&format!("Subject: a{}b", folds(n))),
        read: route,
    },
    Case {
        name: "folds in Accept-Contact: routing",
        unit: "byte",
        full: 1 << 20,
        make: |n| {
            let q = folds(n / 4);
            message(&format!(
                "Accept-Contact: *;{q}+g.3gpp.icsi-ref{q}={q}\"{MSG}\"{q}"
            ))
        },
        read: route,
    },
    Case {
        name: "headers: routing",
        unit: "header",
        full: 100_000,
        make: |n| pager(&headers(n, |i| format!("X-{i}: {i}"))),
        read: route,
    },
    Case {
        name: "headers: parse",
        unit: "header",
        full: 100_000,
        make: |n| pager(&headers(n, |i| format!("X-{i}: {i}"))),
        read: parse,
    },
    Case {
        name: "Via headers: dispatch",
        unit: "header",
        full: 100_000,
        make: |n| {
            pager(&headers(n, |i| {
                format!(
                    "Via: SIP/2.0/UDP 192.0.2.{}:5060;branch=z9hG4bK{i}",
                    i % 250
                )
            }))
        },
        read: dispatch,
    },
    Case {
        name: "Accept-Contact values: routing",
        unit: "value",
        full: 10_000,
        make: |n| {
            let mut line = String::from("Accept-Contact: ");
            for _ in 0..n {
                line.push_str("*;video, ");
            }
            line.push_str(&format!("*;+g.3gpp.icsi-ref=\"{MSG}\""));
            message(&line)
        },
        read: route,
    },
    Case {
        name: "escapes in Accept-Contact: routing",
        unit: "escape",
        full: 100_000,
        make: |n| {
            message(&format!(
                "Accept-Contact: *;x={};+g.3gpp.icsi-ref=\"{MSG}\"",
                escapes(n)
            ))
        },
        read: route,
    },
    Case {
        name: "escapes in a display name: NameAddr",
        unit: "escape",
        full: 100_000,
        make: |n| format!("{} <sip:alice@example.net>;tag=a1", escapes(n)).into_bytes(),
        read: |value| {
            NameAddr::parse(value)
                .and_then(|a| a.display_name())
                .map_or(0, <[u8]>::len)
        },
    },
    Case {
        name: "escapes in CPIM From: CpimMessage",
        unit: "escape",
        full: 100_000,
        make: |n| {
            format!(
                "From: {} <sip:alice@example.net>\r\nTo: <sip:bob@example.net>\r\n\r\n\
                 Content-Type: text/plain\r\n\r\nHello",
                escapes(n)
            )
            .into_bytes()
        },
        read: |body| {
            CpimMessage::parse(body)
                .ok()
                .and_then(|c| c.from())
                .and_then(|a| a.display_name)
                .map_or(0, str::len)
        },
    },
    Case {
        name: "backslashes in a file-selector: Sdp",
        unit: "escape",
        full: 100_000,
        make: |n| {
            format!(
                "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n\
                 m=message 9 TCP/MSRP *\r\na=accept-types:message/cpim\r\n\
                 a=file-selector:name:\"{}\" type:image/jpeg size:100\r\n\
                 a=path:msrp://192.0.2.7:9/h1;tcp\r\na=sendonly\r\n",
                "\\\\".repeat(n)
            )
            .into_bytes()
        },
        read: |body| {
            Sdp::parse(body)
                .ok()
                .and_then(|s| s.msrp())
                .and_then(|m| m.file_selector())
                .and_then(|f| f.name)
                .map_or(0, |name| name.len())
        },
    },
    Case {
        name: "truncated percent escapes: routing",
        unit: "value",
        full: 10_000,
        make: |n| {
            let values = vec![format!("{MSG}%2"); n].join(",");
            message(&format!("Accept-Contact: *;+g.3gpp.icsi-ref=\"{values}\""))
        },
        read: route,
    },
    Case {
        name: "NUL and invalid UTF-8 in a value: routing",
        unit: "byte",
        full: 100_000,
        make: |n| {
            let mut line = b"Subject: ".to_vec();
            line.extend((0..n).map(|i| if i % 2 == 0 { 0u8 } else { 0xff }));
            pager_bytes(&line)
        },
        read: route,
    },
    Case {
        name: "Content-Length digits: routing",
        unit: "digit",
        full: 1000,
        make: |n| {
            let text = String::from_utf8(pager("")).unwrap();
            text.replace(
                "Content-Length: 0",
                &format!("Content-Length: {}0", "0".repeat(n)),
            )
            .into_bytes()
        },
        read: route,
    },
];

/// `count` folds (CRLF SP) making about `bytes` bytes.
fn folds(bytes: usize) -> String {
    "\r\n ".repeat(bytes / 3)
}

/// A quoted string of `count` backslash escapes.
fn escapes(count: usize) -> String {
    let mut text = String::with_capacity(count * 2 + 2);
    text.push('"');
    for i in 0..count {
        text.push_str(if i % 2 == 0 { "\\\\" } else { "\\\"" });
    }
    text.push('"');
    text
}

/// `count` header lines, each ended by CRLF but the last.
fn headers(count: usize, line: impl Fn(usize) -> String) -> String {
    (0..count).map(line).collect::<Vec<_>>().join("\r\n")
}

/// A MESSAGE with `extra` (header lines, no final CRLF; may be empty) before
/// Content-Length.
fn message(extra: &str) -> Vec<u8> {
    let mut out = b"MESSAGE sip:bob@example.net SIP/2.0\r\n\
        Via: SIP/2.0/TCP 192.0.2.7:5060;branch=z9hG4bK-h1\r\n\
        From: <sip:alice@example.net>;tag=a1\r\nTo: <sip:bob@example.net>\r\n\
        Call-ID: hostile-1\r\nCSeq: 1 MESSAGE\r\n"
        .to_vec();
    if !extra.is_empty() {
        out.extend_from_slice(extra.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    out
}

/// [`message`] naming the `msg` service: a pager message.
fn pager(extra: &str) -> Vec<u8> {
    pager_bytes(extra.as_bytes())
}

fn pager_bytes(extra: &[u8]) -> Vec<u8> {
    let mut lines = format!("Accept-Contact: *;+g.3gpp.icsi-ref=\"{MSG}\"").into_bytes();
    if !extra.is_empty() {
        lines.extend_from_slice(b"\r\n");
        lines.extend_from_slice(extra);
    }
    // `message` takes text; the bytes go in as they are.
    let mut out = message("X: x");
    let at = memchr::memmem::find(&out, b"X: x").unwrap();
    out.splice(at..at + 4, lines);
    out
}

/// 1 and the number of tags when the request routes, 0 when it is refused.
fn route(bytes: &Bytes) -> usize {
    Routing::read(bytes, &ROOMY).map_or(0, |r| 1 + r.tags.len())
}

fn parse(bytes: &Bytes) -> usize {
    RoutedRequest::parse_with(bytes.clone(), &ROOMY).map_or(0, |r| r.headers().count())
}

struct Accept;

impl PagerHandler for Accept {
    fn pager_message(&self, _: &PagerMessage<'_>) -> Decision {
        Decision::accept()
    }
}

fn dispatch(bytes: &Bytes) -> usize {
    static DISPATCHER: std::sync::OnceLock<Dispatcher> = std::sync::OnceLock::new();
    let dispatcher =
        DISPATCHER.get_or_init(|| Dispatcher::builder().limits(ROOMY).pager(Accept).build());
    dispatcher
        .dispatch(bytes.clone())
        .response()
        .map_or(0, |r| r.as_bytes().len())
}

/// The sizes measured: none, then 1/4, 1/2, 1 and 2 times the target size.
fn sizes(case: &Case) -> [usize; 5] {
    [0, case.full / 4, case.full / 2, case.full, case.full * 2]
}

/// Nanoseconds per read of every criterion sample, by (case, size).
static SAMPLES: Mutex<BTreeMap<(&str, usize), Vec<f64>>> = Mutex::new(BTreeMap::new());

fn bench(c: &mut Criterion) {
    for case in CASES {
        let mut group = c.benchmark_group(case.name);
        group.sampling_mode(SamplingMode::Flat).sample_size(20);
        for n in sizes(case) {
            let input = Bytes::from((case.make)(n));
            // Every input is read to its end and gives what it should.
            assert!((case.read)(&input) > 0 || n == 0, "{}: {n}", case.name);
            group.throughput(Throughput::Elements(n.max(1) as u64));
            group.bench_with_input(BenchmarkId::from_parameter(n), &input, |b, input| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box((case.read)(black_box(input)));
                    }
                    let elapsed = start.elapsed();
                    SAMPLES
                        .lock()
                        .unwrap()
                        .entry((case.name, n))
                        .or_default()
                        .push(elapsed.as_nanos() as f64 / iters as f64);
                    elapsed
                })
            });
        }
        group.finish();
    }
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Prints, per case and size, the median time, the time per unit, and the time per
/// unit above the empty input's.
fn summary() {
    let mut samples = SAMPLES.lock().unwrap();
    if samples.is_empty() {
        return;
    }
    println!("\nSummary: median time per read (criterion samples)\n");
    println!("| case | units | bytes | time | per unit | per unit above empty | growth |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for case in CASES {
        let Some(base) = samples.get_mut(&(case.name, 0)).map(|s| median(s)) else {
            continue;
        };
        let mut above = Vec::new();
        for n in sizes(case).into_iter().skip(1) {
            let Some(t) = samples.get_mut(&(case.name, n)).map(|s| median(s)) else {
                continue;
            };
            let bytes = (case.make)(n).len();
            let per = (t - base) / n as f64;
            above.push(per);
            let growth = if above.len() == 4 {
                format!("{:.2}", per / above[0])
            } else {
                String::new()
            };
            println!(
                "| {} | {n} {}s | {bytes} | {} | {:.2} ns | {:.2} ns | {growth} |",
                case.name,
                case.unit,
                show(t),
                t / n as f64,
                per,
            );
        }
    }
}

/// A time in ns, µs or ms.
fn show(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// `HOSTILE_ONCE="<case> <units> <calls>"`: one case, read `calls` times, for callgrind.
fn once(spec: &str) {
    let mut words = spec.rsplitn(3, ' ');
    let (Some(calls), Some(units), Some(name)) = (words.next(), words.next(), words.next()) else {
        panic!("HOSTILE_ONCE is \"<case> <units> <calls>\"");
    };
    let case = CASES
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name:?}"));
    let input = Bytes::from((case.make)(units.parse().expect("units")));
    let mut sum = 0;
    for _ in 0..calls.parse::<usize>().expect("calls") {
        sum += (case.read)(black_box(&input));
    }
    black_box(sum);
}

fn main() {
    if let Ok(spec) = std::env::var("HOSTILE_ONCE") {
        return once(&spec);
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
    summary();
}
