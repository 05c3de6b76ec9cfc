//! `--seed FILE`: the state the mock starts from and its resets return to.
//! The file is read once and never written. It holds either a state document
//! (what `GET /_mock/state` exports) or a short form a person writes by hand:
//!
//! ```json
//! {
//!   "partners": [{"token": "acme-token", "private_key": "acme-key", "name": "Acme"}],
//!   "users": [{"partner": "acme-token", "firstname": "Jeanne", "lastname": "Martin",
//!              "email": "jeanne@example.fr", "gender": "F", "statut": "particulier",
//!              "address1": "12 rue de Rivoli", "zipcode": "75004", "city": "Paris",
//!              "country": "FR", "confirmed": "1", "cgu": true, "payment_method": true}],
//!   "attachments": [{"user": "jeanne@example.fr", "path": "files/contrat.pdf"}]
//! }
//! ```
//!
//! The short form is played through the same rules as the API (a user's
//! fields are checked as `POST user` checks them), on a store of its own,
//! whose state then is the seed. Anything wrong stops the start with a
//! sentence naming the entry.

use std::path::Path;

use serde::Deserialize;

use crate::app_state::AppState;
use crate::config::Config;
use crate::domain::EmailAddress;
use crate::domain::new_user::{CreateUserForm, NewUser};
use crate::protocol::params::FilePart;
use crate::store::accounts::NewAccount;
use crate::store::partner::NewPartner;
use crate::store::snapshot::Snapshot;

/// The short form.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShortSeed {
    #[serde(default)]
    partners: Vec<NewPartner>,
    #[serde(default)]
    users: Vec<SeedUser>,
    #[serde(default)]
    attachments: Vec<SeedAttachment>,
}

/// An account: the `POST user` fields as text, and what its holder has done.
#[derive(Debug, Deserialize)]
struct SeedUser {
    /// The partner that created it (default: the configured one); `null`: signed up on the website.
    #[serde(default = "configured")]
    partner: Option<String>,
    #[serde(flatten)]
    form: CreateUserForm,
    #[serde(default)]
    cgu: bool,
    #[serde(default)]
    payment_method: bool,
    /// The address of its team administrator, a user of this seed with a payment method.
    #[serde(default)]
    team_master: Option<String>,
}

/// Stands for "the configured partner" until the configuration is known.
const CONFIGURED: &str = "\u{0}configured";

#[allow(clippy::unnecessary_wraps)]
fn configured() -> Option<String> {
    Some(CONFIGURED.to_owned())
}

/// An upload: whose, and the file (relative to the seed's folder).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedAttachment {
    user: String,
    path: std::path::PathBuf,
    /// The file name as uploaded (default: the path's).
    #[serde(default)]
    name: Option<String>,
    /// The partner that uploaded it (default: the one that created the user, else the configured one).
    #[serde(default)]
    partner: Option<String>,
}

/// Reads the seed at `path` for a mock configured by `config`, reached at
/// `public_url`: its state, or why it cannot be one.
pub fn load(path: &Path, config: &Config, public_url: &str) -> Result<Snapshot, String> {
    let bytes = std::fs::read(path).map_err(|err| format!("cannot read the seed {}: {err}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|err| format!("the seed {} is not JSON: {err}", path.display()))?;
    let scratch = AppState::new(Config { seed: None, state_file: None, ..config.clone() }, public_url)?;
    if value.get("format").is_some() {
        let snapshot: Snapshot = serde_json::from_value(value)
            .map_err(|err| format!("the seed {} is not a state document: {err}", path.display()))?;
        scratch.store.restore(snapshot.clone(), [scratch.default_partner()]).map_err(|slug| {
            format!("the seed {} is not a valid state ({}): {}", path.display(), slug.as_str(), slug.message())
        })?;
        return Ok(snapshot);
    }
    let short: ShortSeed = serde_json::from_value(value).map_err(|err| {
        format!("the seed {} is neither a state document (no \"format\") nor the short form: {err}", path.display())
    })?;
    let folder = path.parent().unwrap_or(Path::new("."));
    play(&scratch, short, folder).map_err(|why| format!("the seed {}: {why}", path.display()))?;
    Ok(scratch.store.snapshot())
}

/// Plays the short form on `scratch`, through the API's rules.
fn play(scratch: &AppState, short: ShortSeed, folder: &Path) -> Result<(), String> {
    let store = &scratch.store;
    for (n, partner) in short.partners.into_iter().enumerate() {
        let named = partner.token.clone().unwrap_or_default();
        store.add_partner(partner).map_err(|slug| format!("partners[{n}] ({named}): {}", slug.message()))?;
    }
    let mut teams = Vec::new();
    for (n, user) in short.users.into_iter().enumerate() {
        let email = user.form.email.clone().unwrap_or_default();
        let entry = format!("users[{n}] ({email})");
        let partner = match user.partner.as_deref() {
            Some(CONFIGURED) => Some(scratch.config.token.clone()),
            Some(token) if store.partner(token).is_none() => {
                return Err(format!("{entry}: no partner has the token {token:?} (list it under \"partners\")"));
            }
            other => other.map(str::to_owned),
        };
        let profile = NewUser::try_from(user.form)
            .map_err(|slug| format!("{entry}: {} ({})", slug.message().trim(), slug.as_str()))?;
        let account = NewAccount { profile, created_by: partner, cgu: user.cgu, payment_method: user.payment_method };
        let created = store.create_user(account).map_err(|slug| format!("{entry}: {}", slug.message().trim()))?;
        if let Some(master) = user.team_master {
            teams.push((entry, created.id, master));
        }
    }
    let user_at = |address: &str| EmailAddress::parse(Some(address)).ok().and_then(|email| store.user_by_email(&email));
    for (entry, member, master) in teams {
        let Some(master) = user_at(&master).filter(|m| m.payment_method) else {
            return Err(format!(
                "{entry}: its team administrator {master:?} is no user of this seed with a payment method"
            ));
        };
        store.accounts().change(member, |u| u.team_master = Some(master.id));
    }
    for (n, upload) in short.attachments.into_iter().enumerate() {
        let entry = format!("attachments[{n}] ({})", upload.path.display());
        let user = user_at(&upload.user)
            .ok_or_else(|| format!("{entry}: no user of this seed has the address {:?}", upload.user))?;
        let token = upload
            .partner
            .or_else(|| user.created_by.as_deref().map(str::to_owned))
            .unwrap_or(scratch.config.token.clone());
        let partner = store.partner(&token).ok_or_else(|| format!("{entry}: no partner has the token {token:?}"))?;
        let bytes =
            std::fs::read(folder.join(&upload.path)).map_err(|err| format!("{entry}: cannot read it: {err}"))?;
        let name = upload
            .name
            .or_else(|| upload.path.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "fichier".into());
        let file = FilePart::new("file".into(), name.clone(), bytes.into());
        store.upload(&user, &partner, name, &file);
    }
    Ok(())
}
