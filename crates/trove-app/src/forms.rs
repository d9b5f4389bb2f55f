//! The public feedback form: admins create, list and close forms; anyone with the link answers
//! one (`/f/{id}`, no sign-in); its QR code and a printable poster carry the link.
//!
//! An answer is stored as a `web_form` item through the import's own reading (masking, tagging,
//! sentiment) and recorded in one import run per form and day (UTC), so `trove imports` lists
//! a form's answers of a day as one run, and `trove imports delete RUN` undoes a day of spam.
//!
//! Abuse protection that needs no JavaScript and no cookies: the page carries a stamp signed
//! with the form's own secret (when it was served and a random nonce); an answer sent sooner
//! than [`MIN_SECONDS_TO_ANSWER`] after it, with a forged or stale stamp, or with the hidden
//! honeypot field filled, stores nothing. The nonce is the answer's external id, so sending
//! the same page twice (a double click, the back button) stores it once. Rate limits per client
//! address are the web server's.

use jiff::Timestamp;
use jiff::tz::Offset;
use thiserror::Error;
use trove_domain::{
    Attributes, Ces, Channel, Csat, ExternalId, FeedbackItem, FeedbackText, Label, Nps, ReceivedAt,
    Scores,
};
use trove_store::{FormRecord, FormScale, ImportTotals, StoreError};
use trove_workflow::model::Role;

use crate::{App, WorkflowError, random_token};

/// The least time between serving a form and its answer; quicker answers come from scripts.
pub const MIN_SECONDS_TO_ANSWER: i64 = 3;

/// How long a served form can be answered (a tab left open over a night still works).
pub const STAMP_LIFETIME_SECONDS: i64 = 24 * 3600;

/// The longest comment accepted, in characters.
pub const MAX_COMMENT_CHARS: usize = 5_000;

/// The longest question or title, in characters.
pub const MAX_QUESTION_CHARS: usize = 300;

/// What an admin gives to create a form.
#[derive(Debug, Clone)]
pub struct NewForm {
    /// The source its answers are stored under.
    pub source: String,
    /// The touchpoint they concern (a journey touchpoint id when a journey is loaded).
    pub touchpoint: String,
    /// The business unit they concern, if one.
    pub business_unit: Option<String>,
    /// The score asked for.
    pub scale: FormScale,
    /// The question.
    pub question: String,
    /// The page's heading (default: "Tell us how we did").
    pub title: Option<String>,
}

/// The default heading of a form's page.
pub const DEFAULT_TITLE: &str = "Tell us how we did";

