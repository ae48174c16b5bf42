//! Splitting a webhook body into events: JSON array, NDJSON or a single object.

use serde_json::{Deserializer, value::RawValue};
use sha2::{Digest, Sha256};
use tollgate_application::services::ingest::{DecodedEvent, RejectedEvent};
use tollgate_domain::{ErrorCode, QuarantineCode};

use super::{
    super::json_text,
    mapping::{DecodeOptions, decode_event},
    quarantine,
    wire::{Element, WireEvent},
};

/// The body as a whole is not JSON, NDJSON, or holds no event: nothing of it can be kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BodyError {
    /// Stable machine-readable reason: `empty_body`, `empty_batch` or `invalid_json`.
    pub code: ErrorCode,
    pub message: String,
    /// 1-based position of a syntax error, when there is one.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl BodyError {
    fn empty(code: ErrorCode, message: &str) -> Self {
        Self {
            code,
            message: message.to_owned(),
            line: None,
            column: None,
        }
    }

    fn syntax(error: &serde_json::Error) -> Self {
        Self {
            code: ErrorCode::InvalidJson,
            message: format!("the body is not JSON or NDJSON: {error}"),
            line: Some(error.line()),
            column: Some(error.column()),
        }
    }
}

type Parsed<'a> = Element<WireEvent<'a>>;

/// Decodes every event of a usage webhook body, each on its own.
///
/// # Errors
/// [`BodyError`] when the body is empty, an empty array, or not JSON / NDJSON at all. A body
/// where only some NDJSON lines are broken is decoded, the broken lines quarantined.
pub fn decode_usage_body(
    body: &[u8],
    options: &DecodeOptions,
) -> Result<Vec<DecodedEvent>, BodyError> {
    // An unpaired surrogate would make serde_json refuse the whole body: as NUL it refuses only
    // the event holding it (`invalid_text`).
    match json_text::unpaired_surrogates_as_nul(body) {
        Some(rewritten) => decode_json(&rewritten, options),
        None => decode_json(body, options),
    }
}

fn decode_json(body: &[u8], options: &DecodeOptions) -> Result<Vec<DecodedEvent>, BodyError> {
    match split(body) {
        Ok(events) => finish(events, options, body),
        // Python's json.dumps writes non-finite floats as bare NaN / Infinity, which is not
        // JSON. Rather than refuse a whole batch for one such number, quote them so the event
        // that holds one is quarantined for its field alone.
        Err(error) if mentions_non_finite(body) => match quote_non_finite(body) {
            Some(quoted) => match split(&quoted) {
                Ok(events) => finish(events, options, &quoted),
                Err(_) => Err(error),
            },
            None => Err(error),
        },
        Err(error) => Err(error),
    }
}

fn finish(
    events: Vec<Result<Parsed<'_>, usize>>,
    options: &DecodeOptions,
    body: &[u8],
) -> Result<Vec<DecodedEvent>, BodyError> {
    if events.is_empty() {
        return Err(BodyError::empty(
            ErrorCode::EmptyBatch,
            "the batch holds no events",
        ));
    }
    let mut decoded: Vec<DecodedEvent> = events
        .into_iter()
        .map(|event| match event {
            Ok(Element::Object(wire)) => decode_event(&wire, options),
            Ok(Element::Unreadable(reason)) => DecodedEvent::Rejected(RejectedEvent {
                code: QuarantineCode::InvalidEvent,
                message: format!("the event cannot be read: {reason}"),
                content: quarantine::type_only("object"),
                fingerprint: [0; 32],
            }),
            Ok(Element::Other(json_type)) => DecodedEvent::Rejected(RejectedEvent {
                code: QuarantineCode::NotAnObject,
                message: format!("an event must be a JSON object, got {json_type}"),
                content: quarantine::type_only(json_type),
                fingerprint: [0; 32],
            }),
            Err(unparseable_bytes) => DecodedEvent::Rejected(RejectedEvent {
                code: QuarantineCode::InvalidJson,
                message: "this NDJSON line is not valid JSON".to_owned(),
                content: quarantine::unparseable(unparseable_bytes),
                fingerprint: [0; 32],
            }),
        })
        .collect();
    fingerprint_rejections(&mut decoded, body);
    Ok(decoded)
}

