//! Where the identifiers of a built request come from when the application does not
//! set them: [`IdGenerator`], with [`RandomIds`] for real traffic and
//! [`SequentialIds`] for tests and examples that must print the same bytes every run.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// A source of fresh 64-bit values, from which the builders make every identifier the
/// application left unset: From-tag, Via branch, Call-ID, Conversation-ID,
/// Contribution-ID, `imdn.Message-ID`, MSRP session, transaction and message ids,
/// `file-transfer-id`, multipart boundaries and the SDP origin.
///
/// The library has no cryptographic generator of its own: [`RandomIds`] hashes a
/// counter with the standard library's `RandomState`, whose keys std seeds from the
/// operating system's randomness, and [`SequentialIds`] reads none. An application
/// that needs cryptographic strength (RFC 4975 asks for unguessable MSRP session ids)
/// implements this trait over its own generator.
///
/// ```
/// use cpm_client::ids::{IdGenerator, SequentialIds};
///
/// let mut ids = SequentialIds::new(1);
/// let uuid = ids.uuid();
/// assert_eq!(uuid.len(), 36);
/// assert_eq!(&uuid[14..15], "4");
/// assert_eq!(ids.token(10).len(), 10);
/// ```
pub trait IdGenerator {
    /// The next 64 bits.
    fn next_u64(&mut self) -> u64;

    /// `len` lower-case hexadecimal digits (a token in every grammar the builders
    /// write: SIP, MSRP, SDP).
    fn token(&mut self, len: usize) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(len);
        let mut bits = 0u64;
        for i in 0..len {
            if i % 16 == 0 {
                bits = self.next_u64();
            }
            out.push(char::from(HEX[(bits & 0xf) as usize]));
            bits >>= 4;
        }
        out
    }

    /// A version-4 style UUID in its usual text form (`8-4-4-4-12` hex digits), the
    /// common choice for Conversation-ID and Contribution-ID.
    fn uuid(&mut self) -> String {
        let high = self.next_u64();
        let low = self.next_u64();
        let high = (high & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
        let low = (low & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xffff,
            high & 0xffff,
            low >> 48,
            low & 0xffff_ffff_ffff
        )
    }
}

impl<G: IdGenerator + ?Sized> IdGenerator for &mut G {
    fn next_u64(&mut self) -> u64 {
        (**self).next_u64()
    }
}

/// The default generator: the standard library's randomly keyed hasher (SipHash keyed
/// by a `RandomState`, which std seeds from the operating system's randomness)
/// applied to a counter. Unique and unpredictable enough for tags, branches and ids;
/// not a cryptographic generator.
///
/// ```
/// use cpm_client::ids::{IdGenerator, RandomIds};
///
/// let mut ids = RandomIds::new();
/// assert_ne!(ids.token(16), ids.token(16));
/// ```
#[derive(Debug, Clone, Default)]
pub struct RandomIds {
    keys: RandomState,
    counter: u64,
}

impl RandomIds {
    /// A generator with fresh keys.
    pub fn new() -> RandomIds {
        RandomIds::default()
    }
}

impl IdGenerator for RandomIds {
    fn next_u64(&mut self) -> u64 {
        self.counter = self.counter.wrapping_add(1);
        self.keys.hash_one(self.counter)
    }
}

/// A deterministic generator: the same seed gives the same identifiers, so tests and
/// examples print stable output. Never use it for real traffic.
///
/// ```
/// use cpm_client::ids::{IdGenerator, SequentialIds};
///
/// let (mut a, mut b) = (SequentialIds::new(7), SequentialIds::new(7));
/// assert_eq!(a.uuid(), b.uuid());
/// assert_ne!(a.uuid(), SequentialIds::new(8).uuid());
/// ```
#[derive(Debug, Clone)]
pub struct SequentialIds {
    state: u64,
}

impl SequentialIds {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> SequentialIds {
        SequentialIds { state: seed }
    }
}

impl IdGenerator for SequentialIds {
    /// SplitMix64 over a counter: well spread bits from a plain sequence.
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hex_of_the_asked_length() {
        let mut ids = SequentialIds::new(0);
        for len in [0, 1, 15, 16, 17, 40] {
            let t = ids.token(len);
            assert_eq!(t.len(), len);
            assert!(t.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }

    #[test]
    fn uuids_have_the_v4_shape() {
        let mut ids = RandomIds::new();
        let u = ids.uuid();
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"));
    }
}
