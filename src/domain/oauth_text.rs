//! Text keygate writes into OAuth answers, whichever edge sends them (the token endpoint, the authorization page).

use std::borrow::Cow;

/// RFC 6749 §5.2: `error_description` is printable ASCII without `"` and `\`. Descriptions are written so; this
/// keeps any text that came from a request (a scope name, a redirect URI) within that set too.
pub fn description_charset(description: &str) -> Cow<'_, str> {
    let allowed = |c: char| matches!(c, '\x20'..='\x7e') && c != '"' && c != '\\';
    if description.chars().all(allowed) {
        return Cow::Borrowed(description);
    }
    Cow::Owned(
        description
            .chars()
            .map(|c| match c {
                '"' => '\'',
                c if allowed(c) => c,
                _ => '?',
            })
            .collect(),
    )
}
