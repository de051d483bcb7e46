//! An office day through the typed client, as kiosk, clerks, citizens, display and back office live it:
//! tickets, calls by the call policy, the ticket's side paths, ratings, public status, pauses, live
//! events, end of day.

use turno_shared::api::{ErrorCode, LiveEvent, PublicRatingRequest, RatingRequest, TransferRequest};
use turno_shared::domain::{BadReason, PauseReason, Priority, Rating, TicketState};

use crate::support::{Office, assert_refused, connected, next_event};

#[tokio::test(flavor = "multi_thread")]
async fn priority_tickets_go_first_without_starving_normal_ones() {
    let office = Office::start().await;
    let first = office.issue('A', Priority::Normal).await;
    assert_eq!(first.ticket.number.to_string(), "A001");
    assert_eq!(first.people_ahead, 0);
    let mut priority = Vec::new();
    for _ in 0..4 {
        priority.push(office.issue('A', Priority::Priority).await);
    }
    let numbers: Vec<String> = priority.iter().map(|t| t.ticket.number.to_string()).collect();
    assert_eq!(numbers, ["A002", "A003", "A004", "A005"]);
    // A priority ticket only waits behind earlier priority tickets.
    assert_eq!(priority[0].people_ahead, 0);
    assert_eq!(priority[2].people_ahead, 2);

    // Default policy: three urgent calls in a row, then a normal ticket if one waits.
    let maria = office.clerk("mrossi", "Sportello 1").await;
    for number in ["A002", "A003", "A004", "A001", "A005"] {
        let t = maria.calls(number).await;
        maria.finish(&t, "certificato").await;
    }
    assert_eq!(maria.call_next().await, None, "nothing is left to call");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visit_from_call_to_outcome() {
    let office = Office::start().await;
    let issued = office.issue('A', Priority::Normal).await;
    assert_eq!(issued.ticket.state, TicketState::Waiting);
    let maria = office.clerk("mrossi", "Sportello 1").await;
    let luca = office.clerk("lbianchi", "Sportello 2").await;

    let called = maria.calls("A001").await;
    assert_eq!(called.id, issued.ticket.id);
    assert_eq!(called.state, TicketState::Called);
    assert_eq!(called.counter_id, Some(maria.counter));
    assert!(called.called_at.is_some());
    assert_eq!(called.issued_at, issued.ticket.issued_at);

    // The ticket belongs to Maria's counter; Maria cannot call another one before she is done.
    assert_refused(luca.client.start(called.id).await, 403, ErrorCode::Forbidden);
    assert_refused(
        maria.client.call_next(maria.counter).await,
        409,
        ErrorCode::TicketInProgress,
    );
    // Nobody may start a ticket that was never called.
    let waiting = office.issue('A', Priority::Normal).await;
    assert_refused(
        luca.client.start(waiting.ticket.id).await,
        409,
        ErrorCode::IllegalTransition,
    );

    let recalled = maria.client.recall(called.id).await.expect("recall");
    assert_eq!(
        (recalled.state, recalled.counter_id),
        (TicketState::Called, Some(maria.counter))
    );
    let serving = maria.client.start(called.id).await.expect("start");
    assert_eq!(serving.state, TicketState::Serving);

    // "atto" is an outcome of the civil status office, not of the registry office.
    assert_refused(
        maria.client.finish(called.id, "atto", None).await,
        409,
        ErrorCode::UnknownOutcome,
    );
    let unchanged = maria.client.ticket(called.id).await.expect("read the ticket");
    assert_eq!((unchanged.state, unchanged.outcome), (TicketState::Serving, None));

    let done = maria
        .client
        .finish(called.id, "cie_richiesta", Some("rinnovo"))
        .await
        .expect("finish");
    assert_eq!(done.state, TicketState::Done);
    assert_eq!(done.outcome.as_ref().map(|c| c.as_str()), Some("cie_richiesta"));

    // A finished visit is final.
    assert_refused(maria.client.start(called.id).await, 409, ErrorCode::IllegalTransition);
    assert_refused(maria.client.recall(called.id).await, 409, ErrorCode::IllegalTransition);
    assert_refused(maria.client.cancel(called.id).await, 409, ErrorCode::IllegalTransition);
    assert_refused(
        maria.client.finish(called.id, "certificato", None).await,
        409,
        ErrorCode::IllegalTransition,
    );
    maria.calls("A002").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transferred_ticket_keeps_its_arrival_time() {
    let office = Office::start().await;
    let a1 = office.issue('A', Priority::Normal).await;
    let c1 = office.issue('C', Priority::Normal).await;
    let f1 = office.issue('F', Priority::Normal).await;
    let b1 = office.issue('B', Priority::Normal).await;
    let maria = office.clerk("mrossi", "Sportello 1").await; // registry, civil status
    let giulia = office.clerk("gverdi", "Sportello 3").await; // local taxes, records office
    let francesco = office.clerk("fesposito", "Sportello 4").await; // social services, URP

    // The citizen of A001 turns out to need the local taxes office.
    let a = maria.calls("A001").await;
    maria.client.start(a.id).await.expect("start");
    let moved = maria
        .client
        .transfer(
            a.id,
            &TransferRequest {
                service_id: Some(office.service('C')),
                counter_id: None,
            },
        )
        .await
        .expect("transfer to another service");
    assert_eq!(moved.state, TicketState::Waiting);
    assert_eq!(moved.service_id, office.service('C'));
    assert_eq!(
        moved.number, a1.ticket.number,
        "the citizen keeps the number on the ticket"
    );
    assert_eq!(moved.issued_at, a1.ticket.issued_at);
    assert!(c1.ticket.issued_at >= a1.ticket.issued_at);

    // Arrived before C001, A001 goes first at the local taxes counter, with that service's outcomes.
    let a = giulia.calls("A001").await;
    assert_refused(
        giulia.client.finish(a.id, "cie_richiesta", None).await,
        409,
        ErrorCode::UnknownOutcome,
    );
    giulia.finish(&a, "calcolo").await;
    giulia.calls("C001").await;

    // Transfer to a specific counter, even one that does not serve the service: it goes first there.
    let b = maria.calls("B001").await;
    let moved = maria
        .client
        .transfer(
            b.id,
            &TransferRequest {
                service_id: None,
                counter_id: Some(francesco.counter),
            },
        )
        .await
        .expect("transfer to a counter");
    assert_eq!(moved.target_counter_id, Some(francesco.counter));
    assert_eq!(moved.issued_at, b1.ticket.issued_at);
    assert_eq!(
        maria.call_next().await,
        None,
        "a ticket sent to another counter is not called here"
    );
    francesco.calls("B001").await;
    francesco.client.cancel(b.id).await.expect("cancel");
    let f = francesco.calls("F001").await;
    assert_eq!(f.id, f1.ticket.id);
}

/// The other side of keeping the arrival time: a ticket transferred to a service where older tickets
/// wait goes behind them, not to the front.
#[tokio::test(flavor = "multi_thread")]
async fn a_younger_transferred_ticket_waits_behind_older_ones() {
    let office = Office::start().await;
    let c1 = office.issue('C', Priority::Normal).await;
    let c2 = office.issue('C', Priority::Normal).await;
    let a1 = office.issue('A', Priority::Normal).await;
    let c3 = office.issue('C', Priority::Normal).await;
    let maria = office.clerk("mrossi", "Sportello 1").await;
    let a = maria.calls("A001").await;
    let moved = maria
        .client
        .transfer(
            a.id,
            &TransferRequest {
                service_id: Some(office.service('C')),
                counter_id: None,
            },
        )
        .await
        .expect("transfer to the local taxes office");
    assert_eq!(moved.issued_at, a1.ticket.issued_at);
    // C001 and C002 arrived before it; C003 after.
    let status = office.kiosk.ticket_status(&a1.token).await.expect("public status");
    assert_eq!(status.people_ahead, Some(2));
    let giulia = office.clerk("gverdi", "Sportello 3").await;
    for (expected, issued) in [("C001", &c1), ("C002", &c2), ("A001", &a1), ("C003", &c3)] {
        let t = giulia.calls(expected).await;
        assert_eq!(t.id, issued.ticket.id);
        giulia.finish(&t, "calcolo").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_late_citizen_goes_back_in_the_queue_in_their_place() {
    let office = Office::start().await;
    let a1 = office.issue('A', Priority::Normal).await;
    office.issue('A', Priority::Normal).await;
    let maria = office.clerk("mrossi", "Sportello 1").await;

    let late = maria.calls("A001").await;
    let gone = maria.client.no_show(late.id).await.expect("no-show");
    assert_eq!(gone.state, TicketState::NoShow);
    let status = office.kiosk.ticket_status(&a1.token).await.expect("public status");
    assert_eq!((status.state, status.people_ahead), (TicketState::NoShow, None));
    let a2 = maria.calls("A002").await;
    maria.finish(&a2, "certificato").await;
    let a3 = office.issue('A', Priority::Normal).await;

    // The citizen of A001 shows up after all: back in the queue with the original arrival time.
    let back = maria.client.return_to_queue(late.id).await.expect("return to queue");
    assert_eq!(back.state, TicketState::Waiting);
    assert_eq!(back.issued_at, a1.ticket.issued_at);
    let status = office.kiosk.ticket_status(&a1.token).await.expect("public status");
    assert_eq!((status.state, status.people_ahead), (TicketState::Waiting, Some(0)));
    let status = office.kiosk.ticket_status(&a3.token).await.expect("public status");
    assert_eq!(status.people_ahead, Some(1), "A001 is ahead of A003 again");
    maria.calls("A001").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelled_tickets_are_never_called() {
    let office = Office::start().await;
    let a1 = office.issue('A', Priority::Normal).await;
    office.issue('A', Priority::Normal).await;
    office.issue('A', Priority::Normal).await;
    let maria = office.clerk("mrossi", "Sportello 1").await;

    let cancelled = maria
        .client
        .cancel(a1.ticket.id)
        .await
        .expect("cancel a waiting ticket");
    assert_eq!(cancelled.state, TicketState::Cancelled);
    let a2 = maria.calls("A002").await;
    assert_eq!(
        maria.client.cancel(a2.id).await.expect("cancel a called ticket").state,
        TicketState::Cancelled
    );
    assert_refused(maria.client.start(a2.id).await, 409, ErrorCode::IllegalTransition);
    assert_refused(
        maria.client.return_to_queue(a1.ticket.id).await,
        409,
        ErrorCode::IllegalTransition,
    );

    let a3 = maria.calls("A003").await;
    maria.client.start(a3.id).await.expect("start");
    // A visit under way is finished or put back, not cancelled.
    assert_refused(maria.client.cancel(a3.id).await, 409, ErrorCode::IllegalTransition);
    maria.finish(&a3, "informazioni").await;
    assert_eq!(maria.call_next().await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finished_visit_is_rated_once() {
    let office = Office::start().await;
    let a1 = office.issue('A', Priority::Normal).await;
    let a2 = office.issue('A', Priority::Normal).await;
    let a3 = office.issue('A', Priority::Normal).await;
    let maria = office.clerk("mrossi", "Sportello 1").await;
    let citizen = office.server.client();
    for number in ["A001", "A002"] {
        let t = maria.calls(number).await;
        maria.finish(&t, "certificato").await;
    }
    let kiosk_rating = |code: &str, rating, reason| RatingRequest {
        code: code.to_owned(),
        rating,
        reason,
    };

    // At the kiosk, by the rating code typed on the keypad; the number alone is not enough.
    let status = office.kiosk.ticket_status(&a1.token).await.expect("public status");
    assert!(status.can_rate && !status.rated);
    assert_refused(
        office.kiosk.rate(&kiosk_rating("A001", Rating::Good, None)).await,
        422,
        ErrorCode::InvalidInput,
    );
    let a1_code = a1.rating_code.to_string();
    let recorded = office
        .kiosk
        .rate(&kiosk_rating(&a1_code, Rating::Good, None))
        .await
        .expect("rate A001");
    assert_eq!((recorded.number, recorded.rating), (a1.ticket.number, Rating::Good));
    assert_refused(
        office.kiosk.rate(&kiosk_rating(&a1_code, Rating::Bad, None)).await,
        409,
        ErrorCode::AlreadyRated,
    );
    let status = office.kiosk.ticket_status(&a1.token).await.expect("public status");
    assert!(!status.can_rate && status.rated);

    // From the ticket's own status page, by its token.
    let bad = PublicRatingRequest {
        rating: Rating::Bad,
        reason: Some(BadReason::WaitingTime),
    };
    let recorded = citizen.rate_public(&a2.token, &bad).await.expect("rate A002");
    assert_eq!((recorded.number, recorded.rating), (a2.ticket.number, Rating::Bad));
    assert_refused(citizen.rate_public(&a2.token, &bad).await, 409, ErrorCode::AlreadyRated);
    assert_refused(
        office
            .kiosk
            .rate(&kiosk_rating(&a2.rating_code.to_string(), Rating::Good, None))
            .await,
        409,
        ErrorCode::AlreadyRated,
    );

    // Only a finished visit can be rated, a reason goes only with a bad rating, numbers must exist.
    assert_refused(
        office
            .kiosk
            .rate(&kiosk_rating(&a3.rating_code.to_string(), Rating::Good, None))
            .await,
        409,
        ErrorCode::NotRateable,
    );
    let good = PublicRatingRequest {
        rating: Rating::Good,
        reason: None,
    };
    assert_refused(citizen.rate_public(&a3.token, &good).await, 409, ErrorCode::NotRateable);
    let t = maria.calls("A003").await;
    maria.finish(&t, "certificato").await;
    let reasoned = kiosk_rating(
        &a3.rating_code.to_string(),
        Rating::Good,
        Some(BadReason::StaffCourtesy),
    );
    assert_refused(office.kiosk.rate(&reasoned).await, 422, ErrorCode::InvalidInput);
    assert_refused(
        office.kiosk.rate(&kiosk_rating("A999-7M3KX", Rating::Good, None)).await,
        404,
        ErrorCode::NotFound,
    );
    // Scanned at the kiosk: the code is the ticket's token.
    let recorded = office
        .kiosk
        .rate(&kiosk_rating(&a3.token, Rating::Neutral, None))
        .await
        .expect("rate A003 by its code");
    assert_eq!(recorded.number, a3.ticket.number);

    // The back office reads back what was stored: face, reason, service and counter of each visit.
    let stored: Vec<_> = office
        .admin
        .ratings(None, None)
        .await
        .expect("the stored ratings")
        .into_iter()
        .map(|r| (r.number.to_string(), r.rating, r.reason, r.service_id, r.counter_id))
        .collect();
    let (anagrafe, counter) = (office.service('A'), Some(office.counter("Sportello 1")));
    assert_eq!(
        stored,
        [
            ("A001".to_owned(), Rating::Good, None, anagrafe, counter),
            (
                "A002".to_owned(),
                Rating::Bad,
                Some(BadReason::WaitingTime),
                anagrafe,
                counter
            ),
            ("A003".to_owned(), Rating::Neutral, None, anagrafe, counter),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_status_page_shows_people_ahead_wait_and_counter() {
    let office = Office::start().await;
    let citizen = office.server.client();
    let a1 = office.issue('A', Priority::Normal).await;
    office.issue('A', Priority::Normal).await;
    let a3 = office.issue('A', Priority::Normal).await;
    assert_eq!(a3.people_ahead, 2);
    assert_eq!(
        a3.estimated_wait_minutes, None,
        "no counter serves the service: nobody can tell"
    );
    assert!(a3.status_path.contains(&a3.token));

    let status = citizen.ticket_status(&a3.token).await.expect("public status");
    assert_eq!(status.number, a3.ticket.number);
    assert_eq!(status.state, TicketState::Waiting);
    assert_eq!((status.people_ahead, status.estimated_wait_minutes), (Some(2), None));
    assert_eq!(status.counter_name, None);

    // Two ahead at one counter, then at two: the estimate falls, and the range shown holds it.
    let shown = |s: &turno_shared::api::PublicTicketStatus| {
        let minutes = s.estimated_wait_minutes.expect("an estimate");
        let range = s.estimated_wait_range.expect("a range");
        assert!(range.low_minutes <= minutes && minutes <= range.high_minutes, "{s:?}");
        minutes
    };
    let maria = office.clerk("mrossi", "Sportello 1").await;
    let status = citizen.ticket_status(&a3.token).await.expect("public status");
    let one = shown(&status);
    assert!(one >= 8, "two visits ahead at one counter: {one} min");
    let _luca = office.clerk("lbianchi", "Sportello 2").await;
    let status = citizen.ticket_status(&a3.token).await.expect("public status");
    let two = shown(&status);
    assert!(two < one, "two counters: {two} min, one: {one} min");

    maria.calls("A001").await;
    let status = citizen.ticket_status(&a1.token).await.expect("public status");
    assert_eq!(status.state, TicketState::Called);
    assert_eq!(status.counter_name.as_deref(), Some("Sportello 1"));
    assert_eq!(status.people_ahead, None);
    assert_eq!(status.estimated_wait_range, None);
    let status = citizen.ticket_status(&a3.token).await.expect("public status");
    assert_eq!(status.people_ahead, Some(1));
    // Sportello 2 takes A002 now; A003 waits for a visit to end.
    let after = shown(&status);
    assert!(after >= 1 && after <= one, "{after} min");

    assert_refused(
        citizen.ticket_status("0123456789abcdef").await,
        404,
        ErrorCode::NotFound,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paused_counter_calls_nobody_until_resumed() {
    let office = Office::start().await;
    let a1 = office.issue('A', Priority::Normal).await;
    let maria = office.clerk("mrossi", "Sportello 1").await;

    let paused = maria
        .client
        .pause(maria.counter, PauseReason::Break, Some("pausa caffè"))
        .await
        .expect("pause");
    let pause = paused.paused.expect("paused");
    assert_eq!(
        (pause.reason, pause.note.as_deref()),
        (PauseReason::Break, Some("pausa caffè"))
    );
    assert_refused(
        maria.client.call_next(maria.counter).await,
        409,
        ErrorCode::CounterPaused,
    );
    let status = office.kiosk.ticket_status(&a1.token).await.expect("public status");
    let paused = status
        .estimated_wait_minutes
        .expect("a paused counter is expected back");
    assert!(paused >= 10, "nobody ahead, the only counter on a pause: {paused} min");

    let resumed = maria.client.resume(maria.counter).await.expect("resume");
    assert_eq!(resumed.paused, None);
    let t = maria.calls("A001").await;
    // A counter pauses only once its citizen has gone.
    assert_refused(
        maria.client.pause(maria.counter, PauseReason::Break, None).await,
        409,
        ErrorCode::TicketInProgress,
    );
    maria.finish(&t, "certificato").await;
    maria
        .client
        .pause(maria.counter, PauseReason::Break, None)
        .await
        .expect("pause");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_end_of_the_day_expires_what_still_waits() {
    let office = Office::start().await;
    let serving = office.issue('A', Priority::Normal).await;
    let called = office.issue('A', Priority::Normal).await;
    let mut waiting = Vec::new();
    for prefix in ['A', 'A', 'B', 'F'] {
        waiting.push(office.issue(prefix, Priority::Normal).await);
    }
    let maria = office.clerk("mrossi", "Sportello 1").await;
    let luca = office.clerk("lbianchi", "Sportello 2").await;
    let t = maria.calls("A001").await;
    maria.client.start(t.id).await.expect("start");
    luca.calls("A002").await;
    let done = office.issue('E', Priority::Normal).await;
    let giulia = office.clerk("gverdi", "Sportello 3").await;
    let e = giulia.calls("E001").await;
    giulia.finish(&e, "protocollato").await;
    assert_eq!(maria.client.waiting_tickets().await.expect("list").len(), waiting.len());

    let report = office.admin.end_of_day(false).await.expect("end of day");
    assert_eq!(
        report.expired as usize,
        waiting.len() + 1,
        "the waiting ones and the called one"
    );
    assert!(maria.client.waiting_tickets().await.expect("list").is_empty());
    let view = office.kiosk.office().await.expect("office view");
    assert!(view.services.iter().all(|s| s.waiting == 0), "{:?}", view.services);
    for t in waiting.iter().chain([&called]) {
        let status = office.kiosk.ticket_status(&t.token).await.expect("public status");
        assert_eq!(status.state, TicketState::Expired, "{}", t.ticket.number);
    }
    let status = office.kiosk.ticket_status(&done.token).await.expect("public status");
    assert_eq!(status.state, TicketState::Done, "a finished visit stays finished");
    // The visit under way is left to its clerk, who finishes it normally.
    let status = office.kiosk.ticket_status(&serving.token).await.expect("public status");
    assert_eq!(status.state, TicketState::Serving);
    maria.finish(&t, "certificato").await;
    assert_eq!(maria.call_next().await, None);
    assert_eq!(giulia.call_next().await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_display_hears_every_call_even_those_made_while_it_was_away() {
    let office = Office::start().await;
    let display = office.server.display();
    let mut board = display.subscribe(None);
    connected(&board).await;
    let a1 = office.issue('A', Priority::Normal).await;
    office.issue('A', Priority::Normal).await;
    let maria = office.clerk("mrossi", "Sportello 1").await;

    let t1 = maria.calls("A001").await;
    let (last_seen, (number, counter_name)) = next_event(&mut board, "A001 called", |e| match e {
        LiveEvent::TicketCalled {
            number, counter_name, ..
        } => Some((number.to_string(), counter_name.clone())),
        _ => None,
    })
    .await;
    assert_eq!((number.as_str(), counter_name.as_str()), ("A001", "Sportello 1"));

    // The board loses its connection; meanwhile A001 is finished, A002 called and called again.
    drop(board);
    maria.finish(&t1, "certificato").await;
    let t2 = maria.calls("A002").await;
    maria.client.recall(t2.id).await.expect("recall");

    let mut board = display.subscribe(Some(last_seen));
    let mut missed = Vec::new();
    let mut previous = last_seen;
    while missed.len() < 3 {
        let (id, event) = next_event(&mut board, "the missed events", |e| Some(e.clone())).await;
        assert!(id > previous, "event ids grow: {id} after {previous}");
        previous = id;
        match event {
            LiveEvent::TicketFinished { number, state, .. } => missed.push(format!("finished {number} {state}")),
            LiveEvent::TicketCalled {
                number, counter_name, ..
            } => missed.push(format!("called {number} {counter_name}")),
            LiveEvent::TicketRecalled {
                number, counter_name, ..
            } => missed.push(format!("recalled {number} {counter_name}")),
            LiveEvent::QueueChanged { .. } => {}
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert_eq!(
        missed,
        [
            "finished A001 done",
            "called A002 Sportello 1",
            "recalled A002 Sportello 1"
        ]
    );

    // Caught up, the board goes on live.
    let a3 = office.issue('A', Priority::Normal).await;
    let (_, number) = next_event(&mut board, "A003 issued", |e| match e {
        LiveEvent::TicketIssued { number, .. } => Some(*number),
        _ => None,
    })
    .await;
    assert_eq!(number, a3.ticket.number);
    assert_ne!(a1.ticket.id, a3.ticket.id);
}
