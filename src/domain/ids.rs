//! Identifiers: a type prefix and 22 base62 characters (131 random bits), e.g. `sc_4fQ…`.

use rand::RngCore;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Length of the random part of every identifier.
pub const ID_RANDOM_LEN: usize = 22;

/// A user's or service client's id, as the OpenAPI document describes subjects.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, pattern = "^(usr|sc)_[0-9A-Za-z]{22}$")]
pub struct SubjectId(pub String);

/// An id that is not of the kind its place needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{given:?} is not {what}")]
pub struct MalformedId {
    given: String,
    what: &'static str,
}

/// Ids of one kind each: made only from a string of that kind's shape, so that a malformed id is refused where it
/// enters (a path, a body, a command line) and one kind cannot be passed where another is wanted.
macro_rules! typed_ids {
    ($($(#[$doc:meta])* $name:ident = $kind:ident, $what:literal, $pattern:literal;)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, pattern = $pattern)]
        pub struct $name(String);

        impl $name {
            pub fn parse(id: &str) -> Result<$name, MalformedId> {
                match IdKind::$kind.matches(id) {
                    true => Ok($name(id.to_string())),
                    false => Err(MalformedId { given: id.chars().take(64).collect(), what: $what }),
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = MalformedId;
            fn from_str(id: &str) -> Result<$name, MalformedId> {
                $name::parse(id)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let id = String::deserialize(deserializer)?;
                $name::parse(&id).map_err(serde::de::Error::custom)
            }
        }
    )+};
}

typed_ids! {
    /// A tenant's id, `ten_…`.
    TenantId = Tenant, "a tenant id", "^ten_[0-9A-Za-z]{22}$";
    /// A user's id, `usr_…`.
    UserId = User, "a user id", "^usr_[0-9A-Za-z]{22}$";
    /// A service client's id, `sc_…`.
    ClientId = ServiceClient, "a client id", "^sc_[0-9A-Za-z]{22}$";
    /// An access key's id, `acc_…`.
    AccessKeyId = AccessKey, "an access key id", "^acc_[0-9A-Za-z]{22}$";
    /// A role's id, `rol_…`.
    RoleId = Role, "a role id", "^rol_[0-9A-Za-z]{22}$";
    /// An access record's id, `rec_…`.
    RecordId = AccessRecord, "a record id", "^rec_[0-9A-Za-z]{22}$";
    /// A trusted issuer's id, `tis_…`.
    TrustedIssuerId = TrustedIssuer, "a trusted issuer id", "^tis_[0-9A-Za-z]{22}$";
    /// An initial access token's id, `rgt_…`.
    RegistrationTokenId = RegistrationToken, "a registration token id", "^rgt_[0-9A-Za-z]{22}$";
}

/// The kinds of object that have identifiers, with their prefixes (docs/contract.md, "Identifiers and references").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Tenant,
    User,
    ServiceClient,
    AccessKey,
    RefreshToken,
    Role,
    AccessRecord,
    TrustedIssuer,
    /// An initial access token for dynamic client registration (RFC 7591 §3).
    RegistrationToken,
    /// A registered client's registration access token (RFC 7592).
    RegistrationAccess,
}

impl IdKind {
    /// The prefix, without the underscore that follows it.
    pub fn prefix(self) -> &'static str {
        match self {
            IdKind::Tenant => "ten",
            IdKind::User => "usr",
            IdKind::ServiceClient => "sc",
            IdKind::AccessKey => "acc",
            IdKind::RefreshToken => "rt",
            IdKind::Role => "rol",
            IdKind::AccessRecord => "rec",
            IdKind::TrustedIssuer => "tis",
            IdKind::RegistrationToken => "rgt",
            IdKind::RegistrationAccess => "rat",
        }
    }

    /// A fresh random identifier of this kind.
    pub fn generate(self) -> String {
        format!("{}_{}", self.prefix(), random_base62(ID_RANDOM_LEN))
    }

    /// Whether `id` has this kind's shape; checked before any database read.
    pub fn matches(self, id: &str) -> bool {
        id.strip_prefix(self.prefix())
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|random| random.len() == ID_RANDOM_LEN && is_base62(random))
    }

    /// The full length of an identifier of this kind.
    pub fn id_len(self) -> usize {
        self.prefix().len() + 1 + ID_RANDOM_LEN
    }
}

/// `len` uniformly random base62 characters from the thread's CSPRNG (ChaCha12 seeded and periodically reseeded
/// from the operating system, `rand::thread_rng`): every token carries a fresh `jti`, and a `getrandom` system call
/// per request showed up in the token endpoint's profile.
pub fn random_base62(len: usize) -> String {
    let mut out = String::with_capacity(len);
    // Rejection sampling keeps the characters uniform: 248 = 4 × 62, so bytes below it map evenly.
    let mut bytes = vec![0u8; len + len / 2 + 8];
    let mut rng = rand::thread_rng();
    while out.len() < len {
        rng.fill_bytes(&mut bytes);
        out.extend(
            bytes
                .iter()
                .filter(|b| **b < 248)
                .map(|b| BASE62[usize::from(*b) % BASE62.len()] as char)
                .take(len - out.len()),
        );
    }
    out
}

/// Writes `value` in base62, left-padded with zeros to `width` characters.
pub fn encode_base62_fixed(mut value: u64, width: usize) -> String {
    let mut digits = vec![b'0'; width];
    for digit in digits.iter_mut().rev() {
        *digit = BASE62[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(digits).unwrap_or_default()
}

/// Whether every character of `s` is a base62 digit.
pub fn is_base62(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_base62_has_the_length_asked_and_uses_every_character() {
        let drawn: String = (0..200).map(|_| random_base62(43)).collect();
        assert_eq!(drawn.len(), 200 * 43);
        assert!(BASE62.iter().all(|c| drawn.contains(*c as char)));
        assert!(drawn.bytes().all(|b| BASE62.contains(&b)));
    }

    #[test]
    fn generated_ids_match_their_kind_only() {
        let id = IdKind::ServiceClient.generate();
        assert_eq!(id.len(), IdKind::ServiceClient.id_len());
        assert!(IdKind::ServiceClient.matches(&id));
        assert!(!IdKind::Tenant.matches(&id));
        assert!(!IdKind::ServiceClient.matches("sc_short"));
        assert!(!IdKind::ServiceClient.matches("sc_4fQ-aaaaaaaaaaaaaaaaaa"));
    }

    #[test]
    fn fixed_width_base62_pads_and_wraps() {
        assert_eq!(encode_base62_fixed(0, 6), "000000");
        assert_eq!(encode_base62_fixed(61, 2), "0z");
        assert_eq!(encode_base62_fixed(u32::MAX as u64, 6).len(), 6);
    }
}
