//! Each renderer's PDF read back by an independent parser (pdf-extract over lopdf): the text is
//! there, in Danish, Dutch and Polish; long text wraps and continues on further pages; output
//! is deterministic and small.

mod common;

use civicpay_documents::{
    DocumentError, Letter, PermitDocument, Receipt, render_letter, render_permit, render_receipt,
};
use pdf_extract::Document;

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

fn letter_pdf(l: &Letter) -> Vec<u8> {
    ok(render_letter(l))
}

fn permit_pdf(p: &PermitDocument) -> Vec<u8> {
    ok(render_permit(p))
}

fn receipt_pdf(r: &Receipt) -> Vec<u8> {
    ok(render_receipt(r))
}

/// The text of each page, as a PDF reader extracts it.
fn pages_text(pdf: &[u8]) -> Vec<String> {
    assert!(pdf.starts_with(b"%PDF-1.7"), "not a PDF header");
    ok(pdf_extract::extract_text_from_mem_by_pages(pdf))
}

fn page_count(pdf: &[u8]) -> usize {
    ok(Document::load_mem(pdf)).get_pages().len()
}

/// pdf-extract may break a line into fragments separated by more than one space; compare on
/// single spaces.
fn squash(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_contains(text: &str, expected: &[&str]) {
    let text = squash(text);
    for e in expected {
        assert!(text.contains(e), "{e:?} not in extracted text:\n{text}");
    }
}

const NATIONAL: [&str; 3] = ["Nørrebrogade", "Łódź", "ąćęłńóśźż"];

#[test]
fn letter_is_a_pdf_with_its_text() {
    let letter = common::letter();
    let pdf = letter_pdf(&letter);
    assert_eq!(page_count(&pdf), 1);
    let text = pages_text(&pdf).concat();
    assert_contains(&text, &NATIONAL);
    assert_contains(
        &text,
        &[
            "Københavns Kommune",
            "Søren Ærø Åberg",
            "Nørrebrogade 12, 3. tv.",
            "2200 København N",
            "3. marts 2025",
            "Sagsnr. 2025-0042",
            "Din beboerlicens er blevet deaktiveret",
            "Folkeregistret (CPR)",
            "ĳsvrij, één",
            "Med venlig hilsen",
            "Borgerservice, Københavns Kommune",
            "tlf. 33 66 33 66",
        ],
    );
}

#[test]
fn permit_is_a_pdf_with_its_text() {
    let permit = common::permit();
    let pdf = permit_pdf(&permit);
    assert_eq!(page_count(&pdf), 1);
    let text = pages_text(&pdf).concat();
    assert_contains(&text, &NATIONAL);
    assert_contains(
        &text,
        &[
            "Gemeente Utrecht",
            "Bewonersvergunning — zone",
            "Binnenstad",
            "Vergunningnummer",
            "UTR-2025-000123",
            "Kenteken",
            "GB-123-X",
            "Geldig tot en met",
            "31 maart 2026",
            "BSN ****5678",
            "voor uw eigen",
            "administratie.",
        ],
    );
}

#[test]
fn receipt_is_a_pdf_with_its_text() {
    let receipt = common::receipt();
    let pdf = receipt_pdf(&receipt);
    assert_eq!(page_count(&pdf), 1);
    let text = pages_text(&pdf).concat();
    assert_contains(&text, &["Łódź", "ąćęłńóśźż"]);
    assert_contains(
        &text,
        &[
            "Urząd Miasta Łodzi",
            "Potwierdzenie płatności",
            "LDZ-2025-000987",
            "3 marca 2025, 14:05",
            "Metoda płatności",
            "BLIK",
            "Opis",
            "Ilość",
            "Kwota",
            "1 200,00 zł",
            "20,00 zł",
            "Razem",
            "1 220,00 zł",
            "W tym VAT 23 %",
            "228,13 zł",
            "NIP 725-00-28-902",
        ],
    );
}

/// A body line is 170 mm (482 pt) wide at 10.5 pt; these words average well over 0.5 em a
/// character, so a line holds about 80 of them. 100 is a bound no unwrapped text stays under.
const MAX_LINE_CHARS: usize = 100;

#[test]
fn a_long_paragraph_wraps_within_the_margins() {
    let words = [
        "Nørrebrogade",
        "Łódź",
        "ąćęłńóśźż",
        "beboerlicens",
        "zone",
        "K",
    ];
    let paragraph: String = words
        .iter()
        .cycle()
        .scan(0, |len, w| {
            *len += w.chars().count() + 1;
            (*len <= 3000).then_some(*w)
        })
        .collect::<Vec<_>>()
        .join(" ");
    assert!(paragraph.chars().count() > 2950);

    let mut letter = common::letter();
    letter.paragraphs = vec![paragraph.clone()];
    let text = squash(&pages_text(&letter_pdf(&letter)).concat());

    let body: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && l.split(' ').all(|w| words.contains(&w)))
        .collect();
    let longest = body.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    eprintln!("3,000 characters: {} lines, longest {longest}", body.len());
    assert!(body.len() >= 3000 / MAX_LINE_CHARS, "{} lines", body.len());
    assert!(longest <= MAX_LINE_CHARS, "a line of {longest} characters");
    assert!(longest >= 60, "lines are filled: longest {longest}");
    // Nothing lost or broken: the lines are the paragraph's words in order.
    assert_eq!(body.join(" "), paragraph);
}

