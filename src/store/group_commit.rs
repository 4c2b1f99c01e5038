//! Group commit: concurrent writes of one kind share a transaction, so a batch pays for
//! one commit (one fsync) instead of one per write.
//!
//! A caller hands an owned job to the batching task over a bounded channel (a full one
//! holds callers back) and waits for its answer, which is sent only once the batch's
//! transaction committed: an acknowledged write is durable. Each writer task takes what
//! queued while its previous batch was being written, up to [`Batching::max_batch`],
//! optionally lingering a little for more; under light load a batch is one job and costs
//! what a lone transaction did.
//!
//! On SQLite the sync that makes a batch durable runs after its commit, while the next
//! batch is written ([`log_sync`](super::log_sync)): its callers are answered when that
//! sync returns, by a task of their own.
//!
//! Nobody is left hanging: [`GroupCommit::close`] lets the tasks answer every queued job
//! before it returns, and if a task dies (a panic), the answers it owed are dropped, so
//! those callers and every later one get [`StoreError::Unavailable`].

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::log_sync::Durable;
use super::{BatchStats, StoreError, StoreResult};

/// Writes one batch.
pub(super) trait BatchWriter: Send + Sync + 'static {
    type Job: Send + 'static;
    type Done: Send + 'static;
    /// What the writer writes, for messages: "intake", "transition".
    const NAME: &'static str;
    /// The histogram of jobs per batch, exported on /metrics.
    const BATCH_SIZE_METRIC: &'static str;

    /// Writes the jobs in one transaction and answers each, in order: a job that failed
    /// alone gets its own error; if the transaction failed, every job gets that error.
    fn write(&self, jobs: Vec<Self::Job>) -> impl Future<Output = Written<Self::Done>> + Send;
}

/// What a [`BatchWriter`] did with a batch.
pub(super) struct Written<D> {
    /// One answer per job, in the jobs' order.
    pub answers: Vec<StoreResult<D>>,
    /// The batch was written again one job at a time, after its first transaction
    /// failed: correct, but slow if it happens often, so it is counted.
    pub one_by_one: bool,
    /// When what was committed is on disk: the answers wait for it.
    pub durable: Durable,
}

impl<D> Written<D> {
    /// A batch's outcome: each job's answer and whether it was written one by one, or
    /// the error that failed it whole; `durable` says when what it committed is on disk.
    pub fn new(
        outcome: StoreResult<(Vec<StoreResult<D>>, bool)>,
        durable: Durable,
        jobs: usize,
    ) -> Self {
        match outcome {
            Ok((answers, one_by_one)) => Written {
                answers,
                one_by_one,
                durable,
            },
            // Nothing of the batch was committed: every caller learns why.
            Err(error) => Written::failed(error, jobs),
        }
    }

    /// Every job of a batch whose transaction failed gets that error.
    pub fn failed(error: StoreError, jobs: usize) -> Self {
        Written {
            answers: (0..jobs).map(|_| Err(error.clone())).collect(),
            one_by_one: false,
            durable: Durable::AtCommit,
        }
    }
}

/// How writes are grouped. The default (measured with `examples/intake_store.rs`, see
/// BENCHMARKS.md): up to [`DEFAULT_MAX_BATCH`] per transaction, no lingering, one writer.
/// Lingering gathered bigger batches without a clear gain and costs a lone caller its
/// wait. A second writer cannot help SQLite, which has one write connection; on
/// PostgreSQL it did not raise throughput on loopback but lowered paced intake's p99,
/// for more CPU per create (BENCHMARKS.md, stop 24). A remote database, with its longer
/// round trips, may want either; hence `hotline serve --intake-linger-micros` and
/// `--intake-writers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    /// Most jobs in one transaction: bounds the time a batch holds the writer.
    pub max_batch: usize,
    /// How long a writer waits for more jobs once it has one; zero takes only what is
    /// already queued.
    pub linger: Duration,
    /// Batches written at once (each on its own connection).
    pub writers: usize,
}

/// Most creates in one transaction by default: large enough that a burst of callers
/// shares a few commits, small enough that one batch holds the writer for milliseconds.
pub const DEFAULT_MAX_BATCH: usize = 256;

impl Default for Batching {
    fn default() -> Self {
        Batching {
            max_batch: DEFAULT_MAX_BATCH,
            linger: Duration::ZERO,
            writers: 1,
        }
    }
}

struct Pending<W: BatchWriter> {
    job: W::Job,
    answer: oneshot::Sender<StoreResult<W::Done>>,
}

