//! API tokens: stored by digest, listed without secrets, names unique for good, revocation
//! kept (idempotent) and findable by name or id.

use super::fixtures::*;
use hotline::domain::access::Role;
use hotline::store::NewToken;

fn token<'a>(name: &'a str, role: &'a Role, digest: &'a str) -> NewToken<'a> {
    NewToken {
        name,
        role,
        secret_hash: digest,
        hint: "wxyz",
        created_at: t0(),
    }
}

pub async fn tokens_are_stored_listed_and_revoked(store: Arc<dyn Store>) {
    let s = &*store;
    let unit = Role::Unit("market-12315".into());
    let digest = |c: char| c.to_string().repeat(64);
    let desk = s
        .create_token(token("desk-1", &Role::Agent, &digest('a')))
        .await
        .unwrap();
    assert_eq!(
        (desk.name.as_str(), &desk.role, desk.hint.as_str()),
        ("desk-1", &Role::Agent, "wxyz")
    );
    assert_eq!((desk.created_at, desk.revoked_at), (t0(), None));
    assert_eq!(desk.secret_hash, digest('a'));
    let back_office = s
        .create_token(token("market", &unit, &digest('b')))
        .await
        .unwrap();
    assert_eq!(back_office.role, unit);

    // A name is taken for good, whatever the role or secret.
    let again = s
        .create_token(token("desk-1", &Role::Admin, &digest('c')))
        .await
        .unwrap_err();
    assert!(
        matches!(&again, StoreError::TokenNameTaken(n) if n == "desk-1"),
        "{again:?}"
    );
    assert_eq!(
        s.list_tokens().await.unwrap(),
        vec![desk.clone(), back_office.clone()]
    );

    // By name, then by id; a second revocation keeps the first instant.
    let revoked = s
        .revoke_token("desk-1", t0() + hours(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(t0() + hours(1)));
    let twice = s
        .revoke_token(&desk.id.to_string(), t0() + hours(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(twice.revoked_at, Some(t0() + hours(1)));
    let by_id = s
        .revoke_token(&back_office.id.to_string(), t0() + hours(3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_id.name, "market");
    assert_eq!(s.revoke_token("nobody", t0()).await.unwrap(), None);
    assert_eq!(s.revoke_token("999999", t0()).await.unwrap(), None);
    let listed = s.list_tokens().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|t| t.revoked_at.is_some()));
}
