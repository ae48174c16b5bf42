//! The web dashboard in real headless Chromium (Debian's `chromium`, installed by
//! `deploy/dev/ensure-tools.sh --browser`; `TOLLGATE_CHROMIUM` may name another binary such as
//! `chromium-headless-shell`), driven over CDP by chromiumoxide.
//!
//! One browser for this binary, so the flows run in one test, one after another (2 cores),
//! each in its own browser context against its own Tollgate on a free port and a fresh
//! database. On every page: no console error, uncaught exception, CSP violation or failed
//! request, and no WCAG 2.2 AA finding by axe-core, light and dark; screenshots of every page
//! and role at 1280x800 and 390x844, light and dark, in `target/ui-screenshots/` with an
//! `index.html`.

mod app;
mod audit;
mod billing;
mod browser;
mod customers;
mod dashboard;
#[path = "../api/helpers/database.rs"]
#[allow(dead_code, reason = "the API tests use more of it")]
mod database;
mod flows;
mod kratos;
#[path = "../api/helpers/kratos.rs"]
#[allow(dead_code, reason = "the API tests use more of it")]
mod kratos_stand_in;
mod no_script;
mod portal;
mod privacy;
mod settings;
mod steps;
mod usage;

use app::App;
use browser::Chromium;

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_frame_in_chromium() {
    let chromium = Chromium::launch().await;
    let mut problems = Vec::new();

    let app = App::spawn().await;
    problems.extend(flows::pages_by_role(&app, &chromium).await);
    problems.extend(settings::pages_by_role(&app, &chromium).await);
    app.stop().await;

    let app = App::spawn().await;
    problems.extend(usage::usage_and_events(&app, &chromium).await);
    app.stop().await;

    let app = App::spawn().await;
    problems.extend(customers::customer_pages(&app, &chromium).await);
    app.stop().await;

    problems.extend(kratos::kratos_login(&chromium).await);
    problems.extend(no_script::kratos_login(&chromium).await);

    type Flow = for<'a> fn(
        &'a App,
        &'a browser::Tab,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Vec<String>, String>> + 'a>,
    >;
    let flows: [(&str, Flow); 10] = [
        ("token login and logout", |app, tab| {
            Box::pin(flows::token_login_and_logout(app, tab))
        }),
        ("csrf refusal", |app, tab| {
            Box::pin(flows::csrf_refusal(app, tab))
        }),
        ("keyboard", |app, tab| Box::pin(flows::keyboard(app, tab))),
        ("dashboard with figures", |app, tab| {
            Box::pin(dashboard::with_figures(app, tab))
        }),
        ("settings: api key by keyboard", |app, tab| {
            Box::pin(settings::api_key_by_keyboard(app, tab))
        }),
        ("settings: debug mode", |app, tab| {
            Box::pin(settings::debug_mode(app, tab))
        }),
        ("settings: general form", |app, tab| {
            Box::pin(settings::general_form(app, tab))
        }),
        ("settings: litellm secrets", |app, tab| {
            Box::pin(settings::litellm_secrets(app, tab))
        }),
        ("settings: team", |app, tab| {
            Box::pin(settings::team(app, tab))
        }),
        ("without javascript", |app, tab| {
            Box::pin(no_script::walk(app, tab))
        }),
    ];
    for (name, flow) in flows {
        let app = App::spawn().await;
        let tab = chromium.tab().await;
        match flow(&app, &tab).await {
            Ok(found) => problems.extend(found),
            Err(error) => problems.push(format!("{name}: {error}")),
        }
        chromium.dispose(tab).await;
        app.stop().await;
    }

    problems.extend(privacy::flows(&chromium).await);
    problems.extend(billing::run(&chromium).await);

    audit::write_index();
    chromium.close().await;
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
