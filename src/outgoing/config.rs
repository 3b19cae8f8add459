//! The client's identity and settings: [`ClientConfig`], shared by every builder.

use crate::routing::{FeatureTag, TagSet};
use crate::user_agent::{ProductStamp, ReleaseVersion};

use crate::error::BuildError;
use crate::sdp::Setup;
use crate::sip::write::{check_host, check_uri_without_headers, check_urn, quoted_display_name};

// The transport of the contact address: defined with the SIP format, which the
// transaction layer shares.
pub use crate::sip::Transport;

/// The pager-mode size limit by default: 1300 bytes of MESSAGE body (after RFC 3428's
/// guidance on MESSAGE size).
pub const DEFAULT_PAGER_LIMIT: usize = 1300;

/// Where the client receives SIP: host (IP address or name; IPv6 in brackets), port
/// and transport. Written in Via and Contact.
///
/// ```
/// use cpm_client::outgoing::{ContactAddress, Transport};
///
/// let contact = ContactAddress::new("192.0.2.10", 5060, Transport::Tcp).unwrap();
/// assert_eq!(contact.host(), "192.0.2.10");
/// assert!(ContactAddress::new("bad host", 5060, Transport::Tcp).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactAddress {
    host: String,
    port: u16,
    transport: Transport,
}

impl ContactAddress {
    /// A contact address.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidValue`] when `host` is not a host name, IPv4 address or
    /// bracketed IPv6 address.
    pub fn new(host: &str, port: u16, transport: Transport) -> Result<ContactAddress, BuildError> {
        check_host("contact host", host)?;
        Ok(ContactAddress {
            host: host.to_owned(),
            port,
            transport,
        })
    }

    /// The host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The transport.
    pub fn transport(&self) -> Transport {
        self.transport
    }
}

/// Where the client's MSRP endpoint listens, as written in its SDP offers: the host
/// of `c=` and `a=path`, the port of `m=` and `a=path`, TLS or not, and the
/// `a=setup` role.
///
/// By default the host is the contact host, the port 9 (the discard port, as clients
/// that open the connection themselves write it), TCP without TLS, and `setup:active`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsrpEndpoint {
    host: Option<String>,
    port: u16,
    tls: bool,
    setup: Setup,
}

impl Default for MsrpEndpoint {
    fn default() -> Self {
        MsrpEndpoint {
            host: None,
            port: 9,
            tls: false,
            setup: Setup::Active,
        }
    }
}

impl MsrpEndpoint {
    /// The defaults (see the type's docs).
    pub fn new() -> MsrpEndpoint {
        MsrpEndpoint::default()
    }

    /// Listens on `host` rather than the contact host.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidValue`] when `host` is not a host.
    pub fn with_host(mut self, host: &str) -> Result<MsrpEndpoint, BuildError> {
        check_host("MSRP host", host)?;
        self.host = Some(host.to_owned());
        Ok(self)
    }

    /// The port written in `m=` and `a=path`.
    pub fn with_port(mut self, port: u16) -> MsrpEndpoint {
        self.port = port;
        self
    }

    /// MSRP over TLS: `TCP/TLS/MSRP` and `msrps:` paths.
    pub fn with_tls(mut self, tls: bool) -> MsrpEndpoint {
        self.tls = tls;
        self
    }

