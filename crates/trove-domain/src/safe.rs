//! Customer text made safe for the tools it reaches: a terminal (no control sequences), a
//! spreadsheet (no formulas), a Markdown reader (no raw HTML, no links). Customers write what
//! they like; what Trove writes from it must only ever be read as text.

use std::borrow::Cow;

/// Whether a character must not reach a terminal: C0 and C1 controls (ESC starts the
/// sequences that clear screens, move cursors or retitle windows), DEL, and the Unicode
/// direction overrides and isolates that make text display in another order than it reads.
fn unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Text fit for a terminal: every control character and direction override dropped, except
/// that line breaks and tabs become a space (so words stay apart). Unchanged text is borrowed.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unprintable) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .filter_map(|c| match c {
                '\n' | '\r' | '\t' => Some(' '),
                c if unprintable(c) => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// A CSV cell a spreadsheet reads as text: a cell starting with `=`, `+`, `-`, `@`, a tab or
/// a carriage return would be taken for a formula (`=HYPERLINK(...)`, `@SUM(...)`), so it
/// gets a leading single quote, as OWASP recommends. Plain numbers (`-2.5`) stay numbers;
/// other cells are returned as they are.
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    let number = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
        && text.parse::<f64>().is_ok();
    if !number && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Text for a Markdown page, read as text by any renderer: printable (see [`printable`]),
/// `<` written as `&lt;` (no raw HTML, no `<javascript:...>` autolink) and the brackets that
/// make links and images backslash-escaped (with the backslash itself), so
/// `[x](javascript:alert(1))` is shown, never followed. Nothing else is escaped: the pages are
/// read raw in terminals too, and emphasis or code spans are harmless.
pub fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in printable(text).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text for an HTML page: printable (see [`printable`]) with every markup character escaped.
pub fn html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in printable(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminals_get_no_escape_sequences() {
        assert_eq!(printable("\x1b[2Jgone\x07"), "[2Jgone");
        assert_eq!(printable("two\nlines\tand\r"), "two lines and ");
        assert_eq!(printable("a\u{202E}b\u{0085}c\u{7f}"), "abc");
        assert!(matches!(printable("plain é 😀"), Cow::Borrowed(_)));
    }

    #[test]
    fn formula_cells_become_text() {
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        for payload in ["+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_cell(payload), format!("'{payload}"));
        }
        assert_eq!(csv_cell("ann@x.io"), "ann@x.io");
        assert_eq!(csv_cell("-2.5"), "-2.5", "numbers stay numbers");
        assert_eq!(csv_cell("-1e3"), "-1e3");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn markdown_shows_html_and_links_as_text() {
        assert_eq!(
            markdown_text("<script>alert(1)</script>"),
            "&lt;script>alert(1)&lt;/script>"
        );
        assert_eq!(
            markdown_text("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)>"
        );
        assert_eq!(
            markdown_text("[x](javascript:alert(1))"),
            "\\[x\\](javascript:alert(1))"
        );
        assert_eq!(markdown_text("\x1b[2J"), "\\[2J");
        assert_eq!(markdown_text("\\[x](y)"), "\\\\\\[x\\](y)");
        assert_eq!(markdown_text("a & b -> c"), "a & b -> c");
    }
}
