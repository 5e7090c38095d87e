//! `/console/records`: access records in reach, and the record editor: subjects and admins picked from the tenant's
//! users and clients, statements of roles × resource patterns, and a "test access" box that asks the same question
//! as `/v1/authorize`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{page, render, see_other, Admin, AdminForm, Nav};
use crate::db::service_clients::{self, ClientSelection, ServiceClientRow};
use crate::db::users::{self, UserRow};
use crate::domain::access::StatementInput;
use crate::domain::ids::{RecordId, TenantId};
use crate::form::OAuthForm;
use crate::pages::extract::PageError;
use crate::service::records::{self as service, Record, RecordInput};
use crate::service::{access, ServiceError};
use crate::state::AppState;

/// Statement rows the editor shows: the record's, and empty ones to add.
const STATEMENT_ROWS: usize = 3;

#[derive(Template)]
#[template(path = "console/records.html")]
struct RecordsPage<'a> {
    nav: Nav,
    records: &'a [Record],
}

/// `GET /console/records`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
) -> Result<HttpResponse, PageError> {
    let actor = admin.actor.clone();
    let records = state
        .db
        .run_as(move |conn| service::list(conn, &actor, None, i64::MAX))
        .await?;
    Ok(page(&req, &state, &admin, StatusCode::OK, |nav| {
        render(RecordsPage {
            nav,
            records: &records,
        })
    }))
}

/// The editor's content: the record as it is or as typed.
#[derive(Default)]
struct Draft {
    name: String,
    subjects: Vec<String>,
    admins: Vec<String>,
    /// (roles separated by spaces, resource patterns one per line), `STATEMENT_ROWS` of them at least.
    statements: Vec<(String, String)>,
}

impl Draft {
    fn of(record: &Record) -> Draft {
        Draft {
            name: record.name.clone(),
            subjects: record.subjects.clone(),
            admins: record.admins.clone(),
            statements: record
                .statements
                .iter()
                .map(|s| {
                    let resources: Vec<String> =
                        s.resources.iter().map(|r| r.to_string()).collect();
                    (s.roles.join(" "), resources.join("\n"))
                })
                .collect(),
        }
        .padded()
    }

    fn read(form: &OAuthForm, candidates: &Candidates) -> Draft {
        let ticked = |prefix: &str, id: &str| form.get(&format!("{prefix}{id}")) == Some("on");
        let ids = candidates
            .users
            .iter()
            .map(|u| &u.id)
            .chain(candidates.clients.iter().map(|c| &c.id));
        Draft {
            name: form.get("name").unwrap_or_default().trim().to_string(),
            subjects: ids.filter(|id| ticked("subject_", id)).cloned().collect(),
            admins: candidates
                .users
                .iter()
                .map(|u| &u.id)
                .filter(|id| ticked("admin_", id))
                .cloned()
                .collect(),
            statements: (0..form_rows(form))
                .map(|n| {
                    let field = |name: &str| {
                        form.get(&format!("{name}_{n}"))
                            .unwrap_or_default()
                            .trim()
                            .to_string()
                    };
                    (field("roles"), field("resources"))
                })
                .collect(),
        }
        .padded()
    }

    /// The filled statement rows, then empty ones: one at least, `STATEMENT_ROWS` rows in all at least.
    fn padded(mut self) -> Draft {
        self.statements
            .retain(|(roles, resources)| !roles.is_empty() || !resources.is_empty());
        let rows = (self.statements.len() + 1).max(STATEMENT_ROWS);
        self.statements.resize(rows, Default::default());
        self
    }

    fn input(&self, tenant_id: Option<String>) -> RecordInput {
        let words = |text: &str| {
            text.split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>()
        };
        RecordInput {
            tenant_id,
            name: self.name.clone(),
            subjects: self.subjects.clone(),
            admins: self.admins.clone(),
            statements: self
                .statements
                .iter()
                .filter(|(roles, resources)| !roles.is_empty() || !resources.is_empty())
                .map(|(roles, resources)| StatementInput {
                    roles: words(roles),
                    resources: words(resources),
                })
                .collect(),
        }
    }

