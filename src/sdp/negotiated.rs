//! What an offer/answer settled for one MSRP stream, seen from this end:
//! [`NegotiatedMsrp`].

use super::{Direction, FileSelector, MsrpMedia, MsrpTransport, Setup};

/// The MSRP session an SDP offer/answer set up (RFC 4975 section 8, RFC 4145, RFC
/// 6135), from this end's side: everything needed to start the session without
/// reading the SDP again.
///
/// The dispatcher hands one out with the answer it wrote
/// (`Outcome::msrp`, `PendingResponse::accept_with_msrp`); an offerer makes one from
/// its offer and the peer's answer with [`from_media`](Self::from_media).
///
/// ```
/// use cpm_client::sdp::{Direction, MsrpSdp, NegotiatedMsrp, Sdp, Setup};
///
/// let offer = MsrpSdp::new("192.0.2.10", "msrp://192.0.2.10:2855/a1b2;tcp", Direction::SendOnly)
///     .accept_types(&["message/cpim"])
///     .setup(Setup::ActPass)
///     .write()?;
/// let answer = MsrpSdp::new("192.0.2.20", "msrp://192.0.2.20:2855/z9y8;tcp", Direction::RecvOnly)
///     .accept_types(&["message/cpim"])
///     .setup(Setup::Passive)
///     .max_size(Some(1 << 20))
///     .write()?;
/// let (offer, answer) = (Sdp::parse(&offer).unwrap(), Sdp::parse(&answer).unwrap());
/// let mine = NegotiatedMsrp::from_media(&offer.msrp().unwrap(), &answer.msrp().unwrap(), true).unwrap();
/// assert_eq!(mine.setup, Setup::Active, "the answerer is passive, so the offerer connects");
/// assert_eq!(mine.remote_path, "msrp://192.0.2.20:2855/z9y8;tcp");
/// assert_eq!(mine.remote_max_size, Some(1 << 20));
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NegotiatedMsrp {
    /// This end's `a=path` (one URI): the From-Path of what it sends.
    pub local_path: String,
    /// The peer's `a=path`, URIs separated by single spaces: the To-Path of what this
    /// end sends. Its last URI's authority is where the active end connects (RFC 4975
    /// section 8.1).
    pub remote_path: String,
    /// This end's role: `Active` (it opens the connection and sends the first SEND),
    /// `Passive` (it waits for it), `HoldConn` (no connection yet).
    pub setup: Setup,
    /// This end's direction.
    pub direction: Direction,
    /// Whether the stream is `TCP/TLS/MSRP`.
    pub tls: bool,
    /// This end's `a=accept-types`.
    pub accept_types: Vec<String>,
    /// The peer's `a=accept-types`.
    pub remote_accept_types: Vec<String>,
    /// This end's `a=max-size`.
    pub max_size: Option<u64>,
    /// The peer's `a=max-size`.
    pub remote_max_size: Option<u64>,
    /// The `a=file-selector` of a file transfer (RFC 5547), the peer's when it has
    /// one, else this end's.
    pub file_selector: Option<FileSelector<'static>>,
}

impl NegotiatedMsrp {
    /// Reads this end's SDP (`local`) and the peer's (`remote`); `local_offered`
    /// says which one was the offer. This end's role follows RFC 4145 section 4.1:
    /// the answerer's `a=setup` as written (absent: `active`); the offerer the
    /// opposite of the answer's. `None` when either side has no `a=path`.
    pub fn from_media(
        local: &MsrpMedia<'_>,
        remote: &MsrpMedia<'_>,
        local_offered: bool,
    ) -> Option<NegotiatedMsrp> {
        let local_path = local.path().next()?.to_owned();
        let remote_path = remote.path().collect::<Vec<_>>().join(" ");
        if remote_path.is_empty() {
            return None;
        }
        let answer_setup = if local_offered {
            remote.setup()
        } else {
            local.setup()
        };
        // An answer without a=setup (or with actpass, which an answer may not carry)
        // is `active` (RFC 4145 section 4).
        let answerer = match answer_setup {
            Some(Setup::Passive) => Setup::Passive,
            Some(Setup::HoldConn) => Setup::HoldConn,
            _ => Setup::Active,
        };
        let setup = match (local_offered, answerer) {
            (false, role) => role,
            (true, Setup::Active) => Setup::Passive,
            (true, Setup::Passive) => Setup::Active,
            (true, role) => role,
        };
        let owned = |types: &mut dyn Iterator<Item = &str>| types.map(str::to_owned).collect();
        Some(NegotiatedMsrp {
            local_path,
            remote_path,
            setup,
            direction: local.direction(),
            tls: matches!(local.transport(), MsrpTransport::Tls),
            accept_types: owned(&mut local.accept_types()),
            remote_accept_types: owned(&mut remote.accept_types()),
            max_size: local.max_size(),
            remote_max_size: remote.max_size(),
            file_selector: remote
                .file_selector()
                .or_else(|| local.file_selector())
                .map(FileSelector::into_owned),
        })
    }

