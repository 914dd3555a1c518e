//! What every installation starts from: the platform admin, companies with their seeded roles,
//! and the demo data behind `setu-controller demo`. Everything here acts as the system
//! (`system:bootstrap`, `system:demo` in the audit log) through the same domain operations
//! staff use.

use crate::kernel::db::StoreError;
use crate::kernel::ids::RouterId;
use crate::kernel::money::Poisha;
use crate::kernel::rbac::SEEDED_ROLES;
use crate::kernel::scope::{Actor, Scope};
use crate::kernel::work::{Origin, Work};
use crate::kernel::{password, random, Result};
use crate::plans::service::PlanInput;
use crate::staff::service::StaffInput;
use crate::staff::store::User;
use crate::subscribers::service::SubscriberInput;
use crate::tenancy::service::NameInput;
use crate::tenancy::store::Company;
use crate::AppState;

/// A company with the seeded roles (owner, manager, billing clerk, ...).
pub async fn create_company(state: &AppState, name: &str) -> Result<Company> {
    let input = NameInput {
        name: name.to_owned(),
    };
    crate::tenancy::service::create_company(
        &state.store,
        Actor::System("bootstrap"),
        Origin::default(),
        &input,
    )
    .await
}

pub async fn create_platform_admin(
    store: &crate::kernel::db::Store,
    username: &str,
    password_text: &str,
) -> Result<User> {
    let mut db = store.conn().await?;
    match crate::staff::store::create_user(
        &mut db,
        username,
        "Platform admin",
        &password::hash(password_text),
        true,
    )
    .await
    {
        Err(StoreError::Conflict) => Err(crate::kernel::Error::taken("username")),
        other => Ok(other?),
    }
}

/// A user with `role` in `scope`'s company.
pub async fn create_staff(
    state: &AppState,
    scope: Scope,
    username: &str,
    name: &str,
    password_text: &str,
    role: &str,
) -> Result<User> {
    let mut work = Work::system(state, scope, "bootstrap").await?;
    let input = StaffInput {
        username: username.to_owned(),
        display_name: name.to_owned(),
        password: password_text.to_owned(),
        role: role.to_owned(),
        branch_id: None,
    };
    let user = crate::staff::service::create_staff(&mut work, &input).await?;
    work.commit().await?;
    Ok(user)
}

/// Credentials printed by `demo`.
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub role: &'static str,
}

/// The demo ISP's name.
pub const DEMO_COMPANY: &str = "Padma Net (demo)";
/// Subscribers on the demo router.
pub const DEMO_SUBSCRIBERS: u64 = 60;

/// A demo ISP in Dhaka with branches, one user per seeded role, three plans, a POP with one
/// router (waiting for its agent) and its subscribers. Idempotent: does nothing when the demo
/// company exists.
pub async fn seed_demo(state: &AppState) -> Result<Vec<DemoLogin>> {
    let existing = {
        let mut db = state.store.conn().await?;
        crate::tenancy::store::company_named(&mut db, DEMO_COMPANY).await?
    };
    if existing.is_some() {
        return Ok(Vec::new());
    }
    let company = create_company(state, DEMO_COMPANY).await?;
    let scope = Scope::system(company.id);
    let mut work = Work::system(state, scope, "demo").await?;
    for branch in ["Mirpur", "Uttara", "Dhanmondi"] {
        crate::tenancy::service::create_branch(
            &mut work,
            &NameInput {
                name: branch.into(),
            },
        )
        .await?;
    }
    let mut logins = Vec::new();
    for role in SEEDED_ROLES {
        let username = format!("demo-{role}");
        let password = format!("{}-{}", role, &random::token()[..10]);
        let input = StaffInput {
            username: username.clone(),
            display_name: format!("Demo {role}"),
            password: password.clone(),
            role: (*role).to_owned(),
            branch_id: None,
        };
        crate::staff::service::create_staff(&mut work, &input).await?;
        logins.push(DemoLogin {
            username,
            password,
            role,
        });
    }
    crate::tenancy::service::save_profile(
        &mut work,
        &crate::tenancy::store::Profile {
            legal_name: "Padma Net Limited".into(),
            phone: "01711000000".into(),
            address: "House 12, Road 3, Section 6, Mirpur, Dhaka 1216".into(),
            licence_no: "ISP-DHK-0421".into(),
            bin: "000123456-0101".into(),
        },
    )
    .await?;
    crate::billing::service::save_settings(
        &mut work,
        &crate::billing::service::SettingsInput {
            bkash_number: "01711000000".into(),
            payment_note:
                "Pay by bKash or to our collector; write your PPPoE name as the reference.".into(),
            ..Default::default()
        },
    )
    .await?;
    seed_demo_fleet(&mut work).await?;
    work.commit().await?;
    seed_demo_billing(state, scope).await?;
    Ok(logins)
}

