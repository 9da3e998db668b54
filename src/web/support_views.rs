//! View structs of the Servizio Clienti 191 pages.

use askama::Template;
use askama_web::WebTemplate;
use time::OffsetDateTime;
use uuid::Uuid;

use super::kit::{Page, PageLinks};
use super::pages::Layout;
use super::user_management::registro::EventView;
use crate::db::audit::TrailRow;
use crate::db::companies::Company;
use crate::db::outbox::{Channel, Delivery};
use crate::db::support::{CompanyHit, ContractRow, LineRow, MessageRow, SEARCH_CAP, UserRow};
use crate::domain::phone::grouped;
use crate::domain::{PhoneNumber, RegistrationState};
use crate::web::invitations::{self, InvitationView};

/// Lines listed on the company sheet (the count shows how many there are in all).
pub const LINES_SHOWN: i64 = 200;

pub(super) fn staff_layout(csrf: String, staff: &str) -> Layout {
    Layout {
        user: None,
        staff: Some(staff.to_owned()),
        csrf,
    }
}

fn when(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[day]/[month]/[year] [hour]:[minute]");
    at.format(&format).unwrap_or_default()
}

#[derive(Template, WebTemplate)]
#[template(path = "support/login.html")]
pub struct StaffLoginPage {
    pub layout: Layout,
    pub username: String,
    pub failed: bool,
    pub throttled: bool,
    /// Why the operator is back here (a second step that ended or expired).
    pub notice: Option<String>,
}

pub fn login_page(csrf: String, username: String, failed: bool, throttled: bool) -> StaffLoginPage {
    StaffLoginPage {
        layout: Layout::anonymous(csrf),
        username,
        failed,
        throttled,
        notice: None,
    }
}

impl StaffLoginPage {
    pub fn with_notice(self, notice: Option<String>) -> StaffLoginPage {
        StaffLoginPage { notice, ..self }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "support/search.html")]
pub struct SearchPage {
    pub layout: Layout,
    pub q: String,
    pub hits: Vec<CompanyHit>,
    pub total: i64,
    /// More companies match than the console sorts: it asks for a narrower search.
    pub too_many: bool,
    pub pagination: PageLinks,
}

pub fn search_page(
    csrf: String,
    staff: &str,
    q: String,
    page: Page,
    hits: Vec<CompanyHit>,
) -> SearchPage {
    let found = hits.first().map_or(0, |h| h.total);
    let too_many = found > SEARCH_CAP;
    let total = found.min(SEARCH_CAP);
    let href = |p: i64| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &q)
            .append_pair("pagina", &p.to_string())
            .finish();
        format!("/assistenza?{query}")
    };
    SearchPage {
        layout: staff_layout(csrf, staff),
        pagination: page.links(page.number * page.size < total, href),
        q,
        hits,
        total,
        too_many,
    }
}

/// What the sheet of a company is made of.
pub struct SheetData {
    pub contracts: Vec<ContractRow>,
    pub users: Vec<UserRow>,
    pub lines: Vec<LineRow>,
    pub line_count: i64,
    pub messages: Vec<MessageRow>,
    pub audit: Vec<TrailRow>,
    /// The last handover of the legal representative, if any.
    pub handover: Option<crate::db::events::HandoverRow>,
    /// Set when the company is closed.
    pub closure: Option<crate::db::events::Closure>,
    /// The last access review, if any.
    pub last_review: Option<crate::db::access_reviews::LastReview>,
    /// The portal's clock, which the links of the username emails expire by.
    pub now: OffsetDateTime,
}

/// The last handover of the legal representative, as the sheet says it.
pub struct HandoverView {
    pub event_id: String,
    pub when: String,
    pub previous: String,
    pub new: String,
    pub previous_becomes: &'static str,
    /// The new legal representative has not activated yet.
    pub pending: bool,
}

/// The closure of the company, as the sheet says it.
pub struct ClosureView {
    pub when: String,
    pub event_id: String,
    /// When the worker erased its personal data, or empty.
    pub erased: String,
}

pub struct UserView {
    pub id: String,
    pub name: String,
    pub username: String,
    pub email: String,
    pub mobile: String,
    pub profile: &'static str,
    pub state: &'static str,
    pub state_label: &'static str,
    /// The latest username email: sent when, delivered or not, its link.
    pub invitation: Option<InvitationView>,
    /// Who corrects an address that was refused.
    pub correction_hint: &'static str,
    pub can_resend: bool,
    pub reason_error: Option<String>,
    /// «Azzera i fattori di accesso» (with a reason): only an active account has factors.
    pub can_reset_factors: bool,
    pub reset_error: Option<String>,
    /// The reason as typed, kept when the form comes back with an error.
    pub reset_typed: String,
}

/// A message next to one user's form on the sheet (the form comes back with 422).
#[derive(Debug, Clone, Default)]
pub struct SheetErrors {
    /// Reinvia: the user and the message.
    pub resend: Option<(Uuid, String)>,
    /// Azzera i fattori: the user, the message and the reason as typed.
    pub reset: Option<(Uuid, String, String)>,
}

pub struct MessageView {
    pub id: String,
    pub when: String,
    pub recipient: String,
    pub channel: &'static str,
    pub template: &'static str,
    pub state: &'static str,
    pub state_label: &'static str,
    pub attempts: i32,
    pub error: String,
    pub sent_at: String,
    /// When the newest delivery receipt arrived, or empty.
    pub receipt_at: String,
    /// Failed or expired, not re-queued yet, of a kind support can renew: the button.
    pub can_requeue: bool,
    /// Failed or expired, of a kind support cannot renew: what to do instead.
    pub requeue_hint: &'static str,
    /// When support sent a fresh copy.
    pub requeued_at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "support/company.html")]
