//! The CSV import of employees (CONTRACT.md §4c). [`preview`] checks every row of a file
//! as Aggiungi checks its form (the same parsers and messages, the same database rules),
//! plus duplicates inside the file, and keeps the rows server-side (`pending_imports`) for
//! 30 minutes; nothing else is written. [`confirm`] checks them again and adds every
//! valid row in one transaction, each exactly as Aggiungi does (audit event, username
//! e-mail in the outbox when registering). A preview is confirmed once, by whoever made it.

use std::collections::HashMap;

use sqlx::{Acquire, PgConnection, PgPool};
use time::Duration;
use uuid::Uuid;

use super::common::{self, free_line, require};
use super::csv_rows::CsvRow;
use super::edit::add_in;
use super::permissions::{can_import, may_grant};
use super::{ManageError, Manager, UserDetails};
use crate::config::Config;
use crate::db::{pending_imports, users};
use crate::domain::{DomainError, EmailAddress, PhoneNumber, Username};
use crate::validation::FieldErrors;

/// How long a preview can be confirmed.
pub const PREVIEW_LIFETIME: Duration = Duration::minutes(30);

/// One row of the file with the verdict: valid (`details`), or its errors by field.
#[derive(Debug)]
pub struct CheckedRow {
    pub row: CsvRow,
    pub details: Option<UserDetails>,
    pub errors: FieldErrors,
}

/// What the preview shows: every row, and the id to confirm with (when a row is valid).
#[derive(Debug)]
pub struct Preview {
    pub id: Option<Uuid>,
    pub rows: Vec<CheckedRow>,
}

impl Preview {
    pub fn valid(&self) -> usize {
        self.rows.iter().filter(|r| r.details.is_some()).count()
    }

    pub fn invalid(&self) -> usize {
        self.rows.len() - self.valid()
    }
}

/// What a confirmation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// `imported` users added (and e-mailed when `registered`); `skipped` rows were no
    /// longer valid (e.g. a username taken meanwhile).
    Done {
        imported: usize,
        skipped: usize,
        registered: bool,
    },
    /// This preview was confirmed before: nothing done again.
    AlreadyUsed,
    /// Older than [`PREVIEW_LIFETIME`]: nothing done.
    Expired,
}

/// Checks the rows and, when at least one is valid, keeps them for [`confirm`].
pub async fn preview(
    pool: &PgPool,
    m: &Manager<'_>,
    rows: Vec<CsvRow>,
) -> Result<Preview, ManageError> {
    require(can_import(m.user))?;
    let mut tx = pool.begin().await?;
    let checked = check_rows(&mut tx, m, rows).await?;
    let mut preview = Preview {
        id: None,
        rows: checked,
    };
    if preview.valid() > 0 {
        pending_imports::delete_expired(&mut tx, m.now).await?;
        let id = Uuid::new_v4();
        let rows: Vec<&CsvRow> = preview.rows.iter().map(|r| &r.row).collect();
        let kept = pending_imports::NewPending {
            id,
            company_id: m.company_id(),
            user_id: m.user.id,
            rows: sqlx::types::Json(&rows),
            created_at: m.now,
            expires_at: m.now + PREVIEW_LIFETIME,
        };
        pending_imports::insert(&mut tx, &kept).await?;
        preview.id = Some(id);
    }
    tx.commit().await?;
    Ok(preview)
}

/// Adds every row of preview `id` that is still valid, in one transaction; `register`
/// sends each the username e-mail ("Salva e registra"). Another user's or company's id is
/// `NotFound`.
pub async fn confirm(
    pool: &PgPool,
    config: &Config,
    m: &Manager<'_>,
    id: Uuid,
    register: bool,
) -> Result<Confirmed, ManageError> {
    require(can_import(m.user))?;
    let mut tx = pool.begin().await?;
    let pending = pending_imports::lock(&mut tx, id, m.company_id(), m.user.id)
        .await?
        .ok_or(ManageError::NotFound)?;
    if pending.used_at.is_some() {
        return Ok(Confirmed::AlreadyUsed);
    }
    if pending.expires_at <= m.now {
        return Ok(Confirmed::Expired);
    }
    pending_imports::mark_used(&mut tx, id, m.now).await?;
    let checked = check_rows(&mut tx, m, pending.rows.0).await?;
    let (mut imported, mut skipped) = (0, 0);
    for row in &checked {
        let Some(details) = &row.details else {
            continue;
        };
        // A savepoint per row: a row refused now (a username taken since the preview)
        // leaves the others in.
        let mut one = Acquire::begin(&mut *tx).await?;
        match add_in(&mut one, config, m, details, register).await {
            Ok(_) => {
                one.commit().await?;
                imported += 1;
            }
            Err(ManageError::Invalid(_)) => {
                one.rollback().await?;
                skipped += 1;
            }
            Err(e) => return Err(e),
        }
    }
    tx.commit().await?;
    Ok(Confirmed::Done {
        imported,
        skipped,
        registered: register,
    })
}

