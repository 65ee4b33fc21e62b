//! Word splitting for `full_text`. Both backends index and search the same Rust-made
//! tokens, so "whole word, case-insensitive" means exactly the same thing on SQLite and
//! PostgreSQL: a word is a run of letters and digits, so `leo@f21.it` holds `leo`, `f21`
//! and `it`.

/// The lower-cased words of `text`, in order.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// The searchable text of a lead: the words of its full name and email, space separated.
pub fn search_text(fullname: Option<&str>, email: Option<&str>) -> String {
    let mut out = String::new();
    for word in words(fullname.unwrap_or_default()).chain(words(email.unwrap_or_default())) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word);
    }
    out
}

/// The distinct search words of a `full_text` filter; empty when it holds no word at
/// all, in which case nothing matches.
pub fn query_words(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in words(query) {
        if !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_splits_into_words() {
        assert_eq!(
            search_text(Some("Andrea Rossi"), Some("Leo@F21.it")),
            "andrea rossi leo f21 it"
        );
    }

    #[test]
    fn punctuation_alone_has_no_words() {
        assert!(query_words("@@ --").is_empty());
        assert_eq!(query_words("andrea ANDREA leo"), ["andrea", "leo"]);
    }
}
