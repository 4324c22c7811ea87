//! Documents a holder or the staff can download: the permit itself as PDF (S0-12: no manual
//! handling left), in the council's language, from the same record the API shows. Who may see
//! it: staff who handle permits, or the citizen who holds it — anyone else gets NOT_FOUND, as
//! for another council's permit.

use crate::context::{Caller, RequestContext};
use crate::error::{ApiError, ApiResult};
use crate::i18n;
use civicpay_domain::{Locale, Permission, PermitStatus};
use civicpay_store::{PermitRecord, TenantScope};
use uuid::Uuid;

/// The permit's labels in `lang` (`documents.ftl`).
struct Labels {
    plate: String,
    temporary: String,
    zone: String,
    valid_from: String,
    valid_to: String,
    holder: String,
    number: String,
    footer: String,
}

fn labels(lang: &str) -> Labels {
    let t = |key| i18n::text(lang, key, &[]);
    Labels {
        plate: t("permit-plate"),
        temporary: t("permit-temporary-vehicle"),
        zone: t("permit-zone"),
        valid_from: t("permit-valid-from"),
        valid_to: t("permit-valid-to"),
        holder: t("permit-holder"),
        number: t("permit-number"),
        footer: t("permit-footer"),
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
    let date =
        |d: Option<chrono::NaiveDate>| d.map(|d| i18n::format_date(d, lang)).unwrap_or_default();
    let mut fields = vec![(text.plate, permit.plate.clone().unwrap_or_default())];
    if let (Some(plate), Some(until)) = (&permit.temporary_plate, permit.temporary_until) {
        fields.push((text.temporary, format!("{plate} – {}", date(Some(until)))));
    }
    if let Some(zone) = &permit.zone_code {
        fields.push((text.zone, zone.clone()));
    }
    fields.push((text.valid_from, date(permit.valid_from)));
    fields.push((text.valid_to, date(permit.valid_to)));
    fields.push((
        text.holder,
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
        permit_number_label: text.number,
        permit_number: permit.id.simple().to_string(),
        footer: Some(text.footer),
    };
    civicpay_documents::render_permit(&document).map_err(ApiError::internal)
}

/// The receipt's words in `lang` (`documents.ftl`); `gateway` names the PSP it was paid
/// through.
struct ReceiptText {
    title: String,
    labels: civicpay_documents::ReceiptLabels,
    vat_included: String,
    refunded: String,
    paid_via: String,
}

fn receipt_text(lang: &str, gateway: &str) -> ReceiptText {
    let t = |key| i18n::text(lang, key, &[]);
    ReceiptText {
        title: t("receipt-title"),
        labels: civicpay_documents::ReceiptLabels {
            reference: t("receipt-number"),
            issued_at: t("receipt-date"),
            payment_method: t("receipt-payment-method"),
            description: t("receipt-description"),
            quantity: t("receipt-quantity"),
            vat: t("receipt-vat"),
            amount: t("receipt-amount"),
            total: t("receipt-total"),
        },
        vat_included: t("receipt-vat-included"),
        refunded: t("receipt-refunded"),
        paid_via: i18n::text(lang, "receipt-paid-via", &[("gateway", gateway)]),
    }
}

/// When a receipt's payment was made, in `lang`: the date as the language writes it and the
/// time (`receipt-paid-at`).
fn paid_at_text(at: chrono::NaiveDateTime, lang: &str) -> String {
    i18n::text(
        lang,
        "receipt-paid-at",
        &[
            ("date", &i18n::format_date(at.date(), lang)),
            ("time", &at.format("%H:%M").to_string()),
        ],
    )
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
    let text = receipt_text(lang, &payment.gateway);
    let money = |m: civicpay_money::Money| civicpay_money::format_money(m, lang);
    let paid_at = detail
        .events
        .iter()
        .rev()
        .find(|e| e.to_status == PaymentStatus::Captured.as_str())
        .map_or(payment.updated_at, |e| e.created_at);
    let local = paid_at.with_timezone(&tenant.timezone);
    let issued_at = paid_at_text(local.naive_local(), lang);
    let vat_total = detail
        .lines
        .iter()
        .try_fold(
            civicpay_money::Money::new(0, payment.amount.currency()),
            |sum, l| sum.checked_add(l.vat),
        )
        .map_err(ApiError::internal)?;
    let mut vat_summary = vec![(text.vat_included, money(vat_total))];
    if payment.refunded.amount_minor() > 0 {
        vat_summary.push((text.refunded, money(payment.refunded)));
    }
    let receipt = civicpay_documents::Receipt {
        branding: civicpay_documents::Branding {
            council_name: tenant.name.get(locale, &tenant.default_locale).to_owned(),
            primary_color: tenant.branding["primary_color"].as_str().map(str::to_owned),
            contact: tenant.branding["support_email"].as_str().map(str::to_owned),
        },
        title: text.title,
        labels: text.labels,
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
        footer_lines: vec![text.paid_via],
    };
    civicpay_documents::render_receipt(&receipt).map_err(ApiError::internal)
}

/// Every text of the permit and the receipt in `lang`, for the tests of `i18n`.
#[cfg(test)]
pub(crate) fn all_texts(lang: &str) -> Vec<String> {
    let Labels {
        plate,
        temporary,
        zone,
        valid_from,
        valid_to,
        holder,
        number,
        footer,
    } = labels(lang);
    let ReceiptText {
        title,
        labels,
        vat_included,
        refunded,
        paid_via,
    } = receipt_text(lang, "sandbox");
    let paid_at = chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
        .and_then(|d| d.and_hms_opt(14, 5, 0))
        .unwrap_or_default();
    vec![
        plate,
        temporary,
        zone,
        valid_from,
        valid_to,
        holder,
        number,
        footer,
        title,
        labels.reference,
        labels.issued_at,
        labels.payment_method,
        labels.description,
        labels.quantity,
        labels.vat,
        labels.amount,
        labels.total,
        vat_included,
        refunded,
        paid_via,
        paid_at_text(paid_at, lang),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permit_and_the_receipt_speak_the_language() {
        let l = labels("da");
        assert_eq!(l.number, "Licensnr.");
        assert_eq!(
            l.footer,
            "Licensen kontrolleres elektronisk på nummerpladen; du behøver ikke lægge den i bilen."
        );
        assert_eq!(labels("nl").valid_to, "Geldig tot en met");
        let r = receipt_text("pl", "sandbox");
        assert_eq!(r.title, "Potwierdzenie zapłaty");
        assert_eq!(r.paid_via, "Zapłacono przez sandbox");
        assert_eq!(receipt_text("en", "stripe").paid_via, "Paid via stripe");
        assert_eq!(receipt_text("xx", "stripe").labels.quantity, "Qty");
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
            .and_then(|d| d.and_hms_opt(9, 5, 0))
            .unwrap_or_default();
        assert_eq!(paid_at_text(at, "en"), "2 December 2026, 09:05");
        assert_eq!(paid_at_text(at, "da"), "2. december 2026 09:05");
    }
}
