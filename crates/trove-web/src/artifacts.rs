//! The room's artifacts and voices: `/artifacts` (every file, and attaching one), a file's
//! bytes at `/artifacts/{id}`, and an item's own page `/items/{id}` where its call recording
//! plays. The rules on who may attach and fetch are `trove_app`'s (`may_attach`, `may_fetch`).

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use trove_app::{
    ACCEPTED_ARTIFACTS, ArtifactError, ArtifactKind, Attachment, ItemDetail, may_attach,
};
use trove_store::{Artifact, ArtifactTarget};

use crate::chrome::Chrome;
use crate::error::{WebError, message_page};
use crate::pages::{check_form_token, render};
use crate::session::{SignedIn, blocking, now};

/// The largest upload read: the largest file a kind allows, plus room for the form's fields.
pub(crate) const MAX_UPLOAD_BYTES: usize = 26 * 1024 * 1024;

/// How the pages show a file.
pub(crate) struct FileView {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) note: String,
    pub(crate) kind: &'static str,
    pub(crate) media_type: String,
    pub(crate) size: String,
    /// Where it is attached, as a link: (label, href).
    pub(crate) place: (String, String),
}

impl FileView {
    pub(crate) fn of(artifact: &Artifact) -> Self {
        let kind = ArtifactKind::of_media_type(&artifact.media_type)
            .map_or("document", ArtifactKind::as_str);
        let place = match &artifact.target {
            ArtifactTarget::Touchpoint(touchpoint) => {
                (format!("touchpoint {touchpoint}"), "/artifacts".to_owned())
            }
            ArtifactTarget::Item(id) => (format!("item {id}"), format!("/items/{id}")),
        };
        Self {
            id: artifact.id,
            name: artifact.name.clone(),
            note: artifact.note.clone().unwrap_or_default(),
            kind,
            media_type: artifact.media_type.clone(),
            size: human_size(artifact.size),
            place,
        }
    }

    /// What a screen reader says for an image: its note, else its name.
    pub(crate) fn alt(&self) -> &str {
        if self.note.is_empty() {
            &self.name
        } else {
            &self.note
        }
    }
}

fn human_size(bytes: u64) -> String {
    #[allow(
        clippy::cast_precision_loss,
        reason = "a size shown to one decimal place"
    )]
    let kib = bytes as f64 / 1024.0;
    if kib < 1024.0 {
        format!("{kib:.0} KiB")
    } else {
        format!("{:.1} MiB", kib / 1024.0)
    }
}

#[derive(Template)]
#[template(path = "artifacts.html")]
struct FilesPage<'a> {
    chrome: Chrome,
    files: &'a [FileView],
    touchpoints: &'a [String],
    can_attach: bool,
    accepted: &'static str,
    error: Option<&'a str>,
}

/// `GET /artifacts`.
pub(crate) async fn list(
    State(state): State<crate::State>,
    signed_in: SignedIn,
) -> Result<Response, WebError> {
    files_page(&state, &signed_in, StatusCode::OK, None).await
}

async fn files_page(
    state: &crate::State,
    signed_in: &SignedIn,
    status: StatusCode,
    error: Option<&str>,
) -> Result<Response, WebError> {
    let app = state.app.clone();
    let role = signed_in.user.role;
    let (artifacts, touchpoints) = blocking(move || {
        let artifacts = app.artifacts_for(role, None)?;
        let touchpoints = app
            .journey_touchpoints()
            .map_err(|e| ArtifactError::Invalid(e.to_string()))?;
        Ok::<_, ArtifactError>((artifacts, touchpoints))
    })
    .await?;
    let files: Vec<FileView> = artifacts.iter().map(FileView::of).collect();
    let page = render(&FilesPage {
        chrome: Chrome::new(signed_in, "/artifacts"),
        files: &files,
        touchpoints: &touchpoints,
        can_attach: may_attach(role),
        accepted: ACCEPTED_ARTIFACTS,
        error,
    })?;
    Ok((status, page).into_response())
}

