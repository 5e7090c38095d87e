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

#[cfg(test)]
mod tests {
    use super::*;

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