    /// The `a=setup` role offered.
    pub fn with_setup(mut self, setup: Setup) -> MsrpEndpoint {
        self.setup = setup;
        self
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether MSRP runs over TLS.
    pub fn tls(&self) -> bool {
        self.tls
    }

    /// The `a=setup` role.
    pub fn setup(&self) -> Setup {
        self.setup
    }

    /// The host, if set apart from the contact host.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }
}

/// Who the client is and how it talks: everything a builder needs besides the
/// request's own who and what.
///
/// ```
/// use cpm_client::outgoing::{ClientConfig, ContactAddress, Transport};
/// use cpm_client::{FeatureTag, ReleaseVersion};
///
/// let config = ClientConfig::new(
///     "sip:+15550100001@ims.example.net",
///     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?,
/// )?
/// .with_instance("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")?
/// .with_release(ReleaseVersion::OMA2_2)
/// .with_product("Acme/3.1")?;
/// assert_eq!(config.home_domain(), "ims.example.net");
/// assert!(config.services().contains(FeatureTag::Session));
/// assert_eq!(config.pager_limit(), 1300);
/// assert!(config.user_agent().starts_with("CPM-client/OMA2.2 Acme/3.1"));
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    identity: String,
    contact_user: Option<String>,
    home_domain: String,
    display_name: Option<String>,
    contact: ContactAddress,
    instance: Option<String>,
    services: TagSet,
    release: ReleaseVersion,
    products: Vec<String>,
    library_product: bool,
    pager_limit: usize,
    p_preferred_identity: bool,
    msrp: MsrpEndpoint,
    outbound_proxy: Option<String>,
    route_set: Vec<String>,
}

