//! The books: the trial balance (debit and credit columns, a total row) and the VAT payable per
//! month, each with a CSV download.

use super::{service, VIEW};
use crate::kernel::http::csv::Csv;
use crate::kernel::http::page::{escape, Page};
use crate::kernel::http::{Access, Auth, Routes};
use crate::kernel::i18n::{taka, Lang};
use crate::kernel::money::Poisha;
use crate::kernel::work::Work;
use crate::kernel::Result;
use crate::tr;
use axum::response::{Html, Response};
use axum::routing::get;

pub fn routes(r: Routes) -> Routes {
    r.add("GET", "/ledger", Access::Needs(VIEW), get(page))
        .add(
            "GET",
            "/ledger/trial-balance.csv",
            Access::Needs(VIEW),
            get(trial_csv),
        )
        .add("GET", "/ledger/vat.csv", Access::Needs(VIEW), get(vat_csv))
}

async fn page(mut work: Work, lang: Lang, auth: Auth) -> Result<Html<String>> {
    let (rows, balanced) = service::trial_balance(&mut work).await?;
    let months = service::vat_by_month(&mut work).await?;
    let (mut debits, mut credits) = (0i64, 0i64);
    let body_rows: String = rows
        .iter()
        .map(|r| {
            let name = match lang {
                Lang::En => &r.name_en,
                Lang::Bn => &r.name_bn,
            };
            let (debit, credit) = if r.balance_poisha >= 0 {
                debits += r.balance_poisha;
                (taka(Poisha(r.balance_poisha), lang), String::new())
            } else {
                credits -= r.balance_poisha;
                (String::new(), taka(Poisha(-r.balance_poisha), lang))
            };
            format!(
                "<tr data-account=\"{code}\"><td>{code}</td><td>{name}</td><td class=num>{debit}</td><td class=num>{credit}</td></tr>",
                code = escape(&r.account),
                name = escape(name),
            )
        })
        .collect();
    let verdict = if balanced {
        format!(
            "<p id=balanced class=ok>{}</p>",
            tr!(lang, "ledger.balanced")
        )
    } else {
        format!(
            "<p id=balanced class=error>{}</p>",
            tr!(lang, "ledger.unbalanced")
        )
    };
    let trial = if rows.is_empty() {
        format!("<p class=muted>{}</p>", tr!(lang, "ledger.empty"))
    } else {
        format!(
            "<table id=trial-balance><thead><tr><th>{code}</th><th>{account}</th><th>{debit}</th><th>{credit}</th></tr></thead>\
             <tbody>{body_rows}</tbody><tfoot><tr><th></th><th>{total}</th><th class=num>{d}</th><th class=num>{c}</th></tr></tfoot></table>{verdict}",
            code = tr!(lang, "ledger.code"),
            account = tr!(lang, "ledger.account"),
            debit = tr!(lang, "ledger.debit"),
            credit = tr!(lang, "ledger.credit"),
            total = tr!(lang, "ledger.total"),
            d = taka(Poisha(debits), lang),
            c = taka(Poisha(credits), lang),
        )
    };
    let vat_rows: String = months
        .iter()
        .map(|m| {
            format!(
                "<tr><td>{}</td><td class=num>{}</td><td class=num>{}</td></tr>",
                escape(&m.month),
                taka(Poisha(m.vat_poisha), lang),
                taka(Poisha(m.sd_poisha), lang)
            )
        })
        .collect();
    let body = format!(
        "<h1>{title}</h1>{trial}<p><a href=/ledger/trial-balance.csv>{csv}</a></p>\
         <h2>{vat_title}</h2><table id=vat><thead><tr><th>{month}</th><th>{vat}</th><th>{sd}</th></tr></thead><tbody>{vat_rows}</tbody></table>\
         <p><a href=/ledger/vat.csv>{csv}</a></p>",
        title = tr!(lang, "ledger.title"),
        csv = tr!(lang, "ledger.csv"),
        vat_title = tr!(lang, "ledger.vat_title"),
        month = tr!(lang, "ledger.month"),
        vat = tr!(lang, "ledger.vat"),
        sd = tr!(lang, "ledger.sd"),
    );
    Ok(Page {
        lang,
        auth: &auth,
        path: "/ledger",
    }
    .render(tr!(lang, "ledger.title"), &body))
}

async fn trial_csv(mut work: Work) -> Result<Response> {
    let (rows, _) = service::trial_balance(&mut work).await?;
    let mut csv = Csv::new(&["code", "account", "kind", "debit_taka", "credit_taka"]);
    for r in rows {
        let (debit, credit) = if r.balance_poisha >= 0 {
            (Poisha(r.balance_poisha).plain(), Poisha(0).plain())
        } else {
            (Poisha(0).plain(), Poisha(-r.balance_poisha).plain())
        };
        csv.row(&[r.account, r.name_en, r.kind, debit, credit]);
    }
    Ok(csv.download("trial-balance.csv"))
}

async fn vat_csv(mut work: Work) -> Result<Response> {
    let months = service::vat_by_month(&mut work).await?;
    let mut csv = Csv::new(&["month", "vat_taka", "sd_taka"]);
    for m in months {
        csv.row(&[
            m.month,
            Poisha(m.vat_poisha).plain(),
            Poisha(m.sd_poisha).plain(),
        ]);
    }
    Ok(csv.download("vat-payable.csv"))
}
