//! The decision table and what feeds it.

use std::fmt;
use std::str::FromStr;

use super::accept_contact::TagReader;
use super::contact;
use super::{FeatureTag, TagSet};
use crate::error::{ParseError, ValueError};
use crate::sip::scan::{self, RawHeader, Visit};
use crate::sip::{KnownHeader, Limits, Method};

/// The CPM Client procedure an incoming request belongs to.
///
/// ```
/// use cpm_client::Route;
///
/// assert_eq!(Route::Pager.as_str(), "pager");
/// assert_eq!(Route::Pager.section(), Some("7.2.2.1"));
/// assert_eq!(Route::NotCpm.section(), None);
/// assert_eq!("file-transfer".parse::<Route>(), Ok(Route::FileTransfer));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// Receipt of a Pager Mode standalone message (7.2.2.1), stored ones included.
    Pager,
    /// Receipt of a Large Message Mode standalone message (7.2.2.2), stored ones included.
    LargeMessage,
    /// Delivery of messages of a group session the user was away from (7.3.11).
    DeferredGroupSession,
    /// Invitation to a CPM session, 1-1 or group (7.3.2).
    Session,
    /// Request to receive a file (7.4.2).
    FileTransfer,
    /// Well formed, but not a section-7 request: the application's other paths.
    NotCpm,
}

impl Route {
    /// Every route, in the order of the routing contract.
    pub const ALL: [Route; 6] = [
        Route::Pager,
        Route::LargeMessage,
        Route::DeferredGroupSession,
        Route::Session,
        Route::FileTransfer,
        Route::NotCpm,
    ];

    /// The name in the routing contract (the `route` field of `cpm_route`): `pager`,
    /// `large-message`, `deferred-group-session`, `session`, `file-transfer`, `not-cpm`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Route::Pager => "pager",
            Route::LargeMessage => "large-message",
            Route::DeferredGroupSession => "deferred-group-session",
            Route::Session => "session",
            Route::FileTransfer => "file-transfer",
            Route::NotCpm => "not-cpm",
        }
    }

    /// The section of the CPM Conversation Functions specification that handles the
    /// request; `None` for [`Route::NotCpm`].
    pub const fn section(self) -> Option<&'static str> {
        match self {
            Route::Pager => Some("7.2.2.1"),
            Route::LargeMessage => Some("7.2.2.2"),
            Route::DeferredGroupSession => Some("7.3.11"),
            Route::Session => Some("7.3.2"),
            Route::FileTransfer => Some("7.4.2"),
            Route::NotCpm => None,
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the routing contract's routes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown route name")]
pub struct UnknownRoute;

impl FromStr for Route {
    type Err = UnknownRoute;

    fn from_str(name: &str) -> Result<Route, UnknownRoute> {
        Route::ALL
            .into_iter()
            .find(|r| r.as_str() == name)
            .ok_or(UnknownRoute)
    }
}

/// The route of a request together with what decided it.
///
/// ```
/// use cpm_client::{FeatureTag, Limits, Route, Routing};
///
/// let invite = b"INVITE sip:bob@example.net SIP/2.0\r\n\
///     Via: SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK-1\r\n\
///     From: <sip:alice@example.net>;tag=a1\r\nTo: <sip:bob@example.net>\r\n\
///     Call-ID: d1\r\nCSeq: 1 INVITE\r\n\
///     Contact: <sip:group-1@conf.example.net>;isfocus\r\n\
///     Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred\"\r\n\
///     Content-Length: 0\r\n\r\n";
/// let r = Routing::read(invite, &Limits::DEFAULT).unwrap();
/// assert_eq!(r.route, Route::DeferredGroupSession);
/// assert!(r.tags.contains(FeatureTag::Deferred));
/// assert!(r.from_focus);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Routing {
    /// The section-7 procedure the decision table chose.
    pub route: Route,
    /// The CPM tags found in Accept-Contact.
    pub tags: TagSet,
    /// Whether an INVITE's Contact carries `isfocus` (always `false` for other methods,
    /// whose Contact routing does not read).
    pub from_focus: bool,
}

/// Routes one SIP request: reads it, checks it, and applies the decision table.
/// Allocates nothing. A request that is not CPM is `Ok(Route::NotCpm)`; a request that
/// is malformed is an error that can be the reason phrase of a 400.
///
/// ```
/// let msg = b"MESSAGE sip:bob@example.net SIP/2.0\r\n\
///     v: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK-1\r\n\
///     f: <sip:alice@example.net>;tag=a1\r\nt: <sip:bob@example.net>\r\ni: c1\r\n\
///     CSeq: 1 MESSAGE\r\n\
///     a: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"\r\n\
///     l: 2\r\n\r\nhi";
/// assert_eq!(cpm_client::route(msg), Ok(cpm_client::Route::Pager));
/// ```
pub fn route(request: &[u8]) -> Result<Route, ParseError> {
    Routing::read(request, &Limits::DEFAULT).map(|r| r.route)
}

impl Routing {
    /// [`route`], under the given limits, with the tags and the focus flag that
    /// decided it. Allocates nothing.
    pub fn read(request: &[u8], limits: &Limits) -> Result<Routing, ParseError> {
        let mut reader = FeatureReader::new(limits);
        let frame = scan::scan(request, limits, &mut reader)?;
        Ok(reader.routing(frame.method, frame.head.body))
    }
}

/// What routing reads from the headers: the Accept-Contact tags and, on an INVITE,
/// the Contact `isfocus` parameter.
#[derive(Debug, Clone)]
pub(crate) struct FeatureReader<'l> {
    tags: TagReader<'l>,
    from_focus: bool,
    limits: &'l Limits,
    /// What the table decided, once the walk has ended.
    pub(crate) decided: Option<Routing>,
}

