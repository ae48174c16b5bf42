#![allow(clippy::unwrap_used, reason = "tests")]

use super::*;

#[test]
fn links_keep_the_filters_given_and_drop_the_empty_ones() {
    assert_eq!(query_string(&[("status", ""), ("tz", "")]), "");
    assert_eq!(
        query_string(&[("status", "paid"), ("customer", "acme & co"), ("after", "")]),
        "?status=paid&customer=acme+%26+co"
    );
}

#[test]
fn the_section_menu_marks_the_page_shown() {
    let shown = sections("/billing/plans");
    let current: Vec<&str> = shown.iter().filter(|s| s.current).map(|s| s.href).collect();
    assert_eq!(current, ["/billing/plans"]);
    assert_eq!(shown.len(), 4);
}

mod plan_form {
    use serde_json::json;

    use super::super::plan_form::tests_support::{fields, request_json};

    #[test]
    fn a_posted_form_becomes_the_apis_request_with_blank_rows_left_out() {
        let posted = fields(&[
            ("csrf", "token"),
            ("intent", "save"),
            ("code", "pro"),
            ("name", " Pro "),
            ("description", ""),
            ("interval", "monthly"),
            ("currency", "EUR"),
            ("base_fee", "49.00"),
            ("base_fee_timing", "in_arrears"),
            ("trial_days", "14"),
            ("minimum_commitment", ""),
            ("charges", "3"),
            ("c0_meter", "input_tokens"),
            ("c0_model", "graduated"),
            ("c0_free_units", "1000"),
            ("c0_tiers", "3"),
            ("c0_t0_up_to", "1000000"),
            ("c0_t0_unit_price", "0.000002"),
            ("c0_t1_up_to", ""),
            ("c0_t1_unit_price", "0.0000015"),
            ("c0_t2_up_to", ""),
            ("c0_t2_unit_price", ""),
            // A row without a meter is a blank row.
            ("c1_meter", ""),
            ("c1_model", "per_unit"),
            ("c1_unit_price", "9"),
            ("c2_meter", "cost_usd"),
            ("c2_model", "percentage_markup"),
            ("c2_percent", "20"),
            ("c2_include_failures", "on"),
        ]);
        let (json, intent, csrf) = request_json(&posted);
        assert_eq!((intent.as_str(), csrf.as_str()), ("save", "token"));
        assert_eq!(
            json,
            json!({
                "code": "pro", "name": "Pro", "description": null, "interval": "monthly",
                "currency": "EUR", "base_fee": {"amount": "49.00", "timing": "in_arrears"},
                "trial_days": 14, "minimum_commitment": null,
                "charges": [
                    {"meter": "input_tokens", "free_units": "1000", "minimum": null,
                     "include_failures": false,
                     "model": {"type": "graduated", "tiers": [
                         {"up_to": "1000000", "unit_price": "0.000002"},
                         {"up_to": null, "unit_price": "0.0000015"}]}},
                    {"meter": "cost_usd", "free_units": null, "minimum": null,
                     "include_failures": true,
                     "model": {"type": "percentage_markup", "percent": "20"}}
                ]
            })
        );
    }

    #[test]
    fn the_row_buttons_add_and_remove_rows_and_store_nothing() {
        use super::super::plan_form::tests_support::edited;
        let posted = fields(&[
            ("charges", "2"),
            ("c0_meter", "requests"),
            ("c0_tiers", "2"),
            ("c1_meter", "cost_usd"),
        ]);
        assert_eq!(edited(&posted, "add_charge"), Some(vec![2, 0, 2]));
        assert_eq!(edited(&posted, "add_tier_0"), Some(vec![3, 0]));
        assert_eq!(edited(&posted, "remove_charge_0"), Some(vec![0]));
        assert_eq!(edited(&posted, "remove_charge_9"), Some(vec![2, 0]));
        assert_eq!(edited(&posted, "save"), None);
    }

    #[test]
    fn trial_days_that_are_not_a_number_are_refused_with_a_code() {
        use super::super::plan_form::tests_support::refusal;
        let posted = fields(&[
            ("name", "Pro"),
            ("trial_days", "two weeks"),
            ("charges", "0"),
        ]);
        assert_eq!(refusal(&posted), "invalid_value");
    }
}
