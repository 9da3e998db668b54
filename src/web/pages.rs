//! View structs of the HTML pages: plain data handed to askama templates.

use askama::Template;
use askama_web::WebTemplate;

pub use crate::validation::FieldErrors as FormErrors;

/// What every page's layout needs: who is logged in (for the header) and the CSRF token
/// (for the logout button and the page's own forms).
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub user: Option<NavUser>,
    /// The Servizio Clienti operator, on `/assistenza` pages.
    pub staff: Option<String>,
    pub csrf: String,
}

#[derive(Debug, Clone)]
pub struct NavUser {
    pub name: String,
    pub profile: &'static str,
}

impl Layout {
    pub fn anonymous(csrf: String) -> Layout {
        Layout {
            user: None,
            staff: None,
            csrf,
        }
    }
}

/// Any error page (404, 410, 429, 500...).
#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub title: String,
    pub message: String,
    pub links: Vec<(&'static str, &'static str)>,
    pub error_id: Option<String>,
}

impl ErrorPage {
    pub fn new(title: &str, message: &str) -> ErrorPage {
        ErrorPage {
            layout: Layout::default(),
            title: title.to_owned(),
            message: message.to_owned(),
            links: vec![("/", "Torna alla pagina iniziale")],
            error_id: None,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub username: String,
    pub error: Option<String>,
    /// Why the form is shown: after Esci, or to reach a page.
    pub notice: Option<&'static str>,
    /// The page to land on afterwards (a checked path of the customer area), or "".
    pub after_login: String,
    /// "Accedi con una passkey" is offered (not on an IP-address host).
    pub passkeys: bool,
}

/// The page of an emailed link: send the code, or type it.
#[derive(Template, WebTemplate)]
#[template(path = "credentials/link.html")]
pub struct LinkPage {
    pub layout: Layout,
    pub title: &'static str,
    pub base: String,
    pub username: String,
    pub masked_mobile: Option<String>,
    pub code_pending: bool,
    /// An explanation at the top (e.g. "codice inviato", "attendi un minuto").
    pub notice: Option<String>,
    pub errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "credentials/password.html")]
pub struct PasswordPage {
    pub layout: Layout,
    pub title: &'static str,
    pub base: String,
    pub username: String,
    pub errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/home.html")]
pub struct HomePage {
    pub layout: Layout,
    /// What the last action did (activation, login after recovery…), shown once.
    pub notice: Option<String>,
    pub first_name: String,
    pub company_name: String,
    pub profile: &'static str,
    pub show_user_management: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/profile.html")]
pub struct ProfilePage {
    pub layout: Layout,
    /// What the last action did (password or contacts changed), shown once.
    pub notice: Option<String>,
    pub company_name: String,
    pub vat_number: String,
    pub tax_code: String,
    pub line_count: i64,
    pub full_name: String,
    pub username: String,
    pub email: String,
    pub mobile: String,
    pub profile: &'static str,
    pub state: &'static str,
    /// The user's own line, for an Utilizzatore (who sees only that).
    pub own_line: Option<String>,
    pub show_user_management: bool,
    /// Every line of the company is one click away (not for an Utilizzatore).
    pub sees_lines: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "dev/mailbox.html")]
pub struct DevMailboxPage {
    pub layout: Layout,
    pub messages: Vec<DevMailView>,
}

pub struct DevMailView {
    pub channel: &'static str,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    /// Links found in the text, made clickable so the journey can be walked in a browser.
    pub links: Vec<String>,
    pub created_at: String,
}

/// Recupera Password and "chiedi nuovamente l'invio": one field, one answer for everyone.
#[derive(Template, WebTemplate)]
#[template(path = "public/request.html")]
pub struct RequestPage {
    pub layout: Layout,
    pub title: &'static str,
    pub action: &'static str,
    pub intro: &'static str,
    pub field: &'static str,
    pub label: &'static str,
    pub input_type: &'static str,
    pub autocomplete: &'static str,
    pub value: String,
    /// The request was taken: show the same confirmation whatever happened.
    pub sent: bool,
    pub sent_text: &'static str,
    pub note: &'static str,
    pub errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/contacts.html")]
pub struct ContactsPage {
    pub layout: Layout,
    pub email: String,
    pub mobile: String,
    pub errors: FormErrors,
    /// What was done, or why a code was not accepted.
    pub notice: Option<String>,
    /// A new address / number waiting for its proof (the old one is still in use).
    pub pending_email: Option<String>,
    pub pending_mobile: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/password.html")]
pub struct OwnPasswordPage {
    pub layout: Layout,
    pub username: String,
    pub errors: FormErrors,
}
