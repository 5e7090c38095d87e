//! Typed fixtures: `app.tenant("acme")`, `tenant.user(&app, "alice")`, `tenant.client(&app, &[…])`, and typed
//! answers, so that a test builds its world in a few named steps and reads fields, not `["id"].as_str()`.

use serde::Deserialize;
use serde_json::json;

use crate::helpers::{TestApp, TestClient};

/// The password every fixture user has.
pub const PASSWORD: &str = "correct horse";

/// A tenant, with a client holding `keygate:tenant-admin` and that client's access token.
pub struct Tenant {
    pub id: String,
    pub admin: TestClient,
    pub admin_token: String,
}

/// A user made through `/v1/tenants/{id}/users`.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub tenant_id: String,
}

/// Any `/v1` error answer.
#[derive(Debug, Deserialize)]
pub struct ErrorAnswer {
    pub error: String,
    pub message: String,
}

impl TestApp {
    /// A new tenant `slug` and its tenant admin.
    pub async fn tenant(&self, slug: &str) -> Tenant {
        let id = self.create_tenant(slug, &[]);
        let admin = self.create_client(&["--tenant", &id, "--scope", "keygate:tenant-admin"]);
        let admin_token = self.token_for(&admin).await;
        Tenant {
            id,
            admin,
            admin_token,
        }
    }

    /// The names of the clients `auth` (an admin's token) lists through `/v1/clients`.
    pub async fn client_names(&self, auth: &str) -> Vec<String> {
        let listed = self
            .api(reqwest::Method::GET, "/v1/clients", auth, None)
            .await;
        assert_eq!(listed.status(), 200);
        let listed: serde_json::Value = listed.json().await.unwrap();
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["name"].as_str().map(String::from))
            .collect()
    }
}

impl Tenant {
    /// A user of this tenant with the fixture password.
    pub async fn user(&self, app: &TestApp, username: &str) -> User {
        let created = app
            .api_post(
                &format!("/v1/tenants/{}/users", self.id),
                &self.admin_token,
                json!({"username": username, "password": PASSWORD}),
            )
            .await;
        serde_json::from_value(created).expect("a user")
    }

    /// Changes this tenant's user `user_id` (`PATCH /v1/tenants/{id}/users/{user_id}`); any answer but 200 fails.
    pub async fn change_user(&self, app: &TestApp, user_id: &str, changes: serde_json::Value) {
        let path = format!("/v1/tenants/{}/users/{user_id}", self.id);
        let changed = app
            .api(
                reqwest::Method::PATCH,
                &path,
                &self.admin_token,
                Some(changes),
            )
            .await;
        assert_eq!(
            changed.status(),
            200,
            "{}",
            changed.text().await.unwrap_or_default()
        );
    }

    /// A role of this tenant.
    pub async fn role(&self, app: &TestApp, name: &str, permissions: &[&str]) {
        app.api_post(
            "/v1/roles",
            &self.admin_token,
            json!({"name": name, "permissions": permissions}),
        )
        .await;
    }

    /// A record of this tenant giving `subject` the role `role` on `resources` (a resource pattern).
    pub async fn grant(&self, app: &TestApp, subject: &str, role: &str, resources: &str) {
        app.api_post(
            "/v1/records",
            &self.admin_token,
            json!({"name": role, "subjects": [subject],
                   "statements": [{"roles": [role], "resources": [resources]}]}),
        )
        .await;
    }

    /// Opens this tenant's registration to clients without an initial access token, under `policy`; any answer
    /// but 200 fails.
    pub async fn open_registration(&self, app: &TestApp, policy: serde_json::Value) {
        let path = format!("/v1/tenants/{}/open-registration", self.id);
        let answer = app
            .api(reqwest::Method::PUT, &path, &self.admin_token, Some(policy))
            .await;
        crate::helpers::json_with_status(answer, 200).await;
    }

    /// A confidential client of this tenant with its first secret key; `extra` are `keygate client create` flags.
    pub fn client(&self, app: &TestApp, extra: &[&str]) -> TestClient {
        let mut args = vec!["--tenant", self.id.as_str()];
        args.extend_from_slice(extra);
        app.create_client(&args)
    }
}

/// A token endpoint answer.
#[derive(Debug, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
}

impl TestApp {
    /// Tokens for `client` (HTTP Basic) from a grant's form fields; any answer but 200 fails the test.
    pub async fn tokens(&self, client: &TestClient, form: &[(&str, &str)]) -> Tokens {
        let authorization = crate::helpers::basic(&client.id, &client.secret);
        let answer = self
            .post_form("/oauth/token", form, Some(&authorization))
            .await;
        let body = crate::helpers::json_with_status(answer, 200).await;
        serde_json::from_value(body).expect("a token answer")
    }

    /// A password sign-in of `username` (with the fixture password) through `client`.
    pub async fn sign_in(&self, client: &TestClient, username: &str) -> Tokens {
        let form = [
            ("grant_type", "password"),
            ("username", username),
            ("password", PASSWORD),
        ];
        self.tokens(client, &form).await
    }

    /// A refresh of `refresh_token` by `client`.
    pub async fn refresh(&self, client: &TestClient, refresh_token: &str) -> Tokens {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        self.tokens(client, &form).await
    }
}
