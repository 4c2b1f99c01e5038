//! Full-text search over the published entries: a tantivy index in RAM whose text fields
//! are cut into words by jieba (Chinese word segmentation, search mode: 社保卡 is also
//! indexed as 社保), after the classifier's normaliser has folded traditional characters,
//! full-width forms and case. So 「社保卡補辦」, 「ｅｔｃ」 or a question in other words
//! find the entry, where a LIKE query or a whitespace tokenizer would not.
//!
//! The database is the source of truth: a [`Snapshot`] is built from the live entries and
//! swapped in whole (building one for thousands of entries takes milliseconds), at start,
//! after every publish or retire on this replica, and whenever another replica's change
//! shows in the store (see `service::knowledge`). Searches never wait for a rebuild.

use std::collections::{BTreeSet, HashMap};

use arc_swap::ArcSwap;
use chrono::NaiveDate;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::{SnippetGenerator, collapse_overlapped_ranges};
use tantivy::tokenizer::{LowerCaser, TextAnalyzer};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

use super::entry::{EntryId, LiveEntry};
use crate::classify::normalize::normalize;
use crate::domain::UnitCatalog;

const TOKENIZER: &str = "jieba";
/// Question words weigh most, then the owner's keywords, then the answer's.
const BOOST_QUESTION: f32 = 3.0;
const BOOST_KEYWORDS: f32 = 2.0;
const BOOST_ANSWER: f32 = 1.0;
const SNIPPET_CHARS: usize = 80;
/// The smallest indexing budget tantivy accepts; entries are small.
const WRITER_BYTES: usize = 15_000_000;

/// What to look for; `region` and `category` empty mean any.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery<'a> {
    pub text: &'a str,
    pub region: &'a str,
    pub category: &'a str,
    pub limit: usize,
}

/// One entry found, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub entry: LiveEntry,
    pub score: f32,
    /// A piece of the answer with the matched words in 【】.
    pub snippet: String,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    question: Field,
    keywords: Field,
    answer: Field,
}

/// An immutable index of one set of live entries.
pub struct Snapshot {
    reader: IndexReader,
    fields: Fields,
    entries: HashMap<EntryId, LiveEntry>,
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(tantivy_jieba::JiebaTokenizer::new())
        .filter(LowerCaser)
        .build()
}

fn schema() -> (Schema, Fields) {
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let mut builder = Schema::builder();
    let fields = Fields {
        id: builder.add_u64_field("id", STORED),
        question: builder.add_text_field("question", text.clone()),
        keywords: builder.add_text_field("keywords", text.clone()),
        answer: builder.add_text_field("answer", text | STORED),
    };
    (builder.build(), fields)
}

/// Question words and particles every caller says («请问…怎么…呢»): as search terms they
/// would rank every entry phrased as a question.
const FILLER_WORDS: &[&str] = &[
    "请问",
    "怎么",
    "怎么办",
    "怎么样",
    "怎样",
    "如何",
    "什么",
    "哪里",
    "哪儿",
    "哪",
    "哪些",
    "为什么",
    "多少",
    "是否",
    "能否",
    "可以",
    "能",
    "要",
    "想",
    "问",
    "问问",
    "一下",
    "我",
    "我们",
    "你",
    "你们",
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "是",
    "在",
    "有",
    "和",
    "还",
    "去",
    "就",
    "都",
    "也",
    "这",
    "那",
    "个",
    "给",
    "被",
    "把",
    "让",
];

/// The words a text is searched by: normalised, cut by jieba, without filler words and
/// duplicates.
pub fn words(text: &str) -> Vec<String> {
    let normalized = normalize(text);
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(normalized.as_str());
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        let word = token.text.trim();
        // Punctuation and spaces carry no meaning for the search.
        if word.chars().any(char::is_alphanumeric)
            && !FILLER_WORDS.contains(&word)
            && seen.insert(word.to_string())
        {
            out.push(word.to_string());
        }
    }
    out
}