/// Why a form use case failed.
#[derive(Debug, Error)]
pub enum FormError {
    /// Only admins manage forms.
    #[error("only an admin may {0} forms; {1} is not an admin")]
    NotAdmin(&'static str, String),
    /// What was given is not acceptable (said in words).
    #[error("{0}")]
    Invalid(String),
    /// No form has this id.
    #[error("no form has the id {0}: `trove form list` lists them")]
    Unknown(String),
    /// The QR code or image could not be made.
    #[error("cannot make the QR code: {0}")]
    Qr(String),
    /// The randomness source failed.
    #[error("{0}")]
    Crypto(String),
    /// The people could not be read (boxed: a refusal is large).
    #[error(transparent)]
    Workflow(Box<WorkflowError>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WorkflowError> for FormError {
    fn from(error: WorkflowError) -> Self {
        Self::Workflow(Box::new(error))
    }
}

impl From<crate::AuthError> for FormError {
    fn from(error: crate::AuthError) -> Self {
        Self::Crypto(error.to_string())
    }
}

/// A form as its public page shows it, with a fresh stamp for the page's answer.
#[derive(Debug, Clone)]
pub struct ServedForm {
    /// The form.
    pub form: FormRecord,
    /// The signed stamp the page carries in a hidden field.
    pub stamp: String,
}

/// An answer as the page sends it; every field as typed.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// The page's stamp.
    pub stamp: String,
    /// The score picked, if any.
    pub score: Option<String>,
    /// The comment.
    pub comment: String,
    /// The e-mail address, if given.
    pub email: String,
    /// Whether the box that lets us use the address was ticked.
    pub consent: bool,
    /// The hidden field people never see: filled only by scripts.
    pub honeypot: String,
}

/// What became of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    /// Stored (or already stored from the same page: a repeat adds nothing).
    Stored,
    /// The honeypot was filled: nothing stored, and the sender is thanked all the same so a
    /// script learns nothing.
    Ignored,
    /// Sent too soon after the page was served: nothing stored; the page asks again.
    TooFast,
    /// The stamp is stale or not ours: nothing stored; the page asks again with a fresh one.
    Stale,
    /// The answer is not acceptable (said in words): nothing stored; the page asks again.
    Invalid(String),
    /// No open form has this id.
    Closed,
}

impl App {
    /// Creates a form as `actor` (an admin), at `now` (unix seconds).
    pub fn create_form(
        &self,
        actor: &str,
        new: &NewForm,
        now: i64,
    ) -> Result<FormRecord, FormError> {
        self.require_admin(actor, "create")?;
        let source = label("source", &new.source)?;
        let touchpoint = label("touchpoint", &new.touchpoint)?;
        let business_unit = match &new.business_unit {
            Some(unit) => Some(label("business unit", unit)?),
            None => None,
        };
        let known = self.journey_touchpoints()?;
        if !known.is_empty() && !known.iter().any(|id| id == touchpoint.as_str()) {
            return Err(FormError::Invalid(format!(
                "the journey has no touchpoint {:?}; its touchpoints are: {}",
                touchpoint.as_str(),
                known.join(", ")
            )));
        }
        let question = short_text("question", &new.question)?;
        let title = match &new.title {
            Some(title) if !title.trim().is_empty() => short_text("title", title)?,
            _ => DEFAULT_TITLE.to_owned(),
        };
        let form = FormRecord {
            id: random_token(12)?,
            secret: random_token(32)?,
            title,
            question,
            source: source.as_str().to_owned(),
            touchpoint: touchpoint.as_str().to_owned(),
            business_unit: business_unit.map(|unit| unit.as_str().to_owned()),
            scale: new.scale,
            created_by: actor.trim().to_lowercase(),
            created_at: now,
            closed_at: None,
        };
        self.store().create_form(&form)?;
        Ok(form)
    }

    /// The ids of the journey's touchpoints, in journey order (none without a journey): a
    /// form's touchpoint must be one of them when a journey is loaded.
    pub fn journey_touchpoints(&self) -> Result<Vec<String>, FormError> {
        Ok(self.store().journey()?.map_or_else(Vec::new, |journey| {
            journey
                .stages()
                .iter()
                .flat_map(|stage| &stage.touchpoints)
                .map(|touchpoint| touchpoint.id.as_str().to_owned())
                .collect()
        }))
    }

    /// All forms, newest first (admins only: the list names every form's link).
    pub fn forms(&self, actor: &str) -> Result<Vec<FormRecord>, FormError> {
        self.require_admin(actor, "list")?;
        Ok(self.store().forms()?)
    }

    /// One form, open or closed, for an admin (its QR code, its poster).
    pub fn form_for_admin(&self, actor: &str, id: &str) -> Result<FormRecord, FormError> {
        self.require_admin(actor, "print")?;
        self.store()
            .form(id)?
            .ok_or_else(|| FormError::Unknown(id.to_owned()))
    }

    /// Closes a form as `actor` (an admin): its page answers 404 from now on. Closing a
    /// closed form is refused, saying when it was closed.
    pub fn close_form(&self, actor: &str, id: &str, now: i64) -> Result<FormRecord, FormError> {
        let form = self.form_for_admin(actor, id)?;
        if let Some(closed) = form.closed_at {
            return Err(FormError::Invalid(format!(
                "form {id} was closed already at {}",
                Timestamp::from_second(closed).map_or(closed.to_string(), |t| t.to_string())
            )));
        }
        self.store().close_form(id, now)?;
        Ok(FormRecord {
            closed_at: Some(now),
            ..form
        })
    }

    /// The open form `id` with a fresh stamp for its page, or `None` when it is unknown or
    /// closed.
    pub fn serve_form(&self, id: &str, now: i64) -> Result<Option<ServedForm>, FormError> {
        let Some(form) = self.open_form(id)? else {
            return Ok(None);
        };
        let stamp = stamp(&form.secret, now, &random_token(16)?);
        Ok(Some(ServedForm { form, stamp }))
    }

    /// The open form `id`, if there is one.
    pub fn open_form(&self, id: &str) -> Result<Option<FormRecord>, FormError> {
        // Ids are hex: anything else is no form (and never reaches the store).
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        Ok(self.store().form(id)?.filter(|f| f.closed_at.is_none()))
    }

