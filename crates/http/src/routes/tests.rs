//! What a request no route takes is answered: 404 for an unknown path, 405 with `Allow` for a
//! known path asked with another method, both as the API's JSON error.

use actix_web::{App, http::StatusCode, test};

use super::*;

async fn answer(method: &str, path: &str) -> (StatusCode, Option<String>, serde_json::Value) {
    let app = test::init_service(
        App::new()
            .configure(configure)
            .default_service(web::to(not_found)),
    )
    .await;
    let request = test::TestRequest::default()
        .method(method.parse().unwrap())
        .uri(path)
        .to_request();
    let response = test::call_service(&app, request).await;
    let status = response.status();
    let allow = response
        .headers()
        .get("Allow")
        .map(|value| value.to_str().unwrap().to_owned());
    let body = test::read_body(response).await;
    (status, allow, serde_json::from_slice(&body).unwrap())
}

#[actix_web::test]
async fn a_known_path_with_another_method_is_a_json_405_naming_the_methods() {
    let (status, allow, body) = answer("DELETE", "/api/billing/customers").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(allow.as_deref(), Some("GET, POST"));
    assert_eq!(body["error"]["code"], "method_not_allowed");

    let (status, allow, body) = answer("GET", "/v1/webhooks/litellm").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(allow.as_deref(), Some("POST"));
    assert_eq!(body["error"]["code"], "method_not_allowed");

    let plan = "/api/billing/plans/0f1e2d3c-0000-0000-0000-000000000000";
    let (status, allow, body) = answer("DELETE", plan).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_eq!(allow.as_deref(), Some("GET, PUT"));
}

#[actix_web::test]
async fn an_unknown_path_is_a_json_404() {
    let (status, allow, body) = answer("GET", "/api/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(allow, None);
    assert_eq!(body["error"]["code"], "not_found");
}

/// Every public route's method is named in `PUBLIC_ROUTES`: a route asked with its own method
/// never reaches the default service.
#[actix_web::test]
async fn the_public_routes_table_matches_what_is_registered() {
    for (method, pattern) in PUBLIC_ROUTES {
        let path = pattern.replace("{secret}", "s");
        let (status, _, body) = answer("PATCH", &path).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{pattern}: {body}");
        let app = test::init_service(App::new().configure(configure).default_service(web::to(
            || async { actix_web::HttpResponse::ImATeapot().finish() },
        )))
        .await;
        let request = test::TestRequest::default()
            .method(method.parse().unwrap())
            .uri(&path)
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_ne!(
            response.status(),
            StatusCode::IM_A_TEAPOT,
            "{method} {pattern}"
        );
    }
}

/// The API reference is served to anyone, as it is published in docs/openapi.json.
#[actix_web::test]
async fn the_openapi_document_is_served_without_credentials() {
    let app = test::init_service(App::new().configure(configure)).await;
    let request = test::TestRequest::get()
        .uri("/api/openapi.json")
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(body["openapi"], "3.1.0");
    assert!(body["paths"]["/api/billing/invoices/{id}/pdf"]["get"].is_object());
}