impl ClientConfig {
    /// The settings of a client whose public user identity is `identity` (a `sip:`,
    /// `sips:` or `tel:` URI) and which receives SIP at `contact`.
    ///
    /// Defaults: all five CPM services enabled, release
    /// [`ReleaseVersion::default()`], no application product, no `+sip.instance`,
    /// pager limit [`DEFAULT_PAGER_LIMIT`], `P-Preferred-Identity` written, MSRP as
    /// [`MsrpEndpoint::default()`]. The home domain (REGISTER's Request-URI) is the
    /// host of a SIP identity; a `tel:` identity needs
    /// [`with_home_domain`](Self::with_home_domain).
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidUri`] when `identity` is not a URI that can be written in
    /// a header; [`BuildError::InvalidValue`] when it carries URI headers (`?`), which
    /// RFC 3261 forbids in From and To; [`BuildError::InvalidValue`] naming the home
    /// domain when the host of a SIP identity is not a host name or address.
    pub fn new(identity: &str, contact: ContactAddress) -> Result<ClientConfig, BuildError> {
        check_uri_without_headers("public identity", identity)?;
        let (contact_user, home_domain) = split_identity(identity);
        if let Some(domain) = &home_domain {
            check_host("home domain", domain)?;
        }
        Ok(ClientConfig {
            identity: identity.to_owned(),
            contact_user,
            home_domain: home_domain.unwrap_or_default(),
            display_name: None,
            contact,
            instance: None,
            services: FeatureTag::ALL.into_iter().collect(),
            release: ReleaseVersion::default(),
            products: Vec::new(),
            library_product: true,
            pager_limit: DEFAULT_PAGER_LIMIT,
            p_preferred_identity: true,
            msrp: MsrpEndpoint::default(),
            outbound_proxy: None,
            route_set: Vec::new(),
        })
    }

    /// The display name written before the identity in From and CPIM From.
    ///
    /// # Errors
    ///
    /// [`BuildError::ControlCharacter`] when `name` holds CR, LF or another control
    /// character (a quoted string cannot carry them).
    pub fn with_display_name(mut self, name: &str) -> Result<ClientConfig, BuildError> {
        quoted_display_name("display name", name)?;
        self.display_name = Some(name.to_owned());
        Ok(self)
    }

    /// The `+sip.instance` of the Contact (RFC 5626), a URN such as
    /// `urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427`. Required by REGISTER; written
    /// in every Contact once set.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidValue`] when `urn` is not a URN.
    pub fn with_instance(mut self, urn: &str) -> Result<ClientConfig, BuildError> {
        check_urn("instance", urn)?;
        self.instance = Some(urn.to_owned());
        Ok(self)
    }

    /// The CPM services enabled: the ICSIs a REGISTER Contact lists.
    pub fn with_services(mut self, services: TagSet) -> ClientConfig {
        self.services = services;
        self
    }

    /// The CPM release announced in User-Agent (the products added are kept).
    pub fn with_release(mut self, version: ReleaseVersion) -> ClientConfig {
        self.release = version;
        self
    }

    /// Adds an application product (`name/version`) or comment to User-Agent, after
    /// the release token and the products added before.
    ///
    /// # Errors
    ///
    /// [`BuildError::Product`] when `product` is neither.
    pub fn with_product(mut self, product: &str) -> Result<ClientConfig, BuildError> {
        ProductStamp::new(self.release).with_product(product)?;
        self.products.push(product.to_owned());
        Ok(self)
    }

    /// Leaves the library's own `cpm-client/<version>` product out of User-Agent.
    pub fn without_library_product(mut self) -> ClientConfig {
        self.library_product = false;
        self
    }

    /// The pager-mode limit, in bytes of MESSAGE body.
    pub fn with_pager_limit(mut self, limit: usize) -> ClientConfig {
        self.pager_limit = limit;
        self
    }

    /// The home domain, REGISTER's Request-URI host.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidValue`] when `domain` is not a host.
    pub fn with_home_domain(mut self, domain: &str) -> Result<ClientConfig, BuildError> {
        check_host("home domain", domain)?;
        self.home_domain = domain.to_owned();
        Ok(self)
    }

    /// Whether requests carry `P-Preferred-Identity` (IMS networks want it; default on).
    pub fn with_p_preferred_identity(mut self, on: bool) -> ClientConfig {
        self.p_preferred_identity = on;
        self
    }

    /// The MSRP endpoint written in SDP offers.
    pub fn with_msrp(mut self, msrp: MsrpEndpoint) -> ClientConfig {
        self.msrp = msrp;
        self
    }

    /// The outbound proxy (in IMS the P-CSCF): every request outside a dialog, REGISTER
    /// included, carries it as its first `Route` and is sent to it (RFC 3261 8.1.2).
    /// It must be a `sip:` or `sips:` URI with the `lr` parameter: the library routes
    /// loosely only (RFC 3261 16.12.1.1).
    ///
    /// ```
    /// # use cpm_client::outgoing::*;
    /// let config = ClientConfig::new("sip:+15550100001@ims.example.net",
    ///     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?
    ///     .with_outbound_proxy("sip:pcscf.ims.example.net:5060;lr")?;
    /// assert_eq!(config.outbound_proxy(), Some("sip:pcscf.ims.example.net:5060;lr"));
    /// assert!(config.clone().with_outbound_proxy("sip:strict.example.net").is_err());
    /// # Ok::<(), cpm_client::BuildError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidUri`] when `uri` is not a URI that can be written in a
    /// header; [`BuildError::InvalidValue`] when it is not `sip:`/`sips:`, carries
    /// URI headers or has no `lr` parameter.
    pub fn with_outbound_proxy(mut self, uri: &str) -> Result<ClientConfig, BuildError> {
        check_uri_without_headers("outbound proxy", uri)?;
        let scheme = uri.split(':').next().unwrap_or_default();
        let sip = scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips");
        let loose = uri.split(';').skip(1).any(|p| {
            let name = p.split('=').next().unwrap_or_default();
            name.eq_ignore_ascii_case("lr")
        });
        if !sip || !loose {
            return Err(crate::error::invalid(
                "outbound proxy",
                uri,
                "a sip: or sips: URI of a loose router (with ;lr)",
            ));
        }
        self.outbound_proxy = Some(uri.to_owned());
        Ok(self)
    }

    /// The route set of requests outside a dialog other than REGISTER: the
    /// `Service-Route` values a registration's 2xx gave (RFC 3608 section 6, see
    /// [`Registrant::service_route`](super::Registrant::service_route)), written as
    /// Route lines after the outbound proxy's. Each value is a name-addr as the 2xx
    /// wrote it (`<sip:orig@scscf.ims.example.net;lr>`); an empty list clears it.
    ///
    /// ```
    /// # use cpm_client::outgoing::*;
    /// let config = ClientConfig::new("sip:+15550100001@ims.example.net",
    ///     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?
    ///     .with_route_set(["<sip:orig@scscf.ims.example.net;lr>"])?;
    /// assert_eq!(config.route_set(), ["<sip:orig@scscf.ims.example.net;lr>"]);
    /// # Ok::<(), cpm_client::BuildError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`BuildError::ControlCharacter`] for a value holding CR, LF or another control
    /// character; [`BuildError::InvalidValue`] for one that is not a name-addr with a
    /// `sip:` or `sips:` URI.
    pub fn with_route_set<I, S>(mut self, routes: I) -> Result<ClientConfig, BuildError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = Vec::new();
        for route in routes {
            let route = route.as_ref().trim();
            crate::sip::write::check_text("route set", route)?;
            let sip = super::route_uri(route).is_some_and(|uri| {
                let scheme = uri.split(':').next().unwrap_or_default();
                check_uri_without_headers("route set", uri).is_ok()
                    && (scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips"))
            });
            if !sip {
                return Err(crate::error::invalid(
                    "route set",
                    route,
                    "a name-addr such as <sip:scscf.example.net;lr>",
                ));
            }
            set.push(route.to_owned());
        }
        self.route_set = set;
        Ok(self)
    }

    /// The outbound proxy URI, if set.
    pub fn outbound_proxy(&self) -> Option<&str> {
        self.outbound_proxy.as_deref()
    }

    /// The route set of requests outside a dialog (empty until set).
    pub fn route_set(&self) -> &[String] {
        &self.route_set
    }

    /// The public user identity.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// The display name, if any.
    pub fn display_name(&self) -> Option<&str> {
        self.display_name.as_deref()
    }

    /// The contact address.
    pub fn contact(&self) -> &ContactAddress {
        &self.contact
    }

    /// The `+sip.instance` URN, if set.
    pub fn instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }

    /// The services enabled.
    pub fn services(&self) -> TagSet {
        self.services
    }

    /// The release announced.
    pub fn release(&self) -> ReleaseVersion {
        self.release
    }

    /// The User-Agent stamp: the release token, the application's products, then
    /// (unless left out) the library's product.
    pub fn stamp(&self) -> ProductStamp {
        let mut stamp = ProductStamp::new(self.release);
        for product in &self.products {
            // Each was accepted by `with_product`, so this cannot fail.
            if let Ok(with) = stamp.clone().with_product(product) {
                stamp = with;
            }
        }
        if self.library_product {
            stamp
        } else {
            stamp.without_library_product()
        }
    }

    /// The User-Agent value every built request carries.
    pub fn user_agent(&self) -> String {
        self.stamp().to_string()
    }

    /// The pager-mode limit in bytes.
    pub fn pager_limit(&self) -> usize {
        self.pager_limit
    }

    /// The home domain (empty for a `tel:` identity until set).
    pub fn home_domain(&self) -> &str {
        &self.home_domain
    }

    /// Whether requests carry `P-Preferred-Identity`.
    pub fn p_preferred_identity(&self) -> bool {
        self.p_preferred_identity
    }

    /// The MSRP endpoint.
    pub fn msrp(&self) -> &MsrpEndpoint {
        &self.msrp
    }

    /// The host of MSRP paths and SDP `c=`.
    pub(crate) fn msrp_host(&self) -> &str {
        self.msrp.host.as_deref().unwrap_or(&self.contact.host)
    }

    /// `<sip:user@host:port;transport=t>`, the address part of Contact.
    pub(crate) fn contact_uri(&self) -> String {
        let user = match &self.contact_user {
            Some(user) => format!("{user}@"),
            None => String::new(),
        };
        format!(
            "<sip:{user}{}:{};transport={}>",
            self.contact.host,
            self.contact.port,
            self.contact.transport.uri_param()
        )
    }

    /// Contact for a dialog-creating request offering `services`: the address,
    /// `+sip.instance` when set, then one `+g.3gpp.icsi-ref` listing the services.
    pub(crate) fn contact_value(&self, services: TagSet) -> String {
        let mut value = self.contact_uri();
        if let Some(instance) = &self.instance {
            value.push_str(";+sip.instance=\"<");
            value.push_str(instance);
            value.push_str(">\"");
        }
        value.push_str(&services.icsi_ref_param().to_string());
        value
    }
}

