//! Benchmark of the registry re-match (S0-8) over N active permits with the file-backed
//! registers; `loadtest/rematch.sh` builds and runs it (see `loadtest/README.md`).
//!
//! 1. Copies `tenants/` to a work folder and generates N synthetic Copenhagen residents
//!    (valid unique CPR numbers, addresses in buildings inside zone K1, one Danish passenger
//!    car each, mixed fuel classes).
//! 2. Applies the kobenhavn council to a fresh database (`--database-url`) and inserts N
//!    active P-RES-K1 permits directly (`insert_permit_if_allowed`, timed on its own).
//! 3. Writes the *changed* registers (about 2 % moved out of every zone, about 3 % with a new
//!    name) and builds the `ApiState` from them (`Eligibility::load` reads them at start).
//! 4. Optionally a dry run, then the real run, timed with `run_rematch`; progress every 10
//!    batches; counts, findings, permits and letters checked against what was generated.
//! 5. Probes (on the same database, after the run): the person-look-up log write alone, the
//!    held-permits read alone and the whole eligibility check, per call — where the time goes.
//!
//! Memory: VmRSS and VmHWM of this process from `/proc/self/status`; the peak is reset
//! (`/proc/self/clear_refs` = 5) before loading the registers and before the run, so each
//! phase's peak is its own.
// Rates, shares and megabytes in a report; no money is computed here.
#![allow(clippy::float_arithmetic)]

use anyhow::{Context as _, anyhow, bail};
use civicpay::Config;
use civicpay_api::eligibility::{self, CheckRequest};
use civicpay_api::rematch::{self, BATCH};
use civicpay_api::{ApiError, ApiState};
use civicpay_domain::PermitStatus;
use civicpay_domain::audit::Actor;
use civicpay_store::{NewPermit, RematchRunRecord, TenantScope};
use clap::Parser;
use futures::StreamExt as _;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use uuid::Uuid;

const SLUG: &str = "kobenhavn";
const SKU: &str = "P-RES-K1";
/// The re-match's look-ups are logged as this (who and purpose), see `civicpay_api::rematch`.
const WHO: &str = "registry re-match";
const APARTMENTS_PER_BUILDING: usize = 8;
/// `--with-extra-indexes`.
const EXTRA_INDEXES: [&str; 3] = [
    "CREATE INDEX IF NOT EXISTS ix_bench_permits_tenant_status_id ON permits (tenant_id, status, id)",
    "CREATE INDEX IF NOT EXISTS ix_bench_permits_tenant_replaces ON permits (tenant_id, replaces_permit_id)",
    "CREATE INDEX IF NOT EXISTS ix_bench_permits_tenant_temporary_plate ON permits (tenant_id, temporary_plate)",
];

#[derive(Parser, Debug)]
#[command(about = "Registry re-match benchmark (see loadtest/README.md)")]
struct Args {
    /// Active permits (= synthetic residents).
    #[arg(long, default_value_t = 1000)]
    n: usize,
    /// A fresh, empty database: `sqlite://FILE?mode=rwc` or `postgres://…/<db>`.
    #[arg(long)]
    database_url: String,
    /// The repository's `tenants/` folder (copied, never changed).
    #[arg(long, default_value = "tenants")]
    tenants: PathBuf,
    /// Work folder for the copied tenants (default: a temporary folder, removed at the end).
    #[arg(long)]
    work: Option<PathBuf>,
    /// Inserts in flight at once.
    #[arg(long, default_value_t = 4)]
    insert_concurrency: usize,
    /// Also time a dry run before the real run.
    #[arg(long)]
    dry_run_first: bool,
    /// Calls per probe after the run (0: no probes; at most N).
    #[arg(long, default_value_t = 5000)]
    probe: usize,
    /// Experiment: add the indexes the re-match's queries lack (not in the migrations):
    /// permits (tenant_id, status, id) for the batch query, (tenant_id, replaces_permit_id)
    /// for the renewals left out of the held permits, (tenant_id, temporary_plate) for
    /// temporary vehicles.
    #[arg(long)]
    with_extra_indexes: bool,
    /// Seed of the synthetic data (same seed and N, same data).
    #[arg(long, default_value_t = 20261202)]
    seed: u64,
}

// --- memory --------------------------------------------------------------------------------

