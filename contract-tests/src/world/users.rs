//! The users a scenario names ("Alice"), with the address and id AR24 gave them.

use ar24_contract_tests::RecordingClient;

use super::Ar24World;

/// A user the scenario knows.
#[derive(Debug, Clone)]
pub struct KnownUser {
    /// Their address, unique to the scenario.
    pub email: String,
    /// Their AR24 id, once created.
    pub id: Option<u64>,
}

impl KnownUser {
    /// The id, failing the step if the user was never created.
    pub fn id(&self) -> u64 {
        self.id.unwrap_or_else(|| panic!("{} has no AR24 id: creating them failed", self.email))
    }
}

impl Ar24World {
    /// A new address for `name`, unique to this scenario.
    pub fn address_of(&self, name: &str) -> String {
        let id = format!("{}-{}", name.to_lowercase(), self.tag);
        self.target().email_template.replace("{id}", &id)
    }

    /// The user `name`, known or not yet created.
    pub fn user_entry(&mut self, name: &str) -> &mut KnownUser {
        let email = self.address_of(name);
        self.users.entry(name.to_owned()).or_insert(KnownUser { email, id: None })
    }

    /// The user `name`, who must have been met before.
    pub fn user(&self, name: &str) -> &KnownUser {
        self.users.get(name).unwrap_or_else(|| panic!("the scenario has not introduced {name}"))
    }

    /// A complete, valid create-user form for `name` (a French private person).
    pub fn user_form(&mut self, name: &str) -> Vec<(String, String)> {
        let email = self.user_entry(name).email.clone();
        let form: [(&str, String); 9] = [
            ("firstname", name.to_owned()),
            ("lastname", "Contrat".into()),
            ("email", email),
            ("gender", "F".into()),
            ("statut", "particulier".into()),
            ("address1", "12 rue de Rivoli".into()),
            ("zipcode", "75004".into()),
            ("city", "Paris".into()),
            ("country", "FR".into()),
        ];
        form.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// Creates `name` with `form` as us; remembers the id on success.
    pub async fn create_user(&mut self, name: &str, form: &[(String, String)]) {
        let us = self.us.clone();
        self.create_user_as(&us, name, form).await;
    }

    /// Creates `name` with `form` as the partner `by`; remembers the id on success.
    pub async fn create_user_as(&mut self, by: &RecordingClient, name: &str, form: &[(String, String)]) {
        let params: Vec<(&str, String)> = form.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let answer = by.post("user", &params).await;
        let id = self.answered(answer).result().and_then(|r| r["id"].as_u64());
        if let Some(id) = id {
            self.user_entry(name).id = Some(id);
        }
    }
}
