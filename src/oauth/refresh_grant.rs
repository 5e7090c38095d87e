//! Refresh tokens (RFC 6749 §6, RFC 9700 §4.14): opaque, stored hashed, rotated on every use. Presenting a spent
//! token revokes its whole family (the sign-in it came from), since either the client or a thief holds a copy.

use super::error::{ErrorCode, OAuthError};
use super::grant::{audience, Issued};
use crate::audit::AuditEvent;
use crate::credentials::access_token::TokenGrant;
use crate::credentials::client::AuthenticatedClient;
use crate::credentials::dpop::Confirmation;
use crate::credentials::id_token::{self, SignInFacts};
use crate::db::refresh_tokens::{self, RefreshTokenRow, Rotation};
use crate::db::users::UserRow;
use crate::db::{Backend, DbError};
use crate::domain::grant_type::GrantType;
use crate::domain::ids::random_base62;
use crate::domain::scope::{self, Scopes};
use crate::domain::secret_key::{SecretKey, REFRESH_TOKEN};
use crate::domain::time::UnixTime;
use crate::domain::ttl;
use crate::form::OAuthForm;
use crate::service::sign_ins;
use crate::state::AppState;

/// Which sign-in a refresh token belongs to.
pub enum SignIn<'a> {
    /// A new one, by this grant, at `auth_time`, in the sign-in session `session_id` (the code flow's).
    New {
        grant: GrantType,
        auth_time: UnixTime,
        session_id: Option<String>,
    },
    /// The sign-in of this spent token: its family, absolute expiry and grant.
    Continues(&'a RefreshTokenRow),
}

/// A new refresh token row and the token itself. A new family of a public client is bound to the DPoP key `cnf`
/// names, if any (RFC 9449 §5: a confidential client's refresh tokens are bound by its authentication instead).
pub fn new_refresh_token(
    state: &AppState,
    client: &AuthenticatedClient,
    user_id: &str,
    scope: &Scopes,
    sign_in: SignIn<'_>,
    cnf: Option<&Confirmation>,
) -> (RefreshTokenRow, SecretKey) {
    let token = SecretKey::generate_in(REFRESH_TOKEN);
    let stored = token.to_stored();
    let now = UnixTime::now();
    let lifetime = ttl::resolve(
        GrantType::RefreshToken,
        &client.client.ttl,
        client.tenant_ttl.as_ref(),
        &state.config.server_ttl(),
    );
    let (family_id, expires_at, grant, auth_time, session_id, dpop_jkt) = match sign_in {
        SignIn::Continues(spent) => (
            spent.family_id.clone(),
            spent.expires_at,
            spent.sign_in_grant,
            spent.auth_time,
            spent.session_id.clone(),
            spent.dpop_jkt.clone(),
        ),
        SignIn::New {
            grant,
            auth_time,
            session_id,
        } => (
            random_base62(22),
            now + lifetime.seconds,
            grant,
            Some(auth_time),
            session_id,
            cnf.filter(|_| client.client.public).map(|c| c.jkt.clone()),
        ),
    };
    let row = RefreshTokenRow {
        id: token.key_id().to_string(),
        family_id,
        client_id: client.client.id.clone(),
        user_id: user_id.to_string(),
        scope: scope.clone(),
        secret_salt: stored.salt,
        secret_hash: stored.hash,
        created_at: now,
        expires_at,
        idle_expires_at: (now + state.config.refresh_token_idle_seconds).min(expires_at),
        used_at: None,
        revoked_at: None,
        sign_in_grant: grant,
        auth_time,
        session_id,
        dpop_jkt,
    };
    (row, token)
}

/// Starts a family: the first refresh token of a password sign-in.
pub async fn issue_refresh_token(
    state: &AppState,
    client: &AuthenticatedClient,
    user_id: &str,
    scope: &Scopes,
    auth_time: UnixTime,
    cnf: Option<&Confirmation>,
) -> Result<String, OAuthError> {
    let sign_in = SignIn::New {
        grant: GrantType::Password,
        auth_time,
        session_id: None,
    };
    let (row, token) = new_refresh_token(state, client, user_id, scope, sign_in, cnf);
    state
        .db
        .write(move |conn| refresh_tokens::insert(conn, &row))
        .await
        .map_err(OAuthError::database)?;
    Ok(token.expose().to_string())
}

/// The stored token (and its user) that `token` is, if it is well-formed, known and its secret matches.
pub async fn find_presented(
    state: &AppState,
    token: &str,
) -> Result<Option<(RefreshTokenRow, UserRow)>, OAuthError> {
    let Ok(presented) = SecretKey::parse_in(REFRESH_TOKEN, token) else {
        return Ok(None);
    };
    let id = presented.key_id().to_string();
    let found = state
        .db
        .run(move |conn| refresh_tokens::find_with_user(conn, &id))
        .await
        .map_err(OAuthError::database)?;
    Ok(found.filter(|(row, _)| presented.matches(&row.stored_secret())))
}

