//! The citizen shop with the keyboard only: a Copenhagen resident logs in, applies for the
//! resident permit of zone K1 and pays it without a single click — every step is a Tab,
//! Shift+Tab, Enter, Space or typed text sent through the WebDriver Actions API, so the keys
//! reach whatever element the page has focused, as a real keyboard's would. Every element the
//! Tab key stops on must show a visible focus indicator (a computed `outline` or `box-shadow`),
//! and the application form's errors must be tied to their field (`aria-invalid`,
//! `aria-describedby` naming the error's element) and reachable from the error summary.

use crate::shop_journeys::ONE_AT_A_TIME;
use crate::support::Browser;
use civicpay_tests::spawn_app;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::{Value, json};

const METTE: &str = "Mette Sørensen"; // 120485-1006, zone K1, owns the petrol car AB12345

/// How many Tab presses may separate two stops of the journey before it counts as unreachable.
const MAX_TABS: usize = 60;

/// What `document.activeElement` is, and how its focus shows.
const FOCUSED: &str = "
    const e = document.activeElement;
    if (!e) { return null; }
    const s = getComputedStyle(e);
    const text = (e.innerText || e.value || e.getAttribute('aria-label') || '').trim();
    return {
      tag: e.tagName.toLowerCase(),
      id: e.id || '',
      name: e.getAttribute('name') || '',
      type: e.getAttribute('type') || '',
      href: e.getAttribute('href') || '',
      text: text.slice(0, 80),
      outlineStyle: s.outlineStyle,
      outlineWidth: s.outlineWidth,
      outlineColor: s.outlineColor,
      boxShadow: s.boxShadow,
      focusVisible: e.matches(':focus-visible'),
      describedBy: e.getAttribute('aria-describedby') || '',
      invalid: e.getAttribute('aria-invalid') || '',
    };";

/// The focused element as [`FOCUSED`] describes it.
#[derive(Debug, Clone)]
struct Focus(Value);

impl Focus {
    fn get(&self, key: &str) -> &str {
        self.0[key].as_str().unwrap_or_default()
    }

    fn tag(&self) -> &str {
        self.get("tag")
    }

    fn id(&self) -> &str {
        self.get("id")
    }

    fn text(&self) -> &str {
        self.get("text")
    }

    /// A computed outline (not `none`, wider than 0) or a box shadow: the focus can be seen.
    fn indicator_visible(&self) -> bool {
        let outline = self.get("outlineStyle") != "none"
            && self
                .get("outlineWidth")
                .trim_end_matches("px")
                .parse::<f64>()
                .is_ok_and(|w| w > 0.0);
        let shadow = !matches!(self.get("boxShadow"), "" | "none");
        outline || shadow
    }

    /// One line for messages: `button#pay "Pay 1.620,00 kr." (outline solid 3px …, shadow …)`.
    fn describe(&self) -> String {
        format!(
            "{}{}{} {:?} (outline {} {} {}; box-shadow {}; :focus-visible {})",
            self.tag(),
            if self.id().is_empty() { "" } else { "#" },
            self.id(),
            self.text(),
            self.get("outlineStyle"),
            self.get("outlineWidth"),
            self.get("outlineColor"),
            self.get("boxShadow"),
            self.0["focusVisible"]
        )
    }
}

/// The keyboard of one browser.
struct Keyboard<'a> {
    browser: &'a Browser,
}