/// VmRSS and VmHWM of this process, in KiB.
fn mem() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// User and system CPU time of the whole process so far (all threads; clock ticks of 10 ms,
/// the Linux default).
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // After the name: state is field 3, utime 14 and stime 15 (1-based).
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Resets VmHWM to the current RSS (Linux ≥ 4.0); false when the kernel refuses.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn report_mem(label: &str) -> (u64, u64) {
    let (rss, hwm) = mem();
    println!(
        "memory {label}: RSS {:.1} MiB, peak (VmHWM) {:.1} MiB",
        mib(rss),
        mib(hwm)
    );
    (rss, hwm)
}

// --- perf control (optional, loadtest/rematch.sh PERF=1) ------------------------------------

/// Tells a `perf record --control fifo:CTL,ACK -D -1` around this process to start or stop
/// sampling, so the profile covers the real run only.
fn perf(command: &str) {
    let (Ok(ctl), Ok(ack)) = (
        std::env::var("REMATCH_PERF_CTL"),
        std::env::var("REMATCH_PERF_ACK"),
    ) else {
        return;
    };
    if let Ok(mut fifo) = std::fs::OpenOptions::new().write(true).open(&ctl) {
        let _ = writeln!(fifo, "{command}");
    }
    if let Ok(fifo) = std::fs::File::open(&ack) {
        let mut line = String::new();
        let _ = std::io::BufReader::new(fifo).read_line(&mut line);
    }
}

// --- synthetic registers --------------------------------------------------------------------

const FIRST: &[&str] = &[
    "Anders",
    "Anne",
    "Birgitte",
    "Christian",
    "Camilla",
    "Emil",
    "Emma",
    "Frederik",
    "Freja",
    "Hans",
    "Hanne",
    "Ida",
    "Jens",
    "Julie",
    "Jonas",
    "Karen",
    "Kasper",
    "Laura",
    "Lars",
    "Lene",
    "Magnus",
    "Maria",
    "Mads",
    "Mette",
    "Niels",
    "Nanna",
    "Oliver",
    "Pia",
    "Peter",
    "Sofie",
    "Søren",
    "Tove",
    "Thomas",
    "Victor",
    "William",
    "Astrid",
];
const LAST: &[&str] = &[
    "Andersen",
    "Christensen",
    "Hansen",
    "Jensen",
    "Johansen",
    "Larsen",
    "Madsen",
    "Møller",
    "Nielsen",
    "Olsen",
    "Pedersen",
    "Petersen",
    "Poulsen",
    "Rasmussen",
    "Sørensen",
    "Thomsen",
    "Kristensen",
    "Jørgensen",
    "Holm",
    "Lund",
    "Schmidt",
    "Bak",
    "Dahl",
    "Frederiksen",
];
/// Streets of the inner city (zone K1) with their postcodes.
const STREETS: &[(&str, &str)] = &[
    ("Gothersgade", "1123"),
    ("Store Kongensgade", "1264"),
    ("Bredgade", "1260"),
    ("Nyhavn", "1051"),
    ("Kronprinsessegade", "1306"),
    ("Borgergade", "1300"),
    ("Dronningens Tværgade", "1302"),
    ("Amaliegade", "1256"),
    ("Østergade", "1100"),
    ("Købmagergade", "1150"),
    ("Vestergade", "1456"),
    ("Nørregade", "1165"),
    ("Fiolstræde", "1171"),
    ("Skindergade", "1159"),
    ("Nybrogade", "1203"),
    ("Strandgade", "1401"),
    ("Overgaden oven Vandet", "1415"),
    ("Prinsessegade", "1422"),
    ("Torvegade", "1400"),
    ("Sankt Annæ Gade", "1416"),
    ("Wildersgade", "1408"),
    ("Christianshavns Kanal", "1406"),
    ("Kompagnistræde", "1208"),
    ("Læderstræde", "1201"),
];
/// Inside K1 (lon 12.56–12.60, lat 55.672–55.690) with a margin.
const K1_LON: (f64, f64) = (12.5610, 12.5990);
const K1_LAT: (f64, f64) = (55.6730, 55.6890);
const FUEL: &[(&str, u32)] = &[
    ("petrol", 40),
    ("diesel", 25),
    ("hybrid", 15),
    ("electric", 20),
];
/// Days from 1940-01-01 to 1999-12-31 (CPR century digit 0–3: 1900s).
const CPR_DAYS: u64 = 21_915;
/// Days × serials 0000–3999.
const CPR_SPACE: u64 = CPR_DAYS * 4000;
/// Coprime with [`CPR_SPACE`] (= 2^7·3^2·5^4·487): scrambles the order, keeps numbers unique.
const CPR_STRIDE: u64 = 1_000_003;

#[derive(Clone, Debug)]
struct Address {
    street: String,
    number: String,
    postcode: String,
    city: String,
    municipality_code: &'static str,
    lon: f64,
    lat: f64,
}

