//! The login state machine of one connection, per version profile (reference §1.7):
//!
//! - before 6.43: only the MD5 challenge. Any `/login` without `=response=` (also one with
//!   `=name=`/`=password=`, which old routers ignore) gets `!done =ret=<32 hex>`; then
//!   `=name= =response=00<md5>` logs in, or fails with `cannot log in`.
//! - 6.43 up to 6.45.0: both methods.
//! - from 6.45.1: plaintext only. `=name= =password=` logs in or fails with
//!   `invalid user name or password (6)`. A `/login` without `=password=` still gets
//!   `!done =ret=<hex>` and does not log in (seen on 7.20.8). Choice: a `=response=` there
//!   fails like a wrong password, since the MD5 method no longer exists.

use protocol::routeros::login::challenge_response;
use protocol::routeros::Request;
use ring::rand::{SecureRandom, SystemRandom};

use super::state::Trap;
use super::version::RosVersion;

pub(crate) const PLAINTEXT_FAILURE: &str = "invalid user name or password (6)";
pub(crate) const CHALLENGE_FAILURE: &str = "cannot log in";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LoginOutcome {
    /// `!done`; the connection is now logged in as this user.
    Success(String),
    /// `!done =ret=<hex>`; not logged in.
    Challenge(String),
    /// `!trap` + `!done`; `user` is what the client claimed, for the router log.
    Failure { user: String, trap: Trap },
}

pub(crate) struct Login {
    version: RosVersion,
    /// The last challenge sent on this connection; used once.
    challenge: Option<String>,
}

impl Login {
    pub(crate) fn new(version: RosVersion) -> Self {
        Login {
            version,
            challenge: None,
        }
    }

    pub(crate) fn attempt(&mut self, req: &Request, users: &[(String, String)]) -> LoginOutcome {
        let name = req.attr("name");
        let claimed = String::from_utf8_lossy(name.unwrap_or_default()).into_owned();
        let password_of = |name: &[u8]| {
            users
                .iter()
                .find(|(u, _)| u.as_bytes() == name)
                .map(|(_, p)| p.as_bytes())
        };
        if self.version.has_plaintext_login() {
            if let (Some(name), Some(password)) = (name, req.attr("password")) {
                return if password_of(name) == Some(password) {
                    LoginOutcome::Success(claimed)
                } else {
                    failure(claimed, PLAINTEXT_FAILURE)
                };
            }
        }
        if let Some(response) = req.attr("response") {
            if !self.version.has_challenge_login() {
                return failure(claimed, PLAINTEXT_FAILURE);
            }
            let expected = self.challenge.take().and_then(|challenge| {
                let password = password_of(name?)?;
                challenge_response(password, challenge.as_bytes()).ok()
            });
            return match expected {
                Some(e) if e.as_bytes().eq_ignore_ascii_case(response) => {
                    LoginOutcome::Success(claimed)
                }
                _ => failure(claimed, CHALLENGE_FAILURE),
            };
        }
        let challenge = new_challenge();
        self.challenge = Some(challenge.clone());
        LoginOutcome::Challenge(challenge)
    }
}

fn failure(user: String, message: &str) -> LoginOutcome {
    LoginOutcome::Failure {
        user,
        trap: Trap::new(message),
    }
}

/// 16 random bytes as 32 lowercase hex digits.
fn new_challenge() -> String {
    let mut bytes = [0u8; 16];
    // The system RNG does not fail on supported platforms; a zero challenge would still work.
    let _ = SystemRandom::new().fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::routeros::Sentence;

    fn req(words: &[&str]) -> Request {
        Request::parse(&Sentence::from_words(words))
    }

    fn users() -> Vec<(String, String)> {
        vec![("admin".to_owned(), "secret".to_owned())]
    }

    #[test]
    fn old_router_ignores_plaintext_and_checks_md5() {
        let mut login = Login::new(RosVersion::new(6, 42, 0));
        let LoginOutcome::Challenge(ch) = login.attempt(
            &req(&["/login", "=name=admin", "=password=secret"]),
            &users(),
        ) else {
            panic!("expected a challenge");
        };
        assert_eq!(ch.len(), 32);
        let response = challenge_response(b"secret", ch.as_bytes()).unwrap();
        let r = login.attempt(
            &req(&["/login", "=name=admin", &format!("=response={response}")]),
            &users(),
        );
        assert_eq!(r, LoginOutcome::Success("admin".into()));
        // The challenge is used up.
        let again = login.attempt(
            &req(&["/login", "=name=admin", &format!("=response={response}")]),
            &users(),
        );
        assert!(matches!(again, LoginOutcome::Failure { .. }));
    }

    #[test]
    fn new_router_wants_a_password() {
        let mut login = Login::new(RosVersion::new(7, 18, 2));
        assert!(matches!(
            login.attempt(&req(&["/login", "=name=admin"]), &users()),
            LoginOutcome::Challenge(_)
        ));
        assert_eq!(
            login.attempt(&req(&["/login", "=name=admin", "=password=x"]), &users()),
            failure("admin".into(), PLAINTEXT_FAILURE)
        );
        assert_eq!(
            login.attempt(
                &req(&["/login", "=name=admin", "=password=secret"]),
                &users()
            ),
            LoginOutcome::Success("admin".into())
        );
    }
}
