//! Multi-row INSERTs in a few fixed shapes. A batch of n rows is cut into power-of-two
//! chunks (37 = 32 + 4 + 1), so a handful of statements (1, 2, 4 … 256 rows) cover every
//! size, each built once and kept in every connection's prepared-statement cache, and a
//! batch costs a few round trips instead of one per row.
//!
//! Placeholders come in two styles. PostgreSQL needs numbered ones (`$N`). SQLite takes
//! them too, but sqlx looks each one up by name in a list, which is quadratic in the
//! number of parameters (a 256-ticket insert spent most of its time there), so SQLite's
//! statements use anonymous `?`, bound in order.

use std::sync::OnceLock;

/// Rows in the largest statement. 256 rows of a ticket (32 values) bind 8,192 values,
/// under SQLite's 32,766 and PostgreSQL's 65,535.
pub const MAX_ROWS: usize = 256;

const SHAPES: usize = MAX_ROWS.trailing_zeros() as usize + 1;

/// The chunk sizes for `n` rows: powers of two, largest first, none above [`MAX_ROWS`].
pub fn chunks(n: usize) -> impl Iterator<Item = usize> {
    chunks_up_to(n, MAX_ROWS)
}

/// The chunk sizes for `n` rows: `max` while that many are left, then falling powers of
/// two, so that a handful of statement texts serve every batch size.
fn chunks_up_to(mut n: usize, max: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if n == 0 {
            return None;
        }
        let size = if n >= max { max } else { 1 << n.ilog2() };
        n -= size;
        Some(size)
    })
}

/// `items` cut as [`chunks_up_to`] sizes them: for statements whose row width allows more
/// (or fewer) rows than [`MAX_ROWS`], built per call rather than kept in [`Shapes`].
pub fn split<T>(items: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    chunks_up_to(items.len(), max).map(move |size| {
        let (head, tail) = rest.split_at(size);
        rest = tail;
        head
    })
}

/// How a statement's placeholders are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// `$1, $2, …`: both backends.
    Numbered,
    /// `?, ?, …`, bound in order: SQLite only.
    InOrder,
}

/// `(…), (…)`: `rows` tuples of `width` placeholders.
pub fn placeholders(style: Style, rows: usize, width: usize) -> String {
    (0..rows)
        .map(|row| {
            let marks: Vec<String> = (1..=width)
                .map(|c| match style {
                    Style::Numbered => format!("${}", row * width + c),
                    Style::InOrder => "?".to_string(),
                })
                .collect();
            format!("({})", marks.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One statement per style and chunk size, built on first use.
pub struct Shapes {
    built: [[OnceLock<String>; SHAPES]; 2],
    build: fn(Style, usize) -> String,
}

impl Shapes {
    /// `build(style, rows)` writes the statement for `rows` rows.
    pub const fn new(build: fn(Style, usize) -> String) -> Self {
        Shapes {
            built: [const { [const { OnceLock::new() }; SHAPES] }; 2],
            build,
        }
    }

    /// The statement for a chunk of `rows` rows, as [`chunks`] makes them.
    pub fn sql(&'static self, style: Style, rows: usize) -> &'static str {
        debug_assert!(rows.is_power_of_two() && rows <= MAX_ROWS);
        let shape = rows.trailing_zeros() as usize;
        self.built[style as usize][shape].get_or_init(|| (self.build)(style, rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_every_item_in_few_statement_sizes() {
        let items: Vec<u32> = (0..1000).collect();
        let sizes: Vec<usize> = split(&items, 128).map(<[u32]>::len).collect();
        // 7 × 128 = 896, then 104 = 64 + 32 + 8.
        assert_eq!(sizes, [128, 128, 128, 128, 128, 128, 128, 64, 32, 8]);
        assert_eq!(split(&items, 128).collect::<Vec<_>>().concat(), items);
        assert_eq!(split::<u32>(&[], 128).count(), 0);
    }

    #[test]
    fn chunks_are_powers_of_two_largest_first() {
        let cut = |n| chunks(n).collect::<Vec<_>>();
        assert_eq!(cut(0), Vec::<usize>::new());
        assert_eq!(cut(1), vec![1]);
        assert_eq!(cut(37), vec![32, 4, 1]);
        assert_eq!(cut(256), vec![256]);
        assert_eq!(cut(600), vec![256, 256, 64, 16, 8]);
        for n in 0..1000 {
            let sizes = cut(n);
            assert_eq!(sizes.iter().sum::<usize>(), n, "{n}");
            assert!(sizes.iter().all(|s| s.is_power_of_two() && *s <= MAX_ROWS));
        }
    }

    #[test]
    fn placeholders_number_rows_in_order() {
        assert_eq!(
            placeholders(Style::Numbered, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(placeholders(Style::Numbered, 1, 1), "($1)");
        assert_eq!(placeholders(Style::InOrder, 2, 2), "(?, ?), (?, ?)");
    }

    #[test]
    fn each_shape_is_built_once_for_its_style_and_size() {
        static SHAPES: Shapes = Shapes::new(|style, rows| format!("{style:?} {rows}"));
        assert_eq!(SHAPES.sql(Style::Numbered, 1), "Numbered 1");
        assert_eq!(SHAPES.sql(Style::InOrder, 64), "InOrder 64");
        assert_eq!(SHAPES.sql(Style::Numbered, 64), "Numbered 64");
        assert!(std::ptr::eq(
            SHAPES.sql(Style::InOrder, 64),
            SHAPES.sql(Style::InOrder, 64)
        ));
    }
}
