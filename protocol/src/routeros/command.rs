//! Client sentences: building them ([`Command`]) and reading them server-side ([`Request`]).

use super::sentence::Sentence;

/// A command to send, built word by word. The client adds the `.tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    words: Vec<Vec<u8>>,
}

impl Command {
    /// `path` is the command word, e.g. `/ppp/secret/print`.
    pub fn new(path: impl AsRef<[u8]>) -> Self {
        Command {
            words: vec![path.as_ref().to_vec()],
        }
    }

    /// Adds `=key=value`. The value may contain `=` or be empty.
    pub fn attr(mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        self.words
            .push(attribute_word(key.as_ref(), value.as_ref()));
        self
    }

    /// Adds `=.proplist=a,b,c`.
    pub fn proplist<S: AsRef<str>>(self, props: &[S]) -> Self {
        let list: Vec<&str> = props.iter().map(AsRef::as_ref).collect();
        self.attr(".proplist", list.join(","))
    }

    /// Adds a raw query word; `word` must start with `?`.
    pub fn query(mut self, word: impl AsRef<[u8]>) -> Self {
        self.words.push(word.as_ref().to_vec());
        self
    }

    /// Adds `?key=value` (property equals value).
    pub fn where_eq(self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        let mut w = b"?".to_vec();
        w.extend_from_slice(key.as_ref());
        w.push(b'=');
        w.extend_from_slice(value.as_ref());
        self.query(w)
    }

    pub fn path(&self) -> &[u8] {
        &self.words[0]
    }

    pub fn words(&self) -> &[Vec<u8>] {
        &self.words
    }

    /// The sentence to send, with `.tag=<tag>` appended when given.
    pub fn to_sentence(&self, tag: Option<&[u8]>) -> Sentence {
        let mut words = self.words.clone();
        if let Some(tag) = tag {
            let mut w = b".tag=".to_vec();
            w.extend_from_slice(tag);
            words.push(w);
        }
        Sentence::new(words)
    }
}

pub(crate) fn attribute_word(key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut w = Vec::with_capacity(key.len() + value.len() + 2);
    w.push(b'=');
    w.extend_from_slice(key);
    w.push(b'=');
    w.extend_from_slice(value);
    w
}

/// Splits `=key=value` (or `=key`, which some clients send for an empty value).
pub(crate) fn split_attribute(word: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = word.strip_prefix(b"=")?;
    match rest.iter().position(|&b| b == b'=') {
        Some(i) => Some((&rest[..i], &rest[i + 1..])),
        None => Some((rest, &[][..])),
    }
}

/// A client sentence as the router reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub command: Vec<u8>,
    /// `=key=value` words in order.
    pub attributes: Vec<(Vec<u8>, Vec<u8>)>,
    /// Query words without their leading `?`, in order (order is significant).
    pub queries: Vec<Vec<u8>>,
    /// `.tag=` value; `None` when absent or empty, as RouterOS treats an empty tag.
    pub tag: Option<Vec<u8>>,
    /// Words of no known kind.
    pub unknown: Vec<Vec<u8>>,
}

impl Request {
    /// Reads a client sentence. The first word is the command; it need not start with `/`
    /// (the router answers such commands with a trap, so that is for the caller to decide).
    pub fn parse(sentence: &Sentence) -> Request {
        let mut words = sentence.words.iter();
        let mut req = Request {
            command: words.next().cloned().unwrap_or_default(),
            ..Request::default()
        };
        for word in words {
            if let Some((k, v)) = split_attribute(word) {
                req.attributes.push((k.to_vec(), v.to_vec()));
            } else if let Some(q) = word.strip_prefix(b"?") {
                req.queries.push(q.to_vec());
            } else if let Some(t) = word.strip_prefix(b".tag=") {
                req.tag = (!t.is_empty()).then(|| t.to_vec());
            } else {
                req.unknown.push(word.clone());
            }
        }
        req
    }

    /// The last value given for `key`.
    pub fn attr(&self, key: &str) -> Option<&[u8]> {
        self.attributes
            .iter()
            .rev()
            .find(|(k, _)| k == key.as_bytes())
            .map(|(_, v)| v.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_may_contain_equals_and_be_empty() {
        let s = Sentence::from_words([
            "/login",
            "=name=admin",
            "=password=",
            "=secret=iu=c3Eeg",
            "=flag",
            ".tag=t1",
            "?name=x",
            "junk",
        ]);
        let r = Request::parse(&s);
        assert_eq!(r.command, b"/login");
        assert_eq!(r.attr("password"), Some(&b""[..]));
        assert_eq!(r.attr("secret"), Some(&b"iu=c3Eeg"[..]));
        assert_eq!(r.attr("flag"), Some(&b""[..]));
        assert_eq!(r.tag.as_deref(), Some(&b"t1"[..]));
        assert_eq!(r.queries, vec![b"name=x".to_vec()]);
        assert_eq!(r.unknown, vec![b"junk".to_vec()]);
    }

    #[test]
    fn tag_may_sit_anywhere_and_empty_tag_means_untagged() {
        let r = Request::parse(&Sentence::from_words([
            "/ppp/secret/print",
            ".tag=9",
            "=.proplist=name",
        ]));
        assert_eq!(r.tag.as_deref(), Some(&b"9"[..]));
        assert_eq!(r.attr(".proplist"), Some(&b"name"[..]));
        let r = Request::parse(&Sentence::from_words(["/ppp/secret/print", ".tag="]));
        assert_eq!(r.tag, None);
    }

    #[test]
    fn builder_produces_the_documented_words() {
        let c = Command::new("/ppp/secret/print")
            .proplist(&[".id", "name", "disabled"])
            .where_eq("name", "alice");
        let s = c.to_sentence(Some(b"7"));
        assert_eq!(
            s,
            Sentence::from_words([
                "/ppp/secret/print",
                "=.proplist=.id,name,disabled",
                "?name=alice",
                ".tag=7"
            ])
        );
    }
}