    /// Takes an answer to form `id` at `now`: checks the honeypot, the stamp and the fields,
    /// then stores it as a `web_form` item, masked, tagged and scored like an imported one,
    /// in the form's import run of the day.
    pub fn answer_form(&self, id: &str, answer: &Answer, now: i64) -> Result<Answered, FormError> {
        let Some(form) = self.open_form(id)? else {
            return Ok(Answered::Closed);
        };
        let verdict = if !answer.honeypot.trim().is_empty() {
            Err(Answered::Ignored)
        } else {
            check_stamp(&form.secret, &answer.stamp, now)
                .and_then(|nonce| build_item(&form, answer, &nonce, now).map_err(Answered::Invalid))
        };
        let day = Timestamp::from_second(now)
            .map_err(|e| FormError::Invalid(e.to_string()))?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .to_string();
        let run = self.store().form_import_run(&form.id, &day, now)?;
        let mut item = match verdict {
            Ok(item) => item,
            Err(refused) => {
                // Counted as rejected, so the run shows how much was turned away.
                let rejected = ImportTotals {
                    rows: 1,
                    rejected: 1,
                    ..ImportTotals::default()
                };
                self.store().add_to_import_run(run, &rejected, now)?;
                return Ok(refused);
            }
        };
        let tagger = match self.current_tagger() {
            Ok(tagger) => tagger,
            Err(crate::TaxonomyLoadError::Store(error)) => return Err(error.into()),
            Err(_) => None,
        };
        let mut scratch = match self.text_scratch() {
            Ok(scratch) => scratch,
            Err(crate::TaxonomyLoadError::Store(error)) => return Err(error.into()),
            // An unreadable sentiment model must not cost an answer: the lexicon reads it.
            Err(_) => crate::TextScratch::default(),
        };
        let batch = std::slice::from_mut(&mut item);
        let tags = crate::import::read_batch(tagger.as_ref(), &mut scratch, batch);
        let outcome =
            crate::import::store_batch(self.store(), batch, &tags, run, tagger.as_ref(), false)?;
        let totals = ImportTotals {
            rows: 1,
            imported: outcome.inserted,
            duplicates: outcome.duplicates,
            ..ImportTotals::default()
        };
        self.store().add_to_import_run(run, &totals, now)?;
        if outcome.inserted > 0 {
            let item = &batch[0];
            let data = serde_json::json!({
                "form": form.id,
                "form_title": form.title,
                "source": item.source.as_str(),
                "external_id": item.external_id.as_str(),
                "touchpoint": form.touchpoint,
                "scores": item.scores,
                "comment": item.text.as_str(),
            });
            let key = format!(
                "{}:{}:{}",
                crate::FEEDBACK_RECEIVED,
                item.source.as_str(),
                item.external_id.as_str()
            );
            self.queue_form_answer(data, key, now)?;
        }
        Ok(Answered::Stored)
    }

    fn require_admin(&self, actor: &str, what: &'static str) -> Result<(), FormError> {
        let state = self.workflow()?;
        let user = self.user(&state, actor.trim())?;
        if user.role == Role::Admin {
            Ok(())
        } else {
            Err(FormError::NotAdmin(what, user.email))
        }
    }
}

fn label(what: &'static str, raw: &str) -> Result<Label, FormError> {
    Label::parse(what, raw).map_err(|e| FormError::Invalid(e.to_string()))
}

fn short_text(what: &str, raw: &str) -> Result<String, FormError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FormError::Invalid(format!("give the form's {what}")));
    }
    if text.chars().count() > MAX_QUESTION_CHARS || text.chars().any(char::is_control) {
        return Err(FormError::Invalid(format!(
            "the {what} must be one line of at most {MAX_QUESTION_CHARS} characters"
        )));
    }
    Ok(text.to_owned())
}

/// The key a form's stamps are signed with, derived from its stored secret.
fn stamp_key(secret: &str) -> [u8; 32] {
    blake3::derive_key("trove 2026 feedback form stamp", secret.as_bytes())
}

fn signature(secret: &str, issued_at: i64, nonce: &str) -> String {
    blake3::keyed_hash(
        &stamp_key(secret),
        format!("{issued_at}.{nonce}").as_bytes(),
    )
    .to_hex()
    .to_string()
}

