//! Extractors that wait for authorization. actix extracts a handler's arguments together, so a
//! malformed body would otherwise answer 400 (naming the expected fields) before the caller
//! was refused, and refusals of malformed requests would escape the failed-login limit.
//! `Checked<T>` always extracts; handlers open it after their `Caller` has been accepted.

use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use tollgate_adapters::json_text;

use tollgate_domain::{
    ErrorCode,
    error::{cut, cut_quoted},
};

use crate::{error::ApiError, state::AppState};

/// JSON bodies of the API are small; webhooks read their bodies themselves.
pub const JSON_LIMIT_BYTES: usize = 1024 * 1024;

pub struct Checked<T>(Result<T, Error>);

impl<T> Checked<T> {
    /// The extracted value, or the extractor's own error response.
    ///
    /// # Errors
    /// What the inner extractor answered (a JSON `invalid_json` / `invalid_query` error).
    pub fn open(self) -> Result<T, ApiError> {
        self.0.map_err(ApiError::Extractor)
    }
}

impl<T> FromRequest for Checked<T>
where
    T: FromRequest + 'static,
    T::Future: 'static,
{
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let inner = T::from_request(request, payload);
        Box::pin(async move { Ok(Self(inner.await.map_err(Into::into))) })
    }
}

/// An API request's JSON body. Unlike `web::Json`, text PostgreSQL cannot store (NUL, or an
/// unpaired UTF-16 surrogate, which serde_json would refuse as a syntax error) is refused by
/// the field's name with 422 `invalid_text` before any handler sees it, instead of failing in
/// the store with a 500. A body of another content type is 415 `unsupported_media_type`.
pub struct ApiJson<T>(pub T);

impl<T> ApiJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for ApiJson<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// `application/json`, or any `+json` type, as `web::Json` accepts.
fn is_json(request: &HttpRequest) -> bool {
    match request.mime_type() {
        Ok(Some(mime)) => {
            mime.subtype().as_str() == "json" || mime.suffix().is_some_and(|s| s.as_str() == "json")
        }
        _ => false,
    }
}

/// Decodes `body` as `T`, refusing unstorable text by the path of the field holding it.
///
/// # Errors
/// `invalid_text` (422) naming the field; `invalid_json` (400) for anything serde refuses.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let rewritten = json_text::unpaired_surrogates_as_nul(body);
    let body = rewritten.as_deref().unwrap_or(body);
    let malformed = |error: serde_json::Error| ApiError::Malformed {
        code: ErrorCode::InvalidJson,
        // serde quotes the value it refused (a string, a field name) whole.
        message: cut_quoted(&format!("Json deserialize error: {error}")).into_owned(),
    };
    // Only a body that may hold a NUL is decoded a first time, to name the field holding it.
    let unstorable = if json_text::may_hold_nul(body) {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(malformed)?;
        json_text::first_unstorable(&value)
    } else {
        None
    };
    if let Some(field) = unstorable {
        return Err(ApiError::Invalid {
            code: ErrorCode::InvalidText,
            message: format!(
                "{} holds a NUL character or an unpaired UTF-16 surrogate, which cannot be stored",
                cut(&field)
            ),
        });
    }
    // From the text, never from the `Value`: a number in a `Value` has gone through an `f64`
    // (`99999999999999999.99` would come back as `100000000000000000`), while the DTOs read
    // money from the number's own text.
    serde_json::from_slice(body).map_err(malformed)
}

impl<T> FromRequest for ApiJson<T>
where
    T: DeserializeOwned + 'static,
{
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(request);
        let request = request.clone();
        let payload = web::Payload::from_request(&request, payload);
        Box::pin(async move {
            let payload = payload
                .await
                .map_err(|error| ApiError::UnreadableBody(error.to_string()))?;
            if !json {
                return Err(ApiError::Malformed {
                    code: ErrorCode::UnsupportedMediaType,
                    message: "the body must be application/json".into(),
                });
            }
            let bodies = request
                .app_data::<web::Data<AppState>>()
                .map(|state| state.bodies.clone())
                .ok_or_else(|| ApiError::Internal("no application state".into()))?;
            let (body, _held) = bodies.read(&request, payload, JSON_LIMIT_BYTES).await?;
            decode_json(&body).map(ApiJson)
        })
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Customer {
        external_id: String,
        address: Option<Vec<String>>,
    }

    fn refusal(body: &str) -> (String, String) {
        match decode_json::<Customer>(body.as_bytes()) {
            Err(ApiError::Invalid { code, message } | ApiError::Malformed { code, message }) => {
                (code.as_str().to_owned(), message)
            }
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn unstorable_text_is_refused_by_the_fields_name() {
        for (body, field) in [
            (r#"{"external_id":"x\u0000y"}"#, "external_id"),
            (r#"{"external_id":"\ud800"}"#, "external_id"),
            (
                r#"{"external_id":"ok","address":["a","\udfff b"]}"#,
                "address[1]",
            ),
        ] {
            let (code, message) = refusal(body);
            assert_eq!(code, "invalid_text", "{body}");
            assert!(message.starts_with(field), "{body}: {message}");
            assert!(!message.contains("x\u{0}y"), "no input echoed: {message}");
        }
        let (code, _) = refusal(r#"{"external_id":1}"#);
        assert_eq!(code, "invalid_json");
        let decoded: Customer =
            decode_json(r#"{"external_id":"\ud83d\ude00 \u0001"}"#.as_bytes()).unwrap();
        assert_eq!(decoded.external_id, "\u{1F600} \u{1}");
    }

    #[actix_web::test]
    async fn a_body_of_another_content_type_is_a_415() {
        use actix_web::{ResponseError, http::StatusCode, test::TestRequest};
        let (request, mut payload) = TestRequest::post()
            .insert_header(("content-type", "text/plain"))
            .set_payload(r#"{"external_id":"x"}"#)
            .to_http_parts();
        let Err(error) = ApiJson::<Customer>::from_request(&request, &mut payload).await else {
            panic!("a text/plain body was read as JSON");
        };
        assert_eq!(error.code(), ErrorCode::UnsupportedMediaType);
        assert_eq!(error.status_code(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    /// Every JSON body goes through [`ApiJson`]: a route with actix's `web::Json` would store
    /// a NUL and answer 500.
    #[test]
    fn no_route_reads_a_body_with_web_json() {
        let routes = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
        let mut stack = vec![routes];
        let mut offenders = Vec::new();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if std::fs::read_to_string(&path)
                    .unwrap()
                    .contains("web::Json<")
                {
                    offenders.push(path.display().to_string());
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "use extract::ApiJson in {offenders:?}"
        );
    }
}
