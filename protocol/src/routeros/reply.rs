//! Router sentences: `!re`, `!done`, `!trap`, `!fatal` and (RouterOS 7.18+) `!empty`.

use super::command::{attribute_word, split_attribute};
use super::sentence::Sentence;
use super::text::display_bytes;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyKind {
    /// One data item.
    Re,
    /// The last reply of a command; may carry `=ret=`.
    Done,
    /// An error; a `!done` follows for the same command.
    Trap,
    /// The router closes the connection; carries a bare reason word.
    Fatal,
    /// 7.18+: the command has no data; a `!done` follows.
    Empty,
    /// A reply word we do not know. Logged and otherwise ignored by the client.
    Unknown(Vec<u8>),
}

impl ReplyKind {
    fn word(&self) -> &[u8] {
        match self {
            ReplyKind::Re => b"!re",
            ReplyKind::Done => b"!done",
            ReplyKind::Trap => b"!trap",
            ReplyKind::Fatal => b"!fatal",
            ReplyKind::Empty => b"!empty",
            ReplyKind::Unknown(w) => w,
        }
    }
}

/// A decoded reply sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub kind: ReplyKind,
    pub tag: Option<Vec<u8>>,
    /// `=key=value` words in order.
    pub attributes: Vec<(Vec<u8>, Vec<u8>)>,
    /// For `!fatal`: the bare reason word (`not logged in`, `session terminated on request`).
    pub reason: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("empty sentence")]
    Empty,
    #[error("sentence does not start with a reply word: {0}")]
    NotAReply(String),
    #[error("unexpected word in a {kind} reply: {word}")]
    UnexpectedWord { kind: String, word: String },
}

impl Reply {
    pub fn new(kind: ReplyKind) -> Self {
        Reply {
            kind,
            tag: None,
            attributes: Vec::new(),
            reason: None,
        }
    }

    pub fn re() -> Self {
        Reply::new(ReplyKind::Re)
    }

    pub fn done() -> Self {
        Reply::new(ReplyKind::Done)
    }

    pub fn empty() -> Self {
        Reply::new(ReplyKind::Empty)
    }

    /// `!trap =message=<message>` with `=category=` when given.
    pub fn trap(message: impl AsRef<[u8]>, category: Option<u8>) -> Self {
        let mut r = Reply::new(ReplyKind::Trap);
        if let Some(c) = category {
            r = r.attr("category", c.to_string());
        }
        r.attr("message", message)
    }

    pub fn fatal(reason: impl AsRef<[u8]>) -> Self {
        Reply {
            reason: Some(reason.as_ref().to_vec()),
            ..Reply::new(ReplyKind::Fatal)
        }
    }

    pub fn attr(mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        self.attributes
            .push((key.as_ref().to_vec(), value.as_ref().to_vec()));
        self
    }

    pub fn with_tag(mut self, tag: Option<Vec<u8>>) -> Self {
        self.tag = tag;
        self
    }

    /// Value of attribute `key`.
    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key.as_bytes())
            .map(|(_, v)| v.as_slice())
    }

    /// A trap's `=message=` or a fatal's reason.
    pub fn message(&self) -> Option<&[u8]> {
        match self.kind {
            ReplyKind::Fatal => self.reason.as_deref().or_else(|| self.get("message")),
            _ => self.get("message"),
        }
    }

    /// A trap's `=category=` when present and numeric.
    pub fn category(&self) -> Option<u8> {
        std::str::from_utf8(self.get("category")?)
            .ok()?
            .parse()
            .ok()
    }

    /// Reads a router sentence. `.tag` may sit anywhere; `!fatal`'s reason is a bare word
    /// (a `=message=` is accepted too, as some test servers send it).
    pub fn parse(sentence: Sentence) -> Result<Reply, ReplyError> {
        let mut words = sentence.words.into_iter();
        let first = words.next().ok_or(ReplyError::Empty)?;
        let kind = match first.as_slice() {
            b"!re" => ReplyKind::Re,
            b"!done" => ReplyKind::Done,
            b"!trap" => ReplyKind::Trap,
            b"!fatal" => ReplyKind::Fatal,
            b"!empty" => ReplyKind::Empty,
            w if w.starts_with(b"!") => ReplyKind::Unknown(first.clone()),
            _ => return Err(ReplyError::NotAReply(display_bytes(&first).into_owned())),
        };
        let mut reply = Reply::new(kind);
        for word in words {
            if let Some(tag) = word.strip_prefix(b".tag=") {
                reply.tag = Some(tag.to_vec());
            } else if let Some((k, v)) = split_attribute(&word) {
                reply.attributes.push((k.to_vec(), v.to_vec()));
            } else if reply.kind == ReplyKind::Fatal && reply.reason.is_none() {
                reply.reason = Some(word);
            } else {
                return Err(ReplyError::UnexpectedWord {
                    kind: display_bytes(&first).into_owned(),
                    word: display_bytes(&word).into_owned(),
                });
            }
        }
        Ok(reply)
    }

    /// The sentence for this reply. `tag_second` puts `.tag` right after the reply word, as real
    /// routers do; otherwise it goes last, as MikroTik's manual shows.
    pub fn to_sentence(&self, tag_second: bool) -> Sentence {
        let mut words = vec![self.kind.word().to_vec()];
        let tag = self.tag.as_ref().map(|t| [&b".tag="[..], t].concat());
        if tag_second {
            words.extend(tag.clone());
        }
        if let Some(reason) = &self.reason {
            words.push(reason.clone());
        }
        words.extend(self.attributes.iter().map(|(k, v)| attribute_word(k, v)));
        if !tag_second {
            words.extend(tag);
        }
        Sentence::new(words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fatal_reason_is_a_bare_word() {
        let r = Reply::parse(Sentence::from_words(["!fatal", "not logged in"])).unwrap();
        assert_eq!(r.kind, ReplyKind::Fatal);
        assert_eq!(r.message(), Some(&b"not logged in"[..]));
        assert_eq!(
            r.to_sentence(true),
            Sentence::from_words(["!fatal", "not logged in"])
        );
    }

    #[test]
    fn trap_carries_category_and_message_and_tag_anywhere() {
        let r = Reply::parse(Sentence::from_words([
            "!trap",
            "=category=2",
            "=message=interrupted",
            ".tag=10",
        ]))
        .unwrap();
        assert_eq!(r.category(), Some(2));
        assert_eq!(r.message(), Some(&b"interrupted"[..]));
        assert_eq!(r.tag.as_deref(), Some(&b"10"[..]));
        let again = Reply::parse(r.to_sentence(true)).unwrap();
        assert_eq!(again, r);
        assert_eq!(r.to_sentence(true).words[1], b".tag=10");
        assert_eq!(r.to_sentence(false).words.last().unwrap(), b".tag=10");
    }

    #[test]
    fn empty_and_unknown_reply_words_parse() {
        let r = Reply::parse(Sentence::from_words(["!empty", ".tag=5"])).unwrap();
        assert_eq!(r.kind, ReplyKind::Empty);
        let r = Reply::parse(Sentence::from_words(["!future", "=x=1"])).unwrap();
        assert_eq!(r.kind, ReplyKind::Unknown(b"!future".to_vec()));
    }

    #[test]
    fn malformed_replies_are_errors() {
        assert!(matches!(
            Reply::parse(Sentence::from_words(["hello"])),
            Err(ReplyError::NotAReply(_))
        ));
        assert!(matches!(
            Reply::parse(Sentence::from_words(["!re", "bare"])),
            Err(ReplyError::UnexpectedWord { .. })
        ));
    }
}
