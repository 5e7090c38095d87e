// Written by hand to match both migrations/sqlite and migrations/postgres; a test checks that it does.

diesel::table! {
    tenants (id) {
        id -> Text,
        name -> Text,
        slug -> Text,
        ttl -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    service_clients (id) {
        id -> Text,
        tenant_id -> Nullable<Text>,
        name -> Text,
        owner_type -> Nullable<Text>,
        owner_id -> Nullable<Text>,
        is_public -> Bool,
        grant_types -> Text,
        scopes -> Text,
        default_scopes -> Nullable<Text>,
        redirect_uris -> Text,
        allowed_origins -> Text,
        ttl -> Text,
        created_at -> BigInt,
        post_logout_redirect_uris -> Text,
        dpop_bound_access_tokens -> Bool,
    }
}

diesel::table! {
    access_keys (id) {
        id -> Text,
        client_id -> Text,
        kind -> Text,
        secret_salt -> Nullable<Binary>,
        secret_hash -> Nullable<Binary>,
        public_jwk -> Nullable<Text>,
        alg -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        last_used_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        alg -> Text,
        private_key -> Binary,
        public_jwk -> Text,
        created_at -> BigInt,
        retired_at -> Nullable<BigInt>,
        published_until -> Nullable<BigInt>,
        activates_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        tenant_id -> Text,
        username -> Text,
        username_key -> Text,
        password_hash -> Text,
        display_name -> Nullable<Text>,
        disabled -> Bool,
        created_at -> BigInt,
        password_changed_at -> BigInt,
        email -> Nullable<Text>,
        email_key -> Nullable<Text>,
        email_verified -> Bool,
        tenant_admin -> Bool,
    }
}

diesel::table! {
    operators (id) {
        id -> Text,
        username -> Text,
        username_key -> Text,
        password_hash -> Text,
        disabled -> Bool,
        created_at -> BigInt,
        password_changed_at -> BigInt,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        client_id -> Text,
        user_id -> Text,
        scope -> Text,
        secret_salt -> Binary,
        secret_hash -> Binary,
        created_at -> BigInt,
        expires_at -> BigInt,
        idle_expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
        sign_in_grant -> Text,
        auth_time -> Nullable<BigInt>,
        session_id -> Nullable<Text>,
        dpop_jkt -> Nullable<Text>,
    }
}

diesel::table! {
    authorization_codes (code_hash) {
        code_hash -> Text,
        client_id -> Text,
        user_id -> Text,
        redirect_uri -> Text,
        scope -> Text,
        code_challenge -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        family_id -> Nullable<Text>,
        access_token_jti -> Nullable<Text>,
        nonce -> Nullable<Text>,
        auth_time -> Nullable<BigInt>,
        session_id -> Nullable<Text>,
    }
}

diesel::table! {
    roles (id) {
        id -> Text,
        tenant_id -> Nullable<Text>,
        scope_key -> Text,
        name -> Text,
        permissions -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    access_records (id) {
        id -> Text,
        tenant_id -> Nullable<Text>,
        name -> Text,
        admins -> Text,
        statements -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    record_subjects (record_id, subject_id) {
        record_id -> Text,
        subject_id -> Text,
    }
}

diesel::joinable!(record_subjects -> access_records (record_id));
diesel::joinable!(access_keys -> service_clients (client_id));
diesel::joinable!(users -> tenants (tenant_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(refresh_tokens -> service_clients (client_id));
diesel::joinable!(service_clients -> tenants (tenant_id));

diesel::table! {
    used_assertions (client_id, jti) {
        client_id -> Text,
        jti -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        client_id -> Text,
        expires_at -> BigInt,
        revoked_at -> BigInt,
    }
}

diesel::table! {
    revoked_subjects (subject_id) {
        subject_id -> Text,
        revoked_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        tenant_id -> Nullable<Text>,
        client_id -> Nullable<Text>,
        actor -> Nullable<Text>,
        action -> Text,
        target -> Nullable<Text>,
        detail -> Text,
        source_ip -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    activity_hours (tenant_id, hour, event) {
        tenant_id -> Text,
        hour -> BigInt,
        event -> Text,
        count -> BigInt,
    }
}

diesel::table! {
    trusted_issuers (id) {
        id -> Text,
        tenant_id -> Nullable<Text>,
        issuer -> Text,
        jwks_uri -> Nullable<Text>,
        jwks -> Nullable<Text>,
        audiences -> Text,
        algorithms -> Text,
        max_token_age -> Nullable<BigInt>,
        rules -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    registration_tokens (id) {
        id -> Text,
        tenant_id -> Text,
        secret_salt -> Binary,
        secret_hash -> Binary,
        created_by -> Text,
        owner_user_id -> Nullable<Text>,
        policy -> Text,
        max_uses -> Nullable<BigInt>,
        uses -> BigInt,
        expires_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    client_registrations (client_id) {
        client_id -> Text,
        registration_token_id -> Nullable<Text>,
        access_token_id -> Text,
        access_token_salt -> Binary,
        access_token_hash -> Binary,
        metadata -> Text,
        policy -> Text,
        created_at -> BigInt,
        open_registration -> Bool,
    }
}

diesel::table! {
    open_registrations (tenant_id) {
        tenant_id -> Text,
        policy -> Text,
        updated_by -> Text,
        updated_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    service_clients,
    access_keys,
    signing_keys,
    used_assertions,
    revoked_tokens,
    revoked_subjects,
    audit_events,
    users,
    refresh_tokens,
    authorization_codes,
    roles,
    access_records,
    record_subjects,
    operators,
    activity_hours,
    trusted_issuers,
    registration_tokens,
    client_registrations,
    open_registrations,
);
diesel::joinable!(client_registrations -> service_clients (client_id));
