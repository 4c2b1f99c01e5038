//! 12. Group commit.
//!
//! Concurrent creates share transactions, yet each is answered on its own, only once
//! committed, and a bad one does not take its batch down.
//!
//! Cases that need creates to share one batch make sure they do: a connection of the
//! test's own holds the database's write lock while a first create is taken and blocks on
//! it, the others queue behind it, and on release they form the next batch together
//! (checked by the store's batch counter).

use super::fixtures::*;
use hotline::store::{BatchStats, Batching, Created, StoreResult};

/// Streets and the district with regions they serve, and categories to spread rate rows.
const DESKS: [(&str, &str); 3] = [
    (STREET, REGION_STREET),
    (STREET_2, REGION_STREET_2),
    (DISTRICT, REGION_DISTRICT),
];
const CATEGORIES: [&str; 2] = ["urban_rural_construction", "urban_management"];

fn varied(i: usize) -> Opened {
    let (unit, region) = DESKS[i % DESKS.len()];
    let category = CATEGORIES[i % CATEGORIES.len()];
    // Every 3 hours from 3-02: into April, so daily and monthly rows both grow.
    let at = t0() + hours(3 * i as i64);
    open(
        CENTRE,
        intake(region, category, Urgency::General),
        to_unit(unit),
        None,
        at,
    )
}

async fn create_owned(
    store: Arc<dyn Store>,
    opened: Opened,
    request_id: String,
    fingerprint: String,
) -> StoreResult<Created> {
    store
        .create_ticket(NewTicket {
            ticket: &opened.ticket,
            events: &opened.events,
            request_id: &request_id,
            fingerprint: &fingerprint,
        })
        .await
}

/// Many concurrent creates: every one stored, with distinct ids, its events and its rate
/// entries (summed per row in their batches, yet exactly what a rebuild computes).
pub async fn many_concurrent_creates_are_all_stored(store: Arc<dyn Store>) {
    const CREATES: usize = 300;
    let opened: Vec<Opened> = (0..CREATES).map(varied).collect();
    let before = store.intake_stats();
    let answers = futures_util::future::join_all(opened.iter().enumerate().map(|(i, o)| {
        create_owned(
            store.clone(),
            o.clone(),
            format!("many-{i}"),
            format!("fp-{i}"),
        )
    }))
    .await;
    let s = &*store;
    let mut ids = BTreeSet::new();
    for (i, (answer, opened)) in answers.into_iter().zip(&opened).enumerate() {
        let created = answer.unwrap_or_else(|e| panic!("create {i}: {e}"));
        assert!(created.created, "create {i} is new");
        let (ticket, events) = as_stored(opened, created.ticket.id);
        assert_eq!(created.ticket, ticket, "create {i} answers its own ticket");
        assert_eq!(get(s, ticket.id).await, ticket, "ticket {i} stored");
        assert_eq!(history(s, ticket.id).await, events, "ticket {i}'s events");
        ids.insert(ticket.id);
    }
    assert_eq!(ids.len(), CREATES, "distinct ids");
    assert_eq!(
        search_ids(s, &all_filter()).await,
        ids.into_iter().collect::<Vec<_>>()
    );

    let stats = s.intake_stats();
    assert_eq!(stats.jobs - before.jobs, CREATES as u64, "{stats:?}");
    assert!(
        stats.batches - before.batches < CREATES as u64,
        "300 creates at once share transactions: {stats:?}"
    );

    // Each ticket counts one dispatch for its unit.
    let by_unit = s
        .rate_counts(&RateQuery {
            from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
            group_by: RateGrouping::Unit,
            period: RatePeriod::Whole,
            unit: None,
            region: None,
            category: None,
        })
        .await
        .expect("rate counts");
    let dispatched: Vec<(String, u64)> = by_unit
        .iter()
        .map(|row| (row.key.clone(), row.counts.dispatched))
        .collect();
    let mut expected: Vec<(String, u64)> = DESKS
        .iter()
        .map(|(unit, _)| (unit.to_string(), (CREATES / DESKS.len()) as u64))
        .collect();
    expected.sort();
    assert_eq!(dispatched, expected, "dispatches per unit");
    let report = s.rebuild_rate_counts().await.expect("rebuild");
    assert_eq!(
        (report.tickets, report.rows_changed),
        (CREATES as u64, 0),
        "the batched rate counts equal the event log's: {report:?}"
    );
}

/// Holds the database's write lock from a connection of the test's own, so that the
/// store's batch writers block on their next batch.
pub struct WriteLock(sqlx::AnyConnection);

