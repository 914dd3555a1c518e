//! Creating what every installation starts from: the platform admin, companies with their
//! seeded roles, and the demo data behind `setu-controller demo`.

use crate::rbac::seeded_roles;
use crate::store::{
    self, branches, companies, plans, pops, routers, subscribers, users, Store, Tenant,
};

/// A company with the seeded roles (owner, manager, billing clerk, ...).
pub async fn create_company(store: &Store, name: &str) -> store::Result<companies::Company> {
    let company = companies::create(store, name).await?;
    let tenant = Tenant::company(company.id);
    for (role, permissions) in seeded_roles() {
        let names: Vec<&str> = permissions.iter().map(|p| p.name()).collect();
        users::create_role(store, &tenant, role, &names).await?;
    }
    Ok(company)
}

pub async fn create_platform_admin(
    store: &Store,
    username: &str,
    password: &str,
) -> store::Result<users::User> {
    users::create(
        store,
        username,
        "Platform admin",
        &crate::password::hash(password),
        true,
    )
    .await
}

/// A user with `role` in the tenant's company.
pub async fn create_staff(
    store: &Store,
    tenant: &Tenant,
    username: &str,
    name: &str,
    password: &str,
    role: &str,
) -> store::Result<users::User> {
    let role = users::roles(store, tenant)
        .await?
        .into_iter()
        .find(|r| r.name == role)
        .ok_or(store::StoreError::NotFound)?;
    let user = users::create(
        store,
        username,
        name,
        &crate::password::hash(password),
        false,
    )
    .await?;
    users::add_membership(store, tenant, user.id, role.id, None).await?;
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
pub async fn seed_demo(store: &Store) -> store::Result<Vec<DemoLogin>> {
    const COMPANY: &str = DEMO_COMPANY;
    if companies::list(store)
        .await?
        .iter()
        .any(|c| c.name == COMPANY)
    {
        return Ok(Vec::new());
    }
    let company = create_company(store, COMPANY).await?;
    let tenant = Tenant::company(company.id);
    for branch in ["Mirpur", "Uttara", "Dhanmondi"] {
        branches::create(store, &tenant, branch).await?;
    }
    let mut logins = Vec::new();
    for (role, _) in seeded_roles() {
        let username = format!("demo-{role}");
        let password = format!("{}-{}", role, &crate::random::token()[..10]);
        create_staff(
            store,
            &tenant,
            &username,
            &format!("Demo {role}"),
            &password,
            role,
        )
        .await?;
        logins.push(DemoLogin {
            username,
            password,
            role,
        });
    }
    seed_demo_fleet(store, &tenant).await?;
    Ok(logins)
}

/// Plans, the Mirpur POP with router `pop-mirpur-1`, and its subscribers (every 13th unpaid).
async fn seed_demo_fleet(store: &Store, tenant: &Tenant) -> store::Result<()> {
    let mut plan_ids = Vec::new();
    for (name, down, up, taka) in [
        ("Home 5 Mbps", "5M", "2M", 500),
        ("Home 10 Mbps", "10M", "5M", 800),
        ("Home 20 Mbps", "20M", "10M", 1200),
    ] {
        let plan = plans::create(
            store,
            tenant,
            &plans::PlanFields {
                name: name.into(),
                download: down.into(),
                upload: up.into(),
                price_poisha: taka * 100,
                ..plans::PlanFields::default()
            },
        )
        .await?;
        plan_ids.push(plan.id);
    }
    let pop = pops::create(store, tenant, "Mirpur POP", None).await?;
    let router = routers::create(store, tenant, pop.id, "pop-mirpur-1").await?;
    let areas = [
        "mirpur",
        "uttara",
        "dhanmondi",
        "gulshan",
        "mohammadpur",
        "badda",
    ];
    for i in 1..=DEMO_SUBSCRIBERS {
        let area = areas[(i % areas.len() as u64) as usize];
        subscribers::create(
            store,
            tenant,
            &subscribers::Fields {
                name: format!("Subscriber {i} ({area})"),
                phone: format!("017{:08}", 11_000_000 + i),
                router_id: router.id,
                plan_id: plan_ids[(i % 3) as usize],
                pppoe_username: format!("{area}-{i:04}"),
                pppoe_password: format!("pw{:06x}", i * 7919),
                status: if i % 13 == 0 {
                    subscribers::Status::Suspended
                } else {
                    subscribers::Status::Active
                },
                branch_id: None,
            },
        )
        .await?;
    }
    Ok(())
}
