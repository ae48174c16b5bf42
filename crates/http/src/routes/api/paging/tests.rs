use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as URL_SAFE};
use chrono::{TimeZone, Utc};
use tollgate_application::ports::CreationKey;
use uuid::Uuid;

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Filter {
    customer: Option<String>,
}

fn code(error: ApiError) -> ErrorCode {
    error.code()
}

#[test]
fn limits_outside_1_to_500_are_refused_and_100_is_the_default() {
    let (page, _) = parse::<NoFilter>("").unwrap();
    assert_eq!((page.limit(), page.fetch()), (100, 101));
    assert_eq!(parse::<NoFilter>("limit=500").unwrap().0.limit(), 500);
    assert_eq!(parse::<NoFilter>("limit=1").unwrap().0.limit(), 1);
    for bad in [
        "0",
        "501",
        "-1",
        "abc",
        "",
        "1.5",
        "99999999999999999999",
        "1&limit=1",
    ] {
        let error = parse::<NoFilter>(&format!("limit={bad}")).err().expect(bad);
        assert_eq!(code(error), ErrorCode::InvalidLimit, "{bad}");
    }
}

#[test]
fn other_parameters_go_to_the_lists_filters_which_refuse_unknown_ones() {
    let (page, filter) = parse::<Filter>("customer=c%201&limit=2&cursor=abc").unwrap();
    assert_eq!(filter.customer.as_deref(), Some("c 1"));
    assert_eq!(page.cursor.as_deref(), Some("abc"));
    let error = parse::<NoFilter>("after=3")
        .err()
        .expect("an unknown parameter");
    assert_eq!(code(error), ErrorCode::InvalidQuery);
    let error = parse::<Filter>("cursor=a&cursor=b").expect_err("two cursors");
    assert_eq!(code(error), ErrorCode::InvalidCursor);
}

#[test]
fn a_cursor_resumes_only_the_list_that_handed_it_out_and_only_as_written() {
    let id = Uuid::now_v7();
    let cursor = next_cursor("customers", &id);
    assert!(!cursor.contains(&id.to_string()), "not the bare id");
    let page = |cursor: &str| parse::<NoFilter>(&format!("cursor={cursor}")).unwrap().0;
    assert_eq!(page(&cursor).after::<Uuid>("customers").unwrap(), Some(id));
    let upper = URL_SAFE.encode(format!("1|customers|{}", id.to_string().to_uppercase()));
    let other_version = URL_SAFE.encode(format!("2|customers|{id}"));
    for bad in [
        next_cursor("plans", &id),
        "zzz".to_owned(),
        URL_SAFE.encode("1|customers|not-an-id"),
        upper,
        other_version,
        format!("{cursor}="),
        "A".repeat(600),
        String::new(),
    ] {
        let error = page(&bad).after::<Uuid>("customers").expect_err(&bad);
        assert_eq!(code(error), ErrorCode::InvalidCursor, "{bad}");
    }
}

#[test]
fn creation_keys_round_trip_to_the_microsecond() {
    let key = CreationKey {
        created_at: Utc
            .timestamp_opt(1_790_000_000, 123_456_000)
            .single()
            .unwrap(),
        id: Uuid::new_v4(),
    };
    let cursor = next_cursor("api_keys", &key);
    let page = parse::<NoFilter>(&format!("cursor={cursor}")).unwrap().0;
    assert_eq!(page.after::<CreationKey>("api_keys").unwrap(), Some(key));
}

#[test]
fn a_page_read_one_row_long_says_more_follow_and_a_short_one_does_not() {
    let page = parse::<NoFilter>("limit=2").unwrap().0;
    let (rows, next) = page.split("audit", vec![1_i64, 2, 3], |n| *n);
    assert_eq!(rows, [1, 2]);
    let next = next.expect("a next page");
    let resumed = parse::<NoFilter>(&format!("cursor={next}")).unwrap().0;
    assert_eq!(resumed.after::<i64>("audit").unwrap(), Some(2));
    let (rows, next) = page.split("audit", vec![1_i64, 2], |n| *n);
    assert_eq!((rows, next), (vec![1, 2], None));
}