impl Snapshot {
    pub fn build(entries: Vec<LiveEntry>) -> tantivy::Result<Self> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        index.tokenizers().register(TOKENIZER, analyzer());
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, WRITER_BYTES)?;
        for entry in &entries {
            let mut doc = TantivyDocument::default();
            doc.add_u64(fields.id, entry.id as u64);
            doc.add_text(fields.question, normalize(&entry.content.question).as_str());
            doc.add_text(
                fields.keywords,
                normalize(&entry.content.keywords.join(" ")).as_str(),
            );
            doc.add_text(fields.answer, normalize(&entry.content.answer).as_str());
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Snapshot {
            reader,
            fields,
            entries: entries.into_iter().map(|e| (e.id, e)).collect(),
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries that answer `query` in `region` on `today`, best first. Region,
    /// category and validity are checked on the matches: a knowledge base is small
    /// enough for every match to be scored.
    pub fn search(
        &self,
        query: &SearchQuery,
        today: NaiveDate,
        units: &UnitCatalog,
    ) -> tantivy::Result<Vec<Hit>> {
        let words = words(query.text);
        if words.is_empty() || query.limit == 0 || self.entries.is_empty() {
            return Ok(Vec::new());
        }
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in &words {
            for (field, boost) in [
                (f.question, BOOST_QUESTION),
                (f.keywords, BOOST_KEYWORDS),
                (f.answer, BOOST_ANSWER),
            ] {
                let term = TermQuery::new(
                    Term::from_field_text(field, word),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(term), boost)),
                ));
            }
        }
        let tantivy_query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let found = searcher.search(
            &tantivy_query,
            &TopDocs::with_limit(self.entries.len()).order_by_score(),
        )?;
        let mut snippets = SnippetGenerator::create(&searcher, &tantivy_query, f.answer)?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        let mut hits = Vec::new();
        for (score, address) in found {
            let doc: TantivyDocument = searcher.doc(address)?;
            let Some(entry) = doc
                .get_first(f.id)
                .and_then(|v| v.as_u64())
                .and_then(|id| self.entries.get(&(id as EntryId)))
            else {
                continue;
            };
            let c = &entry.content;
            if (!query.category.is_empty() && c.category != query.category)
                || !c.is_valid_on(today)
                || !c.covers(query.region, units)
            {
                continue;
            }
            hits.push(Hit {
                entry: entry.clone(),
                score,
                snippet: marked(&snippets.snippet_from_doc(&doc), &c.answer),
            });
            if hits.len() == query.limit {
                break;
            }
        }
        Ok(hits)
    }
}

/// The snippet in the answer's own text (the index holds it normalised: half-width,
/// lower case), with the matched words in 【】; the answer's opening when no word of the
/// query is in the answer (the question or keywords matched).
fn marked(snippet: &tantivy::snippet::Snippet, answer: &str) -> String {
    let original: Vec<char> = answer.chars().collect();
    let fragment = snippet.fragment_range();
    if fragment.is_empty() {
        return original.iter().take(SNIPPET_CHARS / 2).collect();
    }
    let normalized = normalize(answer);
    let shown = normalized.original_chars(fragment.clone());
    // Ranges come from the normaliser's map; `get` keeps a surprise from ever panicking.
    let text = |range: std::ops::Range<usize>| original.get(range).unwrap_or_default();
    let mut out = String::new();
    let mut at = shown.start;
    for range in collapse_overlapped_ranges(snippet.highlighted()) {
        let word =
            normalized.original_chars(fragment.start + range.start..fragment.start + range.end);
        if word.start < at || word.end > shown.end {
            continue;
        }
        out.extend(text(at..word.start));
        out.push('【');
        out.extend(text(word.clone()));
        out.push('】');
        at = word.end;
    }
    out.extend(text(at..shown.end));
    out
}

/// The snapshot in force, swapped whole on rebuild.
pub struct KnowledgeIndex {
    current: ArcSwap<Snapshot>,
}

impl KnowledgeIndex {
    pub fn new(entries: Vec<LiveEntry>) -> tantivy::Result<Self> {
        Ok(KnowledgeIndex {
            current: ArcSwap::from_pointee(Snapshot::build(entries)?),
        })
    }

    pub fn empty() -> Self {
        Self::new(Vec::new()).expect("an empty RAM index builds")
    }

    pub fn install(&self, snapshot: Snapshot) {
        self.current.store(std::sync::Arc::new(snapshot));
    }

    pub fn snapshot(&self) -> std::sync::Arc<Snapshot> {
        self.current.load_full()
    }
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
