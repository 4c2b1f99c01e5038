//! Closing a consultation at intake with a knowledge entry's answer (直接答复), and the
//! citation the ticket keeps.

use super::entry::{LiveEntry, local_day};
use super::lifecycle::KnowledgeError;
use crate::domain::{Disposition, RequestType, Timestamp, UnitCatalog};

const FIELD: &str = "answered_with_entry";

/// Whether `live` may close this request: a consultation whose proposed outcome is a
/// dispatch or a direct answer (never an emergency, a refusal, a hand-off or a merge),
/// with an entry valid today that covers the request's region. Answers the outcome.
pub fn answer(
    live: &LiveEntry,
    request_type: RequestType,
    region: &str,
    proposed: &Disposition,
    units: &UnitCatalog,
    now: Timestamp,
) -> Result<Disposition, KnowledgeError> {
    if request_type != RequestType::Consultation {
        return Err(KnowledgeError::Precondition(format!(
            "{FIELD}: a direct answer closes consultations only; this request is a {request_type}"
        )));
    }
    if !matches!(
        proposed,
        Disposition::Dispatch { .. } | Disposition::AnswerDirectly { .. }
    ) {
        return Err(KnowledgeError::Precondition(format!(
            "{FIELD}: the request's outcome is {}, which an answer cannot replace",
            proposed.code()
        )));
    }
    let today = local_day(now);
    if !live.content.is_valid_on(today) {
        return Err(KnowledgeError::Precondition(format!(
            "{FIELD}: entry {} is not valid on {today}",
            live.id
        )));
    }
    if !live.content.covers(region, units) {
        return Err(KnowledgeError::Precondition(format!(
            "{FIELD}: entry {} answers for region {}, not {region}",
            live.id, live.content.region
        )));
    }
    Ok(Disposition::AnswerDirectly {
        answer: live.content.answer.clone(),
    })
}
