//! Dunning as a pure state machine: reminders before and after the due date, suspension after
//! a grace period, reconnection once paid. The job that drives it (the next issue) calls
//! [`step`] once a day or more for each unpaid due date, stores the stage it returns and carries
//! out the actions; calling it twice on a day, or skipping days, is safe.
//!
//! One machine covers one due date. [`Stage::Settled`] is final: a new debt (the next bill, a
//! reversed payment) starts a new machine at [`Stage::Current`] with its own due date, so no
//! reminder is ever sent twice for the same one.

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::dates::days_between;

/// A company's dunning ladder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Policy {
    /// Days relative to the due date on which reminders go out (`[-3, 0, 3]`: three days
    /// before, on the day, three days after). Reminder steps are numbered from 1 in date order.
    pub reminder_offsets: Vec<i32>,
    /// Grace days after the due date before suspension (5: suspended from due + 5).
    pub suspend_after_days: i32,
    /// Days of the week nobody is suspended on (Friday: the office is closed, nobody could pay
    /// to be reconnected).
    #[serde(with = "crate::dates::weekdays")]
    pub skip_weekdays: Vec<Weekday>,
    /// Public holidays, treated like skipped weekdays.
    #[serde(with = "crate::dates::list")]
    pub holidays: Vec<Date>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            reminder_offsets: vec![-3, 0, 3],
            suspend_after_days: 5,
            skip_weekdays: vec![Weekday::Friday],
            holidays: Vec::new(),
        }
    }
}

/// The most reminders a ladder may have.
pub const MAX_REMINDERS: usize = 10;
/// How far from the due date a reminder or the suspension may be set, in days.
pub const MAX_OFFSET_DAYS: i32 = 366;

impl Policy {
    /// Refuses ladders that cannot be meant: more than ten reminders, offsets beyond a year, a
    /// negative grace.
    pub fn validate(&self) -> Result<(), DunningError> {
        if self.reminder_offsets.len() > MAX_REMINDERS {
            return Err(DunningError::TooManyReminders(self.reminder_offsets.len()));
        }
        if let Some(offset) = self
            .reminder_offsets
            .iter()
            .find(|offset| offset.abs() > MAX_OFFSET_DAYS)
        {
            return Err(DunningError::OffsetTooFar(*offset));
        }
        if !(0..=MAX_OFFSET_DAYS).contains(&self.suspend_after_days) {
            return Err(DunningError::BadGrace(self.suspend_after_days));
        }
        Ok(())
    }

