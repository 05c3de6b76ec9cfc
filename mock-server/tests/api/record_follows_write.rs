//! The record follows the write, on the binary as a user runs it: random
//! sequences of API and control-plane operations touching every kind of
//! stored thing (partners, accounts, visibility, teams, emails, links,
//! uploads and their contents, letters and their events, charges, webhook
//! deliveries, the business clock), then `kill -9` once the state file holds
//! them, a restart, and the exported state is the one before.

use ar24_client::{Call, ControlPlane, NewPartner};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{Api, letter_to, unique_email, user_form, with};
use crate::persistence::{Running, start, wait_written};

/// One operation, its targets picked by index among what exists.
#[derive(Debug, Clone)]
enum Op {
    /// A partner creates a user; a ready one is confirmed, has accepted the
    /// CGU (an email and a used link) and has a payment method.
    CreateUser { partner: usize, ready: bool },
    /// A CGU request email, its link left unused.
    RequestCgu { user: usize },
    /// A partner asks a user it did not create for access; the holder accepts.
    RequestAccess { partner: usize, user: usize },
    /// A user joins another's team, through the emailed invitation.
    JoinTeam { member: usize, master: usize },
    /// A new partner, with or without a default webhook.
    NewPartner { webhook: bool },
    /// A partner's settings change.
    UpdatePartner { partner: usize, global_billing: bool },
    /// A user uploads one of a few contents (the same content twice is kept once).
    Upload { user: usize, content: u8 },
    /// A user sends a letter, with the last upload of theirs, maybe with a webhook.
    Send { user: usize, webhook: bool },
    /// The recipient accepts, refuses, or the notification bounces.
    Act { letter: usize, action: usize },
    /// An identity check ordered for a user.
    Identity { user: usize },
    /// The business clock moves forward (reminders, negligence, retries fall due).
    Advance { hours: u16 },
    /// A partner (not the default one) is reset.
    ResetPartner { partner: usize },
    /// Everything is reset.
    Reset,
    /// The state is exported and imported back (the state file is then rewritten whole).
    Reimport,
    /// Waits until the state file holds everything so far: what follows is
    /// appended by later writes.
    Settle,
}

fn op() -> impl Strategy<Value = Op> {
    let i = || 0usize..8;
    prop_oneof![
        4 => (i(), any::<bool>()).prop_map(|(partner, ready)| Op::CreateUser { partner, ready }),
        1 => i().prop_map(|user| Op::RequestCgu { user }),
        1 => (i(), i()).prop_map(|(partner, user)| Op::RequestAccess { partner, user }),
        1 => (i(), i()).prop_map(|(member, master)| Op::JoinTeam { member, master }),
        1 => any::<bool>().prop_map(|webhook| Op::NewPartner { webhook }),
        1 => (i(), any::<bool>()).prop_map(|(partner, global_billing)| Op::UpdatePartner { partner, global_billing }),
        2 => (i(), 0u8..3).prop_map(|(user, content)| Op::Upload { user, content }),
        3 => (i(), any::<bool>()).prop_map(|(user, webhook)| Op::Send { user, webhook }),
        2 => (i(), 0usize..3).prop_map(|(letter, action)| Op::Act { letter, action }),
        1 => i().prop_map(|user| Op::Identity { user }),
        1 => (1u16..400).prop_map(|hours| Op::Advance { hours }),
        1 => i().prop_map(|partner| Op::ResetPartner { partner }),
        1 => Just(Op::Reset),
        1 => Just(Op::Reimport),
        2 => Just(Op::Settle),
    ]
}

/// What the operations made, to pick targets from.
struct World {
    root: String,
    plane: ControlPlane,
    partners: Vec<Api>,
    /// Each user: id, email, index of the partner that sees it.
    users: Vec<(u64, String, usize)>,
    /// Each user's last upload.
    uploads: Vec<(u64, u64)>,
    letters: Vec<u64>,
}

fn pick<T>(items: &[T], at: usize) -> Option<&T> {
    (!items.is_empty()).then(|| &items[at % items.len()])
}

impl World {
    fn new(mock: &Running) -> Self {
        let default = Api::new(ar24_client::Client::new(
            &format!("{}api/", mock.root),
            "ar24-mock-token",
            "ar24-mock-private-key",
        ));
        Self {
            root: mock.root.clone(),
            plane: ControlPlane::new(&mock.root),
            partners: vec![default],
            users: Vec::new(),
            uploads: Vec::new(),
            letters: Vec::new(),
        }
    }

