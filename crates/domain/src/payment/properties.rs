//! Property tests: however the provider orders and repeats its events, the status recorded
//! is the one the events' progress implies.

use proptest::prelude::*;

use super::*;

fn non_final() -> impl Strategy<Value = AttemptStatus> {
    prop::sample::select(vec![
        AttemptStatus::Pending,
        AttemptStatus::Processing,
        AttemptStatus::RequiresAction,
    ])
}

/// The events of one attempt: any number of non-final ones, repeated, plus any number of
/// copies of at most one outcome (a charge ends one way; a second outcome is tested apart,
/// in `an_attempt_outcome_is_final_and_the_first_one_stands`).
fn attempt_events() -> impl Strategy<Value = Vec<AttemptStatus>> {
    let outcome = prop::option::of(prop::sample::select(vec![
        AttemptStatus::Succeeded,
        AttemptStatus::Failed,
        AttemptStatus::Canceled,
    ]));
    (
        prop::collection::vec(non_final(), 0..12),
        outcome,
        0_usize..4,
    )
        .prop_flat_map(|(mut events, outcome, copies)| {
            if let Some(outcome) = outcome {
                events.extend(std::iter::repeat_n(outcome, copies.max(1)));
            }
            Just(events).prop_shuffle()
        })
}

fn replay(events: &[AttemptStatus]) -> AttemptStatus {
    events.iter().fold(AttemptStatus::Pending, |status, event| {
        status.advance(*event).or(status)
    })
}

proptest! {
    #[test]
    fn any_order_of_attempt_events_ends_where_the_sorted_order_ends(events in attempt_events()) {
        let mut sorted = events.clone();
        sorted.sort_by_key(|status| status.progress());
        let in_order = replay(&sorted);
        prop_assert_eq!(replay(&events), in_order);
        // And that is the furthest event, or pending when there was none.
        let furthest = sorted.last().copied().unwrap_or(AttemptStatus::Pending);
        prop_assert_eq!(in_order, furthest);
    }

    #[test]
    fn an_attempt_never_moves_back(events in prop::collection::vec(
        prop::sample::select(AttemptStatus::ALL.to_vec()), 0..20,
    )) {
        let mut status = AttemptStatus::Pending;
        for event in events {
            let next = status.advance(event).or(status);
            prop_assert!(next.progress() >= status.progress());
            prop_assert!(!status.is_final() || next == status);
            status = next;
        }
    }

    #[test]
    fn no_sequence_of_events_unsettles_a_paid_invoice(events in prop::collection::vec(
        prop::sample::select(InvoicePaymentStatus::ALL.to_vec()), 0..30,
    )) {
        let mut status = InvoicePaymentStatus::None;
        let mut was_settled = false;
        for event in events {
            let next = status.advance(event).or(status);
            prop_assert!(next == status || status.allows(next));
            was_settled |= next.is_settled();
            prop_assert!(!was_settled || next.is_settled(), "{} after settling", next);
            status = next;
        }
    }
}
