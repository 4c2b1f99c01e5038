//! Tokens for tests: an admin token made directly in a database before a daemon starts
//! on it, and channels that carry a token.

use hotline::auth::client::{AuthedChannel, authed};
use hotline::domain::access::Role;
use tonic::transport::Channel;

/// Makes a token of `role` in the database at `database_url` (creating its schema if
/// needed) and answers its secret. The name is unique, so daemons sharing a database can
/// each make their own.
pub async fn token_in(database_url: &str, role: Role) -> String {
    let store = hotline::store::open(database_url)
        .await
        .expect("the test database opens");
    let name = format!("test-{}", uuid::Uuid::new_v4().simple());
    let issued = hotline::auth::issue(&*store, &name, &role).await;
    store.close().await;
    issued.expect("the token is made").1
}

/// An admin token in the database at `database_url`.
pub async fn admin_token(database_url: &str) -> String {
    token_in(database_url, Role::Admin).await
}

/// `channel` with `token` on every call (`None`: no credentials).
pub fn with_token(channel: Channel, token: Option<&str>) -> AuthedChannel {
    authed(channel, token).expect("a token fits in a header")
}
