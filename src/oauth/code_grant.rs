//! The authorization code grant at the token endpoint (RFC 6749 §4.1.3) with PKCE (RFC 7636): codes are single use,
//! short-lived, bound to the client and redirect URI; replaying a used code revokes the sign-in it produced.

use super::error::{ErrorCode, OAuthError};
use super::grant::{audience, Issued};
use super::refresh_grant::{new_refresh_token, SignIn};
use crate::audit::AuditEvent;
use crate::credentials::access_token::{self, TokenGrant};
use crate::credentials::client::AuthenticatedClient;
use crate::credentials::dpop::Confirmation;
use crate::credentials::id_token::{self, SignInFacts};
use crate::db::authorization_codes::{self, AuthorizationCodeRow};
use crate::db::revoked_tokens::RevokedTokenRow;
use crate::db::{refresh_tokens, users};
use crate::domain::grant_type::GrantType;
use crate::domain::time::UnixTime;
use crate::domain::{authorization_code, pkce};
use crate::form::OAuthForm;
use crate::service::sign_ins;
use crate::state::AppState;

fn invalid(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, description)
}

pub async fn authorization_code(
    state: &AppState,
    client: &AuthenticatedClient,
    form: &OAuthForm,
    cnf: Option<&Confirmation>,
) -> Result<Issued, OAuthError> {
    let (code, redirect_uri) = (form.require("code")?, form.require("redirect_uri")?);
    let verifier = form.require("code_verifier")?;
    let hash = authorization_code::hash(code);
    let lookup = hash.clone();
    let row = state
        .db
        .run(move |conn| authorization_codes::find(conn, &lookup))
        .await
        .map_err(OAuthError::database)?;
    let row = row.ok_or_else(|| invalid("unknown authorization code"))?;
    let now = UnixTime::now();
    if row.client_id != client.client.id
        || row.redirect_uri != redirect_uri
        || row.expires_at <= now
    {
        return Err(invalid(
            "the code is expired or was issued to another client or redirect_uri",
        ));
    }
    if !pkce::verify(verifier, &row.code_challenge) {
        return Err(invalid("code_verifier does not match the code_challenge"));
    }
    if let Some(family) = &row.family_id {
        return Err(replayed(state, client, &row, family).await);
    }
    let user_id = row.user_id.clone();
    let user = state
        .db
        .run(move |conn| users::find_by_id(conn, &user_id))
        .await
        .map_err(OAuthError::database)?;
    let user = user
        .filter(|u| !u.disabled)
        .ok_or_else(|| invalid("the user is disabled"))?;
    let auth_time = row.auth_time.unwrap_or(row.created_at);
    let sign_in = SignIn::New {
        grant: GrantType::AuthorizationCode,
        auth_time,
        session_id: row.session_id.clone(),
    };
    let (refresh_row, refresh) =
        new_refresh_token(state, client, &user.id, &row.scope, sign_in, cnf);
    let jti = access_token::new_jti();
    let stored_jti = jti.clone();
    let redeemed = state
        .db
        .write(move |conn| sign_ins::redeem_code(conn, &hash, &refresh_row, &stored_jti))
        .await
        .map_err(OAuthError::database)?;
    if !redeemed {
        return Err(invalid("the authorization code was already used"));
    }
    let scopes = row.scope.clone();
    let id_token = id_token::is_requested(&scopes).then(|| SignInFacts {
        user: user.clone(),
        auth_time,
        nonce: row.nonce.clone(),
        session_id: row.session_id.clone(),
    });
    let grant = TokenGrant {
        grant: GrantType::AuthorizationCode,
        lifetime_of: GrantType::AuthorizationCode,
        subject: user.id.clone(),
        tenant_id: Some(user.tenant_id.clone()),
        scopes,
        audience: audience(state, form)?,
        jti: Some(jti),
        external: None,
    };
    Ok(Issued {
        grant,
        refresh_token: Some(refresh.expose().to_string()),
        id_token,
    })
}

/// RFC 6749 §4.1.2: a code used twice revokes the tokens issued for it: its sign-in (every refresh token) and the
/// access token it was exchanged for.
async fn replayed(
    state: &AppState,
    client: &AuthenticatedClient,
    code: &AuthorizationCodeRow,
    family: &str,
) -> OAuthError {
    let family_id = family.to_string();
    if let Err(error) = state
        .db
        .write(move |conn| refresh_tokens::revoke_family(conn, &family_id, UnixTime::now()))
        .await
    {
        return OAuthError::database(error);
    }
    if let Some(jti) = &code.access_token_jti {
        let used_at = code.used_at.unwrap_or(code.created_at);
        let row = RevokedTokenRow {
            jti: jti.clone(),
            client_id: code.client_id.clone(),
            // The token lived at most this long; its exact lifetime is not stored.
            expires_at: used_at + state.config.max_access_token_ttl,
            revoked_at: UnixTime::now(),
        };
        if let Err(error) = state.revocations.revoke_token(&state.db, row).await {
            return OAuthError::database(error);
        }
    }
    state.audit.record(AuditEvent {
        tenant_id: client.client.tenant_id.clone(),
        client_id: Some(client.client.id.clone()),
        detail: Some(
            serde_json::json!({"reason": "authorization code replayed", "family_id": family}),
        ),
        ..AuditEvent::new("authorization_code.replayed")
    });
    invalid("the authorization code was already used; its sign-in is revoked")
}
