//! `--seed-demo`: a small ISP's router — plan profiles, a few subscribers, and entries someone
//! made by hand that an agent must leave alone.

use super::schema;
use super::state::{Router, Trap};

impl Router {
    /// Does nothing when the demo is already there (a restart with a state file).
    pub(crate) fn seed_demo(&mut self) -> anyhow::Result<()> {
        let seeded = self
            .table(schema::PPP_SECRET.path)
            .is_some_and(|t| t.by_name(b"demo-rahim").is_some());
        if seeded {
            return Ok(());
        }
        let steps: &[(&'static schema::MenuSpec, &[(&str, &str)])] = &[
            (
                &schema::PPP_PROFILE,
                &[
                    ("name", "10M"),
                    ("rate-limit", "10M/10M"),
                    ("only-one", "yes"),
                ],
            ),
            (
                &schema::PPP_PROFILE,
                &[
                    ("name", "20M"),
                    ("rate-limit", "5M/20M"),
                    ("only-one", "yes"),
                ],
            ),
            (
                &schema::PPP_PROFILE,
                &[
                    ("name", "suspended"),
                    ("rate-limit", "64k/64k"),
                    ("address-list", "suspended"),
                ],
            ),
            (
                &schema::PPP_SECRET,
                &[
                    ("name", "demo-rahim"),
                    ("password", "rahim123"),
                    ("service", "pppoe"),
                    ("profile", "10M"),
                    ("comment", "setu:demo"),
                ],
            ),
            (
                &schema::PPP_SECRET,
                &[
                    ("name", "demo-karim"),
                    ("password", "karim123"),
                    ("service", "pppoe"),
                    ("profile", "20M"),
                    ("comment", "setu:demo"),
                ],
            ),
            (
                &schema::PPP_SECRET,
                &[
                    ("name", "office-vpn"),
                    ("password", "office"),
                    ("service", "l2tp"),
                    ("comment", "made by hand"),
                ],
            ),
            (
                &schema::ADDRESS_LIST,
                &[
                    ("list", "blocked"),
                    ("address", "203.0.113.7"),
                    ("comment", "made by hand"),
                ],
            ),
            (
                &schema::QUEUE_SIMPLE,
                &[
                    ("name", "uplink"),
                    ("target", "10.0.0.0/8"),
                    ("max-limit", "100M/100M"),
                ],
            ),
            (
                &schema::HOTSPOT_USER,
                &[("name", "guest"), ("password", "guest")],
            ),
        ];
        for (spec, attrs) in steps {
            let attrs: Vec<(String, Vec<u8>)> = attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
                .collect();
            self.add(spec, &attrs).map_err(|Trap { message, .. }| {
                anyhow::anyhow!(
                    "seeding {}: {}",
                    spec.path,
                    String::from_utf8_lossy(&message)
                )
            })?;
        }
        Ok(())
    }
}