fn invalid(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, description)
}

pub async fn refresh(
    state: &AppState,
    client: &AuthenticatedClient,
    form: &OAuthForm,
    cnf: Option<&Confirmation>,
) -> Result<Issued, OAuthError> {
    let found = find_presented(state, form.require("refresh_token")?).await?;
    let (row, user) = found
        .filter(|(row, _)| row.client_id == client.client.id)
        .ok_or_else(|| invalid("unknown refresh token"))?;
    let now = UnixTime::now();
    // A spent token is not refused here: the rotation below finds it spent and revokes the family (reuse).
    if row.revoked_at.is_some()
        || row.expires_at <= now
        || row.idle_expires_at <= now
        || user.disabled
    {
        return Err(invalid("the refresh token is expired or revoked"));
    }
    // RFC 9449 §5: a bound family is refreshed only with a proof made with its key.
    if row
        .dpop_jkt
        .as_ref()
        .is_some_and(|jkt| cnf.map(|c| &c.jkt) != Some(jkt))
    {
        return Err(invalid(
            "the refresh token is bound to a DPoP key: send a proof made with that key",
        ));
    }
    let scopes = match form.get("scope") {
        // RFC 6749 §6: a refresh may narrow the scope, never widen it.
        Some(requested) => {
            let original = row.scope.tokens();
            scope::grant(Some(requested), original, original)
                .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))?
        }
        None => row.scope.clone(),
    };
    let audience = audience(state, form)?;
    let (successor, token) = new_refresh_token(
        state,
        client,
        &user.id,
        &row.scope,
        SignIn::Continues(&row),
        cnf,
    );
    let rotation = Rotation {
        spent: row.id.clone(),
        successor,
    };
    let rotated = rotate(state, rotation)
        .await
        .map_err(OAuthError::database)?;
    if !rotated {
        revoke_family_on_reuse(state, client, &row).await?;
        return Err(invalid(
            "the refresh token was already used; the sign-in is revoked",
        ));
    }
    // A refreshed token lives as long as one from the grant that signed the user in (docs/contract.md).
    let lifetime_of = row.sign_in_grant;
    // OpenID Connect Core 1.0 §12.2: the same sub and auth_time as the sign-in's first ID token; no nonce.
    let id_token = id_token::is_requested(&scopes).then(|| SignInFacts {
        auth_time: row.auth_time.unwrap_or(row.created_at),
        session_id: row.session_id.clone(),
        nonce: None,
        user: user.clone(),
    });
    let grant = TokenGrant {
        grant: GrantType::RefreshToken,
        lifetime_of,
        subject: user.id.clone(),
        tenant_id: Some(user.tenant_id.clone()),
        scopes,
        audience,
        jti: None,
        external: None,
    };
    Ok(Issued {
        grant,
        refresh_token: Some(token.expose().to_string()),
        id_token,
    })
}

/// Rotates on SQLite in groups (`group_commit`): its writes take turns anyway, so concurrent rotations sharing one
/// transaction lose nothing and save a commit each. PostgreSQL's run side by side, each one statement.
async fn rotate(state: &AppState, rotation: Rotation) -> Result<bool, DbError> {
    match state.db.backend {
        Backend::Sqlite => state.rotations.submit(&state.db, rotation).await,
        Backend::Postgres => {
            let rotated = state
                .db
                .write(move |conn| sign_ins::rotate_refresh_tokens(conn, &[rotation]))
                .await?;
            Ok(rotated.first() == Some(&true))
        }
    }
}

async fn revoke_family_on_reuse(
    state: &AppState,
    client: &AuthenticatedClient,
    row: &RefreshTokenRow,
) -> Result<(), OAuthError> {
    let family = row.family_id.clone();
    let revoked = state
        .db
        .write(move |conn| refresh_tokens::revoke_family(conn, &family, UnixTime::now()))
        .await
        .map_err(OAuthError::database)?;
    tracing::warn!(client_id = %client.client.id, family_id = %row.family_id, revoked, "refresh token reused: family revoked");
    state.audit.record(AuditEvent {
        tenant_id: client.client.tenant_id.clone(),
        client_id: Some(client.client.id.clone()),
        target: Some(row.user_id.clone()),
        detail: Some(
            serde_json::json!({"reason": "refresh token reused", "family_id": row.family_id}),
        ),
        ..AuditEvent::new("refresh_token.reused")
    });
    Ok(())
}