    fn has_subject(&self, id: &str) -> bool {
        self.subjects.iter().any(|s| s == id)
    }

    fn has_admin(&self, id: &str) -> bool {
        self.admins.iter().any(|s| s == id)
    }
}

/// How many statement rows the posted form had.
fn form_rows(form: &OAuthForm) -> usize {
    (0..64)
        .take_while(|n| form.get(&format!("roles_{n}")).is_some())
        .count()
}

/// Whom a record of the tenant may name.
struct Candidates {
    users: Vec<UserRow>,
    clients: Vec<ServiceClientRow>,
}

async fn candidates(state: &AppState, tenant_id: &str) -> Result<Candidates, PageError> {
    let tenant_id = tenant_id.to_string();
    Ok(state
        .db
        .run(move |conn| {
            let selection = ClientSelection {
                tenant_id: Some(&tenant_id),
                ..Default::default()
            };
            Ok(Candidates {
                users: users::list(conn, &tenant_id, None, i64::MAX)?,
                clients: service_clients::list(conn, &selection, None, i64::MAX)?,
            })
        })
        .await?)
}

#[derive(Template)]
#[template(path = "console/record.html")]
struct RecordPage<'a> {
    nav: Nav,
    /// Where the form posts: the record, or the tenant's new record.
    action: &'a str,
    record_id: Option<&'a str>,
    draft: &'a Draft,
    candidates: &'a Candidates,
    error: Option<&'a PageError>,
    /// The last "test access" question and its answer.
    tested: Option<(&'a str, &'a str, &'a str, bool)>,
}

struct Editor<'a> {
    tenant_id: &'a str,
    record_id: Option<&'a str>,
    draft: &'a Draft,
    error: Option<&'a PageError>,
    tested: Option<(&'a str, &'a str, &'a str, bool)>,
}

async fn editor(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    status: StatusCode,
    editor: Editor<'_>,
) -> Result<HttpResponse, PageError> {
    crate::service::users::ensure_administers(&admin.actor, editor.tenant_id)?;
    let candidates = candidates(state, editor.tenant_id).await?;
    let action = match editor.record_id {
        Some(id) => format!("/console/records/{id}"),
        None => format!("/console/records/new?tenant={}", editor.tenant_id),
    };
    Ok(page(req, state, admin, status, |nav| {
        render(RecordPage {
            nav,
            action: &action,
            record_id: editor.record_id,
            draft: editor.draft,
            candidates: &candidates,
            error: editor.error,
            tested: editor.tested,
        })
    }))
}

/// `?tenant=`: the tenant a new record or trusted issuer goes into (a tenant administrator's own whatever it says).
#[derive(Debug, serde::Deserialize)]
pub struct NewQuery {
    tenant: Option<String>,
}

pub(super) fn new_in_tenant(admin: &Admin, query: &NewQuery) -> Result<TenantId, PageError> {
    let asked = admin
        .tenant
        .as_ref()
        .map(|t| t.id.clone())
        .or_else(|| query.tenant.clone())
        .unwrap_or_default();
    TenantId::parse(&asked).map_err(|_| ServiceError::NotFound("tenant").into())
}

/// `GET /console/records/new?tenant=`.
pub async fn new(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant_id = new_in_tenant(&admin, &query)?;
    let draft = Draft::default().padded();
    let shown = Editor {
        tenant_id: tenant_id.as_str(),
        record_id: None,
        draft: &draft,
        error: None,
        tested: None,
    };
    editor(&req, &state, &admin, StatusCode::OK, shown).await
}

/// `POST /console/records/new?tenant=`: the record made, then its editor.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NewQuery>,
    AdminForm { admin, form }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let tenant_id = new_in_tenant(&admin, &query)?;
    crate::service::users::ensure_administers(&admin.actor, tenant_id.as_str())?;
    let draft = Draft::read(&form, &candidates(&state, tenant_id.as_str()).await?);
    let (actor, input) = (
        admin.actor.clone(),
        draft.input(Some(tenant_id.to_string())),
    );
    match state
        .change(move |conn| service::create(conn, &actor, input))
        .await
    {
        Ok(record) => Ok(see_other(&format!("/console/records/{}", record.id))),
        Err(error) => {
            let error = PageError::from(error);
            let shown = Editor {
                tenant_id: tenant_id.as_str(),
                record_id: None,
                draft: &draft,
                error: Some(&error),
                tested: None,
            };
            editor(&req, &state, &admin, error.status(), shown).await
        }
    }
}

