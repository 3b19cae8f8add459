//! 7.1 registration: [`Registration`] builds REGISTER, its refreshes, and the
//! de-registration.

use super::{
    assemble, sip_id_setters, BuildError, ClientConfig, Draft, IdGenerator, OutgoingRequest, SipIds,
};

/// Expires of a new registration by default, in seconds.
const DEFAULT_EXPIRES: u32 = 3600;

/// A REGISTER (7.1): Request-URI `sip:<home domain>`, From and To the public
/// identity, a Contact with `+sip.instance` and one `+g.3gpp.icsi-ref` listing the
/// ICSI of every enabled service, `Expires`, `Supported: path,gruu`.
///
/// A refresh keeps the Call-ID and From tag of the registration and takes the next
/// CSeq ([`Registration::refresh_of`]); a de-registration is the same with
/// `Expires: 0` ([`Registration::deregistration_of`]). Authentication (the
/// `Authorization` of IMS AKA or digest) is the application's.
///
/// ```
/// use cpm_client::outgoing::{ClientConfig, ContactAddress, Registration, SequentialIds, Transport};
/// use cpm_client::{route, Route};
///
/// let config = ClientConfig::new("sip:+15550100001@ims.example.net",
///     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?
///     .with_instance("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")?;
/// let ids = &mut SequentialIds::new(1);
/// let first = Registration::new().build(&config, ids)?;
/// assert_eq!(route(first.as_bytes()), Ok(Route::NotCpm));
/// let refresh = Registration::refresh_of(&first).build(&config, ids)?;
/// assert_eq!((refresh.call_id(), refresh.cseq()), (first.call_id(), 2));
/// let gone = Registration::deregistration_of(&refresh).build(&config, ids)?;
/// assert_eq!(gone.header("Expires"), Some("0"));
/// assert_eq!(gone.cseq(), 3);
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    sip: SipIds,
    expires: u32,
}

impl Default for Registration {
    fn default() -> Self {
        Registration::new()
    }
}

impl Registration {
    /// A new registration for 3600 seconds.
    pub fn new() -> Registration {
        Registration {
            sip: SipIds::default(),
            expires: DEFAULT_EXPIRES,
        }
    }

    /// The refresh of `previous` (same Call-ID and From tag, next CSeq, same Expires
    /// as a new registration unless changed).
    pub fn refresh_of(previous: &OutgoingRequest) -> Registration {
        Registration::new()
            .call_id(previous.call_id())
            .from_tag(previous.from_tag())
            .cseq(previous.cseq().saturating_add(1))
    }

    /// The de-registration of the binding `previous` made: its refresh with
    /// `Expires: 0`.
    pub fn deregistration_of(previous: &OutgoingRequest) -> Registration {
        Registration::refresh_of(previous).expires(0)
    }

    /// The Expires value in seconds (0 removes the binding).
    pub fn expires(mut self, seconds: u32) -> Registration {
        self.expires = seconds;
        self
    }

    sip_id_setters!();

    /// Builds the REGISTER.
    ///
    /// # Errors
    ///
    /// [`BuildError::Missing`] when the configuration has no `+sip.instance` or no
    /// home domain; the errors of the ids set explicitly.
    pub fn build(
        &self,
        config: &ClientConfig,
        ids: &mut dyn IdGenerator,
    ) -> Result<OutgoingRequest, BuildError> {
        if config.instance().is_none() {
            return Err(BuildError::Missing {
                field: "instance",
                why: "the REGISTER Contact carries +sip.instance (ClientConfig::with_instance)",
            });
        }
        if config.home_domain().is_empty() {
            return Err(BuildError::Missing {
                field: "home domain",
                why: "REGISTER is sent to sip:<home domain> (ClientConfig::with_home_domain)",
            });
        }
        let request_uri = format!("sip:{}", config.home_domain());
        assemble(
            config,
            ids,
            Draft {
                method: "REGISTER",
                request_uri: &request_uri,
                to: ("public identity", config.identity()),
                sip: &self.sip,
                contact: Some(config.services()),
                service: None,
                cpm: None,
                extra: vec![
                    ("Expires", self.expires.to_string()),
                    ("Supported", "path,gruu".to_owned()),
                ],
                body: None,
            },
        )
    }
}
