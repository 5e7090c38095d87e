//! The management console in a real headless Chromium, by typing and clicking: an operator makes a tenant and its
//! first tenant administrator, who then manages only their own tenant.

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::chromium::{click, text_of, type_into, wait_for_text, wait_until_gone, Chromedriver};
use crate::fixtures::PASSWORD;
use crate::helpers::{spawn_app, TestApp};

/// `keygate operator create`: an operator account, its password given in the environment.
fn operator(app: &TestApp, username: &str) -> Value {
    let output = app
        .cli()
        .args(["operator", "create", "--username", username, "--json"])
        .env("KEYGATE_USER_PASSWORD", PASSWORD)
        .output()
        .expect("keygate runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("--json prints JSON")
}

/// Keeps what the console showed under target/tmp/console, for people to look at (and the README).
async fn screenshot(browser: &Client, name: &str) {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), browser.screenshot().await.unwrap()).unwrap();
}

/// Signs in on the console's login page (an empty organisation for an operator).
async fn console_sign_in(browser: &Client, app: &TestApp, organisation: &str, username: &str) {
    browser.goto(&app.url("/console")).await.unwrap();
    browser
        .wait()
        .for_element(Locator::Css("#username"))
        .await
        .unwrap();
    if !organisation.is_empty() {
        type_into(browser, "#tenant", organisation).await;
    }
    type_into(browser, "#username", username).await;
    type_into(browser, "#password", PASSWORD).await;
    click(browser, "button[type=submit]").await;
    // Signed in once the console names the account: a page asked for before then would be the sign-in page again.
    wait_for_text(browser, ".who", username).await;
}

