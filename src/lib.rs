//! # cpm-client
//!
//! The client side of OMA CPM (Converged IP Messaging, the standard under GSMA RCS
//! chat), as a library: bytes of an incoming SIP request go in, and out comes the
//! section-7 procedure of the CPM Conversation Functions specification that the request
//! starts. The library never opens a socket (a sans-IO design): transport, timers and
//! retransmission belong to the application.
//!
//! ## A 30-second tour
//!
//! A network delivers a pager-mode message. Route it:
//!
//! ```
//! use cpm_client::{route, Route};
//!
//! let wire = b"MESSAGE sip:+15550100002@ims.example.net SIP/2.0\r\n\
//! Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-p1\r\n\
//! Max-Forwards: 70\r\n\
//! From: <sip:+15550100001@ims.example.net>;tag=a73kd9\r\n\
//! To: <sip:+15550100002@ims.example.net>\r\n\
//! Call-ID: 9b0c1e2d-pager@192.0.2.10\r\n\
//! CSeq: 1 MESSAGE\r\n\
//! Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"\r\n\
//! Content-Type: text/plain\r\n\
//! Content-Length: 11\r\n\
//! \r\n\
//! Hello, Bob!";
//!
//! let procedure = route(wire).expect("a well-formed request");
//! assert_eq!(procedure, Route::Pager);
//! assert_eq!(procedure.section(), Some("7.2.2.1"));
//! ```
//!
//! [`route()`] reads the request in one pass and allocates nothing. When the handler
//! needs the request's parts, [`IncomingRequest::parse`] keeps the bytes and hands out
//! slices of them, and routes the same way:
//!
//! ```
//! # let wire = b"MESSAGE sip:b@example.net SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
//! #   f: <sip:a@example.net>;tag=1\r\nt: <sip:b@example.net>\r\ni: c\r\nCSeq: 1 MESSAGE\r\n\
//! #   a: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"\r\nl: 11\r\n\r\nHello, Bob!";
//! use cpm_client::{FeatureTag, RoutedRequest, Route};
//!
//! let request = RoutedRequest::parse(bytes::Bytes::from_static(wire))?;
//! assert_eq!(request.route(), Route::Pager);
//! assert!(request.tags().contains(FeatureTag::Msg));
//! assert_eq!(request.body(), b"Hello, Bob!");
//! # Ok::<(), cpm_client::ParseError>(())
//! ```
//!
//! A malformed request is an error whose text is fit for the reason phrase of a 400:
//!
//! ```
//! let err = cpm_client::route(b"MESSAGE sip:b@example.net SIP/2.0\r\nCSeq: 1 MESSAGE\r\n\r\n").unwrap_err();
//! assert_eq!(err.to_string(), "line 3: missing Via header");
//! ```
//!
//! ## Where things are
//!
//! Below, one module per wire format, each with its reader and its writer:
//!
//! - [`sip`]: requests and responses ([`IncomingRequest`], [`IncomingResponse`],
//!   [`OutgoingRequest`], [`Response`], [`StatusCode`], [`Method`], header names),
//!   [`Limits`], the [`StreamReader`](sip::StreamReader) that cuts messages out of
//!   a TCP or TLS byte stream, and HTTP Digest challenges and answers
//!   ([`sip::DigestChallenge`]).
//! - [`sdp`]: SDP for MSRP ([`sdp::Sdp`], [`sdp::MsrpSdp`], [`sdp::Setup`],
//!   [`sdp::Direction`], [`sdp::FileSelector`]).
//! - [`cpim`]: `message/cpim` with the IMDN headers ([`cpim::CpimMessage`],
//!   [`cpim::CpimBuilder`]).
//! - [`multipart`]: `multipart/mixed` ([`multipart::Multipart`],
//!   [`multipart::MultipartBuilder`]); [`mime`]: Content-Type values and the body
//!   errors.
//! - [`msrp`]: MSRP (RFC 4975) both ways: requests and responses read
//!   ([`msrp::MsrpFrame`]) and written ([`msrp::MsrpRequestWriter`],
//!   [`msrp::MsrpResponseWriter`], [`msrp::MsrpMessage`] for SEND chunks), URIs
//!   ([`msrp::MsrpUri`]), the [`MsrpStreamReader`](msrp::MsrpStreamReader) for a
//!   connection's bytes, and the sans-IO [`MsrpSession`](msrp::MsrpSession), set up from
//!   the [`NegotiatedMsrp`](sdp::NegotiatedMsrp) of an SDP offer/answer.
//! - [`imdn`]: IMDN notifications, `message/imdn+xml` (RFC 5438: [`imdn::Imdn`],
//!   [`imdn::ImdnStatus`]); [`iscomposing`]: is-composing indications (RFC 3994,
//!   [`iscomposing::IsComposing`]).
//! - [`transaction`]: SIP transactions (RFC 3261 section 17, RFC 6026) for the
//!   messages of both directions: retransmissions over UDP, timers, matching, the ACK
//!   of a non-2xx, CANCEL ([`transaction::TransactionLayer`]). It uses [`sip`] only,
//!   and reads no clock: the application passes the time and polls for what to send.
//!
//! Above them, the CPM procedures:
//!
//! - [`routing`]: the five CPM services ([`FeatureTag`], [`TagSet`]), Accept-Contact,
//!   and the decision table ([`Route`], [`route()`], [`Routing`], [`RoutedRequest`]).
//! - [`dispatch`]: the [`Dispatcher`] and the handler traits ([`PagerHandler`],
//!   [`SessionHandler`], ...), the typed views handed to them ([`PagerMessage`],
//!   [`SessionInvitation`], ...) and the [`Outcome`] of a dispatch.
//! - [`outgoing`]: the requests the client originates (7.1 [`Registration`](outgoing::Registration)
//!   and the registration procedure [`Registrant`](outgoing::Registrant),
//!   7.2.1.1 [`Pager`](outgoing::Pager), 7.2.1.2 [`LargeMessage`](outgoing::LargeMessage),
//!   7.3.1 [`Session`](outgoing::Session), 7.4.1 [`FileTransfer`](outgoing::FileTransfer)),
//!   built from a [`ClientConfig`] with every header the procedure requires, the
//!   [`Dialog`](outgoing::Dialog) of a session in either role, the IMDN MESSAGE
//!   ([`ImdnMessage`](outgoing::ImdnMessage)) and the capability query
//!   ([`CapabilityQuery`](outgoing::CapabilityQuery), its answer read by
//!   [`PeerCapabilities`](outgoing::PeerCapabilities)).
//! - [`conversation`]: the content of an MSRP session once the INVITE is answered
//!   ([`Conversation`]): a large message, a file into the application's sink with its
//!   checks, chat messages told apart from is-composing indications and IMDNs,
//!   deferred group delivery, and the CPIM envelope of what is sent.
//! - [`user_agent`]: the Appendix D release stamp ([`ReleaseVersion`], [`ProductStamp`],
//!   [`Release::of_peer`]).
//! - [`ids`]: where generated identifiers come from; [`error`]: [`ParseError`],
//!   [`ValueError`], [`BuildError`].
//!
//! ## Cargo features
//!
//! - `rsip` (on by default): `to_rsip()` conversions into the `rsip` crate's typed
//!   model, for a handler that wants every header typed.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod conversation;
pub mod cpim;
pub mod dispatch;
pub mod error;
pub mod ids;
pub mod imdn;
pub mod iscomposing;
pub mod mime;
pub mod msrp;
pub mod multipart;
pub mod outgoing;
pub mod routing;
pub mod sdp;
pub mod sip;
pub mod transaction;
pub mod user_agent;

pub use bytes;

pub use conversation::{Conversation, ConversationEvent, ConversationHandler, ConversationKind};
pub use dispatch::{
    Accept, ComposingHandler, ComposingReceived, Decision, DeferredGroupSession, DeferredHandler,
    DialogHandler, DialogId, Dispatcher, DispatcherBuilder, FileTransferHandler,
    FileTransferInvitation, Handling, ImdnReceived, InDialogRequest, LargeMessageHandler,
    LargeMessageInvitation, NotificationHandler, OtherRequestHandler, Outcome, PagerHandler,
    PagerMessage, PendingResponse, PlainMessage, PlainMessageHandler, Reject, RequestView,
    SessionHandler, SessionInvitation,
};
pub use error::{BuildError, ParseError, ParseErrorKind, ValueError};
pub use outgoing::{ClientConfig, ContactAddress, Transport};
pub use routing::{route, FeatureTag, Route, RoutedRequest, Routing, TagSet};
pub use sip::{
    IncomingRequest, IncomingResponse, Limits, Method, OutgoingRequest, Response, StatusCode,
};
pub use user_agent::{ProductStamp, Release, ReleaseVersion};

/// The README's code, compiled and run as a doc test so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
