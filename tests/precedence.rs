//! The precedence between CPM tags (documented in `cpm_client::route`), for every pair
//! of tags on MESSAGE and INVITE, with and without a file selector in the SDP and a
//! focus in Contact. Cites the rows of the decision table numbered in `docs/decisions.md`.

use cpm_client::{route, FeatureTag, Route};
use FeatureTag::{Deferred, FileTransfer, LargeMsg, Msg, Session};

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n\
    m=message 9 TCP/MSRP *\r\na=accept-types:message/cpim\r\n\
    a=path:msrp://192.0.2.7:9/s1;tcp\r\na=setup:active\r\n";
const FILE_LINE: &str = "a=file-selector:name:\"a.jpg\" type:image/jpeg size:100\r\n";

/// A request with `tags` in one Accept-Contact value.
fn request(method: &str, tags: &[FeatureTag], file_selector: bool, focus: bool) -> Vec<u8> {
    let list: Vec<String> = tags.iter().map(|t| t.urn().replace(':', "%3A")).collect();
    let contact = if focus { ";isfocus" } else { "" };
    let body = if method == "INVITE" {
        format!("{SDP}{}", if file_selector { FILE_LINE } else { "" })
    } else {
        "hi".to_owned()
    };
    format!(
        "{method} sip:bob@ims.example.net SIP/2.0\r\n\
         Via: SIP/2.0/TCP 192.0.2.7:5060;branch=z9hG4bK-p\r\n\
         From: <sip:alice@ims.example.net>;tag=1\r\n\
         To: <sip:bob@ims.example.net>\r\n\
         Call-ID: precedence\r\n\
         CSeq: 1 {method}\r\n\
         Contact: <sip:alice@192.0.2.7:5060>{contact}\r\n\
         Accept-Contact: *;+g.3gpp.icsi-ref=\"{}\"\r\n\
         Content-Length: {}\r\n\r\n{body}",
        list.join(","),
        body.len()
    )
    .into_bytes()
}

fn routed(method: &str, tags: &[FeatureTag], file_selector: bool, focus: bool) -> Route {
    route(&request(method, tags, file_selector, focus)).expect("well formed")
}

#[test]
fn message_pairs() {
    // Rows 1 and 2: msg or deferred makes a MESSAGE pager mode, whatever else it names.
    for other in FeatureTag::ALL {
        assert_eq!(
            routed("MESSAGE", &[Msg, other], false, false),
            Route::Pager,
            "msg+{other}"
        );
        assert_eq!(
            routed("MESSAGE", &[Deferred, other], false, false),
            Route::Pager,
            "deferred+{other}"
        );
    }
    // Row 3: the INVITE services do not route a MESSAGE.
    for (a, b) in [
        (LargeMsg, Session),
        (LargeMsg, FileTransfer),
        (Session, FileTransfer),
    ] {
        assert_eq!(
            routed("MESSAGE", &[a, b], false, false),
            Route::NotCpm,
            "{a}+{b}"
        );
    }
}

#[test]
fn invite_pairs_with_deferred_follow_section_4() {
    // Row 8: deferred wins; the focus decides between 7.3.11 and 7.2.2.2.
    for other in FeatureTag::ALL {
        for file_selector in [false, true] {
            let tags = [Deferred, other];
            assert_eq!(
                routed("INVITE", &tags, file_selector, true),
                Route::DeferredGroupSession,
                "{other}"
            );
            assert_eq!(
                routed("INVITE", &tags, file_selector, false),
                Route::LargeMessage,
                "{other}"
            );
        }
    }
}

#[test]
fn invite_pairs_without_deferred() {
    let cases = [
        // (tags, route without a=file-selector, route with it)
        ([Msg, LargeMsg], Route::LargeMessage, Route::LargeMessage),
        ([Msg, Session], Route::Session, Route::Session),
        (
            [Msg, FileTransfer],
            Route::FileTransfer,
            Route::FileTransfer,
        ),
        // Row 6: the SDP decides between session and file transfer.
        ([Session, FileTransfer], Route::Session, Route::FileTransfer),
        // The same rule between large message and file transfer.
        (
            [LargeMsg, FileTransfer],
            Route::LargeMessage,
            Route::FileTransfer,
        ),
        // Large message before session.
        (
            [LargeMsg, Session],
            Route::LargeMessage,
            Route::LargeMessage,
        ),
    ];
    for (tags, plain, with_file) in cases {
        for focus in [false, true] {
            assert_eq!(routed("INVITE", &tags, false, focus), plain, "{tags:?}");
            assert_eq!(
                routed("INVITE", &tags, true, focus),
                with_file,
                "{tags:?} + file-selector"
            );
        }
    }
}

#[test]
fn single_tags_on_invite() {
    assert_eq!(routed("INVITE", &[Msg], false, false), Route::NotCpm); // row 9
    assert_eq!(
        routed("INVITE", &[LargeMsg], false, false),
        Route::LargeMessage
    ); // row 7
    assert_eq!(routed("INVITE", &[Session], false, false), Route::Session); // row 5
    assert_eq!(routed("INVITE", &[Session], false, true), Route::Session); // group invitation
    assert_eq!(
        routed("INVITE", &[FileTransfer], false, false),
        Route::FileTransfer
    ); // row 4
    assert_eq!(routed("INVITE", &[], true, true), Route::NotCpm); // row 11
}

#[test]
fn order_of_the_tags_does_not_matter() {
    for a in FeatureTag::ALL {
        for b in FeatureTag::ALL {
            for method in ["MESSAGE", "INVITE"] {
                for file_selector in [false, true] {
                    assert_eq!(
                        routed(method, &[a, b], file_selector, false),
                        routed(method, &[b, a], file_selector, false),
                        "{method} {a}+{b}"
                    );
                }
            }
        }
    }
}

#[test]
fn all_five_tags() {
    assert_eq!(
        routed("MESSAGE", &FeatureTag::ALL, false, false),
        Route::Pager
    );
    assert_eq!(
        routed("INVITE", &FeatureTag::ALL, true, false),
        Route::LargeMessage
    );
    assert_eq!(
        routed("INVITE", &FeatureTag::ALL, true, true),
        Route::DeferredGroupSession
    );
}

#[test]
fn other_methods_never_route() {
    for method in [
        "OPTIONS",
        "INFO",
        "BYE",
        "SUBSCRIBE",
        "NOTIFY",
        "UPDATE",
        "REFER",
        "invite",
    ] {
        for tag in FeatureTag::ALL {
            assert_eq!(
                routed(method, &[tag], false, true),
                Route::NotCpm,
                "{method} {tag}"
            );
        }
    }
}
