//! RouterOS API codec.
//!
//! Layout:
//! - [`length`]: the five length-prefix forms of a word.
//! - [`decoder`]: incremental, size-limited decoding of sentences from a byte stream.
//! - [`sentence`]: a sentence as a list of words, and its encoding.
//! - [`command`]: what a client sends (command word, attributes, queries, `.tag`).
//! - [`reply`]: what a router sends (`!re`, `!done`, `!trap`, `!fatal`, `!empty`).
//! - [`login`]: the pre-6.43 MD5 challenge response.
//! - [`text`]: lossless display of byte words.

pub mod command;
pub mod decoder;
pub mod length;
pub mod login;
pub mod reply;
pub mod sentence;
pub mod text;

pub use command::{Command, Request};
pub use decoder::{DecodeError, Decoder, Limits};
pub use reply::{Reply, ReplyError, ReplyKind};
pub use sentence::Sentence;