/// The keys two rows may not share: username and e-mail (any case), mobile (E.164).
#[derive(Default)]
struct SeenInFile {
    usernames: HashMap<String, u64>,
    emails: HashMap<String, u64>,
    mobiles: HashMap<String, u64>,
}

fn username_key(row: &CsvRow) -> Option<String> {
    Username::parse(&row.username)
        .ok()
        .map(|u| u.as_str().to_lowercase())
}

fn email_key(row: &CsvRow) -> Option<String> {
    EmailAddress::parse(&row.email)
        .ok()
        .map(|e| e.as_str().to_lowercase())
}

fn mobile_key(row: &CsvRow) -> Option<String> {
    PhoneNumber::parse_optional(&row.input().mobile)
        .ok()
        .flatten()
        .map(|p| p.as_str().to_owned())
}

/// Every row through the Aggiungi form's parser, the permission source (may this profile
/// be given), the file's earlier rows and the database.
async fn check_rows(
    conn: &mut PgConnection,
    m: &Manager<'_>,
    rows: Vec<CsvRow>,
) -> Result<Vec<CheckedRow>, ManageError> {
    let in_use = InUse::load(conn, m, &rows).await?;
    let mut seen = SeenInFile::default();
    let mut checked = Vec::with_capacity(rows.len());
    for row in rows {
        let mut errors = FieldErrors::default();
        if let Some(width) = row.wrong_width {
            errors.add("riga", format!("La riga ha {width} valori invece di 6: controlla il separatore e le virgolette."));
        }
        let details = match row.input().parse() {
            Ok(d) if !may_grant(m.user, d.profile) => {
                errors.add("profile", DomainError::InvalidProfile.to_string());
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                merge(&mut errors, &e);
                None
            }
        };
        duplicates_in_file(&mut seen, &row, &mut errors);
        in_use.check(&row, &mut errors);
        if let Some(d) = details.as_ref().filter(|_| errors.is_empty()) {
            line_rules(conn, m, d, &mut errors).await?;
        }
        let details = details.filter(|_| errors.is_empty());
        checked.push(CheckedRow {
            row,
            details,
            errors,
        });
    }
    Ok(checked)
}

fn merge(into: &mut FieldErrors, from: &FieldErrors) {
    for (field, message) in from.all() {
        into.add(field, message.clone());
    }
}

/// A username, e-mail or mobile already on an earlier row of the file: named by its line.
fn duplicates_in_file(seen: &mut SeenInFile, row: &CsvRow, errors: &mut FieldErrors) {
    let checks = [
        (
            username_key(row),
            &mut seen.usernames,
            "username",
            "Username",
        ),
        (
            email_key(row),
            &mut seen.emails,
            "email",
            "Indirizzo e-mail",
        ),
        (
            mobile_key(row),
            &mut seen.mobiles,
            "mobile",
            "Numero di cellulare",
        ),
    ];
    for (key, map, field, what) in checks {
        let Some(key) = key else { continue };
        match map.get(&key) {
            Some(line) => errors.add(
                field,
                format!("{what} già presente alla riga {line} del file."),
            ),
            None => {
                map.insert(key, row.line);
            }
        }
    }
}

/// The mobile's line as Aggiungi checks it: not another company's, not someone else's.
async fn line_rules(
    conn: &mut PgConnection,
    m: &Manager<'_>,
    d: &UserDetails,
    errors: &mut FieldErrors,
) -> Result<(), ManageError> {
    let Some(mobile) = &d.mobile else {
        return Ok(());
    };
    match free_line(conn, m, mobile, None).await {
        Ok(_) => Ok(()),
        Err(ManageError::Invalid(e)) => {
            merge(errors, &e);
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// What the database already holds of the file's values: usernames in use anywhere,
/// e-mails and mobiles of the company's users. Read in three queries for the whole file.
struct InUse {
    usernames: Vec<String>,
    emails: Vec<String>,
    mobiles: Vec<String>,
}

impl InUse {
    async fn load(
        conn: &mut PgConnection,
        m: &Manager<'_>,
        rows: &[CsvRow],
    ) -> sqlx::Result<InUse> {
        let usernames: Vec<String> = rows.iter().filter_map(username_key).collect();
        let emails: Vec<String> = rows.iter().filter_map(email_key).collect();
        let mobiles: Vec<String> = rows.iter().filter_map(mobile_key).collect();
        Ok(InUse {
            usernames: users::usernames_in_use(conn, &usernames).await?,
            emails: users::emails_in_company(conn, m.company_id(), &emails).await?,
            mobiles: users::mobiles_in_company(conn, m.company_id(), &mobiles).await?,
        })
    }

    fn check(&self, row: &CsvRow, errors: &mut FieldErrors) {
        if username_key(row).is_some_and(|k| self.usernames.contains(&k)) {
            errors.add("username", common::USERNAME_TAKEN);
        }
        if email_key(row).is_some_and(|k| self.emails.contains(&k)) {
            errors.add("email", common::EMAIL_OF_A_USER);
        }
        if mobile_key(row).is_some_and(|k| self.mobiles.contains(&k)) {
            errors.add("mobile", common::MOBILE_OF_A_USER);
        }
    }
}
