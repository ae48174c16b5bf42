//! Extractors that wait for authorization. actix extracts a handler's arguments together, so a
//! malformed body would otherwise answer 400 (naming the expected fields) before the caller
//! was refused, and refusals of malformed requests would escape the failed-login limit.
//! `Checked<T>` always extracts; handlers open it after their `Caller` has been accepted.

use actix_web::{Error, FromRequest, HttpRequest, dev::Payload};
use futures_util::future::LocalBoxFuture;

use crate::error::ApiError;

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
