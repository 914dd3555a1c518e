//! `/api/v1/settings`: the company's profile (legal name, phone, address, BTRC licence).

use super::super::error::FieldError;
use super::super::session::Origin;
use super::super::{audit_change, Access, ApiError, ApiResult, AppState, Auth, Change, Routes};
use super::ApiJson;
use crate::rbac::Permission;
use crate::store::companies::{self, Profile};
use axum::extract::State;
use axum::routing::{get, put};
use axum::Json;

pub fn routes(r: Routes) -> Routes {
    r.add(
        "GET",
        "/api/v1/settings",
        Access::Needs(Permission::SettingsManage),
        get(show),
    )
    .add(
        "PUT",
        "/api/v1/settings",
        Access::Needs(Permission::SettingsManage),
        put(save),
    )
}

async fn show(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<companies::Company>> {
    Ok(Json(companies::own(&state.store, &auth.tenant()?).await?))
}

async fn save(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    ApiJson(profile): ApiJson<Profile>,
) -> ApiResult<Json<companies::Company>> {
    Ok(Json(save_profile(&state, &auth, &origin, profile).await?))
}

/// A Bangladeshi phone number as `01XXXXXXXXX` (mobile) or `0` + area code and number
/// (landline); `+880`/`880` prefixes, spaces and dashes are accepted on input.
pub fn normalise_phone(text: &str) -> Option<String> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let national = match digits
        .strip_prefix("+880")
        .or_else(|| digits.strip_prefix("880"))
    {
        Some(rest) => format!("0{rest}"),
        None => digits,
    };
    let ok = national.bytes().all(|b| b.is_ascii_digit())
        && if national.starts_with("01") {
            national.len() == 11 && matches!(national.as_bytes()[2], b'3'..=b'9')
        } else {
            national.starts_with('0') && (9..=11).contains(&national.len())
        };
    ok.then_some(national)
}

/// Validates and saves the profile, audited; shared with the settings page.
pub(crate) async fn save_profile(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    profile: Profile,
) -> ApiResult<companies::Company> {
    let tenant = auth.tenant()?;
    let mut errors = Vec::new();
    let mut optional = |field: &'static str, value: &str, max: usize| {
        let value = value.trim();
        if value.chars().count() > max {
            errors.push(FieldError {
                field,
                code: "field.too_long",
            });
        }
        value.to_owned()
    };
    let mut clean = Profile {
        legal_name: optional("legal_name", &profile.legal_name, 200),
        phone: String::new(),
        address: optional("address", &profile.address, 500),
        licence_no: optional("licence_no", &profile.licence_no, 100),
    };
    if !profile.phone.trim().is_empty() {
        match normalise_phone(&profile.phone) {
            Some(phone) => clean.phone = phone,
            None => errors.push(FieldError {
                field: "phone",
                code: "settings.bad_phone",
            }),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let before = companies::own(&state.store, &tenant).await?;
    let after = companies::set_profile(&state.store, &tenant, &clean).await?;
    audit_change(
        state,
        auth,
        origin,
        Change::new(
            "settings.update",
            "company",
            tenant.company,
            &before.profile,
            &after.profile,
        ),
    )
    .await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::normalise_phone;

    #[test]
    fn bangladeshi_numbers_normalise() {
        assert_eq!(
            normalise_phone("01712-345678").as_deref(),
            Some("01712345678")
        );
        assert_eq!(
            normalise_phone("+880 1912 345678").as_deref(),
            Some("01912345678")
        );
        assert_eq!(normalise_phone("02-9123456").as_deref(), Some("029123456"));
        assert_eq!(normalise_phone("01212345678"), None, "no 012 operator");
        assert_eq!(normalise_phone("0171234567"), None, "one digit short");
        assert_eq!(normalise_phone("01712'; DROP"), None);
    }
}
