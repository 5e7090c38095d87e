//! Users' names: what is stored, and the key that decides whether two names are the same user.

use unicode_normalization::UnicodeNormalization;

/// The longest username, in characters.
pub const MAX_USERNAME_CHARS: usize = 100;

/// A username as shown (NFKC, trimmed) and the key it is unique by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username {
    pub display: String,
    pub key: String,
}

/// Why a username is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("username must be 1 to {MAX_USERNAME_CHARS} printable characters")]
pub struct UsernameError;

/// The key usernames are unique by and signed in with: NFKC (full-width `ａｌｉｃｅ` and decomposed accents become
/// their plain forms), then lowercased, then NFKC again (lowercasing can leave a string unnormalised). Scripts are
/// not folded into each other: Cyrillic `а` stays distinct from Latin `a`; `ß` stays distinct from `ss`.
pub fn username_key(username: &str) -> String {
    let normal: String = username.trim().nfkc().collect();
    normal.to_lowercase().nfkc().collect()
}

impl Username {
    /// Normalises and checks a username.
    pub fn parse(raw: &str) -> Result<Username, UsernameError> {
        let display: String = raw.nfkc().collect::<String>().trim().to_string();
        let length = display.chars().count();
        if length == 0 || length > MAX_USERNAME_CHARS || display.chars().any(char::is_control) {
            return Err(UsernameError);
        }
        Ok(Username {
            key: username_key(&display),
            display,
        })
    }
}

/// The longest email address (RFC 5321 §4.5.3.1.3 path limit, less the angle brackets).
pub const MAX_EMAIL_CHARS: usize = 254;

/// An email address as given (trimmed) and the key it is unique by within a tenant (lowercased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub address: String,
    pub key: String,
}

/// Why an email address is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("email must be an address like name@example.com, at most {MAX_EMAIL_CHARS} characters")]
pub struct EmailError;

impl Email {
    /// Checks the shape only (`local@domain`, no spaces or control characters): whether it is the user's is what
    /// `email_verified` says.
    pub fn parse(raw: &str) -> Result<Email, EmailError> {
        let address = raw.trim();
        let (local, domain) = address.rsplit_once('@').ok_or(EmailError)?;
        let printable = |part: &str| !part.chars().any(|c| c.is_whitespace() || c.is_control());
        let valid = (1..=64).contains(&local.chars().count())
            && !domain.is_empty()
            && !domain.contains('@')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && printable(local)
            && printable(domain)
            && address.chars().count() <= MAX_EMAIL_CHARS;
        match valid {
            true => Ok(Email {
                address: address.to_string(),
                key: address.to_lowercase(),
            }),
            false => Err(EmailError),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_for_shape_and_unique_by_their_lowercase_form() {
        let email = Email::parse(" Alice@Example.COM ").unwrap();
        assert_eq!(
            (email.address.as_str(), email.key.as_str()),
            ("Alice@Example.COM", "alice@example.com")
        );
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "a b@example.com",
            "alice@.com",
            "alice@example.com.",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn look_alikes_of_one_name_share_its_key() {
        let plain = Username::parse("Alice").unwrap().key;
        assert_eq!(Username::parse("ＡＬＩＣＥ").unwrap().key, plain);
        assert_eq!(Username::parse(" alice ").unwrap().key, plain);
        assert_eq!(
            Username::parse("Jose\u{301}").unwrap().key,
            Username::parse("José").unwrap().key
        );
        assert_ne!(
            Username::parse("аlice").unwrap().key,
            plain,
            "Cyrillic а is another letter"
        );
    }

    #[test]
    fn blank_long_and_control_names_are_refused() {
        assert_eq!(Username::parse("  "), Err(UsernameError));
        assert_eq!(Username::parse(&"a".repeat(101)), Err(UsernameError));
        assert_eq!(Username::parse("a\u{7}b"), Err(UsernameError));
        assert!(Username::parse(&"a".repeat(100)).is_ok());
    }
}
