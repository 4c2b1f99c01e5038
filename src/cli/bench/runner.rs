//! The measured run: one task per client, each calling until the clock runs out, the
//! call budget is spent or its scenario has nothing left to do; a progress bar meanwhile.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::progress;
use super::record::Record;

/// Whether a client goes on after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Nothing left to do (a drained backlog): this client stops early.
    Done,
}

/// One client of a scenario. A step is one call, so the clock and the budget are checked
/// between calls.
pub trait Client: Send + 'static {
    fn step(&mut self, record: &mut Record) -> impl Future<Output = Flow> + Send;
}

/// When the run stops.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub duration: Duration,
    /// Calls in all, across clients.
    pub requests: Option<u64>,
    /// Calls per second across all clients; `None`: as fast as answers come.
    pub rate: Option<f64>,
    pub progress: bool,
}

/// Each client's pace for `rate` calls per second shared by `clients`, and the offset of
/// client `index`, so that the clients' calls interleave instead of arriving together.
fn pace(rate: f64, clients: usize, index: usize) -> (Duration, Duration) {
    let period = Duration::from_secs_f64(clients as f64 / rate);
    (period, period.mul_f64(index as f64 / clients as f64))
}

/// The clients back (with what they kept), everything they recorded, and how long the run
/// took from the first call to the last answer.
pub struct Finished<C> {
    pub clients: Vec<C>,
    pub record: Record,
    pub elapsed: Duration,
}

pub async fn run<C: Client>(clients: Vec<C>, limits: Limits) -> anyhow::Result<Finished<C>> {
    let calls = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let issued = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + limits.duration;

    let count = clients.len();
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(index, mut client)| {
            let (calls, errors, issued) = (calls.clone(), errors.clone(), issued.clone());
            let mut pacer = limits.rate.map(|rate| {
                let (period, offset) = pace(rate, count, index);
                let mut ticks = tokio::time::interval_at((started + offset).into(), period);
                // Late answers are caught up at once: the offered load stays the rate.
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                ticks
            });
            tokio::spawn(async move {
                let mut record = Record::default();
                loop {
                    if let Some(pacer) = pacer.as_mut() {
                        pacer.tick().await;
                    }
                    if Instant::now() >= deadline {
                        break;
                    }
                    if let Some(budget) = limits.requests
                        && issued.fetch_add(1, Ordering::Relaxed) >= budget
                    {
                        break;
                    }
                    let (calls_before, errors_before) = record.totals();
                    let flow = client.step(&mut record).await;
                    let (calls_after, errors_after) = record.totals();
                    calls.fetch_add(calls_after - calls_before, Ordering::Relaxed);
                    errors.fetch_add(errors_after - errors_before, Ordering::Relaxed);
                    if flow == Flow::Done {
                        break;
                    }
                }
                (client, record, started.elapsed())
            })
        })
        .collect();

    let bar = progress::bar(
        limits.duration.as_millis() as u64,
        limits.progress,
        progress::CLOCK,
    );
    let ticker = {
        let (bar, calls, errors) = (bar.clone(), calls.clone(), errors.clone());
        let total = humantime::format_duration(Duration::from_secs(limits.duration.as_secs()));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            loop {
                tick.tick().await;
                let elapsed = started.elapsed();
                bar.set_position(elapsed.as_millis() as u64);
                bar.set_prefix(format!("{}s/{total}", elapsed.as_secs()));
                let done = calls.load(Ordering::Relaxed);
                bar.set_message(format!(
                    "{done} calls, {} errors, {:.0}/s",
                    errors.load(Ordering::Relaxed),
                    done as f64 / elapsed.as_secs_f64().max(0.001)
                ));
            }
        })
    };

    let mut finished = Finished {
        clients: Vec::with_capacity(tasks.len()),
        record: Record::default(),
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let (client, record, elapsed) = task.await.context("a load client panicked")?;
        finished.clients.push(client);
        finished.record.merge(&record);
        finished.elapsed = finished.elapsed.max(elapsed);
    }
    ticker.abort();
    bar.finish_and_clear();
    Ok(finished)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts its steps; done after `stop_after` of them, if set.
    struct Counter {
        steps: u64,
        stop_after: Option<u64>,
    }

    impl Client for Counter {
        async fn step(&mut self, record: &mut Record) -> Flow {
            self.steps += 1;
            record.call("Step", Instant::now(), Ok(tonic::Response::new(())));
            tokio::task::yield_now().await;
            match self.stop_after {
                Some(n) if self.steps >= n => Flow::Done,
                _ => Flow::Continue,
            }
        }
    }

    fn limits(duration: Duration, requests: Option<u64>) -> Limits {
        Limits {
            duration,
            requests,
            rate: None,
            progress: false,
        }
    }

    #[test]
    fn paced_clients_share_the_rate_and_interleave() {
        let (period, first) = pace(2_000.0, 4, 0);
        assert_eq!(period, Duration::from_millis(2));
        assert_eq!(first, Duration::ZERO);
        assert_eq!(pace(2_000.0, 4, 3).1, Duration::from_micros(1_500));
    }

    #[tokio::test]
    async fn a_paced_run_makes_the_rate_of_calls() {
        let clients = (0..4)
            .map(|_| Counter {
                steps: 0,
                stop_after: None,
            })
            .collect();
        let limits = Limits {
            rate: Some(200.0),
            ..limits(Duration::from_millis(500), None)
        };
        let done = run(clients, limits).await.unwrap();
        // 200 calls a second for half a second: 25 ticks per client at most; a stalled
        // runtime catches up rather than calling less.
        let calls = done.record.totals().0;
        assert!((90..=104).contains(&calls), "{calls} calls");
    }

    #[tokio::test]
    async fn the_call_budget_is_shared_by_all_clients() {
        let clients = (0..4)
            .map(|_| Counter {
                steps: 0,
                stop_after: None,
            })
            .collect();
        let done = run(clients, limits(Duration::from_secs(60), Some(100)))
            .await
            .unwrap();
        assert_eq!(done.record.totals(), (100, 0));
        assert_eq!(done.clients.iter().map(|c| c.steps).sum::<u64>(), 100);
    }

    #[tokio::test]
    async fn clients_stop_when_done_or_when_the_clock_runs_out() {
        let clients = vec![
            Counter {
                steps: 0,
                stop_after: Some(3),
            },
            Counter {
                steps: 0,
                stop_after: Some(5),
            },
        ];
        let done = run(clients, limits(Duration::from_secs(60), None))
            .await
            .unwrap();
        assert_eq!(done.record.totals().0, 8);

        let endless = vec![Counter {
            steps: 0,
            stop_after: None,
        }];
        let done = run(endless, limits(Duration::from_millis(50), None))
            .await
            .unwrap();
        assert!(done.elapsed >= Duration::from_millis(50));
        assert!(done.record.totals().0 > 0);
    }
}
