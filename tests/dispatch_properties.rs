//! Property tests of the dispatcher: whatever the bytes, `dispatch` returns (never
//! panics), the outcome agrees with the reader, and every response it hands out reads
//! back with the library's own response reader and copies what RFC 3261 8.2.6 says.
//!
//! Inputs: arbitrary bytes, and the corpus messages (`tests/corpus`, `tests/data`)
//! mutated by byte flips, cuts, insertions of SIP punctuation and line ends. Handlers
//! accept, refuse, answer later or panic, chosen by the case.

mod common;

use std::sync::OnceLock;

use bytes::Bytes;
use cpm_client::{
    Decision, DeferredGroupSession, DeferredHandler, DialogHandler, Dispatcher,
    FileTransferHandler, FileTransferInvitation, Handling, InDialogRequest, LargeMessageHandler,
    LargeMessageInvitation, OtherRequestHandler, PagerHandler, PagerMessage, RequestView,
    RoutedRequest, SessionHandler, SessionInvitation, StatusCode,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

fn corpus() -> &'static [Vec<u8>] {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        common::sip_messages()
            .into_iter()
            .map(|(_, bytes)| bytes)
            .collect()
    })
}

/// Answers every procedure with one decision, reading a little of the view first.
struct Decides(u8);

impl Decides {
    fn decide(&self, view: &RequestView<'_>) -> Decision {
        let _ = (
            view.sender(),
            view.recipient(),
            view.conversation_id(),
            view.content_type(),
        );
        let _ = view.asserted_identities().count();
        match self.0 % 5 {
            0 => Decision::accept(),
            1 => Decision::reject_with_reason(StatusCode::BUSY_HERE, "busy\r\nX: y"),
            2 => Decision::later(),
            3 => Decision::reject(StatusCode::OK),
            _ => panic!("a handler bug"),
        }
    }
}

impl PagerHandler for Decides {
    fn pager_message(&self, m: &PagerMessage<'_>) -> Decision {
        let _ = (m.cpim().map(|c| c.message_id()), m.content().len());
        self.decide(m)
    }
}
impl LargeMessageHandler for Decides {
    fn large_message(&self, m: &LargeMessageInvitation<'_>) -> Decision {
        let _ = m.msrp().map(|m| m.path().count());
        self.decide(m)
    }
}
impl SessionHandler for Decides {
    fn session_invitation(&self, s: &SessionInvitation<'_>) -> Decision {
        let _ = (s.is_group(), s.msrp().map(|m| m.setup()));
        self.decide(s)
    }
}
impl FileTransferHandler for Decides {
    fn file_transfer(&self, f: &FileTransferInvitation<'_>) -> Decision {
        let _ = f.file_selector().map(|s| s.name_decoded());
        self.decide(f)
    }
}
impl DeferredHandler for Decides {
    fn deferred_group_session(&self, d: &DeferredGroupSession<'_>) -> Decision {
        self.decide(d)
    }
}
impl DialogHandler for Decides {
    fn in_dialog(&self, r: &InDialogRequest<'_>) -> Decision {
        self.decide(r)
    }
}
impl OtherRequestHandler for Decides {
    fn other_request(&self, r: &RequestView<'_>) -> Decision {
        self.decide(r)
    }
}

fn dispatchers() -> &'static [Dispatcher] {
    static ALL: OnceLock<Vec<Dispatcher>> = OnceLock::new();
    ALL.get_or_init(|| {
        // The handlers' deliberate panics would print through the panic hook; keep
        // them quiet and let every other panic speak.
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&"a handler bug") {
                default(info);
            }
        }));
        let mut all: Vec<Dispatcher> = (0..5)
            .map(|n| {
                Dispatcher::builder()
                    .pager(Decides(n))
                    .large_message(Decides(n))
                    .session(Decides(n))
                    .file_transfer(Decides(n))
                    .deferred(Decides(n))
                    .dialog(Decides(n))
                    .other(Decides(n))
                    .build()
            })
            .collect();
        all.push(Dispatcher::builder().build());
        all
    })
}

