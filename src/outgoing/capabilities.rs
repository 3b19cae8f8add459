//! Capability discovery with OPTIONS (RFC 3261 section 11; feature tags of RFC 3840;
//! the CPM services are the ICSIs of OMA CPM section 7): [`CapabilityQuery`] asks a
//! contact, [`PeerCapabilities`] reads the answer.

use super::{
    assemble, sip_id_setters, BuildError, ClientConfig, Draft, IdGenerator, OutgoingRequest, SipIds,
};
use crate::routing::{FeatureTag, TagSet};
use crate::sip::IncomingResponse;

/// The body types this client reads, for `Accept` in a query.
const ACCEPT: &str = "application/sdp, message/cpim, multipart/mixed";

/// An OPTIONS request asking `to` which services it offers: Contact with our
/// `+sip.instance` and our services as `+g.3gpp.icsi-ref` (so the peer learns ours
/// in the same exchange), Accept-Contact naming the same ICSIs (RFC 3841: any device
/// of the peer that offers one of them), Accept, no body.
///
/// ```
/// use cpm_client::outgoing::*;
/// use cpm_client::{FeatureTag, TagSet};
///
/// let config = ClientConfig::new("sip:+15550100001@ims.example.net",
///     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?
///     .with_services(TagSet::EMPTY.with(FeatureTag::Msg).with(FeatureTag::Session));
/// let options = CapabilityQuery::new("sip:+15550100002@ims.example.net")
///     .build(&config, &mut SequentialIds::new(1))?;
/// let text = String::from_utf8_lossy(options.as_bytes()).into_owned();
/// assert!(text.starts_with("OPTIONS sip:+15550100002@ims.example.net SIP/2.0\r\n"));
/// assert!(text.contains("Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg,"));
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityQuery {
    to: String,
    sip: SipIds,
}

impl CapabilityQuery {
    /// A query to the contact `to` (a `sip:`, `sips:` or `tel:` URI).
    pub fn new(to: &str) -> CapabilityQuery {
        CapabilityQuery {
            to: to.to_owned(),
            sip: SipIds::default(),
        }
    }

    sip_id_setters!();

    /// Builds the OPTIONS request.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] naming any field outside its grammar.
    pub fn build(
        &self,
        config: &ClientConfig,
        ids: &mut dyn IdGenerator,
    ) -> Result<OutgoingRequest, BuildError> {
        let services = config.services();
        let mut extra = Vec::new();
        if !services.is_empty() {
            extra.push(("Accept-Contact", format!("*{}", services.icsi_ref_param())));
        }
        extra.push(("Accept", ACCEPT.to_owned()));
        assemble(
            config,
            ids,
            Draft {
                method: "OPTIONS",
                request_uri: &self.to,
                to: ("contact", &self.to),
                sip: &self.sip,
                contact: Some(services),
                service: None,
                cpm: None,
                extra,
                body: None,
            },
        )
    }
}

/// What a peer says it supports, read from the `+g.3gpp.icsi-ref` and
/// `+g.3gpp.iari-ref` feature tags (3GPP TS 24.229 section 7.9A) in the Contact and
/// Accept-Contact headers of its answer to OPTIONS (or of any response).
///
/// The five CPM ICSIs are [`PeerCapabilities::services`]; every other ICSI and every
/// IARI is kept as written, percent-escapes decoded, in order, without repeats. A
/// negated value (`!...`) is skipped.
///
/// ```
/// use cpm_client::outgoing::PeerCapabilities;
/// use cpm_client::{FeatureTag, IncomingResponse};
///
/// let answer = IncomingResponse::parse(bytes::Bytes::from_static(
///     b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 192.0.2.10;branch=z9hG4bK1\r\n\
///       From: <sip:a@example.net>;tag=1\r\nTo: <sip:b@example.net>;tag=2\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\
///       Contact: <sip:b@192.0.2.20>;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg,\
///       urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\";+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.geopush\"\r\n\
///       Content-Length: 0\r\n\r\n",
/// ))?;
/// let peer = PeerCapabilities::of_response(&answer);
/// assert!(peer.services.contains(FeatureTag::Msg));
/// assert_eq!(peer.other_icsis, ["urn:urn-7:3gpp-service.ims.icsi.mmtel"]);
/// assert_eq!(peer.iaris, ["urn:urn-7:3gpp-application.ims.iari.rcs.geopush"]);
/// # Ok::<(), cpm_client::ParseError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerCapabilities {
    /// The CPM services named (`msg`, `largemsg`, `deferred`, `session`,
    /// `filetransfer`).
    pub services: TagSet,
    /// The other ICSIs named, decoded (`urn:urn-7:3gpp-service.ims.icsi.mmtel`).
    pub other_icsis: Vec<String>,
    /// The IARIs named, decoded (RCS applications).
    pub iaris: Vec<String>,
}

