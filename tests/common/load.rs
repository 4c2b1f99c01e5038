//! Sustained load on a daemon over gRPC — agents creating tickets, back-offices pulling
//! and working them — with a ledger of what each client was told: the acknowledged
//! creates and transitions, and every failure with its status and how long it took.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hotline::auth::client::AuthedChannel as Channel;
use hotline::proto::intake_service_client::IntakeServiceClient;
use hotline::proto::{self, dispatch_service_client::DispatchServiceClient};
use tokio::task::JoinHandle;
use tonic::{Code, Status};

use super::server::{actor, command, new_request};

/// A create the daemon acknowledged.
#[derive(Debug, Clone)]
pub struct Created {
    pub request_id: String,
    pub unit: &'static str,
    pub ticket_id: i64,
    pub sent: Instant,
    pub answered: Instant,
}

/// A state command the daemon acknowledged: the ticket is at `version` after `command`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub ticket_id: i64,
    pub version: i64,
    pub command: &'static str,
}

/// A ticket PullAssigned leased to `worker`.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub ticket_id: i64,
    pub worker: String,
}

#[derive(Debug, Clone)]
pub struct Failure {
    pub rpc: &'static str,
    pub code: Code,
    pub message: String,
    pub took: Duration,
    pub sent: Instant,
}

#[derive(Debug, Default)]
pub struct Ledger {
    pub created: Vec<Created>,
    pub transitions: Vec<Transition>,
    pub pulls: Vec<Pulled>,
    pub failures: Vec<Failure>,
}

/// What a client does when a call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Stop: the daemon is going away (killed or shutting down).
    Stop,
    /// Carry on: the daemon stays, the database may come back.
    KeepGoing,
}

pub struct Load {
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
    ledger: Arc<Mutex<Ledger>>,
    /// How long a back-office worker waits after a pull that found nothing.
    idle_pause: Duration,
    /// Workers started so far: each has a name of its own, whichever daemon it uses.
    workers: usize,
}

impl Default for Load {
    fn default() -> Self {
        Load {
            stop: Arc::new(AtomicBool::new(false)),
            tasks: Vec::new(),
            ledger: Arc::new(Mutex::new(Ledger::default())),
            idle_pause: Duration::from_millis(20),
            workers: 0,
        }
    }
}

struct Client {
    stop: Arc<AtomicBool>,
    ledger: Arc<Mutex<Ledger>>,
    on_error: OnError,
}

impl Client {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Records a failure; answers whether to go on.
    fn failed(&self, rpc: &'static str, status: Status, sent: Instant) -> bool {
        self.ledger.lock().unwrap().failures.push(Failure {
            rpc,
            code: status.code(),
            message: status.message().to_string(),
            took: sent.elapsed(),
            sent,
        });
        self.on_error == OnError::KeepGoing
    }

