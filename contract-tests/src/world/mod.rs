//! The Cucumber `World`: one per scenario. It holds the scenario's named users
//! and the last answer, and does the work steps ask for, the same way on
//! every target except where a person must act (see `accept_emailed`).

mod users;

use std::collections::HashMap;
use std::sync::OnceLock;

use ar24_client::{Client, ControlPlane, NewPartner};
use ar24_contract_tests::contract::flag;
use ar24_contract_tests::out_of_band::{instruct, poll_until};
use ar24_contract_tests::receiver::Receiver;
use ar24_contract_tests::record::Recorder;
use ar24_contract_tests::target::{Credentials, Target};
use ar24_contract_tests::{Answer, Call, RecordingClient};
use serde_json::Value;

pub use users::KnownUser;

/// What every scenario shares: the target and, on a mock, its control plane.
#[derive(Debug)]
pub struct Context {
    /// Where the suite runs.
    pub target: Target,
    /// The mock's control plane (`None` on the sandbox).
    pub control: Option<ControlPlane>,
}

static CONTEXT: OnceLock<Context> = OnceLock::new();

/// Sets the context once, before any scenario runs.
pub fn init(context: Context) {
    CONTEXT.set(context).expect("the suite's context is set once");
}

fn context() -> &'static Context {
    CONTEXT.get().expect("the runner sets the context before running scenarios")
}

static RECEIVER: tokio::sync::OnceCell<Receiver> = tokio::sync::OnceCell::const_new();

/// The run's webhook receiver, started on first use: on the declared address
/// for the sandbox (`AR24_WEBHOOK_URL`), on 127.0.0.1 for a mock.
pub async fn receiver() -> &'static Receiver {
    RECEIVER
        .get_or_init(|| async {
            let declared = context().target.webhook.clone();
            let listen = declared.as_ref().map_or_else(|| ([127, 0, 0, 1], 0).into(), |w| w.listen);
            Receiver::start(listen, declared.map(|w| w.public_url))
                .await
                .unwrap_or_else(|e| panic!("the webhook receiver cannot listen on {listen}: {e}"))
        })
        .await
}

/// A partner setting AR24 switches per token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// AR24 bills the partner for what its users do through the API.
    GlobalBilling,
    /// `cgu=1` at creation is honoured.
    CguPreaccepted,
}

/// A file's bytes, shared, and shown by their size only: a failing step
/// prints the world, and a file may weigh 256 MB.
#[derive(Clone, PartialEq, Eq)]
pub struct FileBytes(std::sync::Arc<[u8]>);

impl From<Vec<u8>> for FileBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes.into())
    }
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for FileBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileBytes({} bytes)", self.0.len())
    }
}

/// One scenario's state.
#[derive(cucumber::World, Debug)]
#[world(init = Self::new)]
pub struct Ar24World {
    /// Unique to this scenario, so its users' addresses are new.
    pub tag: String,
    /// The partner we act as (our token, or one with a setting the scenario needs).
    pub us: RecordingClient,
    /// Another partner, made on first use.
    second: Option<RecordingClient>,
    /// Users by their name in the scenario ("Alice").
    pub users: HashMap<String, KnownUser>,
    /// The last answer.
    pub last: Option<Answer>,
    /// The users of the last list, in order.
    pub listed: Vec<Value>,
    /// The scenario's calls, for drift reports.
    pub recorder: Recorder,
    /// The partner settings asked for so far.
    settings: Vec<Setting>,
    /// Files uploaded, by their name in the scenario: AR24's id and the bytes.
    pub files: HashMap<String, (u64, FileBytes)>,
    /// The last letter sent.
    pub letter: Option<u64>,
    /// Every letter sent in the scenario, in the order they were sent.
    pub letters_sent: Vec<u64>,
    /// The parameters of the last letter sent.
    pub sent: Vec<(String, String)>,
    /// The last one-hour eIDAS authentication.
    pub otp_hash: Option<String>,
    /// The last one-time code used.
    pub otp_code: Option<String>,
    /// A letter another partner's user sent: that partner, the user and the letter.
    pub others_letter: Option<(RecordingClient, u64, u64)>,
}

