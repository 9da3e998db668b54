//! `/dev/posta`: the development mailbox, mounted only when a transport is in dev mode.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;

use super::AppState;
use super::pages::{DevMailView, DevMailboxPage, Layout};
use crate::db::dev_mailbox::{self, DevMail};
use crate::db::outbox::Channel;
use crate::web::error::AppError;

const SHOWN: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dev/posta", get(page))
        .route("/dev/posta.json", get(json))
}

async fn page(State(state): State<AppState>) -> Result<DevMailboxPage, AppError> {
    let messages = dev_mailbox::latest(&state.pool, SHOWN).await?;
    Ok(DevMailboxPage {
        layout: Layout::default(),
        messages: messages.into_iter().map(view).collect(),
    })
}

#[derive(Serialize)]
struct JsonMail {
    id: uuid::Uuid,
    channel: &'static str,
    recipient: String,
    subject: Option<String>,
    body_text: String,
    body_html: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
}

async fn json(State(state): State<AppState>) -> Result<Json<Vec<JsonMail>>, AppError> {
    let messages = dev_mailbox::latest(&state.pool, SHOWN).await?;
    Ok(Json(
        messages
            .into_iter()
            .map(|m| JsonMail {
                id: m.id,
                channel: channel_name(m.channel),
                recipient: m.recipient,
                subject: m.subject,
                body_text: m.body_text,
                body_html: m.body_html,
                created_at: m.created_at,
            })
            .collect(),
    ))
}

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "email",
        Channel::Sms => "sms",
    }
}

fn view(m: DevMail) -> DevMailView {
    let links = m
        .body_text
        .split_whitespace()
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(str::to_owned)
        .collect();
    DevMailView {
        channel: if m.channel == Channel::Email {
            "E-mail"
        } else {
            "SMS"
        },
        recipient: m.recipient,
        subject: m.subject.unwrap_or_else(|| "SMS".to_owned()),
        body_text: m.body_text,
        links,
        created_at: m.created_at.to_string(),
    }
}