impl Keyboard<'_> {
    /// Presses (down, then up) each key in turn.
    async fn press(&self, keys: &[char]) {
        let mut actions = KeyActions::new("keyboard".to_owned());
        for &key in keys {
            actions = actions
                .then(KeyAction::Down { value: key })
                .then(KeyAction::Up { value: key });
        }
        self.browser
            .client()
            .perform_actions(actions)
            .await
            .unwrap_or_else(|e| panic!("cannot press {keys:?}: {e}"));
    }

    /// Holds `modifier` while pressing `key` (Shift+Tab, Control+A).
    async fn chord(&self, modifier: Key, key: char) {
        let modifier = char::from(modifier);
        let actions = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: modifier })
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key })
            .then(KeyAction::Up { value: modifier });
        self.browser
            .client()
            .perform_actions(actions)
            .await
            .unwrap_or_else(|e| panic!("cannot press {modifier:?}+{key:?}: {e}"));
    }

    async fn tab(&self) {
        self.press(&[Key::Tab.into()]).await;
    }

    async fn shift_tab(&self) {
        self.chord(Key::Shift, Key::Tab.into()).await;
    }

    async fn enter(&self) {
        self.press(&[Key::Enter.into()]).await;
    }

    async fn space(&self) {
        self.press(&[Key::Space.into()]).await;
    }

    /// Types `text` into whatever has the focus, one key press per character.
    async fn type_text(&self, text: &str) {
        let keys: Vec<char> = text.chars().collect();
        self.press(&keys).await;
    }

    /// Empties the focused text field: Control+A, Backspace.
    async fn clear_field(&self) {
        self.chord(Key::Control, 'a').await;
        self.press(&[Key::Backspace.into()]).await;
    }

    async fn focused(&self) -> Focus {
        let value = self
            .browser
            .client()
            .execute(FOCUSED, vec![])
            .await
            .unwrap_or_else(|e| panic!("cannot read document.activeElement: {e}"));
        Focus(value)
    }

    /// Fails unless the focused element shows its focus.
    async fn assert_focus_visible(&self, step: &str) -> Focus {
        let focus = self.focused().await;
        if !focus.indicator_visible() {
            let shot = self.browser.screenshot(&format!("{step}-no-focus")).await;
            panic!(
                "{step}: the focused element has no visible focus indicator: {}\n  at {}\n  screenshot {}",
                focus.describe(),
                self.browser.current_url().await,
                shot.display()
            );
        }
        focus
    }

    /// Presses Tab until the focused element satisfies `wanted` (at most [`MAX_TABS`] times);
    /// every element on the way must show its focus. Returns the element.
    async fn tab_to(&self, what: &str, wanted: impl Fn(&Focus) -> bool) -> Focus {
        let mut path = Vec::new();
        for _ in 0..MAX_TABS {
            self.tab().await;
            let focus = self.focused().await;
            path.push(focus.describe());
            if focus.tag() != "body" {
                assert!(
                    focus.indicator_visible(),
                    "Tab stopped on an element without a visible focus indicator on the way to {what}: {}\n  at {}",
                    focus.describe(),
                    self.browser.current_url().await
                );
            }
            if wanted(&focus) {
                return focus;
            }
        }
        let shot = self.browser.screenshot("unreachable").await;
        panic!(
            "{what} is not reachable with {MAX_TABS} Tab presses at {}\n  screenshot {}\n  Tab stops:\n    {}",
            self.browser.current_url().await,
            shot.display(),
            path.join("\n    ")
        );
    }

    /// The page's first Tab stop must be the "Skip to content" link; Enter on it moves the
    /// focus to `<main>`, so the next Tab is the page's own content.
    async fn skip_to_content(&self) {
        self.tab().await;
        let skip = self.assert_focus_visible("skip link").await;
        assert!(
            skip.tag() == "a" && skip.get("href") == "#main",
            "the first Tab stop is not the skip link: {} at {}",
            skip.describe(),
            self.browser.current_url().await
        );
        self.enter().await;
        let main = self.focused().await;
        assert!(
            main.tag() == "main",
            "Enter on the skip link left the focus on {} at {}",
            main.describe(),
            self.browser.current_url().await
        );
    }
}

/// The text of the element with id `id`, or `None` when there is none.
async fn text_of(browser: &Browser, id: &str) -> Option<String> {
    browser
        .client()
        .execute(
            "const e = document.getElementById(arguments[0]); return e ? e.textContent.trim() : null;",
            vec![json!(id)],
        )
        .await
        .unwrap_or_else(|e| panic!("cannot read #{id}: {e}"))
        .as_str()
        .map(str::to_owned)
}

