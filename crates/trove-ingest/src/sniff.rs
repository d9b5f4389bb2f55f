//! Which delimiter a CSV file uses, when nobody said: the header and the lines after it are
//! split on each usual delimiter (quotes respected), and the one that splits them all into
//! the same number of fields, more than one, wins. When two do, nobody can tell: say so.

/// The delimiters looked for.
pub(crate) const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Records looked at, header included.
const RECORDS: usize = 20;

/// What the first lines say about the delimiter.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Sniffed {
    /// This one.
    Found(u8),
    /// None splits the header: a one-column file (or no header).
    Nothing,
    /// More than one fits equally well.
    Ambiguous(Vec<u8>),
}

/// Sniffs the delimiter from the first bytes of a file; `whole` says whether they are all of it
/// (else the last, maybe cut, record is left out).
pub(crate) fn sniff_delimiter(sample: &[u8], whole: bool) -> Sniffed {
    let mut splitting = Vec::new();
    let mut consistent = Vec::new();
    let mut best: Option<(u8, usize)> = None;
    let mut best_tied = false;
    for delimiter in CANDIDATES {
        let counts = field_counts(sample, delimiter, whole);
        let Some((&header, rows)) = counts.split_first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        splitting.push(delimiter);
        let matching = rows.iter().filter(|&&n| n == header).count();
        if matching == rows.len() {
            consistent.push(delimiter);
        }
        // Rows that do not match are bad rows, to be reported: the best fit still wins.
        if rows.len() >= 2 && matching * 2 > rows.len() {
            match best {
                Some((_, fit)) if fit == matching => best_tied = true,
                Some((_, fit)) if fit > matching => {}
                _ => {
                    best = Some((delimiter, matching));
                    best_tied = false;
                }
            }
        }
    }
    match (consistent.as_slice(), splitting.as_slice()) {
        ([one], _) => Sniffed::Found(*one),
        ([], []) => Sniffed::Nothing,
        ([], [one]) => Sniffed::Found(*one),
        ([], several) => match best {
            Some((delimiter, _)) if !best_tied => Sniffed::Found(delimiter),
            _ => Sniffed::Ambiguous(several.to_vec()),
        },
        (several, _) => Sniffed::Ambiguous(several.to_vec()),
    }
}

/// The number of fields of each of the first records, split on `delimiter` with RFC 4180
/// quoting; blank lines are skipped, as the CSV parser does.
fn field_counts(sample: &[u8], delimiter: u8, whole: bool) -> Vec<usize> {
    let mut counts = Vec::new();
    let mut fields = 0;
    let mut in_record = false;
    let mut quoted = false;
    let mut i = 0;
    while i < sample.len() && counts.len() < RECORDS {
        let b = sample[i];
        i += 1;
        if quoted {
            if b == b'"' {
                if sample.get(i) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
            continue;
        }
        match b {
            b'\n' | b'\r' => {
                if in_record {
                    counts.push(fields + 1);
                }
                in_record = false;
                fields = 0;
            }
            b'"' => {
                in_record = true;
                quoted = true;
            }
            _ => {
                in_record = true;
                if b == delimiter {
                    fields += 1;
                }
            }
        }
    }
    if in_record && whole && !quoted && counts.len() < RECORDS {
        counts.push(fields + 1);
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delimiter_that_splits_every_line_alike_wins() {
        let sniff = |text: &str| sniff_delimiter(text.as_bytes(), true);
        assert_eq!(sniff("a,b,c\n1,2,3\n"), Sniffed::Found(b','));
        assert_eq!(
            sniff("id;score;text\n1;4,5;\"a; b\"\n2;3,0;c\n"),
            Sniffed::Found(b';')
        );
        assert_eq!(sniff("id\ttext\r\n1\tx, y\r\n"), Sniffed::Found(b'\t'));
        assert_eq!(sniff("id|text\n1|x\n"), Sniffed::Found(b'|'));
        assert_eq!(
            sniff("id,text\n1,\"multi\nline; with, commas\"\n2,b\n"),
            Sniffed::Found(b',')
        );
        assert_eq!(sniff("text\nhello\n"), Sniffed::Nothing);
        assert_eq!(
            sniff("a,b;c\n1,2;3\n"),
            Sniffed::Ambiguous(vec![b',', b';'])
        );
        // A bad row does not hide the delimiter.
        assert_eq!(sniff("a;b\n1;2\n3;4;5\n6;7\n"), Sniffed::Found(b';'));
    }

    #[test]
    fn a_record_cut_by_the_end_of_the_sample_is_left_out() {
        assert_eq!(sniff_delimiter(b"a;b\n1;2\n3", false), Sniffed::Found(b';'));
        assert_eq!(field_counts(b"a;b\n1;2\n3", b';', false), vec![2, 2]);
    }
}
