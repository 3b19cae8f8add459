//! `route` allocates nothing: proved with a counting global allocator on every message
//! of both corpora, whatever their outcome (errors included).
//!
//! The allocator counts per thread, so tests running beside each other do not disturb
//! the count.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is passed on to the system allocator unchanged; the counter is a
// thread-local `Cell` with a const initializer, which itself never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (ALLOCATIONS.with(Cell::get) - before, out)
}

#[test]
fn route_allocates_nothing_on_any_corpus_message() {
    let messages = common::sip_messages();
    assert!(messages.len() > 180, "both corpora are read");
    let mut outcomes = [0usize; 2];
    for (name, bytes) in &messages {
        let (count, result) = allocations(|| cpm_client::route(bytes));
        assert_eq!(count, 0, "{name}: route allocated {count} times");
        outcomes[usize::from(result.is_err())] += 1;
    }
    assert!(
        outcomes[0] > 0 && outcomes[1] > 0,
        "routed and refused messages are both measured"
    );
}

#[test]
fn routing_an_already_read_request_allocates_nothing() {
    for (name, bytes) in common::sip_messages() {
        let Ok(request) = cpm_client::RoutedRequest::parse(bytes::Bytes::from(bytes)) else {
            continue;
        };
        let (count, _) = allocations(|| (request.route(), request.routing(), request.tags()));
        assert_eq!(count, 0, "{name}");
    }
}

#[test]
fn reading_a_request_allocates_once_for_its_header_table() {
    // The header table starts with room for 24 headers: a typical CPM request (up to
    // 24 headers) costs exactly one allocation, the `Vec` of header offsets.
    let (_, bytes) = common::sip_messages()
        .into_iter()
        .find(|(name, _)| name.ends_with("adv-compact-a-message-msg.sip"))
        .expect("sample message");
    // Made outside the count: a `Bytes` built from a `Vec` allocates its shared
    // header on the first clone.
    let input = bytes::Bytes::from(bytes);
    let (count, request) = allocations(move || cpm_client::RoutedRequest::parse(input));
    let request = request.expect("valid");
    assert!(request.headers().count() <= 24);
    assert_eq!(count, 1);
}

struct AcceptingInbox;

impl cpm_client::PagerHandler for AcceptingInbox {
    fn pager_message(&self, message: &cpm_client::PagerMessage<'_>) -> cpm_client::Decision {
        // Read the view the way an application would.
        let cpim = message.cpim().expect("a CPIM body");
        assert_eq!(cpim.message_id(), Some("x7z6tqmhyhyviyh6"));
        assert!(message.sender().is_some() && message.conversation_id().is_some());
        assert_eq!(message.content(), b"Running 10 minutes late, sorry!");
        cpm_client::Decision::accept()
    }
}

#[test]
fn dispatching_a_pager_message_answered_200_allocates_twice() {
    // One full dispatch: read the request (its header table), route it, hand the view
    // to the handler (CPIM read in place), build the 200 (one buffer).
    let (_, bytes) = common::sip_messages()
        .into_iter()
        .find(|(name, _)| name.ends_with("row01-message-msg.sip"))
        .expect("sample message");
    let dispatcher = cpm_client::Dispatcher::builder()
        .pager(AcceptingInbox)
        .build();
    // A first dispatch outside the count registers the `tracing` call sites, which
    // happens once per process.
    let _ = dispatcher.dispatch(bytes::Bytes::from(bytes.clone()));
    let input = bytes::Bytes::from(bytes);
    let (count, outcome) = allocations(move || dispatcher.dispatch(input));
    assert_eq!(outcome.response().map(|r| r.status().code()), Some(200));
    assert_eq!(count, 2, "the header table and the response buffer");
}

#[test]
fn the_stream_reader_hands_out_messages_without_allocating() {
    use cpm_client::sip::{StreamItem, StreamReader};

    let (_, message) = common::sip_messages()
        .into_iter()
        .find(|(name, _)| name.ends_with("row01-message-msg.sip"))
        .expect("sample message");
    // 100 messages with a ping between each two, in one buffer.
    let mut wire = Vec::new();
    for _ in 0..100 {
        wire.extend_from_slice(&message);
        wire.extend_from_slice(b"\r\n\r\n");
    }
    let mut reader = StreamReader::new();
    reader.push(&wire);
    let mut messages = Vec::with_capacity(100);
    let (count, ()) = allocations(|| {
        while let Ok(Some(item)) = reader.next_item() {
            if let StreamItem::Request(bytes) = item {
                messages.push(bytes);
            }
        }
    });
    assert_eq!(messages.len(), 100);
    assert!(messages.iter().all(|m| m[..] == message[..]));
    // The first message cut from the buffer makes it shared (one small allocation);
    // the 99 others and the 200 keep-alive items cost nothing.
    assert!(count <= 1, "{count} allocations for 100 messages");

    // Once the messages are dropped, the reader reads into the same memory again.
    drop(messages);
    let (count, ()) = allocations(|| {
        reader.push(&wire[..message.len()]);
        assert!(matches!(
            reader.next_item(),
            Ok(Some(StreamItem::Request(_)))
        ));
    });
    assert_eq!(count, 0, "a second round reuses the buffer");
}

