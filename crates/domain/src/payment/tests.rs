use super::*;
use crate::ErrorCode;

use AttemptStatus as A;
use InvoicePaymentStatus as I;

#[test]
fn an_attempt_moves_forward_and_may_skip_steps() {
    assert_eq!(
        A::Pending.advance(A::Processing),
        Transition::Changed(A::Processing)
    );
    assert_eq!(
        A::Processing.advance(A::RequiresAction),
        Transition::Changed(A::RequiresAction)
    );
    // An off-session charge answers at once; a lost `processing` event must not block it.
    for outcome in [A::Succeeded, A::Failed, A::Canceled, A::RequiresAction] {
        assert_eq!(A::Pending.advance(outcome), Transition::Changed(outcome));
    }
}

#[test]
fn an_attempt_waiting_for_the_customer_can_still_end_every_way() {
    for outcome in [A::Succeeded, A::Failed, A::Canceled] {
        assert_eq!(
            A::RequiresAction.advance(outcome),
            Transition::Changed(outcome)
        );
    }
    assert!(!A::RequiresAction.is_final());
}

#[test]
fn repeated_and_stale_attempt_events_change_nothing() {
    for status in AttemptStatus::ALL {
        assert_eq!(status.advance(status), Transition::Unchanged, "{status}");
        assert_eq!(
            status.advance(A::Pending),
            Transition::Unchanged,
            "{status}"
        );
    }
    assert_eq!(
        A::RequiresAction.advance(A::Processing),
        Transition::Unchanged
    );
    assert_eq!(
        A::Succeeded.advance(A::RequiresAction),
        Transition::Unchanged
    );
}

#[test]
fn an_attempt_outcome_is_final_and_the_first_one_stands() {
    let outcomes = [A::Succeeded, A::Failed, A::Canceled];
    for from in outcomes {
        assert!(from.is_final());
        for to in AttemptStatus::ALL {
            assert_eq!(from.advance(to), Transition::Unchanged, "{from} -> {to}");
        }
    }
    assert!(!A::Pending.is_final() && !A::Processing.is_final());
}

#[test]
fn statuses_read_back_from_their_snake_case_names() {
    for status in AttemptStatus::ALL {
        assert_eq!(status.as_str().parse::<AttemptStatus>(), Ok(status));
        assert_eq!(status.to_string(), status.as_str());
    }
    for status in InvoicePaymentStatus::ALL {
        assert_eq!(status.as_str().parse::<InvoicePaymentStatus>(), Ok(status));
    }
    assert_eq!(A::RequiresAction.as_str(), "requires_action");
    assert_eq!(I::PartiallyRefunded.as_str(), "partially_refunded");
    assert_eq!(I::DisputeLost.as_str(), "dispute_lost");
    let error = "Succeeded".parse::<AttemptStatus>().unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidValue);
    assert!(error.to_string().contains("pending, processing"), "{error}");
    assert!("paid".parse::<InvoicePaymentStatus>().is_err());
}

#[test]
fn an_invoice_goes_round_while_collected() {
    let mut status = I::None;
    for next in [
        I::Pending,
        I::Failed,
        I::Pending,
        I::RequiresAction,
        I::Pending,
        I::Succeeded,
    ] {
        status = status.advance(next).or(status);
        assert_eq!(status, next);
    }
    assert_eq!(
        I::Failed.advance(I::RequiresAction),
        Transition::Changed(I::RequiresAction)
    );
    assert_eq!(
        I::None.advance(I::Succeeded),
        Transition::Changed(I::Succeeded)
    );
    // Nothing goes back to "no attempt yet".
    for from in InvoicePaymentStatus::ALL {
        assert!(!from.allows(I::None), "{from}");
    }
}

#[test]
fn a_later_payment_by_link_still_settles_an_uncollectible_invoice() {
    for from in [I::None, I::Pending, I::RequiresAction, I::Failed] {
        assert_eq!(
            from.advance(I::Uncollectible),
            Transition::Changed(I::Uncollectible)
        );
    }
    let allowed: Vec<_> = InvoicePaymentStatus::ALL
        .into_iter()
        .filter(|to| I::Uncollectible.allows(*to))
        .collect();
    assert_eq!(allowed, [I::Succeeded]);
}

