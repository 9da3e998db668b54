//! Passkeys (WebAuthn through webauthn-rs): discoverable credentials with user verification
//! required, so a passkey alone is a complete login (something held, unlocked by something
//! known or biometric). The relying party is the host of `PUBLIC_BASE_URL`; browsers refuse
//! WebAuthn on an IP-address host, so there is no relying party then and no passkey offered.
//! Each ceremony's state waits server-side (in the session) between its two requests.

use url::{Host, Url};
use uuid::Uuid;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, WebauthnError,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};
// Not re-exported by webauthn-rs; the same version it depends on.
use webauthn_rs_proto::ResidentKeyRequirement;

use crate::db::factors::Owner;
use crate::db::passkeys::StoredPasskey;

/// A passkey's name (given by the user) is cut to this many characters.
pub const MAX_NAME: usize = 60;
/// What the browser posts back is small; anything bigger is refused before parsing.
pub const MAX_CEREMONY_BYTES: usize = 32 * 1024;

/// The portal as a WebAuthn relying party.
#[derive(Debug, Clone)]
pub struct RelyingParty {
    webauthn: Webauthn,
}

/// Why a ceremony failed: the browser's answer did not prove the passkey.
#[derive(Debug, thiserror::Error)]
pub enum CeremonyError {
    #[error("webauthn: {0}")]
    Refused(#[from] WebauthnError),
    #[error("the passkey is unknown or belongs to someone else")]
    UnknownPasskey,
}

impl RelyingParty {
    /// The relying party of `base_url`, or `None` on an IP-address host (passkeys hidden).
    /// On `localhost` (the demo, the tests) any port is allowed, as the port is often
    /// chosen at start; anywhere else the origin is exactly `base_url`'s.
    pub fn of(base_url: &Url) -> Result<Option<RelyingParty>, WebauthnError> {
        let id = match base_url.host() {
            Some(Host::Domain(domain)) => domain.to_owned(),
            Some(Host::Ipv4(_) | Host::Ipv6(_)) | None => return Ok(None),
        };
        let mut origin = base_url.clone();
        origin.set_path("");
        let builder = WebauthnBuilder::new(&id, &origin)?
            .rp_name("Area Clienti")
            .allow_any_port(id == "localhost");
        Ok(Some(RelyingParty {
            webauthn: builder.build()?,
        }))
    }

    /// Starts adding a passkey to the account `owner_id`: the user handle stored in the
    /// authenticator is the account id, and its passkeys already registered are excluded.
    pub fn start_registration(
        &self,
        owner_id: Uuid,
        username: &str,
        display_name: &str,
        existing: &[StoredPasskey],
    ) -> Result<(CreationChallengeResponse, PasskeyRegistration), WebauthnError> {
        let exclude = existing
            .iter()
            .map(|p| p.passkey.cred_id().clone())
            .collect::<Vec<_>>();
        let (mut challenge, state) = self.webauthn.start_passkey_registration(
            owner_id,
            username,
            display_name,
            Some(exclude).filter(|e| !e.is_empty()),
        )?;
        // A usernameless login needs the account in the authenticator: a discoverable
        // credential (webauthn-rs asks for one only as "preferred").
        if let Some(selection) = challenge.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        Ok((challenge, state))
    }

    pub fn finish_registration(
        &self,
        credential: &RegisterPublicKeyCredential,
        state: &PasskeyRegistration,
    ) -> Result<Passkey, WebauthnError> {
        self.webauthn.finish_passkey_registration(credential, state)
    }

    /// Starts a login without a username: any passkey of this site may answer.
    pub fn start_login(
        &self,
    ) -> Result<(RequestChallengeResponse, DiscoverableAuthentication), WebauthnError> {
        let (mut challenge, state) = self.webauthn.start_discoverable_authentication()?;
        // webauthn-rs asks for conditional mediation (autofill); this login is a button.
        challenge.mediation = None;
        Ok((challenge, state))
    }

