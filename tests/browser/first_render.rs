//! A Lighthouse-style measurement of the shop's first render, reported and never asserted on
//! time: the home page, a product page and the application page (logged in; it loads Leaflet
//! and draws the zone map) are opened in headless Chromium, cold (each time a new browser
//! with a fresh profile, so an empty cache; it has only opened `/healthz`, which has no
//! assets) and warm (the same page again in that browser), and their figures read from the Performance API — navigation timing (TTFB, DOM content
//! loaded, load), paint timing (first paint, first contentful paint), the largest contentful
//! paint through a buffered `PerformanceObserver`, and the resources' number and bytes.
//!
//! `cargo test -p civicpay-tests --test browser -- --ignored measure_first_render --nocapture`
//! prints a table (median and max per page) and writes it as markdown to
//! `<CARGO_TARGET_DIR or target>/test-output/first-render.md`. The test fails only when an
//! entry is missing (no navigation or first-contentful-paint entry), never on a time.

use crate::shop_journeys::ONE_AT_A_TIME;
use crate::support::{Browser, TIMEOUT};
use civicpay_tests::{repo_root, spawn_app};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Cold loads per page (each in a new browser) and warm loads after each cold one.
const COLD_RUNS: usize = 5;
const WARM_PER_COLD: usize = 2;

/// Who logs in for the application page (the development log-in), zone K1.
const METTE: &str = "Mette Sørensen";

struct Target {
    name: &'static str,
    path: &'static str,
    logged_in: bool,
    /// What shows the page is complete (the map is drawn on the application page).
    ready: &'static str,
}

const TARGETS: [Target; 3] = [
    Target {
        name: "home",
        path: "/t/kobenhavn/",
        logged_in: false,
        ready: ".cards",
    },
    Target {
        name: "product",
        path: "/t/kobenhavn/products/P-RES-K1",
        logged_in: false,
        ready: "h1",
    },
    Target {
        name: "apply",
        path: "/t/kobenhavn/products/P-RES-K1/apply",
        logged_in: true,
        ready: "#zone-map[data-drawn]",
    },
];

/// Everything read from the Performance API after one load. Times in whole microseconds from
/// the navigation's start (rounded here, so the test does no float arithmetic), sizes in bytes.
const MEASURE: &str = "
    const done = arguments[arguments.length - 1];
    const us = (t) => (typeof t === 'number' ? Math.round(t * 1000) : null);
    const nav = performance.getEntriesByType('navigation')[0] || null;
    const paint = {};
    for (const p of performance.getEntriesByType('paint')) { paint[p.name] = us(p.startTime); }
    const resources = performance.getEntriesByType('resource');
    const sum = (key) => resources.reduce((total, r) => total + (r[key] || 0), 0);
    let lcp = null;
    try {
      new PerformanceObserver((list) => {
        const all = list.getEntries();
        if (all.length) {
          const last = all[all.length - 1];
          lcp = { time: us(last.startTime), size: last.size,
                  element: last.element ? last.element.tagName.toLowerCase() + (last.element.id ? '#' + last.element.id : '') : null };
        }
      }).observe({ type: 'largest-contentful-paint', buffered: true });
    } catch (e) { lcp = { error: String(e) }; }
    setTimeout(() => done({
      nav: nav && { responseStart: us(nav.responseStart), domContentLoadedEventEnd: us(nav.domContentLoadedEventEnd),
                    loadEventEnd: us(nav.loadEventEnd), transferSize: nav.transferSize,
                    encodedBodySize: nav.encodedBodySize, decodedBodySize: nav.decodedBodySize },
      firstPaint: paint['first-paint'] ?? null,
      firstContentfulPaint: paint['first-contentful-paint'] ?? null,
      lcp,
      resources: { count: resources.length, transferSize: sum('transferSize'),
                   encodedBodySize: sum('encodedBodySize'), decodedBodySize: sum('decodedBodySize'),
                   names: resources.map(r => r.name.replace(location.origin, '')
                     + (r.responseStatus && r.responseStatus !== 200 ? ' (' + r.responseStatus + ')' : '')) },
      userAgent: navigator.userAgent,
    }), 150);";

/// Logs in through the development log-in with `fetch` from a page without assets
/// (`/healthz`), so the application page's first load still finds an empty cache.
const LOG_IN: &str = "
    const done = arguments[arguments.length - 1];
    const [login, person] = arguments;
    fetch(login, { credentials: 'same-origin' })
      .then(r => r.text())
      .then(html => {
        const page = new DOMParser().parseFromString(html, 'text/html');
        const button = [...page.querySelectorAll('form button')].find(b => b.textContent.trim() === person);
        if (!button) { throw new Error('no log-in button for ' + person); }
        const form = button.form;
        const body = new URLSearchParams();
        for (const input of form.querySelectorAll('input')) { body.append(input.name, input.value); }
        return fetch(form.getAttribute('action'), { method: 'POST', body, credentials: 'same-origin' });
      })
      .then(r => done('logged in ' + r.status + ' ' + r.url), e => done('error ' + e));";

