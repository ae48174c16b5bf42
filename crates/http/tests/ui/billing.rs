//! The billing pages in Chromium, on one app seeded through the JSON API: every page as every
//! role (write controls only for those who may), an invoice finalized then voided through the
//! confirmation dialog and its PDF read back with `pdftotext`, another finalized without
//! JavaScript through the confirmation page and its PDF downloaded by a viewer with scripts
//! off, and the plan form (a plan created with a tier table, a refused one back with the
//! API's code and every value).

use std::time::Duration;

use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    app::App,
    audit::check_page,
    browser::{Chromium, Tab},
    steps::{arrive, click, fill, open, pdf_to_text, sign_in, status_is, text},
};

/// What the flows find seeded: the draft invoices (newest first) and the plan `pro`.
struct Seeded {
    drafts: Vec<String>,
    plan: String,
}

async fn created(app: &App, path: &str, body: Value) -> Result<Value, String> {
    let (status, answer) = app.api("billing", Method::POST, path, Some(body)).await;
    if !(200..300).contains(&status) {
        return Err(format!("POST {path}: {status} {answer}"));
    }
    Ok(answer)
}

/// A customer on `pro` since 70 days ago (two monthly periods ended, closed as drafts), with
/// a downgrade to `basic` scheduled for the current period's end.
async fn seed(app: &App) -> Result<Seeded, String> {
    let customer = created(
        app,
        "/api/billing/customers",
        json!({"external_id": "acme", "name": "Acme Corp", "billing_email": "billing@acme.example",
               "currency": "USD"}),
    )
    .await?;
    let plan = created(
        app,
        "/api/billing/plans",
        json!({"code": "pro", "name": "Pro", "interval": "monthly", "currency": "USD",
               "base_fee": {"amount": "31.00", "timing": "in_arrears"},
               "charges": [{"meter": "requests", "model": {"type": "graduated", "tiers": [
                   {"up_to": "1000", "unit_price": "0.01"},
                   {"up_to": null, "unit_price": "0.005"}]}}]}),
    )
    .await?;
    created(
        app,
        "/api/billing/plans",
        json!({"code": "basic", "name": "Basic", "interval": "monthly", "currency": "USD",
               "base_fee": {"amount": "9.00", "timing": "in_advance"}}),
    )
    .await?;
    let started = (chrono::Utc::now() - chrono::TimeDelta::days(70)).to_rfc3339();
    let subscription = created(
        app,
        "/api/billing/subscriptions",
        json!({"customer_id": customer["id"], "plan_code": "pro", "external_id": "sub_acme",
               "starts_at": started}),
    )
    .await?;
    let id = subscription["id"].as_str().unwrap_or_default();
    created(
        app,
        &format!("/api/billing/subscriptions/{id}/downgrade"),
        json!({"plan_code": "basic"}),
    )
    .await?;
    let report = app.close_billing_periods_as_drafts().await;
    if report["invoices"].as_i64().unwrap_or(0) < 2 {
        return Err(format!("the close made {report}"));
    }
    let (_, listed) = app
        .api("viewer", Method::GET, "/api/billing/invoices", None)
        .await;
    let drafts = listed["data"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|invoice| invoice["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(Seeded {
        drafts,
        plan: plan["id"].as_str().unwrap_or_default().to_owned(),
    })
}

/// Waits until `selector`'s text is `expected` (a form posted back to the same address).
async fn wait_text(tab: &Tab, selector: &str, expected: &str) -> Result<(), String> {
    for _ in 0..100 {
        if text(tab, selector).await.trim() == expected {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!(
        "{selector} says {:?}, not {expected:?}",
        text(tab, selector).await
    ))
}

/// Waits until the tab shows a page whose path starts with `prefix` and is longer.
async fn arrive_under(tab: &Tab, prefix: &str) -> Result<String, String> {
    for _ in 0..100 {
        let url = tab.page.url().await.ok().flatten().unwrap_or_default();
        let path = url::Url::parse(&url)
            .map(|u| u.path().to_owned())
            .unwrap_or_default();
        let ready: String = tab
            .page
            .evaluate("document.readyState")
            .await
            .ok()
            .and_then(|v| v.into_value().ok())
            .unwrap_or_default();
        if path.starts_with(prefix) && path.len() > prefix.len() && ready == "complete" {
            return Ok(path);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("expected a page under {prefix}"))
}

async fn value_of(tab: &Tab, selector: &str) -> String {
    tab.page
        .evaluate(format!("document.querySelector({selector:?})?.value ?? ''"))
        .await
        .ok()
        .and_then(|v| v.into_value().ok())
        .unwrap_or_default()
}

/// Picks `value` in the `<select>` `selector`, as a person choosing it would.
async fn choose(tab: &Tab, selector: &str, value: &str) -> Result<(), String> {
    tab.page
        .evaluate(format!(
            "(() => {{ const s = document.querySelector({selector:?}); s.value = {value:?};
               s.dispatchEvent(new Event('change', {{ bubbles: true }})); return s.value; }})()"
        ))
        .await
        .map_err(|e| format!("{selector}: {e}"))?;
    Ok(())
}

