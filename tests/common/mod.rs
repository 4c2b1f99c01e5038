//! Helpers shared by integration tests. Each test binary uses only part of them.
#![allow(dead_code)]

pub mod auth;
pub mod cli;
pub mod daemon;
pub mod integrity;
pub mod load;
pub mod metrics;
pub mod old_schema;
pub mod own_postgres;
pub mod postgres;
pub mod rates;
pub mod server;

/// Runs each named `async fn(Backend)` scenario as two tests, `sqlite::name` and
/// `postgres::name`, each against a daemon of its own.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::common::server::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::common::server::Backend::Postgres).await;
                }
            )*
        }
    };
}
