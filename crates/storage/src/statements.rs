//! Running a statement with the store's error: `query.one(&self.pool).await?`
//! rather than `fetch_one(..).await.map_err(db_error)?` in every method.

use std::future::Future;

use sealpost_domain::ports::StoreResult;
use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::query::QueryScalar;
use sqlx::{Any, Executor, FromRow};

use crate::{AnyQuery, db_error};

/// sqlx's `fetch_one`, `fetch_optional` and `fetch_all`, answering [`StoreResult`];
/// and whether a row exists.
pub(crate) trait Fetch<'q>: Sized {
    /// A row, or a scalar query's value.
    type Out;

    /// Exactly one (sqlx's `RowNotFound` otherwise).
    fn one<'e, 'c: 'e, E>(self, executor: E) -> impl Future<Output = StoreResult<Self::Out>> + Send + 'e
    where
        'q: 'e,
        E: 'e + Executor<'c, Database = Any>;

    /// The first, if any.
    fn optional<'e, 'c: 'e, E>(self, executor: E) -> impl Future<Output = StoreResult<Option<Self::Out>>> + Send + 'e
    where
        'q: 'e,
        E: 'e + Executor<'c, Database = Any>;

    /// Every one.
    fn all<'e, 'c: 'e, E>(self, executor: E) -> impl Future<Output = StoreResult<Vec<Self::Out>>> + Send + 'e
    where
        'q: 'e,
        E: 'e + Executor<'c, Database = Any>;

    /// Whether there is one (a `SELECT 1 … ` asking whether something exists).
    fn exists<'e, 'c: 'e, E>(self, executor: E) -> impl Future<Output = StoreResult<bool>> + Send + 'e
    where
        'q: 'e,
        E: 'e + Executor<'c, Database = Any>,
    {
        let found = self.optional(executor);
        async move { Ok(found.await?.is_some()) }
    }
}

/// The three methods of [`Fetch`], the same for rows and scalars.
macro_rules! fetch_methods {
    ($($name:ident: $sqlx:ident -> $out:ty;)*) => {$(
        fn $name<'e, 'c: 'e, E>(self, executor: E) -> impl Future<Output = StoreResult<$out>> + Send + 'e
        where
            'q: 'e,
            E: 'e + Executor<'c, Database = Any>,
        {
            async move { self.$sqlx(executor).await.map_err(db_error) }
        }
    )*};
}

impl<'q> Fetch<'q> for AnyQuery<'q> {
    type Out = AnyRow;

    fetch_methods! {
        one: fetch_one -> AnyRow;
        optional: fetch_optional -> Option<AnyRow>;
        all: fetch_all -> Vec<AnyRow>;
    }
}

impl<'q, O> Fetch<'q> for QueryScalar<'q, Any, O, AnyArguments<'q>>
where
    O: Send + Unpin + 'q,
    (O,): Send + Unpin + for<'r> FromRow<'r, AnyRow>,
{
    type Out = O;

    fetch_methods! {
        one: fetch_one -> O;
        optional: fetch_optional -> Option<O>;
        all: fetch_all -> Vec<O>;
    }
}

/// sqlx's `execute`, answering [`StoreResult`].
pub(crate) trait Run<'q> {
    /// Runs the statement; what it touched.
    fn run<'e, 'c: 'e, E>(self, executor: E) -> impl Future<Output = StoreResult<AnyQueryResult>> + Send + 'e
    where
        'q: 'e,
        E: 'e + Executor<'c, Database = Any>;
}

impl<'q> Run<'q> for AnyQuery<'q> {
    async fn run<'e, 'c: 'e, E>(self, executor: E) -> StoreResult<AnyQueryResult>
    where
        'q: 'e,
        E: 'e + Executor<'c, Database = Any>,
    {
        self.execute(executor).await.map_err(db_error)
    }
}