pub struct CompanySheet {
    pub layout: Layout,
    pub company: Company,
    pub flash: Option<String>,
    pub contracts: Vec<(String, String, i32, String)>,
    pub users: Vec<UserView>,
    pub lines: Vec<LineRow>,
    pub line_count: i64,
    pub lines_shown: i64,
    pub messages: Vec<MessageView>,
    /// The company's recent events, in the Registro attività's sentences.
    pub events: Vec<EventView>,
    pub handover: Option<HandoverView>,
    pub closure: Option<ClosureView>,
    /// "12/09/2026 alle 10:15, di maria.rossi@example.it", or empty.
    pub last_review: String,
}

fn user_view(u: UserRow, errors: &SheetErrors, now: OffsetDateTime) -> UserView {
    let reset = errors.reset.as_ref().filter(|(id, _, _)| *id == u.id);
    UserView {
        reason_error: errors
            .resend
            .as_ref()
            .filter(|(id, _)| *id == u.id)
            .map(|(_, m)| m.clone()),
        can_reset_factors: u.state == RegistrationState::Active,
        reset_error: reset.map(|(_, m, _)| m.clone()),
        reset_typed: reset.map(|(_, _, typed)| typed.clone()).unwrap_or_default(),
        id: u.id.to_string(),
        name: format!("{} {}", u.first_name, u.last_name)
            .trim()
            .to_owned(),
        username: u.username,
        email: u.email.to_string(),
        mobile: u
            .mobile
            .as_ref()
            .map(PhoneNumber::grouped)
            .unwrap_or_default(),
        profile: u.profile.label(),
        state: u.state.as_str(),
        state_label: u.state.label(),
        invitation: u
            .invitation
            .get()
            .map(|inv| invitations::latest(inv, u.state, now)),
        correction_hint: if u.profile == crate::domain::Profile::LegalRepresentative {
            "È l'indirizzo del contratto: si corregge con un cambio del Rappresentante Legale dal canale commerciale."
        } else {
            "Chiedi al Rappresentante Legale di correggere l'indirizzo in Gestione Utenze."
        },
        can_resend: matches!(
            u.state,
            RegistrationState::Pending | RegistrationState::Active
        ),
    }
}

fn message_view(m: MessageRow) -> MessageView {
    let open = m.state.undelivered() && m.requeued_at.is_none();
    let delivery = Delivery::of(m.state, m.receipt_status);
    // The worker's error, then what the gateway or the mail system said, if anything.
    let error = [m.last_error, m.receipt_detail]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    let hint = crate::support::not_requeueable_because(m.template);
    MessageView {
        id: m.id.to_string(),
        can_requeue: open && hint.is_none(),
        requeue_hint: if open { hint.unwrap_or_default() } else { "" },
        requeued_at: m.requeued_at.map(when).unwrap_or_default(),
        when: when(m.created_at),
        // An SMS goes to a number: shown in groups, as everywhere else.
        recipient: match m.channel {
            Channel::Sms => grouped(&m.recipient),
            Channel::Email => m.recipient,
        },
        channel: m.channel.as_str(),
        template: m.template.label(),
        state_label: delivery.label(),
        state: delivery.as_str(),
        attempts: m.attempts,
        error,
        sent_at: m.sent_at.map(when).unwrap_or_default(),
        receipt_at: m.receipt_at.map(when).unwrap_or_default(),
    }
}

/// The sheet; `errors` puts a message next to one user's reason field.
pub fn company_sheet(
    csrf: String,
    staff: &str,
    company: Company,
    data: SheetData,
    flash: Option<String>,
    errors: SheetErrors,
) -> CompanySheet {
    CompanySheet {
        layout: staff_layout(csrf, staff),
        company,
        flash,
        contracts: data
            .contracts
            .into_iter()
            .map(|c| (c.contract_id, c.channel, c.lines_added, when(c.created_at)))
            .collect(),
        users: data
            .users
            .into_iter()
            .map(|u| user_view(u, &errors, data.now))
            .collect(),
        lines_shown: data.lines.len() as i64,
        lines: data.lines,
        line_count: data.line_count,
        messages: data.messages.into_iter().map(message_view).collect(),
        events: data.audit.iter().map(EventView::of).collect(),
        handover: data.handover.map(|h| HandoverView {
            event_id: h.event_id,
            when: when(h.created_at),
            previous: h.previous_username.unwrap_or_else(|| "—".to_owned()),
            new: h.new_username,
            previous_becomes: if h.previous_becomes == "amministratore_full" {
                "diventato Amministratore Full"
            } else {
                "disabilitato"
            },
            pending: h.pending,
        }),
        last_review: data
            .last_review
            .map(|r| {
                format!(
                    "{}, di {}",
                    crate::clock::in_rome_words(r.reviewed_at),
                    r.reviewer_label
                )
            })
            .unwrap_or_default(),
        closure: data.closure.map(|c| ClosureView {
            when: when(c.closed_at),
            event_id: c.closed_event_id.unwrap_or_default(),
            erased: c.erased_at.map(when).unwrap_or_default(),
        }),
    }
}
