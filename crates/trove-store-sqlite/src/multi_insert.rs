//! Many rows per INSERT statement: a batch's tags and facts are written `ROWS` rows at a time
//! (`INSERT ... VALUES (...), (...), ...`), so SQLite runs one statement where it ran one per
//! row, and each value is bound in place (nothing is copied into an owned parameter list).
//!
//! The callers write `INSERT OR IGNORE`, not `ON CONFLICT DO NOTHING`: a statement that writes
//! several rows and may abort midway (a NOT NULL column's default conflict action) makes SQLite
//! keep a statement journal, a copy of every page it changes, to undo the rows already written;
//! with every conflict ignored nothing can abort it, so no journal is kept. The values bound
//! are never NULL where the column forbids it (they come from non-optional fields), and a caller
//! that must write every row checks the count returned.

use rusqlite::{Connection, Statement, ToSql};

/// Rows per full statement. Each row's values are bound parameters, so `ROWS` times the widest
/// row (13 values for a facts row) stays far below SQLite's limit of 32,766.
pub(crate) const ROWS: usize = 64;

/// One row's values, bound in order to the statement's next parameters.
pub(crate) struct RowValues<'s, 'c> {
    statement: &'s mut Statement<'c>,
    next: usize,
}

impl RowValues<'_, '_> {
    /// Binds the row's next value.
    pub(crate) fn bind<T: ToSql>(&mut self, value: T) -> rusqlite::Result<&mut Self> {
        self.next += 1;
        self.statement.raw_bind_parameter(self.next, value)?;
        Ok(self)
    }
}

/// The text of one statement: `head`, then `rows` groups of `width` placeholders, then `tail`.
fn statement_text(head: &str, width: usize, rows: usize, tail: &str) -> String {
    let group = format!("({})", vec!["?"; width].join(", "));
    format!("{head} VALUES {} {tail}", vec![group; rows].join(", "))
}

/// Inserts one row per item (`head` names the table and columns, `tail` is the conflict
/// clause), binding each item's `width` values with `bind`; returns how many rows were
/// changed. Full statements of [`ROWS`] rows are prepared once per connection, the last short
/// one once per call.
pub(crate) fn insert_all<T>(
    connection: &Connection,
    (head, width, tail): (&str, usize, &str),
    items: &[T],
    mut bind: impl FnMut(&mut RowValues<'_, '_>, &T) -> rusqlite::Result<()>,
) -> rusqlite::Result<usize> {
    let mut changed = 0;
    let mut full = None;
    for chunk in items.chunks(ROWS) {
        let mut short;
        let statement: &mut Statement<'_> = if chunk.len() == ROWS {
            if full.is_none() {
                full = Some(connection.prepare_cached(&statement_text(head, width, ROWS, tail))?);
            }
            full.as_mut().expect("prepared just above")
        } else {
            short = connection.prepare(&statement_text(head, width, chunk.len(), tail))?;
            &mut short
        };
        let mut row = RowValues { statement, next: 0 };
        for item in chunk {
            bind(&mut row, item)?;
        }
        debug_assert_eq!(
            row.next,
            width * chunk.len(),
            "each row binds {width} values"
        );
        changed += row.statement.raw_execute()?;
    }
    Ok(changed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rows_beyond_a_full_statement_and_conflicts_are_each_counted_once() {
        let connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
            .unwrap();
        // A full statement, a short one, and a row (1) that is already there.
        connection
            .execute("INSERT INTO t VALUES (1, 'old')", [])
            .unwrap();
        let items: Vec<i64> = (0..ROWS as i64 + 5).collect();
        let changed = insert_all(
            &connection,
            ("INSERT OR IGNORE INTO t (a, b)", 2, ""),
            &items,
            |row, a| {
                row.bind(a)?.bind(format!("new {a}"))?;
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(changed, items.len() - 1);
        let (count, one, last): (i64, String, String) = connection
            .query_row(
                "SELECT COUNT(*), (SELECT b FROM t WHERE a = 1), (SELECT b FROM t ORDER BY a DESC LIMIT 1) FROM t",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
        assert_eq!(count, items.len() as i64);
        assert_eq!(one, "old");
        assert_eq!(last, format!("new {}", ROWS + 4));
    }
}
