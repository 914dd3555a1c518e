//! Checking what people type: every field error at once, text without control characters.

use super::error::{Error, FieldError, Result};

/// Collects field errors so a form shows all of them at once.
#[derive(Debug, Default)]
pub struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    pub fn new() -> Checks {
        Checks::default()
    }

    pub fn fail(&mut self, field: &'static str, code: &'static str) {
        self.errors.push(FieldError::new(field, code));
    }

    /// Trimmed, non-empty, at most `max` characters, no control characters.
    pub fn text(&mut self, field: &'static str, value: &str, max: usize) -> String {
        match required_text(field, value, max) {
            Ok(text) => text,
            Err(e) => {
                self.errors.push(e);
                String::new()
            }
        }
    }

    /// Like [`Checks::text`], but empty is allowed.
    pub fn optional_text(&mut self, field: &'static str, value: &str, max: usize) -> String {
        let value = value.trim();
        if value.is_empty() {
            String::new()
        } else {
            self.text(field, value, max)
        }
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Err(Validation)` with every error collected, if any.
    pub fn finish(self) -> Result<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.errors))
        }
    }
}

/// A name-like text field: trimmed, non-empty, at most `max` characters, and free of control
/// characters (NUL, escapes, line breaks), which have no business in a name and break pages,
/// CSV files and RouterOS comments.
pub fn required_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> std::result::Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        Err(FieldError::new(field, "field.required"))
    } else if value.chars().count() > max {
        Err(FieldError::new(field, "field.too_long"))
    } else if value.chars().any(char::is_control) {
        Err(FieldError::new(field, "field.control_characters"))
    } else {
        Ok(value.to_owned())
    }
}

/// The one-field form of [`required_text`].
pub fn text(field: &'static str, value: &str, max: usize) -> Result<String> {
    required_text(field, value, max).map_err(|e| Error::Validation(vec![e]))
}

/// A Bangladeshi phone number as `01XXXXXXXXX` (mobile) or `0` + area code and number
/// (landline); `+880`/`880` prefixes, spaces and dashes are accepted on input.
pub fn normalise_phone(text: &str) -> Option<String> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let national = match digits
        .strip_prefix("+880")
        .or_else(|| digits.strip_prefix("880"))
    {
        Some(rest) => format!("0{rest}"),
        None => digits,
    };
    let ok = national.bytes().all(|b| b.is_ascii_digit())
        && if national.starts_with("01") {
            national.len() == 11 && matches!(national.as_bytes()[2], b'3'..=b'9')
        } else {
            national.starts_with('0') && (9..=11).contains(&national.len())
        };
    ok.then_some(national)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(required_text("name", "  Mirpur ", 10).unwrap(), "Mirpur");
        assert_eq!(
            required_text("name", " ", 10).unwrap_err().code,
            "field.required"
        );
        assert_eq!(
            required_text("name", "abcdefghijk", 10).unwrap_err().code,
            "field.too_long"
        );
        assert_eq!(
            required_text("name", "মিরপুর", 6).unwrap(),
            "মিরপুর",
            "characters, not bytes"
        );
        for bad in [
            "a\0b",
            "a\u{1b}[31mb",
            "line\nbreak",
            "tab\there",
            "del\u{7f}",
        ] {
            assert_eq!(
                required_text("name", bad, 100).unwrap_err().code,
                "field.control_characters",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn bangladeshi_numbers_normalise() {
        assert_eq!(
            normalise_phone("01712-345678").as_deref(),
            Some("01712345678")
        );
        assert_eq!(
            normalise_phone("+880 1912 345678").as_deref(),
            Some("01912345678")
        );
        assert_eq!(normalise_phone("02-9123456").as_deref(), Some("029123456"));
        assert_eq!(normalise_phone("01212345678"), None, "no 012 operator");
        assert_eq!(normalise_phone("0171234567"), None, "one digit short");
        assert_eq!(normalise_phone("01712'; DROP"), None);
    }
}