/// A page's stamp: when it was served, a nonce, and their signature with the form's secret.
pub fn stamp(secret: &str, issued_at: i64, nonce: &str) -> String {
    format!(
        "{issued_at}.{nonce}.{}",
        signature(secret, issued_at, nonce)
    )
}

/// The nonce of a stamp that is ours, old enough and not stale; else what to answer.
fn check_stamp(secret: &str, stamp: &str, now: i64) -> Result<String, Answered> {
    let mut parts = stamp.splitn(3, '.');
    let (Some(issued), Some(nonce), Some(signed)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Answered::Stale);
    };
    let Ok(issued_at) = issued.parse::<i64>() else {
        return Err(Answered::Stale);
    };
    let expected = signature(secret, issued_at, nonce);
    // BLAKE3 hashes compare in constant time.
    if blake3::hash(signed.as_bytes()) != blake3::hash(expected.as_bytes())
        || nonce.is_empty()
        || !nonce.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(Answered::Stale);
    }
    let age = now - issued_at;
    if age < MIN_SECONDS_TO_ANSWER {
        return Err(Answered::TooFast);
    }
    if age > STAMP_LIFETIME_SECONDS {
        return Err(Answered::Stale);
    }
    Ok(nonce.to_owned())
}

/// Whether `email` looks like an address: one `@`, a dotted domain, no spaces.
fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The item an answer makes, or why it is not acceptable (in words for the person).
fn build_item(
    form: &FormRecord,
    answer: &Answer,
    nonce: &str,
    now: i64,
) -> Result<FeedbackItem, String> {
    let comment = answer.comment.trim();
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(format!(
            "Your comment is longer than {MAX_COMMENT_CHARS} characters: please shorten it."
        ));
    }
    let scores = scores(form.scale, answer.score.as_deref())?;
    if scores.is_empty() && comment.is_empty() {
        return Err("Write a comment before sending.".to_owned());
    }
    let email = answer.email.trim();
    let mut attributes = Attributes::default();
    let invalid = |e: trove_domain::DomainError| e.to_string();
    attributes.insert("form", &form.id).map_err(invalid)?;
    match (email.is_empty(), answer.consent) {
        (true, false) => {}
        (true, true) => {
            return Err(
                "You ticked the box but gave no e-mail address: give one, or untick the box."
                    .to_owned(),
            );
        }
        (false, false) => {
            return Err(
                "You gave an e-mail address without ticking the box that lets us use it: tick it, or clear the address."
                    .to_owned(),
            );
        }
        (false, true) if !plausible_email(email) => {
            return Err(format!(
                "{email:?} does not look like an e-mail address: check it, or clear it."
            ));
        }
        // Given with consent, for a reply: kept unmasked, beside the masked comment.
        (false, true) => attributes.insert("contact_email", email).map_err(invalid)?,
    }
    let text = FeedbackText::parse(&trove_ingest::pii::mask(comment)).map_err(invalid)?;
    let at = Timestamp::from_second(now).map_err(|e| e.to_string())?;
    Ok(FeedbackItem {
        source: Label::parse("source", &form.source).map_err(invalid)?,
        channel: Channel::WebForm,
        external_id: ExternalId::parse(&format!("form-{nonce}")).map_err(invalid)?,
        received_at: ReceivedAt::new(at, Offset::UTC),
        customer_id: None,
        account: None,
        business_unit: form
            .business_unit
            .as_deref()
            .map(|unit| Label::parse("business unit", unit))
            .transpose()
            .map_err(invalid)?,
        product: None,
        region: None,
        touchpoint: Some(Label::parse("touchpoint", &form.touchpoint).map_err(invalid)?),
        journey_stage: None,
        text,
        sentiment: None,
        suggestion: false,
        scores,
        language: None,
        source_themes: Vec::new(),
        attributes,
    })
}

/// The scores of an answer on `scale`: the score is required when the form asks for one.
fn scores(scale: FormScale, raw: Option<&str>) -> Result<Scores, String> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty());
    let Some((low, high)) = scale.range() else {
        return Ok(Scores::default());
    };
    let Some(raw) = raw else {
        return Err(format!("Pick a score from {low} to {high}."));
    };
    let out_of_range = |_| format!("Pick a score from {low} to {high}.");
    Ok(match scale {
        FormScale::Nps => Scores {
            nps: Some(Nps::parse(raw).map_err(out_of_range)?),
            ..Scores::default()
        },
        FormScale::Csat => Scores {
            csat: Some(Csat::parse(raw).map_err(out_of_range)?),
            ..Scores::default()
        },
        FormScale::Ces => Scores {
            ces: Some(Ces::parse(raw).map_err(out_of_range)?),
            ..Scores::default()
        },
        FormScale::None => Scores::default(),
    })
}