/// The plate field is invalid, and its description includes an element whose text is the
/// error `expected` (besides the hint); the error summary at the top links to the field.
async fn assert_plate_error_tied(browser: &Browser, expected: &str) {
    let field = browser
        .client()
        .execute(
            "const e = document.getElementById('plate');
             return { invalid: e.getAttribute('aria-invalid'), describedBy: e.getAttribute('aria-describedby') };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(field["invalid"], "true", "the plate field: {field}");
    let described_by = field["describedBy"].as_str().unwrap_or_default().to_owned();
    let mut texts = Vec::new();
    for id in described_by.split_whitespace() {
        let text = text_of(browser, id)
            .await
            .unwrap_or_else(|| panic!("aria-describedby names #{id}, which does not exist"));
        texts.push(text);
    }
    assert!(
        texts.iter().any(|t| t.contains(expected)),
        "aria-describedby={described_by:?} of the plate field reads {texts:?}, not the error {expected:?}"
    );
    let summary = browser
        .client()
        .execute(
            "const s = document.getElementById('error-summary');
             if (!s) { return null; }
             const link = s.querySelector('a[href=\"#plate\"]');
             return { role: s.getAttribute('role'), link: link ? link.textContent.trim() : null };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(summary["role"], "alert", "the error summary: {summary}");
    assert!(
        summary["link"]
            .as_str()
            .is_some_and(|l| l.contains(expected)),
        "the error summary does not link the plate field with the error: {summary}"
    );
}

/// From the top of a re-shown application form: skip to the content, Tab to the summary's link
/// to the plate field, follow it with Enter; the focus is then in the plate field.
async fn follow_summary_to_plate(keys: &Keyboard<'_>, expected: &str) {
    keys.skip_to_content().await;
    keys.tab_to("the error summary's link to the plate field", |f| {
        f.tag() == "a" && f.get("href") == "#plate"
    })
    .await;
    let link = keys.assert_focus_visible("error summary link").await;
    assert!(link.text().contains(expected), "{}", link.describe());
    keys.enter().await;
    let field = keys
        .assert_focus_visible("plate field from the summary")
        .await;
    assert_eq!(
        field.id(),
        "plate",
        "the summary's link left the focus on {}",
        field.describe()
    );
    assert_eq!(field.get("invalid"), "true", "{}", field.describe());
}

#[tokio::test]
async fn a_resident_applies_and_pays_with_the_keyboard_only() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("keyboard_only").await else {
        return;
    };
    let keys = Keyboard { browser: &browser };
    let app = spawn_app().await;
    let base = format!("{}/t/kobenhavn", app.address);

    // Home: the skip link is the first Tab stop; then the log-in button of the page.
    browser.goto(&format!("{base}/")).await;
    browser.wait_for(".cards").await;
    keys.skip_to_content().await;
    browser.checkpoint("home-skipped-to-content").await;
    keys.tab_to("the log-in link", |f| {
        f.tag() == "a" && f.get("href").ends_with("/login")
    })
    .await;
    browser.checkpoint("home-login-focused").await;
    keys.enter().await;

    // Log-in: Tab to the demo person, Enter.
    browser.wait_for_url("/login").await;
    browser.wait_for(".people").await;
    keys.skip_to_content().await;
    keys.tab_to(METTE, |f| f.tag() == "button" && f.text() == METTE)
        .await;
    browser.checkpoint("login-person-focused").await;
    keys.enter().await;

    // Back on the shop, logged in: Tab to the resident permit of zone K1.
    browser.wait_for_text(METTE).await;
    browser.wait_for(".cards").await;
    keys.skip_to_content().await;
    keys.tab_to("the product P-RES-K1", |f| {
        f.tag() == "a" && f.get("href").ends_with("/products/P-RES-K1")
    })
    .await;
    browser.checkpoint("home-product-focused").await;
    keys.enter().await;

    // Product: "Can I get it?" with the plate, submitted with Enter in the field.
    browser.wait_for_url("/products/P-RES-K1").await;
    keys.skip_to_content().await;
    keys.tab_to("the check's plate field", |f| f.id() == "check-plate")
        .await;
    keys.type_text("AB12345").await;
    keys.enter().await;
    browser.wait_for("#check-result.ok").await;
    keys.skip_to_content().await;
    keys.tab_to("the Apply link", |f| {
        f.tag() == "a" && f.get("href").ends_with("/products/P-RES-K1/apply")
    })
    .await;
    browser.checkpoint("product-apply-focused").await;
    keys.enter().await;

    // Apply, first with no plate: Tab past the empty field to the button, Space.
    browser.wait_for_url("/apply").await;
    browser.wait_for("#zone-map[data-drawn]").await;
    keys.skip_to_content().await;
    keys.tab_to("the plate field", |f| f.id() == "plate").await;
    let submit = keys
        .tab_to("the submit button", |f| {
            f.tag() == "button" && f.get("type") == "submit"
        })
        .await;
    // Shift+Tab goes back to the field before it (the first day), Tab forward again.
    keys.shift_tab().await;
    let previous = keys
        .assert_focus_visible("shift-tab to the start date")
        .await;
    assert_eq!(previous.id(), "starts_on", "{}", previous.describe());
    browser.screenshot("apply-start-date-focused").await;
    keys.tab().await;
    let again = keys
        .assert_focus_visible("tab back to the submit button")
        .await;
    assert_eq!(again.text(), submit.text(), "{}", again.describe());
    browser.checkpoint("apply-submit-focused").await;
    keys.space().await;

    let missing = "Enter the number plate of the vehicle.";
    browser.wait_for("#error-summary").await;
    assert_plate_error_tied(&browser, missing).await;
    browser.checkpoint("apply-plate-missing").await;

    // The summary leads to the field; an invalid plate is explained there too.
    follow_summary_to_plate(&keys, missing).await;
    keys.type_text("X").await;
    keys.enter().await;
    browser.wait_for_text("The number plate is not valid").await;
    assert_plate_error_tied(&browser, "The number plate is not valid").await;
    browser.checkpoint("apply-plate-invalid").await;

    // Corrected through the summary's link: clear the field, type the plate, Enter.
    follow_summary_to_plate(&keys, "The number plate is not valid").await;
    browser.checkpoint("apply-plate-focused-from-summary").await;
    keys.clear_field().await;
    keys.type_text("AB12345").await;
    keys.enter().await;

    // Basket: Tab past the optional e-mail to Pay, Enter.
    browser.wait_for_url("/basket").await;
    browser.wait_for("#basket").await;
    keys.skip_to_content().await;
    keys.tab_to("the Pay button", |f| f.id() == "pay").await;
    browser.checkpoint("basket-pay-focused").await;
    keys.enter().await;

    // The sandbox PSP's page: Tab to the card number, type it, Tab to Pay, Enter.
    browser.wait_for_url("/sandbox/checkout/").await;
    keys.tab_to("the card number field", |f| f.get("name") == "card_number")
        .await;
    keys.type_text("4242424242424242").await;
    keys.tab_to("the sandbox's Pay button", |f| {
        f.tag() == "button" && f.text() == "Pay"
    })
    .await;
    browser.screenshot("sandbox-pay-focused").await;
    keys.enter().await;

    // The status page follows the payment until it is paid; the receipt is a Tab stop.
    browser.wait_for_url("/status").await;
    browser.wait_for("[data-status=captured]").await;
    browser.wait_for("#receipt").await;
    keys.skip_to_content().await;
    keys.tab_to("the receipt link", |f| f.id() == "receipt")
        .await;
    browser.checkpoint("paid-receipt-focused").await;
}