/// One load's figures: times in microseconds, sizes in bytes.
#[derive(Debug, Clone, Default)]
struct Sample {
    ttfb: u64,
    dcl: u64,
    load: u64,
    first_paint: Option<u64>,
    fcp: u64,
    lcp: Option<u64>,
    doc_transfer: u64,
    doc_encoded: u64,
    doc_decoded: u64,
    resources: u64,
    resource_transfer: u64,
    resource_encoded: u64,
    resource_decoded: u64,
}

fn number(v: &Value) -> Option<u64> {
    v.as_u64()
}

/// Opens `url` and reads its figures once the page is complete and its entries are in.
async fn measure(browser: &Browser, url: &str, ready: &str) -> (Sample, Value) {
    browser.goto(url).await;
    browser.wait_for(ready).await;
    // `goto` returns at readyState "complete"; the load event's end and the first contentful
    // paint are recorded a moment later.
    let started = Instant::now();
    let raw = loop {
        let raw = browser
            .client()
            .execute_async(MEASURE, vec![])
            .await
            .unwrap_or_else(|e| panic!("cannot read the Performance API at {url}: {e}"));
        let complete = raw["nav"]["loadEventEnd"].as_u64().is_some_and(|t| t > 0)
            && raw["firstContentfulPaint"].is_number();
        if complete || started.elapsed() > TIMEOUT {
            break raw;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let nav = &raw["nav"];
    assert!(nav.is_object(), "{url}: no navigation timing entry: {raw}");
    let fcp = number(&raw["firstContentfulPaint"])
        .unwrap_or_else(|| panic!("{url}: no first-contentful-paint entry: {raw}"));
    let sample = Sample {
        ttfb: number(&nav["responseStart"]).unwrap_or_default(),
        dcl: number(&nav["domContentLoadedEventEnd"]).unwrap_or_default(),
        load: number(&nav["loadEventEnd"]).unwrap_or_default(),
        first_paint: number(&raw["firstPaint"]),
        fcp,
        lcp: number(&raw["lcp"]["time"]),
        doc_transfer: number(&nav["transferSize"]).unwrap_or_default(),
        doc_encoded: number(&nav["encodedBodySize"]).unwrap_or_default(),
        doc_decoded: number(&nav["decodedBodySize"]).unwrap_or_default(),
        resources: number(&raw["resources"]["count"]).unwrap_or_default(),
        resource_transfer: number(&raw["resources"]["transferSize"]).unwrap_or_default(),
        resource_encoded: number(&raw["resources"]["encodedBodySize"]).unwrap_or_default(),
        resource_decoded: number(&raw["resources"]["decodedBodySize"]).unwrap_or_default(),
    };
    (sample, raw)
}

/// The median (of an even number: the mean of the middle two, rounded down).
fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    let n = values.len();
    let upper = values.get(n / 2).copied().unwrap_or_default();
    if n % 2 == 1 {
        upper
    } else {
        let lower = values
            .get((n / 2).saturating_sub(1))
            .copied()
            .unwrap_or(upper);
        lower.midpoint(upper)
    }
}

/// `(median, max)` of one figure over `samples`; `None` when no sample has it.
fn stats(samples: &[Sample], figure: impl Fn(&Sample) -> Option<u64>) -> Option<(u64, u64)> {
    let mut values: Vec<u64> = samples.iter().filter_map(figure).collect();
    let top = values.iter().copied().max()?;
    Some((median(&mut values), top))
}

/// Microseconds as milliseconds with one decimal.
fn ms(us: u64) -> String {
    format!("{}.{} ms", us / 1000, us % 1000 / 100)
}

fn bytes(b: u64) -> String {
    if b >= 10_000 {
        format!("{}.{} kB", b / 1000, b % 1000 / 100)
    } else {
        format!("{b} B")
    }
}

fn count(n: u64) -> String {
    n.to_string()
}

type Figure = (&'static str, fn(&Sample) -> Option<u64>, fn(u64) -> String);

const FIGURES: [Figure; 13] = [
    ("TTFB (responseStart)", |s| Some(s.ttfb), ms),
    ("first paint", |s| s.first_paint, ms),
    ("first contentful paint", |s| Some(s.fcp), ms),
    ("largest contentful paint", |s| s.lcp, ms),
    ("DOMContentLoaded end", |s| Some(s.dcl), ms),
    ("load event end", |s| Some(s.load), ms),
    ("document transferSize", |s| Some(s.doc_transfer), bytes),
    ("document encodedBodySize", |s| Some(s.doc_encoded), bytes),
    ("document decodedBodySize", |s| Some(s.doc_decoded), bytes),
    ("resources (count)", |s| Some(s.resources), count),
    (
        "resources transferSize",
        |s| Some(s.resource_transfer),
        bytes,
    ),
    (
        "resources encodedBodySize",
        |s| Some(s.resource_encoded),
        bytes,
    ),
    (
        "resources decodedBodySize",
        |s| Some(s.resource_decoded),
        bytes,
    ),
];

/// One page's table: a row per figure, median and max of the cold and the warm loads.
fn table(name: &str, path: &str, cold: &[Sample], warm: &[Sample], notes: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### {name} — `{path}`\n");
    let _ = writeln!(
        out,
        "| figure | cold median | cold max | warm median | warm max |\n|---|---:|---:|---:|---:|"
    );
    for (label, figure, format) in FIGURES {
        let cell = |samples: &[Sample]| match stats(samples, figure) {
            Some((m, x)) => (format(m), format(x)),
            None => ("–".to_owned(), "–".to_owned()),
        };
        let (cm, cx) = cell(cold);
        let (wm, wx) = cell(warm);
        let _ = writeln!(out, "| {label} | {cm} | {cx} | {wm} | {wx} |");
    }
    let _ = writeln!(
        out,
        "\n{} cold loads, {} warm loads. {notes}\n",
        cold.len(),
        warm.len()
    );
    out
}

fn report_path() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo_root().join("target"), PathBuf::from)
        .join("test-output")
        .join("first-render.md")
}