/// Every billing page as each role; write controls for owner, admin and billing only.
async fn pages_by_role(app: &App, chromium: &Chromium, seeded: &Seeded) -> Vec<String> {
    let mut problems = Vec::new();
    let invoice = format!("/billing/invoices/{}", seeded.drafts[0]);
    let plan = format!("/billing/plans/{}", seeded.plan);
    let pages = [
        ("billing-invoices", "/billing/invoices", "Invoices"),
        ("billing-invoice", invoice.as_str(), ""),
        // Without Stripe (the walk's app has none): the off state.
        ("billing-payments", "/billing/payments", "Card payments"),
        (
            "billing-subscriptions",
            "/billing/subscriptions",
            "Subscriptions",
        ),
        ("billing-plans", "/billing/plans", "Plans"),
        ("billing-plan", plan.as_str(), ""),
    ];
    for role in ["owner", "admin", "billing", "viewer"] {
        let tab = chromium.tab().await;
        let outcome = async {
            sign_in(app, &tab, role).await?;
            let mut found = Vec::new();
            for (name, path, heading) in pages {
                open(&tab, &app.url(path), path).await?;
                status_is(&tab, 200).map_err(|e| format!("{path}: {e}"))?;
                let shown = text(&tab, "h1").await;
                if !heading.is_empty() && shown != heading {
                    return Err(format!("{path}: the heading is {shown:?}"));
                }
                if !text(&tab, "nav.nav [aria-current]")
                    .await
                    .contains("Billing")
                {
                    return Err(format!("{path}: the menu does not mark Billing"));
                }
                found.extend(check_page(&tab, name, role).await);
            }
            open(&tab, &app.url(&invoice), &invoice).await?;
            let writes = tab
                .page
                .find_element("form[action$='/finalize'] button")
                .await
                .is_ok();
            if writes == (role == "viewer") {
                return Err(format!("the finalize control shown: {writes}"));
            }
            open(
                &tab,
                &app.url("/billing/subscriptions"),
                "/billing/subscriptions",
            )
            .await?;
            let listed = text(&tab, "table.subscriptions").await;
            if !listed.contains("Downgrade to basic v1 scheduled") || !listed.contains("Acme Corp")
            {
                return Err(format!("the subscriptions say {listed:?}"));
            }
            open(&tab, &app.url("/billing/plans/new"), "/billing/plans/new").await?;
            if role == "viewer" {
                status_is(&tab, 403)?;
            } else {
                status_is(&tab, 200)?;
            }
            found.extend(check_page(&tab, "billing-plan-new", role).await);
            Ok::<_, String>(found)
        }
        .await;
        match outcome {
            Ok(found) => problems.extend(found),
            Err(error) => problems.push(format!("billing pages as {role}: {error}")),
        }
        chromium.dispose(tab).await;
    }
    let customer = chromium.tab().await;
    let link = app
        .dev_link(&[
            "--org",
            "default",
            "--role",
            "customer",
            "--customer",
            "acme",
        ])
        .await;
    let outcome = async {
        open(&customer, &link, "/portal").await?;
        open(
            &customer,
            &app.url("/billing/invoices"),
            "/billing/invoices",
        )
        .await?;
        status_is(&customer, 403)?;
        Ok::<_, String>(check_page(&customer, "billing-invoices", "customer").await)
    }
    .await;
    match outcome {
        Ok(found) => problems.extend(found),
        Err(error) => problems.push(format!("billing pages as customer: {error}")),
    }
    chromium.dispose(customer).await;
    problems
}

