//! The operations of the mixed scenario and how often each comes: a centre's day in
//! miniature (see `--scenario mixed` in `--help`).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// An agent takes a request (CreateTicket).
    Intake,
    /// A back-office takes its next step: pull, or sign/respond/handle/reply a pulled ticket.
    BackOffice,
    /// The centre reviews a reply, or records the callback of a reviewed one.
    Callback,
    /// Someone looks a ticket up (GetTicket, with its history half of the time).
    GetTicket,
    /// A supervisor reads this month's rates by unit (GetRates).
    GetRates,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Intake => "intake",
            Op::BackOffice => "back_office",
            Op::Callback => "callback",
            Op::GetTicket => "get_ticket",
            Op::GetRates => "get_rates",
        }
    }
}

/// Percent of operations of each kind; the shares of `--help`.
pub const MIX: &[(Op, u32)] = &[
    (Op::Intake, 40),
    (Op::BackOffice, 30),
    (Op::Callback, 10),
    (Op::GetTicket, 15),
    (Op::GetRates, 5),
];

/// The operation for a roll in 0..100.
pub fn pick(roll: u32) -> Op {
    let mut rest = roll % 100;
    for (op, percent) in MIX {
        if rest < *percent {
            return *op;
        }
        rest -= percent;
    }
    unreachable!("the shares add up to 100")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn every_roll_lands_on_its_share() {
        assert_eq!(MIX.iter().map(|(_, p)| p).sum::<u32>(), 100);
        let mut seen: HashMap<Op, u32> = HashMap::new();
        for roll in 0..100 {
            *seen.entry(pick(roll)).or_default() += 1;
        }
        for (op, percent) in MIX {
            assert_eq!(seen[op], *percent, "{op:?}");
        }
        assert_eq!(pick(0), Op::Intake);
        assert_eq!(pick(39), Op::Intake);
        assert_eq!(pick(40), Op::BackOffice);
        assert_eq!(pick(99), Op::GetRates);
    }
}
