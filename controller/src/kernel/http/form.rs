//! URL-encoded text: form bodies, query strings, redirect targets.

/// The first value of `name` in a form body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    pairs(body).find(|(k, _)| k == name).map(|(_, v)| v)
}

/// Every value of a repeated field (checkboxes).
pub fn form_values(body: &[u8], name: &str) -> Vec<String> {
    pairs(body)
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v)
        .collect()
}

/// Decoded `name=value` pairs of a form body or query string, in order.
pub fn pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let mut it = pair.splitn(2, |b| *b == b'=');
            Some((
                urldecode(it.next()?),
                urldecode(it.next().unwrap_or_default()),
            ))
        })
}

pub fn urldecode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where to go after signing in or switching language: only a path on this site. Percent-escapes
/// are decoded first and the result normalised, so `/%09/evil.example` (a tab, which browsers
/// drop, making `//evil.example`), backslashes, control characters and absolute URLs all fall
/// back to `/`.
pub fn safe_next(next: &str) -> String {
    let decoded = urldecode(next.as_bytes());
    let cleaned: String = decoded.chars().filter(|c| !c.is_control()).collect();
    let same_site = cleaned.starts_with('/')
        && !cleaned.starts_with("//")
        && !cleaned.contains('\\')
        && cleaned == decoded
        && !decoded.contains("/./")
        && !decoded.contains("/../");
    if same_site {
        // Re-encode what a header may not carry as is.
        urlencode_path(&decoded)
    } else {
        "/".to_owned()
    }
}

/// A path with only characters safe in a `Location` header left as they are.
fn urlencode_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'!'..=b'~'
                if !matches!(
                    b,
                    b'"' | b'%' | b'<' | b'>' | b'`' | b'{' | b'}' | b'|' | b'^'
                ) =>
            {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_decode() {
        let body = b"name=Mirpur+POP&csrf=ab%2Fcd&empty=&x";
        assert_eq!(form_field(body, "name").as_deref(), Some("Mirpur POP"));
        assert_eq!(form_field(body, "csrf").as_deref(), Some("ab/cd"));
        assert_eq!(form_field(body, "empty").as_deref(), Some(""));
        assert_eq!(form_field(body, "missing"), None);
        assert_eq!(form_field(b"a=%zz%4", "a").as_deref(), Some("%zz%4"));
        assert_eq!(form_values(b"p=a&q=1&p=b", "p"), ["a", "b"]);
    }

    #[test]
    fn only_same_site_paths_are_redirect_targets() {
        for good in [
            "/",
            "/subscribers",
            "/audit?action=auth.&before=9",
            "/fleet#x",
        ] {
            assert_eq!(safe_next(good), good, "{good}");
        }
        assert_eq!(
            safe_next("/s%C3%A9"),
            "/s%C3%A9",
            "UTF-8 paths stay encoded"
        );
        for bad in [
            "//evil.example",
            "/%09/evil.example",
            "/\t/evil.example",
            "%2F%2Fevil.example",
            "/%2F/evil.example",
            "https://evil.example/",
            "/\\evil.example",
            "/%5Cevil.example",
            "/x%0D%0ASet-Cookie:%20a=b",
            "/x\r\nSet-Cookie: a=b",
            "evil",
            "",
            "/../admin",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