type Queue<W> = Arc<tokio::sync::Mutex<mpsc::Receiver<Pending<W>>>>;

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    jobs: AtomicU64,
    one_by_one: AtomicU64,
}

pub(super) struct GroupCommit<W: BatchWriter> {
    /// `None` once closed.
    sender: Mutex<Option<mpsc::Sender<Pending<W>>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    counters: Arc<Counters>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while these locks are held; a poisoned one is still consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn stopped(name: &str) -> StoreError {
    StoreError::Unavailable(format!("the {name} writer stopped; see the daemon's log"))
}

impl<W: BatchWriter> GroupCommit<W> {
    /// Starts the writer tasks on the current Tokio runtime.
    pub fn start(writer: W, batching: Batching) -> Self {
        let max_batch = batching.max_batch.max(1);
        // Room for a few batches: enough to keep the writers busy, bounded memory.
        let (sender, receiver) = mpsc::channel(max_batch * 4);
        let queue: Queue<W> = Arc::new(tokio::sync::Mutex::new(receiver));
        let writer = Arc::new(writer);
        let counters = Arc::new(Counters::default());
        let writers = batching.writers.max(1);
        metrics::gauge!(BATCH_WRITERS, "writer" => W::NAME).set(writers as f64);
        let tasks = (0..writers)
            .map(|_| {
                tokio::spawn(run(
                    writer.clone(),
                    queue.clone(),
                    max_batch,
                    batching.linger,
                    counters.clone(),
                ))
            })
            .collect();
        GroupCommit {
            sender: Mutex::new(Some(sender)),
            tasks: Mutex::new(tasks),
            counters,
        }
    }

    /// Queues the job and answers once its batch is written (committed or failed).
    pub async fn submit(&self, job: W::Job) -> StoreResult<W::Done> {
        let sender = locked(&self.sender)
            .clone()
            .ok_or_else(|| StoreError::Unavailable("the store is closed".into()))?;
        let (answer, answered) = oneshot::channel();
        sender
            .send(Pending { job, answer })
            .await
            .map_err(|_| stopped(W::NAME))?;
        answered.await.map_err(|_| stopped(W::NAME))?
    }

    /// False once every writer task has stopped, or the store was closed.
    pub fn is_running(&self) -> bool {
        locked(&self.sender)
            .as_ref()
            .is_some_and(|sender| !sender.is_closed())
    }

    pub fn stats(&self) -> BatchStats {
        let queued = locked(&self.sender)
            .as_ref()
            .map_or(0, |s| s.max_capacity() - s.capacity());
        BatchStats {
            batches: self.counters.batches.load(Ordering::Relaxed),
            jobs: self.counters.jobs.load(Ordering::Relaxed),
            one_by_one: self.counters.one_by_one.load(Ordering::Relaxed),
            queued,
        }
    }