/// The PDF the invoice page links to, fetched under the page's session, as text.
async fn pdf_text(tab: &Tab) -> Result<String, String> {
    let encoded: String = tab
        .page
        .evaluate(
            "(async () => {
               const link = document.querySelector('a[href$=\"/pdf\"]');
               const answer = await fetch(link.href);
               if (!answer.ok) return 'status ' + answer.status;
               const bytes = new Uint8Array(await answer.arrayBuffer());
               let text = '';
               for (const b of bytes) text += String.fromCharCode(b);
               return btoa(text);
             })()",
        )
        .await
        .map_err(|e| e.to_string())?
        .into_value()
        .map_err(|e| e.to_string())?;
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(&encoded)
        .map_err(|_| format!("the PDF download answered {encoded:?}"))?;
    pdf_to_text(&pdf)
}

/// Billing staff open a draft from the list, finalize it through the dialog, download its PDF
/// (its number is in it), then void it and find its credit note.
async fn finalize_and_void(app: &App, tab: &Tab, seeded: &Seeded) -> Result<Vec<String>, String> {
    let id = &seeded.drafts[1];
    let path = format!("/billing/invoices/{id}");
    sign_in(app, tab, "billing").await?;
    open(
        tab,
        &app.url("/billing/invoices?status=draft"),
        "/billing/invoices?status=draft",
    )
    .await?;
    click(tab, &format!("a[href='{path}']")).await?;
    arrive(tab, &path).await?;
    click(tab, "form[action$='/finalize'] button[type=submit]").await?;
    wait_text(tab, "#confirm-dialog h2", "Are you sure?").await?;
    let mut found = check_page(tab, "billing-invoice-finalize-dialog", "billing").await;
    click(tab, "#confirm-dialog button[value=yes]").await?;
    wait_text(tab, ".title-row .badge", "Finalized").await?;
    let heading = text(tab, "h1").await;
    let number = heading.trim_start_matches("Invoice ").to_owned();
    if !number.starts_with("DEFAULT-") {
        return Err(format!("the finalized invoice is titled {heading:?}"));
    }
    found.extend(check_page(tab, "billing-invoice-finalized", "billing").await);
    let pdf = pdf_text(tab).await?;
    if !pdf.contains(&number) {
        return Err(format!("the PDF does not show {number}: {pdf:?}"));
    }
    click(tab, "form[action$='/void'] button[type=submit]").await?;
    wait_text(tab, "#confirm-dialog h2", "Are you sure?").await?;
    // Cancelled first: nothing happens.
    click(tab, "#confirm-dialog button[value=no]").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    if text(tab, ".title-row .badge").await != "Finalized" {
        return Err("cancelling the dialog voided the invoice".into());
    }
    click(tab, "form[action$='/void'] button[type=submit]").await?;
    wait_text(tab, "#confirm-dialog h2", "Are you sure?").await?;
    click(tab, "#confirm-dialog button[value=yes]").await?;
    wait_text(tab, ".title-row .badge", "Voided").await?;
    let notes = text(tab, "section[aria-labelledby=credit-notes-heading]").await;
    if !notes.contains("Invoice voided") {
        return Err(format!("the credit notes say {notes:?}"));
    }
    found.extend(check_page(tab, "billing-invoice-voided", "billing").await);
    if app
        .count_where(
            "audit_log",
            "action IN ('invoice.finalize', 'invoice.void')",
        )
        .await
        != 2
    {
        return Err("the finalize and the void are not both audited".into());
    }
    Ok(found)
}

/// Without JavaScript, finalizing asks on a page of its own, then is done. The script is
/// told the form is confirmed already, so it posts as a browser without it does (`confirmed`
/// empty) and the page that asks is audited like every other.
async fn finalize_without_javascript(
    app: &App,
    tab: &Tab,
    seeded: &Seeded,
) -> Result<Vec<String>, String> {
    let id = &seeded.drafts[0];
    let path = format!("/billing/invoices/{id}");
    sign_in(app, tab, "admin").await?;
    open(tab, &app.url(&path), &path).await?;
    tab.page
        .evaluate("document.querySelector('form[action$=\"/finalize\"]').dataset.confirmed = 'yes'")
        .await
        .map_err(|e| e.to_string())?;
    click(tab, "form[action$='/finalize'] button[type=submit]").await?;
    arrive(tab, &format!("{path}/finalize")).await?;
    status_is(tab, 200)?;
    if !text(tab, "main h1").await.starts_with("Finalize invoice") {
        return Err(format!(
            "the confirmation page says {:?}",
            text(tab, "main").await
        ));
    }
    if app
        .count_where("billing_invoices", "status = 'draft'")
        .await
        != 1
    {
        return Err("asking to confirm changed the invoice".into());
    }
    let found = check_page(tab, "billing-invoice-confirm", "admin").await;
    click(tab, "main form button[type=submit]").await?;
    arrive(tab, &path).await?;
    wait_text(tab, ".title-row .badge", "Finalized").await?;
    Ok(found)
}

