//! Routing speed, per message, beside what a Rust user would otherwise reach for and
//! beside the least work any router can do.
//!
//! ```text
//! cargo bench --bench route
//! ```
//!
//! Contenders, one criterion group per message (`benches/messages/`), throughput in
//! bytes:
//! - `route`: `cpm_client::route(&[u8])`, the allocation-free one-pass router;
//! - `parse+route`: `RoutedRequest::parse` then `route()`, what the dispatcher does;
//! - `dispatch`: a full `Dispatcher::dispatch`, the handler accepting (200 OK);
//! - `httparse`: the request line split by hand, `httparse::parse_headers` into a stack
//!   array, Accept-Contact searched for the ICSI;
//! - `rsip`: `rsip::Request::try_from`, then Accept-Contact searched for the ICSI;
//! - `floor`: one `memchr` pass over the head that validates nothing (see
//!   `contenders::floor`).
//!
//! Then the scaling groups: `route` on one request padded with extra headers from
//! 1 KiB to 64 KiB (time per byte should stay flat), `route` from one and from two
//! threads, and one `Dispatcher` shared by one and by two threads (throughput in
//! requests).
//!
//! At the end the run prints a summary table: the median time per message of each
//! contender and the ratios the targets in `docs/performance.md` are stated in.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cpm_client::{
    route, Decision, Dispatcher, FileTransferHandler, FileTransferInvitation, PagerHandler,
    PagerMessage, RoutedRequest, SessionHandler, SessionInvitation,
};
use criterion::{BenchmarkId, Criterion, Throughput};
use memchr::memmem::Finder;

mod contenders;

/// The messages measured: name, file under `benches/messages/`.
const MESSAGES: &[(&str, &str)] = &[
    ("pager", "pager-message.sip"),
    ("session-invite", "session-invite.sip"),
    ("compact-invite", "session-invite-compact.sip"),
    ("file-transfer", "file-transfer-invite.sip"),
    ("large-invite", "large-invite.sip"),
];

/// The contenders, in the order of the summary table.
const CONTENDERS: &[&str] = &[
    "route",
    "parse+route",
    "dispatch",
    "httparse",
    "rsip",
    "floor",
];

fn load(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/messages")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every handler accepts: the dispatch contender answers 200 OK.
struct AcceptAll;

impl PagerHandler for AcceptAll {
    fn pager_message(&self, _: &PagerMessage<'_>) -> Decision {
        Decision::accept()
    }
}

impl SessionHandler for AcceptAll {
    fn session_invitation(&self, _: &SessionInvitation<'_>) -> Decision {
        Decision::accept()
    }
}

impl FileTransferHandler for AcceptAll {
    fn file_transfer(&self, _: &FileTransferInvitation<'_>) -> Decision {
        Decision::accept()
    }
}

fn dispatcher() -> Dispatcher {
    Dispatcher::builder()
        .pager(AcceptAll)
        .session(AcceptAll)
        .file_transfer(AcceptAll)
        .build()
}

/// Nanoseconds per call of every sample criterion took, by (message, contender), for
/// the summary.
static SAMPLES: Mutex<BTreeMap<(&str, &str), Vec<f64>>> = Mutex::new(BTreeMap::new());

/// Times `iters` calls of `f` for criterion, and keeps the time per call for the summary.
fn timed<T>(key: (&'static str, &'static str), iters: u64, mut f: impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f());
    }
    let elapsed = start.elapsed();
    let per_call = elapsed.as_nanos() as f64 / iters as f64;
    SAMPLES
        .lock()
        .unwrap()
        .entry(key)
        .or_default()
        .push(per_call);
    elapsed
}

