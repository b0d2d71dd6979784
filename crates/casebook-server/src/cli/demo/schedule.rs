//! When the demo's cases open and how far each gets, counted back from the moment the demo is
//! loaded, so that its queues look like a working desk's on whatever day it runs: most cases
//! closed over the last six months, those waiting for the customer or a confirmation opened in
//! the last days (their clocks pause), the open ones mostly of the last hours and within their
//! targets, with progress updates posted, a few near their deadlines, and three left without an
//! update for a week, which are breached.

use casebook_domain::Status;
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::problems::Pace;

const HOUR: i64 = 60;
const DAY: i64 = 24 * HOUR;

/// What happens at one moment of the demo's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// The `n`th case opens and is played to `target` at `pace`.
    Open {
        n: usize,
        target: Status,
        pace: Pace,
    },
    /// The engineer of the `n`th case posts a progress update.
    Update { n: usize },
}

/// The demo's history: steps with how many minutes before now each happens, oldest first.
pub(super) fn schedule(rng: &mut StdRng) -> Vec<(i64, Step)> {
    // (target, how many, opened between these many minutes ago, pace)
    let mix: [(Status, usize, (i64, i64), Pace); 8] = [
        (Status::Closed, 70, (3 * DAY, 182 * DAY), 300),
        (Status::Cancelled, 6, (3 * DAY, 182 * DAY), 300),
        (Status::SolutionProposed, 8, (DAY, 6 * DAY), 200),
        (Status::AwaitingCustomer, 8, (DAY, 6 * DAY), 200),
        // Forgotten for a week: breached.
        (Status::InProgress, 3, (5 * DAY, 8 * DAY), 100),
        (Status::InProgress, 11, (HOUR, 20 * HOUR), 20),
        (Status::Assigned, 6, (20, 100), 20),
        (Status::New, 6, (5, 60), 20),
    ];
    let mut opens: Vec<(i64, Status, Pace)> = Vec::new();
    for (target, count, (from, to), pace) in mix {
        for _ in 0..count {
            opens.push((rng.random_range(from..=to), target, pace));
        }
    }
    // Which case is which (its organisation and problem) does not follow its age.
    opens.shuffle(rng);
    let mut steps = Vec::new();
    for (n, (ago, target, pace)) in opens.into_iter().enumerate() {
        steps.push((ago, Step::Open { n, target, pace }));
        // Recent cases in progress had their progress reported within the last three hours.
        if target == Status::InProgress && pace < 100 && ago > 3 * HOUR {
            let update = rng.random_range(15..=(ago - HOUR).min(170));
            steps.push((update, Step::Update { n }));
        }
    }
    steps.sort_by_key(|(ago, _)| std::cmp::Reverse(*ago));
    steps
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn six_months_of_cases_oldest_first_updates_after_their_case() {
        let steps = schedule(&mut StdRng::seed_from_u64(7));
        let opened: Vec<usize> = steps
            .iter()
            .filter_map(|(_, s)| match s {
                Step::Open { n, .. } => Some(*n),
                Step::Update { .. } => None,
            })
            .collect();
        assert_eq!(opened.len(), 118);
        assert!(
            steps[0].0 > 150 * DAY,
            "the oldest case is five months old or more"
        );
        assert!(steps.windows(2).all(|w| w[0].0 >= w[1].0), "oldest first");
        for (k, (_, step)) in steps.iter().enumerate() {
            if let Step::Update { n } = step {
                let open = steps
                    .iter()
                    .position(|(_, s)| matches!(s, Step::Open { n: m, .. } if m == n));
                assert!(open.is_some_and(|o| o < k), "update of {n} after it opened");
            }
        }
        let new_ones = steps
            .iter()
            .filter(|(ago, s)| {
                matches!(
                    s,
                    Step::Open {
                        target: Status::New,
                        ..
                    }
                ) && *ago <= 60
            })
            .count();
        assert_eq!(new_ones, 6, "new cases are of the last hour");
    }
}
