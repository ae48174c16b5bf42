use super::headers::content_security_policy;

#[test]
fn the_policy_is_exactly_the_documented_one() {
    assert_eq!(
        content_security_policy(None, false),
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    let kratos =
        url::Url::parse("https://auth.example.com/kratos/").unwrap_or_else(|_| unreachable!());
    assert!(
        content_security_policy(Some(&kratos), false)
            .contains("form-action 'self' https://auth.example.com;")
    );
    assert!(
        content_security_policy(Some(&kratos), true)
            .contains("form-action 'self' https://auth.example.com https://checkout.stripe.com;")
    );
}

/// No inline script or style anywhere: the policy would block it.
#[test]
fn templates_have_no_inline_script_or_style() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/web/templates");
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let name = entry.path().display().to_string();
        assert!(!text.contains("style="), "{name} has a style attribute");
        assert!(!text.contains("<style"), "{name} has a style element");
        assert!(
            !text.contains(" on"),
            "{name} may have an event handler attribute"
        );
        for (at, _) in text.match_indices("<script") {
            let tag = &text[at..at + text[at..].find('>').unwrap_or(0)];
            assert!(tag.contains("src="), "{name} has an inline script");
        }
    }
}
