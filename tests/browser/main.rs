//! Real-browser tests: headless Chromium through chromedriver against the real server, with a
//! screenshot and an accessibility check (axe-core) of every page. See tests/README.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod csp;
mod first_render;
mod keyboard;
mod pay_journey;
mod shop_journeys;
#[allow(
    dead_code,
    reason = "the harness offers helpers not every journey uses"
)]
mod support;