/// How long a letter's change may take to show: on a mock at once (a few
/// seconds' grace); on the sandbox the operator's timeout, or two minutes.
pub fn settle_timeout(target: &Target) -> (std::time::Duration, std::time::Duration) {
    match (&target.operator, target.is_mock()) {
        (_, true) => (std::time::Duration::from_secs(10), std::time::Duration::from_millis(100)),
        (Some(operator), false) => (operator.timeout, operator.poll_every),
        (None, false) => (std::time::Duration::from_secs(120), std::time::Duration::from_secs(5)),
    }
}

/// A fresh partner of the mock, with `settings` on.
async fn mock_partner(control: &ControlPlane, settings: &[Setting]) -> Credentials {
    let new = NewPartner {
        name: Some("Contract suite".into()),
        global_billing: settings.contains(&Setting::GlobalBilling),
        cgu_preaccepted: settings.contains(&Setting::CguPreaccepted),
        ..Default::default()
    };
    let partner = control.new_partner(&new).await.unwrap_or_else(|e| panic!("{e}"));
    Credentials { token: partner.token, private_key: partner.private_key }
}

impl Ar24World {
    /// On a mock each scenario is a partner of its own, so that what it lists
    /// is its own users only; on the sandbox it is the token AR24 gave.
    async fn new() -> Self {
        let target = &context().target;
        let recorder = Recorder::default();
        let partner = match &context().control {
            Some(control) => mock_partner(control, &[]).await,
            None => target.partner.clone(),
        };
        Self {
            tag: uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
            us: client(target, &partner).recording(recorder.clone(), "us"),
            second: None,
            users: HashMap::new(),
            last: None,
            listed: Vec::new(),
            recorder,
            settings: Vec::new(),
            files: HashMap::new(),
            letter: None,
            letters_sent: Vec::new(),
            sent: Vec::new(),
            otp_hash: None,
            otp_code: None,
            others_letter: None,
        }
    }

