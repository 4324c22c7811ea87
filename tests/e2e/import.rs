//! `civicpay import bills`, run as the built binary against a fresh database with Odense applied.

use civicpay_store::{Debtor, Store};
use civicpay_tests::{civicpay_bin, fresh_database};
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

fn civicpay(database_url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(civicpay_bin())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("REDIS_URL")
        .env_remove("SENTRY_DSN")
        .current_dir(civicpay_tests::repo_root())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {}: {e} (build it first)",
                civicpay_bin().display()
            )
        });
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh database with Odense applied; the directory holds it (on SQLite) and the files.
async fn odense() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir).await;
    let (ok, _, stderr) = civicpay(&url, &["tenant", "apply", "tenants/odense"]);
    assert!(ok, "{stderr}");
    (dir, url)
}

fn import(url: &str, file: &Path, extra: &[&str]) -> (bool, String, String) {
    let mut args = vec![
        "import",
        "bills",
        "--tenant",
        "odense",
        file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    civicpay(url, &args)
}

const HEADER: &str = "external_reference,debtor_kind,debtor_id,description,amount,vat_code,due_date,sku,allow_partial\n";

async fn open_bills(url: &str, kind: &str, id: &str) -> Vec<civicpay_store::PaymentRequestRecord> {
    let store = Store::connect(url).await.unwrap();
    let tenant = store.tenant_by_slug("odense").await.unwrap().unwrap();
    store
        .scope(tenant)
        .open_bills(&Debtor::parse(kind, id).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_csv_imports_once_and_a_second_import_skips_it() {
    let (dir, url) = odense().await;
    let file = dir.path().join("bills.csv");
    std::fs::write(
        &file,
        format!(
            "{HEADER}LIB-1001,national_id,010190-1234,\"Lost book \"\"Dune\"\", 2nd edition\",300.00,exempt,2026-03-31,LIB-LOST,false\n\
             DC-2001,national_id,010190-1234,Day care January,2395.00,,,DC-KINDERGARTEN,true\n\
             WASTE-3001,company_id,12345678,Waste collection 2025,20,standard,,,\n"
        ),
    )
    .unwrap();

    let (ok, stdout, stderr) = import(&url, &file, &["--dry-run"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("would import 3 bills"), "{stdout}");
    assert!(
        open_bills(&url, "national_id", "0101901234")
            .await
            .is_empty()
    );

    let (ok, stdout, stderr) = import(&url, &file, &[]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("imported 3 bills (total 2715.00 DKK); 0 already imported"),
        "{stdout}"
    );
    let bills = open_bills(&url, "national_id", "0101901234").await;
    assert_eq!(bills.len(), 2);
    let lost = bills
        .iter()
        .find(|b| b.external_reference.as_deref() == Some("LIB-1001"))
        .unwrap();
    assert_eq!(lost.description, "Lost book \"Dune\", 2nd edition");
    assert_eq!(lost.amount.amount_minor(), 30_000);
    assert_eq!(lost.due_date.unwrap().to_string(), "2026-03-31");
    assert_eq!(lost.lines[0].sku.as_deref(), Some("LIB-LOST"));
    let day_care = bills
        .iter()
        .find(|b| b.external_reference.as_deref() == Some("DC-2001"))
        .unwrap();
    assert!(day_care.allow_partial);
    assert_eq!(
        day_care.lines[0].vat_code, "exempt",
        "the 0 % code by default"
    );
    let waste = open_bills(&url, "company_id", "12345678").await;
    assert_eq!(
        waste[0].lines[0].vat.amount_minor(),
        400,
        "25 % of 20.00 gross"
    );

    let (ok, stdout, stderr) = import(&url, &file, &[]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("imported 0 bills") && stdout.contains("3 already imported, skipped"),
        "{stdout}"
    );
    let (ok, stdout, _) = import(&url, &file, &["--dry-run"]);
    assert!(ok);
    assert!(
        stdout.contains("would import 0 bills") && stdout.contains("3 already imported"),
        "{stdout}"
    );
    assert_eq!(open_bills(&url, "national_id", "0101901234").await.len(), 2);
}

#[tokio::test]
async fn every_bad_row_is_reported_and_nothing_is_written() {
    let (dir, url) = odense().await;
    let good_rows = "LIB-1,national_id,010190-1234,Lost book,300.00,exempt,,,\n\
                     LIB-4,email,reader@example.org,Overdue fee,20.00,exempt,,,\n";
    let file = dir.path().join("bad.csv");
    std::fs::write(
        &file,
        format!(
            "{HEADER}LIB-1,national_id,010190-1234,Lost book,300.00,exempt,,,\n\
             LIB-2,national_id,010190-1234,Lost DVD,\"12,50\",exempt,,,\n\
             LIB-4,email,reader@example.org,Overdue fee,20.00,exempt,,,\n\
             LIB-3,person,010190-1234,Lost map,45.00,exempt,,,\n"
        ),
    )
    .unwrap();
    let (ok, stdout, stderr) = import(&url, &file, &[]);
    assert!(!ok, "a file with bad rows must fail: {stdout}");
    assert!(
        stderr.contains("bad.csv:3: amount: \"12,50\" is not an amount"),
        "{stderr}"
    );
    assert!(stderr.contains("bad.csv:5: debtor_kind:"), "{stderr}");
    assert!(stderr.contains("nothing imported"), "{stderr}");
    assert!(
        open_bills(&url, "national_id", "0101901234")
            .await
            .is_empty()
    );

    // The good rows were not written: importing them alone creates them.
    let good = dir.path().join("good.csv");
    std::fs::write(&good, format!("{HEADER}{good_rows}")).unwrap();
    let (ok, stdout, stderr) = import(&url, &good, &[]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("imported 2 bills") && stdout.contains("0 already imported"),
        "{stdout}"
    );

    // A reference twice in one file names both lines.
    let twice = dir.path().join("twice.csv");
    std::fs::write(&twice, format!("{HEADER}{good_rows}{good_rows}")).unwrap();
    let (ok, _, stderr) = import(&url, &twice, &[]);
    assert!(!ok);
    assert!(
        stderr.contains("twice.csv:4: external_reference: \"LIB-1\" appears twice in the file, on line 2 and on line 4"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_json_file_imports() {
    let (dir, url) = odense().await;
    let file = dir.path().join("bills.json");
    std::fs::write(
        &file,
        r#"[
  {
    "external_reference": "DC-9001",
    "debtor": { "kind": "national_id", "id": "020285-4321" },
    "description": "Day care, spring",
    "due_date": "2026-04-30",
    "allow_partial": true,
    "lines": [
      { "description": "February", "amount": "2395.00", "vat_code": "exempt", "sku": "DC-KINDERGARTEN" },
      { "description": "March", "amount": "2395.00", "quantity": 1 }
    ]
  },
  {
    "external_reference": "LIB-9002",
    "debtor": { "kind": "email", "id": "reader@example.org" },
    "description": "Overdue fees",
    "lines": [ { "amount": "20.00", "quantity": 3 } ]
  }
]
"#,
    )
    .unwrap();
    let (ok, stdout, stderr) = import(&url, &file, &[]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("imported 2 bills (total 4850.00 DKK)"),
        "{stdout}"
    );
    let bills = open_bills(&url, "national_id", "0202854321").await;
    assert_eq!(bills.len(), 1);
    assert_eq!(bills[0].lines.len(), 2);
    assert_eq!(bills[0].amount.amount_minor(), 479_000);
    let fees = open_bills(&url, "email", "reader@example.org").await;
    assert_eq!(fees[0].lines[0].quantity, 3);
    assert_eq!(fees[0].lines[0].description, "Overdue fees");

    // A semantic problem names the index and the line where the object starts.
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&file)
            .unwrap()
            .replace("\"reader@example.org\"", "\"not an e-mail\""),
    )
    .unwrap();
    let (ok, _, stderr) = import(&url, &bad, &[]);
    assert!(!ok);
    assert!(stderr.contains("bad.json:13: [1].debtor.id:"), "{stderr}");
}

#[tokio::test]
async fn five_thousand_rows_import_in_one_go() {
    let (dir, url) = odense().await;
    let file = dir.path().join("balances.csv");
    let mut text = String::from(HEADER);
    for i in 0..5_000 {
        writeln!(
            text,
            "OLD-{i:05},national_id,0101{:06},Old library balance {i},{}.{:02},exempt,2026-01-31,,",
            i % 1000,
            10 + i % 90,
            i % 100
        )
        .unwrap();
    }
    std::fs::write(&file, text).unwrap();
    let started = std::time::Instant::now();
    let (ok, stdout, stderr) = import(&url, &file, &[]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("imported 5000 bills"), "{stdout}");
    eprintln!("5,000 bills imported in {:?}", started.elapsed());
    assert_eq!(open_bills(&url, "national_id", "0101000007").await.len(), 5);

    let (ok, stdout, _) = import(&url, &file, &["--dry-run"]);
    assert!(ok);
    assert!(
        stdout.contains("would import 0 bills") && stdout.contains("5000 already imported"),
        "{stdout}"
    );
}