fn record_id(path: &str) -> Result<RecordId, PageError> {
    RecordId::parse(path).map_err(|_| ServiceError::NotFound("record").into())
}

async fn stored(state: &AppState, admin: &Admin, id: &RecordId) -> Result<Record, PageError> {
    let (actor, id) = (admin.actor.clone(), id.clone());
    let (row, subjects, _) = state
        .db
        .run_as(move |conn| service::find_visible(conn, &actor, &id))
        .await?;
    Ok(Record::new(row, subjects))
}

/// `GET /console/records/{id}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = record_id(&path)?;
    let record = stored(&state, &admin, &id).await?;
    let tenant_id = record.tenant_id.clone().unwrap_or_default();
    let draft = Draft::of(&record);
    let shown = Editor {
        tenant_id: &tenant_id,
        record_id: Some(id.as_str()),
        draft: &draft,
        error: None,
        tested: None,
    };
    editor(&req, &state, &admin, StatusCode::OK, shown).await
}

/// `POST /console/records/{id}`: the record replaced by the form.
pub async fn replace(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    AdminForm { admin, form }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let id = record_id(&path)?;
    let record = stored(&state, &admin, &id).await?;
    let tenant_id = record.tenant_id.clone().unwrap_or_default();
    let draft = Draft::read(&form, &candidates(&state, &tenant_id).await?);
    let (actor, input, target) = (admin.actor.clone(), draft.input(None), id.clone());
    match state
        .change(move |conn| service::replace(conn, &actor, &target, input))
        .await
    {
        Ok(_) => Ok(see_other(&format!("/console/records/{id}"))),
        Err(error) => {
            let error = PageError::from(error);
            let shown = Editor {
                tenant_id: &tenant_id,
                record_id: Some(id.as_str()),
                draft: &draft,
                error: Some(&error),
                tested: None,
            };
            editor(&req, &state, &admin, error.status(), shown).await
        }
    }
}

/// `POST /console/records/{id}/delete`.
pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<String>,
    AdminForm { admin, .. }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let (id, actor) = (record_id(&path)?, admin.actor.clone());
    state
        .change(move |conn| service::delete(conn, &actor, &id))
        .await?;
    Ok(see_other("/console/records"))
}

/// `POST /console/records/{id}/test`: may the subject use the permission on the resource? The record's editor
/// again, with the answer.
pub async fn test_access(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    AdminForm { admin, form }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let id = record_id(&path)?;
    let record = stored(&state, &admin, &id).await?;
    let tenant_id = record.tenant_id.clone().unwrap_or_default();
    let field = |name: &str| form.get(name).unwrap_or_default().trim().to_string();
    let (subject, resource, permission) = (
        field("subject"),
        field("resource_path"),
        field("permission"),
    );
    let question = (
        subject.clone(),
        resource.clone(),
        permission.clone(),
        tenant_id.clone(),
    );
    let answer = state
        .db
        .run_as(move |conn| {
            let (subject, resource, permission, tenant) = question;
            access::allows(conn, Some(&tenant), None, &subject, &resource, &permission)
        })
        .await;
    let draft = Draft::of(&record);
    let (allowed, error) = match answer {
        Ok(allowed) => (allowed, None),
        Err(error) => (false, Some(PageError::from(error))),
    };
    let tested = error.is_none().then_some((
        subject.as_str(),
        resource.as_str(),
        permission.as_str(),
        allowed,
    ));
    let shown = Editor {
        tenant_id: &tenant_id,
        record_id: Some(id.as_str()),
        draft: &draft,
        error: error.as_ref(),
        tested,
    };
    let status = error.as_ref().map_or(StatusCode::OK, PageError::status);
    editor(&req, &state, &admin, status, shown).await
}
