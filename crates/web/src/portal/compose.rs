//! Composing a secure message: the form, and its multipart submission, whose
//! attachments are sealed and stored chunk by chunk as they arrive (bounded memory
//! whatever their size).

use axum::extract::multipart::Field;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use sealpost_domain::DomainError;
use sealpost_domain::messages::{MessageOptions, PublicId};
use sealpost_domain::profiles::ProfileId;
use sealpost_domain::services::messages::{ComposeRequest, Draft, ReplyKind, expiry_field};
use sealpost_domain::settings::Feature;
use sealpost_domain::types::AccountNumber;
use serde::Deserialize;

use super::portal_page;
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::Signed;
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{AttachmentRow, ComposePage, FormError, render, render_status};

/// Text fields are small; only attachments may be large. A field is read chunk by
/// chunk and refused as soon as it passes this, never held whole first.
const MAX_TEXT_FIELD: usize = 2 * 1024 * 1024;
/// All text fields of one submission together (many small fields add up too).
const MAX_TEXT_TOTAL: usize = 4 * 1024 * 1024;

/// The compose form's body may be as large as attachments (the service refuses
/// attachments past its limit with a clear message as they stream in); memory
/// stays bounded because text fields are capped as they are read.
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(1024 * 1024 * 1024)
}

/// What the form holds besides files.
#[derive(Debug, Default, Clone)]
struct ComposeForm {
    csrf: String,
    account: String,
    /// The chosen envelope profile's id (`default` or empty: the account's default).
    profile: String,
    reply: String,
    kind: String,
    to: String,
    cc: String,
    subject: String,
    body: String,
    allow_reply: bool,
    allow_reply_all: bool,
    allow_forward: bool,
    read_receipt: bool,
    expires_on: String,
    /// `html` when the body is HTML.
    format: String,
    /// The token of a kept draft whose attachments come along.
    draft: String,
    /// The kept attachments (parts) still wanted.
    keep: Vec<u32>,
}

impl ComposeForm {
    fn request(&self) -> ComposeRequest {
        ComposeRequest {
            to: self.to.clone(),
            cc: self.cc.clone(),
            bcc: String::new(),
            subject: self.subject.clone(),
            body: self.body.clone(),
            options: MessageOptions {
                allow_reply: self.allow_reply,
                allow_reply_all: self.allow_reply_all,
                allow_forward: self.allow_forward,
                read_receipt: self.read_receipt,
            },
            expires_on: self.expires_on.clone(),
            html: self.format == "html",
        }
    }

    /// The chosen stored profile, if any (`None`: the account's default).
    fn profile(&self) -> Option<ProfileId> {
        self.profile.trim().parse().ok().map(ProfileId)
    }

    fn reply(&self) -> Option<(PublicId, ReplyKind)> {
        Some((PublicId::parse(&self.reply)?, ReplyKind::parse(&self.kind)?))
    }
}

/// Attachments a refused submission left in a kept draft, and the draft's token.
#[derive(Default)]
struct Kept {
    files: Vec<AttachmentRow>,
    token: String,
}

