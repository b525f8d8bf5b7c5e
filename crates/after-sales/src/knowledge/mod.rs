//! The knowledge base (知識庫): what the office learns answering customers,
//! written down so the next question is answered at once ([003] 三(二) 客戶咨詢:
//! 「對于常見問題,建立知識庫,以便快速查詢和解答」).
//!
//! An article is the company's (no office, written and reviewed at HQ) or an
//! office's. It is written as a draft, submitted, and reviewed by someone
//! other than its author who may manage the office's service (the company's,
//! for a company article): approved it is published, returned it is a draft
//! again with the reviewer's note. A published article is archived when it no
//! longer holds, or taken back to a draft to be revised. Everyone who reads
//! the office's service reads its published articles and the company's, and
//! finds them by full-text search in Chinese and English ([`search`]); a read
//! is counted, and each reader may say once whether it helped. A request a
//! frequent question came in can be linked to the article that answers it.
//!
//! The rules are here; the handlers are in [`api`].

pub mod api;
pub mod readers;
pub mod search;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use store::schema::kb_articles as ka;
use utoipa::ToSchema;

/// Where an article stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    /// Being written; only its author and the office's service managers see it.
    Draft,
    /// Submitted, waiting for a reviewer other than the author.
    InReview,
    /// Readable and searchable by everyone who reads the office's service.
    Published,
    /// No longer holds: kept, not searchable.
    Archived,
}

impl ArticleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::InReview => "in_review",
            ArticleStatus::Published => "published",
            ArticleStatus::Archived => "archived",
        }
    }
}

/// What an article in `status` allows.
pub fn actions(status: &str) -> &'static [&'static str] {
    match status {
        "draft" => &["update", "submit"],
        "in_review" => &["approve", "return"],
        "published" => &["archive", "revise", "view", "vote"],
        _ => &[],
    }
}

/// An article as stored.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = ka)]
pub struct ArticleRow {
    pub id: i64,
    /// `null`: the company's, read in every office.
    pub office_id: Option<i64>,
    #[schema(example = "產品使用")]
    pub category: String,
    #[schema(example = "LED 筒燈閃爍的常見原因與處理")]
    pub title: String,
    #[schema(example = "筒燈閃爍多由驅動電源老化或調光器不匹配引起……")]
    pub body: String,
    /// A JSON array of tags, as sent.
    #[serde(skip)]
    pub tags: String,
    /// The product it is about, as named on order lines.
    #[schema(example = "LED 筒燈 DL-200")]
    pub product: Option<String>,
    #[schema(value_type = ArticleStatus)]
    pub status: String,
    pub author_user_id: i64,
    /// Who approved or returned it last.
    pub reviewer_user_id: Option<i64>,
    pub review_note: Option<String>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<NaiveDateTime>,
    #[serde(with = "kernel::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub archived_at: Option<NaiveDateTime>,
    /// The server's search tokens.
    #[serde(skip)]
    pub search_text: String,
    /// Reads counted.
    pub view_count: i64,
    /// Readers who said it helped.
    pub helpful_count: i64,
    /// Readers who said it did not.
    pub unhelpful_count: i64,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// An article as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Article {
    #[serde(flatten)]
    pub article: ArticleRow,
    #[schema(example = json!(["閃爍", "驅動電源"]))]
    pub tags: Vec<String>,
    pub allowed_actions: Vec<String>,
}

/// An article as the API shows it.
pub fn view(row: ArticleRow) -> Article {
    let tags = serde_json::from_str(&row.tags).unwrap_or_default();
    let allowed_actions = actions(&row.status)
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    Article {
        article: row,
        tags,
        allowed_actions,
    }
}

/// Whether `c` is a Chinese character (CJK unified ideographs, their
/// extensions, and the compatibility block).
fn is_han(c: char) -> bool {
    matches!(u32::from(c),
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// A token of characters as plain ASCII: `prefix` and each code point in five
/// hex digits.
fn encode(prefix: char, chars: &[char]) -> String {
    let mut out = String::with_capacity(1 + 5 * chars.len());
    out.push(prefix);
    for c in chars {
        out.push_str(&format!("{:05x}", u32::from(*c)));
    }
    out
}

/// The search tokens of `text`: each run of letters and digits as a word in
/// lower case (plain ASCII as it is, any other as `w` and its code points),
/// and within a run of Chinese characters each neighbouring pair — a lone one
/// by itself — as `u` and their code points. "LED 筒燈閃爍" gives `led`,
/// `u07b52071c8` (筒燈), `u071c9` … — a two-character word is found wherever it
/// stands, as Chinese has no spaces between words.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word: Vec<char> = Vec::new();
    let mut han: Vec<char> = Vec::new();
    let flush_word = |word: &mut Vec<char>, out: &mut Vec<String>| {
        if word.is_empty() {
            return;
        }
        if word.iter().all(char::is_ascii_alphanumeric) {
            out.push(word.iter().collect());
        } else {
            out.push(encode('w', word));
        }
        word.clear();
    };
    let flush_han = |han: &mut Vec<char>, out: &mut Vec<String>| {
        match han.len() {
            0 => {}
            1 => out.push(encode('u', han)),
            _ => out.extend(han.windows(2).map(|pair| encode('u', pair))),
        }
        han.clear();
    };
    for c in text.chars() {
        if is_han(c) {
            flush_word(&mut word, &mut out);
            han.push(c);
        } else if c.is_alphanumeric() {
            flush_han(&mut han, &mut out);
            word.extend(c.to_lowercase());
        } else {
            flush_word(&mut word, &mut out);
            flush_han(&mut han, &mut out);
        }
    }
    flush_word(&mut word, &mut out);
    flush_han(&mut han, &mut out);
    out
}

/// What an article is found by: its title (twice, so a hit there ranks
/// higher), category, product, tags and body, as tokens.
pub fn search_text(
    title: &str,
    category: &str,
    product: Option<&str>,
    tags: &[String],
    body: &str,
) -> String {
    let mut all = tokens(title);
    all.extend(tokens(title));
    all.extend(tokens(category));
    if let Some(p) = product {
        all.extend(tokens(p));
    }
    for tag in tags {
        all.extend(tokens(tag));
    }
    all.extend(tokens(body));
    all.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_cut_in_pairs_and_latin_in_lower_case_words() {
        assert_eq!(
            tokens("LED 筒燈閃爍!"),
            vec![
                "led".to_owned(),
                encode('u', &['筒', '燈']),
                encode('u', &['燈', '閃']),
                encode('u', &['閃', '爍']),
            ]
        );
        assert_eq!(tokens("燈"), vec![encode('u', &['燈'])]);
        assert_eq!(
            tokens("Café DL-200"),
            vec![
                encode('w', &['c', 'a', 'f', 'é']),
                "dl".to_owned(),
                "200".to_owned()
            ]
        );
        assert!(tokens(" ,。 ").is_empty());
        // Every token is a plain ASCII word.
        for t in tokens("筒燈 閃爍 Flicker über 𠀀") {
            assert!(t.chars().all(|c| c.is_ascii_alphanumeric()), "{t}");
        }
    }

    #[test]
    fn a_two_character_word_is_a_token_of_the_text_that_holds_it() {
        let text = search_text("筒燈閃爍的處理", "產品使用", None, &[], "驅動電源老化");
        let words: Vec<&str> = text.split(' ').collect();
        for query in ["閃爍", "電源", "老化"] {
            for t in tokens(query) {
                assert!(words.contains(&t.as_str()), "{query}");
            }
        }
        assert_eq!(actions("in_review"), ["approve", "return"]);
    }
}
