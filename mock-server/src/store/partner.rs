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
}

impl Partner {
    /// A partner with these settings.
    pub fn new(token: String, private_key: String, name: String, cgu_preaccepted: bool, global_billing: bool) -> Self {
        let keys = PartnerKeys::new(&private_key);
        Self { token, name, private_key, keys, cgu_preaccepted, global_billing }
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
    }

    /// What the control plane answers about a partner.
    pub fn view(&self) -> PartnerView {
        PartnerView {
            token: self.token.clone(),
            private_key: self.private_key.clone(),
            name: self.name.clone(),
            cgu_preaccepted: self.cgu_preaccepted,
            global_billing: self.global_billing,
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
}

/// Body of `PATCH /_mock/partners/{token}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PartnerPatch {
    pub name: Option<String>,
    pub cgu_preaccepted: Option<bool>,
    pub global_billing: Option<bool>,
}
