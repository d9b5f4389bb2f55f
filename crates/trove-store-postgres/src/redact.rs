//! Keeping passwords out of messages: a connection string is shown without its password, and
//! a driver message is scrubbed of it in case the driver echoed it back.

/// The connection string without its password, in either libpq form: a URL
/// (`postgres://user:secret@host/db?password=secret`) or key/value pairs
/// (`host=db password=secret`).
pub(crate) fn redact_url(url: &str) -> String {
    let trimmed = url.trim();
    for scheme in ["postgres://", "postgresql://"] {
        if let Some(rest) = trimmed.strip_prefix(scheme) {
            return format!("{scheme}{}", redact_uri_rest(rest));
        }
    }
    redact_key_values(trimmed)
}

fn redact_uri_rest(rest: &str) -> String {
    // The last `@` ends the user info even when an unescaped password holds `@`, `/` or `?`:
    // cutting too much off the display is better than showing part of a password.
    let (user, after_user) = match rest.rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or_default();
            (format!("{user}@"), &rest[at + 1..])
        }
        None => (String::new(), rest),
    };
    let shown = match after_user.split_once('?') {
        None => after_user.to_owned(),
        Some((location, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|pair| {
                    !pair
                        .split('=')
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .eq_ignore_ascii_case("password")
                })
                .collect();
            if kept.is_empty() {
                location.to_owned()
            } else {
                format!("{location}?{}", kept.join("&"))
            }
        }
    };
    format!("{user}{shown}")
}

fn redact_key_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_password_key(rest) {
        out.push_str(rest[..start].trim_end());
        let after_key = rest[start + "password".len()..].trim_start();
        let value = after_key
            .strip_prefix('=')
            .unwrap_or(after_key)
            .trim_start();
        rest = skip_value(value);
    }
    out.push_str(rest);
    out.trim().to_owned()
}

/// Where a `password` key starts: at the start or after whitespace, followed by `=`.
fn find_password_key(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = text[from..].find("password") {
        let start = from + found;
        let at_word_start = text[..start]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace);
        let followed_by_equals = text[start + "password".len()..]
            .trim_start()
            .starts_with('=');
        if at_word_start && followed_by_equals {
            return Some(start);
        }
        from = start + "password".len();
    }
    None
}

/// The text after a value: a quoted value ends at the unescaped closing quote, a bare one at
/// whitespace.
fn skip_value(value: &str) -> &str {
    if let Some(quoted) = value.strip_prefix('\'') {
        let mut escaped = false;
        for (index, c) in quoted.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '\'' => return &quoted[index + 1..],
                _ => {}
            }
        }
        ""
    } else {
        value
            .find(char::is_whitespace)
            .map_or("", |end| &value[end..])
    }
}

/// A driver message with every occurrence of the password masked.
pub(crate) fn scrub(message: &str, password: Option<&[u8]>) -> String {
    match password.and_then(|p| std::str::from_utf8(p).ok()) {
        Some(password) if !password.is_empty() => message.replace(password, "***"),
        _ => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_the_password_and_keep_the_rest() {
        assert_eq!(
            redact_url("postgres://trove:s3cret@db:5432/trove"),
            "postgres://trove@db:5432/trove"
        );
        assert_eq!(
            redact_url("postgresql://trove@db/trove"),
            "postgresql://trove@db/trove"
        );
        assert_eq!(redact_url("postgres://db/trove"), "postgres://db/trove");
        assert_eq!(
            redact_url("postgres://trove@db/trove?password=s3cret&sslmode=disable"),
            "postgres://trove@db/trove?sslmode=disable"
        );
        assert_eq!(
            redact_url("postgres://db/trove?password=s3cret"),
            "postgres://db/trove"
        );
    }

    #[test]
    fn an_unescaped_password_with_url_characters_is_still_removed() {
        let shown = redact_url("postgres://trove:p@ss/w?rd@db/trove");
        assert_eq!(shown, "postgres://trove@db/trove");
    }

    #[test]
    fn key_value_strings_lose_the_password_quoted_or_not() {
        assert_eq!(
            redact_url("host=db password=s3cret dbname=trove"),
            "host=db dbname=trove"
        );
        assert_eq!(
            redact_url("host=db password = 'a b\\' c' user=x"),
            "host=db user=x"
        );
        assert_eq!(redact_url("password=s3cret"), "");
        assert_eq!(redact_url("host=db mypassword=x"), "host=db mypassword=x");
    }

    #[test]
    fn messages_are_scrubbed_of_the_password() {
        assert_eq!(scrub("bad s3cret here", Some(b"s3cret")), "bad *** here");
        assert_eq!(scrub("nothing", Some(b"")), "nothing");
        assert_eq!(scrub("nothing", None), "nothing");
    }
}
