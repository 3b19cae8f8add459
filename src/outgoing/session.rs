//! 7.3.1 CPM sessions: [`Session`] builds the INVITE of a 1-1 session, of an
//! ad-hoc group session (to a conference factory, with the participant list), and of
//! a rejoin.

use super::local_msrp::{msrp_setters, LocalMsrp};
use super::{
    assemble, check_text, check_token, check_uri, cpm_id_setters, resolve_cpm_ids, sip_id_setters,
    BuildError, ClientConfig, CpmIds, Draft, IdGenerator, OutgoingRequest, SipIds,
};
use crate::multipart::MultipartBuilder;
use crate::routing::FeatureTag;
use crate::sdp::Direction;

/// The payload types a session accepts inside CPIM by default.
const WRAPPED_TYPES: [&str; 2] = ["text/plain", "message/imdn+xml"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    OneToOne,
    Group(Vec<String>),
    Rejoin,
}

/// An INVITE starting, or rejoining, a CPM session (7.3.1): the `session` ICSI in
/// Accept-Contact, P-Preferred-Service and Contact, Conversation-ID, Contribution-ID,
/// and an SDP offer for a `sendrecv` MSRP session accepting `message/cpim` and
/// `application/im-iscomposing+xml`. (A received one is handed to handlers as
/// [`cpm_client::SessionInvitation`](crate::SessionInvitation).)
///
/// - [`one_to_one`](Self::one_to_one): to the recipient, SDP body.
/// - [`group`](Self::group): to the conference factory, `Require:
///   recipient-list-invite` (RFC 5366), `multipart/mixed` body of the SDP and an
///   `application/resource-lists+xml` part (`Content-Disposition: recipient-list`)
///   listing the participants; optional Subject and Session-Replaces.
/// - [`rejoin`](Self::rejoin): to the session identity (the focus URI stored from the
///   group's `isfocus` Contact), with the Conversation-ID and Contribution-ID of the
///   session rejoined, SDP only.
///
/// ```
/// use cpm_client::outgoing::*;
/// use cpm_client::{route, Route};
///
/// let config = ClientConfig::new("sip:+15550100001@ims.example.net",
///     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?;
/// let ids = &mut SequentialIds::new(1);
/// let group = Session::group(
///     "sip:conference-factory@ims.example.net",
///     ["sip:+15550100002@ims.example.net", "sip:+15550100003@ims.example.net"],
/// )
/// .subject("Weekend plans")
/// .build(&config, ids)?;
/// assert_eq!(group.header("Require"), Some("recipient-list-invite"));
/// assert_eq!(route(group.as_bytes()), Ok(Route::Session));
///
/// let rejoin = Session::rejoin(
///     "sip:chat-42@focus.ims.example.net",
///     group.header("Conversation-ID").unwrap(),
///     group.header("Contribution-ID").unwrap(),
/// )
/// .build(&config, ids)?;
/// assert_eq!(rejoin.header("Contribution-ID"), group.header("Contribution-ID"));
/// assert_eq!(rejoin.header("Content-Type"), Some("application/sdp"));
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    kind: Kind,
    target: String,
    sip: SipIds,
    cpm: CpmIds,
    msrp: LocalMsrp,
    subject: Option<String>,
    replaces: Option<String>,
    wrapped_types: Vec<String>,
    boundary: Option<String>,
}

impl Session {
    fn new(kind: Kind, target: &str) -> Session {
        Session {
            kind,
            target: target.to_owned(),
            sip: SipIds::default(),
            cpm: CpmIds::default(),
            msrp: LocalMsrp::default(),
            subject: None,
            replaces: None,
            wrapped_types: WRAPPED_TYPES.iter().map(|t| (*t).to_owned()).collect(),
            boundary: None,
        }
    }

    /// A 1-1 session with `to`.
    pub fn one_to_one(to: &str) -> Session {
        Session::new(Kind::OneToOne, to)
    }

