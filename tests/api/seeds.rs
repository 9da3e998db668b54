//! Seed builders: companies and people written straight into the database, for tests whose
//! subject is not the onboarding journey (issue 11). Plain INSERTs, so the triggers of
//! migration 0005 keep `roster_counts` and `holds_line` as the portal would.

use area_clienti::auth::PasswordHasher;
use area_clienti::domain::password::Password;
use reqwest::StatusCode;
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::helpers::{
    Browser, LINES_A, LINES_B, LR_B_EMAIL, LR_B_MOBILE, LR_EMAIL, LR_MOBILE, PASSWORD, TestApp,
    VAT_A, VAT_B, location,
};

/// The Argon2 hash of `PASSWORD`, computed once per test binary: hashing is the slow part.
async fn password_hash() -> &'static str {
    static HASH: OnceCell<String> = OnceCell::const_new();
    HASH.get_or_init(|| async {
        let password = Password::parse(PASSWORD, PASSWORD, &[]).expect("PASSWORD is strong");
        PasswordHasher::new(1)
            .unwrap()
            .hash(&password)
            .await
            .unwrap()
    })
    .await
}

/// What a seeded company is made of: as onboarding by `contract_body` would leave it.
pub struct CompanySeed<'a> {
    pub contract_id: &'a str,
    pub vat: &'a str,
    pub lr_email: &'a str,
    pub lr_mobile: Option<&'a str>,
    pub lines: &'a [&'a str],
}

/// Company A (`VAT_A`, "CTR-1", `LINES_A`, `LR_EMAIL`), as `logged_in_legal_representative`.
pub const COMPANY_A: CompanySeed<'static> = CompanySeed {
    contract_id: "CTR-1",
    vat: VAT_A,
    lr_email: LR_EMAIL,
    lr_mobile: Some(LR_MOBILE),
    lines: &LINES_A,
};

/// Company B (`VAT_B`, "CTR-B", `LINES_B`, `LR_B_EMAIL`), as `second_company`.
pub const COMPANY_B: CompanySeed<'static> = CompanySeed {
    contract_id: "CTR-B",
    vat: VAT_B,
    lr_email: LR_B_EMAIL,
    lr_mobile: Some(LR_B_MOBILE),
    lines: &LINES_B,
};

/// Fields not every test reads yet: the seed says what it made.
#[allow(dead_code)]
pub struct SeededCompany {
    pub company_id: Uuid,
    pub legal_rep: SeededUser,
}

#[allow(dead_code)]
pub struct SeededUser {
    pub id: Uuid,
    pub username: String,
    pub email: String,
    pub password: &'static str,
}

impl TestApp {
    /// An active Utilizzatore of company A, Luca Bianchi (the password alone logs them in).
    pub async fn seed_employee(&self) -> SeededUser {
        let company = self.seed_company(&COMPANY_A).await;
        self.seed_user(
            company.company_id,
            "luca.bianchi@example.it",
            None,
            "utilizzatore",
            "attivo",
        )
        .await
    }

    /// Writes the company, its contract, its lines and its legal representative (active,
    /// password `PASSWORD`, username = email) without any email or SMS.
    pub async fn seed_company(&self, seed: &CompanySeed<'_>) -> SeededCompany {
        let company_id = Uuid::new_v4();
        let vat = seed.vat.trim_start_matches("IT");
        sqlx::query(
            "INSERT INTO companies (id, name, vat_number, tax_code) \
             VALUES ($1, 'Rossi Impianti S.r.l.', $2, $2)",
        )
        .bind(company_id)
        .bind(vat)
        .execute(&self.pool)
        .await
        .unwrap();
        let legal_rep = self
            .seed_user(
                company_id,
                seed.lr_email,
                seed.lr_mobile,
                "rappresentante_legale",
                "attivo",
            )
            .await;
        sqlx::query(
            "INSERT INTO contracts (contract_id, company_id, channel, request_sha256, \
             legal_representative_user_id, lines_added) \
             VALUES ($1, $2, 'negozio', '\\x00', $3, $4)",
        )
        .bind(seed.contract_id)
        .bind(company_id)
        .bind(legal_rep.id)
        .bind(seed.lines.len() as i32)
        .execute(&self.pool)
        .await
        .unwrap();
        for number in seed.lines {
            sqlx::query(
                "INSERT INTO mobile_lines (id, company_id, contract_id, number) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(Uuid::new_v4())
            .bind(company_id)
            .bind(seed.contract_id)
            .bind(number)
            .execute(&self.pool)
            .await
            .unwrap();
        }
        SeededCompany {
            company_id,
            legal_rep,
        }
    }

    /// A user of `company_id` (username = `email`) in `state` with `profile`; an `attivo`
    /// one has the password `PASSWORD`.
    pub async fn seed_user(
        &self,
        company_id: Uuid,
        email: &str,
        mobile: Option<&str>,
        profile: &str,
        state: &str,
    ) -> SeededUser {
        let id = Uuid::new_v4();
        let hash = (state == "attivo").then_some(password_hash().await);
        sqlx::query(
            "INSERT INTO users (id, company_id, username, email, mobile, first_name, last_name, \
             profile, state, password_hash, activated_at) \
             VALUES ($1, $2, $3, $3, $4, 'Maria', 'Rossi', $5::profile, \
             $6::registration_state, $7, CASE WHEN $7 IS NULL THEN NULL ELSE now() END)",
        )
        .bind(id)
        .bind(company_id)
        .bind(email)
        .bind(mobile)
        .bind(profile)
        .bind(state)
        .bind(hash)
        .execute(&self.pool)
        .await
        .unwrap();
        SeededUser {
            id,
            username: email.to_owned(),
            email: email.to_owned(),
            password: PASSWORD,
        }
    }

    /// Company A seeded, its legal representative logged in.
    pub async fn seeded_legal_representative(&self) -> Browser {
        let company = self.seed_company(&COMPANY_A).await;
        self.logged_in_as(&company.legal_rep).await
    }

    /// Company B seeded, its legal representative logged in.
    pub async fn seeded_second_company(&self) -> Browser {
        let company = self.seed_company(&COMPANY_B).await;
        self.logged_in_as(&company.legal_rep).await
    }

    /// An active employee (username = `email`) of the company whose legal representative
    /// is `lr_username`, logged in: what `employee_logged_in` leaves, without the journey.
    pub async fn seeded_employee_logged_in(
        &self,
        lr_username: &str,
        email: &str,
        mobile: Option<&str>,
        profile: &str,
    ) -> Browser {
        let company_id: Uuid =
            sqlx::query_scalar("SELECT company_id FROM users WHERE lower(username) = lower($1)")
                .bind(lr_username)
                .fetch_one(&self.pool)
                .await
                .unwrap();
        let user = self
            .seed_user(company_id, email, mobile, profile, "attivo")
            .await;
        self.logged_in_as(&user).await
    }

    /// A new browser logged in as `user`.
    pub async fn logged_in_as(&self, user: &SeededUser) -> Browser {
        let browser = Browser::new(&self.address);
        let response = self.log_in(&browser, &user.username, user.password).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{} logs in",
            user.username
        );
        assert_eq!(
            location(&response),
            "/area-clienti",
            "{} logs in",
            user.username
        );
        browser
    }
}
