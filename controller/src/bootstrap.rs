//! Creating what every installation starts from: the platform admin, companies with their
//! seeded roles, and the demo data behind `setu-controller demo`.

use crate::rbac::seeded_roles;
use crate::store::{self, branches, companies, users, Store, Tenant};

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

/// A demo ISP in Dhaka with branches and one user per seeded role. Idempotent: does nothing when
/// the demo company exists.
pub async fn seed_demo(store: &Store) -> store::Result<Vec<DemoLogin>> {
    const COMPANY: &str = "Padma Net (demo)";
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
    Ok(logins)
}
