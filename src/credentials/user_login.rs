//! Checking a user's password, shared by the password grant and the login page: throttled per (user, address),
//! slowed per user, and answering an unknown user and a wrong password alike.

use std::net::IpAddr;

use secrecy::SecretString;

use crate::audit::AuditEvent;
use crate::db::operators::{self, OperatorRow};
use crate::db::users::{self, UserRow};
use crate::db::{DbConn, DbError};
use crate::state::AppState;

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Too many failed attempts for this user, or over the address's rate limit.
    #[error("too many attempts; retry in {0} s")]
    Throttled(u64),
    #[error("invalid username or password")]
    Refused,
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Who is signing in, where from, and through which client.
pub struct LoginAttempt<'a> {
    pub tenant_id: &'a str,
    pub username: &'a str,
    pub password: SecretString,
    pub address: Option<IpAddr>,
    pub client_id: &'a str,
}

/// `sign_in` for the sign-in pages, counting the request against its address's rate limit first. The password
/// grant calls `sign_in` itself: client authentication at the token endpoint has counted its request already.
pub async fn sign_in_at_page(
    state: &AppState,
    attempt: LoginAttempt<'_>,
) -> Result<UserRow, LoginError> {
    if let Err(over) = state.rate_limits.check_address(attempt.address) {
        return Err(LoginError::Throttled(over.retry_after));
    }
    sign_in(state, attempt).await
}

/// The user, if the password is theirs and they are enabled.
pub async fn sign_in(state: &AppState, attempt: LoginAttempt<'_>) -> Result<UserRow, LoginError> {
    let (tenant, name) = (attempt.tenant_id.to_string(), attempt.username.to_string());
    let find = move |conn: &mut DbConn| users::find_by_username(conn, &tenant, &name);
    verify(state, attempt, find).await
}

/// The operator, if the password is theirs and they are enabled: `attempt.tenant_id` is empty (operators have no
/// tenant), and their sign-ins are throttled and audited as users' are.
pub async fn sign_in_operator(
    state: &AppState,
    attempt: LoginAttempt<'_>,
) -> Result<OperatorRow, LoginError> {
    if let Err(over) = state.rate_limits.check_address(attempt.address) {
        return Err(LoginError::Throttled(over.retry_after));
    }
    let name = attempt.username.to_string();
    let find = move |conn: &mut DbConn| operators::find_by_username(conn, &name);
    verify(
        state,
        LoginAttempt {
            tenant_id: "",
            ..attempt
        },
        find,
    )
    .await
}

/// What signs in with a password.
trait Account {
    fn password_hash(&self) -> &str;
    fn disabled(&self) -> bool;
}

impl Account for UserRow {
    fn password_hash(&self) -> &str {
        &self.password_hash
    }
    fn disabled(&self) -> bool {
        self.disabled
    }
}

impl Account for OperatorRow {
    fn password_hash(&self) -> &str {
        &self.password_hash
    }
    fn disabled(&self) -> bool {
        self.disabled
    }
}

/// The account `find` reads, if `attempt`'s password is its hash and it is enabled; the same argon2 work when there
/// is no such account.
async fn verify<T: Account + Send + 'static>(
    state: &AppState,
    attempt: LoginAttempt<'_>,
    find: impl FnOnce(&mut DbConn) -> diesel::QueryResult<Option<T>> + Send + 'static,
) -> Result<T, LoginError> {
    let throttle_key = (
        attempt.tenant_id.to_string(),
        users::username_key(attempt.username),
    );
    if let Some(wait) = state
        .login_throttle
        .blocked_for(&throttle_key, attempt.address)
    {
        return Err(LoginError::Throttled(wait.as_secs().max(1)));
    }
    actix_web::rt::time::sleep(state.login_throttle.soft_delay(&throttle_key)).await;
    let account = state.db.run(find).await?;
    let hash = account.as_ref().map(|a| a.password_hash().to_string());
    let matches = state.passwords.verify(attempt.password, hash).await?;
    match account {
        Some(account) if matches && !account.disabled() => {
            state
                .login_throttle
                .record_success(&throttle_key, attempt.address);
            Ok(account)
        }
        _ => {
            state
                .login_throttle
                .record_failure(&throttle_key, attempt.address);
            state.metrics.authentication_failed("user_sign_in_refused");
            let tenant_id = (!attempt.tenant_id.is_empty()).then_some(attempt.tenant_id);
            state.activity.sign_in_failed(tenant_id);
            state.audit.record(AuditEvent {
                tenant_id: tenant_id.map(String::from),
                client_id: Some(attempt.client_id.to_string()),
                source_ip: attempt.address.map(|a| a.to_string()),
                detail: Some(
                    serde_json::json!({"reason": "sign-in refused", "username": attempt.username}),
                ),
                ..AuditEvent::new("auth.failed")
            });
            Err(LoginError::Refused)
        }
    }
}
