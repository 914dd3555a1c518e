//! A user of company A can neither see nor change company B's rows, whatever ids they send.

use crate::helpers::{company, spawn_app, Client};
use controller::store::branches;

#[tokio::test]
async fn another_companys_branches_cannot_be_read_changed_or_deleted() {
    let app = spawn_app().await;
    let a = company(&app, "Alpha Net", &[("alpha-owner", "owner")]).await;
    let b = company(&app, "Beta Net", &[("beta-owner", "owner")]).await;
    let mut alpha = Client::login_as(&app, "alpha-owner").await;
    let theirs = b.branch.id.0;

    let list = alpha.get("/api/v1/branches?limit=500").await.json();
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![a.branch.id.0], "only Alpha's branches are listed");
    // Keyset pagination cannot be steered into another company either.
    let after = alpha
        .get(&format!("/api/v1/branches?after={}", theirs - 1))
        .await
        .json();
    assert!(after["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["company_id"] == a.tenant.company.0));

    assert_eq!(
        alpha
            .get(&format!("/api/v1/branches/{theirs}"))
            .await
            .status,
        404
    );
    assert_eq!(
        alpha
            .json(
                "PATCH",
                &format!("/api/v1/branches/{theirs}"),
                r#"{"name":"taken over"}"#
            )
            .await
            .status,
        404
    );
    assert_eq!(
        alpha
            .json("DELETE", &format!("/api/v1/branches/{theirs}"), "")
            .await
            .status,
        404
    );

    let still = branches::get(&app.store, &b.tenant, b.branch.id)
        .await
        .unwrap();
    assert_eq!(still.name, b.branch.name, "Beta's branch unchanged");
    let page = alpha.get("/branches").await.body;
    assert!(
        !page.contains(&b.branch.name),
        "Beta's branch not on Alpha's page"
    );
}

#[tokio::test]
async fn the_same_branch_name_may_exist_in_two_companies() {
    let app = spawn_app().await;
    company(&app, "Alpha Net", &[("alpha-owner", "owner")]).await;
    company(&app, "Beta Net", &[("beta-owner", "owner")]).await;
    let mut alpha = Client::login_as(&app, "alpha-owner").await;
    let mut beta = Client::login_as(&app, "beta-owner").await;
    assert_eq!(
        alpha
            .json("POST", "/api/v1/branches", r#"{"name":"Mirpur"}"#)
            .await
            .status,
        201
    );
    assert_eq!(
        beta.json("POST", "/api/v1/branches", r#"{"name":"Mirpur"}"#)
            .await
            .status,
        201
    );
    assert_eq!(
        alpha
            .json("POST", "/api/v1/branches", r#"{"name":"Mirpur"}"#)
            .await
            .status,
        409
    );
}

#[tokio::test]
async fn a_branch_limited_user_sees_only_their_branch() {
    let app = spawn_app().await;
    let a = company(&app, "Alpha Net", &[]).await;
    let second = branches::create(&app.store, &a.tenant, "Second")
        .await
        .unwrap();
    let limited = controller::store::Tenant {
        company: a.tenant.company,
        branch: Some(second.id),
    };
    let seen: Vec<_> = branches::list(&app.store, &limited, None, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(seen, vec![second.id]);
    assert!(branches::list(&app.store, &limited, Some(second.id), 50)
        .await
        .unwrap()
        .is_empty());
    assert!(
        branches::get(&app.store, &limited, a.branch.id)
            .await
            .is_err(),
        "the sibling branch is invisible"
    );
    let all: Vec<_> = branches::list(&app.store, &a.tenant, None, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(all, vec![a.branch.id, second.id]);
}