/// The fields of the upload form.
#[derive(Default)]
struct Upload {
    csrf: String,
    touchpoint: String,
    item: String,
    note: String,
    name: String,
    content: Vec<u8>,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, String> {
    let mut upload = Upload::default();
    while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            upload.name = field.file_name().unwrap_or_default().to_owned();
            upload.content = field.bytes().await.map_err(|e| e.body_text())?.to_vec();
            continue;
        }
        let text = field.text().await.map_err(|e| e.body_text())?;
        match name.as_str() {
            "csrf" => upload.csrf = text,
            "touchpoint" => upload.touchpoint = text,
            "item" => upload.item = text,
            "note" => upload.note = text,
            _ => {}
        }
    }
    Ok(upload)
}

impl Upload {
    fn target(&self) -> Result<ArtifactTarget, String> {
        match (self.touchpoint.trim(), self.item.trim()) {
            ("", "") => Err("Choose a touchpoint, or give an item's number.".to_owned()),
            (touchpoint, "") => Ok(ArtifactTarget::Touchpoint(touchpoint.to_owned())),
            ("", item) => item
                .parse()
                .map(ArtifactTarget::Item)
                .map_err(|_| format!("{item:?} is not an item's number.")),
            _ => Err("Attach the file to a touchpoint or to an item, not both.".to_owned()),
        }
    }
}

/// `POST /artifacts` (multipart): attaches a file, then shows where it went.
pub(crate) async fn upload(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let upload = match read_upload(multipart).await {
        Ok(upload) => upload,
        Err(why) => {
            return files_page(&state, &signed_in, StatusCode::BAD_REQUEST, Some(&why)).await;
        }
    };
    check_form_token(&signed_in, &upload.csrf)?;
    let target = match upload.target() {
        Ok(target) => target,
        Err(why) => {
            return files_page(
                &state,
                &signed_in,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&why),
            )
            .await;
        }
    };
    let back = match &target {
        ArtifactTarget::Touchpoint(_) => "/artifacts".to_owned(),
        ArtifactTarget::Item(id) => format!("/items/{id}"),
    };
    let attachment = Attachment {
        target,
        name: upload.name,
        note: Some(upload.note),
        content: upload.content,
    };
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let stored =
        blocking(move || Ok::<_, String>(app.attach_artifact(&actor, attachment, now()))).await?;
    match stored {
        Ok(_) => Ok(Redirect::to(&back).into_response()),
        Err(error) => refusal(&state, &signed_in, &error).await,
    }
}

/// A refused use case, in the rule's words: 403 for the role, 404 for what is missing, 422
/// for what was given.
async fn refusal(
    state: &crate::State,
    signed_in: &SignedIn,
    error: &ArtifactError,
) -> Result<Response, WebError> {
    let status = match error {
        ArtifactError::Forbidden(_) => StatusCode::FORBIDDEN,
        ArtifactError::NotFound(_) | ArtifactError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ArtifactError::Workflow(_) | ArtifactError::Store(_) => {
            return Err(WebError::internal(error));
        }
    };
    files_page(state, signed_in, status, Some(&error.to_string())).await
}