    /// Whether suspensions wait on `day`.
    pub fn skips(&self, day: Date) -> bool {
        self.skip_weekdays.contains(&day.weekday()) || self.holidays.contains(&day)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Stage {
    /// Owing, nothing sent yet.
    Current,
    /// Reminders 1 to `step` are done (sent, or passed over when catching up).
    Reminded {
        step: u8,
    },
    Suspended,
    /// Paid: final for this due date.
    Settled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Remind { step: u8 },
    Suspend,
    Reconnect,
}

/// The stage after `today` and what to do today.
///
/// - Nothing outstanding (≤ 0): settled; a suspended subscriber is reconnected. Nothing
///   outstanding never leads to a suspension.
/// - Reminders go once each, in order, on or after their day; after missed days only the
///   latest reminder due is sent (the earlier ones would say less and arrive together).
/// - Suspension comes on the first day on or after due + grace that is neither a skipped
///   weekday nor a holiday. It supersedes a reminder due the same day (the suspension notice
///   says more), and a suspended subscriber gets no further reminders.
pub fn step(
    policy: &Policy,
    stage: Stage,
    today: Date,
    due_on: Date,
    outstanding_poisha: i64,
) -> (Stage, Vec<Action>) {
    if outstanding_poisha <= 0 {
        let actions = match stage {
            Stage::Suspended => vec![Action::Reconnect],
            _ => vec![],
        };
        return (Stage::Settled, actions);
    }
    let sent = match stage {
        Stage::Settled | Stage::Suspended => return (stage, vec![]),
        Stage::Current => 0,
        Stage::Reminded { step } => step,
    };
    let elapsed = days_between(due_on, today);
    if elapsed >= i64::from(policy.suspend_after_days) && !policy.skips(today) {
        return (Stage::Suspended, vec![Action::Suspend]);
    }
    let due = policy
        .reminder_offsets
        .iter()
        .filter(|offset| i64::from(**offset) <= elapsed)
        .count();
    let due = u8::try_from(due).unwrap_or(u8::MAX);
    if due > sent {
        (
            Stage::Reminded { step: due },
            vec![Action::Remind { step: due }],
        )
    } else {
        (stage, vec![])
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DunningError {
    #[error("{0} reminders are more than {MAX_REMINDERS}")]
    TooManyReminders(usize),
    #[error("a reminder {0} days from the due date is more than a year away")]
    OffsetTooFar(i32),
    #[error("a grace of {0} days is not between 0 and 366")]
    BadGrace(i32),
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    // 10 December 2026 is a Thursday; the 15th (due + 5) a Tuesday; the 18th a Friday.
    const DUE: Date = date(2026, 12, 10);

    fn day(offset: i64) -> Date {
        crate::dates::add_days(DUE, offset).unwrap()
    }

    #[test]
    fn the_ladder_day_by_day() {
        let policy = Policy::default();
        let mut stage = Stage::Current;
        let mut sent = Vec::new();
        for offset in -5..=10 {
            let (next, actions) = step(&policy, stage, day(offset), DUE, 100_000);
            for action in actions {
                sent.push((offset, action));
            }
            stage = next;
        }
        assert_eq!(
            sent,
            [
                (-3, Action::Remind { step: 1 }),
                (0, Action::Remind { step: 2 }),
                (3, Action::Remind { step: 3 }),
                (5, Action::Suspend),
            ]
        );
        assert_eq!(stage, Stage::Suspended);
        assert_eq!(
            step(&policy, stage, day(11), DUE, 0),
            (Stage::Settled, vec![Action::Reconnect])
        );
    }

    #[test]
    fn table() {
        let policy = Policy::default();
        let friday_policy = Policy {
            suspend_after_days: 8, // due + 8 = Friday 18 December
            holidays: vec![date(2026, 12, 19)],
            ..Policy::default()
        };
        // (policy, stage, day, outstanding, expected stage, actions)
        let cases = [
            (&policy, Stage::Current, -4, 1, Stage::Current, vec![]),
            (
                &policy,
                Stage::Current,
                -3,
                1,
                Stage::Reminded { step: 1 },
                vec![Action::Remind { step: 1 }],
            ),
            // Catching up sends only the latest reminder due.
            (
                &policy,
                Stage::Current,
                4,
                1,
                Stage::Reminded { step: 3 },
                vec![Action::Remind { step: 3 }],
            ),
            (
                &policy,
                Stage::Reminded { step: 1 },
                1,
                1,
                Stage::Reminded { step: 2 },
                vec![Action::Remind { step: 2 }],
            ),
            // Twice on one day: the second call does nothing.
            (
                &policy,
                Stage::Reminded { step: 2 },
                0,
                1,
                Stage::Reminded { step: 2 },
                vec![],
            ),
            // Suspension supersedes a reminder due the same day.
            (
                &policy,
                Stage::Current,
                7,
                1,
                Stage::Suspended,
                vec![Action::Suspend],
            ),
            (&policy, Stage::Suspended, 9, 1, Stage::Suspended, vec![]),
            // Paid: settled, reconnected only if suspended.
            (
                &policy,
                Stage::Reminded { step: 2 },
                1,
                0,
                Stage::Settled,
                vec![],
            ),
            (&policy, Stage::Current, 30, -500, Stage::Settled, vec![]),
            (
                &policy,
                Stage::Suspended,
                9,
                0,
                Stage::Settled,
                vec![Action::Reconnect],
            ),
            (&policy, Stage::Settled, 9, 1, Stage::Settled, vec![]),
            // Friday and then a holiday wait; Sunday suspends.
            (
                &friday_policy,
                Stage::Reminded { step: 3 },
                8,
                1,
                Stage::Reminded { step: 3 },
                vec![],
            ),
            (
                &friday_policy,
                Stage::Reminded { step: 3 },
                9,
                1,
                Stage::Reminded { step: 3 },
                vec![],
            ),
            (
                &friday_policy,
                Stage::Reminded { step: 3 },
                10,
                1,
                Stage::Suspended,
                vec![Action::Suspend],
            ),
        ];
        for (policy, stage, offset, outstanding, expected, actions) in cases {
            assert_eq!(
                step(policy, stage, day(offset), DUE, outstanding),
                (expected, actions),
                "{stage:?} on due{offset:+} owing {outstanding}"
            );
        }
        assert_eq!(day(8).weekday(), Weekday::Friday);
    }

    #[test]
    fn unsorted_offsets_still_go_in_date_order() {
        let policy = Policy {
            reminder_offsets: vec![3, -3, 0],
            ..Policy::default()
        };
        assert_eq!(
            step(&policy, Stage::Current, day(0), DUE, 1),
            (
                Stage::Reminded { step: 2 },
                vec![Action::Remind { step: 2 }]
            )
        );
    }

    #[test]
    fn unreasonable_ladders_are_refused() {
        assert_eq!(Policy::default().validate(), Ok(()));
        let with = |offsets: Vec<i32>, grace| Policy {
            reminder_offsets: offsets,
            suspend_after_days: grace,
            ..Policy::default()
        };
        assert_eq!(
            with(vec![0; 11], 5).validate(),
            Err(DunningError::TooManyReminders(11))
        );
        assert_eq!(
            with(vec![400], 5).validate(),
            Err(DunningError::OffsetTooFar(400))
        );
        assert_eq!(
            with(vec![0], -1).validate(),
            Err(DunningError::BadGrace(-1))
        );
        assert_eq!(with(vec![], 0).validate(), Ok(()));
    }
}