    /// Applies one operation; an operation refused by the mock changes nothing, and that is fine.
    async fn apply(&mut self, op: &Op) {
        match *op {
            Op::CreateUser { partner, ready } => {
                let index = partner % self.partners.len();
                let api = &self.partners[index];
                let email = unique_email();
                let form = if ready { with(user_form(&email), "confirmed", "1") } else { user_form(&email) };
                let Some(id) = api.post("user", &form).await.result()["id"].as_u64() else { return };
                if ready {
                    api.post("user/request_cgu", &[("id_user", id.to_string())]).await;
                    let _ = self.plane.accept_latest(&email, "cgu").await;
                    let _ = self.plane.add_payment_method(id).await;
                }
                self.users.push((id, email, index));
            }
            Op::RequestCgu { user } => {
                let Some((id, _, partner)) = pick(&self.users, user).cloned() else { return };
                self.partners[partner].post("user/request_cgu", &[("id_user", id.to_string())]).await;
            }
            Op::RequestAccess { partner, user } => {
                let (Some(api), Some((_, email, _))) = (pick(&self.partners, partner), pick(&self.users, user)) else {
                    return;
                };
                let asked = api.post("user/request_access", &[("email", email.clone())]).await;
                if asked.is_success() {
                    let _ = self.plane.accept_latest(email, "access").await;
                }
            }
            Op::JoinTeam { member, master } => {
                let (Some(member), Some(master)) = (pick(&self.users, member), pick(&self.users, master)) else {
                    return;
                };
                let params = [("id_user", member.0.to_string()), ("id_master", master.0.to_string())];
                if self.partners[member.2].post("user/join_team", &params).await.is_success() {
                    let _ = self.plane.accept_latest(&member.1, "team").await;
                }
            }
            Op::NewPartner { webhook } => {
                let settings = NewPartner {
                    webhook: webhook.then(|| "http://127.0.0.1:9/partner-hook".to_owned()),
                    ..Default::default()
                };
                if let Ok(partner) = self.plane.new_partner(&settings).await {
                    self.partners.push(Api::new(partner.client(&format!("{}api/", self.root))));
                }
            }
            Op::UpdatePartner { partner, global_billing } => {
                let Some(api) = pick(&self.partners, partner) else { return };
                let changes = json!({"global_billing": global_billing, "name": format!("Renamed {global_billing}")});
                let _ = self.plane.update_partner(&api.token, &changes).await;
            }
            Op::Upload { user, content } => {
                let Some((id, _, partner)) = pick(&self.users, user).cloned() else { return };
                let bytes = format!("%PDF-1.4 content {content}").into_bytes();
                let call = Call::post("attachment").param("id_user", id).file("file", "a.pdf", bytes);
                if let Some(file) = self.partners[partner].send(call).await.result()["file_id"].as_u64() {
                    self.uploads.push((id, file));
                }
            }
            Op::Send { user, webhook } => {
                let Some((id, _, partner)) = pick(&self.users, user).cloned() else { return };
                let mut form = letter_to(id, &unique_email());
                if let Some((_, file)) = self.uploads.iter().rev().find(|(owner, _)| *owner == id) {
                    form.push(("attachment[0]", file.to_string()));
                }
                if webhook {
                    // Nothing listens there: the delivery fails and waits for its retry.
                    form.push(("webhook", "http://127.0.0.1:9/hook".into()));
                }
                if let Some(letter) = self.partners[partner].post("mail", &form).await.result()["id"].as_u64() {
                    self.letters.push(letter);
                }
            }
            Op::Act { letter, action } => {
                let Some(letter) = pick(&self.letters, letter) else { return };
                let _ = self.plane.act_on_letter(*letter, ["accept", "refuse", "bounce"][action % 3]).await;
            }
            Op::Identity { user } => {
                let Some((id, _, partner)) = pick(&self.users, user).cloned() else { return };
                self.partners[partner].post("user/identity", &[("id_user", id.to_string())]).await;
            }
            Op::Advance { hours } => {
                let _ = self.plane.advance_clock(&json!(format!("{hours}h"))).await;
            }
            Op::ResetPartner { partner } => {
                // The default partner is reset only with everything.
                if self.partners.len() > 1 {
                    let api = &self.partners[1 + partner % (self.partners.len() - 1)];
                    let _ = self.plane.reset_partner(&api.token).await;
                }
            }
            Op::Reset => {
                let _ = self.plane.reset().await;
            }
            Op::Reimport => {
                let document = self.plane.export_state().await.unwrap();
                self.plane.import_state(&document).await.unwrap();
            }
            Op::Settle => wait_written(&self.root).await,
        }
    }
}

