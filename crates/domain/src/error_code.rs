//! Every machine-readable code Tollgate answers, in one place.
//!
//! Clients branch on these strings, so they are part of the API: `docs/api.md` lists each one
//! with its HTTP status and meaning, and a test in the http crate fails when this list and the
//! document differ. The status of each code is given by `crates/http/src/error.rs`, the one
//! mapping from errors to HTTP; the domain only names and explains them.

/// Declares a code enum with its wire string and a one-line meaning per variant, plus `ALL`,
/// so that a code cannot be added without its text and cannot be missed by the docs test.
macro_rules! codes {
    ($(#[$attr:meta])* $name:ident { $($variant:ident = $code:literal : $meaning:literal,)+ }) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The stable string clients see.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// What the code means, in one line (the docs' wording).
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(Self::$variant => $meaning,)+
                }
            }
        }

        /// Tests and callers may compare a code with the string a client sees.
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

codes! {
    /// The `error.code` of an error answer (`{"error": {"code", "message"}}`).
    ErrorCode {
        Unauthorized = "unauthorized": "missing or wrong credentials",
        InvalidSignature = "invalid_signature": "a signed webhook's signature is missing or does not verify",
        Forbidden = "forbidden": "the caller may not do this",
        CsrfFailed = "csrf_failed": "a dashboard form came from another origin or without its session's token; nothing was done",
        NotFound = "not_found": "no such route or resource",
        MethodNotAllowed = "method_not_allowed": "the path exists but not with this HTTP method",
        BodyTimeout = "body_timeout": "the body did not arrive in time",
        PayloadTooLarge = "payload_too_large": "the body is over the size limit",
        UnsupportedMediaType = "unsupported_media_type": "the body is not `application/json`",
        TooManyRequests = "too_many_requests": "too many failed authentications; wait a minute",
        InvalidJson = "invalid_json": "the body is not JSON (or NDJSON) at all",
        EmptyBody = "empty_body": "the body is empty",
        EmptyBatch = "empty_batch": "the batch holds no events",
        UnreadableBody = "unreadable_body": "the body could not be read",
        InvalidQuery = "invalid_query": "the query string cannot be read or names impossible values",
        InvalidPath = "invalid_path": "a path segment cannot be read (not a UUID...)",
        InvalidHeader = "invalid_header": "a header is not visible ASCII",
        MissingEvent = "missing_event": "a LiteLLM alert names no event",
        UnknownEvent = "unknown_event": "a LiteLLM alert names an event Tollgate does not know",
        InvalidWebhook = "invalid_webhook": "the body is not a webhook Tollgate reads (Lago's, Stripe's event)",
        InvalidRequest = "invalid_request": "a field breaks a declared rule (length, range, format)",
        InvalidLimit = "invalid_limit": "a list's `limit` is not a whole number from 1 to 500",
        InvalidCursor = "invalid_cursor": "a list's `cursor` is not one this list handed out",
        MissingField = "missing_field": "a field the request must give is absent",
        InvalidIdempotencyKey = "invalid_idempotency_key": "`Idempotency-Key` is not 1 to 255 printable ASCII characters",
        IdempotencyKeyReused = "idempotency_key_reused": "this `Idempotency-Key` was used with another request (method, path or body) in the last 24 h",
        InvalidText = "invalid_text": "a text holds a NUL or an unpaired UTF-16 surrogate",
        InvalidValue = "invalid_value": "a value is not acceptable",
        EmptyValue = "empty_value": "a value must not be empty",
        ValueTooLong = "value_too_long": "a value is longer than allowed",
        ValueTooLarge = "value_too_large": "a value is too large to compute with",
        NegativeValue = "negative_value": "a value must not be negative",
        NotANumber = "not_a_number": "a value is not a decimal number",
        OutOfRange = "out_of_range": "a number is outside its allowed range",
        TooPrecise = "too_precise": "an amount has more digits than can be stored exactly",
        UnsafeUrl = "unsafe_url": "a webhook URL is not https or resolves to a non-public address",
        MovedField = "moved_field": "the field is no longer part of this document; the message names the API that replaced it",
        UnknownEventType = "unknown_event_type": "not a webhook event type Tollgate knows (see the list in docs/api.md)",
        InvalidReturnUrl = "invalid_return_url": "a portal link's return URL is not an absolute https URL without credentials",
        UnknownRole = "unknown_role": "not one of owner, admin, billing, viewer, customer",
        UnknownScope = "unknown_scope": "not a known API key scope",
        InvalidSlug = "invalid_slug": "an organization slug has characters other than a-z, 0-9, -",
        UnknownCurrency = "unknown_currency": "not an ISO 4217 currency code",
        CurrencyMismatch = "currency_mismatch": "the currencies of customer and plan differ",
        InvalidTiers = "invalid_tiers": "pricing tiers are empty, unsorted, or leave gaps or overlaps",
        InvalidDunningPolicy = "invalid_dunning_policy": "retry offsets are not 1 to 10 increasing offsets from 0 up to 60 days, or after-last is not none, suspend or terminate",
        UnknownTimeZone = "unknown_time_zone": "not an IANA time zone name",
        ChargesRequired = "charges_required": "a plan needs at least one charge",
        EffectiveTimeUnsupported = "effective_time_unsupported": "changes take effect now or at the period's end only",
        CustomerRequired = "customer_required": "the customer role needs a customer",
        UnknownIdentity = "unknown_identity": "no person in the identity directory (Ory Kratos) has this e-mail, or none is configured to look it up",
        ArchiveUnsupported = "archive_unsupported": "the billing engine cannot archive plans",
        EngineReadUnsupported = "engine_read_unsupported": "the billing engine (Lago) offers no such read (a span's totals, usage rated by Tollgate's rules)",
        UnknownPlan = "unknown_plan": "no plan with this code",
        UnknownCustomer = "unknown_customer": "no customer with this id",
        PlanArchived = "plan_archived": "the plan is archived",
        SamePlan = "same_plan": "the subscription is already on this plan",
        NotAnUpgrade = "not_an_upgrade": "the new plan's base fee costs less a year",
        BillingEngineRefused = "billing_engine_refused": "the billing engine (Lago) refused the request",
        AmountNotRepresentable = "amount_not_representable": "the payment provider (Stripe) cannot carry this amount exactly in its currency (too many decimals, negative, too large); it is never rounded",
        PaymentProviderRefused = "payment_provider_refused": "the payment provider (Stripe) refused the request or declined the payment",
        PaymentsNotConfigured = "payments_not_configured": "card payments need Stripe: set TOLLGATE__STRIPE__SECRET_KEY",
        UnknownPurpose = "unknown_purpose": "not a consent purpose: langfuse_export, prompt_capture or analytics_cookies",
        StaleNoticeVersion = "stale_notice_version": "the consent names a privacy notice version other than the one in force",
        Conflict = "conflict": "the change clashes with a stored record",
        CustomerExists = "customer_exists": "a customer with this external id exists",
        PlanExists = "plan_exists": "a plan with this code exists",
        PlanChanged = "plan_changed": "the plan changed meanwhile; read it again",
        MembershipExists = "membership_exists": "the subject is a member with another role",
        LastOwner = "last_owner": "the organization's last owner cannot be removed or demoted",
        SubscriptionExists = "subscription_exists": "the customer has a live subscription",
        ExternalIdTaken = "external_id_taken": "a subscription with this external id exists",
        OverlapsPreviousSubscription = "overlaps_previous_subscription": "the start falls within the customer's previous subscription",
        SubscriptionTerminated = "subscription_terminated": "the subscription is terminated",
        SubscriptionNotStarted = "subscription_not_started": "the subscription has not started yet",
        SubscriptionChanged = "subscription_changed": "the subscription changed meanwhile; read it again",
        InvoiceNotPaid = "invoice_not_paid": "the invoice is not paid",
        InvoiceAlreadyPaid = "invoice_already_paid": "the invoice is already paid",
        InvalidInvoiceState = "invalid_invoice_state": "the invoice's state refuses this move",
        InvoiceNotPayable = "invoice_not_payable": "only a finalized invoice with an amount due can be paid (not a draft, a voided or a paid one)",
        NoPaymentMethod = "no_payment_method": "the customer has no card on file: send them a page to save one",
        PaymentInProgress = "payment_in_progress": "a payment of this invoice is under way or waits for the customer",
        IdempotencyKeyInUse = "idempotency_key_in_use": "a request with this `Idempotency-Key` is still running; retry later",
        ExportPending = "export_pending": "an export of this person's data is still being built; one at a time",
        DownloadExpired = "download_expired": "the export's download window (7 days) is over, or it could not be built; request a new one",
        InternalError = "internal_error": "a bug; the body carries the request id only",
        UpstreamInvalidAnswer = "upstream_invalid_answer": "an outside system answered something unreadable",
        Unavailable = "unavailable": "the database or an outside system cannot answer now; retry after `Retry-After`",
        ShuttingDown = "shutting_down": "`/readyz` of a replica that received SIGTERM and is draining: route to another",
        UpstreamTimeout = "upstream_timeout": "an outside system did not answer in time",
    }
}

