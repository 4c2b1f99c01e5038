//! The three rates (三率) of domain.md §6, from counts the store aggregates.
//!
//! - response rate   = responded within the window ÷ dispatched to the unit
//! - resolution rate = callbacks answering "resolved" ÷ callbacks in scope
//! - satisfaction    = (满意 + w × 基本满意) ÷ callbacks in scope
//!
//! A declined callback (refused, unreachable) is outside the scope: it never counts as
//! dissatisfied. A rate with an empty denominator is `None`, not zero.

use serde::{Deserialize, Serialize};

/// Raw counts for one group (unit, region or category) over one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateCounts {
    pub dispatched: u64,
    pub responded_in_time: u64,
    /// Every callback recorded, declined ones included.
    pub callbacks: u64,
    pub declined: u64,
    pub resolved: u64,
    pub satisfied: u64,
    pub basically_satisfied: u64,
    pub dissatisfied: u64,
}

impl RateCounts {
    pub fn callbacks_in_scope(&self) -> u64 {
        self.callbacks.saturating_sub(self.declined)
    }
}

/// Configurable parts of the formulas.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RateWeights {
    /// Weight of 基本满意 in the satisfaction rate (1.0 by default; some regions use 0.8 or 0).
    pub basically_satisfied: f64,
}

impl Default for RateWeights {
    fn default() -> Self {
        Self {
            basically_satisfied: 1.0,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    pub response: Option<f64>,
    pub resolution: Option<f64>,
    pub satisfaction: Option<f64>,
}

fn ratio(numerator: f64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator / denominator as f64)
}

pub fn compute(counts: &RateCounts, weights: RateWeights) -> Rates {
    let in_scope = counts.callbacks_in_scope();
    Rates {
        response: ratio(counts.responded_in_time as f64, counts.dispatched),
        resolution: ratio(counts.resolved as f64, in_scope),
        satisfaction: ratio(
            counts.satisfied as f64
                + weights.basically_satisfied * counts.basically_satisfied as f64,
            in_scope,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts() -> RateCounts {
        RateCounts {
            dispatched: 10,
            responded_in_time: 8,
            callbacks: 6,
            declined: 1,
            resolved: 4,
            satisfied: 2,
            basically_satisfied: 2,
            dissatisfied: 1,
        }
    }

    #[test]
    fn formulas_match_hand_computation() {
        let rates = compute(&counts(), RateWeights::default());
        assert_eq!(rates.response, Some(0.8));
        assert_eq!(rates.resolution, Some(4.0 / 5.0));
        assert_eq!(rates.satisfaction, Some(4.0 / 5.0));
    }

    #[test]
    fn basically_satisfied_weight_is_applied() {
        let rates = compute(
            &counts(),
            RateWeights {
                basically_satisfied: 0.8,
            },
        );
        assert_eq!(rates.satisfaction, Some((2.0 + 1.6) / 5.0));
    }

    #[test]
    fn declined_callbacks_are_out_of_scope_not_dissatisfied() {
        let only_declined = RateCounts {
            callbacks: 3,
            declined: 3,
            ..Default::default()
        };
        let rates = compute(&only_declined, RateWeights::default());
        assert_eq!(rates.satisfaction, None);
        assert_eq!(rates.resolution, None);
    }

    #[test]
    fn empty_denominators_give_none() {
        assert_eq!(
            compute(&RateCounts::default(), RateWeights::default()),
            Rates::default()
        );
    }
}
