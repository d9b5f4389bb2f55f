//! The room's artifacts and voices: files attached to a touchpoint (what customers physically
//! receive: a letter, a bill, a packing slip, a screenshot) or to one feedback item (a call
//! recording, a photo the customer sent), so leadership can see and hear how the experience
//! was delivered.
//!
//! A file's type is read from its first bytes, never from its name or the uploader's word, and
//! only types a browser shows safely are taken (no SVG, no HTML: they can carry scripts). Who
//! may fetch a file follows what it holds: a touchpoint's file is the company's own document,
//! readable by every signed-in role; an item's file is the customer's own voice or picture,
//! which masking cannot reach, so only the roles that work with customers' cases may fetch it
//! (admins, analysts, leads and members; not viewers).

use thiserror::Error;
use trove_store::{Artifact, ArtifactTarget, NewArtifact, StoreError};
use trove_workflow::model::Role;

use crate::{App, WorkflowError};

/// What kind of file an artifact is, which decides how the room shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    /// Shown as a thumbnail.
    Image,
    /// Linked (a PDF).
    Document,
    /// Played in the page.
    Audio,
}

impl ArtifactKind {
    /// The largest file of this kind accepted, in bytes.
    pub fn max_bytes(self) -> usize {
        match self {
            Self::Image => 5 * 1024 * 1024,
            Self::Document => 10 * 1024 * 1024,
            Self::Audio => 25 * 1024 * 1024,
        }
    }

    /// The kind of a stored media type.
    pub fn of_media_type(media_type: &str) -> Option<Self> {
        SNIFFERS
            .iter()
            .find(|sniffer| sniffer.media_type == media_type)
            .map(|sniffer| sniffer.kind)
    }

    /// Its name, as pages and commands show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Document => "document",
            Self::Audio => "audio",
        }
    }
}

/// A file type recognised by its first bytes.
struct Sniffer {
    media_type: &'static str,
    kind: ArtifactKind,
    matches: fn(&[u8]) -> bool,
}

/// The accepted types, each with its signature ("magic number").
const SNIFFERS: &[Sniffer] = &[
    Sniffer {
        media_type: "image/png",
        kind: ArtifactKind::Image,
        matches: |b| b.starts_with(b"\x89PNG\r\n\x1a\n"),
    },
    Sniffer {
        media_type: "image/jpeg",
        kind: ArtifactKind::Image,
        matches: |b| b.starts_with(b"\xff\xd8\xff"),
    },
    Sniffer {
        media_type: "image/gif",
        kind: ArtifactKind::Image,
        matches: |b| b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a"),
    },
    Sniffer {
        media_type: "image/webp",
        kind: ArtifactKind::Image,
        matches: |b| riff(b, b"WEBP"),
    },
    Sniffer {
        media_type: "application/pdf",
        kind: ArtifactKind::Document,
        matches: |b| b.starts_with(b"%PDF-"),
    },
    Sniffer {
        media_type: "audio/mpeg",
        // An ID3 tag, or an MPEG audio frame's sync bits (11 set bits).
        kind: ArtifactKind::Audio,
        matches: |b| b.starts_with(b"ID3") || (b.len() > 1 && b[0] == 0xff && b[1] & 0xe0 == 0xe0),
    },
    Sniffer {
        media_type: "audio/wav",
        kind: ArtifactKind::Audio,
        matches: |b| riff(b, b"WAVE"),
    },
    Sniffer {
        media_type: "audio/ogg",
        kind: ArtifactKind::Audio,
        matches: |b| b.starts_with(b"OggS"),
    },
    Sniffer {
        media_type: "audio/mp4",
        kind: ArtifactKind::Audio,
        matches: |b| b.len() > 11 && &b[4..8] == b"ftyp" && &b[8..11] == b"M4A",
    },
];

fn riff(bytes: &[u8], form: &[u8; 4]) -> bool {
    bytes.len() > 11 && bytes.starts_with(b"RIFF") && &bytes[8..12] == form
}

/// The media type and kind of a file's content, when it is one Trove takes.
pub fn sniff(content: &[u8]) -> Option<(&'static str, ArtifactKind)> {
    SNIFFERS
        .iter()
        .find(|sniffer| (sniffer.matches)(content))
        .map(|sniffer| (sniffer.media_type, sniffer.kind))
}

/// The types accepted, for error messages and help.
pub const ACCEPTED: &str = "PNG, JPEG, GIF or WebP images (up to 5 MiB), PDF documents \
     (up to 10 MiB), MP3, WAV, Ogg or M4A recordings (up to 25 MiB)";

/// The longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 120;

/// The longest note, in characters.
const MAX_NOTE_CHARS: usize = 500;

/// A file to attach.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// What it is attached to.
    pub target: ArtifactTarget,
    /// Its file name as uploaded (a path is cut to its last part).
    pub name: String,
    /// What it shows, if said.
    pub note: Option<String>,
    /// Its bytes.
    pub content: Vec<u8>,
}