impl PeerCapabilities {
    /// Reads the Contact and Accept-Contact headers of `response` (compact forms
    /// `m` and `a` too).
    pub fn of_response(response: &IncomingResponse) -> PeerCapabilities {
        let mut peer = PeerCapabilities::default();
        for name in ["Contact", "Accept-Contact"] {
            for value in response.header_values(name) {
                peer.read_value(value);
            }
        }
        peer
    }

    /// Reads one Contact or Accept-Contact value (one element of the list), adding
    /// what it names.
    pub fn read_value(&mut self, value: &[u8]) {
        for (name, tag_value) in feature_params(value) {
            let icsi = name.eq_ignore_ascii_case(b"+g.3gpp.icsi-ref");
            let iari = name.eq_ignore_ascii_case(b"+g.3gpp.iari-ref");
            if !icsi && !iari {
                continue;
            }
            for item in tag_value.split(|&b| b == b',') {
                let item = crate::sip::grammar::trim_lws(item);
                if item.is_empty() || item.first() == Some(&b'!') {
                    continue;
                }
                if icsi {
                    if let Some(tag) = FeatureTag::match_value(item) {
                        self.services.insert(tag);
                        continue;
                    }
                }
                let decoded = percent_decoded(item);
                let list = if icsi {
                    &mut self.other_icsis
                } else {
                    &mut self.iaris
                };
                if !decoded.is_empty() && !list.contains(&decoded) {
                    list.push(decoded);
                }
            }
        }
    }

    /// Whether the peer offers nothing this reader recognises.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty() && self.other_icsis.is_empty() && self.iaris.is_empty()
    }
}

/// The `name=value` parameters of a header value outside its `<...>` address, the
/// value unquoted (a backslash escape keeps the byte after it in place).
fn feature_params(value: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut params = Vec::new();
    let mut i = 0;
    let len = value.len();
    // Skip the address: up to the closing `>`, quotes respected.
    let mut in_quotes = false;
    let mut angle = false;
    while i < len {
        match value[i] {
            b'"' if !angle => in_quotes = !in_quotes,
            b'\\' if in_quotes => i += 1,
            b'<' if !in_quotes => angle = true,
            b'>' if angle => {
                i += 1;
                break;
            }
            b';' if !in_quotes && !angle => break,
            _ => {}
        }
        i += 1;
    }
    while i < len {
        if value[i] != b';' {
            i += 1;
            continue;
        }
        i += 1;
        let start = i;
        while i < len && !matches!(value[i], b'=' | b';') {
            i += 1;
        }
        let name = crate::sip::grammar::trim_lws(value.get(start..i).unwrap_or_default());
        if i >= len || value[i] == b';' {
            params.push((name, &value[i.min(len)..i.min(len)]));
            continue;
        }
        i += 1; // '='
        while i < len && matches!(value[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        if i < len && value[i] == b'"' {
            i += 1;
            let start = i;
            while i < len && value[i] != b'"' {
                if value[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            let end = i.min(len);
            params.push((name, value.get(start..end).unwrap_or_default()));
            i = end + 1;
        } else {
            let start = i;
            while i < len && value[i] != b';' {
                i += 1;
            }
            params.push((
                name,
                crate::sip::grammar::trim_lws(value.get(start..i).unwrap_or_default()),
            ));
        }
    }
    params
}

/// `%XX` escapes decoded (an invalid one kept as written), the result as UTF-8 with
/// any invalid bytes replaced.
fn percent_decoded(value: &[u8]) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        let b = value[i];
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                value.get(i + 1).and_then(|&b| hex(b)),
                value.get(i + 2).and_then(|&b| hex(b)),
            ) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        if b == b'\\' {
            if let Some(&next) = value.get(i + 1) {
                out.push(next);
                i += 2;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