#[tokio::test]
#[ignore = "a measurement, not a check: run it with --ignored measure_first_render --nocapture"]
async fn measure_first_render() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app().await;
    let started = Instant::now();
    let mut report = String::new();
    let mut user_agent = String::new();
    for target in &TARGETS {
        let url = format!("{}{}", app.address, target.path);
        let (mut cold, mut warm) = (Vec::new(), Vec::new());
        let mut notes = String::new();
        for run in 0..COLD_RUNS {
            let Some(browser) = Browser::start(&format!("first_render/{}", target.name)).await
            else {
                return;
            };
            // Every cold load follows one navigation to `/healthz` (JSON, no assets): the
            // browser's own first-navigation start-up is not counted, the cache stays empty.
            browser.goto(&format!("{}/healthz", app.address)).await;
            if target.logged_in {
                let answer = browser
                    .client()
                    .execute_async(LOG_IN, vec![json!("/t/kobenhavn/login"), json!(METTE)])
                    .await
                    .unwrap_or_else(|e| panic!("cannot log in: {e}"));
                let answer = answer.as_str().unwrap_or_default().to_owned();
                assert!(answer.starts_with("logged in 200"), "{answer}");
            }
            let (sample, raw) = measure(&browser, &url, target.ready).await;
            // Each start empties the page's screenshot folder: the last cold load's stays.
            if run + 1 == COLD_RUNS {
                browser.screenshot("cold").await;
            }
            if run == 0 {
                user_agent = raw["userAgent"].as_str().unwrap_or_default().to_owned();
                let resources = raw["resources"]["names"]
                    .as_array()
                    .map(|names| {
                        names
                            .iter()
                            .filter_map(Value::as_str)
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                let lcp = &raw["lcp"];
                notes = format!(
                    "Largest contentful paint: {} ({} px²). Resources of the cold load: {resources}",
                    lcp["element"].as_str().unwrap_or("–"),
                    lcp["size"].as_u64().unwrap_or_default()
                );
            }
            cold.push(sample);
            for _ in 0..WARM_PER_COLD {
                let (sample, _) = measure(&browser, &url, target.ready).await;
                warm.push(sample);
            }
        }
        report.push_str(&table(target.name, target.path, &cold, &warm, &notes));
    }
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let header = format!(
        "# First render of the shop\n\n{build} build, {cores} cores, {user_agent}, loopback; \
         cold = a new browser with a fresh profile (empty cache) that has opened only `/healthz`, \
         warm = the same page again in that browser ({WARM_PER_COLD} after each cold load). Measured in {} s.\n\n",
        started.elapsed().as_secs()
    );
    let markdown = format!("{header}{report}");
    println!("{markdown}");
    let path = report_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    std::fs::write(&path, &markdown)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    println!("written to {}", path.display());
}
