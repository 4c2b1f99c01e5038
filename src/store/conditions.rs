//! SQL conditions built together with their bound values, so that a `$N` placeholder and
//! the value it stands for can never drift apart. (sqlx's `QueryBuilder` renders `?`
//! under the `Any` driver, which PostgreSQL rejects.)

use sqlx::AssertSqlSafe;

type AnyQuery = sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>;

/// A value bound to a placeholder.
pub enum Value {
    Text(String),
    Int(i64),
    Bool(bool),
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Text(value.to_string())
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Bool(value)
    }
}

/// ` AND …` clauses and the values of their placeholders, numbered from `$1`.
#[derive(Default)]
pub struct Conditions {
    sql: String,
    values: Vec<Value>,
}

impl Conditions {
    /// Registers a value and returns its placeholder (`$3`), for use anywhere in the SQL.
    pub fn param(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// Appends ` AND {left} $n`, e.g. `and("created_at >=", from)`.
    pub fn and(&mut self, left: &str, value: impl Into<Value>) -> &mut Self {
        let placeholder = self.param(value);
        self.sql += &format!(" AND {left} {placeholder}");
        self
    }

    /// Appends ` AND {left} $n` when there is a value.
    pub fn and_some<V: Into<Value>>(&mut self, left: &str, value: Option<V>) -> &mut Self {
        if let Some(value) = value {
            self.and(left, value);
        }
        self
    }

    /// Appends ` AND {column} IN ($n, …)`; nothing for an empty list.
    pub fn and_in<V: Into<Value>>(
        &mut self,
        column: &str,
        values: impl IntoIterator<Item = V>,
    ) -> &mut Self {
        let marks: Vec<String> = values.into_iter().map(|v| self.param(v)).collect();
        if !marks.is_empty() {
            self.sql += &format!(" AND {column} IN ({})", marks.join(", "));
        }
        self
    }

    /// The clauses, each starting with ` AND `.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// A query of `sql` with every registered value bound in order.
    pub fn query(&self, sql: String) -> AnyQuery {
        self.values.iter().fold(
            sqlx::query(AssertSqlSafe(sql)),
            |query, value| match value {
                Value::Text(text) => query.bind(text.clone()),
                Value::Int(int) => query.bind(*int),
                Value::Bool(flag) => query.bind(*flag),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_in_the_order_values_are_registered() {
        let mut c = Conditions::default();
        c.and("a >=", 1)
            .and_some("b =", None::<i64>)
            .and_in("s", ["x", "y"])
            .and_some("c =", Some("z"));
        let limit = c.param(10);
        assert_eq!(c.sql(), " AND a >= $1 AND s IN ($2, $3) AND c = $4");
        assert_eq!(limit, "$5");
        assert_eq!(c.values.len(), 5);
    }
}