impl WriteLock {
    pub async fn take(url: &str) -> Self {
        use sqlx::Executor;
        let mut conn = raw_connection(url).await;
        let lock = if url.starts_with("sqlite") {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN; LOCK TABLE tickets IN EXCLUSIVE MODE"
        };
        conn.execute(lock).await.expect("taking the write lock");
        WriteLock(conn)
    }

    pub async fn release(mut self) {
        use sqlx::Executor;
        self.0
            .execute("ROLLBACK")
            .await
            .expect("releasing the lock");
    }
}

/// Waits (at most 20 s) until the store's intake counters satisfy `condition`.
async fn until_stats(store: &dyn Store, what: &str, condition: impl Fn(BatchStats) -> bool) {
    until_batches(what, &|| store.intake_stats(), condition).await
}

/// Waits (at most 20 s) until the batch counters `stats` reads satisfy `condition`.
pub async fn until_batches(
    what: &str,
    stats: &impl Fn() -> BatchStats,
    condition: impl Fn(BatchStats) -> bool,
) {
    let started = std::time::Instant::now();
    while !condition(stats()) {
        assert!(
            started.elapsed() < StdDuration::from_secs(20),
            "timed out waiting until {what}: {:?}",
            stats()
        );
        tokio::time::sleep(StdDuration::from_millis(2)).await;
    }
}

/// Makes `first` a batch alone and `queued` the next one, in the order given: `first`
/// starts while the database's write lock (on `url`) is held, each of `queued` starts once
/// the one before it is queued (`stats` reads the writer's counters), then the lock is
/// released. Answers `first`'s output and the others', in order.
pub async fn behind_the_write_lock<F, T>(
    url: &str,
    stats: impl Fn() -> BatchStats,
    first: F,
    queued: Vec<F>,
) -> (T, Vec<T>)
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let lock = WriteLock::take(url).await;
    let before = stats();
    let first = tokio::spawn(first);
    until_batches("the first write is taken", &stats, |now| {
        now.batches == before.batches + 1
    })
    .await;
    let mut tasks = Vec::new();
    for (n, job) in queued.into_iter().enumerate() {
        tasks.push(tokio::spawn(job));
        // One at a time, so the batch holds them in the order given.
        until_batches("the others queue", &stats, |now| now.queued == n + 1).await;
    }
    lock.release().await;
    let first = first.await.expect("task");
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }
    (first, answers)
}

type Create = (Opened, String, String);

/// Runs `creates` as one batch of a store of its own on `url` (one writer, so nothing
/// else takes them): a first create is held on the write lock, the others queue behind
/// it in the order given, then go together. Answers theirs, in order, and the store.
async fn in_one_batch(
    url: &str,
    creates: Vec<Create>,
) -> (Vec<StoreResult<Created>>, Arc<dyn Store>) {
    let batching = Batching {
        max_batch: 64,
        linger: StdDuration::ZERO,
        writers: 1,
    };
    let store = hotline::store::open_with(url, batching)
        .await
        .expect("a store of the test's own");
    let count = creates.len();
    let first = create_owned(
        store.clone(),
        varied(999),
        next_request_id(),
        "fp-first".into(),
    );
    let queued = creates
        .into_iter()
        .map(|(opened, request_id, fingerprint)| {
            create_owned(store.clone(), opened, request_id, fingerprint)
        })
        .collect();
    let (first, answers) = behind_the_write_lock(url, || store.intake_stats(), first, queued).await;
    first.expect("the first create, once the lock is released");
    let stats = store.intake_stats();
    assert_eq!(
        (stats.batches, stats.jobs),
        (2, count as u64 + 1),
        "the first create alone, then all the others in one batch"
    );
    (answers, store)
}

/// A ticket whose events repeat a version, which the events' primary key refuses.
fn bad(i: usize) -> Opened {
    let mut opened = varied(i);
    let repeated = opened.events[0].clone();
    opened.events.push(repeated);
    opened
}

