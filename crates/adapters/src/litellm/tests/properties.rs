//! Arbitrary input never panics, and every element gets exactly one outcome.

use chrono::Utc;
use proptest::prelude::*;

use super::*;

fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::json!(f)),
        ".{0,12}".prop_map(serde_json::Value::String),
    ];
    let keys = prop_oneof![
        Just("litellm_call_id".to_owned()),
        Just("status".to_owned()),
        Just("prompt_tokens".to_owned()),
        Just("response_cost".to_owned()),
        Just("endTime".to_owned()),
        Just("startTime".to_owned()),
        Just("metadata".to_owned()),
        Just("usage_object".to_owned()),
        Just("end_user".to_owned()),
        Just("request_tags".to_owned()),
        "[a-z_]{1,8}",
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..8)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_json_never_panics(value in arbitrary_json()) {
        let body = serde_json::to_vec(&value).unwrap();
        let _ = decode_usage_body(&body, &options());
        let _ = decode_alert(&body, Utc::now());
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_usage_body(&body, &options());
        let _ = decode_alert(&body, Utc::now());
    }

    #[test]
    fn every_element_of_an_array_gets_exactly_one_outcome(
        values in prop::collection::vec(arbitrary_json(), 1..8)
    ) {
        let body = serde_json::to_vec(&values).unwrap();
        let decoded = decode_usage_body(&body, &options()).unwrap();
        prop_assert_eq!(decoded.len(), values.len());
    }
}
