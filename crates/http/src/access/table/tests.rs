use std::collections::BTreeSet;

use super::*;

/// `docs/api.md` lists every route of the table with its scope and roles, and no other.
#[test]
fn every_route_is_documented_with_its_scope_and_roles_and_nothing_else_is() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md"))
        .expect("docs/api.md");
    let section = page
        .split("\n## ")
        .find(|section| section.starts_with("Routes"))
        .expect("a `## Routes` section in docs/api.md");
    let documented: BTreeSet<String> = section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(str::to_owned)
        .collect();
    let expected: BTreeSet<String> = rules()
        .map(|(method, pattern, requirement)| {
            let roles: Vec<&str> = requirement.roles.iter().map(Role::as_str).collect();
            format!(
                "| `{method} {pattern}` | `{}` | {} |",
                requirement.scope.as_str(),
                roles.join(", ")
            )
        })
        .collect();
    let missing: Vec<&String> = expected.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "docs/api.md misses or differs: {missing:#?}"
    );
    let extra: Vec<&String> = documented.difference(&expected).collect();
    assert!(
        extra.is_empty(),
        "docs/api.md lists what the table does not: {extra:#?}"
    );
}

#[test]
fn writes_need_a_write_scope_and_unknown_routes_have_no_rule() {
    for (method, pattern, requirement) in rules() {
        if *method != "GET" && !SELF_SERVICE_API.contains(pattern) {
            assert!(
                matches!(
                    requirement.scope,
                    Scope::SettingsWrite | Scope::BillingWrite | Scope::EventsWrite
                ),
                "{method} {pattern}"
            );
        }
        assert!(!requirement.roles.is_empty(), "{method} {pattern}");
    }
    assert!(requirement_for(&Method::GET, "/api/nope").is_none());
    assert!(requirement_for(&Method::DELETE, "/api/audit").is_none());
}

/// `docs/architecture.md` lists every page of the dashboard with its scope and roles.
#[test]
fn every_page_is_documented_with_its_scope_and_roles_and_nothing_else_is() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/architecture.md"
    ))
    .expect("docs/architecture.md");
    let section = page
        .split("\n### ")
        .find(|section| section.starts_with("Pages"))
        .expect("a `### Pages` section in docs/architecture.md");
    let documented: BTreeSet<String> = section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(str::to_owned)
        .collect();
    let expected: BTreeSet<String> = PAGES
        .iter()
        .map(|(method, pattern, requirement)| {
            let roles: Vec<&str> = requirement.roles.iter().map(Role::as_str).collect();
            format!(
                "| `{method} {pattern}` | `{}` | {} |",
                requirement.scope.as_str(),
                roles.join(", ")
            )
        })
        .collect();
    assert_eq!(documented, expected, "docs/architecture.md's pages differ");
}

#[test]
fn pages_follow_the_api_rules_and_customers_reach_no_staff_page() {
    for (method, pattern, requirement) in PAGES {
        assert!(!pattern.starts_with("/api"), "{pattern}");
        let own_data = SELF_SERVICE.contains(pattern);
        if *method != "GET" && !own_data {
            assert!(
                matches!(
                    requirement.scope,
                    Scope::SettingsWrite | Scope::BillingWrite
                ),
                "{method} {pattern}"
            );
        }
        if !pattern.starts_with("/portal") && !own_data {
            assert!(
                !requirement.roles.contains(&Role::Customer),
                "{method} {pattern} is a staff page"
            );
        }
    }
    assert!(requirement_for(&Method::GET, "/").is_some());
    assert!(requirement_for(&Method::POST, "/").is_none());
}

#[test]
fn self_service_routes_are_open_to_every_role_and_need_only_a_read_scope() {
    let all = [
        Role::Owner,
        Role::Admin,
        Role::Billing,
        Role::Viewer,
        Role::Customer,
    ];
    let self_service = rules().chain(PAGES).filter(|(_, pattern, _)| {
        SELF_SERVICE.contains(pattern) || SELF_SERVICE_API.contains(pattern)
    });
    let mut seen = 0;
    for (method, pattern, requirement) in self_service {
        seen += 1;
        assert_eq!(requirement.scope, Scope::UsageRead, "{method} {pattern}");
        assert_eq!(requirement.roles, all.as_slice(), "{method} {pattern}");
    }
    assert_eq!(
        seen, 5,
        "the notice, the export page, its POST, its download, the API's export"
    );
}