/// Dispatches `input` and checks the outcome.
fn check(input: &[u8], which: usize) -> Result<(), TestCaseError> {
    let dispatcher = &dispatchers()[which % dispatchers().len()];
    let mut outcome = dispatcher.dispatch(Bytes::copy_from_slice(input));
    let parsed = RoutedRequest::parse(Bytes::copy_from_slice(input));
    match (&parsed, outcome.request()) {
        (Ok(request), Some(kept)) => {
            prop_assert_eq!(outcome.route(), Some(request.route()));
            if let Handling::Malformed(e) = outcome.handling() {
                prop_assert!(matches!(
                    e.kind(),
                    cpm_client::ParseErrorKind::BadAddress(_)
                        | cpm_client::ParseErrorKind::BadAddressParam(..)
                ));
            }
            prop_assert_eq!(kept.as_bytes(), request.as_bytes());
        }
        (Err(error), None) => match outcome.handling() {
            Handling::Malformed(e) => prop_assert_eq!(e, error),
            other => return Err(TestCaseError::fail(format!("{other:?} for {error}"))),
        },
        _ => return Err(TestCaseError::fail("the outcome and the reader disagree")),
    }
    // The 400 to bytes that did not read copies their headers as written: framed, but
    // not always readable.
    let unread = outcome.request().is_none();
    let pending = outcome.take_pending();
    let mut responses: Vec<_> = outcome.take_response().into_iter().collect();
    if let Some(pending) = pending {
        responses.push(pending.reject(StatusCode::REQUEST_TERMINATED));
    }
    for response in responses {
        let read = match response.read() {
            Ok(read) => read,
            Err(_) if unread => {
                common::framed(response.as_bytes()).map_err(TestCaseError::fail)?;
                continue;
            }
            Err(e) => return Err(TestCaseError::fail(format!("response does not read: {e}"))),
        };
        prop_assert_eq!(read.status(), response.status().code());
        prop_assert!(!read
            .reason()
            .iter()
            .any(|b| b.is_ascii_control() && *b != b'\t'));
        prop_assert!(read.header("Server").is_some());
        if let Ok(request) = &parsed {
            let vias: Vec<&[u8]> = request.header_values("Via").collect();
            let copied: Vec<&[u8]> = read.header_values("Via").collect();
            // Folded Via values are unfolded in the copy.
            prop_assert_eq!(vias.len(), copied.len());
            prop_assert_eq!(read.cseq(), request.cseq());
            // From and To as the dispatcher reads them (a `tag` only as `tag=token`).
            let well_formed = |header: cpm_client::sip::KnownHeader| {
                request
                    .header(header.as_str())
                    .is_some_and(|h| cpm_client::sip::NameAddr::parse_in(header, h.value()).is_ok())
            };
            if !well_formed(cpm_client::sip::KnownHeader::From)
                || !well_formed(cpm_client::sip::KnownHeader::To)
            {
                prop_assert_eq!(read.status(), 400);
                continue;
            }
            let to = read
                .header("To")
                .map(|h| h.value().to_vec())
                .unwrap_or_default();
            let to = cpm_client::sip::NameAddr::parse(&to).and_then(|t| t.tag().map(<[u8]>::len));
            prop_assert!(
                to.is_some_and(|n| n > 0),
                "a To-tag in {}",
                String::from_utf8_lossy(response.as_bytes())
            );
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    Cut(Index),
    Insert(Index, &'static [u8]),
    Remove(Index, Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let inserts: &[&'static [u8]] = &[
        b"\r\n",
        b"\n",
        b"\r",
        b" ",
        b";",
        b",",
        b"\"",
        b"\\",
        b"<",
        b">",
        b"\0",
        b"\xff",
        b"\r\n ",
        b"\r\n\r\n",
        b":",
        b"%3A",
        b"tag=x",
        b"To: <sip:a@b>;tag=1\r\n",
    ];
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<Index>().prop_map(Mutation::Cut),
        (any::<Index>(), proptest::sample::select(inserts))
            .prop_map(|(i, s)| Mutation::Insert(i, s)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Remove(a, b)),
    ]
}

fn apply(x: &mut Vec<u8>, m: &Mutation) {
    if x.is_empty() {
        return;
    }
    match m {
        Mutation::Flip(i, b) => {
            let at = i.index(x.len());
            x[at] = *b;
        }
        Mutation::Cut(i) => x.truncate(i.index(x.len())),
        Mutation::Insert(i, s) => {
            let at = i.index(x.len() + 1);
            x.splice(at..at, s.iter().copied());
        }
        Mutation::Remove(a, b) => {
            let (a, b) = (a.index(x.len()), b.index(x.len()));
            x.drain(a.min(b)..a.max(b));
        }
    }
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn arbitrary_bytes_get_a_well_formed_outcome(bytes in vec(any::<u8>(), 0..2048), which in any::<usize>()) {
        check(&bytes, which)?;
    }

    #[test]
    fn mutated_corpus_messages_get_a_well_formed_outcome(
        message in any::<Index>(),
        mutations in vec(mutation(), 0..4),
        which in any::<usize>(),
    ) {
        let mut x = message.get(corpus()).clone();
        for m in &mutations {
            apply(&mut x, m);
        }
        check(&x, which)?;
    }
}

#[test]
fn every_corpus_message_under_every_decision() {
    for message in corpus() {
        for which in 0..dispatchers().len() {
            check(message, which).unwrap_or_else(|e| panic!("{e}: {}", message.escape_ascii()));
        }
    }
}