impl<'l> FeatureReader<'l> {
    pub(crate) fn new(limits: &'l Limits) -> Self {
        FeatureReader {
            tags: TagReader::new(limits),
            from_focus: false,
            limits,
            decided: None,
        }
    }

    pub(crate) fn routing(&self, method: Method<'_>, body: &[u8]) -> Routing {
        let tags = self.tags.tags();
        Routing {
            route: decide(method, tags, self.from_focus, body),
            tags,
            from_focus: self.from_focus,
        }
    }
}

impl<'a> Visit<'a> for FeatureReader<'_> {
    fn header(&mut self, method: Method<'a>, header: &RawHeader<'a>) -> Result<(), ValueError> {
        match header.core {
            Some(KnownHeader::AcceptContact) => self.tags.read(header.value),
            Some(KnownHeader::Contact) if method == Method::Invite => {
                self.from_focus |= contact::is_focus(header.value, self.limits)?;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn end(&mut self, method: Method<'a>, body: &'a [u8]) {
        self.decided = Some(self.routing(method, body));
    }

    /// Routing reads Accept-Contact and Contact only, both core headers.
    const CORE_ONLY: bool = true;

    fn reads(core: KnownHeader) -> bool {
        matches!(core, KnownHeader::AcceptContact | KnownHeader::Contact)
    }
}

/// The decision table; the row numbers are those of `docs/decisions.md`.
pub(crate) fn decide(method: Method<'_>, tags: TagSet, from_focus: bool, body: &[u8]) -> Route {
    use FeatureTag::{Deferred, FileTransfer, LargeMsg, Msg, Session};
    let has = |tag| tags.contains(tag);
    match method {
        // Rows 1 and 2: 7.2.2.1, a stored message (7.2.3.2) arrives the same way.
        Method::Message if has(Msg) || has(Deferred) => Route::Pager,
        // Row 8: stored messages over MSRP; 7.3.11 from a focus, else 7.2.2.2.
        Method::Invite if has(Deferred) && from_focus => Route::DeferredGroupSession,
        Method::Invite if has(Deferred) => Route::LargeMessage,
        // Rows 4 and 6: 7.4.2; beside another service only when the SDP offers a file.
        Method::Invite
            if has(FileTransfer) && (!(has(Session) || has(LargeMsg)) || offers_file(body)) =>
        {
            Route::FileTransfer
        }
        // Row 7: 7.2.2.2.
        Method::Invite if has(LargeMsg) => Route::LargeMessage,
        // Row 5: 7.3.2.
        Method::Invite if has(Session) => Route::Session,
        // Rows 3, 9, 10, 11: no section-7 procedure.
        _ => Route::NotCpm,
    }
}

/// Whether a body (SDP, or multipart holding SDP) has an `a=file-selector` line.
fn offers_file(body: &[u8]) -> bool {
    const ATTRIBUTE: &[u8] = b"a=file-selector";
    memchr::memmem::find_iter(body, ATTRIBUTE).any(|at| at == 0 || body[at - 1] == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[FeatureTag]) -> TagSet {
        list.iter().copied().collect()
    }

    #[test]
    fn every_route_has_a_contract_name_and_section() {
        for route in Route::ALL {
            assert_eq!(route.as_str().parse::<Route>(), Ok(route));
            assert_eq!(route.section().is_none(), route == Route::NotCpm);
        }
        assert_eq!("error".parse::<Route>(), Err(UnknownRoute));
    }

    #[test]
    fn the_table_by_rows() {
        use FeatureTag::*;
        let sdp = b"v=0\r\nm=message 9 TCP/MSRP *\r\n";
        let ft_sdp = b"v=0\r\na=file-selector:name:\"a\" type:b/c size:1\r\n";
        let d = |m, t: &[FeatureTag], focus, body: &[u8]| decide(m, tags(t), focus, body);
        assert_eq!(d(Method::Message, &[Msg], false, b""), Route::Pager);
        assert_eq!(d(Method::Message, &[Deferred], false, b""), Route::Pager);
        assert_eq!(d(Method::Message, &[Session], false, b""), Route::NotCpm);
        assert_eq!(
            d(Method::Invite, &[FileTransfer], false, sdp),
            Route::FileTransfer
        );
        assert_eq!(d(Method::Invite, &[Session], false, sdp), Route::Session);
        assert_eq!(
            d(Method::Invite, &[Session, FileTransfer], false, sdp),
            Route::Session
        );
        assert_eq!(
            d(Method::Invite, &[Session, FileTransfer], false, ft_sdp),
            Route::FileTransfer
        );
        assert_eq!(
            d(Method::Invite, &[LargeMsg], false, sdp),
            Route::LargeMessage
        );
        assert_eq!(
            d(Method::Invite, &[Deferred], false, sdp),
            Route::LargeMessage
        );
        assert_eq!(
            d(Method::Invite, &[Deferred], true, sdp),
            Route::DeferredGroupSession
        );
        assert_eq!(d(Method::Invite, &[Msg], false, sdp), Route::NotCpm);
        assert_eq!(d(Method::Options, &[Session], false, b""), Route::NotCpm);
        assert_eq!(
            d(Method::Extension("invite"), &[Session], false, b""),
            Route::NotCpm
        );
        assert_eq!(d(Method::Invite, &[], false, sdp), Route::NotCpm);
    }

    #[test]
    fn file_selector_only_at_a_line_start() {
        assert!(offers_file(b"a=file-selector:x"));
        assert!(offers_file(b"v=0\r\na=file-selector:x"));
        assert!(!offers_file(b"v=0\r\nxa=file-selector:x"));
        assert!(!offers_file(b"a=file-selectors"[..4].as_ref()));
    }
}
