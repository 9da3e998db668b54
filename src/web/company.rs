//! What every profile may read of its company: `/area-clienti/linee` (the company's lines,
//! for the profiles that see them all) and `/area-clienti/profili` (what each profile sees
//! and may do, printed from the permission source).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Deserialize;

use super::AppState;
use super::account::layout_for;
use super::pages::Layout;
use crate::clock::in_rome_date;
use crate::db::{companies, lines};
use crate::domain::{PhoneNumber, Profile};
use crate::user_management::{CAPABILITIES, Reach, sees_company_lines};
use crate::web::error::AppError;
use crate::web::kit::paging::{Page, PageLinks};
use crate::web::kit::return_to::own_area_path;
use crate::web::kit::{CsrfToken, CurrentUser};

pub const LINES: &str = "/area-clienti/linee";
pub const PROFILES: &str = "/area-clienti/profili";
const LINES_PER_PAGE: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(LINES, get(company_lines))
        .route(PROFILES, get(profiles))
}

#[derive(Deserialize, Default)]
struct LinesQuery {
    #[serde(default)]
    pagina: String,
}

pub struct LineRow {
    pub number: String,
    pub contract_id: String,
    pub since: String,
    pub assigned: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/lines.html")]
pub struct LinesPage {
    pub layout: Layout,
    pub company_name: String,
    pub total: i64,
    pub rows: Vec<LineRow>,
    pub pages: PageLinks,
    pub page_count: i64,
}

/// Every line of the company, 50 a page: for the profiles that PRODUCT.md lets see them all
/// (an Utilizzatore sees their own line on the Profilo page, and gets 404 here).
async fn company_lines(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<LinesQuery>,
) -> Result<LinesPage, AppError> {
    if !sees_company_lines(user.profile) {
        return Err(AppError::NotFound);
    }
    let mut conn = state.pool.acquire().await?;
    let company = companies::find(&mut conn, user.company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let total = lines::count_for_company(&mut conn, user.company_id).await?;
    let page_count = Page {
        number: 1,
        size: LINES_PER_PAGE,
    }
    .count_for(total);
    // Pages past the last are the last.
    let page = Page::read(&query.pagina, LINES_PER_PAGE, page_count);
    let listed =
        lines::page_for_company(&mut conn, user.company_id, page.offset(), page.size).await?;
    let rows = listed
        .into_iter()
        .map(|line| LineRow {
            number: PhoneNumber::grouped(&line.number),
            contract_id: line.contract_id,
            since: in_rome_date(line.created_at),
            assigned: line.assigned,
        })
        .collect();
    Ok(LinesPage {
        layout: layout_for(&user, csrf),
        company_name: company.name,
        total,
        rows,
        pages: page.links(page.number < page_count, |n| format!("{LINES}?pagina={n}")),
        page_count,
    })
}

/// One profile as the Profili page presents it.
pub struct ProfileColumn {
    pub name: &'static str,
    pub summary: &'static str,
    /// This is the reader's own profile.
    pub own: bool,
    /// The login asks this profile for a second factor (`MFA_REQUIRED_FOR`).
    pub second_factor: bool,
}

pub struct CapabilityRow {
    pub what: &'static str,
    /// One cell per profile, in the order of the columns: the words and a class for the mark.
    pub cells: Vec<(&'static str, &'static str)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/profiles.html")]
pub struct ProfilesPage {
    pub layout: Layout,
    pub columns: Vec<ProfileColumn>,
    pub rows: Vec<CapabilityRow>,
    /// Where "Torna indietro" goes: the page that linked here, when it is one of ours.
    pub back: Option<String>,
}

/// The order of the matrix in PRODUCT.md.
const PROFILE_ORDER: [Profile; 4] = [
    Profile::LegalRepresentative,
    Profile::AdminFull,
    Profile::AdminLight,
    Profile::User,
];

/// A profile in one sentence, as the profile choices and the Profili page say it.
pub fn summary(profile: Profile) -> &'static str {
    match profile {
        Profile::LegalRepresentative => {
            "Chi firma il contratto: registra i dipendenti e decide chi accede all'Area Clienti. Lo cambia solo una variazione del contratto."
        }
        Profile::AdminFull => {
            "Il delegato del Rappresentante Legale: vede tutto, compresa Gestione Utenze, ma non aggiunge né modifica utenti."
        }
        Profile::AdminLight => "Vede i dati dell'azienda e tutte le sue linee, non gli utenti.",
        Profile::User => "Vede solo la propria linea e il proprio profilo.",
    }
}

fn words(reach: Reach) -> (&'static str, &'static str) {
    match reach {
        Reach::Yes => ("Sì", "yes"),
        Reach::ReadOnly => ("Sì, in sola lettura", "partly"),
        Reach::OwnOnly => ("Solo la propria linea", "partly"),
        Reach::No => ("No", "no"),
    }
}

#[derive(Deserialize, Default)]
struct ProfilesQuery {
    /// The page that linked here (`?da=`), to go back to with the form as it was left.
    #[serde(default)]
    da: String,
}

async fn profiles(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<ProfilesQuery>,
) -> Result<ProfilesPage, AppError> {
    let columns = PROFILE_ORDER
        .iter()
        .map(|&p| ProfileColumn {
            name: p.label(),
            summary: summary(p),
            own: p == user.profile,
            second_factor: state.config.mfa_required(p),
        })
        .collect();
    let rows = CAPABILITIES
        .iter()
        .map(|c| CapabilityRow {
            what: c.what,
            cells: PROFILE_ORDER.iter().map(|&p| words((c.reach)(p))).collect(),
        })
        .collect();
    Ok(ProfilesPage {
        layout: layout_for(&user, csrf),
        columns,
        rows,
        back: own_area_path(&query.da),
    })
}