/// Runs `ops` on a mock writing a state file, kills it with `kill -9` once
/// the file holds them, starts it again: the state must be the same.
fn restart_keeps_the_state(ops: &[Op]) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let file = crate::helpers::TempPath::new("prop.log");
    let outcome = runtime.block_on(async {
        let mock = start(&file, "0.05");
        // The first write (the whole empty state) is behind: what follows is appended.
        wait_written(&mock.root).await;
        let mut world = World::new(&mock);
        for op in ops {
            world.apply(op).await;
        }
        let before = mock.state().await;
        wait_written(&mock.root).await;
        mock.kill_9();
        let again = start(&file, "0.05");
        let after = again.state().await;
        again.kill_9();
        (before, after)
    });
    drop(file);
    let (before, after) = outcome;
    prop_assert_eq!(&before, &after, "the state after kill -9 and a restart is the state before");
    Ok(())
}

proptest! {
    // Each case starts the binary twice: a few cases of many operations.
    #![proptest_config(ProptestConfig { cases: 12, max_shrink_iters: 40, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn after_kill_9_and_a_restart_the_state_is_the_state_before(ops in prop::collection::vec(op(), 10..40)) {
        restart_keeps_the_state(&ops)?;
    }
}

/// Every kind is touched by some sequence: a fixed one that touches them all.
#[test]
fn a_sequence_touching_every_kind_survives_a_restart() {
    let ops = [
        Op::NewPartner { webhook: true },
        Op::CreateUser { partner: 0, ready: true },
        Op::CreateUser { partner: 0, ready: true },
        Op::CreateUser { partner: 1, ready: true },
        Op::RequestCgu { user: 0 },
        Op::RequestAccess { partner: 1, user: 0 },
        Op::JoinTeam { member: 1, master: 0 },
        Op::UpdatePartner { partner: 0, global_billing: true },
        Op::Upload { user: 0, content: 1 },
        Op::Upload { user: 1, content: 1 },
        Op::Send { user: 0, webhook: true },
        Op::Send { user: 2, webhook: false },
        Op::Send { user: 1, webhook: false },
        Op::Act { letter: 0, action: 0 },
        Op::Act { letter: 1, action: 1 },
        Op::Identity { user: 0 },
        Op::Advance { hours: 50 },
        // A whole rewrite (visibility as runs), then more appended after it.
        Op::Reimport,
        Op::Settle,
        Op::CreateUser { partner: 1, ready: false },
        // The newest upload, letter, charge and delivery forgotten by a partner
        // reset: their ids must not come back after a restart.
        Op::Upload { user: 2, content: 2 },
        Op::Send { user: 2, webhook: true },
        Op::ResetPartner { partner: 0 },
        Op::Settle,
        Op::CreateUser { partner: 0, ready: false },
    ];
    restart_keeps_the_state(&ops).unwrap();
    // The last change a move of the clock alone, that makes nothing fall due.
    restart_keeps_the_state(&[Op::CreateUser { partner: 0, ready: true }, Op::Settle, Op::Advance { hours: 1 }])
        .unwrap();
}

/// A partner reset forgets the accounts it created, and with them the only
/// account another partner saw: that partner sees nobody, before a restart
/// as after it (found by the property above).
#[test]
fn a_partner_left_seeing_nobody_is_the_same_after_a_restart() {
    let ops = [
        Op::NewPartner { webhook: false },
        Op::CreateUser { partner: 1, ready: false },
        Op::NewPartner { webhook: false },
        Op::RequestAccess { partner: 2, user: 0 },
        Op::ResetPartner { partner: 0 },
        Op::Settle,
        Op::CreateUser { partner: 1, ready: true },
    ];
    restart_keeps_the_state(&ops).unwrap();
}

/// The fixed sequence above does make every kind of stored thing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sequence_touching_every_kind_does_touch_every_kind() {
    let file = crate::helpers::TempPath::new("prop.log");
    let mock = start(&file, "3600");
    let mut world = World::new(&mock);
    for op in [
        Op::NewPartner { webhook: true },
        Op::CreateUser { partner: 0, ready: true },
        Op::CreateUser { partner: 0, ready: true },
        Op::RequestAccess { partner: 1, user: 0 },
        Op::JoinTeam { member: 1, master: 0 },
        Op::Upload { user: 0, content: 1 },
        Op::Send { user: 0, webhook: true },
        Op::Act { letter: 0, action: 0 },
        Op::Identity { user: 0 },
        Op::Advance { hours: 50 },
    ] {
        world.apply(&op).await;
    }
    let state: Value = mock.state().await;
    for kind in ["partners", "users", "emails", "links", "attachments", "letters", "charges", "webhooks"] {
        assert!(state[kind].as_array().is_some_and(|a| !a.is_empty()), "no {kind}: {state:#}");
    }
    assert!(state["contents"].as_object().is_some_and(|c| !c.is_empty()));
    assert!(state["visible"].as_object().is_some_and(|v| v.len() == 2), "two partners see users");
    assert!(state["users"].as_array().unwrap().iter().any(|u| !u["team_master"].is_null()), "a team");
    assert!(state["clock_offset"].as_i64().is_some_and(|o| o >= 50 * 3600));
    mock.kill_9();
}