/// One row that fails in a batch gets its error; its neighbours are committed, with
/// their events and rate entries, and nothing of the failed one remains.
pub async fn a_bad_row_fails_alone_in_its_batch(_store: Arc<dyn Store>, url: String) {
    let creates: Vec<Create> = (0..6)
        .map(|i| {
            let opened = if i == 2 { bad(i) } else { varied(i) };
            (opened, format!("batch-{i}"), format!("fp-{i}"))
        })
        .collect();
    let (answers, store) = in_one_batch(&url, creates.clone()).await;
    let s = &*store;
    for (i, (answer, (opened, request_id, _))) in answers.into_iter().zip(&creates).enumerate() {
        if i == 2 {
            match answer {
                Err(StoreError::Database(message)) => {
                    assert!(!message.is_empty(), "the bad row's error says what failed")
                }
                other => panic!("the bad row: want a database error, got {other:?}"),
            }
            assert_eq!(
                s.find_by_request_id(request_id).await.unwrap(),
                None,
                "nothing of the bad row is stored"
            );
            continue;
        }
        let created = answer.unwrap_or_else(|e| panic!("neighbour {i} of the bad row: {e}"));
        assert!(created.created);
        let (ticket, events) = as_stored(opened, created.ticket.id);
        assert_eq!(get(s, ticket.id).await, ticket, "neighbour {i} stored");
        assert_eq!(
            history(s, ticket.id).await,
            events,
            "neighbour {i}'s events"
        );
    }
    assert_eq!(
        search(s, &all_filter()).await.len(),
        6,
        "the first create and five neighbours"
    );
    let report = s.rebuild_rate_counts().await.expect("rebuild");
    assert_eq!(
        report.rows_changed, 0,
        "no rate entry of the bad row was kept: {report:?}"
    );
    store.close().await;
}

/// The same request id twice in one batch makes one ticket and both answers agree; the
/// same id with another request in that batch is refused.
pub async fn one_request_id_twice_in_a_batch_makes_one_ticket(_store: Arc<dyn Store>, url: String) {
    let opened = varied(7);
    let creates: Vec<Create> = vec![
        (opened.clone(), "twice".into(), "fp-twice".into()),
        (varied(8), "other".into(), "fp-other".into()),
        (opened.clone(), "twice".into(), "fp-twice".into()),
        (varied(9), "twice".into(), "fp-something-else".into()),
    ];
    let (answers, store) = in_one_batch(&url, creates).await;
    let s = &*store;
    let mut answers = answers.into_iter();
    let first = answers
        .next()
        .unwrap()
        .expect("the first create of `twice`");
    let _other = answers.next().unwrap().expect("another request");
    let again = answers
        .next()
        .unwrap()
        .expect("its retry in the same batch");
    assert!(first.created, "the first one creates");
    assert!(!again.created, "the retry finds it");
    let (ticket, events) = as_stored(&opened, first.ticket.id);
    assert_eq!(first.ticket, ticket);
    assert_eq!(again.ticket, ticket, "both answers agree");
    match answers.next().unwrap() {
        Err(StoreError::RequestIdReused { request_id, ticket }) => {
            assert_eq!((request_id.as_str(), ticket), ("twice", first.ticket.id));
        }
        other => panic!("another request under `twice`: want RequestIdReused, got {other:?}"),
    }
    assert_eq!(history(s, ticket.id).await, events, "one set of events");
    assert_eq!(
        search(s, &all_filter()).await.len(),
        3,
        "the first create, `twice` and `other`"
    );
    assert_eq!(s.rebuild_rate_counts().await.unwrap().rows_changed, 0);
    store.close().await;
}

/// Closing the store while creates are queued answers every one of them, and exactly
/// the acknowledged ones are there when the database is opened again.
pub async fn closing_answers_every_queued_create(store: Arc<dyn Store>, url: String) {
    const CREATES: usize = 100;
    let tasks: Vec<_> = (0..CREATES)
        .map(|i| {
            tokio::spawn(create_owned(
                store.clone(),
                varied(i),
                format!("closing-{i}"),
                "fp".into(),
            ))
        })
        .collect();
    until_stats(&*store, "some creates are in", |s| s.jobs > 0).await;
    store.close().await;
    let mut acknowledged = BTreeSet::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.expect("task") {
            Ok(created) => {
                acknowledged.insert(created.ticket.id);
            }
            Err(StoreError::Unavailable(_)) => {}
            Err(other) => {
                panic!("create {i} while closing: want it stored or UNAVAILABLE, got {other}")
            }
        }
    }
    assert!(
        !acknowledged.is_empty(),
        "creates taken before the close are answered"
    );
    let reopened = hotline::store::open(&url)
        .await
        .unwrap_or_else(|e| panic!("reopening {url}: {e:#}"));
    assert_eq!(
        search_ids(&*reopened, &all_filter()).await,
        acknowledged.into_iter().collect::<Vec<_>>(),
        "exactly the acknowledged creates are stored"
    );
    reopened.close().await;
}
