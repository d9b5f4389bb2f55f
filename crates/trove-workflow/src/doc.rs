//! A tiny document model (headings, paragraphs, lists, tables) rendered to Markdown and to a
//! standalone HTML page, so each page is written once and reads the same in both. Every text
//! of a page is plain text (it carries customers' words): Markdown gets it with raw HTML and
//! link syntax escaped, HTML with every markup character escaped, both without control
//! characters ([`trove_domain::safe`]).

use std::fmt::Write;

use trove_domain::safe::{html_text, markdown_text};

/// One block of a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A heading of level 1-3.
    Heading(u8, String),
    /// A paragraph.
    Para(String),
    /// A bulleted list.
    List(Vec<String>),
    /// A table: header and rows.
    Table(Vec<String>, Vec<Vec<String>>),
}

/// A page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Doc {
    /// Its blocks, in order.
    pub blocks: Vec<Block>,
}

impl Doc {
    /// Adds a heading.
    pub fn heading(&mut self, level: u8, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Heading(level, text.into()));
        self
    }

    /// Adds a paragraph.
    pub fn para(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Para(text.into()));
        self
    }

    /// Adds a list (nothing when empty, unless `empty` says what to write instead).
    pub fn list(&mut self, items: Vec<String>, empty: &str) -> &mut Self {
        if items.is_empty() {
            if !empty.is_empty() {
                self.para(empty);
            }
        } else {
            self.blocks.push(Block::List(items));
        }
        self
    }

    /// Adds a table (a paragraph saying `empty` when it has no rows).
    pub fn table(&mut self, header: &[&str], rows: Vec<Vec<String>>, empty: &str) -> &mut Self {
        if rows.is_empty() {
            return self.para(empty);
        }
        let header = header.iter().map(|h| (*h).to_owned()).collect();
        self.blocks.push(Block::Table(header, rows));
        self
    }

    /// The page as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let text = |t: &str| markdown_text(t);
        for block in &self.blocks {
            match block {
                Block::Heading(level, heading) => {
                    let hashes = "#".repeat(usize::from(*level));
                    let _ = writeln!(out, "{hashes} {}\n", text(heading));
                }
                Block::Para(para) => {
                    let _ = writeln!(out, "{}\n", text(para));
                }
                Block::List(items) => {
                    for item in items {
                        let _ = writeln!(out, "- {}", text(item));
                    }
                    out.push('\n');
                }
                Block::Table(header, rows) => {
                    let cell = |c: &String| text(c).replace('|', "\\|");
                    let line = |cells: &[String]| {
                        format!(
                            "| {} |",
                            cells.iter().map(cell).collect::<Vec<_>>().join(" | ")
                        )
                    };
                    let _ = writeln!(out, "{}", line(header));
                    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
                    for row in rows {
                        let _ = writeln!(out, "{}", line(row));
                    }
                    out.push('\n');
                }
            }
        }
        out.trim_end().to_owned() + "\n"
    }

    /// The page as a standalone HTML document (every text escaped).
    pub fn html(&self, title: &str) -> String {
        let mut out = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>{STYLE}</style></head>\n<body><main>\n",
            html_text(title)
        );
        for block in &self.blocks {
            match block {
                Block::Heading(level, text) => {
                    let _ = writeln!(out, "<h{level}>{}</h{level}>", html_text(text));
                }
                Block::Para(text) => {
                    let _ = writeln!(out, "<p>{}</p>", html_text(text));
                }
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for item in items {
                        let _ = writeln!(out, "<li>{}</li>", html_text(item));
                    }
                    out.push_str("</ul>\n");
                }
                Block::Table(header, rows) => {
                    out.push_str("<table>\n<thead><tr>");
                    for h in header {
                        let _ = write!(out, "<th>{}</th>", html_text(h));
                    }
                    out.push_str("</tr></thead>\n<tbody>\n");
                    for row in rows {
                        out.push_str("<tr>");
                        for c in row {
                            let _ = write!(out, "<td>{}</td>", html_text(c));
                        }
                        out.push_str("</tr>\n");
                    }
                    out.push_str("</tbody></table>\n");
                }
            }
        }
        out.push_str("</main></body></html>\n");
        out
    }
}

/// A one-page print style: readable on screen, fits an A4 page.
const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;color:#1d2733;margin:0}\
main{max-width:50rem;margin:1.5rem auto;padding:0 1rem}\
h1{font-size:1.5rem;margin:.2rem 0 .6rem}h2{font-size:1.1rem;margin:1.2rem 0 .4rem;border-bottom:1px solid #d5dbe1}\
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border:1px solid #d5dbe1;padding:.25rem .45rem;text-align:left;vertical-align:top}\
th{background:#f1f4f7}@media print{main{margin:0;max-width:none}}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_html_carry_the_same_text_and_html_is_escaped() {
        let mut doc = Doc::default();
        doc.heading(1, "Plan <1>")
            .para("a & b")
            .list(vec!["x".into()], "")
            .table(&["a", "b"], vec![vec!["1|2".into(), "3".into()]], "none");
        let md = doc.markdown();
        assert_eq!(
            md,
            "# Plan &lt;1>\n\na & b\n\n- x\n\n| a | b |\n|---|---|\n| 1\\|2 | 3 |\n"
        );
        let html = doc.html("t");
        assert!(html.contains("<h1>Plan &lt;1&gt;</h1>"), "{html}");
        assert!(html.contains("<p>a &amp; b</p>"));
        assert!(html.contains("<td>1|2</td><td>3</td>"));
        assert!(!html.contains("<1>"));
    }

    #[test]
    fn customer_payloads_are_shown_never_run() {
        let payloads = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "\x1b[2Jcleared",
        ];
        let mut doc = Doc::default();
        doc.heading(1, payloads[0])
            .para(payloads[1])
            .list(payloads.map(str::to_owned).to_vec(), "")
            .table(&["said"], vec![vec![payloads[2].into()]], "");
        let md = doc.markdown();
        for raw in ["<script", "<img", "[x](", "\x1b"] {
            assert!(!md.contains(raw), "{raw:?} in\n{md}");
        }
        assert!(md.contains("&lt;script>alert(1)&lt;/script>"), "{md}");
        assert!(md.contains("\\[x\\](javascript:alert(1))"), "{md}");
        let html = doc.html("t");
        for raw in ["<script", "<img", "\x1b"] {
            assert!(!html.contains(raw), "{raw:?} in\n{html}");
        }
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
    }
}
