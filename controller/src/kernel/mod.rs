//! What every domain stands on: the database and its migrations, the unit of work with its
//! scope and actor, the audit log, ids, money, dates, validation, the message catalogue,
//! permissions, metrics, and the HTTP plumbing.
//!
//! A domain is a folder beside this one with the same few files (`mod.rs` with its routes,
//! permissions, navigation and messages; `store.rs`; `service.rs`; `api.rs`; `pages.rs`) and one
//! [`Domain`] value in [`crate::DOMAINS`].

pub mod audit;
pub mod date;
pub mod db;
pub mod error;
pub mod http;
pub mod i18n;
pub mod ids;
pub mod jobs;
pub mod metrics;
pub mod migrations;
pub mod money;
pub mod password;
pub mod random;
pub mod rbac;
pub mod scope;
pub mod validate;
pub mod work;

pub use error::{Error, Result};

use http::page::NavItem;
use http::{Access, Auth, Doc, Routes};
use i18n::{Lang, Message};
use rbac::{Grant, Permission};

/// What a domain adds to the application.
#[derive(Debug)]
pub struct Domain {
    pub name: &'static str,
    /// Registers its routes, each with its access.
    pub routes: fn(Routes) -> Routes,
    /// The permissions it declares.
    pub grants: &'static [Grant],
    pub nav: &'static [NavItem],
    pub catalogue: &'static [Message],
    /// The kinds of background job it runs.
    pub jobs: &'static [jobs::JobKind],
    /// The jobs the scheduler enqueues for it by itself.
    pub schedules: &'static [jobs::Schedule],
}

/// The kernel's own routes (health, language, the signed-in user, the API description) and
/// messages.
pub const DOMAIN: Domain = Domain {
    name: "kernel",
    routes,
    grants: &[],
    nav: &[],
    catalogue: CATALOGUE,
    jobs: &[jobs::JobKind {
        kind: "housekeeping",
        run: crate::housekeeping,
        max_attempts: 3,
    }],
    schedules: &[jobs::Schedule {
        kind: "housekeeping",
        every: jobs::Every::Minutes(60),
    }],
};

fn routes(r: Routes) -> Routes {
    use axum::routing::get;
    let r = http::health::routes(r);
    r.add("GET", "/lang/{code}", Access::Public, get(switch_language))
        .api(
            "GET",
            "/api/v1/me",
            Access::SignedIn,
            Doc::new("The signed-in user, their company, role and permissions").ok::<Me>(),
            get(me),
        )
        .add("GET", "/api/v1/openapi.json", Access::Public, get(openapi))
}

/// The signed-in user as `/api/v1/me` shows them.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    pub user_id: ids::UserId,
    pub username: String,
    pub display_name: String,
    pub company_id: Option<ids::CompanyId>,
    pub branch_id: Option<ids::BranchId>,
    pub role: Option<String>,
    pub permissions: Vec<&'static str>,
    /// Send as `x-csrf-token` on state-changing requests made with the session cookie.
    pub csrf_token: String,
}

async fn me(auth: Auth) -> axum::Json<Me> {
    let mut permissions: Vec<&'static str> = Permission::all()
        .filter(|p| auth.can(*p))
        .map(|p| p.name())
        .collect();
    permissions.sort_unstable();
    axum::Json(Me {
        user_id: auth.user_id,
        username: auth.username,
        display_name: auth.display_name,
        company_id: auth.scope.map(|s| s.company()),
        branch_id: auth.scope.and_then(|s| s.branch()),
        role: auth.role,
        permissions,
        csrf_token: auth.csrf_token,
    })
}

async fn openapi() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(http::openapi::document(http::routes().table()))
}

#[derive(serde::Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn switch_language(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    axum::extract::Path(code): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let lang = Lang::from_code(&code).unwrap_or(Lang::En);
    // The language is not a secret; scripts may read it, so no HttpOnly (and no prefix).
    let mut cookie = format!(
        "lang={}; Path=/; SameSite=Lax; Max-Age={}",
        lang.code(),
        365 * 86_400
    );
    if state.config.http.secure_cookies {
        cookie.push_str("; Secure");
    }
    (
        [(axum::http::header::SET_COOKIE, cookie)],
        axum::response::Redirect::to(&http::form::safe_next(q.next.as_deref().unwrap_or("/"))),
    )
        .into_response()
}

pub const CATALOGUE: &[Message] = &[
    ("app.name", "Setu", "সেতু"),
    ("lang.switch", "বাংলা", "English"),
    ("nav.logout", "Sign out", "সাইন আউট"),
    ("forbidden.title", "Not allowed", "অনুমতি নেই"),
    (
        "forbidden.body",
        "Your role does not allow this page.",
        "আপনার ভূমিকায় এই পাতা দেখার অনুমতি নেই।",
    ),
    ("not_found.title", "Not found", "পাওয়া যায়নি"),
    (
        "not_found.body",
        "There is no such page.",
        "এমন কোনো পাতা নেই।",
    ),
    (
        "field.required",
        "This field is required.",
        "এই ঘরটি পূরণ করতে হবে।",
    ),
    ("field.too_long", "This is too long.", "এটি অনেক লম্বা।"),
    (
        "field.taken",
        "This name is already used.",
        "এই নাম আগেই ব্যবহৃত হয়েছে।",
    ),
    (
        "field.control_characters",
        "Control characters (line breaks, tabs, NUL) are not allowed here.",
        "এখানে নিয়ন্ত্রণ অক্ষর (লাইন ব্রেক, ট্যাব, NUL) চলবে না।",
    ),
    (
        "field.in_use",
        "Still in use; remove what refers to it first.",
        "এখনও ব্যবহৃত হচ্ছে; আগে যেগুলো এটিকে ব্যবহার করছে সেগুলো সরান।",
    ),
];