/// An item's page: the item, its themes (id, name) and its files.
#[derive(Debug, Clone)]
pub struct ItemDetail {
    /// The item, with all its themes and its rule tags' spans.
    pub item: trove_store::ListedItem,
    /// Its themes: (id, name).
    pub themes: Vec<(String, String)>,
    /// Its files the reader may fetch.
    pub files: Vec<Artifact>,
}

/// Why an artifact use case failed.
#[derive(Debug, Error)]
pub enum ArtifactError {
    /// The person's role may not do this (said in words).
    #[error("{0}")]
    Forbidden(String),
    /// What was given is not acceptable (said in words).
    #[error("{0}")]
    Invalid(String),
    /// Nothing has this id, or the target does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The people could not be read (boxed: a refusal is large).
    #[error(transparent)]
    Workflow(Box<WorkflowError>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WorkflowError> for ArtifactError {
    fn from(error: WorkflowError) -> Self {
        Self::Workflow(Box::new(error))
    }
}

/// Whether a role may attach and remove files: the people who run the room.
pub fn may_attach(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Analyst)
}

/// Whether a role may fetch a file attached to `target` (see the module's comment).
pub fn may_fetch(role: Role, target: &ArtifactTarget) -> bool {
    match target {
        ArtifactTarget::Touchpoint(_) => true,
        ArtifactTarget::Item(_) => role != Role::Viewer,
    }
}

impl App {
    /// Attaches a file as `actor` at `at` (unix seconds); returns the stored artifact.
    pub fn attach_artifact(
        &self,
        actor: &str,
        attachment: Attachment,
        at: i64,
    ) -> Result<Artifact, ArtifactError> {
        let person = self.user(&self.workflow()?, actor.trim())?;
        if !may_attach(person.role) {
            return Err(ArtifactError::Forbidden(format!(
                "only admins and analysts attach files; {} is a {}",
                person.email,
                person.role.as_str()
            )));
        }
        self.check_target(&attachment.target)?;
        let name = file_name(&attachment.name)?;
        let (media_type, kind) = sniff(&attachment.content).ok_or_else(|| {
            ArtifactError::Invalid(format!("{name} is not a file Trove takes: {ACCEPTED}"))
        })?;
        if attachment.content.len() > kind.max_bytes() {
            return Err(ArtifactError::Invalid(format!(
                "{name} is {} bytes; a {} may be at most {} MiB",
                attachment.content.len(),
                kind.as_str(),
                kind.max_bytes() / (1024 * 1024)
            )));
        }
        let note = match attachment.note.as_deref().map(str::trim) {
            Some(note) if note.chars().count() > MAX_NOTE_CHARS => {
                return Err(ArtifactError::Invalid(format!(
                    "the note is longer than {MAX_NOTE_CHARS} characters"
                )));
            }
            Some("") | None => None,
            Some(note) => Some(note.to_owned()),
        };
        let new = NewArtifact {
            target: attachment.target,
            name,
            media_type: media_type.to_owned(),
            note,
            content_hash: blake3::hash(&attachment.content).to_hex().to_string(),
            content: attachment.content,
            added_by: person.email,
            added_at: at,
        };
        let id = self.store().add_artifact(&new)?;
        Ok(Artifact {
            id,
            size: new.content.len() as u64,
            target: new.target,
            name: new.name,
            media_type: new.media_type,
            note: new.note,
            content_hash: new.content_hash,
            added_by: new.added_by,
            added_at: new.added_at,
        })
    }

    /// The files attached to `target` (every file when `None`) that `role` may fetch.
    pub fn artifacts_for(
        &self,
        role: Role,
        target: Option<&ArtifactTarget>,
    ) -> Result<Vec<Artifact>, ArtifactError> {
        let mut artifacts = self.store().artifacts(target)?;
        artifacts.retain(|artifact| may_fetch(role, &artifact.target));
        Ok(artifacts)
    }

    /// One file and its bytes, for `role`: refused when the role may not fetch it.
    pub fn artifact_content(
        &self,
        role: Role,
        id: i64,
    ) -> Result<(Artifact, Vec<u8>), ArtifactError> {
        let (artifact, content) = self
            .store()
            .artifact_content(id)?
            .ok_or_else(|| ArtifactError::NotFound(format!("there is no file {id}")))?;
        if !may_fetch(role, &artifact.target) {
            return Err(ArtifactError::Forbidden(format!(
                "a file attached to a customer's item (such as a call recording) holds personal \
                 data that masking cannot reach: a {} may not fetch it",
                role.as_str()
            )));
        }
        Ok((artifact, content))
    }

    /// Removes a file as `actor`.
    pub fn remove_artifact(&self, actor: &str, id: i64) -> Result<(), ArtifactError> {
        let person = self.user(&self.workflow()?, actor.trim())?;
        if !may_attach(person.role) {
            return Err(ArtifactError::Forbidden(format!(
                "only admins and analysts remove files; {} is a {}",
                person.email,
                person.role.as_str()
            )));
        }
        if self.store().remove_artifact(id)? {
            Ok(())
        } else {
            Err(ArtifactError::NotFound(format!("there is no file {id}")))
        }
    }