/// A plan made in the form (a tier added without script), then one refused with the API's
/// code, every value kept.
async fn plan_form(app: &App, tab: &Tab) -> Result<Vec<String>, String> {
    sign_in(app, tab, "admin").await?;
    open(tab, &app.url("/billing/plans/new"), "/billing/plans/new").await?;
    fill(tab, "#code", "team").await?;
    fill(tab, "#name", "Team").await?;
    fill(tab, "#base_fee", "49").await?;
    choose(tab, "#c0_meter", "input_tokens").await?;
    choose(tab, "#c0_model", "graduated").await?;
    fill(tab, "#c0_t0_up_to", "1000000").await?;
    fill(tab, "#c0_t0_unit_price", "0.000002").await?;
    fill(tab, "#c0_t1_unit_price", "0.0000015").await?;
    click(tab, "button[value=add_tier_0]").await?;
    arrive(tab, "/billing/plans").await?;
    for _ in 0..100 {
        if tab.page.find_element("#c0_t2_up_to").await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if value_of(tab, "#c0_t0_up_to").await != "1000000" || value_of(tab, "#code").await != "team" {
        return Err("adding a tier lost what was typed".into());
    }
    let mut found = check_page(tab, "billing-plan-form-tier-added", "admin").await;
    click(tab, ".form-actions button[type=submit]").await?;
    let shown = arrive_under(tab, "/billing/plans/").await?;
    let tiers = text(tab, "table.tiers").await;
    if !tiers.contains("1,000,000") || !tiers.contains("and above") {
        return Err(format!("{shown}: the tier table says {tiers:?}"));
    }
    found.extend(check_page(tab, "billing-plan-created", "admin").await);

    open(tab, &app.url("/billing/plans/new"), "/billing/plans/new").await?;
    fill(tab, "#code", "team-b").await?;
    fill(tab, "#name", "Team again").await?;
    choose(tab, "#c0_meter", "requests").await?;
    fill(tab, "#c0_unit_price", "a lot").await?;
    click(tab, ".form-actions button[type=submit]").await?;
    wait_text(tab, "#form-refusal code", "not_a_number").await?;
    status_is(tab, 422)?;
    if value_of(tab, "#name").await != "Team again"
        || value_of(tab, "#c0_unit_price").await != "a lot"
    {
        return Err("the refused form lost its values".into());
    }
    found.extend(check_page(tab, "billing-plan-refused", "admin").await);
    Ok(found)
}

/// The billing flows on one app (they touch different invoices and plans).
pub async fn run(chromium: &Chromium) -> Vec<String> {
    let app = App::spawn_with(|settings| {
        // The flows close the periods themselves, as drafts.
        settings.billing.close_every_secs = 0;
    })
    .await;
    let mut problems = Vec::new();
    match seed(&app).await {
        Err(error) => problems.push(format!("billing seed: {error}")),
        Ok(seeded) if seeded.drafts.len() < 2 => {
            problems.push(format!("billing seed: {} drafts", seeded.drafts.len()));
        }
        Ok(seeded) => {
            problems.extend(pages_by_role(&app, chromium, &seeded).await);
            let tab = chromium.tab().await;
            match finalize_and_void(&app, &tab, &seeded).await {
                Ok(found) => problems.extend(found),
                Err(error) => problems.push(format!("finalize and void: {error}")),
            }
            chromium.dispose(tab).await;
            let tab = chromium.tab().await;
            match finalize_without_javascript(&app, &tab, &seeded).await {
                Ok(found) => problems.extend(found),
                Err(error) => problems.push(format!("finalize without JavaScript: {error}")),
            }
            chromium.dispose(tab).await;
            let tab = chromium.tab().await;
            let path = format!("/billing/invoices/{}", seeded.drafts[0]);
            match crate::no_script::invoice_pdf(&app, &tab, &path, "viewer").await {
                Ok(found) => problems.extend(found),
                Err(error) => problems.push(format!("invoice PDF without JavaScript: {error}")),
            }
            chromium.dispose(tab).await;
            let tab = chromium.tab().await;
            match plan_form(&app, &tab).await {
                Ok(found) => problems.extend(found),
                Err(error) => problems.push(format!("plan form: {error}")),
            }
            chromium.dispose(tab).await;
        }
    }
    app.stop().await;
    problems
}
