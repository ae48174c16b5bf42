//! The paste-ready LiteLLM configuration that sends every call to this Tollgate: shown by the
//! dashboard of an organization with no usage yet, and beside a LiteLLM secret just made.

/// What stands for the secret when it is not shown.
pub const SECRET_PLACEHOLDER: &str = "<secret>";

/// LiteLLM's `config.yaml` lines for Tollgate at `origin`, authenticated by `secret`.
pub fn snippet(origin: &str, secret: &str) -> String {
    format!(
        "litellm_settings:\n  callbacks: [\"tollgate\"]\ncallback_settings:\n  tollgate:\n    \
         callback_type: generic_api\n    endpoint: {origin}/v1/webhooks/litellm\n    headers:\n      \
         Authorization: \"Bearer {secret}\"\n    event_types: [\"llm_api_success\", \"llm_api_failure\"]\n    \
         log_format: json_array"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_names_the_webhook_and_the_secret() {
        let text = snippet("https://tollgate.example.com", "whsec_abc");
        assert!(text.contains("endpoint: https://tollgate.example.com/v1/webhooks/litellm"));
        assert!(text.contains("Authorization: \"Bearer whsec_abc\""));
    }
}
