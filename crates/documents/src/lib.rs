//! civicpay-documents: the printable documents a council sends or hands out — a letter to a
//! citizen (for example "your permit was deactivated because …"), the parking permit itself and
//! a payment receipt — rendered to PDF (A4) from plain, already-localized data: every label,
//! date and amount arrives as a finished string, so this crate does no formatting of money,
//! dates or plates and holds no translations. It owns the page layout (wrapping within the
//! margins, continuing on further pages, page numbers, the council's name and colour) and the
//! embedded DejaVu Sans fonts, subset per document, so Danish, Dutch and Polish text renders
//! and extracts correctly; the output is byte-for-byte deterministic for the same input. It
//! depends on no other civicpay crate and does no I/O: no database, no files, no network, no
//! async — plain data in, bytes out. Storing, mailing or signing the PDFs happens elsewhere.

mod font;
mod layout;
mod letter;
mod pdf;
mod permit;
mod receipt;
mod units;

/// How a council's documents are marked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Branding {
    /// Shown as the document's header, e.g. "Københavns Kommune".
    pub council_name: String,
    /// The council's colour as `#rrggbb` (or `#rgb`), e.g. `"#1f5ca8"`; a default blue if `None`.
    pub primary_color: Option<String>,
    /// A contact line printed in every page's footer, e.g. "Borgerservice · 33 66 33 66 · kk.dk".
    pub contact: Option<String>,
}

/// A letter to a citizen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Letter {
    pub branding: Branding,
    pub recipient_name: String,
    /// The postal address, one line each ("Nørrebrogade 12, 3. tv.", "2200 København N").
    pub recipient_address: Vec<String>,
    /// Preformatted in the council's locale, e.g. "3. marts 2025".
    pub date: String,
    /// Printed as given under the date; include a label if wanted, e.g. "Sagsnr. 2025-0042".
    pub reference: String,
    /// In bold above the body; also the PDF's title.
    pub subject: String,
    /// Body paragraphs; each wraps within the margins, and a `\n` inside one is a line break.
    pub paragraphs: Vec<String>,
    /// E.g. "Med venlig hilsen\nBorgerservice" (`\n` breaks the line).
    pub closing: String,
}

/// The parking permit itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PermitDocument {
    pub branding: Branding,
    /// The permit product, e.g. "Beboerlicens". Also the PDF's title.
    pub title: String,
    /// Localized label and value, in the order shown: plate, zone, valid from/to, holder's
    /// masked id, … The values come formatted (and masked) by the caller.
    pub fields: Vec<(String, String)>,
    /// Localized label for the permit number, e.g. "Licensnummer".
    pub permit_number_label: String,
    pub permit_number: String,
    /// Small print under the fields, e.g. "Licensen skal kunne ses i forruden."
    pub footer: Option<String>,
}

/// A payment receipt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Receipt {
    pub branding: Branding,
    /// E.g. "Kvittering"; also the PDF's title.
    pub title: String,
    pub labels: ReceiptLabels,
    /// Receipt number or payment reference.
    pub reference: String,
    /// Date and time, preformatted, e.g. "3. marts 2025 kl. 14:05".
    pub issued_at: String,
    /// E.g. "Visa •••• 4242" or "MobilePay".
    pub payment_method: String,
    pub lines: Vec<ReceiptLine>,
    /// Preformatted, e.g. "1.620,00 kr.".
    pub total: String,
    /// Label and amount, under the total, e.g. ("Heraf moms 25 %", "324,00 kr.").
    pub vat_summary: Vec<(String, String)>,
    /// Small print at the end (address, VAT number, "Betalt via …"); each wraps.
    pub footer_lines: Vec<String>,
}

/// The localized labels of a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiptLabels {
    /// E.g. "Kvitteringsnr."
    pub reference: String,
    /// E.g. "Dato"
    pub issued_at: String,
    /// E.g. "Betalingsmåde"
    pub payment_method: String,
    /// Column headings of the lines: e.g. "Beskrivelse", "Antal", "Moms", "Beløb".
    pub description: String,
    pub quantity: String,
    pub vat: String,
    pub amount: String,
    /// E.g. "I alt"
    pub total: String,
}

/// One line of a receipt; every value comes formatted by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiptLine {
    /// Wraps within its column, e.g. "Beboerlicens, zone K, 01.04.2025–31.03.2026".
    pub description: String,
    /// E.g. "1" or "12 mdr."
    pub quantity: String,
    /// The VAT of the line, rate or amount, e.g. "25 %"; may be empty.
    pub vat: String,
    /// E.g. "1.620,00 kr."
    pub amount: String,
}

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// `Branding::primary_color` is not `#rrggbb` or `#rgb`.
    #[error("invalid colour {0:?}: expected #rrggbb")]
    InvalidColor(String),
    /// The embedded font could not be read or subset (a bug in this crate, not bad input).
    #[error("embedded font {font}: {reason}")]
    Font { font: &'static str, reason: String },
}

/// Renders a letter to a citizen as an A4 PDF.
pub fn render_letter(letter: &Letter) -> Result<Vec<u8>, DocumentError> {
    letter::render(letter)
}

/// Renders a parking permit as an A4 PDF.
pub fn render_permit(permit: &PermitDocument) -> Result<Vec<u8>, DocumentError> {
    permit::render(permit)
}

/// Renders a payment receipt as an A4 PDF.
pub fn render_receipt(receipt: &Receipt) -> Result<Vec<u8>, DocumentError> {
    receipt::render(receipt)
}
