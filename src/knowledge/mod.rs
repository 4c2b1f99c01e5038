//! 知识库: the answers agents read to callers. Each unit maintains its own entries, the
//! centre approves them, and every change is a new version kept for good.
//!
//! [`entry`] and [`lifecycle`] are the pure core (data, validation, the draft → pending →
//! published → retired life cycle, staleness, what may answer a consultation); [`index`]
//! is the Chinese-aware full-text search (tantivy with a jieba tokenizer) over the
//! published entries; [`csv_file`] reads and writes the import/export format.

pub mod citation;
pub mod csv_file;
pub mod entry;
pub mod index;
pub mod lifecycle;

pub use entry::{Content, Entry, EntryId, EntryStatus, LiveEntry, Version};
pub use lifecycle::{Change, KbCommand, KnowledgeError};
