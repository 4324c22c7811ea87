//! The registry re-match (S0-8) end to end: permits issued against one state of the registers,
//! the registers change (a holder moves out of the zone, another changes name), the server
//! restarts on the new registers; a dry run reports and changes nothing, a real run updates and
//! deactivates with a PDF letter; a run resumes after a crash without acting twice; another
//! council sees none of it.

use crate::eligibility::GOOD_ID;
use civicpay_domain::Role;
use civicpay_domain::audit::Actor;
use civicpay_tests::{TestApp, error_code, restart_on, spawn_app_with};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const APPLY: &str = r#"mutation($sku: String!, $id: String!, $plate: String) {
  applyForPermit(sku: $sku, nationalId: $id, plate: $plate, purpose: "counter") {
    permit { id status } payUrl } }"#;
const PERMIT: &str = r#"query($id: ID!) { permit(id: $id) {
  id status holderName holderAddress decisionReason checkedAt
  letters { id kind subject body recipientName pdfPath } } }"#;
const RUN: &str = r#"query($id: ID!) { rematchRun(id: $id) {
  id status dryRun total processed unchanged updated deactivated unavailable error } }"#;
const START: &str =
    r#"mutation($dry: Boolean!) { startRematch(dryRun: $dry) { id status total } }"#;
const FINDINGS: &str =
    r#"query($id: ID!) { rematchFindings(runId: $id) { permitId action detail } }"#;

/// Sofie Jensen, Nyhavn 18, owner of EF34567.
const SOFIE: &str = "250990-2006";

/// Changes one person of kobenhavn's file register.
fn edit_person(tenants: &Path, id: &str, edit: impl Fn(&mut Value)) {
    let file = tenants.join("kobenhavn/registry/people.json");
    let mut people: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let person = people
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|p| p["national_id"] == id)
        .unwrap();
    edit(person);
    std::fs::write(&file, serde_json::to_string_pretty(&people).unwrap()).unwrap();
}

