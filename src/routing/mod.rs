//! Routing: which section-7 CPM Client procedure an incoming request starts.
//!
//! The CPM feature tags ([`FeatureTag`], [`TagSet`]) are read from every Accept-Contact
//! header ([`accept_contact`], RFC 3841) and the conference-focus flag from Contact
//! ([`contact`]); [`route()`] and [`Routing::read`] decide from them in the reader's one
//! pass, with no allocation; [`RoutedRequest`] keeps the parsed request beside its
//! [`Routing`].
//!
//! The table lives in one private function, `decide`, one `match` arm per row of the
//! decision table (its rows are numbered in `docs/decisions.md`), each naming its
//! section. Everything else here feeds it: the method, the CPM tags of the
//! Accept-Contact headers, whether Contact marks a conference focus, and (for one
//! policy row) whether the SDP offers a file.
//!
//! # Precedence when an INVITE names several CPM services
//!
//! Section 7 says nothing about an INVITE whose Accept-Contact names more than one
//! service; the library decides, in this order:
//!
//! 1. **`deferred` wins.** Stored messages come back through a deferred delivery
//!    whatever else the INVITE names: `deferred-group-session` (7.3.11) when Contact
//!    carries `isfocus` (RFC 3840 section 10: the marker of a conference focus),
//!    `large-message` (7.2.2.2) otherwise.
//! 2. **`filetransfer`** routes `file-transfer` (7.4.2) when neither `session` nor
//!    `largemsg` is named beside it, or when the SDP offers a file (an
//!    `a=file-selector` line, RFC 5547): a file selector is what a file transfer cannot
//!    do without, and what a session or a large message never carries. (`msg` beside it
//!    changes nothing: it names no INVITE procedure.)
//! 3. **`largemsg`** routes `large-message` (7.2.2.2) before `session`: it names one
//!    specific one-shot procedure, while a session is the general container, and a
//!    large-message sender expects its MSRP session to be answered `recvonly`.
//! 4. **`session`** routes `session` (7.3.2).
//! 5. **`msg`** alone on an INVITE is not a section-7 trigger (pager mode is a MESSAGE
//!    procedure): `not-cpm`.
//!
//! A MESSAGE routes `pager` (7.2.2.1) when it names `msg` or `deferred`, whatever else it
//! names; `largemsg`, `session` and `filetransfer` alone do not route a MESSAGE (in RCS
//! practice such MESSAGEs carry IMDNs for earlier traffic). Every pair is tested in
//! `tests/precedence.rs`.

pub mod accept_contact;
pub mod contact;
mod feature_tag;
mod table;

use std::ops::Deref;

use bytes::Bytes;

pub use feature_tag::{FeatureTag, TagSet};
pub(crate) use table::FeatureReader;
pub use table::{route, Route, Routing, UnknownRoute};

use crate::error::ParseError;
use crate::sip::{IncomingRequest, Limits};

/// An [`IncomingRequest`] read together with its [`Routing`], in the reader's one pass:
/// the CPM checks (Accept-Contact grammar, an INVITE's Contact) refuse a request here
/// that the plain SIP reader would take.
///
/// It dereferences to the request, so every accessor of [`IncomingRequest`] is at hand.
///
/// ```
/// use bytes::Bytes;
/// use cpm_client::{FeatureTag, RoutedRequest, Route};
///
/// let wire = Bytes::from_static(b"MESSAGE sip:b@example.net SIP/2.0\r\n\
///     v: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@example.net>;tag=1\r\n\
///     t: <sip:b@example.net>\r\ni: c\r\nCSeq: 1 MESSAGE\r\n\
///     a: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"\r\n\
///     l: 2\r\n\r\nhi");
/// let request = RoutedRequest::parse(wire)?;
/// assert_eq!(request.route(), Route::Pager);
/// assert!(request.tags().contains(FeatureTag::Msg));
/// assert_eq!(request.body(), b"hi");
/// # Ok::<(), cpm_client::ParseError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RoutedRequest {
    request: IncomingRequest,
    routing: Routing,
}

impl RoutedRequest {
    /// Reads and routes `bytes` under [`Limits::DEFAULT`].
    ///
    /// # Errors
    ///
    /// What [`IncomingRequest::parse`] refuses, and a malformed Accept-Contact (or
    /// Contact on an INVITE), as a [`ParseError`] fit for the reason phrase of a 400.
    pub fn parse(bytes: Bytes) -> Result<RoutedRequest, ParseError> {
        RoutedRequest::parse_with(bytes, &Limits::DEFAULT)
    }

    /// [`parse`](Self::parse) under the given limits.
    ///
    /// # Errors
    ///
    /// As [`parse`](Self::parse).
    pub fn parse_with(bytes: Bytes, limits: &Limits) -> Result<RoutedRequest, ParseError> {
        RoutedRequest::parse_or_return(bytes, limits).map_err(|(error, _)| error)
    }

    /// As [`parse_with`](Self::parse_with), handing the bytes back with the error.
    #[inline]
    pub(crate) fn parse_or_return(
        bytes: Bytes,
        limits: &Limits,
    ) -> Result<RoutedRequest, (ParseError, Bytes)> {
        let mut features = FeatureReader::new(limits);
        let request = IncomingRequest::parse_visiting(bytes, limits, &mut features)?;
        let routing = match features.decided {
            Some(routing) => routing,
            // The walk ends every request it accepts; were it not to, decide here.
            None => features.routing(request.method(), request.body()),
        };
        Ok(RoutedRequest { request, routing })
    }

    /// The procedure the request belongs to.
    pub fn route(&self) -> Route {
        self.routing.route
    }

    /// The route with the tags and the focus flag that decided it.
    pub fn routing(&self) -> Routing {
        self.routing
    }

    /// The CPM tags found in the Accept-Contact headers.
    pub fn tags(&self) -> TagSet {
        self.routing.tags
    }

    /// The SIP request underneath (also reached through `Deref`).
    pub fn request(&self) -> &IncomingRequest {
        &self.request
    }

    /// The request, without its routing.
    pub fn into_request(self) -> IncomingRequest {
        self.request
    }
}

impl Deref for RoutedRequest {
    type Target = IncomingRequest;

    fn deref(&self) -> &IncomingRequest {
        &self.request
    }
}
