//! `--mode pages`: the dashboard as its users meet it. Signs in through a `dev-login` link of
//! the child (`tollgate serve`), finds the pages by following the menu and the links on each
//! page (one page per route shape, ids folded), as the owner and then as two customers' members
//! on their portal (see [`MEMBERS`]), then per page: the server's own render time
//! (`Server-Timing: total`) over `--requests` GETs, the page's weight (HTML, and every static
//! file it loads, gzip-compressed as a proxy would send them) and `DOMContentLoaded` in
//! headless Chromium over loopback, the first load with an empty cache and then warm.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::args::Args;
use crate::browser::Chromium;
use crate::children::Children;
use crate::figures::new_hist;
use crate::pages_crawl::{Page, assets_of, crawl, gzip_len};
use crate::support::http::Target;
use crate::support::latency::{self, ms};
use crate::support::results::Results;
use crate::{BoxError, err};

/// Who signs in, with the `dev-login` arguments after `--org`, and the page the crawl starts
/// from. The owner's crawl finds every staff page. The portal is measured for two customers of
/// the bench's data set: `cust-001`, which has usage (10 models, a twentieth of the events) and
/// no billing record, and `cust_00001`, which has subscriptions and invoices and no usage.
const MEMBERS: [(&str, &[&str], &str); 3] = [
    ("owner", &["--role", "owner"], "/"),
    (
        "cust-001",
        &["--role", "customer", "--customer", "cust-001"],
        "/portal",
    ),
    (
        "cust_00001",
        &["--role", "customer", "--customer", "cust_00001"],
        "/portal",
    ),
];

/// A page's figures.
struct Measured {
    page: Page,
    /// Index in [`MEMBERS`] of who it was found and measured as.
    member: usize,
    cookie: String,
    server: Histogram<u64>,
    client: Histogram<u64>,
    html_gz: usize,
    js_gz: usize,
    first_visit_gz: usize,
    dcl_cold_ms: f64,
    dcl_warm: Histogram<u64>,
    errors: u64,
}

/// `total;dur=12.3` of a `Server-Timing` value, in ms.
pub fn server_total_ms(server_timing: &str) -> Option<f64> {
    server_timing
        .split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("total;dur="))
        .and_then(|dur| dur.parse().ok())
}

/// A session cookie (`name=value`) from a one-time link printed by the child's `dev-login`.
async fn sign_in(args: &Args, client: &reqwest::Client, member: usize) -> Result<String, BoxError> {
    let link = dev_login_link(args, member).await?;
    let answer = client
        .get(&link)
        .send()
        .await
        .map_err(|e| err(format!("{link}: {e}")))?;
    answer
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|cookie| cookie.split(';').next().map(str::to_owned))
        .ok_or_else(|| err(format!("{link} set no cookie (status {})", answer.status())))
}

