//! Tenants, actors and credentials, set up the way an operator and a tenant administrator
//! would: the tenant and its administrator from the command line, everyone else through the
//! API.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Server, Workspace};

/// The default roles phiguard ships, each with the actor kind its policy expects and the actor
/// id the tests give it.
pub(crate) const DEFAULT_ROLES: [(&str, &str, &str); 9] = [
    ("clinician", "user", "clinician"),
    ("pharmacist", "user", "pharmacist"),
    ("fulfillment", "user", "fulfillment"),
    ("billing", "user", "billing"),
    ("support", "user", "support"),
    ("storefront", "service", "storefront"),
    ("analytics", "service", "analytics"),
    ("tenant_admin", "user", "tenant-admin-2"),
    ("platform_operator", "user", "platform-operator"),
];

/// The actor every tenant is created with.
pub(crate) const ADMIN: &str = "tenant-admin";

/// A tenant the tests set up, with the tokens of its actors.
#[derive(Debug, Clone)]
pub(crate) struct Tenant {
    /// The tenant id.
    pub(crate) id: String,
    tokens: BTreeMap<String, String>,
    credentials: BTreeMap<String, String>,
}

/// The bearer token in a command's output: the last line that looks like one.
pub(crate) fn token_in(stdout: &str) -> String {
    stdout
        .lines()
        .map(str::trim)
        .rfind(|line| line.starts_with("phg_"))
        .unwrap_or_else(|| panic!("no token in the output:\n{stdout}"))
        .to_owned()
}

impl Tenant {
    /// Creates a tenant and its administrator (`tenant-admin`, role `tenant_admin`) from the
    /// command line, and issues the administrator's credential.
    pub(crate) fn create(workspace: &Workspace, id: &str) -> Tenant {
        workspace.cli_ok(&[
            "tenants",
            "create",
            id,
            "--name",
            &format!("{id} organisation"),
            "--time-zone",
            "America/New_York",
        ]);
        workspace.cli_ok(&[
            "actors",
            "create",
            "--tenant",
            id,
            ADMIN,
            "--kind",
            "user",
            "--role",
            "tenant_admin",
        ]);
        let issued = workspace.cli_ok(&["credentials", "issue", "--tenant", id, "--actor", ADMIN]);
        let mut tokens = BTreeMap::new();
        tokens.insert(ADMIN.to_owned(), token_in(&issued));
        Tenant {
            id: id.to_owned(),
            tokens,
            credentials: BTreeMap::new(),
        }
    }

    /// `/v1/tenants/<id><rest>`.
    pub(crate) fn path(&self, rest: &str) -> String {
        format!("/v1/tenants/{}{rest}", self.id)
    }

    /// The administrator's token.
    pub(crate) fn admin(&self) -> &str {
        self.token(ADMIN)
    }

    /// The token of an actor set up before.
    pub(crate) fn token(&self, actor: &str) -> &str {
        self.tokens
            .get(actor)
            .unwrap_or_else(|| panic!("no token for actor {actor}"))
    }

    /// Every token handed out in this tenant so far.
    pub(crate) fn tokens(&self) -> impl Iterator<Item = &str> {
        self.tokens.values().map(String::as_str)
    }

    /// The credential id behind an actor's token, for actors added through the API.
    pub(crate) fn credential_id(&self, actor: &str) -> &str {
        self.credentials
            .get(actor)
            .unwrap_or_else(|| panic!("no credential id for actor {actor}"))
    }

    /// Creates an actor through the API as the tenant administrator and issues it a
    /// credential; returns the token.
    pub(crate) fn add_actor(
        &mut self,
        server: &Server,
        actor: &str,
        kind: &str,
        roles: &[&str],
    ) -> String {
        server
            .post(&self.path("/actors"))
            .bearer(self.admin())
            .purpose("HSYSADMIN")
            .json(&json!({"id": actor, "kind": kind, "roles": roles}))
            .send()
            .expect_status(201);
        let issued = self.issue(server, actor, &json!({}));
        let token = issued["token"].as_str().expect("a token").to_owned();
        self.tokens.insert(actor.to_owned(), token.clone());
        self.credentials.insert(
            actor.to_owned(),
            issued["id"].as_str().expect("a credential id").to_owned(),
        );
        token
    }

    /// Issues another credential to an existing actor; returns the API's answer.
    pub(crate) fn issue(&self, server: &Server, actor: &str, body: &Value) -> Value {
        server
            .post(&self.path(&format!("/actors/{actor}/credentials")))
            .bearer(self.admin())
            .purpose("HSYSADMIN")
            .json(body)
            .send()
            .expect_status(201)
            .json()
    }

    /// Adds one actor for every default role (see [`DEFAULT_ROLES`]).
    pub(crate) fn add_default_roles(&mut self, server: &Server) {
        for (role, kind, actor) in DEFAULT_ROLES {
            self.add_actor(server, actor, kind, &[role]);
        }
    }

    /// The tenant administrator's view of the tenant's counts (`subjects`, `records`, ...).
    pub(crate) fn counts(&self, server: &Server) -> Value {
        let tenant = server
            .get(&self.path(""))
            .bearer(self.admin())
            .purpose("HSYSADMIN")
            .send();
        tenant.expect_status(200);
        tenant.json()["counts"].clone()
    }

    /// Every audit event of the tenant, oldest first, read by the administrator.
    pub(crate) fn audit_events(&self, server: &Server) -> Vec<Value> {
        let mut events = Vec::new();
        let mut after: Option<u64> = None;
        loop {
            let query = match after {
                Some(seq) => format!("/audit-events?limit=1000&after={seq}"),
                None => "/audit-events?limit=1000".to_owned(),
            };
            let page = server
                .get(&self.path(&query))
                .bearer(self.admin())
                .purpose("HSYSADMIN")
                .send();
            page.expect_status(200);
            let page = page.json();
            let items = page["items"].as_array().expect("items").clone();
            let last_page = items.len() < 1000;
            after = items.last().and_then(|e| e["seq"].as_u64());
            events.extend(items);
            // Every read is itself recorded, so there is always one newer event: stop at the
            // first page that is not full.
            if last_page {
                return events;
            }
        }
    }

    /// Searches as `actor` with `purpose` and returns the hits as (subject, record) pairs.
    pub(crate) fn search(
        &self,
        server: &Server,
        actor: &str,
        purpose: &str,
        query: &Value,
    ) -> Vec<(String, String)> {
        let found = server
            .post(&self.path("/search"))
            .bearer(self.token(actor))
            .purpose(purpose)
            .json(query)
            .send();
        found.expect_status(200);
        found.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|hit| {
                (
                    hit["subject_id"].as_str().expect("subject_id").to_owned(),
                    hit["record_id"].as_str().expect("record_id").to_owned(),
                )
            })
            .collect()
    }

    /// Imports a body through the API as the administrator.
    pub(crate) fn import(&self, server: &Server, format: &str, body: Vec<u8>) -> Value {
        let imported = server
            .post(&self.path(&format!("/import/{format}")))
            .bearer(self.admin())
            .purpose("HSYSADMIN")
            .body("application/json", body)
            .send();
        imported.expect_status(201);
        imported.json()
    }
}
