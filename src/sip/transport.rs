//! [`Transport`]: the transport a SIP message travels over.

use std::fmt;

/// The SIP transport of a message: the one the client's contact address names (written
/// in Via and Contact), and the one a transaction runs over, which decides whether the
/// transaction layer retransmits (RFC 3261 section 17: only over UDP).
///
/// ```
/// use cpm_client::outgoing::Transport;
/// assert_eq!(Transport::Tcp.via_name(), "TCP");
/// assert_eq!(Transport::Tcp.uri_param(), "tcp");
/// assert!(Transport::Tls.is_reliable() && !Transport::Udp.is_reliable());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP (the default: CPM requests are often too large for UDP).
    #[default]
    Tcp,
    /// TLS over TCP.
    Tls,
}

impl Transport {
    /// The name in a Via header: `UDP`, `TCP`, `TLS`.
    pub const fn via_name(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        }
    }

    /// The value of a URI's `transport` parameter: `udp`, `tcp`, `tls`.
    pub const fn uri_param(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        }
    }

    /// Whether the transport delivers in order and without loss (TCP, TLS): the
    /// transaction layer then sends each request and response once and keeps no
    /// state to absorb retransmissions (RFC 3261 section 17, Timers A, E, G not
    /// started; D, I, J, K zero).
    pub const fn is_reliable(self) -> bool {
        !matches!(self, Transport::Udp)
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.via_name())
    }
}