fn messages(c: &mut Criterion) {
    let icsi = Finder::new(contenders::CPM_ICSI);
    let dispatcher = dispatcher();
    for &(name, file) in MESSAGES {
        let message = load(file);
        let shared = Bytes::from(message.clone());
        // Every contender reads every message, and finds the tag.
        assert!(
            route(&message).is_ok_and(|r| r != cpm_client::Route::NotCpm),
            "{file}"
        );
        assert_eq!(
            contenders::floor(&message, &icsi).map(|f| f.0),
            Some(true),
            "{file}"
        );
        assert_eq!(contenders::httparse(&message, &icsi), Some(true), "{file}");
        assert_eq!(contenders::rsip(&message, &icsi), Some(true), "{file}");
        let outcome = dispatcher.dispatch(shared.clone());
        assert_eq!(
            outcome.response().map(|r| r.status().code()),
            Some(200),
            "{file}"
        );

        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(message.len() as u64));
        let input = black_box(&message[..]);
        group.bench_function("route", |b| {
            b.iter_custom(|n| timed((name, "route"), n, || route(black_box(input))))
        });
        group.bench_function("parse+route", |b| {
            b.iter_custom(|n| {
                timed((name, "parse+route"), n, || {
                    RoutedRequest::parse(black_box(shared.clone())).map(|r| r.route())
                })
            })
        });
        group.bench_function("dispatch", |b| {
            b.iter_custom(|n| {
                timed((name, "dispatch"), n, || {
                    dispatcher.dispatch(black_box(shared.clone()))
                })
            })
        });
        group.bench_function("httparse", |b| {
            b.iter_custom(|n| {
                timed((name, "httparse"), n, || {
                    contenders::httparse(black_box(input), &icsi)
                })
            })
        });
        group.bench_function("rsip", |b| {
            b.iter_custom(|n| {
                timed((name, "rsip"), n, || {
                    contenders::rsip(black_box(input), &icsi)
                })
            })
        });
        group.bench_function("floor", |b| {
            b.iter_custom(|n| {
                timed((name, "floor"), n, || {
                    contenders::floor(black_box(input), &icsi)
                })
            })
        });
        group.finish();
    }
}

/// A session INVITE of about `size` bytes: a small request with `X-Padding` headers
/// inserted before Accept-Contact until it reaches `size`.
fn padded_request(size: usize) -> Vec<u8> {
    const HEAD: &str = "INVITE sip:+15557131571@192.0.2.158:5060;transport=tcp SIP/2.0\r\n\
        Via: SIP/2.0/TCP 192.0.2.89:49655;branch=z9hG4bKiewkg7bjcs\r\n\
        Max-Forwards: 70\r\n\
        From: <sip:+15551194995@ims.example.net>;tag=30b371c93\r\n\
        To: <sip:+15557131571@ims.example.net>\r\n\
        Call-ID: gqwt4mm7tc-1a01b64a@192.0.2.89\r\n\
        CSeq: 57 INVITE\r\n\
        Contact: <sip:+15551194995@192.0.2.89:49655;transport=tcp>\r\n";
    const TAIL: &str = "Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"\r\n\
        Content-Type: application/sdp\r\n\
        Content-Length: 0\r\n\r\n";
    let mut text = String::from(HEAD);
    let mut n = 0;
    while text.len() + TAIL.len() < size {
        let line = format!("X-Padding-{n}: k={n:08x};v=abcdefghijklmnopqrstuvwxyz0123456789\r\n");
        if text.len() + TAIL.len() + line.len() > size {
            // The last line takes exactly what is left.
            let left = size - text.len() - TAIL.len();
            let short = format!(
                "X-P{n}: {}\r\n",
                "x".repeat(left.saturating_sub(8 + n.to_string().len()).max(1))
            );
            text.push_str(&short);
            break;
        }
        text.push_str(&line);
        n += 1;
    }
    text.push_str(TAIL);
    text.into_bytes()
}

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("route-scaling");
    for kib in [1, 2, 4, 8, 16, 32, 64] {
        let message = padded_request(kib * 1024);
        assert_eq!(route(&message), Ok(cpm_client::Route::Session));
        group.throughput(Throughput::Bytes(message.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("route", format!("{kib}KiB")),
            &message,
            |b, m| b.iter(|| route(black_box(m))),
        );
    }
    group.finish();
}