codes! {
    /// Why one event of a usage webhook was quarantined instead of stored (the 202's
    /// `errors[].code`, and `quarantined_events.reason_code`). The batch itself still succeeds.
    QuarantineCode {
        InvalidJson = "invalid_json": "an NDJSON line is not JSON",
        NotAnObject = "not_an_object": "an element of the batch is not a JSON object",
        InvalidEvent = "invalid_event": "an event object cannot be read (a field given twice)",
        MissingCallId = "missing_call_id": "no `litellm_call_id`",
        InvalidCallId = "invalid_call_id": "the call id is not a usable key",
        MissingStatus = "missing_status": "no `status`",
        InvalidStatus = "invalid_status": "`status` is neither success nor failure",
        NegativeTokens = "negative_tokens": "a token count is negative",
        InvalidTokens = "invalid_tokens": "a token count is not a whole number",
        InvalidCost = "invalid_cost": "`response_cost` is not a number",
        NegativeCost = "negative_cost": "`response_cost` is negative",
        InvalidCustomer = "invalid_customer": "the customer id is not usable",
        InvalidText = "invalid_text": "a text holds a NUL or an unpaired UTF-16 surrogate",
        InvalidTime = "invalid_time": "a time is not a date and time",
        ImplausibleTime = "implausible_time": "a time is too far in the past or the future",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_explained() {
        let api: BTreeSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(api.len(), ErrorCode::ALL.len());
        let quarantine: BTreeSet<_> = QuarantineCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(quarantine.len(), QuarantineCode::ALL.len());
        for code in api.iter().chain(&quarantine) {
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code}"
            );
        }
        assert!(ErrorCode::ALL.iter().all(|c| !c.meaning().is_empty()));
        assert!(QuarantineCode::ALL.iter().all(|c| !c.meaning().is_empty()));
    }
}