#[test]
fn a_long_letter_continues_on_a_second_page() {
    let mut letter = common::letter();
    letter.paragraphs = (1..=30)
        .map(|i| format!("Afsnit {i}. {}", "Nørrebrogade Łódź ąćęłńóśźż. ".repeat(12)))
        .collect();
    let pdf = letter_pdf(&letter);
    let pages = pages_text(&pdf);
    assert!(pages.len() >= 2, "{} pages", pages.len());
    assert_eq!(page_count(&pdf), pages.len());
    let last = squash(pages.last().map_or("", String::as_str));
    assert_contains(&last, &["Afsnit 30.", "Med venlig hilsen"]);
    // Later pages repeat the council's name and number the pages.
    for (i, page) in pages.iter().enumerate() {
        assert_contains(
            page,
            &[
                "Københavns Kommune",
                &format!("{} / {}", i + 1, pages.len()),
            ],
        );
    }
}

#[test]
fn a_receipt_of_120_lines_spans_pages_with_its_heading_repeated() {
    let mut receipt = common::receipt();
    receipt.lines = common::receipt_lines(120);
    let pdf = receipt_pdf(&receipt);
    let pages = pages_text(&pdf);
    assert!(pages.len() >= 2, "{} pages", pages.len());
    let all = squash(&pages.concat());
    for i in 1..=120 {
        assert!(
            all.contains(&format!("miesiąc {i}")) && all.contains(&format!("{i},00 zł")),
            "line {i} missing"
        );
    }
    for page in &pages {
        assert_contains(page, &["Opis", "Ilość", "Kwota"]);
    }
    assert_contains(
        pages.last().map_or("", String::as_str),
        &["Razem", "1 220,00 zł"],
    );
}

#[test]
fn output_is_deterministic() {
    let letter = common::letter();
    let permit = common::permit();
    let receipt = common::receipt();
    assert_eq!(letter_pdf(&letter), letter_pdf(&letter));
    assert_eq!(permit_pdf(&permit), permit_pdf(&permit));
    assert_eq!(receipt_pdf(&receipt), receipt_pdf(&receipt));
    let pdf = letter_pdf(&letter);
    let raw = String::from_utf8_lossy(&pdf);
    assert!(!raw.contains("CreationDate") && !raw.contains("ModDate") && !raw.contains("/ID"));
}

#[test]
fn different_input_gives_different_output() {
    let mut other = common::letter();
    other.recipient_name.push('x');
    assert_ne!(letter_pdf(&common::letter()), letter_pdf(&other));
}

#[test]
fn a_one_page_letter_is_small_and_embeds_font_subsets() {
    let pdf = letter_pdf(&common::letter());
    eprintln!("one-page letter: {} bytes", pdf.len());
    assert!(pdf.len() < 60_000, "{} bytes", pdf.len());

    let doc = ok(Document::load_mem(&pdf));
    let mut embedded = 0;
    for object in doc.objects.values() {
        let Ok(dict) = object.as_dict() else { continue };
        if dict.get(b"Type").and_then(|t| t.as_name()).ok() == Some(b"FontDescriptor") {
            let name = ok(dict.get(b"FontName").and_then(|n| n.as_name()));
            // A subset's name is "ABCDEF+Name".
            assert_eq!(
                name.get(6),
                Some(&b'+'),
                "{}",
                String::from_utf8_lossy(name)
            );
            assert!(dict.get(b"FontFile2").is_ok(), "font program embedded");
            embedded += 1;
        }
    }
    assert_eq!(embedded, 2, "regular and bold");
}

#[test]
fn an_invalid_colour_is_an_error() {
    let mut letter = common::letter();
    letter.branding.primary_color = Some("blue".to_owned());
    assert!(matches!(
        render_letter(&letter),
        Err(DocumentError::InvalidColor(c)) if c == "blue"
    ));
}

#[test]
fn a_light_colour_and_short_hex_render() {
    let mut permit = common::permit();
    permit.branding.primary_color = Some("#fe0".to_owned());
    assert_contains(
        &pages_text(&permit_pdf(&permit)).concat(),
        &["Gemeente Utrecht"],
    );
}

#[test]
fn characters_the_font_lacks_do_not_fail() {
    let mut letter = common::letter();
    letter.subject = "Tilladelse 許可 🚗 ok".to_owned();
    let text = pages_text(&letter_pdf(&letter)).concat();
    assert_contains(&text, &["Tilladelse", "ok"]);
    assert!(
        text.contains('\u{FFFD}'),
        "shown as the replacement character"
    );
}

#[test]
fn empty_documents_still_render() {
    for pdf in [
        letter_pdf(&Letter::default()),
        permit_pdf(&PermitDocument::default()),
        receipt_pdf(&Receipt::default()),
    ] {
        assert_eq!(page_count(&pdf), 1);
    }
}

#[test]
fn a_long_unbroken_word_is_split_not_cut_off() {
    let mut letter = common::letter();
    letter.paragraphs = vec!["x".repeat(300)];
    let text = squash(&pages_text(&letter_pdf(&letter)).concat());
    let xs: usize = text
        .lines()
        .filter(|l| !l.is_empty() && l.chars().all(|c| c == 'x'))
        .map(|l| l.chars().count())
        .sum();
    assert_eq!(xs, 300);
}