impl Address {
    /// As `civicpay_registries::Address::one_line` writes it (the permits keep this).
    fn one_line(&self) -> String {
        format!(
            "{} {}, {} {}",
            self.street, self.number, self.postcode, self.city
        )
    }

    fn json(&self) -> Value {
        json!({
            "street": self.street,
            "number": self.number,
            "postcode": self.postcode,
            "city": self.city,
            "municipality_code": self.municipality_code,
            "lon": self.lon,
            "lat": self.lat,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Change {
    None,
    /// Moved out of every zone: the permit is deactivated with a letter.
    MovedOut,
    /// New name, same address: the permit's holder name is updated.
    Renamed,
}

/// What a permit needs from the API's parse of the holder's id.
struct Prepared {
    holder_key: String,
    holder_display: String,
    sealed: String,
    plate: Option<String>,
}

struct Resident {
    cpr: String,
    name: String,
    address: Address,
    moved_in: String,
    plate: String,
    fuel: &'static str,
    weight_kg: u32,
    change: Change,
    new_name: String,
    new_address: Address,
}

/// Rounds to 6 decimals (about 0.1 m), as a register would give a position.
fn round6(x: f64) -> f64 {
    format!("{x:.6}").parse().unwrap_or(x)
}

fn cpr(i: usize) -> String {
    let j = (i as u64).wrapping_mul(CPR_STRIDE) % CPR_SPACE;
    let day = chrono::NaiveDate::from_ymd_opt(1940, 1, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new(j % CPR_DAYS)))
        .unwrap_or_default();
    format!("{}-{:04}", day.format("%d%m%y"), j / CPR_DAYS)
}

fn plate(i: usize) -> String {
    // Two letters (no I, O, Q, Æ, Ø, Å) and five digits; unique for i < 400 × 90 000.
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPRSTUVXYZ";
    let pair = i % 400;
    let a = char::from(LETTERS[pair / 20]);
    let b = char::from(LETTERS[pair % 20]);
    format!("{a}{b}{:05}", 10_000 + i / 400)
}

fn generate(n: usize, seed: u64) -> Vec<Resident> {
    let mut rng = StdRng::seed_from_u64(seed);
    let buildings = n.div_ceil(APARTMENTS_PER_BUILDING).max(1);
    let cols = (buildings as f64).sqrt().ceil().max(1.0) as usize;
    let rows = buildings.div_ceil(cols).max(1);
    let fuel_total: u32 = FUEL.iter().map(|(_, w)| w).sum();
    let mut movers = 0usize;
    (0..n)
        .map(|i| {
            let b = i / APARTMENTS_PER_BUILDING;
            let apartment = i % APARTMENTS_PER_BUILDING;
            let (street, postcode) = STREETS[b % STREETS.len()];
            let floor = match apartment / 2 {
                0 => "st.".to_owned(),
                f => format!("{f}."),
            };
            let side = if apartment.is_multiple_of(2) {
                "th"
            } else {
                "tv"
            };
            let (c, r) = (b % cols, b / cols);
            let address = Address {
                street: street.to_owned(),
                number: format!("{}, {floor} {side}", b / STREETS.len() + 1),
                postcode: postcode.to_owned(),
                city: "København K".to_owned(),
                municipality_code: "0101",
                lon: round6(K1_LON.0 + (c as f64 + 0.5) * (K1_LON.1 - K1_LON.0) / cols as f64),
                lat: round6(K1_LAT.0 + (r as f64 + 0.5) * (K1_LAT.1 - K1_LAT.0) / rows as f64),
            };
            let first = FIRST[rng.gen_range(0..FIRST.len())];
            let last = rng.gen_range(0..LAST.len());
            let name = format!("{first} {}", LAST[last]);
            let mut pick = rng.gen_range(0..fuel_total);
            let fuel = FUEL
                .iter()
                .find(|(_, w)| {
                    if pick < *w {
                        true
                    } else {
                        pick -= w;
                        false
                    }
                })
                .map_or("petrol", |(f, _)| f);
            let weight_kg = if fuel == "electric" {
                rng.gen_range(1600..=2400)
            } else {
                rng.gen_range(950..=2000)
            };
            let moved_in = format!(
                "{}-{:02}-01",
                rng.gen_range(1995..=2025),
                rng.gen_range(1..=12)
            );
            let change = match rng.gen_range(0..1000) {
                0..20 => Change::MovedOut,
                20..50 => Change::Renamed,
                _ => Change::None,
            };
            let new_name = if change == Change::Renamed {
                format!("{first} {}", LAST[(last + 1 + i % 7) % LAST.len()])
            } else {
                name.clone()
            };
            let new_address = if change == Change::MovedOut {
                // Rødovre, west of every zone (K3 starts at lon 12.50).
                let k = movers;
                movers += 1;
                Address {
                    street: "Roskildevej".to_owned(),
                    number: format!("{}", 100 + k),
                    postcode: "2610".to_owned(),
                    city: "Rødovre".to_owned(),
                    municipality_code: "0175",
                    lon: round6(12.40 + (k % 300) as f64 * 0.0003),
                    lat: round6(55.66 + (k / 300) as f64 * 0.0003),
                }
            } else {
                address.clone()
            };
            Resident {
                cpr: cpr(i),
                name,
                address,
                moved_in,
                plate: plate(i),
                fuel,
                weight_kg,
                change,
                new_name,
                new_address,
            }
        })
        .collect()
}

/// Writes kobenhavn's people.json and vehicles.json: `changed` picks the state after the
/// changes (moves and new names) or before.
fn write_registry(tenant_dir: &Path, residents: &[Resident], changed: bool) -> anyhow::Result<()> {
    let registry = tenant_dir.join("registry");
    let people: Vec<Value> = residents
        .iter()
        .map(|r| {
            let (name, address) = if changed {
                (&r.new_name, &r.new_address)
            } else {
                (&r.name, &r.address)
            };
            json!({
                "national_id": r.cpr,
                "name": name,
                "address": address.json(),
                "moved_in": r.moved_in,
                "status": "active",
            })
        })
        .collect();
    let vehicles: Vec<Value> = residents
        .iter()
        .map(|r| {
            json!({
                "plate": r.plate,
                "kind": "passenger_car",
                "total_weight_kg": r.weight_kg,
                "fuel_class": r.fuel,
                "country": "DK",
                "owners": [{ "id_kind": "person", "id": r.cpr }],
                "users": [],
            })
        })
        .collect();
    for (file, entries) in [("people.json", people), ("vehicles.json", vehicles)] {
        let path = registry.join(file);
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&path).with_context(|| path.display().to_string())?,
        );
        serde_json::to_writer(&mut out, &entries)?;
        out.flush()?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| from.display().to_string())? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn file_mib(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1_048_576.0)
}

// --- the benchmark -------------------------------------------------------------------------

fn api(e: ApiError) -> anyhow::Error {
    anyhow!("{:?}: {}", e.code, e.message)
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn per_s(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

fn build_state(platform: &civicpay::Platform) -> anyhow::Result<ApiState> {
    Ok(civicpay::api_state(platform, "http://127.0.0.1:0".into())?.0)
}

/// Starts a run and works it to the end, printing progress every 10 batches.
async fn timed_run(
    state: &ApiState,
    scope: &TenantScope,
    dry_run: bool,
) -> anyhow::Result<(RematchRunRecord, Duration)> {
    let label = if dry_run { "dry run" } else { "real run" };
    let run = rematch::start_rematch(state, scope, dry_run, &Actor::System)
        .await
        .map_err(api)?;
    println!("{label}: run {} over {} active permits", run.id, run.total);
    let started = Instant::now();
    let mut batches = 0u64;
    let mut last = (Instant::now(), 0i64);
    let done = rematch::run_rematch(state, scope, run.id, |run| {
        batches += 1;
        if batches.is_multiple_of(10) {
            let (rss, hwm) = mem();
            let window = last.0.elapsed().as_secs_f64().max(1e-9);
            let rate = (run.processed - last.1) as f64 / window;
            last = (Instant::now(), run.processed);
            println!(
                "  {label} {:>7.1} s  batch {batches:>4}: {}  [{rate:.0}/s last 10 batches, RSS {:.1} MiB, peak {:.1} MiB]",
                started.elapsed().as_secs_f64(),
                rematch::progress_line(run),
                mib(rss),
                mib(hwm),
            );
        }
    })
    .await
    .map_err(api)?;
    Ok((done, started.elapsed()))
}

struct Expected {
    unchanged: i64,
    updated: i64,
    deactivated: i64,
}

fn check_counts(run: &RematchRunRecord, n: usize, want: &Expected) -> Vec<String> {
    let mut problems = Vec::new();
    if run.status != civicpay_store::RUN_COMPLETED {
        problems.push(format!("status {} ({:?})", run.status, run.error));
    }
    let got = (
        run.processed,
        run.unchanged,
        run.updated,
        run.deactivated,
        run.unavailable,
    );
    let expected = (n as i64, want.unchanged, want.updated, want.deactivated, 0);
    if got != expected {
        problems.push(format!(
            "counts (processed, unchanged, updated, deactivated, unavailable) = {got:?}, expected {expected:?}"
        ));
    }
    problems
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn,sqlx=error,sea_orm=error".into()),
        )
        .try_init();
    let n = args.n;
    if n == 0 || n >= 36_000_000 {
        bail!("--n must be between 1 and 35 999 999");
    }
    let started_all = Instant::now();
    report_mem("at start");

    // 1. The work folder and the synthetic residents.
    let temp;
    let work = match &args.work {
        Some(dir) => dir.clone(),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let tenants = work.join("tenants");
    if tenants.exists() {
        std::fs::remove_dir_all(&tenants)?;
    }
    copy_dir(&args.tenants, &tenants)?;
    let tenant_dir = tenants.join(SLUG);
    let t = Instant::now();
    let residents = generate(n, args.seed);
    let movers: usize = residents
        .iter()
        .filter(|r| r.change == Change::MovedOut)
        .count();
    let renamed: usize = residents
        .iter()
        .filter(|r| r.change == Change::Renamed)
        .count();
    let want = Expected {
        unchanged: (n - movers - renamed) as i64,
        updated: renamed as i64,
        deactivated: movers as i64,
    };
    println!(
        "generated {n} residents in {:.2} s: {movers} will have moved out of the zones, {renamed} will have a new name, {} unchanged",
        secs(t.elapsed()),
        want.unchanged
    );

    // 2. A fresh database with the council.
    let config = Config {
        database_url: args.database_url.clone(),
        tenants_dir: tenants.clone(),
        auto_migrate: true,
        seed_demo: false,
        run_jobs: false,
        rematch_every_hours: 0,
        ..Config::default()
    };
    let platform = civicpay::connect(&config).await?;
    let cfg = civicpay_tenant_config::load(&tenant_dir)
        .map_err(|e| anyhow!("{}: {e}", tenant_dir.display()))?;
    platform
        .store
        .apply_tenant_config(&cfg, &Actor::System, false)
        .await?;
    if args.with_extra_indexes {
        for sql in EXTRA_INDEXES {
            platform.store.execute_raw(sql).await?;
        }
        println!("experiment: added {EXTRA_INDEXES:?}");
    }
    let tenant = platform
        .store
        .tenant_by_slug(SLUG)
        .await?
        .context("kobenhavn was not applied")?;
    let scope = platform.store.scope(tenant);
    println!(
        "database: {:?}, council {SLUG} applied",
        platform.store.backend()
    );

    // 3. Active permits, inserted directly (against the state before the changes: the
    //    holder's name and address as they were). The ids are sealed with the platform's key
    //    through the API's own parse (with the repository's small registers loaded).
    let t = Instant::now();
    let (prepared, product, evaluation) = {
        let prep = build_state(&platform)?;
        let req = rematch::system_context(&prep, &scope, "rematch-bench-prep".into());
        // A real evaluation (8 rules, approved) so the rows are as large as real ones.
        let sample = eligibility::check_eligibility(
            &req,
            &scope,
            "load test",
            SKU,
            "120485-1006",
            Some("AB12345"),
            "load test sample evaluation",
            None,
        )
        .await
        .map_err(api)?;
        let evaluation = serde_json::to_value(&sample.evaluation)?;
        let product = scope
            .product_by_sku(&civicpay_domain::Sku::parse(SKU)?)
            .await?
            .context("no P-RES-K1")?;
        // Only the small strings per permit; the permits themselves are built one by one
        // while inserting (so the benchmark's own memory stays small).
        let prepared: Vec<Prepared> = futures::stream::iter(residents.iter().map(|r| {
            let (req, scope, prep) = (&req, &scope, &prep);
            async move {
                let check = eligibility::parse_check(
                    req,
                    scope,
                    SKU,
                    &r.cpr,
                    Some(&r.plate),
                    "load test",
                    None,
                )
                .await
                .map_err(api)?;
                anyhow::Ok(Prepared {
                    holder_key: prep.eligibility.pseudonym(&check.id),
                    holder_display: check.id.masked(),
                    sealed: prep.eligibility.seal(&check.id),
                    plate: check.plate.as_ref().map(|p| p.as_str().to_owned()),
                })
            }
        }))
        .buffered(4)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
        (prepared, product, evaluation)
    };
    println!(
        "prepared {n} permits (sealed ids, pseudonyms) in {:.2} s; evaluation JSON {} bytes each",
        secs(t.elapsed()),
        evaluation.to_string().len()
    );
    report_mem("after generating and preparing (the benchmark's own data)");

    let concurrency = args.insert_concurrency.max(1);
    let t = Instant::now();
    let step = (n / 10).max(1);
    let mut ids: Vec<Uuid> = Vec::with_capacity(n);
    let mut inserts = futures::stream::iter(prepared.into_iter().enumerate().map(|(i, p)| {
        let (scope, product, evaluation, r) = (&scope, &product, &evaluation, &residents[i]);
        async move {
            let permit = NewPermit {
                product_id: product.id,
                sku: product.sku.to_string(),
                kind: product.kind.as_str().to_owned(),
                zone_code: product.zone_code.clone(),
                status: PermitStatus::Active,
                holder_key: p.holder_key,
                holder_display: p.holder_display,
                plate: p.plate,
                evaluation: evaluation.clone(),
                holder_id_sealed: Some(p.sealed),
                holder_name: Some(r.name.clone()),
                holder_address: Some(r.address.one_line()),
                delivery: Some("post".into()),
                price: None,
                starts_on: None,
                manual_reason: None,
                replaces_permit_id: None,
            };
            scope
                .insert_permit_if_allowed(permit, None, &Actor::System)
                .await
                .map(|(permit, _)| (i, permit.id))
        }
    }))
    .buffer_unordered(concurrency);
    let mut index_of: HashMap<Uuid, usize> = HashMap::with_capacity(n);
    while let Some(done) = inserts.next().await {
        let (i, id) = done?;
        ids.push(id);
        index_of.insert(id, i);
        if ids.len().is_multiple_of(step) {
            println!(
                "  inserted {:>8}/{n} in {:>7.1} s ({:.0}/s)",
                ids.len(),
                secs(t.elapsed()),
                per_s(ids.len(), t.elapsed())
            );
        }
    }
    drop(inserts);
    let insert_time = t.elapsed();
    println!(
        "inserted {n} active permits in {:.1} s = {:.0} permits/s ({concurrency} in flight)",
        secs(insert_time),
        per_s(n, insert_time)
    );
    let (rss_inserted, hwm_inserted) = report_mem("after inserting (small registers loaded)");

    // 4. The registers change; the state is built from them.
    let t = Instant::now();
    write_registry(&tenant_dir, &residents, true)?;
    let people_mib = file_mib(&tenant_dir.join("registry/people.json"));
    let vehicles_mib = file_mib(&tenant_dir.join("registry/vehicles.json"));
    println!(
        "wrote the changed registers in {:.2} s: people.json {people_mib:.1} MiB, vehicles.json {vehicles_mib:.1} MiB",
        secs(t.elapsed())
    );
    let peak_reset = reset_peak();
    if !peak_reset {
        println!("(the kernel refused to reset VmHWM: peaks below are since the start)");
    }
    let t = Instant::now();
    let state = build_state(&platform)?;
    let load_time = t.elapsed();
    let (rss_loaded, hwm_load) = mem();
    println!(
        "loaded the registers (Eligibility::load, all councils) in {:.2} s: RSS {:.1} MiB (+{:.1} MiB), peak while loading {:.1} MiB",
        secs(load_time),
        mib(rss_loaded),
        mib(rss_loaded.saturating_sub(rss_inserted)),
        mib(hwm_load)
    );

    // 5. The runs.
    let mut problems: Vec<String> = Vec::new();
    let mut dry: Option<(RematchRunRecord, Duration)> = None;
    if args.dry_run_first {
        reset_peak();
        let cpu_before = cpu();
        let (run, took) = timed_run(&state, &scope, true).await?;
        let dry_cpu = cpu().saturating_sub(cpu_before);
        let (_, hwm) = mem();
        println!(
            "dry run {} in {:.1} s = {:.0} permits/s, CPU {:.1} s: {} [peak {:.1} MiB]",
            run.status,
            secs(took),
            per_s(n, took),
            secs(dry_cpu),
            rematch::progress_line(&run),
            mib(hwm)
        );
        problems.extend(
            check_counts(&run, n, &want)
                .into_iter()
                .map(|p| format!("dry run: {p}")),
        );
        dry = Some((run, took));
    }
    reset_peak();
    let (rss_before_run, _) = mem();
    let cpu_before = cpu();
    perf("enable");
    let (run, run_time) = timed_run(&state, &scope, false).await?;
    perf("disable");
    let run_cpu = cpu().saturating_sub(cpu_before);
    let (rss_after_run, hwm_run) = mem();
    println!(
        "real run {} in {:.1} s = {:.0} permits/s: {}",
        run.status,
        secs(run_time),
        per_s(n, run_time),
        rematch::progress_line(&run)
    );
    println!(
        "CPU time of the process during the run: {:.1} s ({:.0} % of one core; the rest is waiting, mostly for commits)",
        secs(run_cpu),
        100.0 * run_cpu.as_secs_f64() / run_time.as_secs_f64().max(1e-9)
    );
    println!(
        "memory during the run: RSS {:.1} → {:.1} MiB, peak {:.1} MiB",
        mib(rss_before_run),
        mib(rss_after_run),
        mib(hwm_run)
    );
    problems.extend(check_counts(&run, n, &want));

    // 6. What the run did, permit by permit.
    let t = Instant::now();
    let findings = scope.rematch_findings(run.id, n as u64).await?;
    let mut deactivated: HashSet<Uuid> = HashSet::new();
    let mut updated: HashSet<Uuid> = HashSet::new();
    for f in &findings {
        let Some(&i) = index_of.get(&f.permit_id) else {
            problems.push(format!("finding for an unknown permit {}", f.permit_id));
            continue;
        };
        let expected = &residents[i].change;
        match (f.action.as_str(), expected) {
            ("deactivate", Change::MovedOut) => {
                deactivated.insert(f.permit_id);
            }
            ("update", Change::Renamed) => {
                updated.insert(f.permit_id);
            }
            (action, expected) => problems.push(format!(
                "permit {}: finding {action}, expected {expected:?} ({})",
                f.permit_id, f.detail
            )),
        }
    }
    let mut letters = 0usize;
    let mut pdf_bytes = 0usize;
    for id in &deactivated {
        let p = scope.permit(*id).await?;
        if p.status != PermitStatus::Cancelled {
            problems.push(format!("permit {id}: {} after deactivation", p.status));
        }
        let l = scope.letters(*id).await?;
        if l.len() != 1 {
            problems.push(format!("permit {id}: {} letters, expected 1", l.len()));
        }
        if let Some(letter) = l.first() {
            letters += 1;
            if letters <= 20 {
                let pdf = scope.letter_pdf(letter.id).await?.pdf.unwrap_or_default();
                if !pdf.starts_with(b"%PDF") {
                    problems.push(format!("letter {}: not a PDF", letter.id));
                }
                pdf_bytes += pdf.len();
            }
        }
    }
    for id in &updated {
        let p = scope.permit(*id).await?;
        let i = index_of.get(id).copied().unwrap_or_default();
        if p.holder_name.as_deref() != Some(residents[i].new_name.as_str())
            || p.status != PermitStatus::Active
        {
            problems.push(format!(
                "permit {id}: {} {:?} after the update, expected ACTIVE {:?}",
                p.status, p.holder_name, residents[i].new_name
            ));
        }
    }
    for id in ids.iter().filter(|id| !deactivated.contains(*id)).take(200) {
        let p = scope.permit(*id).await?;
        if p.status != PermitStatus::Active || p.checked_at.is_none() {
            problems.push(format!(
                "permit {id}: {} checked_at {:?}, expected ACTIVE and checked",
                p.status, p.checked_at
            ));
        }
    }
    println!(
        "verified in {:.1} s: {} deactivations (each CANCELLED with one letter; {} PDFs read, {} bytes on average), {} name updates, 200 others ACTIVE and checked",
        secs(t.elapsed()),
        deactivated.len(),
        letters.min(20),
        pdf_bytes / letters.clamp(1, 20),
        updated.len()
    );

    // 7. Probes: what one permit's parts cost on this database, one call at a time.
    let mut probe_line = String::from("probes: skipped");
    let m = args.probe.min(n);
    if m > 0 {
        let req = rematch::system_context(&state, &scope, "rematch-bench-probe".into());
        let sample: Vec<&Resident> = residents
            .iter()
            .filter(|r| r.change == Change::None)
            .take(m)
            .collect();
        let m = sample.len().max(1);
        let mut checks: Vec<(CheckRequest<'_>, String)> = Vec::with_capacity(m);
        for r in &sample {
            let check =
                eligibility::parse_check(&req, &scope, SKU, &r.cpr, Some(&r.plate), WHO, None)
                    .await
                    .map_err(api)?;
            let key = check.holder_key(&state);
            checks.push((check, key));
        }
        // Three rounds of the three probes, interleaved; the median of each (WAL checkpoints
        // and the other tenants of this machine make single rounds noisy).
        let (mut logs, mut helds, mut evaluates) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..3 {
            let t = Instant::now();
            for (_, key) in &checks {
                scope.record_person_lookup(WHO, key, WHO).await?;
            }
            logs.push(t.elapsed() / m as u32);
            let t = Instant::now();
            for (check, key) in &checks {
                scope
                    .held_permits(key, check.plate.as_ref().map(|p| p.as_str()), None)
                    .await?;
            }
            helds.push(t.elapsed() / m as u32);
            let t = Instant::now();
            for (check, _) in &checks {
                eligibility::evaluate_check(
                    &req,
                    &scope,
                    WHO,
                    check,
                    // As in the run: the permit itself is left out, so nothing else is held.
                    eligibility::permit_facts(&civicpay_store::HeldPermits::default()),
                )
                .await
                .map_err(api)?;
            }
            evaluates.push(t.elapsed() / m as u32);
        }
        let median = |v: &mut Vec<Duration>| {
            v.sort();
            v[v.len() / 2]
        };
        let (lookup_log, held, evaluate) = (
            median(&mut logs),
            median(&mut helds),
            median(&mut evaluates),
        );
        let per_permit = run_time / n as u32;
        let share = |d: Duration| 100.0 * d.as_secs_f64() / per_permit.as_secs_f64().max(1e-12);
        let registers = evaluate.saturating_sub(lookup_log);
        let rest = per_permit.saturating_sub(evaluate + held);
        probe_line = format!(
            "probes ({m} calls each, one at a time, median of 3 rounds, after the run): per permit of the run {per_permit:.2?}; \
             person-look-up log write {lookup_log:.2?} ({:.0} %), held-permits read {held:.2?} ({:.0} %), \
             eligibility check incl. the log write {evaluate:.2?} ({:.0} %; registers + zone + rules ≈ {registers:.2?}, {:.0} %), \
             rest (batch read and commit, unseal, letters) ≈ {rest:.2?} ({:.0} %)",
            share(lookup_log),
            share(held),
            share(evaluate),
            share(registers),
            share(rest),
        );
        println!("{probe_line}");
    }

    // 8. The figures.
    println!();
    println!(
        "== rematch benchmark: N = {n}, {:?}{}",
        platform.store.backend(),
        if args.with_extra_indexes {
            ", with the experimental indexes on permits"
        } else {
            ""
        }
    );
    println!(
        "insert:    {:.1} s = {:.0} permits/s ({concurrency} in flight)",
        secs(insert_time),
        per_s(n, insert_time)
    );
    if let Some((d, took)) = &dry {
        println!(
            "dry run:   {:.1} s = {:.0} permits/s ({} unchanged / {} updated / {} deactivated / {} unavailable)",
            secs(*took),
            per_s(n, *took),
            d.unchanged,
            d.updated,
            d.deactivated,
            d.unavailable
        );
    }
    println!(
        "re-match:  {:.1} s = {:.0} permits/s, {} batches of {BATCH} ({} unchanged / {} updated / {} deactivated / {} unavailable; expected {} / {} / {} / 0)",
        secs(run_time),
        per_s(n, run_time),
        n.div_ceil(BATCH as usize),
        run.unchanged,
        run.updated,
        run.deactivated,
        run.unavailable,
        want.unchanged,
        want.updated,
        want.deactivated
    );
    println!(
        "CPU:       {:.1} s during the run ({:.0} % of one core of {} s wall)",
        secs(run_cpu),
        100.0 * run_cpu.as_secs_f64() / run_time.as_secs_f64().max(1e-9),
        run_time.as_secs()
    );
    println!(
        "memory:    after inserting {:.1} MiB (peak so far {:.1}); registers loaded {:.1} MiB (+{:.1}; peak while loading {:.1}); run peak {:.1} MiB, after the run {:.1} MiB",
        mib(rss_inserted),
        mib(hwm_inserted),
        mib(rss_loaded),
        mib(rss_loaded.saturating_sub(rss_inserted)),
        mib(hwm_load),
        mib(hwm_run),
        mib(rss_after_run)
    );
    println!(
        "registers: people.json {people_mib:.1} MiB, vehicles.json {vehicles_mib:.1} MiB, loaded in {:.2} s",
        secs(load_time)
    );
    println!("{probe_line}");
    println!("total wall time {:.1} s", secs(started_all.elapsed()));
    if problems.is_empty() {
        println!("verification: OK");
        Ok(())
    } else {
        for p in problems.iter().take(30) {
            println!("PROBLEM: {p}");
        }
        bail!("{} verification problem(s)", problems.len())
    }
}
