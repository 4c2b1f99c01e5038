//! `--json` output: response messages in the canonical protobuf JSON mapping, the one
//! grpcurl prints (enum names, RFC 3339 timestamps, camelCase fields, 64-bit integers as
//! strings), read from the API's own descriptors.

use std::sync::OnceLock;

use anyhow::Context as _;
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage};

use crate::proto;

/// Descriptors of every message and enum of `proto/hotline/v1`, decoded once.
pub fn descriptor_pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(proto::FILE_DESCRIPTOR_SET)
            .expect("the build embeds a valid descriptor set")
    })
}

/// A response message the CLI prints, with its full protobuf name.
pub trait ApiMessage: Message {
    const FULL_NAME: &'static str;
}

macro_rules! api_messages {
    ($($name:ident),+ $(,)?) => {
        $(impl ApiMessage for proto::$name {
            const FULL_NAME: &'static str = concat!("hotline.v1.", stringify!($name));
        })+

        #[cfg(test)]
        const API_MESSAGE_NAMES: &[&str] = &[$(<proto::$name as ApiMessage>::FULL_NAME),+];
    };
}

api_messages!(
    TicketResponse,
    CreateTicketResponse,
    SearchTicketsResponse,
    PullAssignedResponse,
    Assignment,
    ReloadRulesResponse,
    GetRatesResponse,
    ListOverdueResponse,
    GetSupervisionSummaryResponse,
    ReportCallLegsResponse,
    GetCallStatsResponse,
    ListMissedCallsResponse,
    RecordMissedCallbackResponse,
    ListCallbackTasksResponse,
    EntryResponse,
    ListEntriesResponse,
    SearchEntriesResponse,
    ListStaleResponse,
    GetAssessmentResponse,
    ListHandOffsResponse,
);

fn dynamic<M: ApiMessage>(message: &M) -> anyhow::Result<DynamicMessage> {
    let descriptor = descriptor_pool()
        .get_message_by_name(M::FULL_NAME)
        .with_context(|| format!("{} is not in the API descriptors", M::FULL_NAME))?;
    DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())
        .with_context(|| format!("re-decoding {}", M::FULL_NAME))
}

/// One indented JSON document.
pub fn document<M: ApiMessage>(message: &M) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&dynamic(message)?)?)
}

/// One JSON object on a single line, for streams.
pub fn line<M: ApiMessage>(message: &M) -> anyhow::Result<String> {
    Ok(serde_json::to_string(&dynamic(message)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_printed_message_is_in_the_descriptors() {
        for name in API_MESSAGE_NAMES {
            assert!(
                descriptor_pool().get_message_by_name(name).is_some(),
                "{name}"
            );
        }
    }

    #[test]
    fn canonical_mapping() {
        let response = proto::TicketResponse {
            ticket: Some(proto::Ticket {
                id: 7,
                state: proto::TicketState::InProgress as i32,
                assigned_unit: "water-co".into(),
                created_at: Some(prost_types::Timestamp {
                    seconds: 1_700_000_000,
                    nanos: 0,
                }),
                ..Default::default()
            }),
        };
        let json: serde_json::Value = serde_json::from_str(&document(&response).unwrap()).unwrap();
        let ticket = &json["ticket"];
        assert_eq!(ticket["id"], "7");
        assert_eq!(ticket["state"], "TICKET_STATE_IN_PROGRESS");
        assert_eq!(ticket["assignedUnit"], "water-co");
        assert_eq!(ticket["createdAt"], "2023-11-14T22:13:20Z");
    }
}