/// `route` on the session INVITE from one and from two threads at once; throughput in
/// requests, so two threads on two cores should show about double (the target: at
/// least 1.8 times one thread). Each thread reads a buffer of its own.
fn route_threads(c: &mut Criterion) {
    let request = load("session-invite.sip");
    let mut group = c.benchmark_group("route-threads");
    for threads in [1u64, 2] {
        group.throughput(Throughput::Elements(threads));
        group.bench_function(BenchmarkId::from_parameter(threads), |b| {
            b.iter_custom(|iters| {
                let start = Barrier::new(threads as usize);
                std::thread::scope(|s| {
                    let workers: Vec<_> = (0..threads)
                        .map(|_| {
                            s.spawn(|| {
                                let request = request.clone();
                                start.wait();
                                let begin = Instant::now();
                                for _ in 0..iters {
                                    drop(black_box(route(black_box(&request))));
                                }
                                begin.elapsed()
                            })
                        })
                        .collect();
                    workers
                        .into_iter()
                        .map(|w| w.join().unwrap())
                        .max()
                        .unwrap()
                })
            })
        });
    }
    group.finish();
}

/// One `Dispatcher` dispatching the session INVITE from one and from two threads at
/// once; throughput in requests, so two threads on two cores should show about double.
fn threads(c: &mut Criterion) {
    let dispatcher = dispatcher();
    let request = Bytes::from(load("session-invite.sip"));
    let mut group = c.benchmark_group("dispatch-threads");
    for threads in [1u64, 2] {
        group.throughput(Throughput::Elements(threads));
        group.bench_function(BenchmarkId::from_parameter(threads), |b| {
            b.iter_custom(|iters| {
                let start = Barrier::new(threads as usize);
                std::thread::scope(|s| {
                    let workers: Vec<_> = (0..threads)
                        .map(|_| {
                            s.spawn(|| {
                                // A buffer of its own per thread: clones of one shared
                                // buffer would make the threads fight over its
                                // reference count.
                                let request = Bytes::copy_from_slice(&request);
                                start.wait();
                                let begin = Instant::now();
                                for _ in 0..iters {
                                    drop(black_box(
                                        dispatcher.dispatch(black_box(request.clone())),
                                    ));
                                }
                                begin.elapsed()
                            })
                        })
                        .collect();
                    // The slowest thread decides when the work is done.
                    workers
                        .into_iter()
                        .map(|w| w.join().unwrap())
                        .max()
                        .unwrap()
                })
            })
        });
    }
    group.finish();
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Prints the median ns per message of every contender, and the ratios of the targets.
fn summary() {
    let mut samples = SAMPLES.lock().unwrap();
    if samples.is_empty() {
        return;
    }
    println!("\nSummary: median ns per message (criterion samples)\n");
    print!("| message | bytes |");
    for contender in CONTENDERS {
        print!(" {contender} |");
    }
    println!(" route / floor | httparse / route | rsip / route |");
    println!("|{}", " --- |".repeat(CONTENDERS.len() + 5));
    for &(name, file) in MESSAGES {
        let mut ns = BTreeMap::new();
        for contender in CONTENDERS {
            if let Some(s) = samples.get_mut(&(name, *contender)) {
                ns.insert(*contender, median(s));
            }
        }
        if ns.is_empty() {
            continue;
        }
        print!("| {name} | {} |", load(file).len());
        for contender in CONTENDERS {
            match ns.get(contender) {
                Some(t) => print!(" {t:.0} |"),
                None => print!(" - |"),
            }
        }
        let ratio = |a: &str, b: &str| match (ns.get(a), ns.get(b)) {
            (Some(a), Some(b)) => format!("{:.2}", a / b),
            _ => "-".to_string(),
        };
        println!(
            " {} | {} | {} |",
            ratio("route", "floor"),
            ratio("httparse", "route"),
            ratio("rsip", "route")
        );
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    messages(&mut c);
    scaling(&mut c);
    route_threads(&mut c);
    threads(&mut c);
    c.final_summary();
    summary();
}
