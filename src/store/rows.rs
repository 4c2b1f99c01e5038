//! Multi-row INSERTs: placeholder tuples in each dialect's form, and batches cut into a few
//! statement sizes.

use super::sql::Dialect;

/// `rows` tuples of `width` placeholders: `($1, $2, …), ($n, …)` on PostgreSQL, plain `?`
/// on SQLite. SQLite finds each numbered (named) parameter by a linear search among all of
/// the statement's names, on every execution, which makes `$N` quadratic in the width of
/// a multi-row INSERT; anonymous `?` are taken in order.
pub fn placeholders(dialect: Dialect, rows: usize, width: usize) -> String {
    let mut sql = String::with_capacity(rows * width * 6);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..width {
            if column > 0 {
                sql.push_str(", ");
            }
            match dialect {
                Dialect::Sqlite => sql.push('?'),
                Dialect::Postgres => {
                    sql.push('$');
                    sql.push_str(&(row * width + column + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// Cuts `items` into statements of `full` rows and, for the rest, of falling powers of two,
/// so that a handful of statement texts serve every batch size (sqlx caches them prepared).
pub fn statements<T>(items: &[T], full: usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let size = if rest.len() >= full {
            full
        } else {
            1 << rest.len().ilog2()
        };
        let (head, tail) = rest.split_at(size);
        out.push(head);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_each_dialect() {
        assert_eq!(
            placeholders(Dialect::Postgres, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(placeholders(Dialect::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }

    #[test]
    fn batches_split_into_few_statement_sizes() {
        let items: Vec<u32> = (0..1000).collect();
        let sizes: Vec<usize> = statements(&items, 128).iter().map(|s| s.len()).collect();
        // 7 × 128 = 896, then 104 = 64 + 32 + 8.
        assert_eq!(sizes, [128, 128, 128, 128, 128, 128, 128, 64, 32, 8]);
        let flat: Vec<u32> = statements(&items, 128).concat();
        assert_eq!(flat, items);
        assert!(statements::<u32>(&[], 128).is_empty());
    }
}
