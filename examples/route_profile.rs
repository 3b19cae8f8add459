//! Runs one routing contender of `benches/route.rs` in a loop over one message, for a
//! profiler that counts instructions (wall time on a shared machine moves with its load;
//! instruction counts do not):
//!
//! ```text
//! cargo build --release --example route_profile
//! valgrind --tool=callgrind target/release/examples/route_profile route benches/messages/pager-message.sip 10000
//! ```
//!
//! Contenders: `route`, `parse+route`, `dispatch`, `httparse`, `rsip`, `floor`. With the
//! iteration count at 0 the program only loads the message, so that the difference of
//! two runs is the cost of the loop alone.

use std::hint::black_box;

use bytes::Bytes;
use cpm_client::{route, Decision, Dispatcher, RoutedRequest};
use memchr::memmem::Finder;

#[path = "../benches/contenders.rs"]
mod contenders;

struct AcceptAll;

impl cpm_client::PagerHandler for AcceptAll {
    fn pager_message(&self, _: &cpm_client::PagerMessage<'_>) -> Decision {
        Decision::accept()
    }
}

impl cpm_client::SessionHandler for AcceptAll {
    fn session_invitation(&self, _: &cpm_client::SessionInvitation<'_>) -> Decision {
        Decision::accept()
    }
}

impl cpm_client::FileTransferHandler for AcceptAll {
    fn file_transfer(&self, _: &cpm_client::FileTransferInvitation<'_>) -> Decision {
        Decision::accept()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [contender, file, rest @ ..] = &args[..] else {
        eprintln!("usage: route_profile CONTENDER FILE [ITERATIONS]");
        std::process::exit(2);
    };
    let iterations: u64 = rest
        .first()
        .map_or(10_000, |n| n.parse().expect("a number"));
    let message = std::fs::read(file).expect("a readable message");
    let shared = Bytes::from(message.clone());
    let icsi = Finder::new(contenders::CPM_ICSI);
    let dispatcher = Dispatcher::builder()
        .pager(AcceptAll)
        .session(AcceptAll)
        .file_transfer(AcceptAll)
        .build();
    let input = black_box(&message[..]);
    for _ in 0..iterations {
        match contender.as_str() {
            "route" => drop(black_box(route(black_box(input)))),
            "parse+route" => drop(black_box(
                RoutedRequest::parse(black_box(shared.clone())).map(|r| r.route()),
            )),
            "dispatch" => drop(black_box(dispatcher.dispatch(black_box(shared.clone())))),
            "httparse" => drop(black_box(contenders::httparse(black_box(input), &icsi))),
            "rsip" => drop(black_box(contenders::rsip(black_box(input), &icsi))),
            "floor" => drop(black_box(contenders::floor(black_box(input), &icsi))),
            other => {
                eprintln!("unknown contender {other}");
                std::process::exit(2);
            }
        }
    }
}
