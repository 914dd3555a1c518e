//! Typed ids. Each is an `i64` in the database and in JSON, and a different type in Rust, so a
//! router id cannot be passed where a plan id is meant.

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, sqlx::Type, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        #[schema(value_type = i64)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                $name(id)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.trim().parse().map($name)
            }
        }
    )*};
}

id_type!(
    CompanyId,
    BranchId,
    UserId,
    RoleId,
    ApiTokenId,
    PopId,
    RouterId,
    PlanId,
    JobId,
    SubscriptionId,
    SubscriptionEventId,
    InvoiceId,
    InvoiceLineId,
    BillingRunId,
    TaxRateId,
    AccountId,
    EntryId,
    SubscriberId,
);