    /// Which passkey answered a usernameless login: its user handle and credential id must
    /// name the same account.
    pub fn identify(
        &self,
        credential: &PublicKeyCredential,
        stored: &StoredPasskey,
    ) -> Result<Owner, CeremonyError> {
        let (handle, _) = self
            .webauthn
            .identify_discoverable_authentication(credential)?;
        stored
            .owner()
            .filter(|o| o.id() == handle)
            .ok_or(CeremonyError::UnknownPasskey)
    }

    /// Checks a usernameless login against the passkey it named; returns it updated
    /// (counter, backup state) to be stored again.
    pub fn finish_login(
        &self,
        credential: &PublicKeyCredential,
        state: DiscoverableAuthentication,
        stored: &StoredPasskey,
    ) -> Result<Passkey, CeremonyError> {
        let mut passkey = stored.passkey.0.clone();
        let result = self
            .webauthn
            .finish_discoverable_authentication_v2(credential, state, &passkey)?;
        passkey.update_credential(&result);
        Ok(passkey)
    }

    /// Starts the second step of a login with one of the account's passkeys.
    pub fn start_second_step(
        &self,
        passkeys: &[StoredPasskey],
    ) -> Result<(RequestChallengeResponse, PasskeyAuthentication), WebauthnError> {
        let passkeys: Vec<Passkey> = passkeys.iter().map(|p| p.passkey.0.clone()).collect();
        self.webauthn.start_passkey_authentication(&passkeys)
    }

    /// Checks the second step; returns which of `passkeys` answered, updated.
    pub fn finish_second_step(
        &self,
        credential: &PublicKeyCredential,
        state: &PasskeyAuthentication,
        passkeys: &[StoredPasskey],
    ) -> Result<(Uuid, Passkey), CeremonyError> {
        let result = self
            .webauthn
            .finish_passkey_authentication(credential, state)?;
        let stored = passkeys
            .iter()
            .find(|p| p.passkey.cred_id() == result.cred_id())
            .ok_or(CeremonyError::UnknownPasskey)?;
        let mut passkey = stored.passkey.0.clone();
        passkey.update_credential(&result);
        Ok((stored.id, passkey))
    }
}

/// The name a user typed for a passkey, made safe to store and show: control characters
/// dropped, whitespace trimmed, cut to [`MAX_NAME`]; a default when nothing is left.
pub fn clean_name(typed: &str) -> String {
    use crate::domain::text::{self, Lines};
    let name: String = typed
        .chars()
        .filter(|c| !text::is_refused(*c, Lines::Single))
        .take(MAX_NAME)
        .collect();
    match name.trim() {
        "" => "Passkey".to_owned(),
        name => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_is_no_relying_party_on_an_ip_host_and_one_on_a_domain() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(
            RelyingParty::of(&url("http://127.0.0.1:8080"))
                .unwrap()
                .is_none()
        );
        assert!(
            RelyingParty::of(&url("http://[::1]:8080"))
                .unwrap()
                .is_none()
        );
        assert!(
            RelyingParty::of(&url("http://localhost:8080"))
                .unwrap()
                .is_some()
        );
        assert!(
            RelyingParty::of(&url("https://area.example.it"))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn registration_asks_for_a_discoverable_credential_with_user_verification() {
        let rp = RelyingParty::of(&Url::parse("https://area.example.it").unwrap())
            .unwrap()
            .unwrap();
        let (challenge, _) = rp
            .start_registration(Uuid::new_v4(), "maria", "Maria Rossi", &[])
            .unwrap();
        let json = serde_json::to_value(&challenge).unwrap();
        let selection = &json["publicKey"]["authenticatorSelection"];
        assert_eq!(selection["residentKey"], "required");
        assert_eq!(selection["requireResidentKey"], true);
        assert_eq!(selection["userVerification"], "required");
        assert_eq!(json["publicKey"]["rp"]["id"], "area.example.it");
    }

    #[test]
    fn a_passkey_name_is_clean_short_and_never_empty() {
        assert_eq!(
            clean_name("  Telefono\u{7} di lavoro "),
            "Telefono di lavoro"
        );
        assert_eq!(clean_name("\n\t "), "Passkey");
        assert_eq!(clean_name(&"x".repeat(200)).chars().count(), MAX_NAME);
    }
}