    /// The target.
    pub fn target(&self) -> &'static Target {
        &context().target
    }

    /// The mock's control plane, for steps that run on a mock only.
    pub fn control(&self) -> &'static ControlPlane {
        context().control.as_ref().expect("this step runs on a mock only; its scenario is skipped on the sandbox")
    }

    /// Records an answer as the last one.
    pub fn answered(&mut self, answer: Result<Answer, impl std::fmt::Display>) -> &Answer {
        let answer = answer.unwrap_or_else(|e| panic!("AR24 could not be reached: {e}"));
        self.last.insert(answer)
    }

    /// The last answer, failing the step if there is none.
    pub fn last(&self) -> &Answer {
        self.last.as_ref().expect("a step before this one calls AR24")
    }

    /// Sends `call` as us.
    pub async fn send(&mut self, call: Call) -> &Answer {
        let answer = self.us.send(&call).await;
        self.answered(answer)
    }

    /// A signed GET by us.
    pub async fn get(&mut self, route: &str, params: &[(&str, String)]) -> &Answer {
        let answer = self.us.get(route, params).await;
        self.answered(answer)
    }

    /// A signed POST by us.
    pub async fn post(&mut self, route: &str, params: &[(&str, String)]) -> &Answer {
        let answer = self.us.post(route, params).await;
        self.answered(answer)
    }

    /// Acts as a partner with `setting` (and those asked before) from now on.
    /// On a mock a fresh partner with them is made. On the sandbox our token
    /// must be declared to have it (`AR24_GLOBAL_BILLING`,
    /// `AR24_CGU_PREACCEPTED`): otherwise the step fails, rather than running
    /// on as a token without it.
    pub async fn use_partner_with(&mut self, setting: Setting) {
        self.settings.push(setting);
        if let Some(control) = &context().control {
            let partner = mock_partner(control, &self.settings).await;
            self.us = client(self.target(), &partner).recording(self.recorder.clone(), "us");
            return;
        }
        let (declared, variable) = match setting {
            Setting::GlobalBilling => (self.target().global_billing, "AR24_GLOBAL_BILLING"),
            Setting::CguPreaccepted => (self.target().cgu_preaccepted, "AR24_CGU_PREACCEPTED"),
        };
        assert!(
            declared,
            "this step needs a token with {setting:?}, and {variable} does not declare it for the sandbox token: \
             tag the scenario so that it is skipped, or set {variable}=1 if the token has it"
        );
    }

    /// A new partner of the mock that bills itself for its users' usage and
    /// has their CGU pre-accepted, so that its users can send at once.
    pub async fn another_sending_partner(&self) -> RecordingClient {
        let credentials = mock_partner(self.control(), &[Setting::GlobalBilling, Setting::CguPreaccepted]).await;
        client(self.target(), &credentials).recording(self.recorder.clone(), "another partner")
    }

    /// Another partner's client.
    pub async fn second_partner(&mut self) -> RecordingClient {
        if self.second.is_none() {
            let credentials = match (&context().control, &self.target().second_partner) {
                (Some(control), _) => mock_partner(control, &[]).await,
                (None, Some(credentials)) => credentials.clone(),
                (None, None) => panic!("this scenario needs AR24_SECOND_TOKEN and AR24_SECOND_PRIVATE_KEY"),
            };
            self.second = Some(client(self.target(), &credentials).recording(self.recorder.clone(), "another partner"));
        }
        self.second.clone().expect("set just above")
    }

    /// The user object of `name` as we see it (the call must succeed).
    pub async fn account(&self, name: &str) -> Value {
        let id = self.user(name).id();
        match self.us.get("user", &[("id_user", id.to_string())]).await {
            Ok(Answer::Success { result: Some(user), .. }) => user,
            Ok(other) => panic!("reading {name} (id {id}) failed: {}", other.outcome()),
            Err(e) => panic!("reading {name} (id {id}): {e}"),
        }
    }

    /// The flag `field` of `name`'s account; fails the step when it is
    /// missing or not a flag AR24 would write.
    pub async fn flag_of(&self, name: &str, field: &str) -> bool {
        let account = self.account(name).await;
        flag(account.get(field)).unwrap_or_else(|why| panic!("{name}'s {field} {why}"))
    }

    /// What a person does outside the API, then waits until it shows. On a
    /// mock: the latest `kind` email to `name` is opened and accepted, or
    /// `link` if given. On the sandbox: the operator is told what to do, and
    /// the API is polled until `name`'s account can be read and, if `until`
    /// names a flag, that flag is on.
    pub async fn accept_emailed(&self, name: &str, kind: &str, link: Option<&str>, ask: &str, until: Option<&str>) {
        let email = self.user(name).email.clone();
        if let Some(control) = &context().control {
            let link = match link {
                Some(link) => link.to_owned(),
                None => control.latest_link(&email, kind).await.unwrap_or_else(|e| panic!("{e}")),
            };
            control.accept_link(&link).await.unwrap_or_else(|e| panic!("{e}"));
            return;
        }
        let operator = self.target().operator.as_ref().expect("out-of-band scenarios are skipped without an operator");
        let what = match link {
            Some(link) => format!("open {link} (for {email}) and {ask}"),
            None => format!("open the AR24 email sent to {email} and {ask}"),
        };
        instruct(operator, &what);
        let by_email = [("email", email.clone())];
        let polling = self.us.unrecorded();
        let result = poll_until(operator.timeout, operator.poll_every, &what, || async {
            let answer = polling.get("user", &by_email).await.map_err(|e| e.to_string())?;
            let user = answer.result().ok_or_else(|| answer.outcome())?;
            match until {
                None => Ok(()),
                Some(field) => match flag(user.get(field)) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(format!("{field} = {}", user[field])),
                    Err(why) => Err(format!("{field} {why}")),
                },
            }
        })
        .await;
        result.unwrap_or_else(|e| panic!("{e}"));
    }
}

fn client(target: &Target, credentials: &Credentials) -> RecordingClient {
    RecordingClient::new(Client::new(&target.base_url, &credentials.token, &credentials.private_key))
}
