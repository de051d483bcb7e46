//! Many kiosks and clerks at once: every number is issued once, every ticket is called exactly once by
//! a hundred counters racing for it, the daily cap holds.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use tokio::task::JoinSet;
use turno_shared::api::{ErrorCode, IssueRequest, TicketView};
use turno_shared::client::ClientError;
use turno_shared::domain::{Priority, TicketState};

use crate::support::{Office, slow_tests};

/// Each demo clerk at the counter of the same number.
const CLERKS: [(&str, &str); 5] = [
    ("mrossi", "Sportello 1"),
    ("lbianchi", "Sportello 2"),
    ("gverdi", "Sportello 3"),
    ("fesposito", "Sportello 4"),
    ("aromano", "Sportello 5"),
];

/// Issues `requests` from `tasks` concurrent kiosk tasks; answers every result with its request.
async fn issue_concurrently(
    office: &Office,
    requests: Vec<IssueRequest>,
    tasks: usize,
) -> Vec<(IssueRequest, Result<TicketView, ClientError>)> {
    let mut shares: Vec<Vec<IssueRequest>> = (0..tasks).map(|_| Vec::new()).collect();
    for (i, r) in requests.into_iter().enumerate() {
        shares[i % tasks].push(r);
    }
    let mut set = JoinSet::new();
    for share in shares {
        let kiosk = office.kiosk.clone();
        set.spawn(async move {
            let mut out = Vec::new();
            for r in share {
                let result = kiosk.issue_ticket(&r).await.map(|t| t.ticket);
                out.push((r, result));
            }
            out
        });
    }
    set.join_all().await.into_iter().flatten().collect()
}

