//! The Cucumber `World`: one per scenario. It holds the scenario's named users
//! and the last answer, and does the work steps ask for, the same way on
//! every target except where a person must act (see `accept_emailed`).

mod users;

use std::collections::HashMap;
use std::sync::OnceLock;

use ar24_contract_tests::out_of_band::{ControlPlane, instruct, poll_until};
use ar24_contract_tests::record::Recorder;
use ar24_contract_tests::target::{Credentials, Target};
use ar24_contract_tests::{Answer, Ar24Client, Signing};
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

/// One scenario's state.
#[derive(cucumber::World, Debug)]
#[world(init = Self::new)]
pub struct Ar24World {
    /// Unique to this scenario, so its users' addresses are new.
    pub tag: String,
    /// The partner we act as (our token, or one with a setting the scenario needs).
    pub us: Ar24Client,
    /// Another partner, made on first use.
    second: Option<Ar24Client>,
    /// Users by their name in the scenario ("Alice").
    pub users: HashMap<String, KnownUser>,
    /// The last answer.
    pub last: Option<Answer>,
    /// The users of the last list, in order.
    pub listed: Vec<Value>,
    /// The scenario's calls, for drift reports.
    pub recorder: Recorder,
}

impl Ar24World {
    /// On a mock each scenario is a partner of its own, so that what it lists
    /// is its own users only; on the sandbox it is the token AR24 gave.
    async fn new() -> Self {
        let target = &context().target;
        let recorder = Recorder::default();
        let partner = match &context().control {
            Some(control) => control.new_partner(false, false).await.unwrap_or_else(|e| panic!("{e}")),
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
        }
    }

    /// The target.
    pub fn target(&self) -> &'static Target {
        &context().target
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

    /// A call made by us, signed as `signing` says.
    pub async fn call(&mut self, method: reqwest::Method, route: &str, params: &[(&str, String)], signing: Signing) {
        let answer = self.us.call(method, route, params, &signing).await;
        self.answered(answer);
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

    /// Acts as a partner with these settings from now on: on a mock a fresh
    /// partner is made; on the sandbox our token has them (else the scenario was skipped).
    pub async fn use_partner_with(&mut self, global_billing: bool, cgu_preaccepted: bool) {
        if let Some(control) = &context().control {
            let partner = control.new_partner(global_billing, cgu_preaccepted).await.unwrap_or_else(|e| panic!("{e}"));
            self.us = client(self.target(), &partner).recording(self.recorder.clone(), "us");
        }
    }

    /// Another partner's client.
    pub async fn second_partner(&mut self) -> Ar24Client {
        if self.second.is_none() {
            let credentials = match (&context().control, &self.target().second_partner) {
                (Some(control), _) => control.new_partner(false, false).await.unwrap_or_else(|e| panic!("{e}")),
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
            other => panic!("reading {name} (id {id}) failed: {other:?}"),
        }
    }

    /// What a person does outside the API, then waits until `done` holds for
    /// `name`'s account as we see it. On a mock: the latest `kind` email to
    /// `name` is opened and accepted, or `link` if given. On the sandbox: the
    /// operator is told what to do, and the API is polled.
    pub async fn accept_emailed(
        &self,
        name: &str,
        kind: &str,
        link: Option<&str>,
        ask: &str,
        done: fn(&Value) -> bool,
    ) {
        let email = self.user(name).email.clone();
        if let Some(control) = &context().control {
            let link = match link {
                Some(link) => link.to_owned(),
                None => control.latest_link(&email, kind).await.unwrap_or_else(|e| panic!("{e}")),
            };
            control.accept(&link).await.unwrap_or_else(|e| panic!("{e}"));
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
            match polling.get("user", &by_email).await {
                Ok(Answer::Success { result: Some(user), .. }) => done(&user),
                _ => false,
            }
        })
        .await;
        result.unwrap_or_else(|e| panic!("{e}"));
    }
}

fn client(target: &Target, credentials: &Credentials) -> Ar24Client {
    Ar24Client::new(&target.base_url, &credentials.token, &credentials.private_key)
}

/// Whether an AR24 flag is on, however it is typed (`1`, `"1"`, `true`).
pub fn is_on(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_u64() == Some(1),
        Value::String(s) => s == "1" || s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}