/// The public link of form `id` under `base_url` (`https://feedback.example.com`): the base
/// must be an absolute http(s) URL without a query or fragment.
pub fn form_url(base_url: &str, id: &str) -> Result<String, FormError> {
    let base = base_url.trim().trim_end_matches('/');
    let rest = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !base.contains(['?', '#', ' ']) => {
            Ok(format!("{base}/f/{id}"))
        }
        _ => Err(FormError::Invalid(format!(
            "--base-url {base_url:?} must be an absolute http:// or https:// address, like https://feedback.example.com"
        ))),
    }
}

fn qr(url: &str) -> Result<qrcode::QrCode, FormError> {
    // Level M: a printed code still reads with some 15% of it smudged or covered.
    qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M)
        .map_err(|e| FormError::Qr(e.to_string()))
}

/// The QR code of `url` as an SVG document (with its quiet zone).
pub fn qr_svg(url: &str) -> Result<String, FormError> {
    Ok(qr(url)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

/// The QR code of `url` as a greyscale PNG, `module_pixels` pixels per module, with the
/// standard quiet zone of four modules.
pub fn qr_png(url: &str, module_pixels: u32) -> Result<Vec<u8>, FormError> {
    const QUIET: usize = 4;
    let code = qr(url)?;
    let modules = code.width();
    let colors = code.to_colors();
    let scale = module_pixels.max(1) as usize;
    let side = (modules + 2 * QUIET) * scale;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (x, y) = ((i % modules + QUIET) * scale, (i / modules + QUIET) * scale);
        for row in y..y + scale {
            pixels[row * side + x..row * side + x + scale].fill(0);
        }
    }
    let side = u32::try_from(side).map_err(|e| FormError::Qr(e.to_string()))?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let png_error = |e: png::EncodingError| FormError::Qr(e.to_string());
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&pixels).map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    Ok(out)
}

