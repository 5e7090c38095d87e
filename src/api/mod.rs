//! The `/v1` management API: JSON in and out, `{error, message}` errors, cursor-paginated lists.

pub mod audit;
pub mod auth;
pub mod authorize;
pub mod clients;
pub mod keys;
pub mod records;
pub mod registration_tokens;
pub mod roles;
pub mod self_service;
pub mod signing_keys;
pub mod tenants;
pub mod trusted_issuers;
pub mod users;
pub mod verify;

use actix_web::web;
use serde::{Deserialize, Serialize};

/// The `/v1` table: each line registers one route and documents it (`Paths` holds every handler's OpenAPI
/// operation, so no route can be served undocumented), and `ROUTES` lists them. In matching order: the hot paths
/// first, since actix tries routes in order and each dynamic one costs a regex match.
macro_rules! v1_routes {
    ($($method:ident $path:literal => $handler:path;)*) => {
        /// Every `/v1` route as registered: (method, path).
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), concat!("/v1", $path))),*];

        /// The OpenAPI operations of the `/v1` routes, from the same table.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($handler),*))]
        pub struct Paths;

        fn register_v1(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, web::$method().to($handler));)*
        }
    };
}

v1_routes! {
    post "/verify" => verify::verify;
    post "/authorize" => authorize::check;
    post "/authorize/resources" => authorize::resources;
    post "/tenants" => tenants::create;
    get "/tenants" => tenants::list;
    get "/tenants/{id}" => tenants::show;
    patch "/tenants/{id}" => tenants::update;
    delete "/tenants/{id}" => tenants::delete;
    post "/tenants/{id}/users" => users::create;
    get "/tenants/{id}/users" => users::list;
    get "/tenants/{id}/users/{user_id}" => users::show;
    patch "/tenants/{id}/users/{user_id}" => users::update;
    delete "/tenants/{id}/users/{user_id}" => users::delete;
    post "/tenants/{id}/registration-tokens" => registration_tokens::create;
    get "/tenants/{id}/registration-tokens" => registration_tokens::list;
    delete "/tenants/{id}/registration-tokens/{token_id}" => registration_tokens::delete;
    get "/tenants/{id}/open-registration" => registration_tokens::show_open;
    put "/tenants/{id}/open-registration" => registration_tokens::open;
    delete "/tenants/{id}/open-registration" => registration_tokens::close;
    post "/clients" => clients::create;
    get "/clients" => clients::list;
    get "/clients/{id}" => clients::show;
    patch "/clients/{id}" => clients::update;
    delete "/clients/{id}" => clients::delete;
    post "/clients/{id}/keys" => keys::create;
    get "/clients/{id}/keys" => keys::list;
    delete "/clients/{id}/keys/{key_id}" => keys::revoke;
    get "/audit" => audit::list;
    post "/roles" => roles::create;
    get "/roles" => roles::list;
    get "/roles/{id}" => roles::show;
    patch "/roles/{id}" => roles::update;
    delete "/roles/{id}" => roles::delete;
    post "/records" => records::create;
    get "/records" => records::list;
    get "/records/{id}" => records::show;
    put "/records/{id}" => records::replace;
    delete "/records/{id}" => records::delete;
    post "/trusted-issuers" => trusted_issuers::create;
    get "/trusted-issuers" => trusted_issuers::list;
    get "/trusted-issuers/{id}" => trusted_issuers::show;
    put "/trusted-issuers/{id}" => trusted_issuers::replace;
    delete "/trusted-issuers/{id}" => trusted_issuers::delete;
    post "/self/clients" => self_service::create;
    get "/self/clients" => self_service::list;
    delete "/self/clients/{id}" => self_service::delete;
    delete "/self/clients/{id}/keys/{key_id}" => self_service::revoke_key;
    get "/signing-keys" => signing_keys::list;
    post "/signing-keys/rotate" => signing_keys::rotate;
}

/// Routes of `/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .configure(crate::error::extractor_configs)
            .configure(register_v1)
            .default_service(web::to(unknown_endpoint)),
    );
}

async fn unknown_endpoint() -> Result<actix_web::HttpResponse, crate::error::ApiError> {
    Err(crate::error::ApiError::not_found("endpoint"))
}

/// `?limit=&cursor=` of every list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// At most this many items (1–200, default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page size, bounded.
    pub fn limit(&self) -> i64 {
        i64::from(self.limit.unwrap_or(50).clamp(1, 200))
    }
}

/// One page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page of a small, bounded collection read whole (a client's keys, the signing keys, a user's own clients):
    /// ordered by id, the same `limit`/`cursor` shape as the lists paged in the database.
    pub fn of_all(mut items: Vec<T>, page: &PageQuery, id_of: impl Fn(&T) -> &str) -> Page<T> {
        items.sort_by(|a, b| id_of(a).cmp(id_of(b)));
        if let Some(cursor) = &page.cursor {
            items.retain(|item| id_of(item) > cursor.as_str());
        }
        let limit = page.limit();
        Page::from_rows(items, limit, |item| id_of(item).to_string())
    }

    /// A page from up to `limit + 1` fetched rows: the extra row only says that more follow.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> String) -> Page<T> {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(cursor_of)
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}
