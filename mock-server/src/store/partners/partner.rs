//! A partner: a company calling the AR24 API with its token and private key.

use serde::{Deserialize, Serialize};

use crate::protocol::crypto::PartnerKeys;

/// A partner as AR24 configures it. Immutable: a settings change replaces it.
#[derive(Debug)]
pub struct Partner {
    /// The API token, sent as the `token` parameter.
    pub token: String,
    /// A label for people (mailbox, emails).
    pub name: String,
    /// The private key the signature and response key derive from.
    pub private_key: String,
    /// Keys derived once from `private_key`.
    pub keys: PartnerKeys,
    /// `cgu=1` at user creation is honoured.
    pub cgu_preaccepted: bool,
    /// The partner pays for everything its users do through the API.
    pub global_billing: bool,
    /// Where status changes of its letters are posted when a letter names no webhook.
    pub webhook: Option<String>,
}

impl Partner {
    /// A partner with these settings.
    pub fn new(token: String, private_key: String, name: String, cgu_preaccepted: bool, global_billing: bool) -> Self {
        let keys = PartnerKeys::new(&private_key);
        Self { token, name, private_key, keys, cgu_preaccepted, global_billing, webhook: None }
    }

    /// The same partner with a default webhook URL.
    pub fn with_webhook(mut self, webhook: Option<String>) -> Self {
        self.webhook = webhook.filter(|w| !w.trim().is_empty());
        self
    }

    /// The same partner with `patch` applied (token and key cannot change).
    pub fn patched(&self, patch: &PartnerPatch) -> Self {
        Self::new(
            self.token.clone(),
            self.private_key.clone(),
            patch.name.clone().unwrap_or_else(|| self.name.clone()),
            patch.cgu_preaccepted.unwrap_or(self.cgu_preaccepted),
            patch.global_billing.unwrap_or(self.global_billing),
        )
        .with_webhook(match &patch.webhook {
            Some(webhook) => webhook.clone(),
            None => self.webhook.clone(),
        })
    }

    /// What the control plane answers about a partner.
    pub fn view(&self) -> PartnerView {
        PartnerView {
            token: self.token.clone(),
            private_key: self.private_key.clone(),
            name: self.name.clone(),
            cgu_preaccepted: self.cgu_preaccepted,
            global_billing: self.global_billing,
            webhook: self.webhook.clone(),
        }
    }
}

/// The control plane's JSON for a partner.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct PartnerView {
    pub token: String,
    pub private_key: String,
    pub name: String,
    pub cgu_preaccepted: bool,
    pub global_billing: bool,
    #[serde(default)]
    pub webhook: Option<String>,
}

/// Body of `POST /_mock/partners`: everything optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct NewPartner {
    pub token: Option<String>,
    pub private_key: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub cgu_preaccepted: bool,
    #[serde(default)]
    pub global_billing: bool,
    pub webhook: Option<String>,
}

/// Body of `PATCH /_mock/partners/{token}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PartnerPatch {
    pub name: Option<String>,
    pub cgu_preaccepted: Option<bool>,
    pub global_billing: Option<bool>,
    /// `Some(None)` (JSON `null`) removes the default webhook.
    #[serde(default, deserialize_with = "present")]
    pub webhook: Option<Option<String>>,
}

/// A field that is present, even as `null`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl From<PartnerView> for Partner {
    fn from(view: PartnerView) -> Self {
        Partner::new(view.token, view.private_key, view.name, view.cgu_preaccepted, view.global_billing)
            .with_webhook(view.webhook)
    }
}