/// A printable A4 poster (a standalone HTML page) with the form's title, its question, the QR
/// code of `url` and the link written out for those who type it.
pub fn poster_html(form: &FormRecord, url: &str) -> Result<String, FormError> {
    use trove_domain::safe::html_text;
    let svg = qr_svg(url)?;
    // The SVG's own XML declaration does not belong inside HTML.
    let svg = svg
        .split_once("?>")
        .map_or(svg.as_str(), |(_, rest)| rest)
        .trim();
    Ok(format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
@page {{ size: A4; margin: 0; }}
html, body {{ margin: 0; }}
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1c2430; }}
.poster {{ box-sizing: border-box; width: 210mm; height: 297mm; padding: 25mm 20mm; display: flex; flex-direction: column; align-items: center; text-align: center; }}
h1 {{ font-size: 30pt; margin: 0 0 10mm; }}
.question {{ font-size: 20pt; margin: 0 0 14mm; }}
.code svg {{ width: 110mm; height: 110mm; }}
.scan {{ font-size: 16pt; margin: 10mm 0 4mm; font-weight: 600; }}
.link {{ font-size: 12pt; word-break: break-all; color: #4a5566; }}
</style>
</head>
<body>
<main class="poster">
<h1>{title}</h1>
<p class="question">{question}</p>
<div class="code" role="img" aria-label="QR code of {link}">{svg}</div>
<p class="scan">Scan the code with your phone's camera: it takes a minute, no sign-in.</p>
<p class="link">{link}</p>
</main>
</body>
</html>
"#,
        title = html_text(&form.title),
        question = html_text(&form.question),
        link = html_text(url),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn form(scale: FormScale) -> FormRecord {
        FormRecord {
            id: "abc123".into(),
            secret: "s3cret".into(),
            title: DEFAULT_TITLE.into(),
            question: "How likely are you to recommend us?".into(),
            source: "lobby".into(),
            touchpoint: "check-in".into(),
            business_unit: None,
            scale,
            created_by: "ann@example.com".into(),
            created_at: 0,
            closed_at: None,
        }
    }

    #[test]
    fn a_stamp_is_accepted_only_when_ours_old_enough_and_fresh() {
        let good = stamp("s3cret", 1_000, "ab12");
        assert_eq!(check_stamp("s3cret", &good, 1_003), Ok("ab12".to_owned()));
        assert_eq!(check_stamp("s3cret", &good, 1_002), Err(Answered::TooFast));
        assert_eq!(
            check_stamp("s3cret", &good, 1_000 + STAMP_LIFETIME_SECONDS + 1),
            Err(Answered::Stale)
        );
        assert_eq!(check_stamp("other", &good, 1_010), Err(Answered::Stale));
        // Backdating the time breaks the signature.
        let backdated = good.replacen("1000", "900", 1);
        assert_eq!(
            check_stamp("s3cret", &backdated, 1_001),
            Err(Answered::Stale)
        );
        assert_eq!(check_stamp("s3cret", "", 1_010), Err(Answered::Stale));
        assert_eq!(check_stamp("s3cret", "1.2", 1_010), Err(Answered::Stale));
    }

    #[test]
    fn a_score_is_required_in_its_range_when_the_form_asks_for_one() {
        assert_eq!(
            scores(FormScale::Nps, Some("0"))
                .unwrap()
                .nps
                .unwrap()
                .value(),
            0
        );
        assert!(scores(FormScale::Nps, Some("11")).is_err());
        assert!(scores(FormScale::Csat, Some("0")).is_err());
        assert_eq!(
            scores(FormScale::Ces, Some("7"))
                .unwrap()
                .ces
                .unwrap()
                .value(),
            7
        );
        assert!(scores(FormScale::Ces, None).is_err());
        assert!(scores(FormScale::None, Some("5")).unwrap().is_empty());
    }

    #[test]
    fn an_address_is_kept_only_with_consent_and_the_comment_is_masked() {
        let nps = form(FormScale::Nps);
        let mut answer = Answer {
            score: Some("3".into()),
            comment: "Write to me at jo@example.org please".into(),
            ..Answer::default()
        };
        let item = build_item(&nps, &answer, "ab", 10).unwrap();
        assert!(
            !item.text.as_str().contains("jo@example.org"),
            "{}",
            item.text.as_str()
        );
        assert_eq!(item.attributes.get("contact_email"), None);
        assert_eq!(item.channel, Channel::WebForm);
        assert_eq!(item.external_id.as_str(), "form-ab");
        answer.email = "jo@example.org".into();
        assert!(
            build_item(&nps, &answer, "ab", 10)
                .unwrap_err()
                .contains("tick")
        );
        answer.consent = true;
        let item = build_item(&nps, &answer, "ab", 10).unwrap();
        assert_eq!(item.attributes.get("contact_email"), Some("jo@example.org"));
        answer.email = "not an address".into();
        assert!(build_item(&nps, &answer, "ab", 10).is_err());
    }

    #[test]
    fn an_empty_answer_is_refused() {
        let none = form(FormScale::None);
        assert!(build_item(&none, &Answer::default(), "ab", 10).is_err());
    }

    #[test]
    fn a_link_needs_an_absolute_http_base() {
        assert_eq!(
            form_url("https://feedback.example.com/", "ab").unwrap(),
            "https://feedback.example.com/f/ab"
        );
        assert!(form_url("feedback.example.com", "ab").is_err());
        assert!(form_url("https://", "ab").is_err());
        assert!(form_url("https://x.example/?a=1", "ab").is_err());
    }

    #[test]
    fn the_png_code_decodes_back_to_the_link() {
        let url = "https://feedback.example.com/f/0123456789abcdef01234567";
        let png = qr_png(url, 6).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buffer).unwrap();
        let (w, h) = (info.width as usize, info.height as usize);
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buffer[y * w + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].decode().unwrap().1, url);
    }

    #[test]
    fn the_poster_holds_the_title_question_code_and_link_escaped() {
        let mut printed = form(FormScale::Nps);
        printed.title = "Fish & chips <today>".into();
        let poster = poster_html(&printed, "https://x.example/f/ab").unwrap();
        assert!(poster.contains("Fish &amp; chips &lt;today&gt;"));
        assert!(poster.contains("<svg"));
        assert!(!poster.contains("<?xml"));
        assert!(poster.contains("size: A4"));
        assert!(poster.contains("https://x.example/f/ab"));
    }
}
