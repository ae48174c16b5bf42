#![allow(clippy::unwrap_used, reason = "tests")]

use super::*;

#[test]
fn hashed_names_follow_the_content_and_keep_the_extension() {
    let css = url("app.css");
    assert!(
        css.starts_with("/static/app.") && css.ends_with(".css"),
        "{css}"
    );
    assert_eq!(css.len(), "/static/app..css".len() + 10);
    assert_ne!(url("app.js"), url("app.css"));
}

#[test]
fn the_script_stays_under_8_kb() {
    let script = ASSETS.iter().find(|a| a.name == "app.js").unwrap();
    assert!(
        script.bytes.len() < 8 * 1024,
        "{} bytes",
        script.bytes.len()
    );
}

/// Every template, those in folders (`customers/`) included.
fn templates(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            templates(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Templates name assets through `asset("...")`: every one exists.
#[test]
fn templates_name_only_known_assets() {
    let mut paths = Vec::new();
    templates(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/web/templates")),
        &mut paths,
    );
    for path in paths {
        let text = std::fs::read_to_string(path).unwrap();
        for (at, _) in text.match_indices("asset(\"") {
            let rest = &text[at + 7..];
            let name = &rest[..rest.find('"').unwrap()];
            assert!(
                ASSETS.iter().any(|a| a.name == name),
                "unknown asset {name}"
            );
        }
    }
}

/// `--name: #rrggbb;` declarations of one `:root { ... }` block.
fn tokens(block: &str) -> Vec<(String, [f64; 3])> {
    block
        .split(';')
        .filter_map(|declaration| {
            let (name, value) = declaration.trim().split_once(':')?;
            let hex = value.trim().strip_prefix('#')?;
            let hex = if hex.len() == 3 {
                hex.chars().flat_map(|c| [c, c]).collect::<String>()
            } else {
                hex.to_owned()
            };
            let channel =
                |at: usize| f64::from(u8::from_str_radix(&hex[at..at + 2], 16).unwrap()) / 255.0;
            Some((name.trim().to_owned(), [channel(0), channel(2), channel(4)]))
        })
        .collect()
}

fn luminance([r, g, b]: [f64; 3]) -> f64 {
    let linear = |c: f64| {
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// Every text token on every background it may sit on reaches 4.5:1, light and dark: `--fg*`
/// on the plain backgrounds, `--on-X` on `--bg-X`.
#[test]
fn every_token_pair_has_a_contrast_of_at_least_4_5_in_both_schemes() {
    let css =
        std::str::from_utf8(ASSETS.iter().find(|a| a.name == "app.css").unwrap().bytes).unwrap();
    let root = |from: &str| {
        let start = from.find(":root {").unwrap() + 7;
        from[start..start + from[start..].find('}').unwrap()].to_owned()
    };
    let light = tokens(&root(css));
    let dark_at = css.find("prefers-color-scheme: dark").unwrap();
    let dark = tokens(&root(&css[dark_at..]));
    let mut checked = 0;
    for (scheme, set) in [("light", &light), ("dark", &dark)] {
        let get = |name: &str| set.iter().find(|(n, _)| n == name).map(|(_, c)| *c);
        let paired: Vec<&str> = set
            .iter()
            .filter_map(|(name, _)| name.strip_prefix("--on-"))
            .collect();
        for (text, colour) in set.iter().filter(|(n, _)| n.starts_with("--fg")) {
            for (ground, under) in set.iter().filter(|(n, _)| {
                n.starts_with("--bg") && !paired.iter().any(|p| *n == format!("--bg-{p}"))
            }) {
                let ratio = contrast(*colour, *under);
                assert!(ratio >= 4.5, "{scheme}: {text} on {ground} is {ratio:.2}:1");
                checked += 1;
            }
        }
        for name in &paired {
            let ratio = contrast(
                get(&format!("--on-{name}")).unwrap(),
                get(&format!("--bg-{name}")).expect("--on-X has its --bg-X"),
            );
            assert!(
                ratio >= 4.5,
                "{scheme}: --on-{name} on --bg-{name} is {ratio:.2}:1"
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} pairs found");
    assert!((contrast([0.0; 3], [1.0; 3]) - 21.0).abs() < 1e-9);
}
