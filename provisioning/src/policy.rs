//! How the operator wants suspensions applied and how careful one run must be.

/// Rules for one planning run. The defaults are the careful ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub suspension: Suspension,
    /// Largest share of managed entries one run may remove or newly disable/suspend (0.10 =
    /// 10%).
    pub max_destructive_share: f64,
    /// ...but always allow at least this many, so small routers are not stuck.
    pub destructive_floor: usize,
    /// Allow an empty desired state against a router holding managed entries.
    pub allow_empty_desired: bool,
    /// Override the destructive-share guard rail for this run.
    pub allow_mass_changes: bool,
    /// Take over unmanaged entries whose name matches a desired entry (set our marker on them).
    /// Off by default: such entries are reported as conflicts and left alone.
    pub adopt_matching_names: bool,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            suspension: Suspension::Disable,
            max_destructive_share: 0.10,
            destructive_floor: 10,
            allow_empty_desired: false,
            allow_mass_changes: false,
            adopt_matching_names: false,
        }
    }
}

/// What suspending a subscriber's login does on the router. Either way its live session is
/// kicked so the change takes effect now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Suspension {
    /// The login is disabled.
    #[default]
    Disable,
    /// The login stays enabled but moves to a profile whose sessions the firewall redirects to
    /// the payment page. The profiles must be desired or already on the router. Hotspot users
    /// are disabled instead when `hotspot_profile` is `None`.
    WalledGarden {
        ppp_profile: String,
        hotspot_profile: Option<String>,
    },
}