#[test]
fn receiving_a_chunk_allocates_nothing_beyond_the_reassembly_buffer() {
    use cpm_client::ids::SequentialIds;
    use cpm_client::msrp::{MsrpEvent, MsrpMessage, MsrpSession, MsrpSessionConfig};
    use cpm_client::sdp::Setup;

    const ALICE: &str = "msrp://192.0.2.10:2855/a1b2c3d4e5;tcp";
    const BOB: &str = "msrp://192.0.2.20:2856/z9y8x7w6v5;tcp";
    let content: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
    for chunk_size in [2 * 1024, 64 * 1024] {
        // The chunks, written outside the count.
        let chunks = MsrpMessage::new(ALICE, "application/octet-stream", content.clone())
            .chunk_size(chunk_size)
            .chunks(BOB, &mut SequentialIds::new(1))
            .unwrap();
        let mut bob = MsrpSession::new(MsrpSessionConfig::new(BOB, ALICE, Setup::Passive));
        let now = std::time::Instant::now();
        let receive = |bob: &mut MsrpSession, chunk: &[u8]| {
            bob.handle_bytes(now, chunk);
            let mut out = 0;
            while let Some(bytes) = bob.poll_transmit(now) {
                out += bytes.len();
            }
            let mut events = 0;
            while let Some(event) = bob.poll_event() {
                assert!(!matches!(event, MsrpEvent::MessageRefused { .. }));
                events += 1;
            }
            (out, events)
        };
        // The first chunk sets the message up (its reassembly buffer, the state under
        // way); the second lets the reader's and the writer's buffers settle.
        let (first, _) = allocations(|| receive(&mut bob, &chunks[0]));
        assert!(first > 0);
        let _ = receive(&mut bob, &chunks[1]);
        let last = chunks.len() - 1;
        for (i, chunk) in chunks.iter().enumerate().take(last).skip(2) {
            let (count, (out, events)) = allocations(|| receive(&mut bob, chunk));
            assert!(out > 0 && events == 1, "a 200 and a progress event");
            assert_eq!(
                count, 0,
                "chunk {i} of {chunk_size} bytes allocated {count} times"
            );
        }
        let (_, (_, events)) = allocations(|| receive(&mut bob, &chunks[last]));
        assert_eq!(events, 1, "the whole message");
    }
}

#[test]
fn reads_handed_over_whole_allocate_no_more_than_reads_copied() {
    use bytes::Bytes;
    use cpm_client::ids::SequentialIds;
    use cpm_client::msrp::{MsrpEvent, MsrpMessage, MsrpSession, MsrpSessionConfig};
    use cpm_client::sdp::Setup;

    const ALICE: &str = "msrp://192.0.2.10:2855/a1b2c3d4e5;tcp";
    const BOB: &str = "msrp://192.0.2.20:2856/z9y8x7w6v5;tcp";
    let content: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
    for chunk_size in [2 * 1024, 64 * 1024] {
        // The wire in reads of 64 KiB that cut chunks, made outside the count as
        // slices of one buffer.
        let wire = Bytes::from(
            MsrpMessage::new(ALICE, "application/octet-stream", content.clone())
                .chunk_size(chunk_size)
                .chunks(BOB, &mut SequentialIds::new(1))
                .unwrap()
                .concat(),
        );
        let reads: Vec<Bytes> = (0..wire.len())
            .step_by(64 * 1024)
            .map(|at| wire.slice(at..(at + 64 * 1024).min(wire.len())))
            .collect();
        let session = || MsrpSession::new(MsrpSessionConfig::new(BOB, ALICE, Setup::Passive));
        let (mut copied, mut owned) = (session(), session());
        let now = std::time::Instant::now();
        let drain = |bob: &mut MsrpSession| {
            while bob.poll_transmit(now).is_some() {}
            let mut whole = false;
            while let Some(event) = bob.poll_event() {
                assert!(!matches!(event, MsrpEvent::MessageRefused { .. }));
                whole |= matches!(event, MsrpEvent::MessageReceived(_));
            }
            whole
        };
        let mut whole = false;
        for (i, read) in reads.into_iter().enumerate() {
            let (by_copy, _) = allocations(|| {
                copied.handle_bytes(now, &read);
                drain(&mut copied)
            });
            let (handed_over, done) = allocations(|| {
                owned.handle_bytes_owned(now, read);
                drain(&mut owned)
            });
            whole |= done;
            // The first reads set the message up and let the buffers settle.
            if i > 2 && !done {
                assert!(
                    handed_over <= by_copy,
                    "read {i} ({chunk_size}-byte chunks): {handed_over} allocations handed \
                     over, {by_copy} copied"
                );
            }
        }
        assert!(whole);
    }
}
