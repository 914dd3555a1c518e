//! Tenancy's operations. Each takes a unit of work (or, for companies, which exist above any
//! company scope, the state and an actor) and leaves the change and its audit entry in one
//! transaction.

use super::store::{self, Branch, Company, Profile};
use crate::kernel::audit::{self, NewEntry};
use crate::kernel::db::Store;
use crate::kernel::db::StoreError;
use crate::kernel::scope::{Actor, Scope};
use crate::kernel::validate::{normalise_phone, text, Checks};
use crate::kernel::work::{Change, Origin, Work};
use crate::kernel::{Error, Result};
use serde::Deserialize;

/// A branch or company as staff name it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NameInput {
    pub name: String,
}

/// Creates a company with the seeded roles; audited in the new company's chain. Companies sit
/// above every company scope, so this begins its own transaction.
pub async fn create_company(
    store: &Store,
    actor: Actor,
    origin: Origin,
    input: &NameInput,
) -> Result<Company> {
    let name = text("name", &input.name, 100)?;
    let mut tx = store.begin().await?;
    let company = match store::create_company(&mut tx, &name).await {
        Err(StoreError::Conflict) => return Err(Error::taken("name")),
        other => other?,
    };
    let scope = Scope::system(company.id);
    for (role, permissions) in crate::kernel::rbac::seeded_roles() {
        let names: Vec<&str> = permissions.iter().map(|p| p.name()).collect();
        crate::staff::store::create_role(&mut tx, scope, role, &names).await?;
    }
    let entry = NewEntry {
        company_id: Some(company.id),
        ip: origin.ip,
        user_agent: origin.user_agent,
        after: serde_json::to_value(&company).unwrap_or_default(),
        ..NewEntry::by(&actor, "company.create", "company", company.id)
    };
    audit::append(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(company)
}

pub async fn create_branch(work: &mut Work, input: &NameInput) -> Result<Branch> {
    let name = text("name", &input.name, 100)?;
    if work.scope().branch().is_some() {
        // A branch-limited member cannot create siblings of their branch.
        return Err(Error::Forbidden);
    }
    let branch = match store::create_branch(work, &name).await {
        Err(StoreError::Conflict) => return Err(Error::taken("name")),
        other => other?,
    };
    work.audit(
        Change::new(
            "branch.create",
            "branch",
            branch.id,
            serde_json::Value::Null,
            &branch,
        )
        .in_branch(Some(branch.id)),
    )
    .await?;
    Ok(branch)
}

pub async fn rename_branch(
    work: &mut Work,
    id: crate::kernel::ids::BranchId,
    input: &NameInput,
) -> Result<Branch> {
    let name = text("name", &input.name, 100)?;
    let before = store::branch(work, id).await?;
    let after = match store::rename_branch(work, id, &name).await {
        Err(StoreError::Conflict) => return Err(Error::taken("name")),
        other => other?,
    };
    work.audit(Change::new("branch.rename", "branch", id, &before, &after).in_branch(Some(id)))
        .await?;
    Ok(after)
}

/// Deletes a branch nothing refers to; otherwise `in_use`, saying what holds it.
pub async fn delete_branch(work: &mut Work, id: crate::kernel::ids::BranchId) -> Result<()> {
    store::branch(work, id).await?;
    let used = store::branch_usage(work, id).await?;
    if !used.is_empty() {
        return Err(Error::InUse(used));
    }
    let before = store::delete_branch(work, id).await?;
    work.audit(
        Change::new(
            "branch.delete",
            "branch",
            id,
            &before,
            serde_json::Value::Null,
        )
        .in_branch(Some(id)),
    )
    .await?;
    Ok(())
}

/// Validates and saves the company's profile.
pub async fn save_profile(work: &mut Work, input: &Profile) -> Result<Company> {
    let mut checks = Checks::new();
    let mut clean = Profile {
        legal_name: checks.optional_text("legal_name", &input.legal_name, 200),
        phone: String::new(),
        address: checks.optional_text("address", &input.address, 500),
        licence_no: checks.optional_text("licence_no", &input.licence_no, 100),
        bin: checks.optional_text("bin", &input.bin, 20),
    };
    // NBR's BIN: 9 to 13 digits, often written with a hyphen (000123456-0101).
    let digits = clean.bin.chars().filter(char::is_ascii_digit).count();
    if !clean.bin.is_empty()
        && (!(9..=13).contains(&digits)
            || !clean.bin.chars().all(|c| c.is_ascii_digit() || c == '-'))
    {
        checks.fail("bin", "settings.bad_bin");
    }
    if !input.phone.trim().is_empty() {
        match normalise_phone(&input.phone) {
            Some(phone) => clean.phone = phone,
            None => checks.fail("phone", "settings.bad_phone"),
        }
    }
    checks.finish()?;
    let before = store::own(work).await?;
    let after = store::set_profile(work, &clean).await?;
    work.audit(Change::new(
        "settings.update",
        "company",
        after.id,
        &before.profile,
        &after.profile,
    ))
    .await?;
    Ok(after)
}
