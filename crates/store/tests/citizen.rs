//! The citizen's money as the shop's pages read it, against a real database: SQLite by
//! default, PostgreSQL with `CIVICPAYTEST_DB=postgres` (a fresh database `civicpay_t_…` on
//! `CIVICPAYTEST_PG_URL`, dropped by scripts/test after the run) — the same switch as the
//! end-to-end tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use civicpay_domain::audit::Actor;
use civicpay_domain::{PaymentChannel, PaymentEvent, PaymentStatus};
use civicpay_money::Money;
use civicpay_store::{
    Debtor, EventMeta, NewPaymentRequest, NewPaymentRequestLine, PaymentRecord,
    PaymentRequestRecord, Store, TenantScope,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use uuid::Uuid;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A migrated store on a fresh database with the demo councils Rotterdam and Odense applied.
async fn store(dir: &tempfile::TempDir) -> Store {
    let url = if std::env::var("CIVICPAYTEST_DB").is_ok_and(|v| v == "postgres") {
        let admin_url = std::env::var("CIVICPAYTEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!(
            "civicpay_t_store_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let admin = Store::connect(&admin_url).await.unwrap();
        admin
            .execute_raw(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .unwrap();
        admin
            .execute_raw(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let (prefix, _) = admin_url.rsplit_once('/').unwrap();
        format!("{prefix}/{name}")
    } else {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("store.db").display()
        )
    };
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let tenants = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tenants");
    for slug in ["rotterdam", "odense"] {
        let cfg = civicpay_tenant_config::load(&tenants.join(slug))
            .unwrap_or_else(|e| panic!("{slug}: {e}"));
        store
            .apply_tenant_config(&cfg, &Actor::System, false)
            .await
            .unwrap();
    }
    store
}

async fn scope(store: &Store, slug: &str) -> TenantScope {
    store.scope(store.tenant_by_slug(slug).await.unwrap().unwrap())
}

async fn bill(
    scope: &TenantScope,
    debtor: &Debtor,
    what: &str,
    euros: i64,
) -> PaymentRequestRecord {
    let currency = scope.tenant().currency;
    scope
        .create_payment_request(
            NewPaymentRequest {
                external_reference: None,
                description: what.to_owned(),
                lines: vec![NewPaymentRequestLine {
                    sku: None,
                    description: what.to_owned(),
                    quantity: 1,
                    unit_price: Money::new(euros * 100, currency),
                    vat_code: scope.tenant().vat_codes[0].code.clone(),
                }],
                due_date: None,
                expires_at: None,
                debtor: Some(debtor.clone()),
                callback_url: None,
                return_url: None,
                allow_partial: false,
                capture_later: false,
            },
            &Actor::System,
        )
        .await
        .unwrap()
}

async fn payment(scope: &TenantScope, bills: &[Uuid]) -> PaymentRecord {
    scope
        .create_payment_for_requests(
            bills,
            None,
            PaymentChannel::Web,
            "sandbox",
            None,
            &Actor::System,
        )
        .await
        .unwrap()
}

async fn event(scope: &TenantScope, payment: Uuid, event: PaymentEvent) {
    scope
        .apply_payment_event(payment, event, EventMeta::by(Actor::System))
        .await
        .unwrap();
}

/// Refunds `cents` of a captured payment, as the PSP confirms it.
async fn refund(scope: &TenantScope, payment: Uuid, cents: i64) {
    let (_, refund) = scope
        .reserve_refund(
            payment,
            Money::new(cents, scope.tenant().currency),
            "given back",
            &Actor::System,
        )
        .await
        .unwrap();
    scope
        .settle_refund(refund.id, Ok(format!("re_{}", refund.id)))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_payment_that_paid_each_bill_is_found_in_one_call() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let rotterdam = scope(&store, "rotterdam").await;
    let daan = Debtor::parse("national_id", "999990019").unwrap();

    // One bill paid on the second try: the declined attempt is no receipt.
    let tax = bill(&rotterdam, &daan, "Afvalstoffenheffing", 312).await;
    let declined = payment(&rotterdam, &[tax.id]).await;
    event(&rotterdam, declined.id, PaymentEvent::Failed).await;
    let paid_tax = payment(&rotterdam, &[tax.id]).await;
    event(&rotterdam, paid_tax.id, PaymentEvent::Captured).await;

    // Two bills in one basket, paid together; later partly refunded.
    let fine = bill(&rotterdam, &daan, "Bibliotheek: boete", 7).await;
    let permit = bill(&rotterdam, &daan, "Parkeervergunning", 60).await;
    let basket = payment(&rotterdam, &[fine.id, permit.id]).await;
    event(&rotterdam, basket.id, PaymentEvent::Captured).await;
    refund(&rotterdam, basket.id, 700).await;
    assert_eq!(
        rotterdam.payment(basket.id).await.unwrap().payment.status,
        PaymentStatus::PartiallyRefunded
    );

    // Fully refunded still has its receipt.
    let dog = bill(&rotterdam, &daan, "Hondenbelasting", 10).await;
    let dog_paid = payment(&rotterdam, &[dog.id]).await;
    event(&rotterdam, dog_paid.id, PaymentEvent::Captured).await;
    refund(&rotterdam, dog_paid.id, 1000).await;
    assert_eq!(
        rotterdam.payment(dog_paid.id).await.unwrap().payment.status,
        PaymentStatus::Refunded
    );

    // Only authorized (under review), only started, and never paid: no receipt.
    let review = bill(&rotterdam, &daan, "Ontheffing", 25).await;
    let authorized = payment(&rotterdam, &[review.id]).await;
    event(&rotterdam, authorized.id, PaymentEvent::Authorized).await;
    let started = bill(&rotterdam, &daan, "Marktvergunning", 40).await;
    let pending = payment(&rotterdam, &[started.id]).await;
    event(&rotterdam, pending.id, PaymentEvent::CheckoutStarted).await;
    let open = bill(&rotterdam, &daan, "Leges paspoort", 80).await;

    // A bill of another council, paid there: asked for through Rotterdam, it is not there.
    let odense = scope(&store, "odense").await;
    let mette = Debtor::parse("national_id", "0101901234").unwrap();
    let elsewhere = bill(&odense, &mette, "Bibliotek", 180).await;
    let elsewhere_paid = payment(&odense, &[elsewhere.id]).await;
    event(&odense, elsewhere_paid.id, PaymentEvent::Captured).await;

    let asked = [
        tax.id,
        fine.id,
        permit.id,
        dog.id,
        review.id,
        started.id,
        open.id,
        elsewhere.id,
        Uuid::now_v7(),
    ];
    let found = rotterdam.captured_payments_of(&asked).await.unwrap();
    assert_eq!(found.get(&tax.id), Some(&paid_tax.id));
    assert_eq!(found.get(&fine.id), Some(&basket.id));
    assert_eq!(found.get(&permit.id), Some(&basket.id));
    assert_eq!(found.get(&dog.id), Some(&dog_paid.id));
    assert_eq!(found.len(), 4, "nothing else has a receipt: {found:?}");

    // Odense sees its own.
    let theirs = odense.captured_payments_of(&asked).await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs.get(&elsewhere.id), Some(&elsewhere_paid.id));

    assert!(
        rotterdam
            .captured_payments_of(&[])
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn bills_of_a_debtor_come_with_their_lines_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let rotterdam = scope(&store, "rotterdam").await;
    let daan = Debtor::parse("national_id", "999990019").unwrap();
    let someone_else = Debtor::parse("national_id", "999990020").unwrap();
    let first = bill(&rotterdam, &daan, "Eerste", 10).await;
    bill(&rotterdam, &someone_else, "Van een ander", 20).await;
    let second = bill(&rotterdam, &daan, "Tweede", 30).await;

    let bills = rotterdam.bills_of(&daan, 200).await.unwrap();
    let ids: Vec<Uuid> = bills.iter().map(|b| b.id).collect();
    assert_eq!(ids, vec![second.id, first.id]);
    assert_eq!(bills[0].lines.len(), 1);
    assert_eq!(bills[0].lines[0].description, "Tweede");
    assert_eq!(bills[1].lines[0].line_total.amount_minor(), 1000);
    assert_eq!(rotterdam.bills_of(&daan, 1).await.unwrap().len(), 1);
}