    /// Refuses new jobs, lets the writers answer every queued one, and waits for them.
    pub async fn close(&self) {
        drop(locked(&self.sender).take());
        let tasks = std::mem::take(&mut *locked(&self.tasks));
        for task in tasks {
            // A panic was already logged by the task's guard.
            let _ = task.await;
        }
    }
}

/// Logs a writer task that ends by panicking (its callers see `Unavailable`).
struct PanicAlarm(&'static str);

impl Drop for PanicAlarm {
    fn drop(&mut self) {
        if std::thread::panicking() {
            tracing::error!(
                writer = self.0,
                "a batch writer task panicked; its callers were answered UNAVAILABLE"
            );
        }
    }
}

async fn run<W: BatchWriter>(
    writer: Arc<W>,
    queue: Queue<W>,
    max_batch: usize,
    linger: Duration,
    counters: Arc<Counters>,
) {
    let _alarm = PanicAlarm(W::NAME);
    // Callers waiting for their batch's sync; dropped with the task if it panics.
    let mut syncing = tokio::task::JoinSet::new();
    loop {
        let batch = {
            let mut receiver = queue.lock().await;
            take(&mut receiver, max_batch, linger).await
        };
        if batch.is_empty() {
            break; // closed and drained
        }
        counters.batches.fetch_add(1, Ordering::Relaxed);
        counters
            .jobs
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        metrics::histogram!(W::BATCH_SIZE_METRIC).record(batch.len() as f64);
        let (jobs, answers): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|p| (p.job, p.answer)).unzip();
        let started = std::time::Instant::now();
        let Written {
            answers: results,
            one_by_one,
            durable,
        } = writer.write(jobs).await;
        metrics::histogram!(BATCH_WRITE_SECONDS, "writer" => W::NAME)
            .record(started.elapsed().as_secs_f64());
        if one_by_one {
            counters.one_by_one.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(BATCHES_WRITTEN_ONE_BY_ONE, "writer" => W::NAME).increment(1);
        }
        let unreachable = results
            .iter()
            .find_map(|r| match r {
                Err(error @ StoreError::Unavailable(_)) => Some(error.clone()),
                _ => None,
            })
            .filter(|_| results.iter().all(Result::is_err));
        match durable {
            Durable::AtCommit => answer(answers, results),
            Durable::Syncing(synced) => {
                syncing.spawn(async move {
                    match synced.await {
                        Ok(()) => answer(answers, results),
                        // Committed but perhaps not on disk: nobody may be told it was written.
                        Err(error) => answer(
                            answers,
                            results.iter().map(|_| Err(error.clone())).collect(),
                        ),
                    }
                });
            }
        }
        while syncing.try_join_next().is_some() {}
        if let Some(error) = unreachable {
            // The database cannot be reached: what queued meanwhile fails at once rather
            // than each batch waiting out the connection timeout again. Nothing of it was
            // written, so nothing acknowledged is lost; the consoles retry.
            let mut receiver = queue.lock().await;
            while let Ok(pending) = receiver.try_recv() {
                let _ = pending.answer.send(Err(error.clone()));
            }
        }
    }
    while syncing.join_next().await.is_some() {}
}

/// Sends each caller its result, in the jobs' order.
fn answer<D>(answers: Vec<oneshot::Sender<StoreResult<D>>>, results: Vec<StoreResult<D>>) {
    let mut results = results.into_iter();
    for answer in answers {
        let result = results.next().unwrap_or_else(|| {
            Err(StoreError::Database(
                "the batch writer gave fewer answers than jobs".into(),
            ))
        });
        // A caller that gave up (its RPC was cancelled) finds its ticket on retry.
        let _ = answer.send(result);
    }
}

/// Creates per intake batch, exported on /metrics.
pub const INTAKE_BATCH_SIZE: &str = "hotline_intake_batch_size";

/// Transitions per batch, exported on /metrics.
pub const TRANSITION_BATCH_SIZE: &str = "hotline_transition_batch_size";

/// PullAssigned calls per lease transaction, exported on /metrics.
pub const LEASE_BATCH_SIZE: &str = "hotline_lease_batch_size";

/// Seconds a writer spent on one batch, per writer kind, from taking it up to its commit (a
/// wait for the write connection included: on SQLite the kinds share one). The sum over a
/// period, divided by [`BATCH_WRITERS`], tells how busy that kind's writers were.
pub const BATCH_WRITE_SECONDS: &str = "hotline_batch_write_seconds";

/// Writer tasks of each kind, exported on /metrics: dividing the rate of
/// [`BATCH_WRITE_SECONDS`]'s sum by it gives the share of them that has a batch in flight.
pub const BATCH_WRITERS: &str = "hotline_batch_writers";

/// Batches written again one job at a time after a failed transaction, per writer.
pub const BATCHES_WRITTEN_ONE_BY_ONE: &str = "hotline_batches_written_one_by_one_total";

/// Waits for one job, then takes what else is queued (lingering up to `linger` for more),
/// up to `max`. Empty only when the channel is closed and drained.
async fn take<T>(receiver: &mut mpsc::Receiver<T>, max: usize, linger: Duration) -> Vec<T> {
    let mut batch = Vec::with_capacity(max);
    if receiver.recv_many(&mut batch, max).await == 0 || linger.is_zero() {
        return batch;
    }
    let until = tokio::time::Instant::now() + linger;
    while batch.len() < max {
        let room = max - batch.len();
        let more = receiver.recv_many(&mut batch, room);
        match tokio::time::timeout_at(until, more).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    batch
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;
    use tokio::sync::Semaphore;

    /// Answers job n with n * 10 (or an error for a negative n, or a panic for 13),
    /// recording the batch sizes, and writes only while its gate has permits.
    struct Fake {
        gate: Arc<Semaphore>,
        sizes: Arc<Mutex<Vec<usize>>>,
    }

    impl BatchWriter for Fake {
        type Job = i64;
        type Done = i64;
        const NAME: &'static str = "fake";
        const BATCH_SIZE_METRIC: &'static str = "fake_batch_size";

        async fn write(&self, jobs: Vec<i64>) -> Written<i64> {
            self.gate.acquire().await.expect("gate open").forget();
            locked(&self.sizes).push(jobs.len());
            if jobs.contains(&13) {
                panic!("job 13 brings bad luck");
            }
            let one_by_one = jobs.iter().any(|&n| n < 0);
            let answers = jobs
                .into_iter()
                .map(|n| {
                    if n < 0 {
                        Err(StoreError::Database(format!("job {n} fails alone")))
                    } else {
                        Ok(n * 10)
                    }
                })
                .collect();
            Written {
                answers,
                one_by_one,
                durable: Durable::AtCommit,
            }
        }
    }

    fn start(max_batch: usize, permits: usize) -> (Arc<GroupCommit<Fake>>, Fake) {
        let gate = Arc::new(Semaphore::new(permits));
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let fake = Fake {
            gate: gate.clone(),
            sizes: sizes.clone(),
        };
        let batching = Batching {
            max_batch,
            linger: Duration::ZERO,
            writers: 1,
        };
        (
            Arc::new(GroupCommit::start(fake, batching)),
            Fake { gate, sizes },
        )
    }

    fn spawn_submit(group: &Arc<GroupCommit<Fake>>, n: i64) -> JoinHandle<StoreResult<i64>> {
        let group = group.clone();
        tokio::spawn(async move { group.submit(n).await })
    }

    async fn until(what: &str, condition: impl Fn() -> bool) {
        let started = Instant::now();
        while !condition() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "timed out waiting until {what}"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test]
    async fn a_batch_is_what_queued_meanwhile_bounded_by_max_batch() {
        let (group, fake) = start(4, 0);
        let first = spawn_submit(&group, 0);
        until("the first job is taken", || group.stats().batches == 1).await;
        let rest: Vec<_> = (1..=10).map(|n| spawn_submit(&group, n)).collect();
        until("ten jobs queue", || group.stats().queued == 10).await;
        fake.gate.add_permits(100);
        assert_eq!(first.await.unwrap().unwrap(), 0);
        for (n, task) in (1..=10).zip(rest) {
            assert_eq!(task.await.unwrap().unwrap(), n * 10, "job {n}'s own answer");
        }
        assert_eq!(*locked(&fake.sizes), vec![1, 4, 4, 2]);
        let stats = group.stats();
        assert_eq!((stats.batches, stats.jobs, stats.queued), (4, 11, 0));
    }

    #[tokio::test]
    async fn a_failed_job_fails_alone() {
        let (group, fake) = start(8, 0);
        let first = spawn_submit(&group, 0);
        until("the first job is taken", || group.stats().batches == 1).await;
        let jobs: Vec<_> = [1, -2, 3].map(|n| spawn_submit(&group, n)).into();
        until("three jobs queue", || group.stats().queued == 3).await;
        fake.gate.add_permits(100);
        first.await.unwrap().unwrap();
        let answers: Vec<_> = futures_util::future::join_all(jobs).await;
        assert_eq!(answers[0].as_ref().unwrap().as_ref().unwrap(), &10);
        assert!(matches!(
            answers[1].as_ref().unwrap(),
            Err(StoreError::Database(m)) if m == "job -2 fails alone"
        ));
        assert_eq!(answers[2].as_ref().unwrap().as_ref().unwrap(), &30);
        assert_eq!(*locked(&fake.sizes), vec![1, 3], "they shared a batch");
    }

    #[tokio::test]
    async fn close_answers_every_queued_job_then_refuses() {
        let (group, fake) = start(2, 0);
        let jobs: Vec<_> = (0..5).map(|n| spawn_submit(&group, n)).collect();
        until("one batch is taken, the rest queued", || {
            let stats = group.stats();
            stats.batches == 1 && stats.jobs + stats.queued as u64 == 5
        })
        .await;
        let closing = {
            let group = group.clone();
            tokio::spawn(async move { group.close().await })
        };
        until("close has taken the sender", || !group.is_running()).await;
        assert!(matches!(
            group.submit(7).await,
            Err(StoreError::Unavailable(m)) if m.contains("closed")
        ));
        fake.gate.add_permits(100);
        closing.await.unwrap();
        for (n, task) in (0..5).zip(jobs) {
            assert_eq!(
                task.await.unwrap().unwrap(),
                n * 10,
                "queued job {n} answered"
            );
        }
        assert_eq!(group.stats().jobs, 5);
    }

    #[tokio::test]
    async fn a_dead_writer_answers_unavailable_never_hangs() {
        let (group, fake) = start(8, 0);
        let doomed = spawn_submit(&group, 13);
        until("the bad job is taken", || group.stats().batches == 1).await;
        let queued = spawn_submit(&group, 1);
        until("a job waits behind it", || group.stats().queued == 1).await;
        fake.gate.add_permits(100);
        for task in [doomed, queued] {
            assert!(matches!(
                task.await.unwrap(),
                Err(StoreError::Unavailable(m)) if m.contains("stopped")
            ));
        }
        until("the writer is seen dead", || !group.is_running()).await;
        assert!(matches!(
            group.submit(2).await,
            Err(StoreError::Unavailable(_))
        ));
        group.close().await;
    }

    /// Commits at once and makes each batch durable when its disk gate opens (or fails
    /// the sync for job 99), recording the batches it wrote.
    struct SlowDisk {
        disk: Arc<Semaphore>,
        written: Arc<Mutex<Vec<Vec<i64>>>>,
    }

    impl BatchWriter for SlowDisk {
        type Job = i64;
        type Done = i64;
        const NAME: &'static str = "slow disk";
        const BATCH_SIZE_METRIC: &'static str = "slow_disk_batch_size";

        async fn write(&self, jobs: Vec<i64>) -> Written<i64> {
            locked(&self.written).push(jobs.clone());
            let disk = self.disk.clone();
            let fails = jobs.contains(&99);
            Written {
                answers: jobs.iter().map(|n| Ok(n * 10)).collect(),
                one_by_one: false,
                durable: Durable::Syncing(Box::pin(async move {
                    disk.acquire().await.expect("disk").forget();
                    if fails {
                        return Err(StoreError::Unavailable("the sync failed".into()));
                    }
                    Ok(())
                })),
            }
        }
    }

    #[tokio::test]
    async fn callers_wait_for_their_sync_while_the_next_batch_is_written() {
        let disk = Arc::new(Semaphore::new(0));
        let written = Arc::new(Mutex::new(Vec::new()));
        let writer = SlowDisk {
            disk: disk.clone(),
            written: written.clone(),
        };
        let group = Arc::new(GroupCommit::start(writer, Batching::default()));
        let submit = |n: i64| {
            let group = group.clone();
            tokio::spawn(async move { group.submit(n).await })
        };
        let first = submit(1);
        until("the first batch is written", || locked(&written).len() == 1).await;
        let second = submit(2);
        until(
            "the second batch is written before the first is synced",
            || locked(&written).len() == 2,
        )
        .await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !first.is_finished() && !second.is_finished(),
            "nobody answered before a sync"
        );
        disk.add_permits(1);
        assert_eq!(first.await.unwrap().unwrap(), 10);
        disk.add_permits(1);
        assert_eq!(second.await.unwrap().unwrap(), 20);

        // A failed sync fails its whole batch, though the writer had answered each job.
        let doomed = submit(99);
        until("the doomed batch is written", || {
            locked(&written).len() == 3
        })
        .await;
        disk.add_permits(1);
        assert!(matches!(
            doomed.await.unwrap(),
            Err(StoreError::Unavailable(m)) if m == "the sync failed"
        ));

        // Closing waits for the syncs under way: no caller is dropped unanswered.
        let last = submit(3);
        until("the last batch is written", || locked(&written).len() == 4).await;
        let closing = {
            let group = group.clone();
            tokio::spawn(async move { group.close().await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!closing.is_finished(), "close waits for the sync");
        disk.add_permits(1);
        closing.await.unwrap();
        assert_eq!(last.await.unwrap().unwrap(), 30);
    }

    #[tokio::test]
    async fn lingering_gathers_jobs_that_arrive_soon_after() {
        let gate = Arc::new(Semaphore::new(100));
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let batching = Batching {
            max_batch: 8,
            linger: Duration::from_secs(30),
            writers: 1,
        };
        let fake = Fake {
            gate,
            sizes: sizes.clone(),
        };
        let group = Arc::new(GroupCommit::start(fake, batching));
        let mut jobs = vec![spawn_submit(&group, 0)];
        // Without lingering the first job would leave alone while the others are late.
        tokio::time::sleep(Duration::from_millis(50)).await;
        jobs.extend((1..8).map(|n| spawn_submit(&group, n)));
        for task in jobs {
            task.await.unwrap().unwrap();
        }
        // A full batch does not wait out the linger; the test would take 30 s otherwise.
        assert_eq!(*locked(&sizes), vec![8]);
        group.close().await;
    }
}
