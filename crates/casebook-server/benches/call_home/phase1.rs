//! Phase 1 of the call-home benchmark: every device sends its first batches at once, new events and
//! their duplicates timed apart; then what was kept is checked against what was answered.

use super::*;

/// What the tasks of phase 1 measured.
pub(crate) struct Phase1 {
    pub(crate) new: Histogram<u64>,
    pub(crate) dup: Histogram<u64>,
    pub(crate) new_events: usize,
    pub(crate) dup_events: usize,
    pub(crate) outcomes: BTreeMap<String, usize>,
}

impl Phase1 {
    fn new() -> Self {
        Phase1 {
            new: Histogram::new(3).unwrap(),
            dup: Histogram::new(3).unwrap(),
            new_events: 0,
            dup_events: 0,
            outcomes: BTreeMap::new(),
        }
    }

    fn add(&mut self, other: Phase1) {
        self.new.add(other.new).unwrap();
        self.dup.add(other.dup).unwrap();
        self.new_events += other.new_events;
        self.dup_events += other.dup_events;
        for (outcome, n) in other.outcomes {
            *self.outcomes.entry(outcome).or_default() += n;
        }
    }
}

/// Phase 1: task `t` sends with the key of gateway `t % senders.len()`.
pub(crate) async fn phase1(
    senders: &[Sender],
    batches: Arc<Vec<Batch>>,
    tasks: usize,
    cap: Duration,
) -> (Phase1, f64) {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..tasks)
        .map(|t| {
            let sender = senders[t % senders.len()].clone();
            let (batches, next) = (batches.clone(), next.clone());
            tokio::spawn(async move {
                let mut done = Phase1::new();
                while started.elapsed() < cap {
                    let b = next.fetch_add(1, Ordering::Relaxed);
                    let Some(batch) = batches.get(b) else { break };
                    let (took, answer) = sender.send(&batch.body).await;
                    done.new.record(took.as_micros() as u64).unwrap();
                    let n = batch.expected.len();
                    assert_eq!((answer.accepted, answer.duplicates), (n, 0), "batch {b}");
                    for (i, (r, expected)) in answer.results.iter().zip(&batch.expected).enumerate()
                    {
                        assert_eq!(
                            (r.outcome.as_str(), r.duplicate),
                            (*expected, false),
                            "batch {b} event {i}"
                        );
                        *done.outcomes.entry(r.outcome.clone()).or_default() += 1;
                    }
                    done.new_events += n;
                    // Every tenth batch again, as a gateway does that got no answer in time.
                    if b % 10 == 9 {
                        let (took, answer) = sender.send(&batch.body).await;
                        done.dup.record(took.as_micros() as u64).unwrap();
                        assert_eq!(
                            (answer.accepted, answer.duplicates),
                            (0, n),
                            "batch {b} again"
                        );
                        for (r, expected) in answer.results.iter().zip(&batch.expected) {
                            assert_eq!((r.outcome.as_str(), r.duplicate), (*expected, true));
                        }
                        done.dup_events += n;
                    }
                }
                done
            })
        })
        .collect();
    let mut all = Phase1::new();
    for worker in workers {
        all.add(worker.await.unwrap());
    }
    (all, started.elapsed().as_secs_f64())
}

/// Checks what the database kept after phase 1: one row per event, the outcomes as answered,
/// and each case's occurrences (its opening fault and every fault correlated into it).
pub(crate) async fn check_kept(app: &App, org: OrganizationId, devices: usize, done: &Phase1) {
    let mut db = app.store.read().await.unwrap();
    let events = call_home_read::events(&mut db, org).await.unwrap();
    assert_eq!(events.len(), devices + done.new_events, "one row per event");
    let mut kept: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_case: BTreeMap<CaseId, i64> = BTreeMap::new();
    for e in &events {
        *kept.entry(e.outcome.clone()).or_default() += 1;
        if let (Some(case), "case_opened" | "correlated") = (e.case_id, e.outcome.as_str()) {
            *per_case.entry(case).or_default() += 1;
        }
    }
    let mut answered = done.outcomes.clone();
    *answered.entry("case_opened".into()).or_default() += devices;
    assert_eq!(kept, answered, "the outcomes kept are those answered");
    assert_eq!(per_case.len(), devices, "one case per device");
    for (case, faults) in per_case {
        let fault = call_home::fault_of(&mut db, case).await.unwrap().unwrap();
        assert_eq!(fault.occurrences, faults, "occurrences of case {case:?}");
    }
}