/// Asserts that the numbers of each office day and prefix are 1, 2, 3, … with no gap and no repeat.
#[track_caller]
fn assert_numbers_dense_and_unique(tickets: &[TicketView]) -> BTreeMap<(String, char), u32> {
    let mut seqs: BTreeMap<(String, char), Vec<u32>> = BTreeMap::new();
    for t in tickets {
        seqs.entry((t.office_day.clone(), t.number.prefix().as_char()))
            .or_default()
            .push(t.number.seq());
    }
    let mut counts = BTreeMap::new();
    for (key, mut list) in seqs {
        list.sort_unstable();
        let n = list.len() as u32;
        let expected: Vec<u32> = (1..=n).collect();
        assert!(
            list == expected,
            "numbers of {key:?} are not 1..={n} each once: {list:?}"
        );
        counts.insert(key, n);
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_tickets_each_called_exactly_once() {
    let total = if slow_tests() { 30_000 } else { 10_000 };
    let office = Office::start().await;
    office.lift_daily_caps().await;
    let mut service_ids: Vec<i64> = office.services.values().map(|s| s.id).collect();
    service_ids.sort_unstable();

    let started = Instant::now();
    let requests = (0..total)
        .map(|i| IssueRequest {
            service_id: service_ids[i % service_ids.len()],
            priority: if i.is_multiple_of(10) {
                Priority::Priority
            } else {
                Priority::Normal
            },
            language: None,
        })
        .collect();
    let mut issued = Vec::new();
    for (request, result) in issue_concurrently(&office, requests, 64).await {
        let t = result.unwrap_or_else(|e| panic!("issuing for service {} failed: {e}", request.service_id));
        assert_eq!((t.service_id, t.priority), (request.service_id, request.priority));
        assert_eq!(t.state, TicketState::Waiting);
        issued.push(t);
    }
    assert_eq!(issued.len(), total);
    let ids: HashSet<i64> = issued.iter().map(|t| t.id).collect();
    assert_eq!(ids.len(), total, "every ticket has its own id");
    assert_numbers_dense_and_unique(&issued);
    let issuing = started.elapsed();

    // The five demo clerks and a hundred more call and serve at once until nothing waits: 105 counters
    // race for the same queues.
    let extra = if slow_tests() { 250 } else { 100 };
    let mut clerks = Vec::new();
    for (username, counter) in CLERKS {
        clerks.push(office.clerk(username, counter).await);
    }
    clerks.extend(office.more_clerks(extra).await);
    let racing = clerks.len();
    let started = Instant::now();
    let counters = office.admin.counters().await.expect("list counters");
    let outcomes: HashMap<i64, String> = office
        .services
        .values()
        .map(|s| (s.id, office.outcome_of(s.id)))
        .collect();
    let mut set = JoinSet::new();
    for clerk in clerks {
        let serves: HashSet<i64> = counters
            .iter()
            .find(|c| c.id == clerk.counter)
            .expect("the counter exists")
            .config
            .services
            .iter()
            .copied()
            .collect();
        let outcomes = outcomes.clone();
        set.spawn(async move {
            let mut called = Vec::new();
            while let Some(t) = clerk.call_next().await {
                assert!(
                    serves.contains(&t.service_id),
                    "counter {} called {} of service {}, which it does not serve",
                    clerk.counter,
                    t.number,
                    t.service_id
                );
                assert_eq!((t.state, t.counter_id), (TicketState::Called, Some(clerk.counter)));
                let done = clerk.finish(&t, &outcomes[&t.service_id]).await;
                assert_eq!(done.state, TicketState::Done);
                called.push(t.id);
            }
            called
        });
    }
    let mut times_called: HashMap<i64, u32> = HashMap::new();
    let per_counter: Vec<Vec<i64>> = set.join_all().await;
    let busy = per_counter.iter().filter(|c| !c.is_empty()).count();
    for id in per_counter.into_iter().flatten() {
        *times_called.entry(id).or_default() += 1;
    }
    assert!(
        busy > racing / 2,
        "only {busy} of {racing} counters called anyone: they did not race"
    );
    let calling = started.elapsed();

    let twice: Vec<_> = times_called.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "tickets called more than once: {twice:?}");
    let never: Vec<_> = ids.iter().filter(|id| !times_called.contains_key(id)).collect();
    assert!(
        never.is_empty(),
        "{} tickets were never called: {:?}",
        never.len(),
        never
    );
    assert_eq!(times_called.len(), total);
    let view = office.kiosk.office().await.expect("office view");
    assert!(view.services.iter().all(|s| s.waiting == 0), "{:?}", view.services);
    eprintln!(
        "{total} tickets: issued by 64 kiosk tasks in {issuing:.1?}, called and finished by {racing} counters at once in {calling:.1?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_kiosks_never_share_a_number_and_stop_at_the_cap() {
    let office = Office::start().await;
    let cap = office.services[&'F']
        .config
        .daily_cap
        .expect("the demo services have a daily cap") as usize;
    let (a, f) = (office.service('A'), office.service('F'));
    // More F requests than the cap, mixed with A requests, all at once.
    let requests = (0..cap + 100)
        .map(|_| f)
        .chain((0..150).map(|_| a))
        .map(|service_id| IssueRequest {
            service_id,
            priority: Priority::Normal,
            language: None,
        })
        .collect();
    let mut issued = Vec::new();
    let mut refused = 0;
    for (request, result) in issue_concurrently(&office, requests, 40).await {
        match result {
            Ok(t) => issued.push(t),
            Err(e) if request.service_id == f && e.code() == Some(ErrorCode::ServiceFull) => {
                assert_eq!(e.status().map(|s| s.as_u16()), Some(409));
                refused += 1;
            }
            Err(e) => panic!("issuing for service {} failed: {e}", request.service_id),
        }
    }
    let counts = assert_numbers_dense_and_unique(&issued);
    let per_prefix: BTreeMap<char, u32> = counts.iter().map(|((_, p), n)| (*p, *n)).collect();
    assert_eq!(per_prefix, BTreeMap::from([('A', 150), ('F', cap as u32)]));
    assert_eq!(refused, 100, "every F request past the cap is refused");
    let view = office.kiosk.office().await.expect("office view");
    let full: Vec<(char, bool)> = view
        .services
        .iter()
        .filter(|s| [a, f].contains(&s.id))
        .map(|s| (s.prefix.as_char(), s.full))
        .collect();
    assert_eq!(full, [('A', false), ('F', true)]);
}
