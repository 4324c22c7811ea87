//! Documents a holder or the staff can download: the permit itself as PDF (S0-12: no manual
//! handling left), in the council's language, from the same record the API shows. Who may see
//! it: staff who handle permits, or the citizen who holds it — anyone else gets NOT_FOUND, as
//! for another council's permit.

use crate::context::{Caller, RequestContext};
use crate::error::{ApiError, ApiResult};
use civicpay_domain::{Locale, Permission, PermitStatus};
use civicpay_store::{PermitRecord, TenantScope};
use uuid::Uuid;

struct Labels {
    plate: &'static str,
    temporary: &'static str,
    zone: &'static str,
    valid_from: &'static str,
    valid_to: &'static str,
    holder: &'static str,
    number: &'static str,
    footer: &'static str,
}

fn labels(lang: &str) -> Labels {
    match lang {
        "da" => Labels {
            plate: "Nummerplade",
            temporary: "Midlertidigt køretøj",
            zone: "Zone",
            valid_from: "Gyldig fra",
            valid_to: "Gyldig til",
            holder: "Indehaver",
            number: "Licensnr.",
            footer: "Licensen kontrolleres elektronisk på nummerpladen; du behøver ikke lægge den i bilen.",
        },
        "nl" => Labels {
            plate: "Kenteken",
            temporary: "Vervangend voertuig",
            zone: "Zone",
            valid_from: "Geldig vanaf",
            valid_to: "Geldig tot en met",
            holder: "Houder",
            number: "Vergunningnr.",
            footer: "De vergunning wordt elektronisch op kenteken gecontroleerd.",
        },
        "pl" => Labels {
            plate: "Numer rejestracyjny",
            temporary: "Pojazd zastępczy",
            zone: "Strefa",
            valid_from: "Ważne od",
            valid_to: "Ważne do",
            holder: "Posiadacz",
            number: "Nr zezwolenia",
            footer: "Zezwolenie jest sprawdzane elektronicznie po numerze rejestracyjnym.",
        },
        _ => Labels {
            plate: "Plate",
            temporary: "Temporary vehicle",
            zone: "Zone",
            valid_from: "Valid from",
            valid_to: "Valid until",
            holder: "Holder",
            number: "Permit no.",
            footer: "The permit is checked electronically by the plate; there is nothing to display in the car.",
        },
    }
}

/// The permit `id` as the caller may see it: staff with `CheckEligibility`, or its citizen
/// holder; NOT_FOUND for anyone else.
pub async fn visible_permit(
    req: &RequestContext,
    scope: &TenantScope,
    id: Uuid,
) -> ApiResult<PermitRecord> {
    if matches!(req.caller, Caller::Anonymous) {
        return Err(ApiError::unauthenticated(
            "log in to see your permit, or as staff who handle permits",
        ));
    }
    let permit = scope.permit(id).await?;
    let allowed = match &req.caller {
        Caller::Citizen { session, .. } => session.holder_key == permit.holder_key,
        caller => caller.allows(Permission::CheckEligibility),
    };
    if !allowed {
        return Err(ApiError::not_found(format!("permit {id} not found")));
    }
    Ok(permit)
}

/// The permit as a one-page PDF in `locale` (CONFLICT unless it is active or expired).
pub async fn permit_pdf(
    scope: &TenantScope,
    permit: &PermitRecord,
    locale: &Locale,
) -> ApiResult<Vec<u8>> {
    if !matches!(permit.status, PermitStatus::Active | PermitStatus::Expired) {
        return Err(ApiError::conflict(format!(
            "the permit is {}; only an active (or expired) permit has a document",
            permit.status
        )));
    }
    let tenant = scope.tenant();
    let lang = locale.as_str().split('-').next().unwrap_or("en");
    let text = labels(lang);
    let product = scope.product(permit.product_id).await?;
    let date = |d: Option<chrono::NaiveDate>| {
        d.map(|d| match lang {
            "en" => d.format("%-d %B %Y").to_string(),
            _ => d.format("%d.%m.%Y").to_string(),
        })
        .unwrap_or_default()
    };
    let mut fields = vec![(
        text.plate.to_owned(),
        permit.plate.clone().unwrap_or_default(),
    )];
    if let (Some(plate), Some(until)) = (&permit.temporary_plate, permit.temporary_until) {
        fields.push((
            text.temporary.to_owned(),
            format!("{plate} – {}", date(Some(until))),
        ));
    }
    if let Some(zone) = &permit.zone_code {
        fields.push((text.zone.to_owned(), zone.clone()));
    }
    fields.push((text.valid_from.to_owned(), date(permit.valid_from)));
    fields.push((text.valid_to.to_owned(), date(permit.valid_to)));
    fields.push((
        text.holder.to_owned(),
        match &permit.holder_name {
            Some(name) => format!("{name} ({})", permit.holder_display),
            None => permit.holder_display.clone(),
        },
    ));
    let document = civicpay_documents::PermitDocument {
        branding: civicpay_documents::Branding {
            council_name: tenant.name.get(locale, &tenant.default_locale).to_owned(),
            primary_color: tenant.branding["primary_color"].as_str().map(str::to_owned),
            contact: tenant.branding["support_email"].as_str().map(str::to_owned),
        },
        title: product.name.get(locale, &tenant.default_locale).to_owned(),
        fields,
        permit_number_label: text.number.to_owned(),
        permit_number: permit.id.simple().to_string(),
        footer: Some(text.footer.to_owned()),
    };
    civicpay_documents::render_permit(&document).map_err(ApiError::internal)
}