    /// What [`from_media`](Self::from_media) reads, this end having answered the
    /// `remote` offer (RFC 3264 section 6) with an answer that holds `answer`'s values,
    /// without reading that answer again: the answer's `a=setup` is this end's role
    /// (RFC 4145 section 4.1), its first `a=path` URI is `local_path`. `None` when a
    /// value of `answer` holds a control character (written otherwise than given, the
    /// answer is then to be read back) or the peer's path is empty.
    pub(crate) fn answering(remote: &MsrpMedia<'_>, answer: &Answering<'_>) -> Option<Self> {
        let plain = |text: &str| !text.bytes().any(|b| b < 0x20 || b == 0x7f);
        if ![answer.path, answer.accept_types]
            .into_iter()
            .chain(answer.file_selector)
            .all(plain)
        {
            return None;
        }
        let local_path = answer.path.split_ascii_whitespace().next()?.to_owned();
        // The peer's attributes in one pass, each the first of its name (as the
        // accessors of `MsrpMedia` read them one pass each).
        let (mut path, mut accept_types, mut max_size, mut file_selector) =
            (None, None, None, None);
        for attribute in remote.attributes() {
            let is = |name: &str| attribute.name.eq_ignore_ascii_case(name);
            // An attribute without a value reads as an empty one (`find_attribute`).
            let value = attribute.value.unwrap_or_default();
            if is("path") {
                path = path.or(Some(value));
            } else if is("accept-types") {
                accept_types = accept_types.or(Some(value));
            } else if is("max-size") || is("maxsize") {
                max_size = max_size.or(Some(attribute.value));
            } else if is("file-selector") {
                file_selector = file_selector.or(Some(value));
            }
        }
        let remote_path = path
            .unwrap_or_default()
            .split_ascii_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if remote_path.is_empty() {
            return None;
        }
        // The answerer's a=setup as written; actpass (which an answer may not carry)
        // counts as `active` (RFC 4145 section 4).
        let setup = match answer.setup {
            Setup::Passive => Setup::Passive,
            Setup::HoldConn => Setup::HoldConn,
            _ => Setup::Active,
        };
        Some(NegotiatedMsrp {
            local_path,
            remote_path,
            setup,
            direction: answer.direction,
            tls: answer.tls,
            accept_types: answer
                .accept_types
                .split_ascii_whitespace()
                .map(str::to_owned)
                .collect(),
            remote_accept_types: accept_types
                .unwrap_or_default()
                .split_ascii_whitespace()
                .map(str::to_owned)
                .collect(),
            max_size: answer.max_size,
            remote_max_size: max_size.flatten().and_then(|v| v.trim().parse().ok()),
            file_selector: file_selector
                .or(answer.file_selector)
                .map(FileSelector::parse)
                .map(FileSelector::into_owned),
        })
    }
}

/// The values of an SDP answer to an MSRP offer that
/// [`NegotiatedMsrp::answering`] reads instead of the written answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Answering<'a> {
    /// `a=path`.
    pub(crate) path: &'a str,
    /// `a=setup`.
    pub(crate) setup: Setup,
    /// The direction attribute.
    pub(crate) direction: Direction,
    /// Whether the m-line's protocol is `TCP/TLS/MSRP`.
    pub(crate) tls: bool,
    /// `a=accept-types`.
    pub(crate) accept_types: &'a str,
    /// `a=max-size`.
    pub(crate) max_size: Option<u64>,
    /// `a=file-selector`, when the answer has one.
    pub(crate) file_selector: Option<&'a str>,
}
