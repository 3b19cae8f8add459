//! 7.4.1 file transfer: [`FileTransfer`] builds the INVITE offering a file over MSRP
//! (RFC 5547).

use super::local_msrp::{msrp_setters, LocalMsrp};
use super::{
    assemble, cpm_id_setters, resolve_cpm_ids, sip_id_setters, BuildError, ClientConfig, CpmIds,
    Draft, IdGenerator, OutgoingRequest, SipIds,
};
use crate::routing::FeatureTag;
use crate::sdp::{Direction, FileSelector};

/// How the recipient should present the file (`a=file-disposition`, RFC 5547).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileDisposition {
    /// `render`: show it in the conversation.
    Render,
    /// `attachment`: keep it as an attachment.
    Attachment,
}

impl FileDisposition {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            FileDisposition::Render => "render",
            FileDisposition::Attachment => "attachment",
        }
    }
}

/// A file transfer (7.4.1): INVITE to the recipient with the `filetransfer` ICSI in
/// Accept-Contact, P-Preferred-Service and Contact, Conversation-ID, Contribution-ID,
/// and an SDP offer: `a=accept-types:` the file's type, `a=file-selector` (name
/// percent-encoded where RFC 5547 says so), `a=file-transfer-id`,
/// `a=file-disposition` when set, `a=path`, `a=setup`, `a=sendonly`.
///
/// The file itself goes after the 2xx in MSRP SEND chunks: frame them with
/// [`MsrpMessage`](super::MsrpMessage) from the offer's path,
/// [`OutgoingRequest::local_msrp_path`], to the `a=path` of the peer's answer.
///
/// ```
/// use cpm_client::outgoing::*;
/// use cpm_client::{route, Route};
///
/// let config = ClientConfig::new("sip:+15550100001@ims.example.net",
///     ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?)?;
/// let invite = FileTransfer::new("sip:+15550100002@ims.example.net", FileSelector::new("beach day.jpg", "image/jpeg", 48213))
///     .disposition(FileDisposition::Render)
///     .build(&config, &mut SequentialIds::new(1))?;
/// assert_eq!(route(invite.as_bytes()), Ok(Route::FileTransfer));
/// let sdp = std::str::from_utf8(invite.body()).unwrap();
/// assert!(sdp.contains("a=file-selector:name:\"beach day.jpg\" type:image/jpeg size:48213\r\n"));
/// assert!(sdp.contains("a=sendonly\r\n"));
///
/// // After the 2xx: the file in SEND chunks from the offer's path.
/// let from = invite.local_msrp_path().expect("an INVITE with an MSRP offer");
/// assert!(sdp.contains(&format!("a=path:{from}\r\n")));
/// let file = MsrpMessage::new(from, "image/jpeg", vec![0u8; 48213]);
/// let chunks = file.chunks("msrp://192.0.2.20:9/peer1;tcp", &mut SequentialIds::new(2))?;
/// assert!(String::from_utf8_lossy(&chunks[0]).contains(&format!("From-Path: {from}\r\n")));
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTransfer {
    to: String,
    file: FileSelector<'static>,
    sip: SipIds,
    cpm: CpmIds,
    msrp: LocalMsrp,
    file_transfer_id: Option<String>,
    disposition: Option<FileDisposition>,
    max_size: Option<u64>,
}

impl FileTransfer {
    /// Offers `file` to `to`: its name, type and size, and its hash if known (the
    /// RFC 5547 `file-selector`).
    pub fn new(to: &str, file: FileSelector<'_>) -> FileTransfer {
        FileTransfer {
            to: to.to_owned(),
            file: file.into_owned(),
            sip: SipIds::default(),
            cpm: CpmIds::default(),
            msrp: LocalMsrp::default(),
            file_transfer_id: None,
            disposition: None,
            max_size: None,
        }
    }

    sip_id_setters!();
    cpm_id_setters!();
    msrp_setters!();

    /// The `file-transfer-id` (a token) instead of a generated one.
    pub fn file_transfer_id(mut self, id: &str) -> FileTransfer {
        self.file_transfer_id = Some(id.to_owned());
        self
    }

    /// `a=file-disposition`.
    pub fn disposition(mut self, disposition: FileDisposition) -> FileTransfer {
        self.disposition = Some(disposition);
        self
    }

    /// `a=max-size`.
    pub fn max_size(mut self, bytes: Option<u64>) -> FileTransfer {
        self.max_size = bytes;
        self
    }

    /// Builds the INVITE; its [`local_msrp_path`](OutgoingRequest::local_msrp_path)
    /// is the `a=path` of the offer, for framing the file.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] naming any field outside its grammar (recipient, file name,
    /// file type, ids).
    pub fn build(
        &self,
        config: &ClientConfig,
        ids: &mut dyn IdGenerator,
    ) -> Result<OutgoingRequest, BuildError> {
        let (path, sdp) = self.msrp.offer(config, ids, Direction::SendOnly)?;
        let transfer_id = match &self.file_transfer_id {
            Some(id) => id.clone(),
            None => ids.token(16),
        };
        let mut sdp = sdp
            .accept_types(&[self.file.media_type.as_deref().unwrap_or_default()])
            .file_selector(self.file.clone())
            .file_transfer_id(&transfer_id)
            .max_size(self.max_size);
        if let Some(d) = self.disposition {
            sdp = sdp.file_disposition(d.as_str());
        }
        let sdp = sdp.write()?;
        let (conversation, contribution) = resolve_cpm_ids(&self.cpm, ids)?;
        assemble(
            config,
            ids,
            Draft::cpm_invite(
                ("recipient", &self.to),
                &self.sip,
                FeatureTag::FileTransfer,
                (&conversation, &contribution),
                Vec::new(),
                ("application/sdp", &sdp),
            ),
        )
        .map(|invite| invite.with_local_msrp_path(path))
    }
}
