//! `/assistenza/sicurezza/attiva`: an operator without an app (first login, or after
//! `staff reset-factors`) enrols one before any other console page opens. The same pieces
//! as a customer's enrolment (`web::security`, `auth::factors`): the new secret waits in
//! the session until a code from the app confirms it, then the recovery codes are shown
//! once and the whole console opens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::{CONSOLE, back_to_login};
use crate::actor::Actor;
use crate::auth::factors::{self, EnrolError, Holder, totp};
use crate::auth::staff;
use crate::db::staff::StaffUser;
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::kit::Csrf;
use crate::web::kit::current::STAFF_ENROL;
use crate::web::kit::{ClientAddr, CsrfForm, CsrfToken, EnrollingStaff};
use crate::web::outcome;
use crate::web::pages::FormErrors;
use crate::web::security::{
    AppEnrolPage, CodeForm, ENROLMENT_KEY, WRONG_ENROLMENT_CODE, codes_page,
};
use crate::web::support_views::staff_layout;

fn enrol_page(staff: &StaffUser, csrf: String, secret: &[u8], errors: FormErrors) -> AppEnrolPage {
    AppEnrolPage {
        layout: staff_layout(csrf, &staff.username),
        required: true,
        // Operators have no SMS factor (the page shows the operator's text anyway).
        no_mobile: true,
        confirm_action: STAFF_ENROL,
        qr_svg: totp::qr_svg(secret, &staff.username).unwrap_or_default(),
        secret: totp::secret_text(secret),
        // Operators' passkeys are not built yet: the app only.
        passkeys: false,
        errors,
    }
}

/// The QR code and the secret as text; the same secret until it is confirmed.
pub(super) async fn form(
    enrolling: EnrollingStaff,
    CsrfToken(csrf): CsrfToken,
    session: Session,
) -> Result<Response, AppError> {
    if !enrolling.must_enrol {
        return Ok(Redirect::to(CONSOLE).into_response());
    }
    let secret = match session.get::<Vec<u8>>(ENROLMENT_KEY).await? {
        Some(secret) => secret,
        None => {
            let secret = totp::new_secret();
            session.insert(ENROLMENT_KEY, &secret).await?;
            secret
        }
    };
    let page = enrol_page(&enrolling.staff, csrf, &secret, FormErrors::default());
    Ok(page.into_response())
}

pub(super) async fn confirm(
    State(state): State<AppState>,
    enrolling: EnrollingStaff,
    ClientAddr(client): ClientAddr,
    session: Session,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, AppError> {
    let secret = session.get::<Vec<u8>>(ENROLMENT_KEY).await?;
    let Some(secret) = secret.filter(|_| enrolling.must_enrol) else {
        return Ok(Redirect::to(if enrolling.must_enrol {
            STAFF_ENROL
        } else {
            CONSOLE
        })
        .into_response());
    };
    let staff_user = &enrolling.staff;
    let actor = Actor::staff(staff_user.id, &staff_user.username, client);
    let (now, code, holder) = (
        state.clock.now(),
        form.code.trim(),
        Holder::Staff(staff_user),
    );
    match factors::enrol_app(&state.pool, holder, &actor, &secret, code, now).await {
        Ok(codes) => {
            session.remove_value(ENROLMENT_KEY).await?;
            staff::enrolled(&session).await?;
            let Some(codes) = codes else {
                return Ok(Redirect::to(CONSOLE).into_response());
            };
            let csrf = csrf.token().await?;
            Ok(codes_page(
                staff_layout(csrf, &staff_user.username),
                true,
                codes,
            ))
        }
        Err(EnrolError::WrongCode) => {
            let mut errors = FormErrors::default();
            errors.add("code", WRONG_ENROLMENT_CODE);
            let csrf = csrf.token().await?;
            let page = enrol_page(staff_user, csrf, &secret, errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        // Enrolled from another browser meanwhile: this session proved only the password,
        // so it does not open the console; the next login asks that app's code.
        Err(EnrolError::AlreadyEnrolled) => {
            staff::logout(&session).await?;
            back_to_login(&session, outcome::STAFF_APP_ALREADY_ENROLLED.to_owned()).await
        }
        // Only a customer's factors are reset pending a link (`Holder::User`).
        Err(e @ EnrolError::ReenrolByLink) => Err(AppError::Internal(e.into())),
        Err(EnrolError::Database(e)) => Err(e.into()),
    }
}