    /// One item as its page shows it, with its themes' names and the files `role` may fetch;
    /// `None` when there is no such item.
    pub fn item_detail(&self, role: Role, id: i64) -> Result<Option<ItemDetail>, ArtifactError> {
        let Some(item) = self.store().feedback_items(&[id])?.pop() else {
            return Ok(None);
        };
        let names: std::collections::HashMap<String, String> = self
            .store()
            .themes()?
            .into_iter()
            .map(|theme| (theme.id.as_str().to_owned(), theme.name.as_str().to_owned()))
            .collect();
        let themes = item
            .themes
            .iter()
            .map(|id| {
                (
                    id.clone(),
                    names.get(id).cloned().unwrap_or_else(|| id.clone()),
                )
            })
            .collect();
        let files = self.artifacts_for(role, Some(&ArtifactTarget::Item(id)))?;
        Ok(Some(ItemDetail {
            item,
            themes,
            files,
        }))
    }

    /// The files attached to each stage's touchpoints (by stage id), for the room.
    pub fn stage_artifacts(
        &self,
    ) -> Result<std::collections::BTreeMap<String, Vec<Artifact>>, ArtifactError> {
        let mut by_stage = std::collections::BTreeMap::<String, Vec<Artifact>>::new();
        let Some(journey) = self.store().journey()? else {
            return Ok(by_stage);
        };
        for artifact in self.store().artifacts(None)? {
            if let ArtifactTarget::Touchpoint(touchpoint) = &artifact.target
                && let Some(stage) = journey.stage_of_touchpoint(touchpoint)
            {
                by_stage
                    .entry(stage.id.as_str().to_owned())
                    .or_default()
                    .push(artifact);
            }
        }
        Ok(by_stage)
    }

    /// Refuses a touchpoint the journey does not have, or an item that does not exist.
    fn check_target(&self, target: &ArtifactTarget) -> Result<(), ArtifactError> {
        match target {
            ArtifactTarget::Touchpoint(touchpoint) => {
                let journey = self.store().journey()?;
                if journey.is_some_and(|j| j.stage_of_touchpoint(touchpoint).is_some()) {
                    Ok(())
                } else {
                    Err(ArtifactError::NotFound(format!(
                        "the journey has no touchpoint {touchpoint}: `trove journey show` lists them"
                    )))
                }
            }
            ArtifactTarget::Item(id) => {
                if self.store().feedback_items(&[*id])?.is_empty() {
                    Err(ArtifactError::NotFound(format!("there is no item {id}")))
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// The last part of an uploaded name (browsers and shells may send a path), checked.
fn file_name(raw: &str) -> Result<String, ArtifactError> {
    let name = raw.rsplit(['/', '\\']).next().unwrap_or(raw).trim();
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(ArtifactError::Invalid(
            "give the file a name without control characters".to_owned(),
        ));
    }
    Ok(name.chars().take(MAX_NAME_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_read_from_the_content_not_the_name() {
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(("image/png", ArtifactKind::Image))
        );
        assert_eq!(
            sniff(b"%PDF-1.7 ..."),
            Some(("application/pdf", ArtifactKind::Document))
        );
        assert_eq!(
            sniff(b"RIFF\x24\x00\x00\x00WAVEfmt "),
            Some(("audio/wav", ArtifactKind::Audio))
        );
        assert_eq!(
            sniff(b"RIFF\x24\x00\x00\x00WEBPVP8 "),
            Some(("image/webp", ArtifactKind::Image))
        );
        assert_eq!(sniff(b"ID3\x04"), Some(("audio/mpeg", ArtifactKind::Audio)));
        assert_eq!(
            sniff(b"<svg onload=alert(1)>"),
            None,
            "SVG can carry scripts"
        );
        assert_eq!(sniff(b"<!doctype html>"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(
            ArtifactKind::of_media_type("audio/ogg"),
            Some(ArtifactKind::Audio)
        );
    }

    #[test]
    fn a_path_is_cut_to_its_file_name() {
        assert_eq!(file_name("C:\\scans\\letter.png").unwrap(), "letter.png");
        assert_eq!(file_name("/tmp/call.mp3").unwrap(), "call.mp3");
        assert!(file_name("  ").is_err());
        assert!(file_name("a\u{7}b").is_err());
    }

    #[test]
    fn viewers_see_company_documents_but_not_customers_recordings() {
        let letter = ArtifactTarget::Touchpoint("letter".to_owned());
        let call = ArtifactTarget::Item(7);
        assert!(may_fetch(Role::Viewer, &letter));
        assert!(!may_fetch(Role::Viewer, &call));
        for role in [Role::Admin, Role::Analyst, Role::Lead, Role::Member] {
            assert!(may_fetch(role, &call), "{role:?}");
        }
        assert!(may_attach(Role::Analyst) && !may_attach(Role::Lead));
    }
}