    async fn pause_after_failure(&self) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Load {
    /// Workers started from now on wait `pause` after an empty pull: many workers on a
    /// small machine would otherwise spend it all polling.
    pub fn set_idle_pause(&mut self, pause: Duration) {
        self.idle_pause = pause;
    }

    /// `clients` agents creating tickets for `unit` in a loop, request ids `{tag}-{n}-{i}`.
    pub fn intake(
        &mut self,
        channel: &Channel,
        clients: usize,
        unit: &'static str,
        tag: &str,
        on_error: OnError,
    ) {
        for n in 0..clients {
            let client = self.client(on_error);
            let mut intake = IntakeServiceClient::new(channel.clone());
            let prefix = format!("{tag}-{n}");
            self.tasks.push(tokio::spawn(async move {
                for i in 0.. {
                    if client.stopped() {
                        return;
                    }
                    let request_id = format!("{prefix}-{i}");
                    let sent = Instant::now();
                    match intake
                        .create_ticket(new_request(&request_id, Some(unit)))
                        .await
                    {
                        Ok(response) => {
                            let ticket = response.into_inner().ticket.expect("a ticket");
                            client.ledger.lock().unwrap().created.push(Created {
                                request_id,
                                unit,
                                ticket_id: ticket.id,
                                sent,
                                answered: Instant::now(),
                            });
                        }
                        Err(status) => {
                            if !client.failed("create", status, sent) {
                                return;
                            }
                            client.pause_after_failure().await;
                        }
                    }
                }
            }));
        }
    }

    /// `workers` back-office clerks of `unit`, each pulling a few tickets at a time and
    /// taking every one through sign → respond → handle → reply.
    pub fn back_office(
        &mut self,
        channel: &Channel,
        workers: usize,
        unit: &'static str,
        on_error: OnError,
    ) {
        for _ in 0..workers {
            let client = self.client(on_error);
            let mut dispatch = DispatchServiceClient::new(channel.clone());
            let worker = format!("{unit}-worker-{}", self.workers);
            self.workers += 1;
            let idle_pause = self.idle_pause;
            self.tasks.push(tokio::spawn(async move {
                while !client.stopped() {
                    let sent = Instant::now();
                    let pulled = dispatch
                        .pull_assigned(proto::PullAssignedRequest {
                            unit: unit.into(),
                            worker: worker.clone(),
                            max_tickets: 5,
                            lease_seconds: 60,
                        })
                        .await;
                    let tickets = match pulled {
                        Ok(response) => response.into_inner().tickets,
                        Err(status) => {
                            if !client.failed("pull", status, sent) {
                                return;
                            }
                            client.pause_after_failure().await;
                            continue;
                        }
                    };
                    if tickets.is_empty() {
                        tokio::time::sleep(idle_pause).await;
                    }
                    client
                        .ledger
                        .lock()
                        .unwrap()
                        .pulls
                        .extend(tickets.iter().map(|t| Pulled {
                            ticket_id: t.id,
                            worker: worker.clone(),
                        }));
                    for ticket in tickets {
                        if !work(&mut dispatch, &client, ticket, unit).await {
                            return;
                        }
                    }
                }
            }));
        }
    }

    fn client(&self, on_error: OnError) -> Client {
        Client {
            stop: self.stop.clone(),
            ledger: self.ledger.clone(),
            on_error,
        }
    }

    /// A look at the ledger so far: (acknowledged creates, acknowledged transitions).
    pub fn progress(&self) -> (usize, usize) {
        let ledger = self.ledger.lock().unwrap();
        (ledger.created.len(), ledger.transitions.len())
    }

    /// Waits until at least `creates` and `transitions` were acknowledged; panics after
    /// `limit` with what was reached and the failures so far.
    pub async fn await_progress(&self, creates: usize, transitions: usize, limit: Duration) {
        let started = Instant::now();
        loop {
            let (c, t) = self.progress();
            if c >= creates && t >= transitions {
                return;
            }
            if started.elapsed() > limit {
                let failures = self.ledger.lock().unwrap().failures.clone();
                panic!(
                    "after {limit:?}: {c} creates and {t} transitions acknowledged, wanted \
                     {creates} and {transitions}; failures: {failures:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the clients (a call under way finishes first) and returns the ledger.
    pub async fn finish(self, limit: Duration) -> Ledger {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            tokio::time::timeout(limit, task)
                .await
                .expect("a load client did not stop in time")
                .expect("a load client panicked");
        }
        std::mem::take(&mut *self.ledger.lock().unwrap())
    }
}

/// Takes one pulled ticket through the unit's steps; false when the client should stop.
async fn work(
    dispatch: &mut DispatchServiceClient<Channel>,
    client: &Client,
    mut ticket: proto::Ticket,
    unit: &'static str,
) -> bool {
    for step in ["sign", "respond", "handle", "reply"] {
        if client.stopped() {
            return true;
        }
        let sent = Instant::now();
        let answer = match step {
            "sign" => dispatch.sign(command(&ticket, unit, "")).await,
            "respond" => {
                dispatch
                    .respond(command(&ticket, unit, "已联系来电人"))
                    .await
            }
            "handle" => dispatch.handle(command(&ticket, unit, "已安排处理")).await,
            _ => {
                dispatch
                    .reply(proto::ReplyRequest {
                        ticket_id: ticket.id,
                        expected_version: ticket.version,
                        actor: actor(unit, "clerk-1"),
                        reply: "已处理完毕，情况已告知来电人。".into(),
                    })
                    .await
            }
        };
        match answer {
            Ok(response) => {
                ticket = response.into_inner().ticket.expect("a ticket");
                client.ledger.lock().unwrap().transitions.push(Transition {
                    ticket_id: ticket.id,
                    version: ticket.version,
                    command: step,
                });
            }
            Err(status) => {
                let go_on = client.failed(step, status, sent);
                if go_on {
                    client.pause_after_failure().await;
                }
                return go_on;
            }
        }
    }
    true
}