/// The remove button's form.
#[derive(serde::Deserialize)]
pub(crate) struct RemoveForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /artifacts/{id}/remove`.
pub(crate) async fn remove(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<RemoveForm>,
) -> Result<Response, WebError> {
    check_form_token(&signed_in, &form.csrf)?;
    let app = state.app.clone();
    let actor = signed_in.user.email.clone();
    let removed = blocking(move || Ok::<_, String>(app.remove_artifact(&actor, id))).await?;
    match removed {
        Ok(()) => Ok(Redirect::to("/artifacts").into_response()),
        Err(error) => refusal(&state, &signed_in, &error).await,
    }
}

/// `GET /artifacts/{id}`: the file's bytes, for a role that may fetch them. Served with the
/// type read when it was attached, `nosniff`, and a sandbox so that nothing in it can run as
/// Trove's page.
pub(crate) async fn file(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let app = state.app.clone();
    let role = signed_in.user.role;
    let fetched = blocking(move || Ok::<_, String>(app.artifact_content(role, id))).await?;
    let (artifact, content) = match fetched {
        Ok(found) => found,
        Err(ArtifactError::Forbidden(why)) => {
            return Ok(message_page(StatusCode::FORBIDDEN, "Refused", &why));
        }
        Err(ArtifactError::NotFound(why)) => {
            return Ok(message_page(StatusCode::NOT_FOUND, "Not found", &why));
        }
        Err(error) => return Err(WebError::internal(error)),
    };
    let mut response = content.into_response();
    let headers = response.headers_mut();
    let media_type = HeaderValue::from_str(&artifact.media_type).map_err(WebError::internal)?;
    headers.insert(header::CONTENT_TYPE, media_type);
    let disposition = format!("inline; filename=\"{}\"", ascii_file_name(&artifact.name));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(WebError::internal)?,
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'; img-src 'self'; media-src 'self'"),
    );
    Ok(response)
}

/// A file name safe inside a quoted header value: printable ASCII without quotes or
/// backslashes (others become `_`).
fn ascii_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage<'a> {
    chrome: Chrome,
    detail: &'a ItemDetail,
    files: &'a [FileView],
    received: String,
    can_attach: bool,
    accepted: &'static str,
}

impl ItemPage<'_> {
    fn item(&self) -> &trove_domain::FeedbackItem {
        &self.detail.item.feedback.item
    }

    /// Its scores and sentiment in words, e.g. "NPS 3 · sentiment −0.62".
    fn figures(&self) -> String {
        let item = self.item();
        let scores = &item.scores;
        let mut parts = Vec::new();
        if let Some(nps) = scores.nps {
            parts.push(format!("NPS answer {}", nps.value()));
        }
        if let Some(csat) = scores.csat {
            parts.push(format!("CSAT answer {}", csat.value()));
        }
        if let Some(ces) = scores.ces {
            parts.push(format!("CES answer {}", ces.value()));
        }
        if let Some(sentiment) = item.sentiment {
            parts.push(format!("sentiment {sentiment:+.2}"));
        }
        if parts.is_empty() {
            "no score given".to_owned()
        } else {
            parts.join(" · ")
        }
    }

    /// The item's place: source, channel, business unit, touchpoint.
    fn place(&self) -> String {
        let item = self.item();
        let mut parts = vec![
            format!("source {}", item.source.as_str()),
            format!("channel {}", item.channel.as_str()),
        ];
        if let Some(unit) = &item.business_unit {
            parts.push(format!("business unit {}", unit.as_str()));
        }
        if let Some(touchpoint) = &item.touchpoint {
            parts.push(format!("touchpoint {}", touchpoint.as_str()));
        }
        parts.join(" · ")
    }
}

/// `GET /items/{id}`: one item, its themes and its files (a call recording plays here).
pub(crate) async fn item(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let app = state.app.clone();
    let role = signed_in.user.role;
    let Some(detail) = blocking(move || app.item_detail(role, id)).await? else {
        return Ok(message_page(
            StatusCode::NOT_FOUND,
            "Not found",
            &format!("There is no item {id}."),
        ));
    };
    let files: Vec<FileView> = detail.files.iter().map(FileView::of).collect();
    let received = detail
        .item
        .feedback
        .item
        .received_at
        .timestamp()
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string();
    let page = render(&ItemPage {
        chrome: Chrome::new(&signed_in, "/items"),
        detail: &detail,
        files: &files,
        received,
        can_attach: may_attach(role),
        accepted: ACCEPTED_ARTIFACTS,
    })?;
    Ok(page.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_file_names_keep_only_safe_characters() {
        assert_eq!(ascii_file_name("letter 1.png"), "letter 1.png");
        assert_eq!(ascii_file_name("a\"b\\c\u{e9}.pdf"), "a_b_c_.pdf");
        assert_eq!(ascii_file_name("x\r\ny"), "x__y");
    }

    #[test]
    fn sizes_read_in_kib_or_mib() {
        assert_eq!(human_size(2048), "2 KiB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MiB");
    }
}
