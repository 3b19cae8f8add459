//! `multipart/mixed` bodies (RFC 2046 section 5.1), read and written: SDP next to a
//! resource list in a group-session INVITE, a CPIM preview or a file icon.
//!
//! [`Multipart`] reads a body in place and hands out its [`Part`]s; [`MultipartBuilder`]
//! writes one.
//!
//! ```
//! use cpm_client::ids::SequentialIds;
//! use cpm_client::multipart::{Multipart, MultipartBuilder};
//!
//! let (content_type, body) = MultipartBuilder::new()
//!     .part("application/sdp", "v=0")
//!     .part_with_disposition("application/resource-lists+xml", "recipient-list", "<list/>")
//!     .write(&mut SequentialIds::new(1))?;
//! let read = Multipart::parse(&content_type, &body).expect("what the builder wrote reads back");
//! assert_eq!(read.len(), 2);
//! assert_eq!(read.find("application/sdp").unwrap().body(), b"v=0");
//! # Ok::<(), cpm_client::BuildError>(())
//! ```

mod reader;
mod writer;

pub use reader::{Multipart, Part, Parts, DEFAULT_MAX_PARTS};
pub use writer::MultipartBuilder;
