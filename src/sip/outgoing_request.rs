//! [`OutgoingRequest`]: a request this client wrote, and the values a later request
//! of the same transaction, dialog or registration needs.

use std::fmt;
use std::ops::Range;

use bytes::Bytes;

/// One built SIP request: the bytes to put on the wire, and the values a later
/// request of the same dialog or registration needs.
///
/// ```
/// # use cpm_client::outgoing::*;
/// # let config = ClientConfig::new("sip:+15550100001@ims.example.net",
/// #     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?
/// #     .with_instance("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")?;
/// let register = Registration::new().build(&config, &mut SequentialIds::new(3))?;
/// assert_eq!(register.method(), "REGISTER");
/// assert_eq!(register.cseq(), 1);
/// assert!(register.branch().starts_with("z9hG4bK"));
/// assert_eq!(register.header("Expires"), Some("3600"));
/// assert_eq!(register.body(), b"");
/// assert!(register.as_bytes().starts_with(b"REGISTER sip:ims.example.net SIP/2.0\r\n"));
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingRequest {
    pub(crate) bytes: Bytes,
    pub(crate) method: &'static str,
    pub(crate) body: Range<usize>,
    pub(crate) call_id: String,
    pub(crate) from_tag: String,
    pub(crate) branch: String,
    pub(crate) cseq: u32,
    pub(crate) local_msrp_path: Option<String>,
    /// The URI the request goes to first (RFC 3261 8.1.2).
    pub(crate) next_hop: String,
}

impl OutgoingRequest {
    /// The request as it goes on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The wire bytes, shared (no copy).
    pub fn bytes(&self) -> Bytes {
        self.bytes.clone()
    }

    /// The wire bytes, giving up the request (no copy).
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// The request in `rsip`'s typed model.
    ///
    /// # Errors
    ///
    /// What `rsip` reports if it cannot read the request: rsip 0.4 does not know
    /// every URI form a network accepts (a `tel:` Request-URI is one it refuses).
    #[cfg(feature = "rsip")]
    pub fn to_rsip(&self) -> Result<rsip::Request, rsip::Error> {
        rsip::Request::try_from(&self.bytes[..])
    }

    /// The method: `REGISTER`, `MESSAGE` or `INVITE`; `ACK` or `BYE` from a dialog.
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The Call-ID (a refresh reuses it).
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The From tag: this side's half of the dialog id (RFC 3261 19.3).
    pub fn from_tag(&self) -> &str {
        &self.from_tag
    }

    /// The Via branch.
    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// The CSeq number.
    pub fn cseq(&self) -> u32 {
        self.cseq
    }

    /// Where to send the request first (RFC 3261 8.1.2): the URI of the first Route
    /// when the request carries a route set and its first element is a loose router,
    /// the Request-URI otherwise (no Route, or a strict router that the Request-URI
    /// names, RFC 3261 12.2.1.1). The transport resolves it (RFC 3263).
    ///
    /// ```
    /// # use cpm_client::outgoing::*;
    /// let config = ClientConfig::new("sip:+15550100001@ims.example.net",
    ///     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?;
    /// let pager = |config: &ClientConfig| Pager::new("sip:+15550100002@ims.example.net",
    ///     Content::text("Hi"), std::time::SystemTime::UNIX_EPOCH)
    ///     .build(config, &mut SequentialIds::new(1))
    ///     .map(|p| p.into_pager().expect("small enough for pager mode"));
    /// assert_eq!(pager(&config)?.next_hop(), "sip:+15550100002@ims.example.net");
    /// let proxied = config.with_outbound_proxy("sip:pcscf.ims.example.net:5060;lr")?;
    /// assert_eq!(pager(&proxied)?.next_hop(), "sip:pcscf.ims.example.net:5060;lr");
    /// # Ok::<(), cpm_client::BuildError>(())
    /// ```
    pub fn next_hop(&self) -> &str {
        &self.next_hop
    }

    /// The local MSRP URI of an INVITE's SDP offer (its `a=path`), from which the
    /// messages of the session are framed: the `from_path` of
    /// [`MsrpMessage::new`](crate::msrp::MsrpMessage::new). `None` for a request without an MSRP offer.
    ///
    /// ```
    /// # use cpm_client::outgoing::*;
    /// # let config = ClientConfig::new("sip:+15550100001@ims.example.net",
    /// #     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?;
    /// let invite = Session::one_to_one("sip:+15550100002@ims.example.net")
    ///     .msrp_session("s9t8u7v6")
    ///     .build(&config, &mut SequentialIds::new(1))?;
    /// assert_eq!(invite.local_msrp_path(), Some("msrp://192.0.2.10:9/s9t8u7v6;tcp"));
    /// let pager = Pager::new("sip:+15550100002@ims.example.net", Content::text("Hi"),
    ///     std::time::SystemTime::UNIX_EPOCH)
    ///     .build(&config, &mut SequentialIds::new(2))?
    ///     .into_pager()
    ///     .expect("small enough for pager mode");
    /// assert_eq!(pager.local_msrp_path(), None);
    /// # Ok::<(), cpm_client::BuildError>(())
    /// ```
    pub fn local_msrp_path(&self) -> Option<&str> {
        self.local_msrp_path.as_deref()
    }

    /// The request with the local MSRP path of its offer.
    pub(crate) fn with_local_msrp_path(mut self, path: String) -> Self {
        self.local_msrp_path = Some(path);
        self
    }

    /// The same request written again as `bytes` (a challenge answered): a new
    /// branch and CSeq number, the other values unchanged.
    pub(crate) fn rewritten(
        &self,
        bytes: Bytes,
        body: Range<usize>,
        branch: String,
        cseq: u32,
    ) -> OutgoingRequest {
        OutgoingRequest {
            bytes,
            body,
            branch,
            cseq,
            ..self.clone()
        }
    }

    /// The body (empty for REGISTER, CPIM for a MESSAGE, SDP or multipart for an
    /// INVITE), as counted by Content-Length.
    pub fn body(&self) -> &[u8] {
        &self.bytes[self.body.clone()]
    }

    /// The value of the first header named `name` (as the builders write it, compared
    /// without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Every header line as (name, value), in order.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let head = &self.bytes[..self.body.start];
        let head = std::str::from_utf8(head).unwrap_or_default();
        head.split("\r\n")
            .skip(1)
            .filter_map(|line| line.split_once(": "))
    }
}

impl fmt::Debug for OutgoingRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingRequest")
            .field("method", &self.method)
            .field("call_id", &self.call_id)
            .field("bytes", &String::from_utf8_lossy(&self.bytes))
            .finish()
    }
}

impl fmt::Display for OutgoingRequest {
    /// The request as text (body bytes that are not UTF-8 shown as U+FFFD).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.bytes))
    }
}