async fn active_permit(app: &TestApp, staff: &reqwest::Client, id: &str, plate: &str) -> String {
    let body = app
        .gql_with(
            staff,
            Some("kobenhavn"),
            APPLY,
            json!({ "sku": "P-RES-K1", "id": id, "plate": plate }),
        )
        .await;
    let applied = &body["data"]["applyForPermit"];
    assert_eq!(applied["permit"]["status"], "PENDING_PAYMENT", "{body}");
    let permit_id = applied["permit"]["id"].as_str().unwrap().to_owned();
    crate::payments::pay_with_card(applied["payUrl"].as_str().unwrap(), "4242424242424242").await;
    for _ in 0..150 {
        let body = app
            .gql_with(staff, Some("kobenhavn"), PERMIT, json!({ "id": permit_id }))
            .await;
        if body["data"]["permit"]["status"] == "ACTIVE" {
            return permit_id;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("permit {permit_id} never became active");
}

async fn run_to_end(app: &TestApp, staff: &reqwest::Client, dry: bool) -> Value {
    let body = app
        .gql_with(staff, Some("kobenhavn"), START, json!({ "dry": dry }))
        .await;
    let id = body["data"]["startRematch"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    for _ in 0..200 {
        let body = app
            .gql_with(staff, Some("kobenhavn"), RUN, json!({ "id": id }))
            .await;
        let run = body["data"]["rematchRun"].clone();
        if run["status"] != "running" {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("re-match run {id} did not finish");
}

async fn permit(app: &TestApp, staff: &reqwest::Client, id: &str) -> Value {
    app.gql_with(staff, Some("kobenhavn"), PERMIT, json!({ "id": id }))
        .await["data"]["permit"]
        .clone()
}

#[tokio::test]
async fn rematch_updates_deactivates_with_a_letter_and_a_dry_run_changes_nothing() {
    let tenants = tempfile::tempdir().unwrap();
    civicpay_tests::copy_dir(&civicpay_tests::tenants_dir(), tenants.path());
    let dir = tenants.path().to_path_buf();
    let app = spawn_app_with(|c| c.tenants_dir = dir.clone()).await;
    app.create_user(Some("kobenhavn"), "sag@kk.example", Role::Caseworker)
        .await;
    app.create_user(Some("odense"), "sag@odense.example", Role::Caseworker)
        .await;
    let staff = app.logged_in(Some("kobenhavn"), "sag@kk.example").await;
    let mette = active_permit(&app, &staff, GOOD_ID, "AB12345").await;
    let sofie = active_permit(&app, &staff, SOFIE, "EF34567").await;
    assert_eq!(
        permit(&app, &staff, &sofie).await["holderName"],
        "Sofie Jensen"
    );

    // The registers change: Mette moves out of the paid zones, Sofie changes her name.
    edit_person(tenants.path(), GOOD_ID, |p| {
        p["address"]["street"] = json!("Roskildevej");
        p["address"]["number"] = json!("300");
        p["address"]["postcode"] = json!("2610");
        p["address"]["city"] = json!("Rødovre");
        p["address"]["municipality_code"] = json!("0175");
        p["address"]["lon"] = json!(12.45);
        p["address"]["lat"] = json!(55.68);
    });
    edit_person(tenants.path(), SOFIE, |p| {
        p["name"] = json!("Sofie Jensen Holm")
    });
    let app = restart_on(&app, |c| c.tenants_dir = dir.clone()).await;
    let staff = app.logged_in(Some("kobenhavn"), "sag@kk.example").await;

    // A dry run reports what it would do and changes nothing.
    let dry = run_to_end(&app, &staff, true).await;
    assert_eq!(dry["status"], "completed", "{dry}");
    assert_eq!(
        (
            dry["total"].as_i64(),
            dry["processed"].as_i64(),
            dry["deactivated"].as_i64(),
            dry["updated"].as_i64()
        ),
        (Some(2), Some(2), Some(1), Some(1)),
        "{dry}"
    );
    let findings = app
        .gql_with(
            &staff,
            Some("kobenhavn"),
            FINDINGS,
            json!({ "id": dry["id"] }),
        )
        .await;
    let findings = findings["data"]["rematchFindings"]
        .as_array()
        .unwrap()
        .clone();
    let deactivate = findings
        .iter()
        .find(|f| f["action"] == "deactivate")
        .unwrap();
    assert_eq!(deactivate["permitId"], mette.as_str());
    assert_eq!(
        deactivate["detail"]["rule_ids"],
        json!(["resident-zone"]),
        "{deactivate}"
    );
    let m = permit(&app, &staff, &mette).await;
    assert_eq!(m["status"], "ACTIVE", "a dry run changed the permit: {m}");
    assert_eq!(m["letters"], json!([]));
    assert_eq!(
        permit(&app, &staff, &sofie).await["holderName"],
        "Sofie Jensen"
    );

    // The real run: Mette's permit is deactivated with the rule's reason and a letter.
    let real = run_to_end(&app, &staff, false).await;
    assert_eq!(
        (
            real["status"].as_str(),
            real["deactivated"].as_i64(),
            real["updated"].as_i64(),
            real["unavailable"].as_i64()
        ),
        (Some("completed"), Some(1), Some(1), Some(0)),
        "{real}"
    );
    let m = permit(&app, &staff, &mette).await;
    assert_eq!(m["status"], "CANCELLED", "{m}");
    assert!(
        m["decisionReason"]
            .as_str()
            .unwrap()
            .contains("Din folkeregisteradresse ligger ikke i licensens betalingszone"),
        "{m}"
    );
    let letters = m["letters"].as_array().unwrap();
    assert_eq!(letters.len(), 1, "{m}");
    assert_eq!(letters[0]["kind"], "deactivation");
    assert_eq!(letters[0]["recipientName"], "Mette Sørensen");
    assert_eq!(letters[0]["subject"], "Din parkeringslicens er inaktiveret");
    let pdf_url = format!("{}{}", app.address, letters[0]["pdfPath"].as_str().unwrap());
    let pdf = staff.get(&pdf_url).send().await.unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    // The letter went by e-mail too, to the address given when paying, with its PDF.
    let mails = app.emails(1).await;
    let letter_mail = mails
        .iter()
        .find(|m| m.contains("Din parkeringslicens er inaktiveret"))
        .unwrap_or_else(|| panic!("no letter e-mail among {mails:?}"));
    assert!(
        letter_mail.contains("To: citizen@example.org"),
        "{letter_mail}"
    );
    assert!(letter_mail.contains("application/pdf"), "{letter_mail}");
    let s = permit(&app, &staff, &sofie).await;
    assert_eq!(s["status"], "ACTIVE");
    assert_eq!(s["holderName"], "Sofie Jensen Holm", "{s}");
    assert!(s["checkedAt"].is_string());

    // A second run finds only Sofie's permit, unchanged now.
    let again = run_to_end(&app, &staff, false).await;
    assert_eq!(
        (
            again["total"].as_i64(),
            again["unchanged"].as_i64(),
            again["deactivated"].as_i64()
        ),
        (Some(1), Some(1), Some(0)),
        "{again}"
    );

    // Another council sees none of it: not the run, not the letter, not the PDF.
    let other = app.logged_in(Some("odense"), "sag@odense.example").await;
    let body = app
        .gql_with(&other, Some("odense"), RUN, json!({ "id": real["id"] }))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let body = app
        .gql_with(&other, Some("odense"), "{ rematchRuns { id } }", json!({}))
        .await;
    assert_eq!(body["data"]["rematchRuns"], json!([]), "{body}");
    let stolen = other
        .get(format!(
            "{}/t/odense/letters/{}.pdf",
            app.address,
            letters[0]["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(stolen.status(), 404);
    // Without a session the PDF is refused.
    let anonymous = reqwest::Client::new().get(&pdf_url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn an_interrupted_run_resumes_after_its_last_batch_and_never_acts_twice() {
    let app = spawn_app_with(|_| {}).await;
    app.create_user(Some("kobenhavn"), "sag@kk.example", Role::Caseworker)
        .await;
    let staff = app.logged_in(Some("kobenhavn"), "sag@kk.example").await;
    let first = active_permit(&app, &staff, GOOD_ID, "AB12345").await;
    let second = active_permit(&app, &staff, SOFIE, "EF34567").await;
    let (mut ids, store) = (vec![first, second], &app.platform.store);
    ids.sort();
    let tenant = store.tenant_by_slug("kobenhavn").await.unwrap().unwrap();
    let scope = store.scope(tenant);
    let run = scope.start_rematch(false, &Actor::System).await.unwrap();
    assert_eq!(run.total, 2);
    // A second run cannot start while this one runs.
    let body = app
        .gql_with(&staff, Some("kobenhavn"), START, json!({ "dry": false }))
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");

    // The worker committed its first batch (one permit) and died.
    let batch = scope.rematch_batch(&run, 1).await.unwrap();
    assert_eq!(batch[0].0.id.to_string(), ids[0]);
    let first_id = batch[0].0.id;
    let after = scope
        .commit_rematch_batch(
            run.id,
            None,
            first_id,
            vec![civicpay_store::RematchOutcome {
                permit_id: first_id,
                action: civicpay_store::RematchAction::Unchanged,
                letter: None,
            }],
        )
        .await
        .unwrap();
    assert_eq!((after.processed, after.cursor), (1, Some(first_id)));
    // A late second worker with the old cursor is refused: nothing is applied twice.
    let late = scope
        .commit_rematch_batch(
            run.id,
            None,
            first_id,
            vec![civicpay_store::RematchOutcome {
                permit_id: first_id,
                action: civicpay_store::RematchAction::Deactivate {
                    rule_ids: vec!["x".into()],
                    reason: "late".into(),
                },
                letter: None,
            }],
        )
        .await;
    assert!(
        matches!(late, Err(civicpay_store::StoreError::Conflict(_))),
        "{late:?}"
    );

    // Resumed: only the second permit is checked, and the run completes with both counted.
    let (state, _) = civicpay::api_state(&app.platform, app.address.clone()).unwrap();
    let done = civicpay_api::rematch::run_rematch(&state, &scope, run.id, |_| {})
        .await
        .unwrap();
    assert_eq!(done.status, "completed");
    assert_eq!(
        (done.processed, done.unchanged, done.deactivated),
        (2, 2, 0)
    );
    assert_eq!(done.cursor.map(|c| c.to_string()), Some(ids[1].clone()));
    assert_eq!(permit(&app, &staff, &ids[0]).await["status"], "ACTIVE");
}