/// A billed month: the subscribers started on the 1st of last month, so each got last month's
/// invoice when they were added; this month's run bills them again; one of its invoices is
/// partly credited (an outage) and its subscriber pays a connection fee.
async fn seed_demo_billing(state: &AppState, scope: Scope) -> Result<()> {
    use crate::billing::{service, store};
    let today = state.clock.today();
    let period = format!("{:04}-{:02}", today.year(), today.month());
    let work = Work::system(state, scope, "demo").await?;
    service::run(
        work,
        &service::RunInput {
            period: period.clone(),
            dry_run: false,
        },
    )
    .await?;
    let mut work = Work::system(state, scope, "demo").await?;
    let first = store::list(
        &mut work,
        &store::InvoiceFilter {
            period: Some(period),
            kind: Some("invoice".into()),
            limit: Some(1),
            ..Default::default()
        },
    )
    .await?;
    if let Some(invoice) = first.items.first() {
        service::credit(
            &mut work,
            invoice.id,
            &service::CreditInput {
                amount: "105".into(),
                reason: "Outage on the Mirpur fibre, 3 days".into(),
                ..Default::default()
            },
        )
        .await?;
        service::one_time_charge(
            &mut work,
            &service::ChargeInput {
                subscriber_id: Some(invoice.subscriber_id),
                category: "connection_fee".into(),
                description: "New connection and ONU setup".into(),
                quantity: Some(1),
                unit_price: "1000".into(),
                ..Default::default()
            },
        )
        .await?;
    }
    work.commit().await?;
    Ok(())
}

/// Plans, the Mirpur POP with router `pop-mirpur-1`, and its subscribers (every 13th unpaid).
async fn seed_demo_fleet(work: &mut Work) -> Result<RouterId> {
    let mut plan_ids = Vec::new();
    for (name, down, up, taka) in [
        ("Home 5 Mbps", "5M", "2M", 500),
        ("Home 10 Mbps", "10M", "5M", 800),
        ("Home 20 Mbps", "20M", "10M", 1200),
    ] {
        let input = PlanInput {
            name: name.into(),
            download: down.into(),
            upload: up.into(),
            price_poisha: Poisha::from_taka(taka),
            ..PlanInput::default()
        };
        plan_ids.push(crate::plans::service::create(work, &input).await?.id);
    }
    let pop = crate::fleet::service::create_pop(
        work,
        &crate::fleet::service::PopInput {
            name: "Mirpur POP".into(),
            branch_id: None,
        },
    )
    .await?;
    let router = crate::fleet::service::create_router(
        work,
        &crate::fleet::service::RouterInput {
            pop_id: Some(pop.id),
            name: "pop-mirpur-1".into(),
        },
    )
    .await?;
    let areas = [
        "mirpur",
        "uttara",
        "dhanmondi",
        "gulshan",
        "mohammadpur",
        "badda",
    ];
    let today = work.state().clock.today();
    let last_month = today.first_of_month() - jiff::ToSpan::month(1);
    for i in 1..=DEMO_SUBSCRIBERS {
        let area = areas[(i % areas.len() as u64) as usize];
        let input = SubscriberInput {
            name: format!("Subscriber {i} ({area})"),
            phone: format!("017{:08}", 11_000_000 + i),
            router_id: Some(router.id),
            plan_id: Some(plan_ids[(i % 3) as usize]),
            pppoe_username: format!("{area}-{i:04}"),
            pppoe_password: format!("pw{:06x}", i * 7919),
            status: Some(if i % 13 == 0 { "suspended" } else { "active" }.into()),
            branch_id: None,
            starts_on: last_month.to_string(),
        };
        crate::subscribers::service::create(work, &input).await?;
    }
    Ok(router.id)
}
