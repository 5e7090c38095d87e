//! `/console/trusted-issuers`: the external issuers whose tokens map to a tenant's clients (docs/contract.md,
//! "Trusted identities"), and the editor: the issuer, where its keys come from, the audiences and algorithms it must
//! use, and rules of claim patterns, each naming one of the tenant's clients.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::record_pages::{new_in_tenant, NewQuery};
use super::{page, render, see_other, Admin, AdminForm, Nav};
use crate::db::service_clients::{self, ClientSelection, ServiceClientRow};
use crate::domain::ids::TrustedIssuerId;
use crate::domain::trusted_issuer::{Rule, ALGORITHMS, DEFAULT_ALGORITHMS};
use crate::form::OAuthForm;
use crate::pages::extract::{Field, PageError};
use crate::service::trusted_issuers::{self as service, TrustedIssuer, TrustedIssuerInput};
use crate::service::ServiceError;
use crate::state::AppState;

/// Rule rows the editor shows: the trust's, and empty ones to add.
const RULE_ROWS: usize = 2;

#[derive(Template)]
#[template(path = "console/trusted_issuers.html")]
struct TrustsPage<'a> {
    nav: Nav,
    trusts: &'a [TrustedIssuer],
}

/// `GET /console/trusted-issuers`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
) -> Result<HttpResponse, PageError> {
    let actor = admin.actor.clone();
    let trusts = state
        .db
        .run_as(move |conn| service::list(conn, &actor, None, None, i64::MAX))
        .await?;
    Ok(page(&req, &state, &admin, StatusCode::OK, |nav| {
        render(TrustsPage {
            nav,
            trusts: &trusts,
        })
    }))
}

/// The editor's content: the trust as it is or as typed.
struct Draft {
    issuer: String,
    /// `discovery`, `jwks_uri` or `jwks`.
    keys_from: String,
    jwks_uri: String,
    jwks: String,
    /// One per line.
    audiences: String,
    algorithms: Vec<String>,
    max_token_age: String,
    /// (client id, `claim=pattern` lines), `RULE_ROWS` of them at least.
    rules: Vec<(String, String)>,
}

impl Default for Draft {
    fn default() -> Draft {
        Draft {
            issuer: String::new(),
            keys_from: "discovery".into(),
            jwks_uri: String::new(),
            jwks: String::new(),
            audiences: String::new(),
            algorithms: DEFAULT_ALGORITHMS.map(String::from).to_vec(),
            max_token_age: String::new(),
            rules: Vec::new(),
        }
    }
}

impl Draft {
    fn of(trust: &TrustedIssuer) -> Draft {
        let claims = |rule: &Rule| {
            let lines: Vec<String> = rule
                .claims
                .iter()
                .map(|(n, p)| format!("{n}={p}"))
                .collect();
            lines.join("\n")
        };
        Draft {
            issuer: trust.issuer.clone(),
            keys_from: trust.keys_from.into(),
            jwks_uri: trust.jwks_uri.clone().unwrap_or_default(),
            jwks: trust
                .jwks
                .as_ref()
                .and_then(|j| serde_json::to_string_pretty(j).ok())
                .unwrap_or_default(),
            audiences: trust.audiences.join("\n"),
            algorithms: trust.algorithms.clone(),
            max_token_age: trust
                .max_token_age
                .map(|a| a.to_string())
                .unwrap_or_default(),
            rules: trust
                .rules
                .iter()
                .map(|r| (r.client_id.clone(), claims(r)))
                .collect(),
        }
        .padded()
    }

    fn read(form: &OAuthForm) -> Draft {
        let field = |name: &str| form.get(name).unwrap_or_default().trim().to_string();
        let rows = (0..64)
            .take_while(|n| form.get(&format!("client_{n}")).is_some())
            .count();
        Draft {
            issuer: field("issuer"),
            keys_from: field("keys_from"),
            jwks_uri: field("jwks_uri"),
            jwks: field("jwks"),
            audiences: field("audiences"),
            algorithms: ALGORITHMS
                .iter()
                .filter(|alg| form.get(&format!("alg_{alg}")) == Some("on"))
                .map(|alg| alg.to_string())
                .collect(),
            max_token_age: field("max_token_age"),
            rules: (0..rows)
                .map(|n| (field(&format!("client_{n}")), field(&format!("claims_{n}"))))
                .collect(),
        }
        .padded()
    }

