//! Requests inside a dialog: [`DialogId`] and the [`InDialogRequest`] view.

use std::ops::Deref;

use bytes::Bytes;

use super::view::RequestView;
use crate::routing::RoutedRequest;
use crate::sip::{IncomingRequest, KnownHeader, Method, NameAddr};

/// Which dialog a request belongs to, seen from this client (RFC 3261 section 12):
/// the Call-ID, the local tag (the request's To-tag, which this side chose) and the
/// remote tag (the request's From-tag). Each is a slice of the request's buffer.
///
/// ```
/// use bytes::Bytes;
/// use cpm_client::{DialogId, IncomingRequest};
///
/// let bye = IncomingRequest::parse(Bytes::from_static(
///     b"BYE sip:a@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK-b\r\n\
///       From: <sip:b@example.net>;tag=remote1\r\nTo: <sip:a@example.net>;tag=local1\r\n\
///       Call-ID: dlg-7\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
/// )).unwrap();
/// let id = DialogId::of(&bye).unwrap();
/// assert_eq!((&id.call_id[..], &id.local_tag[..], &id.remote_tag[..]), (&b"dlg-7"[..], &b"local1"[..], &b"remote1"[..]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// The Call-ID.
    pub call_id: Bytes,
    /// The To-tag: the tag this side put in its response that created the dialog.
    pub local_tag: Bytes,
    /// The From-tag: the peer's tag (empty if the peer sent none, as RFC 2543 peers do).
    pub remote_tag: Bytes,
}

impl DialogId {
    /// The dialog of a request that carries a To-tag; `None` without one.
    pub fn of(request: &IncomingRequest) -> Option<DialogId> {
        let known = |wanted| {
            request
                .first_known(wanted)
                .map(|h| crate::sip::grammar::trim_lws(h.value()))
        };
        let local_tag = known(KnownHeader::To).and_then(NameAddr::parse)?.tag()?;
        let remote_tag = known(KnownHeader::From)
            .and_then(NameAddr::parse)
            .and_then(|from| from.tag())
            .unwrap_or_default();
        Some(DialogId {
            call_id: request.share(known(KnownHeader::CallId).unwrap_or_default())?,
            local_tag: request.share(local_tag)?,
            remote_tag: request.share(remote_tag).unwrap_or_default(),
        })
    }
}

/// A request inside a dialog (or a CANCEL), as handed to a
/// [`DialogHandler`](crate::DialogHandler): the request's view and its dialog.
///
/// It dereferences to [`RequestView`] for the request's parts.
#[derive(Debug)]
pub struct InDialogRequest<'a> {
    view: RequestView<'a>,
    dialog: Option<&'a DialogId>,
}

impl<'a> InDialogRequest<'a> {
    pub(crate) fn new(request: &'a RoutedRequest, dialog: Option<&'a DialogId>) -> Self {
        InDialogRequest {
            view: RequestView::new(request),
            dialog,
        }
    }

    /// The dialog; `None` only for a CANCEL (which carries the To of the INVITE it
    /// cancels, usually without a tag) and an ACK without a To-tag.
    pub fn dialog(&self) -> Option<&'a DialogId> {
        self.dialog
    }

    /// The request's method (BYE, ACK, CANCEL, INVITE for a re-INVITE, ...).
    pub fn method(&self) -> Method<'a> {
        self.view.request().method()
    }
}

impl<'a> Deref for InDialogRequest<'a> {
    type Target = RequestView<'a>;

    fn deref(&self) -> &RequestView<'a> {
        &self.view
    }
}