struct ReceiptText {
    title: &'static str,
    labels: [&'static str; 8],
    vat_included: &'static str,
    refunded: &'static str,
    paid_via: &'static str,
}

fn receipt_text(lang: &str) -> ReceiptText {
    match lang {
        "da" => ReceiptText {
            title: "Kvittering",
            labels: [
                "Kvitteringsnr.",
                "Dato",
                "Betalingsmåde",
                "Beskrivelse",
                "Antal",
                "Moms",
                "Beløb",
                "I alt",
            ],
            vat_included: "Heraf moms",
            refunded: "Tilbagebetalt",
            paid_via: "Betalt via",
        },
        "nl" => ReceiptText {
            title: "Betalingsbewijs",
            labels: [
                "Bewijsnr.",
                "Datum",
                "Betaalwijze",
                "Omschrijving",
                "Aantal",
                "Btw",
                "Bedrag",
                "Totaal",
            ],
            vat_included: "Waarvan btw",
            refunded: "Terugbetaald",
            paid_via: "Betaald via",
        },
        "pl" => ReceiptText {
            title: "Potwierdzenie zapłaty",
            labels: [
                "Nr potwierdzenia",
                "Data",
                "Metoda płatności",
                "Opis",
                "Ilość",
                "VAT",
                "Kwota",
                "Razem",
            ],
            vat_included: "W tym VAT",
            refunded: "Zwrócono",
            paid_via: "Zapłacono przez",
        },
        _ => ReceiptText {
            title: "Receipt",
            labels: [
                "Receipt no.",
                "Date",
                "Payment method",
                "Description",
                "Qty",
                "VAT",
                "Amount",
                "Total",
            ],
            vat_included: "Of which VAT",
            refunded: "Refunded",
            paid_via: "Paid via",
        },
    }
}

/// The receipt of a payment as a one-page PDF in `locale`: its lines, the total and the VAT
/// in it, the method and when it was paid. CONFLICT unless money was received.
pub async fn receipt_pdf(
    scope: &TenantScope,
    detail: &civicpay_store::PaymentDetail,
    locale: &Locale,
) -> ApiResult<Vec<u8>> {
    use civicpay_domain::PaymentStatus;
    let payment = &detail.payment;
    if !matches!(
        payment.status,
        PaymentStatus::Captured | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
    ) {
        return Err(ApiError::conflict(format!(
            "payment {} is {}; a receipt exists once it is paid",
            payment.reference, payment.status
        )));
    }
    let tenant = scope.tenant();
    let lang = locale.language();
    let text = receipt_text(lang);
    let money = |m: civicpay_money::Money| civicpay_money::format_money(m, lang);
    let paid_at = detail
        .events
        .iter()
        .rev()
        .find(|e| e.to_status == PaymentStatus::Captured.as_str())
        .map_or(payment.updated_at, |e| e.created_at);
    let local = paid_at.with_timezone(&tenant.timezone);
    let issued_at = match lang {
        "en" => local.format("%-d %B %Y, %H:%M").to_string(),
        _ => local.format("%d.%m.%Y %H:%M").to_string(),
    };
    let vat_total = detail
        .lines
        .iter()
        .try_fold(
            civicpay_money::Money::new(0, payment.amount.currency()),
            |sum, l| sum.checked_add(l.vat),
        )
        .map_err(ApiError::internal)?;
    let mut vat_summary = vec![(text.vat_included.to_owned(), money(vat_total))];
    if payment.refunded.amount_minor() > 0 {
        vat_summary.push((text.refunded.to_owned(), money(payment.refunded)));
    }
    let [
        reference,
        issued,
        method,
        description,
        quantity,
        vat,
        amount,
        total,
    ] = text.labels;
    let receipt = civicpay_documents::Receipt {
        branding: civicpay_documents::Branding {
            council_name: tenant.name.get(locale, &tenant.default_locale).to_owned(),
            primary_color: tenant.branding["primary_color"].as_str().map(str::to_owned),
            contact: tenant.branding["support_email"].as_str().map(str::to_owned),
        },
        title: text.title.to_owned(),
        labels: civicpay_documents::ReceiptLabels {
            reference: reference.into(),
            issued_at: issued.into(),
            payment_method: method.into(),
            description: description.into(),
            quantity: quantity.into(),
            vat: vat.into(),
            amount: amount.into(),
            total: total.into(),
        },
        reference: payment.reference.clone(),
        issued_at,
        payment_method: payment.method.clone().unwrap_or_else(|| "card".into()),
        lines: detail
            .lines
            .iter()
            .map(|l| civicpay_documents::ReceiptLine {
                description: l.description.clone(),
                quantity: l.quantity.to_string(),
                vat: money(l.vat),
                amount: money(l.line_total),
            })
            .collect(),
        total: money(payment.captured),
        vat_summary,
        footer_lines: vec![format!("{} {}", text.paid_via, payment.gateway)],
    };
    civicpay_documents::render_receipt(&receipt).map_err(ApiError::internal)
}