/// The user part (for the Contact) and the host (the home domain) of an identity.
/// `sip:user@host;params` gives both; `tel:+1555;params` gives the number and no host.
fn split_identity(identity: &str) -> (Option<String>, Option<String>) {
    let (scheme, rest) = identity.split_once(':').unwrap_or(("", identity));
    if scheme.eq_ignore_ascii_case("tel") {
        let number = rest.split(';').next().unwrap_or(rest);
        return (Some(number.to_owned()), None);
    }
    let rest = rest.split(['?', ';']).next().unwrap_or(rest);
    match rest.rsplit_once('@') {
        Some((user, hostport)) => {
            let user = user.split(':').next().unwrap_or(user);
            (Some(user.to_owned()), Some(host_of(hostport).to_owned()))
        }
        None => (None, Some(host_of(rest).to_owned())),
    }
}

/// The host of `host[:port]` (IPv6 in brackets kept whole).
fn host_of(hostport: &str) -> &str {
    if hostport.starts_with('[') {
        return match hostport.find(']') {
            Some(end) => &hostport[..=end],
            None => hostport,
        };
    }
    hostport.split(':').next().unwrap_or(hostport)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact() -> ContactAddress {
        ContactAddress::new("192.0.2.10", 5060, Transport::Tcp).unwrap()
    }

    #[test]
    fn the_home_domain_of_an_identity_is_host_checked() {
        for identity in [
            "sip:a@[::1",
            "sip:a@[::1;user=phone",
            "sip:a@-x.net",
            "sip:[zz]",
        ] {
            assert!(
                matches!(
                    ClientConfig::new(identity, contact()),
                    Err(BuildError::InvalidValue {
                        field: "home domain",
                        ..
                    })
                ),
                "{identity}"
            );
        }
        let c = ClientConfig::new("sips:a@[2001:db8::1]:5061", contact()).unwrap();
        assert_eq!(c.home_domain(), "[2001:db8::1]");
        let c = ClientConfig::new("tel:+15550100001", contact()).unwrap();
        assert_eq!(c.home_domain(), "");
    }

    #[test]
    fn identity_gives_user_and_domain() {
        let c =
            ClientConfig::new("sip:+15550100001@ims.example.net;user=phone", contact()).unwrap();
        assert_eq!(c.home_domain(), "ims.example.net");
        assert_eq!(
            c.contact_uri(),
            "<sip:+15550100001@192.0.2.10:5060;transport=tcp>"
        );
        let t = ClientConfig::new("tel:+15550100001", contact()).unwrap();
        assert_eq!(t.home_domain(), "");
        assert_eq!(
            t.contact_uri(),
            "<sip:+15550100001@192.0.2.10:5060;transport=tcp>"
        );
    }

    #[test]
    fn release_change_keeps_products() {
        let c = ClientConfig::new("sip:a@example.net", contact())
            .unwrap()
            .with_product("Acme/3.1")
            .unwrap()
            .with_product("(build 7)")
            .unwrap()
            .with_release(ReleaseVersion::OMA1_0);
        assert_eq!(
            c.user_agent(),
            format!(
                "CPM-client/OMA1.0 Acme/3.1 (build 7) cpm-client/{}",
                env!("CARGO_PKG_VERSION")
            )
        );
        let bare = c
            .without_library_product()
            .with_release(ReleaseVersion::OMA2_2);
        assert_eq!(bare.user_agent(), "CPM-client/OMA2.2 Acme/3.1 (build 7)");
    }

    #[test]
    fn register_contact_lists_every_service() {
        let c = ClientConfig::new("sip:+15550100001@ims.example.net", contact())
            .unwrap()
            .with_instance("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")
            .unwrap();
        let v = c.contact_value(c.services());
        assert!(v.contains(";+sip.instance=\"<urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427>\""));
        assert!(v.ends_with("oma.cpm.filetransfer\""));
        assert_eq!(v.matches("urn%3Aurn-7").count(), 5);
    }
}