    /// The filled rule rows, then empty ones: one at least, `RULE_ROWS` rows in all at least.
    fn padded(mut self) -> Draft {
        self.rules
            .retain(|(client, claims)| !client.is_empty() || !claims.is_empty());
        let rows = (self.rules.len() + 1).max(RULE_ROWS);
        self.rules.resize(rows, Default::default());
        self
    }

    fn has_algorithm(&self, alg: &str) -> bool {
        self.algorithms.iter().any(|a| a == alg)
    }

    /// What the service takes; a field the page itself cannot read (a JWKS that is not JSON, a claim line without
    /// `=`) is refused at that field.
    fn input(&self, tenant_id: Option<String>) -> Result<TrustedIssuerInput, PageError> {
        let refuse = |name: &'static str, message: String| {
            let field = Field { name, row: None };
            PageError::AtField(StatusCode::UNPROCESSABLE_ENTITY, field, message)
        };
        let (jwks_uri, jwks) = match self.keys_from.as_str() {
            "jwks_uri" => (Some(self.jwks_uri.clone()), None),
            "jwks" => {
                let jwks = serde_json::from_str(&self.jwks).map_err(|e| {
                    refuse(
                        "jwks",
                        format!("the keys must be a JSON JWKS, {{\"keys\": [...]}}: {e}"),
                    )
                })?;
                (None, Some(jwks))
            }
            _ => (None, None),
        };
        let max_token_age = match self.max_token_age.as_str() {
            "" => None,
            text => Some(text.parse().map_err(|_| {
                refuse(
                    "max_token_age",
                    "The maximum token age must be whole seconds.".into(),
                )
            })?),
        };
        let mut rules = Vec::new();
        for (client_id, lines) in self
            .rules
            .iter()
            .filter(|(c, l)| !c.is_empty() || !l.is_empty())
        {
            let mut claims = BTreeMap::new();
            for line in lines.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let (name, pattern) = line
                    .split_once('=')
                    .ok_or_else(|| refuse("rules", format!("{line:?} is not claim=pattern")))?;
                claims.insert(name.trim().to_string(), pattern.trim().to_string());
            }
            rules.push(Rule {
                client_id: client_id.clone(),
                claims,
            });
        }
        Ok(TrustedIssuerInput {
            tenant_id,
            issuer: self.issuer.clone(),
            jwks_uri,
            jwks,
            audiences: self
                .audiences
                .split_whitespace()
                .map(String::from)
                .collect(),
            algorithms: self.algorithms.clone(),
            max_token_age,
            rules,
        })
    }
}

#[derive(Template)]
#[template(path = "console/trusted_issuer.html")]
struct TrustPage<'a> {
    nav: Nav,
    /// Where the form posts: the trust, or the tenant's new trust.
    action: &'a str,
    trust_id: Option<&'a str>,
    draft: &'a Draft,
    /// The clients a rule may name: the tenant's.
    clients: &'a [ServiceClientRow],
    algorithms: &'a [&'a str],
    error: Option<&'a PageError>,
}

async fn editor(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    status: StatusCode,
    (tenant_id, trust_id): (&str, Option<&str>),
    draft: &Draft,
    error: Option<&PageError>,
) -> Result<HttpResponse, PageError> {
    crate::service::users::ensure_administers(&admin.actor, tenant_id)?;
    let tenant = tenant_id.to_string();
    let clients = state
        .db
        .run(move |conn| {
            let selection = ClientSelection {
                tenant_id: Some(&tenant),
                ..Default::default()
            };
            service_clients::list(conn, &selection, None, i64::MAX)
        })
        .await?;
    let action = match trust_id {
        Some(id) => format!("/console/trusted-issuers/{id}"),
        None => format!("/console/trusted-issuers/new?tenant={tenant_id}"),
    };
    Ok(page(req, state, admin, status, |nav| {
        render(TrustPage {
            nav,
            action: &action,
            trust_id,
            draft,
            clients: &clients,
            algorithms: &ALGORITHMS,
            error,
        })
    }))
}

