//! The local end of an MSRP offer: the path and SDP an INVITE builder offers, from
//! the configured MSRP endpoint.

use super::ClientConfig;
use crate::error::BuildError;
use crate::ids::IdGenerator;
use crate::sdp::{Direction, MsrpSdp};
use crate::sip::write::check_token;

/// The identifiers of the local MSRP end that a builder may fix: the session part of
/// `a=path` and the `o=` session id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LocalMsrp {
    pub(crate) session: Option<String>,
    pub(crate) sdp_session_id: Option<u64>,
}

/// Hex digits of a generated MSRP session id: 20 digits carry 80 bits, the least
/// randomness RFC 4975 section 14.1 asks of the session part of an MSRP URI.
/// [`IdGenerator::token`](IdGenerator::token) takes them from two 64-bit draws.
pub(crate) const MSRP_SESSION_DIGITS: usize = 20;
const _: () = assert!(MSRP_SESSION_DIGITS * 4 >= 80, "RFC 4975 section 14.1");

/// Setters for [`LocalMsrp`] (field `msrp`), shared by the INVITE builders.
macro_rules! msrp_setters {
    () => {
        /// The session part of the local MSRP path (`msrp://host:port/<session>;tcp`)
        /// instead of a generated one (an RFC 4975 ident or token). A generated one is
        /// 20 hex digits (80 bits, RFC 4975 section 14.1) from the [`IdGenerator`]; one
        /// set here should be as hard to guess.
        pub fn msrp_session(mut self, session: &str) -> Self {
            self.msrp.session = Some(session.to_owned());
            self
        }

        /// The SDP `o=` session id and version instead of a generated one.
        pub fn sdp_session_id(mut self, id: u64) -> Self {
            self.msrp.sdp_session_id = Some(id);
            self
        }
    };
}
pub(crate) use msrp_setters;

impl LocalMsrp {
    /// The local path and an SDP for it with the configured endpoint.
    pub(crate) fn offer(
        &self,
        config: &ClientConfig,
        ids: &mut dyn IdGenerator,
        direction: Direction,
    ) -> Result<(String, MsrpSdp), BuildError> {
        let session = match &self.session {
            Some(s) => check_token("MSRP session", s)?.to_owned(),
            None => ids.token(MSRP_SESSION_DIGITS),
        };
        let endpoint = config.msrp();
        let scheme = if endpoint.tls() { "msrps" } else { "msrp" };
        let path = format!(
            "{scheme}://{}:{}/{session};tcp",
            config.msrp_host(),
            endpoint.port()
        );
        let sdp_id = match self.sdp_session_id {
            Some(id) => id,
            None => ids.next_u64() >> 33,
        };
        let sdp = MsrpSdp::new(config.msrp_host(), &path, direction)
            .session_id(sdp_id)
            .port(endpoint.port())
            .tls(endpoint.tls())
            .setup(endpoint.setup());
        Ok((path, sdp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts its draws; each draw is all ones, so a digit not taken from a draw
    /// would show as `0`.
    struct Draws(usize);

    impl IdGenerator for Draws {
        fn next_u64(&mut self) -> u64 {
            self.0 += 1;
            u64::MAX
        }
    }

    #[test]
    fn generated_msrp_sessions_carry_80_random_bits() {
        let config = crate::outgoing::ClientConfig::new(
            "sip:a@example.net",
            crate::outgoing::ContactAddress::new(
                "192.0.2.1",
                5060,
                crate::outgoing::Transport::Tcp,
            )
            .unwrap(),
        )
        .unwrap();
        let mut draws = Draws(0);
        let local = LocalMsrp {
            session: None,
            sdp_session_id: Some(1),
        };
        let (path, _) = local
            .offer(&config, &mut draws, Direction::SendRecv)
            .unwrap();
        assert_eq!(draws.0, 2, "two 64-bit draws for 80 bits");
        let session = path
            .rsplit('/')
            .next()
            .unwrap()
            .strip_suffix(";tcp")
            .unwrap();
        assert_eq!(session, "f".repeat(MSRP_SESSION_DIGITS));
    }
}
