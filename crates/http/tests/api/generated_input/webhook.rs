//! Every field of a captured LiteLLM event, in each of the three body formats.

use futures_util::future::join_all;
use serde_json::Value;

use super::{PathStep, describe, hostile_values, leaf_paths, with_value_at};
use crate::helpers::{TestApp, USAGE_SINGLE, event_with_call_id, status_and_json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_hostile_field_fails_a_batch_in_any_format() {
    let app = TestApp::spawn().await;
    let sample: Value = serde_json::from_slice(USAGE_SINGLE).expect("the fixture is JSON");
    // The sample's own top-level fields and the ones LiteLLM nests under metadata.
    let paths: Vec<_> = leaf_paths(&sample)
        .into_iter()
        .filter(|path| path.len() <= 3)
        .collect();
    assert!(paths.len() > 40, "{} paths", paths.len());
    let values = hostile_values();
    // The fields Tollgate reads get every value; the others (prompts, the price map...) are
    // skipped by the decoder, so the cheap values suffice there (not the 1 MB string and the
    // deep nesting, which cost a second of the suite for nothing).
    let read = [
        "litellm_call_id",
        "trace_id",
        "call_type",
        "status",
        "cache_hit",
        "stream",
        "custom_llm_provider",
        "startTime",
        "endTime",
        "model",
        "model_group",
        "model_id",
        "end_user",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "response_cost",
        "request_tags",
        "metadata",
        "error_information",
    ];
    let mut cases = Vec::new();
    for (n, path) in paths.iter().enumerate() {
        let is_read =
            matches!(path.first(), Some(PathStep::Key(key)) if read.contains(&key.as_str()));
        let chosen: Vec<&String> = if is_read {
            values.iter().collect()
        } else {
            values.iter().filter(|v| v.len() < 1000).collect()
        };
        for (v, hostile) in chosen.into_iter().enumerate() {
            // Each case takes one of the three formats, in turn.
            let format = (n + v) % 3;
            let bad = with_value_at(&event_with_call_id(&format!("bad-{n}-{v}")), path, hostile);
            let good = event_with_call_id(&format!("good-{n}-{v}")).to_string();
            let body = match format {
                0 => format!("[{good},{bad}]"),
                1 => format!("{good}\n{bad}\n"),
                _ => bad,
            };
            cases.push((
                format!("{} = {:.60}", describe(path), hostile),
                format < 2,
                body,
            ));
        }
    }
    assert!(cases.len() > 500, "{} cases", cases.len());
    let good_sent = cases.iter().filter(|(_, mixed, _)| *mixed).count();
    for chunk in cases.chunks(8) {
        let answers = join_all(chunk.iter().map(|(_, _, body)| async {
            status_and_json(app.post_usage(body.clone(), "application/json").await).await
        }))
        .await;
        for ((case, mixed, _), (status, report)) in chunk.iter().zip(answers) {
            assert!(status < 500, "{case}: {status} {report}");
            if *mixed {
                assert_eq!(status, 202, "{case}: {report}");
            }
        }
    }
    // Every good event of every mixed batch was stored.
    let stored = app
        .count_where("usage_events", "idempotency_key LIKE 'good-%'")
        .await;
    assert_eq!(usize::try_from(stored).expect("a count"), good_sent);
}