async fn dev_login_link(args: &Args, member: usize) -> Result<String, BoxError> {
    let binary = args
        .child
        .first()
        .ok_or_else(|| err("pages: the Tollgate command follows `--`"))?;
    let output = tokio::process::Command::new(binary)
        .args(["dev-login", "--org", &args.org])
        .args(MEMBERS[member].1)
        .output()
        .await
        .map_err(|e| err(format!("{binary} dev-login: {e}")))?;
    if !output.status.success() {
        return Err(err(format!(
            "dev-login failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

pub async fn pages(args: &Args, out: &mut Results) -> Result<(), BoxError> {
    let target = Target::parse(&args.url, Duration::from_secs_f64(args.timeout))?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs_f64(args.timeout))
        .build()?;
    let mut children = Children::spawn(args, &[])?;
    children.wait_ready(&target).await?;
    let mut found = Vec::new();
    for (member, (name, _, start)) in MEMBERS.iter().enumerate() {
        let cookie = sign_in(args, &client, member).await?;
        let pages = crawl(&client, &args.url, start, &cookie, args.pages_max).await?;
        for mut page in pages {
            if member > 0 {
                // Each customer's portal is a row of its own.
                page.shape = format!("{} ({name})", page.shape);
            }
            found.push((member, cookie.clone(), page));
        }
    }
    println!(
        "pages: {} pages found from the menu and their links; {} timed GETs each, {} warm loads in Chromium",
        found.len(),
        args.requests,
        args.dcl_loads
    );
    let mut asset_sizes: BTreeMap<String, usize> = BTreeMap::new();
    let mut measured = Vec::new();
    for (member, cookie, page) in found {
        let mut m = Measured {
            member,
            cookie,
            server: new_hist(),
            client: new_hist(),
            html_gz: gzip_len(page.html.as_bytes()),
            js_gz: 0,
            first_visit_gz: 0,
            dcl_cold_ms: 0.0,
            dcl_warm: new_hist(),
            errors: 0,
            page,
        };
        for asset in assets_of(&m.page.html) {
            let size = match asset_sizes.get(&asset) {
                Some(size) => *size,
                None => {
                    let body = client
                        .get(format!("{}{asset}", args.url))
                        .send()
                        .await?
                        .bytes()
                        .await?;
                    let size = gzip_len(&body);
                    asset_sizes.insert(asset.clone(), size);
                    size
                }
            };
            if asset.ends_with(".js") {
                m.js_gz += size;
            }
            m.first_visit_gz += size;
        }
        m.first_visit_gz += m.html_gz;
        for _ in 0..args.requests {
            let t0 = Instant::now();
            let answer = client
                .get(format!("{}{}", args.url, m.page.path))
                .header(reqwest::header::COOKIE, &m.cookie)
                .send()
                .await;
            match answer {
                Ok(answer) if answer.status().is_success() => {
                    let server = answer
                        .headers()
                        .get("server-timing")
                        .and_then(|v| v.to_str().ok())
                        .and_then(server_total_ms);
                    let _ = answer.bytes().await;
                    latency::record(&mut m.client, t0.elapsed());
                    if let Some(server) = server {
                        latency::record(&mut m.server, Duration::from_secs_f64(server / 1000.0));
                    }
                }
                _ => m.errors += 1,
            }
        }
        measured.push(m);
    }
    load_in_chromium(args, &mut measured).await?;
    children.stop().await;
    report(&measured, out);
    Ok(())
}

/// `DOMContentLoaded` of each page in a fresh browser context per member, signed in by its own
/// link: the first load of a member's first page fetches the static files; every page is then
/// loaded `--dcl-loads` times more, warm.
async fn load_in_chromium(args: &Args, measured: &mut [Measured]) -> Result<(), BoxError> {
    let chromium = Chromium::launch().await;
    for member in 0..MEMBERS.len() {
        let tab = chromium.tab().await;
        let link = dev_login_link(args, member).await?;
        tab.page.goto(&link).await.map_err(|e| err(e.to_string()))?;
        let pages = measured.iter_mut().filter(|m| m.member == member);
        load_pages(args, &tab, pages).await?;
        chromium.dispose(tab).await;
    }
    chromium.close().await;
    Ok(())
}

async fn load_pages<'a>(
    args: &Args,
    tab: &crate::browser::Tab,
    pages: impl Iterator<Item = &'a mut Measured>,
) -> Result<(), BoxError> {
    for m in pages {
        let url = format!("{}{}", args.url, m.page.path);
        for load in 0..=args.dcl_loads {
            tab.page
                .goto(&url)
                .await
                .map_err(|e| err(format!("{url}: {e}")))?;
            let dcl: f64 = tab
                .page
                .evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
                .await
                .map_err(|e| err(e.to_string()))?
                .into_value()
                .map_err(|e| err(e.to_string()))?;
            if load == 0 {
                m.dcl_cold_ms = dcl;
            } else {
                latency::record(&mut m.dcl_warm, Duration::from_secs_f64(dcl / 1000.0));
            }
        }
    }
    Ok(())
}

fn report(measured: &[Measured], out: &mut Results) {
    println!(
        "    {:<34} {:>5} {:>9} {:>9} {:>9} {:>8} {:>7} {:>9} {:>8} {:>8} {:>4}",
        "page",
        "n",
        "srv p50",
        "srv p95",
        "rtt p95",
        "html KB",
        "js KB",
        "first KB",
        "DCL ms",
        "DCL p95",
        "err"
    );
    let kb = |bytes: usize| bytes as f64 / 1024.0;
    for (index, m) in measured.iter().enumerate() {
        let q = |h: &Histogram<u64>, v: f64| ms(h.value_at_quantile(v));
        println!(
            "    {:<34} {:>5} {:>9.1} {:>9.1} {:>9.1} {:>8.1} {:>7.1} {:>9.1} {:>8.0} {:>8.0} {:>4}",
            m.page.shape,
            m.server.len(),
            q(&m.server, 0.5),
            q(&m.server, 0.95),
            q(&m.client, 0.95),
            kb(m.html_gz),
            kb(m.js_gz),
            kb(m.first_visit_gz),
            m.dcl_cold_ms,
            q(&m.dcl_warm, 0.95),
            m.errors
        );
        // Keys by position: a shape's slashes would not survive the summary's sed.
        let k = |name: &str| format!("p.{index}.{name}");
        out.put(&k("shape"), &m.page.shape);
        out.put(&k("path"), &m.page.path);
        out.put(&k("n"), m.server.len());
        out.put(&k("server_p50_ms"), format!("{:.1}", q(&m.server, 0.5)));
        out.put(&k("server_p95_ms"), format!("{:.1}", q(&m.server, 0.95)));
        out.put(&k("client_p95_ms"), format!("{:.1}", q(&m.client, 0.95)));
        out.put(&k("html_gz_bytes"), m.html_gz);
        out.put(&k("js_gz_bytes"), m.js_gz);
        out.put(&k("first_visit_gz_bytes"), m.first_visit_gz);
        out.put(&k("dcl_cold_ms"), format!("{:.0}", m.dcl_cold_ms));
        out.put(
            &k("dcl_warm_p95_ms"),
            format!("{:.0}", q(&m.dcl_warm, 0.95)),
        );
        out.put(&k("errors"), m.errors);
    }
    out.put("p.pages", measured.len());
}