#[test]
fn refunds_and_disputes_come_only_after_a_payment() {
    for before in [
        I::None,
        I::Pending,
        I::RequiresAction,
        I::Failed,
        I::Uncollectible,
    ] {
        for after in [
            I::PartiallyRefunded,
            I::Refunded,
            I::Disputed,
            I::DisputeWon,
            I::DisputeLost,
        ] {
            assert_eq!(
                before.advance(after),
                Transition::Unchanged,
                "{before} -> {after}"
            );
        }
    }
    assert!(I::Succeeded.allows(I::PartiallyRefunded));
    assert!(I::Succeeded.allows(I::Refunded));
    assert!(I::PartiallyRefunded.allows(I::Refunded));
    // A second partial refund is no move; a refund cannot be undone by one.
    assert_eq!(
        I::PartiallyRefunded.advance(I::PartiallyRefunded),
        Transition::Unchanged
    );
    assert!(!I::Refunded.allows(I::PartiallyRefunded));
    for from in [I::Succeeded, I::PartiallyRefunded, I::Refunded] {
        assert_eq!(
            from.advance(I::Disputed),
            Transition::Changed(I::Disputed),
            "{from}"
        );
    }
}

#[test]
fn a_dispute_closes_won_or_lost_and_only_a_won_one_can_be_refunded() {
    let closed: Vec<_> = InvoicePaymentStatus::ALL
        .into_iter()
        .filter(|to| I::Disputed.allows(*to))
        .collect();
    assert_eq!(closed, [I::DisputeWon, I::DisputeLost]);
    assert!(I::DisputeWon.allows(I::Refunded) && I::DisputeWon.allows(I::PartiallyRefunded));
    assert!(!I::DisputeWon.allows(I::Disputed));
    for to in InvoicePaymentStatus::ALL {
        assert!(!I::DisputeLost.allows(to), "dispute_lost -> {to}");
    }
}

#[test]
fn received_money_is_never_forgotten() {
    let settled = [
        I::Succeeded,
        I::PartiallyRefunded,
        I::Refunded,
        I::Disputed,
        I::DisputeWon,
        I::DisputeLost,
    ];
    for from in settled {
        assert!(from.is_settled() && !from.is_collecting(), "{from}");
        for to in [
            I::None,
            I::Pending,
            I::RequiresAction,
            I::Failed,
            I::Uncollectible,
        ] {
            assert_eq!(from.advance(to), Transition::Unchanged, "{from} -> {to}");
        }
    }
    assert!(!I::Uncollectible.is_settled() && !I::Uncollectible.is_collecting());
}

#[test]
fn a_transition_tells_the_status_to_keep() {
    assert_eq!(Transition::Changed(A::Failed).or(A::Pending), A::Failed);
    assert_eq!(
        Transition::<AttemptStatus>::Unchanged.or(A::Pending),
        A::Pending
    );
    assert!(Transition::Changed(A::Failed).is_changed());
    assert!(!Transition::<AttemptStatus>::Unchanged.is_changed());
}

#[test]
fn decline_details_keep_what_the_provider_said_trimmed_and_bounded() {
    let decline = DeclineDetails::new(
        Some("card_declined"),
        Some(" insufficient_funds "),
        Some(""),
        Some("Your card has insufficient funds."),
    );
    assert_eq!(decline.code(), Some("card_declined"));
    assert_eq!(decline.decline_code(), Some("insufficient_funds"));
    assert_eq!(decline.advice_code(), None);
    assert_eq!(decline.message(), Some("Your card has insufficient funds."));
    assert!(!decline.stops_retrying() && !decline.needs_customer());

    let long = DeclineDetails::new(None, Some(&"x".repeat(1000)), None, Some(&"é".repeat(900)));
    assert_eq!(
        long.decline_code().map(str::len),
        Some(DeclineDetails::MAX_CODE_LEN)
    );
    let message = long.message().unwrap();
    assert_eq!(message.chars().count(), DeclineDetails::MAX_MESSAGE_LEN);
    assert_eq!(
        DeclineDetails::default(),
        DeclineDetails::new(None, None, None, None)
    );
}

#[test]
fn a_decline_says_when_to_stop_and_when_to_ask_the_customer() {
    let stolen = DeclineDetails::new(Some("card_declined"), Some("stolen_card"), None, None);
    assert!(stolen.stops_retrying());
    let advised = DeclineDetails::new(Some("card_declined"), None, Some("do_not_try_again"), None);
    assert!(advised.stops_retrying());
    let later = DeclineDetails::new(Some("card_declined"), None, Some("try_again_later"), None);
    assert!(!later.stops_retrying());
    let sca = DeclineDetails::new(Some("authentication_required"), None, None, None);
    assert!(sca.needs_customer() && !sca.stops_retrying());
    let sca_by_issuer = DeclineDetails::new(
        Some("card_declined"),
        Some("authentication_required"),
        None,
        None,
    );
    assert!(sca_by_issuer.needs_customer());
}
