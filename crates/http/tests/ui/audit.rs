//! What every page must pass, and its screenshots: no problem recorded by the tab, no CSP
//! violation, no WCAG 2.2 AA finding by axe-core (vendored in tests/fixtures), in light and
//! dark; then screenshots at 1280x800 and 390x844, light and dark, for the review index.

use std::{path::PathBuf, sync::Mutex};

use chromiumoxide::{
    cdp::browser_protocol::{
        emulation::{MediaFeature, SetDeviceMetricsOverrideParams},
        page::CaptureScreenshotFormat,
    },
    page::ScreenshotParams,
};

use crate::browser::Tab;

const AXE: &str = include_str!("../fixtures/axe.min.js");

const SIZES: [(i64, i64); 2] = [(1280, 800), (390, 844)];
const SCHEMES: [&str; 2] = ["light", "dark"];

/// Every screenshot taken: (flow and page, role, file name).
static SHOTS: Mutex<Vec<(String, String, String)>> = Mutex::new(Vec::new());

pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")),
        PathBuf::from,
    );
    target.join("ui-screenshots")
}

async fn viewport(tab: &Tab, (width, height): (i64, i64)) {
    tab.page
        .execute(
            SetDeviceMetricsOverrideParams::builder()
                .width(width)
                .height(height)
                .device_scale_factor(1.0)
                .mobile(width < 600)
                .build()
                .expect("metrics"),
        )
        .await
        .expect("the viewport is set");
}

async fn scheme(tab: &Tab, scheme: &str) {
    tab.page
        .emulate_media_features(vec![MediaFeature {
            name: "prefers-color-scheme".into(),
            value: scheme.into(),
        }])
        .await
        .expect("the colour scheme is emulated");
}

/// axe-core's WCAG 2.x A/AA findings on the page as it is now.
async fn axe(tab: &Tab) -> Vec<String> {
    let loaded: bool = tab
        .page
        .evaluate("typeof window.axe === 'object'")
        .await
        .expect("evaluate")
        .into_value()
        .unwrap_or(false);
    if !loaded {
        tab.page.evaluate(AXE).await.expect("axe-core loads");
    }
    let findings: String = tab
        .page
        .evaluate_function(
            "async () => {
               const result = await axe.run(document, { runOnly: { type: 'tag',
                 values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
               const found = result.violations.map((v) => v.id + ' (' + v.impact + '): '
                 + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '));
               // A run that checked nothing would hide everything: say so.
               if (result.passes.length === 0) found.push('axe-core checked no rule');
               return JSON.stringify(found);
             }",
        )
        .await
        .expect("axe-core runs")
        .into_value()
        .expect("axe-core's findings");
    serde_json::from_str(&findings).expect("a list of findings")
}

/// Checks the page the tab shows, named `name` for `role`, and takes its screenshots. Answers
/// what is wrong with it (empty when nothing).
pub async fn check_page(tab: &Tab, name: &str, role: &str) -> Vec<String> {
    let mut problems = tab.take_problems();
    let violations: String = tab
        .page
        .evaluate("JSON.stringify(window.__cspViolations ?? ['the CSP recorder is missing'])")
        .await
        .expect("evaluate")
        .into_value()
        .unwrap_or_default();
    let violations: Vec<String> =
        serde_json::from_str(&violations).unwrap_or_else(|_| vec![violations]);
    problems.extend(
        violations
            .into_iter()
            .map(|v| format!("CSP violation: {v}")),
    );

    problems.extend(photograph(tab, name, role, true).await);
    labelled(problems, name, role)
}

/// [`check_page`] for a tab whose scripts are off (the no-script walk). There DevTools'
/// evaluations still answer, but nothing the page schedules runs: a promise waiting on a timer
/// never settles, and `axe.run` waits on timers, so axe-core would hang; and the CSP recorder's
/// listener is a page script that would record nothing. So only what CDP reports itself is
/// checked (console and log errors, which include the CSP violations the browser logs, and
/// failed requests), then the screenshots. axe-core checks the same pages with scripts on in
/// the other flows.
pub async fn check_page_without_script(tab: &Tab, name: &str, role: &str) -> Vec<String> {
    // Its own names: the same pages are photographed with scripts on under theirs.
    let name = &format!("noscript-{name}");
    let mut problems = tab.take_problems();
    problems.extend(photograph(tab, name, role, false).await);
    labelled(problems, name, role)
}

/// Screenshots of the page in every scheme and size (axe-core run on each when `with_axe`),
/// then the tab's problems meanwhile; the tab is left light at the first size.
async fn photograph(tab: &Tab, name: &str, role: &str, with_axe: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).expect("the screenshot folder");
    for colours in SCHEMES {
        scheme(tab, colours).await;
        for size in SIZES {
            viewport(tab, size).await;
            if with_axe {
                problems.extend(
                    axe(tab)
                        .await
                        .into_iter()
                        .map(|f| format!("axe ({colours}, {}x{}): {f}", size.0, size.1)),
                );
            }
            let file = format!("{name}-{role}-{}x{}-{colours}.png", size.0, size.1);
            let png = tab
                .page
                .screenshot(
                    ScreenshotParams::builder()
                        .format(CaptureScreenshotFormat::Png)
                        .full_page(true)
                        .build(),
                )
                .await
                .expect("a screenshot");
            std::fs::write(dir.join(&file), png).expect("the screenshot is written");
            if let Ok(mut shots) = SHOTS.lock() {
                shots.push((name.to_owned(), role.to_owned(), file));
            }
        }
    }
    scheme(tab, "light").await;
    viewport(tab, SIZES[0]).await;
    problems.extend(tab.take_problems());
    problems
}

fn labelled(problems: Vec<String>, name: &str, role: &str) -> Vec<String> {
    problems
        .into_iter()
        .map(|problem| format!("{name} as {role}: {problem}"))
        .collect()
}

/// `index.html` beside the screenshots: every page and role, each size and scheme.
pub fn write_index() {
    let shots = SHOTS.lock().map(|s| s.clone()).unwrap_or_default();
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Tollgate screenshots</title></head><body><h1>Tollgate screenshots</h1>",
    );
    let mut current = String::new();
    for (name, role, file) in shots {
        let heading = format!("{name} as {role}");
        if heading != current {
            html.push_str(&format!("<h2>{heading}</h2>"));
            current = heading;
        }
        html.push_str(&format!(
            "<figure><a href=\"{file}\"><img src=\"{file}\" alt=\"{file}\" loading=\"lazy\" \
             width=\"320\"></a><figcaption>{file}</figcaption></figure>"
        ));
    }
    html.push_str("</body></html>");
    std::fs::write(screenshot_dir().join("index.html"), html).expect("the index is written");
}