    /// An ad-hoc group session created at `conference_factory` with `participants`
    /// (URIs; the inviting user is not listed).
    pub fn group<I, S>(conference_factory: &str, participants: I) -> Session
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let list = participants
            .into_iter()
            .map(|p| p.as_ref().to_owned())
            .collect();
        Session::new(Kind::Group(list), conference_factory)
    }

    /// A rejoin of the group session whose identity is `session_identity`, keeping its
    /// `conversation_id` and `contribution_id`.
    pub fn rejoin(session_identity: &str, conversation_id: &str, contribution_id: &str) -> Session {
        Session::new(Kind::Rejoin, session_identity)
            .conversation_id(conversation_id)
            .contribution_id(contribution_id)
    }

    sip_id_setters!();
    cpm_id_setters!();
    msrp_setters!();

    /// The Subject of the session (any text without control characters).
    pub fn subject(mut self, subject: &str) -> Session {
        self.subject = Some(subject.to_owned());
        self
    }

    /// Session-Replaces: the Contribution-ID of the 1-1 session this group session
    /// replaces (extending a 1-1 chat to a group).
    pub fn replaces(mut self, contribution_id: &str) -> Session {
        self.replaces = Some(contribution_id.to_owned());
        self
    }

    /// The payload types accepted inside CPIM (`a=accept-wrapped-types`), instead of
    /// `text/plain message/imdn+xml`.
    pub fn accept_wrapped_types(mut self, types: &[&str]) -> Session {
        self.wrapped_types = types.iter().map(|t| (*t).to_owned()).collect();
        self
    }

    /// The multipart boundary of a group INVITE instead of a generated one.
    pub fn boundary(mut self, boundary: &str) -> Session {
        self.boundary = Some(boundary.to_owned());
        self
    }

    /// Builds the INVITE; its [`local_msrp_path`](OutgoingRequest::local_msrp_path)
    /// is the `a=path` of the offer, the From-Path of the session's MSRP messages.
    ///
    /// # Errors
    ///
    /// [`BuildError::Missing`] for a group without participants; a [`BuildError`]
    /// naming any field outside its grammar.
    pub fn build(
        &self,
        config: &ClientConfig,
        ids: &mut dyn IdGenerator,
    ) -> Result<OutgoingRequest, BuildError> {
        let (path, sdp) = self.msrp.offer(config, ids, Direction::SendRecv)?;
        let wrapped: Vec<&str> = self.wrapped_types.iter().map(String::as_str).collect();
        let sdp = sdp
            .accept_types(&["message/cpim", "application/im-iscomposing+xml"])
            .accept_wrapped_types(&wrapped)
            .write()?;
        let mut extra = Vec::new();
        if let Some(replaces) = &self.replaces {
            extra.push((
                "Session-Replaces",
                check_token("Session-Replaces", replaces)?.to_owned(),
            ));
        }
        if let Some(subject) = &self.subject {
            extra.push(("Subject", check_text("Subject", subject)?.to_owned()));
        }
        let (content_type, body) = match &self.kind {
            Kind::Group(participants) => {
                if participants.is_empty() {
                    return Err(BuildError::Missing {
                        field: "participants",
                        why: "a group session INVITE lists at least one participant",
                    });
                }
                extra.push(("Require", "recipient-list-invite".to_owned()));
                let list = resource_list(participants)?;
                let mut multipart = MultipartBuilder::new()
                    .part("application/sdp", sdp)
                    .part_with_disposition(
                        "application/resource-lists+xml",
                        "recipient-list",
                        list,
                    );
                if let Some(b) = &self.boundary {
                    multipart = multipart.boundary(b);
                }
                multipart.write(ids)?
            }
            Kind::OneToOne | Kind::Rejoin => ("application/sdp".to_owned(), sdp),
        };
        let (conversation, contribution) = resolve_cpm_ids(&self.cpm, ids)?;
        let to_field = match self.kind {
            Kind::OneToOne => "recipient",
            Kind::Group(_) => "conference factory",
            Kind::Rejoin => "session identity",
        };
        assemble(
            config,
            ids,
            Draft::cpm_invite(
                (to_field, &self.target),
                &self.sip,
                FeatureTag::Session,
                (&conversation, &contribution),
                extra,
                (&content_type, &body),
            ),
        )
        .map(|invite| invite.with_local_msrp_path(path))
    }
}

/// The RFC 4826 resource list of RFC 5366, one entry per participant.
fn resource_list(participants: &[String]) -> Result<Vec<u8>, BuildError> {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
         <resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\r\n<list>\r\n",
    );
    for uri in participants {
        check_uri("participant", uri)?;
        out.push_str("<entry uri=\"");
        for c in uri.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                c => out.push(c),
            }
        }
        out.push_str("\"/>\r\n");
    }
    out.push_str("</list>\r\n</resource-lists>\r\n");
    Ok(out.into_bytes())
}