#[actix_web::test]
async fn an_operator_makes_a_tenant_and_its_first_administrator_who_sees_only_that_tenant() {
    let app = spawn_app().await;
    let ops = operator(&app, "ops");
    let other = app.tenant("globex").await;
    let driver = Chromedriver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.session(profile.path()).await;

    // The operator: signed in with no organisation, sees every tenant.
    console_sign_in(&browser, &app, "", "ops").await;
    wait_for_text(&browser, ".who", "ops · operator").await;
    wait_for_text(&browser, "#count-tenants", "1").await;
    click(&browser, "nav a[href='/console/tenants']").await;
    wait_for_text(&browser, "tbody", "globex").await;

    // A bad slug shows the form again with what was typed; a good one makes the tenant.
    type_into(&browser, "#name", "Acme Inc").await;
    type_into(&browser, "#slug", "Acme Inc").await;
    browser
        .execute(
            "document.getElementById('slug').removeAttribute('pattern')",
            vec![],
        )
        .await
        .unwrap();
    click(&browser, "#create-tenant button").await;
    wait_for_text(&browser, "#error", "slug must be").await;
    wait_for_text(&browser, "#slug-error", "slug must be").await;
    let name = browser
        .find(Locator::Css("#name"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(name.as_deref(), Some("Acme Inc"));
    browser
        .find(Locator::Css("#slug"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    type_into(&browser, "#slug", "acme").await;
    screenshot(&browser, "tenants.png").await;
    click(&browser, "#create-tenant button").await;

    // Its users' page: the first tenant administrator.
    wait_for_text(&browser, "h1", "Users of Acme Inc").await;
    type_into(&browser, "#username", "tess").await;
    type_into(&browser, "#password", PASSWORD).await;
    type_into(&browser, "#display_name", "Tess Admin").await;
    click(&browser, "#tenant_admin").await;
    click(&browser, "#create-user button").await;
    wait_for_text(&browser, ".user", "tenant administrator").await;
    screenshot(&browser, "users.png").await;
    click(&browser, "#sign-out").await;
    browser
        .wait()
        .for_element(Locator::Css("#tenant"))
        .await
        .unwrap();

    // Tess manages Acme only: no tenants screen, and another tenant's users are not there.
    console_sign_in(&browser, &app, "acme", "tess").await;
    wait_for_text(&browser, ".who", "tess · Acme Inc").await;
    wait_for_text(&browser, "#count-users", "1").await;
    assert!(browser
        .find(Locator::Css("nav a[href='/console/tenants']"))
        .await
        .is_err());
    browser.goto(&app.url("/console/tenants")).await.unwrap();
    wait_for_text(&browser, "main", "keygate:admin").await;
    browser
        .goto(&app.url(&format!("/console/tenants/{}/users", other.id)))
        .await
        .unwrap();
    wait_for_text(&browser, "main", "No such tenant").await;
    browser.close().await.unwrap();

    // Each change is audited as the operator's, as through /v1.
    let admin = app.admin_token().await;
    let created = app.api_get("/v1/audit?action=user.created", &admin).await;
    let actors: Vec<&Value> = created["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["actor"])
        .collect();
    assert_eq!(actors, [&ops["id"]]);
}

/// A tenant, and its administrator tess made through `/v1` (`tenant_admin`): the tenant and tess's id.
async fn tenant_with_admin(app: &TestApp, slug: &str) -> (crate::fixtures::Tenant, String) {
    let tenant = app.tenant(slug).await;
    let tess = serde_json::json!({"username": "tess", "password": PASSWORD, "tenant_admin": true});
    let path = format!("/v1/tenants/{}/users", tenant.id);
    let created = app
        .api(
            reqwest::Method::POST,
            &path,
            &tenant.admin_token,
            Some(tess),
        )
        .await;
    let tess: Value = crate::helpers::json_with_status(created, 201).await;
    (tenant, tess["id"].as_str().expect("an id").to_string())
}

/// The status of a client_credentials request with `key`.
async fn token_status(app: &TestApp, client_id: &str, key: &str) -> u16 {
    let client = crate::helpers::TestClient {
        id: client_id.to_string(),
        secret: key.to_string(),
        key_id: String::new(),
    };
    app.token_basic(&client, "").await.status().as_u16()
}

/// `/v1/authorize`'s answer for `subject` using `permission` on `resource`.
async fn authorized(
    app: &TestApp,
    tenant: &crate::fixtures::Tenant,
    subject: &str,
    resource: &str,
    permission: &str,
) -> bool {
    let asked =
        serde_json::json!({"subject": subject, "resource": resource, "permission": permission});
    let answer = app
        .api(
            reqwest::Method::POST,
            "/v1/authorize",
            &tenant.admin_token,
            Some(asked),
        )
        .await;
    let answer: Value = answer.json().await.unwrap();
    answer["allowed"].as_bool().expect("allowed is a boolean")
}

/// The first guide's story: a role, a client for a user with that role on a resource, a key shown once that gets a
/// token `/v1/authorize` agrees with, then revoked.
#[actix_web::test]
async fn a_tenant_administrator_makes_a_client_adds_a_key_shown_once_and_revokes_it() {
    let app = spawn_app().await;
    let (tenant, _) = tenant_with_admin(&app, "acme").await;
    let bob = tenant.user(&app, "bob").await;
    let driver = Chromedriver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.session(profile.path()).await;
    console_sign_in(&browser, &app, "acme", "tess").await;

    // Roles: an Editor of documents.
    click(&browser, "nav a[href='/console/roles']").await;
    type_into(&browser, "#name", "Editor").await;
    type_into(&browser, "#permissions", "documents:read documents:write").await;
    click(&browser, "#create-role button").await;
    wait_for_text(&browser, ".role", "Editor").await;

    click(&browser, "nav a[href='/console/clients']").await;
    wait_for_text(&browser, "h1", "Service clients").await;
    click(&browser, "#new-client").await;
    wait_for_text(&browser, "h1", "New service client").await;

    // A client of bob's, Editor on his documents; a bad scope first shows the form again with its error.
    type_into(&browser, "#name", "acme backend").await;
    click(&browser, &format!("#owner_id option[value='{}']", bob.id)).await;
    type_into(&browser, "#scopes", "documents:read keygate:admin").await;
    type_into(&browser, "#role", "Editr").await;
    let documents = format!("/users/{}/documents/*", bob.id);
    type_into(&browser, "#resources", &documents).await;
    click(&browser, "#create-client button[type=submit]").await;
    wait_for_text(
        &browser,
        "#error",
        "keygate:admin may only be given to global clients",
    )
    .await;
    // …told again next to the field, with what was typed kept.
    wait_for_text(&browser, "#scopes + #scopes-error", "keygate:admin").await;
    for (field, typed) in [("#name", "acme backend"), ("#role", "Editr")] {
        let kept = browser.find(Locator::Css(field)).await.unwrap();
        assert_eq!(kept.prop("value").await.unwrap().as_deref(), Some(typed));
    }
    for field in ["#scopes", "#role"] {
        browser
            .find(Locator::Css(field))
            .await
            .unwrap()
            .clear()
            .await
            .unwrap();
    }
    type_into(&browser, "#scopes", "documents:read").await;
    type_into(&browser, "#role", "Editr").await;
    click(&browser, "#create-client button[type=submit]").await;
    // The unknown role is refused with nothing made: the client comes with its access or not at all.
    wait_for_text(&browser, "#access-error", "Editr").await;
    let names = app.client_names(&tenant.admin_token).await;
    assert!(!names.iter().any(|n| n == "acme backend"), "{names:?}");
    browser
        .find(Locator::Css("#role"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    type_into(&browser, "#role", "Editor").await;
    screenshot(&browser, "clients.png").await;
    click(&browser, "#create-client button[type=submit]").await;
    let client_id = wait_for_text(&browser, "#client-id", "sc_").await;
    wait_for_text(&browser, "#ttl", "client_credentials").await;

    // Add key: shown once, works, then listed without it.
    click(&browser, "#add-key button[type=submit]").await;
    let key = browser
        .wait()
        .for_element(Locator::Css("#new-key"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(key.starts_with("kg_sk_"), "{key}");
    screenshot(&browser, "key-created.png").await;
    assert_eq!(token_status(&app, &client_id, &key).await, 200);
    let doc = format!("/users/{}/documents/7", bob.id);
    assert!(authorized(&app, &tenant, &client_id, &doc, "documents:write").await);
    assert!(!authorized(&app, &tenant, &client_id, "/documents/7", "documents:write").await);
    click(&browser, "#back").await;
    let listed = wait_for_text(&browser, "#keys", "secret").await;
    assert!(!listed.contains(&key), "the key is never shown again");
    screenshot(&browser, "client.png").await;

    // Revoke (the confirmation accepted): refused at once.
    click(&browser, ".revoke").await;
    browser.accept_alert().await.unwrap();
    wait_for_text(&browser, "#keys", "revoked").await;
    assert_eq!(token_status(&app, &client_id, &key).await, 401);

    // A key that expires in ten days is on the overview.
    let soon = actix_web::cookie::time::OffsetDateTime::now_utc()
        + actix_web::cookie::time::Duration::days(10);
    let date = format!(
        "{:04}-{:02}-{:02}",
        soon.year(),
        u8::from(soon.month()),
        soon.day()
    );
    let set = format!("document.getElementById('expires_on').value = '{date}'");
    browser.execute(&set, vec![]).await.unwrap();
    click(&browser, "#add-key button[type=submit]").await;
    browser
        .wait()
        .for_element(Locator::Css("#new-key"))
        .await
        .unwrap();
    click(&browser, "nav a[href='/console']").await;
    wait_for_text(&browser, "#expiring", "acme backend").await;

    // The chart counts the tokens (the fixture's admin token and the key's) and the revoked key's refusal, once the
    // background flush has written them.
    let totals = crate::helpers::eventually(
        "the overview counts the refused token request",
        std::time::Duration::from_secs(10),
        || async {
            browser.refresh().await.unwrap();
            let totals = text_of(&browser, "#activity-totals").await;
            totals
                .contains("failed authentications: 1")
                .then_some(totals)
        },
    )
    .await;
    assert!(totals.contains("client_credentials: 2"), "{totals}");
    assert!(totals.contains("password: 0"), "{totals}");
    let chart = browser
        .find(Locator::Css("#activity-chart"))
        .await
        .unwrap()
        .html(false)
        .await
        .unwrap();
    for bar in [
        "client_credentials tokens</title>",
        "1 failed authentications</title>",
    ] {
        assert!(chart.contains(bar), "{chart}");
    }
    screenshot(&browser, "overview.png").await;

    // The list finds it by part of its name, in any case.
    browser
        .goto(&app.url("/console/clients?q=BACK"))
        .await
        .unwrap();
    wait_for_text(&browser, "tbody", "acme backend").await;
    browser
        .goto(&app.url("/console/clients?q=nothing"))
        .await
        .unwrap();
    wait_for_text(&browser, "#no-clients", "match").await;
    browser.close().await.unwrap();
}

#[actix_web::test]
async fn an_access_record_made_in_the_editor_grants_what_test_access_and_v1_authorize_say() {
    let app = spawn_app().await;
    let (tenant, _) = tenant_with_admin(&app, "acme").await;
    let reader = tenant.client(&app, &["--scope", "documents:read"]);
    let driver = Chromedriver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.session(profile.path()).await;
    console_sign_in(&browser, &app, "acme", "tess").await;

    // Roles: a Viewer that reads documents.
    browser.goto(&app.url("/console/roles")).await.unwrap();
    type_into(&browser, "#name", "Viewer").await;
    type_into(&browser, "#permissions", "documents:read").await;
    click(&browser, "#create-role button").await;
    wait_for_text(&browser, ".role", "Viewer").await;
    screenshot(&browser, "roles.png").await;

    // The record editor: the client is the subject, Viewer on /documents/*. An unknown role is refused first.
    click(&browser, "nav a[href='/console/records']").await;
    click(&browser, "#new-record").await;
    type_into(&browser, "#name", "reports read documents").await;
    click(&browser, &format!("#subject_{}", reader.id)).await;
    type_into(&browser, "#roles_0", "Reader").await;
    type_into(&browser, "#resources_0", "/documents/*").await;
    click(&browser, "#save-record").await;
    wait_for_text(&browser, "#error", "Reader").await;
    browser
        .find(Locator::Css("#roles_0"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    type_into(&browser, "#roles_0", "Viewer").await;
    click(&browser, "#save-record").await;
    wait_for_text(&browser, "h1", "Access record reports read documents").await;

    // Test access asks what /v1/authorize answers.
    for (permission, expected) in [("documents:read", "allowed"), ("documents:write", "denied")] {
        click(&browser, &format!("#subject option[value='{}']", reader.id)).await;
        type_into(&browser, "#resource", "/documents/7").await;
        type_into(&browser, "#permission", permission).await;
        click(&browser, "#test-access button").await;
        wait_for_text(&browser, "#test-result", expected).await;
        let allowed = authorized(&app, &tenant, &reader.id, "/documents/7", permission).await;
        assert_eq!(allowed, expected == "allowed", "{permission}");
    }
    screenshot(&browser, "record.png").await;
    browser.close().await.unwrap();
}

#[actix_web::test]
async fn users_are_managed_and_every_change_is_in_the_audit_log_linked_to_its_object() {
    let app = spawn_app().await;
    let (tenant, tess) = tenant_with_admin(&app, "acme").await;
    let bob = tenant.user(&app, "bob").await;
    let driver = Chromedriver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.session(profile.path()).await;
    console_sign_in(&browser, &app, "acme", "tess").await;
    browser
        .goto(&app.url(&format!("/console/tenants/{}/users", tenant.id)))
        .await
        .unwrap();

    // Bob is made an administrator, then signs in to the console himself.
    let row = format!("tr[data-user-id='{}']", bob.id);
    click(&browser, &format!("{row} button[value=make_admin]")).await;
    wait_for_text(&browser, &row, "tenant administrator").await;
    // A password under the policy is refused on the page; a good one is taken.
    let reset = format!("#password-{}", bob.id);
    browser
        .execute(
            &format!("document.querySelector('{reset}').removeAttribute('minlength')"),
            vec![],
        )
        .await
        .unwrap();
    type_into(&browser, &reset, "short").await;
    click(&browser, &format!("{row} .password-reset button")).await;
    wait_for_text(&browser, "#error", "8").await;
    // Told in bob's row, next to his password field, not at the new-user form's.
    wait_for_text(&browser, &format!("{reset}-error"), "8").await;
    assert!(browser.find(Locator::Css("#password-error")).await.is_err());
    type_into(&browser, &reset, "a new long password").await;
    click(&browser, &format!("{row} .password-reset button")).await;
    wait_until_gone(&browser, "#error").await;
    click(&browser, &format!("{row} button[value=disable]")).await;
    wait_for_text(&browser, &row, "disabled").await;

    // The audit log: filtered by action and object, each event linked to the user's page.
    browser
        .goto(&app.url(&format!(
            "/console/audit?action=user.updated&target={}",
            bob.id
        )))
        .await
        .unwrap();
    let events = browser
        .find_all(Locator::Css("#events .event"))
        .await
        .unwrap();
    assert_eq!(events.len(), 3, "admin, password, disabled");
    for event in events {
        assert!(
            event.text().await.unwrap().contains(&tess),
            "each change is tess's"
        );
    }
    screenshot(&browser, "audit.png").await;
    click(&browser, "#events a").await;
    wait_for_text(&browser, "h1", "Users of").await;

    // Tess unmade by herself: her console ends at once.
    let tess_row = format!("tr[data-user-id='{tess}']");
    click(&browser, &format!("{tess_row} button[value=unmake_admin]")).await;
    // `#tenant` is the sign-in page's alone (the users page has a `#password` of its own).
    browser
        .wait()
        .for_element(Locator::Css("#tenant"))
        .await
        .unwrap();
    assert!(browser
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/console/login"));
    browser.close().await.unwrap();
}

#[actix_web::test]
async fn an_operator_rotates_the_signing_key_and_edits_and_deletes_a_tenant() {
    let app = spawn_app().await;
    operator(&app, "ops");
    let acme = app.tenant("acme").await;
    let driver = Chromedriver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.session(profile.path()).await;
    console_sign_in(&browser, &app, "", "ops").await;

    // A scheduled rotation: the new key is listed as scheduled, the old one still active.
    click(&browser, "nav a[href='/console/signing-keys']").await;
    wait_for_text(&browser, "#signing-keys", "active").await;
    click(&browser, "#alg option[value=ES256]").await;
    click(&browser, "#rotate button").await;
    browser.accept_alert().await.unwrap();
    wait_for_text(&browser, "#signing-keys", "scheduled").await;
    screenshot(&browser, "signing-keys.png").await;
    let jwks = app.jwks().await;
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["alg"] == "ES256"),
        "published at once"
    );

    // The tenant's client-credentials lifetime, then the tenant deleted.
    browser.goto(&app.url("/console/tenants")).await.unwrap();
    click(&browser, "details summary").await;
    let field = format!("#ttl_client_credentials-{}", acme.id);
    type_into(&browser, &field, "600").await;
    click(&browser, ".edit-tenant button").await;
    let admin = app.admin_token().await;
    let path = format!("/v1/tenants/{}", acme.id);
    crate::helpers::eventually(
        "the form's lifetime stored",
        std::time::Duration::from_secs(10),
        || async {
            let tenant = app.api_get(&path, &admin).await;
            (tenant["ttl"]["client_credentials"] == 600).then_some(())
        },
    )
    .await;
    wait_until_gone(&browser, "details[open]").await;
    click(&browser, "details summary").await;
    click(&browser, ".delete").await;
    browser.accept_alert().await.unwrap();
    wait_until_gone(
        &browser,
        &format!("a[href='/console/tenants/{}/users']", acme.id),
    )
    .await;
    let gone = app
        .api(
            reqwest::Method::GET,
            &format!("/v1/tenants/{}", acme.id),
            &admin,
            None,
        )
        .await;
    assert_eq!(gone.status(), 404);
    browser.close().await.unwrap();
}

#[actix_web::test]
async fn a_clients_settings_are_edited_with_their_effective_lifetime_and_the_client_deleted() {
    let app = spawn_app().await;
    let (tenant, _) = tenant_with_admin(&app, "acme").await;
    let client = tenant.client(&app, &["--scope", "documents:read"]);
    let driver = Chromedriver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.session(profile.path()).await;
    console_sign_in(&browser, &app, "acme", "tess").await;
    browser
        .goto(&app.url(&format!("/console/clients/{}", client.id)))
        .await
        .unwrap();

    // A client-credentials lifetime of two minutes: the client's own, and so it is set by the client.
    click(&browser, "#edit-client summary").await;
    type_into(&browser, "#ttl_client_credentials", "120").await;
    type_into(&browser, "#scopes", " documents:write").await;
    click(&browser, "#save-client").await;
    wait_for_text(&browser, "#ttl", "120 s").await;
    let row = wait_for_text(&browser, "#ttl tbody tr:nth-child(2)", "client_credentials").await;
    assert!(row.ends_with("client"), "{row}");
    let token = app.token_basic(&client, "&scope=documents:write").await;
    let token: Value = crate::helpers::json_with_status(token, 200).await;
    assert_eq!(token["expires_in"], 120);

    click(&browser, "#delete-client button").await;
    browser.accept_alert().await.unwrap();
    wait_for_text(&browser, "h1", "Service clients").await;
    assert_eq!(app.token_basic(&client, "").await.status(), 401);
    browser.close().await.unwrap();
}

/// The value of the cookie `name` that `response` sets.
fn set_cookie(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .find_map(|h| h.strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie"))
        .to_string()
}

/// A session cookie of the account pages (signed by the same keyring) copied into the console's is refused.
#[actix_web::test]
async fn a_session_of_another_kind_does_not_open_the_console() {
    let app = spawn_app().await;
    let (_, _) = tenant_with_admin(&app, "acme").await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http.get(app.url("/account/login")).send().await.unwrap();
    let csrf_cookie = set_cookie(&login, "keygate_csrf");
    let page = login.text().await.unwrap();
    let token = page
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token")
        .to_string();
    let form = [
        ("csrf_token", token.as_str()),
        ("tenant", "acme"),
        ("username", "tess"),
        ("password", PASSWORD),
    ];
    let signed_in = http
        .post(app.url("/account/login"))
        .header("Cookie", format!("keygate_csrf={csrf_cookie}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let session = set_cookie(&signed_in, "keygate_session");
    let account = http
        .get(app.url("/account/keys"))
        .header("Cookie", format!("keygate_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 200, "the session works where it belongs");
    let console = http
        .get(app.url("/console"))
        .header("Cookie", format!("keygate_console={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), 303, "and not in the console");
    assert_eq!(console.headers()["location"], "/console/login");
}

/// The trusted-issuers screen: a Kubernetes cluster's issuer trusted with its public keys inline and a rule for a
/// client, a rule the page cannot read refused at its field, the workload's token then exchanged with no key, and
/// the trust deleted.
#[actix_web::test]
async fn a_trusted_issuer_made_on_its_screen_lets_a_workload_token_in_until_deleted() {
    use keygate::crypto::client_keys::{self, signer_from_private_jwk};
    use keygate::domain::signing_alg::SigningAlg;
    use keygate::domain::time::UnixTime;

    const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
    let app = spawn_app().await;
    let (tenant, _) = tenant_with_admin(&app, "acme").await;
    let deployer = tenant.client(&app, &["--grant-type", JWT_BEARER]);
    let key = client_keys::generate(SigningAlg::ES256, "cluster-1").unwrap();
    let driver = Chromedriver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.session(profile.path()).await;
    console_sign_in(&browser, &app, "acme", "tess").await;

    click(&browser, "nav a[href='/console/trusted-issuers']").await;
    wait_for_text(&browser, "#no-trusts", "No trusted issuers").await;
    click(&browser, "#new-trust").await;
    type_into(&browser, "#issuer", ISSUER).await;
    click(&browser, "#keys_jwks").await;
    let jwks = serde_json::json!({ "keys": [key.public_jwk] }).to_string();
    type_into(&browser, "#jwks", &jwks).await;
    type_into(&browser, "#audiences", "https://keygate.example").await;
    click(
        &browser,
        &format!("#client_0 option[value='{}']", deployer.id),
    )
    .await;
    type_into(&browser, "#claims_0", "system:serviceaccount:ci:deployer").await;
    click(&browser, "#save-trust").await;
    wait_for_text(&browser, "#rules-error", "is not claim=pattern").await;
    let claims = browser.find(Locator::Css("#claims_0")).await.unwrap();
    claims.clear().await.unwrap();
    type_into(&browser, "#claims_0", "sub=system:serviceaccount:ci:*").await;
    click(&browser, "#save-trust").await;
    wait_for_text(&browser, ".trust", ISSUER).await;
    screenshot(&browser, "trusted-issuers.png").await;

    // The cluster's token for the ci namespace's deployer gets the deployer's access token.
    let signer = signer_from_private_jwk(&key.private_jwk).unwrap();
    let now = UnixTime::now().seconds();
    let workload = |sub: &str| {
        let claims = serde_json::json!({"iss": ISSUER, "aud": ["https://keygate.example"], "sub": sub,
            "iat": now, "exp": now + 600, "kubernetes.io": {"namespace": "ci"}});
        keygate::crypto::jwt::encode(&signer, "JWT", &claims).unwrap()
    };
    let exchange = |token: String| {
        let app = &app;
        async move {
            let form = [("grant_type", JWT_BEARER), ("assertion", token.as_str())];
            app.post_form("/oauth/token", &form, None).await
        }
    };
    let body = crate::helpers::json_with_status(
        exchange(workload("system:serviceaccount:ci:deployer")).await,
        200,
    )
    .await;
    assert!(body["access_token"].is_string(), "{body}");
    let other = exchange(workload("system:serviceaccount:web:frontend")).await;
    assert_eq!(other.status(), 400, "no rule maps another namespace");

    click(&browser, ".trust .delete").await;
    browser.accept_alert().await.unwrap();
    wait_for_text(&browser, "#no-trusts", "No trusted issuers").await;
    let after = exchange(workload("system:serviceaccount:ci:deployer")).await;
    assert_eq!(after.status(), 400, "an issuer no longer trusted");
    let events = app
        .api_get(
            "/v1/audit?action=trusted_issuer.created",
            &tenant.admin_token,
        )
        .await;
    assert_eq!(
        events["items"].as_array().map(Vec::len),
        Some(1),
        "{events}"
    );
    browser.close().await.unwrap();
}