async fn page(
    state: &AppState,
    signed: &Signed,
    form: &ComposeForm,
    kept: Kept,
    error: Option<FormError>,
) -> Result<ComposePage, WebError> {
    let accounts = state
        .services
        .sending_accounts(&signed.actor)
        .await
        .or_page(signed.visitor.locale)?;
    let account = if form.account.is_empty() {
        accounts.first().map(|a| a.number.to_string()).unwrap_or_default()
    } else {
        form.account.clone()
    };
    let max = state.services.messaging_config().max_attachment_bytes;
    let answering = form.reply().map(|(id, _)| id);
    // What cannot be read is shown as allowed: sending still refuses and clamps.
    let settings = state
        .services
        .compose_settings(&signed.actor, AccountNumber::parse(&account), answering.as_ref())
        .await
        .unwrap_or_default();
    let switched_off = [
        ("allow_reply", Feature::SecureReply),
        ("allow_reply_all", Feature::SecureReplyAll),
        ("allow_forward", Feature::SecureForward),
        ("read_receipt", Feature::ReadReceipts),
    ]
    .into_iter()
    .filter(|(_, feature)| !settings.allows(*feature))
    .map(|(field, _)| field)
    .collect();
    let profiles = match accounts.iter().find(|a| a.number.to_string() == account) {
        Some(sending) if form.reply.is_empty() => state
            .services
            .sender_profiles(sending)
            .await
            .or_page(signed.visitor.locale)?,
        _ => Vec::new(),
    };
    let chosen = form.profile();
    let profiles = profiles
        .into_iter()
        .map(|p| {
            let selected = match chosen {
                Some(id) => p.id == Some(id),
                None => p.is_default,
            };
            let value = p.id.map_or_else(|| "default".to_owned(), |id| id.to_string());
            (value, p.name, selected)
        })
        .collect();
    Ok(ComposePage {
        page: portal_page(signed, signed.visitor.t.get("nav-compose")),
        accounts,
        account,
        profiles,
        to: form.to.clone(),
        cc: form.cc.clone(),
        subject: form.subject.clone(),
        body: form.body.clone(),
        allow_reply: form.allow_reply,
        allow_reply_all: form.allow_reply_all,
        allow_forward: form.allow_forward,
        read_receipt: form.read_receipt,
        expires_on: form.expires_on.clone(),
        html: form.format == "html",
        reply: form.reply().map(|(id, kind)| (id.to_hex(), kind.as_str().to_owned())),
        max_attachment_mib: max / (1024 * 1024),
        kept: kept.files,
        draft_token: kept.token,
        error,
        switched_off,
        switched_off_reason: signed.visitor.t.get("error-feature-switched-off"),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ComposeQuery {
    reply: String,
    kind: String,
    /// An envelope profile whose defaults prefill the options.
    profile: String,
    /// The account to send from (its number), for a sender in several: its
    /// profiles are offered.
    account: String,
}

/// `GET /portal/compose` (with `?reply=ID&kind=reply|reply_all|forward` for answers).
pub async fn compose_form(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<ComposeQuery>,
) -> Result<Response, WebError> {
    // Forward is off unless the sender allows it (as in CRES): a forward leaves
    // under the organisation's name to whomever the recipient chooses.
    let mut form = ComposeForm {
        allow_reply: true,
        allow_reply_all: true,
        allow_forward: false,
        ..ComposeForm::default()
    };
    if let (Some(id), Some(kind)) = (PublicId::parse(&query.reply), ReplyKind::parse(&query.kind)) {
        let prefill = state
            .services
            .reply_prefill(&signed.actor, &id, kind)
            .await
            .or_page(signed.visitor.locale)?;
        form.reply = id.to_hex();
        form.kind = kind.as_str().to_owned();
        form.to = prefill.to;
        form.cc = prefill.cc;
        form.subject = prefill.subject;
        form.body = prefill.body;
    } else {
        let accounts = state
            .services
            .sending_accounts(&signed.actor)
            .await
            .or_page(signed.visitor.locale)?;
        let chosen = accounts
            .iter()
            .find(|a| a.number.to_string() == query.account.trim())
            .or(accounts.first());
        if let Some(account) = chosen {
            form.account = account.number.to_string();
            // The profile's defaults prefill the options (the account's Features
            // still clamp them when the message is sent).
            form.profile = query.profile.clone();
            if let Ok(profile) = state.services.sending_profile(account, form.profile()).await {
                form.allow_reply = profile.options.allow_reply;
                form.allow_reply_all = profile.options.allow_reply_all;
                form.allow_forward = profile.options.allow_forward;
                form.read_receipt = profile.options.read_receipt;
                form.expires_on = profile
                    .expiry_days
                    .map(|days| {
                        let at = state.services.clock.now().plus_seconds(i64::from(days) * 24 * 60 * 60);
                        expiry_field(Some(at))
                    })
                    .unwrap_or_default();
            }
        }
        if accounts.is_empty() {
            let error = FormError {
                field: None,
                message: signed.visitor.t.get("error-not-a-member"),
            };
            return Ok(render_status(
                StatusCode::FORBIDDEN,
                &page(&state, &signed, &form, Kept::default(), Some(error)).await?,
            ));
        }
    }
    Ok(render(&page(&state, &signed, &form, Kept::default(), None).await?))
}

/// Reads a text field within its limit and what is left of `budget`.
async fn text(mut field: Field<'_>, budget: &mut usize) -> Result<String, Stop> {
    let name = field.name().unwrap_or_default().to_owned();
    let limit = MAX_TEXT_FIELD.min(*budget);
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|_| Stop::Broken)? {
        if bytes.len() + chunk.len() > limit {
            let (field, error) = match name.as_str() {
                "subject" => ("subject", sealpost_domain::ValidationError::SubjectTooLong),
                _ => ("body", sealpost_domain::ValidationError::BodyTooLong),
            };
            return Err(Stop::Refused(DomainError::invalid(field, error)));
        }
        bytes.extend_from_slice(&chunk);
    }
    *budget -= bytes.len();
    String::from_utf8(bytes).map_err(|_| Stop::Broken)
}

/// Why a submission stopped.
enum Stop {
    Refused(DomainError),
    Csrf,
    Broken,
}

/// `POST /portal/compose`: reads the form in order, checks the CSRF token before
/// anything else, streams attachments into the draft, then seals and sends. A
/// refused submission keeps its attachments in a kept draft, which the corrected
/// form brings back (see [`resume`]).
pub async fn send(
    State(state): State<AppState>,
    signed: Signed,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let visitor = &signed.visitor;
    let mut form = ComposeForm::default();
    let mut draft: Option<Draft> = None;
    // Kept attachments offered back, until the form says which to keep.
    let mut offered: Vec<u32> = Vec::new();
    let mut budget = MAX_TEXT_TOTAL;
    // The form names a kept draft that is gone (taken already, or expired).
    let mut kept_lost = false;
    let outcome: Result<(), Stop> = async {
        while let Some(field) = multipart.next_field().await.map_err(|_| Stop::Broken)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name != "csrf" && !visitor.csrf_ok(&form.csrf) {
                return Err(Stop::Csrf);
            }
            match name.as_str() {
                "csrf" => form.csrf = text(field, &mut budget).await.map_err(|_| Stop::Csrf)?,
                "attachments" => {
                    let file_name = field.file_name().unwrap_or_default().to_owned();
                    if file_name.is_empty() {
                        continue;
                    }
                    if draft.is_none() {
                        draft = Some(start(&state, &signed, &form).await.map_err(Stop::Refused)?);
                    }
                    let Some(current) = draft.as_mut() else {
                        return Err(Stop::Broken);
                    };
                    prune(&state, current, &mut offered, &form.keep).await;
                    upload(&state, current, field, &file_name).await?;
                }
                other => {
                    let value = text(field, &mut budget).await?;
                    match other {
                        "account" => form.account = value,
                        "profile" => form.profile = value,
                        "reply" => form.reply = value,
                        "kind" => form.kind = value,
                        "to" => form.to = value,
                        "cc" => form.cc = value,
                        "subject" => form.subject = value,
                        "body" => form.body = value.replace("\r\n", "\n"),
                        "allow_reply" => form.allow_reply = true,
                        "allow_reply_all" => form.allow_reply_all = true,
                        "allow_forward" => form.allow_forward = true,
                        "read_receipt" => form.read_receipt = true,
                        "expires_on" => form.expires_on = value,
                        "format" => form.format = value,
                        "keep" => form.keep.extend(value.parse::<u32>().ok()),
                        "draft" if draft.is_none() => {
                            draft = resume(&state, &signed, &form, &value).await;
                            kept_lost = !value.is_empty() && draft.is_none();
                            offered = draft
                                .as_ref()
                                .map(|d| d.attachments().iter().map(|a| a.part).collect())
                                .unwrap_or_default();
                            form.draft = value;
                        }
                        _ => {}
                    }
                }
            }
        }
        if !visitor.csrf_ok(&form.csrf) {
            return Err(Stop::Csrf);
        }
        if kept_lost && !form.keep.is_empty() {
            // Never send without files the sender chose to keep: ask for them again.
            return Err(Stop::Refused(DomainError::invalid(
                "attachments",
                sealpost_domain::ValidationError::KeptAttachmentsLost,
            )));
        }
        if let Some(current) = draft.as_mut() {
            prune(&state, current, &mut offered, &form.keep).await;
        }
        Ok(())
    }
    .await;

    let (refusal, kept) = match outcome {
        Ok(()) => {
            let draft = match draft.take() {
                Some(draft) => draft,
                None => match start(&state, &signed, &form).await {
                    Ok(draft) => draft,
                    Err(error) => return refused(&state, &signed, &form, Kept::default(), error).await,
                },
            };
            match state
                .services
                .send_draft(draft, &form.request(), Some(&visitor.client))
                .await
            {
                Ok(message) => {
                    let flash = Flash::new("flash-message-sent", &[]);
                    return Ok(see_other_with_flash(
                        &state,
                        &format!("/portal/sent/{}", message.public_id),
                        &flash,
                    ));
                }
                Err((draft, error)) => (error, keep(&state, draft).await),
            }
        }
        Err(stop) => {
            if matches!(stop, Stop::Refused(_)) {
                drain(&mut multipart).await;
            }
            let kept = match (draft.take(), &stop) {
                (Some(draft), Stop::Refused(_)) => keep(&state, draft).await,
                (Some(draft), _) => {
                    state.services.discard_draft(draft).await;
                    Kept::default()
                }
                (None, _) => Kept::default(),
            };
            match stop {
                Stop::Csrf => return Err(WebError::Csrf(visitor.locale)),
                Stop::Refused(error) => (error, kept),
                Stop::Broken => (
                    DomainError::invalid("attachments", sealpost_domain::ValidationError::AttachmentsTooLarge),
                    kept,
                ),
            }
        }
    };
    refused(&state, &signed, &form, kept, refusal).await
}

/// The kept draft named by a form's `draft` token, if it is the sender's and was
/// started for the same account and the same original; a draft that no longer
/// fits the form is discarded (its files must then be chosen again).
async fn resume(state: &AppState, signed: &Signed, form: &ComposeForm, token: &str) -> Option<Draft> {
    let draft = state.services.take_kept_draft(&signed.actor, token).await?;
    let same_account = form.account.is_empty() || form.account == draft.account_number().to_string();
    if same_account && draft.answers() == form.reply() {
        Some(draft)
    } else {
        state.services.discard_draft(draft).await;
        None
    }
}

/// Removes the offered kept attachments the form no longer wants (once, before
/// the first new file or at the end).
async fn prune(state: &AppState, draft: &mut Draft, offered: &mut Vec<u32>, keep: &[u32]) {
    for part in offered.drain(..) {
        if !keep.contains(&part) {
            state.services.remove_attachment(draft, part).await;
        }
    }
}

/// Keeps a refused draft for the corrected form; what the page then lists.
async fn keep(state: &AppState, draft: Draft) -> Kept {
    let files = draft.attachments().iter().map(AttachmentRow::from).collect();
    match state.services.keep_draft(draft).await {
        Some(token) => Kept { files, token },
        None => Kept::default(),
    }
}

async fn refused(
    state: &AppState,
    signed: &Signed,
    form: &ComposeForm,
    kept: Kept,
    error: DomainError,
) -> Result<Response, WebError> {
    let visitor = &signed.visitor;
    let message = match error.validation() {
        Some(v) => visitor.t.get(v.message_id()),
        None => return Err(WebError::from_domain(visitor.locale, error)),
    };
    let field = match &error {
        DomainError::Invalid { field, .. } => Some(*field),
        _ => None,
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(render_status(
        status,
        &page(state, signed, form, kept, Some(FormError { field, message })).await?,
    ))
}

async fn start(state: &AppState, signed: &Signed, form: &ComposeForm) -> Result<Draft, DomainError> {
    match form.reply() {
        Some((id, kind)) => state
            .services
            .start_reply(&signed.actor, &id, kind)
            .await
            .map(|(draft, _)| draft),
        None => {
            let account = AccountNumber::parse(&form.account);
            state
                .services
                .start_draft_with_profile(&signed.actor, account, form.profile())
                .await
        }
    }
}

async fn upload(state: &AppState, draft: &mut Draft, mut field: Field<'_>, file_name: &str) -> Result<(), Stop> {
    let content_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
    let mut upload = state
        .services
        .add_attachment(draft, file_name, &content_type)
        .await
        .map_err(Stop::Refused)?;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                if let Err(error) = upload.push(&chunk).await {
                    upload.abort().await;
                    return Err(Stop::Refused(error));
                }
            }
            Ok(None) => break,
            Err(_) => {
                upload.abort().await;
                return Err(Stop::Broken);
            }
        }
    }
    upload.finish(draft).await.map_err(Stop::Refused)
}

/// Reads and discards the rest of a refused upload (up to 256 MiB), so the browser,
/// still sending, receives the refusal page instead of a reset connection.
async fn drain(multipart: &mut Multipart) {
    let mut left: usize = 256 * 1024 * 1024;
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(chunk)) = field.chunk().await {
            left = left.saturating_sub(chunk.len());
            if left == 0 {
                return;
            }
        }
    }
}