/// `GET /console/trusted-issuers/new?tenant=`.
pub async fn new(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant_id = new_in_tenant(&admin, &query)?;
    let draft = Draft::default().padded();
    let shown = (tenant_id.as_str(), None);
    editor(&req, &state, &admin, StatusCode::OK, shown, &draft, None).await
}

/// `POST /console/trusted-issuers/new?tenant=`: the trust made, then the list.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NewQuery>,
    AdminForm { admin, form }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let tenant_id = new_in_tenant(&admin, &query)?;
    let draft = Draft::read(&form);
    let (actor, policy) = (admin.actor.clone(), state.config.trusted_issuer_urls());
    let created = match draft.input(Some(tenant_id.to_string())) {
        Ok(input) => state
            .change(move |conn| service::create(conn, &actor, policy, input))
            .await
            .map_err(PageError::from),
        Err(error) => Err(error),
    };
    match created {
        Ok(_) => Ok(see_other("/console/trusted-issuers")),
        Err(error) => {
            let shown = (tenant_id.as_str(), None);
            editor(
                &req,
                &state,
                &admin,
                error.status(),
                shown,
                &draft,
                Some(&error),
            )
            .await
        }
    }
}

fn trust_id(path: &str) -> Result<TrustedIssuerId, PageError> {
    TrustedIssuerId::parse(path).map_err(|_| ServiceError::NotFound("trusted issuer").into())
}

/// The trust `id` and its tenant, if the administrator has it in reach. A global trust (of no tenant, whose rules
/// may name any tenant's clients) is listed and deleted here but edited through `/v1` or the CLI.
async fn stored(
    state: &AppState,
    admin: &Admin,
    id: &TrustedIssuerId,
) -> Result<(TrustedIssuer, String), PageError> {
    let (actor, id) = (admin.actor.clone(), id.clone());
    let trust: TrustedIssuer = state
        .db
        .run_as(move |conn| service::find_visible(conn, &actor, &id))
        .await?
        .into();
    let tenant_id = trust.tenant_id.clone().ok_or(PageError::Told(
        StatusCode::NOT_FOUND,
        "A global trusted issuer is edited through /v1/trusted-issuers or keygate trusted-issuer."
            .into(),
    ))?;
    Ok((trust, tenant_id))
}

/// `GET /console/trusted-issuers/{id}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = trust_id(&path)?;
    let (trust, tenant_id) = stored(&state, &admin, &id).await?;
    let shown = (tenant_id.as_str(), Some(id.as_str()));
    editor(
        &req,
        &state,
        &admin,
        StatusCode::OK,
        shown,
        &Draft::of(&trust),
        None,
    )
    .await
}

/// `POST /console/trusted-issuers/{id}`: the trust replaced by the form.
pub async fn replace(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    AdminForm { admin, form }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let id = trust_id(&path)?;
    let (_, tenant_id) = stored(&state, &admin, &id).await?;
    let draft = Draft::read(&form);
    let (actor, policy, target) = (
        admin.actor.clone(),
        state.config.trusted_issuer_urls(),
        id.clone(),
    );
    let replaced = match draft.input(None) {
        Ok(input) => state
            .change(move |conn| service::replace(conn, &actor, policy, &target, input))
            .await
            .map_err(PageError::from),
        Err(error) => Err(error),
    };
    match replaced {
        Ok(_) => Ok(see_other(&format!("/console/trusted-issuers/{id}"))),
        Err(error) => {
            let shown = (tenant_id.as_str(), Some(id.as_str()));
            editor(
                &req,
                &state,
                &admin,
                error.status(),
                shown,
                &draft,
                Some(&error),
            )
            .await
        }
    }
}

/// `POST /console/trusted-issuers/{id}/delete`.
pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<String>,
    AdminForm { admin, .. }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let (id, actor) = (trust_id(&path)?, admin.actor.clone());
    state
        .change(move |conn| service::delete(conn, &actor, &id))
        .await?;
    Ok(see_other("/console/trusted-issuers"))
}
