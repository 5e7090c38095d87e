//! Moments as whole seconds since the Unix epoch: the one time format of the database and of JWT claims
//! (RFC 7519 §2, "NumericDate").

use std::time::{SystemTime, UNIX_EPOCH};

/// A moment, to the second. Stored as a BIGINT, sent as a JSON number.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[serde(transparent)]
#[schema(value_type = i64, example = 1767225600)]
#[diesel(sql_type = diesel::sql_types::BigInt)]
pub struct UnixTime(pub(crate) i64);

impl UnixTime {
    pub fn now() -> UnixTime {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_secs() as i64)
            .unwrap_or_default();
        UnixTime(seconds)
    }

    pub const fn from_seconds(seconds: i64) -> UnixTime {
        UnixTime(seconds)
    }

    pub const fn seconds(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for UnixTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// `moment + seconds`: later by that many seconds (saturating, never wrapping).
impl std::ops::Add<i64> for UnixTime {
    type Output = UnixTime;
    fn add(self, seconds: i64) -> UnixTime {
        UnixTime(self.0.saturating_add(seconds))
    }
}

/// `moment - seconds`: earlier by that many seconds (saturating, never wrapping).
impl std::ops::Sub<i64> for UnixTime {
    type Output = UnixTime;
    fn sub(self, seconds: i64) -> UnixTime {
        UnixTime(self.0.saturating_sub(seconds))
    }
}
