//! The jobs page: what is running, queued, failed (with the error and a retry button) and done.

use super::{service, store, MANAGE, VIEW};
use crate::kernel::date::dhaka_time;
use crate::kernel::http::extract::ApiPath;
use crate::kernel::http::list::PageQuery;
use crate::kernel::http::page::{escape, Page};
use crate::kernel::http::{Access, Auth, Routes};
use crate::kernel::i18n::Lang;
use crate::kernel::ids::JobId;
use crate::kernel::work::Work;
use crate::kernel::Result;
use crate::tr;
use axum::response::{Html, Redirect};
use axum::routing::{get, post};

pub fn routes(r: Routes) -> Routes {
    r.add("GET", "/jobs", Access::Needs(VIEW), get(list)).add(
        "POST",
        "/jobs/{id}/retry",
        Access::Needs(MANAGE),
        post(retry),
    )
}

async fn list(mut work: Work, lang: Lang, auth: Auth) -> Result<Html<String>> {
    let visible = service::visible(&work, auth.is_platform_admin);
    let mut body = format!("<h1>{}</h1>", tr!(lang, "jobs.title"));
    for (state, title) in [
        ("running", tr!(lang, "jobs.running")),
        ("failed", tr!(lang, "jobs.failed")),
        ("queued", tr!(lang, "jobs.queued")),
        ("done", tr!(lang, "jobs.done")),
    ] {
        let jobs = store::list(work.db(), visible, state, &PageQuery::first(50)).await?;
        body.push_str(&format!("<h2>{title}</h2>"));
        if jobs.items.is_empty() {
            body.push_str(&format!("<p class=muted>{}</p>", tr!(lang, "jobs.none")));
            continue;
        }
        let rows: String = jobs
            .items
            .iter()
            .map(|j| {
                let when = j.finished_at.unwrap_or(j.run_after);
                let action = if state == "failed" && auth.can(MANAGE) {
                    format!(
                        "<form method=post action=/jobs/{}/retry><input type=hidden name=csrf value=\"{}\"><button type=submit>{}</button></form>",
                        j.id,
                        auth.csrf_token,
                        tr!(lang, "jobs.retry")
                    )
                } else {
                    String::new()
                };
                format!(
                    "<tr data-job={id}><td>{id}</td><td><code>{kind}</code></td><td>{key}</td><td>{attempts}/{max}</td><td>{when}</td><td>{progress}</td><td>{error}</td><td>{action}</td></tr>",
                    id = j.id,
                    kind = escape(&j.kind),
                    key = escape(&j.dedupe_key),
                    attempts = j.attempts,
                    max = j.max_attempts,
                    when = dhaka_time(when),
                    progress = escape(&j.progress),
                    error = escape(&j.last_error),
                )
            })
            .collect();
        body.push_str(&format!(
            "<table class=jobs id=jobs-{state}><thead><tr><th>#</th><th>{kind}</th><th>{key}</th><th>{attempts}</th><th>{when}</th><th>{progress}</th><th>{error}</th><th></th></tr></thead><tbody>{rows}</tbody></table>",
            kind = tr!(lang, "jobs.kind"),
            key = tr!(lang, "jobs.key"),
            attempts = tr!(lang, "jobs.attempts"),
            when = if state == "queued" { tr!(lang, "jobs.run_after") } else { tr!(lang, "jobs.finished") },
            progress = tr!(lang, "jobs.progress"),
            error = tr!(lang, "jobs.error"),
        ));
    }
    Ok(Page {
        lang,
        auth: &auth,
        path: "/jobs",
    }
    .render(tr!(lang, "jobs.title"), &body))
}

async fn retry(mut work: Work, auth: Auth, ApiPath(id): ApiPath<JobId>) -> Result<Redirect> {
    let visible = service::visible(&work, auth.is_platform_admin);
    service::retry(&mut work, visible, id).await?;
    work.commit().await?;
    Ok(Redirect::to("/jobs"))
}