/// Gives each rejected event the SHA-256 of its bytes as received. Only batches with a
/// rejection pay for the second pass over the body that finds those bytes.
fn fingerprint_rejections(decoded: &mut [DecodedEvent], body: &[u8]) {
    if !decoded
        .iter()
        .any(|e| matches!(e, DecodedEvent::Rejected(_)))
    {
        return;
    }
    let raw = raw_elements(body);
    for (index, event) in decoded.iter_mut().enumerate() {
        if let DecodedEvent::Rejected(rejected) = event {
            let bytes = raw
                .as_ref()
                .and_then(|raw| raw.get(index).copied())
                .unwrap_or(rejected.content.as_bytes());
            rejected.fingerprint = Sha256::digest(bytes).into();
        }
    }
}

/// The bytes of each element, in the order `split` yields them.
fn raw_elements(body: &[u8]) -> Option<Vec<&[u8]>> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
    if body[start] == b'[' {
        let elements: Vec<&RawValue> = serde_json::from_slice(body).ok()?;
        return Some(elements.iter().map(|r| r.get().as_bytes()).collect());
    }
    let stream: Result<Vec<&RawValue>, _> = Deserializer::from_slice(body)
        .into_iter::<&RawValue>()
        .collect();
    Some(match stream {
        Ok(elements) => elements.iter().map(|r| r.get().as_bytes()).collect(),
        Err(_) => body
            .split(|b| *b == b'\n')
            .filter(|line| line.iter().any(|b| !b.is_ascii_whitespace()))
            .collect(),
    })
}

/// Each element parsed, or the length of an NDJSON line that is not JSON.
fn split(body: &[u8]) -> Result<Vec<Result<Parsed<'_>, usize>>, BodyError> {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .ok_or_else(|| BodyError::empty(ErrorCode::EmptyBody, "the body is empty"))?;
    if body[start] == b'[' {
        let events: Vec<Parsed<'_>> =
            serde_json::from_slice(body).map_err(|e| BodyError::syntax(&e))?;
        return Ok(events.into_iter().map(Ok).collect());
    }
    // One object, or NDJSON: a stream of values separated by whitespace.
    let mut stream = Deserializer::from_slice(body).into_iter::<Parsed<'_>>();
    let mut events = Vec::new();
    for next in stream.by_ref() {
        match next {
            Ok(event) => events.push(Ok(event)),
            Err(error) if events.is_empty() => return Err(BodyError::syntax(&error)),
            Err(_) => return Ok(salvage_lines(body)),
        }
    }
    Ok(events)
}

/// NDJSON with a broken line: read line by line so the good lines are kept.
fn salvage_lines(body: &[u8]) -> Vec<Result<Parsed<'_>, usize>> {
    body.split(|b| *b == b'\n')
        .filter(|line| line.iter().any(|b| !b.is_ascii_whitespace()))
        .map(|line| serde_json::from_slice(line).map_err(|_| line.len()))
        .collect()
}

fn mentions_non_finite(body: &[u8]) -> bool {
    body.windows(3).any(|w| w == b"NaN") || body.windows(8).any(|w| w == b"Infinity")
}

/// Rewrites bare `NaN`, `Infinity` and `-Infinity` outside strings as quoted strings.
fn quote_non_finite(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    let mut changed = false;
    while i < body.len() {
        let b = body[i];
        if in_string {
            out.push(b);
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        let rest = &body[i..];
        let token = [&b"-Infinity"[..], b"Infinity", b"NaN"]
            .into_iter()
            .find(|token| rest.starts_with(token));
        match (b, token) {
            (b'"', _) => {
                in_string = true;
                out.push(b);
                i += 1;
            }
            (_, Some(token)) => {
                out.push(b'"');
                out.extend_from_slice(token);
                out.push(b'"');
                i += token.len();
                changed = true;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    changed.then_some(out)
}
