//! The parameters of a statement whose `WHERE` is put together at run time (the
//! Accounts list, the Audit tab, the message lists): values are always bound,
//! never written into the SQL, and numbered `$1`, `$2`, … in the order pushed.

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::QueryScalar;

use crate::AnyQuery;

/// One bound value.
#[derive(Clone)]
enum Param {
    Int(i64),
    Text(String),
}

/// The values of a filter, in placeholder order.
#[derive(Clone, Default)]
pub(crate) struct Params(Vec<Param>);

impl Params {
    /// Adds an integer; its placeholder (`$n`).
    pub(crate) fn int(&mut self, value: i64) -> String {
        self.0.push(Param::Int(value));
        self.last()
    }

    /// Adds a text; its placeholder (`$n`).
    pub(crate) fn text(&mut self, value: impl Into<String>) -> String {
        self.0.push(Param::Text(value.into()));
        self.last()
    }

    /// How many values there are: the next placeholder is `$len + 1`.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    fn last(&self) -> String {
        format!("${}", self.len())
    }

    /// `query` with every value bound, in order.
    pub(crate) fn bind<'q, Q: Binds<'q>>(&'q self, mut query: Q) -> Q {
        for param in &self.0 {
            query = match param {
                Param::Int(v) => query.int(*v),
                Param::Text(v) => query.text(v),
            };
        }
        query
    }
}

/// The queries [`Params`] binds to: rows and a single value (a count).
pub(crate) trait Binds<'q> {
    fn int(self, value: i64) -> Self;
    fn text(self, value: &'q str) -> Self;
}

impl<'q> Binds<'q> for AnyQuery<'q> {
    fn int(self, value: i64) -> Self {
        self.bind(value)
    }

    fn text(self, value: &'q str) -> Self {
        self.bind(value)
    }
}

impl<'q, O> Binds<'q> for QueryScalar<'q, Any, O, AnyArguments<'q>> {
    fn int(self, value: i64) -> Self {
        self.bind(value)
    }

    fn text(self, value: &'q str) -> Self {
        self.bind(value)
    }
}

/// `%text%` for `LIKE … ESCAPE '!'`: the text's own wildcards (and `!`) are taken
/// literally.
pub(crate) fn containing(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '!') {
            pattern.push('!');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_typed_are_taken_literally() {
        assert_eq!(containing("a_b%c!d"), "%a!_b!%c!!d%");
        assert_eq!(containing(""), "%%");
    }

    #[test]
    fn placeholders_follow_the_order_pushed() {
        let mut params = Params::default();
        assert_eq!(params.int(7), "$1");
        assert_eq!(params.text("x"), "$2");
        assert_eq!(params.len(), 2);
    }
}
