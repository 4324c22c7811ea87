//! The registry re-match (S0-8): every active permit of a council checked again against fresh
//! register facts with the council's rules. Still entitled → unchanged, or the holder's name
//! and address updated from the register; no longer entitled → deactivated with the failing
//! rules as the reason and a letter (PDF) to the holder; a register that does not answer →
//! left as it is and counted, never deactivated on a guess. A dry run reports what it would do.
//! Batches commit with their cursor (see `civicpay_store::rematch`), so a run resumes after a
//! crash without doing anything twice. Every look-up is logged with purpose "registry
//! re-match".

use crate::context::{ApiState, Caller, RequestContext};
use crate::eligibility::{self, CheckRequest};
use crate::error::{ApiError, ApiResult};
use crate::i18n;
use chrono::Utc;
use civicpay_domain::Locale;
use civicpay_domain::audit::Actor;
use civicpay_registries::Plate;
use civicpay_rules::Decision;
use civicpay_store::{
    NewLetter, PermitRecord, ProductRecord, RematchAction, RematchOutcome, RematchRunRecord,
    StoreError, TenantScope,
};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Permits per batch (one commit each).
pub const BATCH: u64 = 200;
/// A running run whose heartbeat is older than this has lost its worker and is resumed.
pub const INTERRUPTED_AFTER: chrono::Duration = chrono::Duration::minutes(2);
/// Who the re-match's look-ups are logged as.
const WHO: &str = "registry re-match";

/// A request context for work without an HTTP request: the council's default language.
pub fn system_context(state: &ApiState, scope: &TenantScope, request_id: String) -> RequestContext {
    let tenant = Arc::new(scope.tenant().clone());
    RequestContext {
        state: state.clone(),
        locale: tenant.default_locale.clone(),
        tenant: Some(tenant),
        caller: Caller::Anonymous,
        request_id,
    }
}

/// Starts a run (CONFLICT while another runs) and returns it; the caller runs it with
/// [`run_rematch`] (in the background for GraphQL, in the foreground for the CLI).
pub async fn start_rematch(
    state: &ApiState,
    scope: &TenantScope,
    dry_run: bool,
    actor: &Actor,
) -> ApiResult<RematchRunRecord> {
    let slug = scope.tenant().slug.to_string();
    let council = state
        .eligibility
        .council(&slug)
        .ok_or_else(|| ApiError::conflict("permits are not configured for this council"))?;
    if council.registries.is_none() {
        return Err(ApiError::conflict(eligibility::REGISTERS_NOT_CONFIGURED));
    }
    Ok(scope.start_rematch(dry_run, actor).await?)
}

/// Works a run to its end, batch by batch, calling `progress` after each commit. A batch
/// another worker committed first ends this worker quietly (the run is in other hands).
pub async fn run_rematch(
    state: &ApiState,
    scope: &TenantScope,
    run_id: Uuid,
    mut progress: impl FnMut(&RematchRunRecord),
) -> ApiResult<RematchRunRecord> {
    scope.touch_rematch(run_id).await?;
    let req = system_context(state, scope, format!("rematch-{run_id}"));
    let mut products: HashMap<Uuid, ProductRecord> = HashMap::new();
    loop {
        let run = scope.rematch_run(run_id).await?;
        if run.status != civicpay_store::RUN_RUNNING {
            return Ok(run);
        }
        let batch = scope.rematch_batch(&run, BATCH).await?;
        let Some(last) = batch.last().map(|(p, _)| p.id) else {
            return Ok(scope.finish_rematch(run_id, None).await?);
        };
        let mut outcomes = Vec::with_capacity(batch.len());
        for (permit, sealed) in batch {
            let outcome = match decide(&req, scope, &mut products, &permit, sealed, run.dry_run)
                .await
            {
                Ok(outcome) => outcome,
                Err(e) => {
                    // An unexpected failure on one permit: record it and go on; the run
                    // itself fails only when the database does.
                    tracing::warn!(permit = %permit.id, error = %e.message, "re-match could not decide a permit");
                    RematchOutcome {
                        permit_id: permit.id,
                        action: RematchAction::Unavailable { detail: e.message },
                        letter: None,
                    }
                }
            };
            outcomes.push(outcome);
        }
        match scope
            .commit_rematch_batch(run_id, run.cursor, last, outcomes)
            .await
        {
            Ok(run) => progress(&run),
            Err(StoreError::Conflict(message)) => {
                tracing::info!(run = %run_id, %message, "re-match batch taken over by another worker");
                return Ok(scope.rematch_run(run_id).await?);
            }
            Err(e) => {
                let e: ApiError = e.into();
                scope.finish_rematch(run_id, Some(&e.message)).await?;
                return Err(e);
            }
        }
    }
}

/// Resumes every run of every council whose worker died (heartbeat older than
/// [`INTERRUPTED_AFTER`]). Returns how many it finished.
pub async fn resume_interrupted(state: &ApiState) -> ApiResult<usize> {
    let mut resumed = 0;
    for tenant in state.store.tenants().await? {
        let scope = state.store.scope(tenant);
        for run in scope
            .interrupted_rematch_runs(Utc::now() - INTERRUPTED_AFTER)
            .await?
        {
            tracing::info!(run = %run.id, processed = run.processed, "resuming an interrupted re-match");
            run_rematch(state, &scope, run.id, |_| {}).await?;
            resumed += 1;
        }
    }
    Ok(resumed)
}

/// Starts and runs a re-match for every council with registers whose last run started more
/// than `every` ago (the scheduled run). Returns how many runs it made.
pub async fn run_scheduled(state: &ApiState, every: chrono::Duration) -> ApiResult<usize> {
    let mut ran = 0;
    for tenant in state.store.tenants().await? {
        let slug = tenant.slug.to_string();
        let configured = state
            .eligibility
            .council(&slug)
            .is_some_and(|c| c.registries.is_some());
        if !configured {
            continue;
        }
        let scope = state.store.scope(tenant);
        // A dry run changes nothing, so only real runs count for the schedule.
        let last = scope
            .rematch_runs(50)
            .await?
            .into_iter()
            .find(|run| !run.dry_run);
        if last.is_some_and(|run| Utc::now() - run.started_at < every) {
            continue;
        }
        match start_rematch(state, &scope, false, &Actor::System).await {
            Ok(run) => {
                run_rematch(state, &scope, run.id, |_| {}).await?;
                ran += 1;
            }
            // Another node started it first.
            Err(e) if e.code == crate::error::ErrorCode::Conflict => {}
            Err(e) => return Err(e),
        }
    }
    Ok(ran)
}

async fn decide(
    req: &RequestContext,
    scope: &TenantScope,
    products: &mut HashMap<Uuid, ProductRecord>,
    permit: &PermitRecord,
    sealed: Option<String>,
    dry_run: bool,
) -> ApiResult<RematchOutcome> {
    let unavailable = |detail: String| RematchOutcome {
        permit_id: permit.id,
        action: RematchAction::Unavailable { detail },
        letter: None,
    };
    let slug = scope.tenant().slug.to_string();
    let council = req
        .state
        .eligibility
        .council(&slug)
        .ok_or_else(|| ApiError::conflict("permits are not configured for this council"))?;
    let Some(sealed) = sealed else {
        return Ok(unavailable(
            "the holder's national id is not on record; check this permit by hand".into(),
        ));
    };
    let id = match req.state.eligibility.unseal(council.country, &sealed) {
        Ok(id) => id,
        Err(e) => return Ok(unavailable(format!("the holder's id cannot be read: {e}"))),
    };
    let product = match products.get(&permit.product_id) {
        Some(p) => p.clone(),
        None => {
            let p = scope.product(permit.product_id).await?;
            products.insert(p.id, p.clone());
            p
        }
    };
    let plate = permit
        .plate
        .as_deref()
        .map(Plate::parse)
        .transpose()
        .map_err(|e| ApiError::internal(format!("stored plate: {e}")))?;
    let company = if permit.evaluation["applicant_kind"] == "company" {
        match civicpay_registries::CompanyId::parse(council.country, &permit.holder_display) {
            Ok(company) => Some(company),
            Err(e) => return Ok(unavailable(format!("the holding company's number: {e}"))),
        }
    } else {
        None
    };
    let check = CheckRequest {
        council,
        purpose: WHO.to_owned(),
        product,
        id,
        plate,
        company,
    };
    let held = scope
        .held_permits(
            &check.holder_key(&req.state),
            check.plate.as_ref().map(Plate::as_str),
            Some(permit.id),
        )
        .await?;
    let result = match eligibility::evaluate_check(
        req,
        scope,
        WHO,
        &check,
        eligibility::permit_facts(&held),
    )
    .await
    {
        Ok(result) => result,
        Err(e) if eligibility::is_register_unavailable(&e) => return Ok(unavailable(e.message)),
        Err(e) => return Err(e),
    };
    if result.evaluation.decision == Decision::Rejected {
        let failed: Vec<_> = result
            .evaluation
            .results
            .iter()
            .filter(|r| !r.passed && r.outcome == civicpay_rules::Outcome::Reject)
            .collect();
        let rule_ids = failed.iter().map(|r| r.rule_id.clone()).collect();
        let reason = failed
            .iter()
            .map(|r| r.message.clone())
            .collect::<Vec<_>>()
            .join(" ");
        let letter = if dry_run {
            None
        } else {
            let email = match permit.payment_request_id {
                Some(request_id) => scope
                    .payments_of_request(request_id)
                    .await?
                    .into_iter()
                    .find_map(|p| p.customer_email),
                None => None,
            };
            Some(deactivation_letter(
                scope,
                permit,
                email,
                result.person_name.as_deref(),
                result.person_address.as_deref(),
                &reason,
                &req.locale,
            )?)
        };
        return Ok(RematchOutcome {
            permit_id: permit.id,
            action: RematchAction::Deactivate { rule_ids, reason },
            letter,
        });
    }
    let name = result
        .person_name
        .filter(|n| Some(n) != permit.holder_name.as_ref());
    let address = result
        .person_address
        .filter(|a| Some(a) != permit.holder_address.as_ref());
    let action = if name.is_some() || address.is_some() {
        RematchAction::Update { name, address }
    } else {
        RematchAction::Unchanged
    };
    Ok(RematchOutcome {
        permit_id: permit.id,
        action,
        letter: None,
    })
}

/// The deactivation letter's words in `lang` (`letters.ftl`), with the permit's values in
/// them.
struct LetterText {
    subject: String,
    paragraphs: Vec<String>,
    reference: String,
    closing: String,
}

fn letter_text(
    lang: &str,
    permit_number: &str,
    sku: &str,
    plate: &str,
    reason: &str,
    council_name: &str,
) -> LetterText {
    LetterText {
        subject: i18n::text(lang, "letter-deactivated-subject", &[]),
        paragraphs: vec![
            i18n::text(
                lang,
                "letter-deactivated-intro",
                &[("sku", sku), ("plate", plate)],
            ),
            i18n::text(lang, "letter-deactivated-reason", &[("reason", reason)]),
            i18n::text(lang, "letter-deactivated-next", &[]),
        ],
        reference: i18n::text(lang, "letter-reference", &[("number", permit_number)]),
        closing: i18n::text(lang, "letter-closing", &[("council", council_name)]),
    }
}

#[allow(clippy::too_many_arguments)]
fn deactivation_letter(
    scope: &TenantScope,
    permit: &PermitRecord,
    email: Option<String>,
    register_name: Option<&str>,
    register_address: Option<&str>,
    reason: &str,
    locale: &Locale,
) -> ApiResult<NewLetter> {
    let tenant = scope.tenant();
    let lang = locale.as_str();
    let council_name = tenant.name.get(locale, &tenant.default_locale).to_owned();
    let recipient_name = register_name
        .or(permit.holder_name.as_deref())
        .unwrap_or(&permit.holder_display)
        .to_owned();
    let recipient_address = register_address
        .or(permit.holder_address.as_deref())
        .unwrap_or_default()
        .to_owned();
    let text = letter_text(
        lang,
        &permit.id.simple().to_string(),
        &permit.sku,
        permit.plate.as_deref().unwrap_or("-"),
        reason,
        &council_name,
    );
    let today = tenant.today(Utc::now());
    let letter = civicpay_documents::Letter {
        branding: civicpay_documents::Branding {
            council_name,
            primary_color: tenant.branding["primary_color"].as_str().map(str::to_owned),
            contact: tenant.branding["support_email"].as_str().map(str::to_owned),
        },
        recipient_name: recipient_name.clone(),
        recipient_address: recipient_address.split(", ").map(str::to_owned).collect(),
        date: i18n::format_date(today, lang),
        reference: text.reference,
        subject: text.subject.clone(),
        paragraphs: text.paragraphs.clone(),
        closing: text.closing,
    };
    let pdf = civicpay_documents::render_letter(&letter).map_err(ApiError::internal)?;
    Ok(NewLetter {
        kind: "deactivation".into(),
        locale: locale.as_str().to_owned(),
        recipient_name,
        recipient_address,
        subject: text.subject,
        body: text.paragraphs.join("\n\n"),
        pdf,
        // The address the holder gave when paying for the permit, where there is one.
        email,
    })
}

/// One line of a run's progress, for the CLI and logs.
pub fn progress_line(run: &RematchRunRecord) -> String {
    format!(
        "{}/{} checked: {} unchanged, {} updated, {} {}, {} register unavailable",
        run.processed,
        run.total,
        run.unchanged,
        run.updated,
        run.deactivated,
        if run.dry_run {
            "would be deactivated"
        } else {
            "deactivated"
        },
        run.unavailable
    )
}

/// Every text of the deactivation letter in `lang`, for the tests of `i18n`.
#[cfg(test)]
pub(crate) fn all_texts(lang: &str) -> Vec<String> {
    let LetterText {
        subject,
        paragraphs,
        reference,
        closing,
    } = letter_text(lang, "0190", "P-K1", "AB12345", "Moved away.", "Council");
    [subject, reference, closing]
        .into_iter()
        .chain(paragraphs)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deactivation_letter_speaks_the_language() {
        let da = letter_text(
            "da",
            "0190",
            "P-RES-K1",
            "AB12345",
            "Ikke bosat i zonen.",
            "Københavns Kommune",
        );
        assert_eq!(da.subject, "Din parkeringslicens er inaktiveret");
        assert_eq!(
            da.paragraphs,
            [
                "Vi har kontrolleret din licens mod folkeregistret og køretøjsregistret. Licensen er inaktiveret fra i dag. (P-RES-K1, AB12345)",
                "Begrundelse: Ikke bosat i zonen.",
                "Mener du, at oplysningerne er forkerte, kan du kontakte os. Du kan søge om en ny licens i webshoppen.",
            ]
        );
        assert_eq!(da.reference, "Licensnr. 0190");
        assert_eq!(da.closing, "Med venlig hilsen\nKøbenhavns Kommune");
        let en = letter_text("en-GB", "0190", "P-K1", "-", "", "Rotterdam");
        assert_eq!(en.paragraphs[1], "Reason: ");
        assert_eq!(en.closing, "Kind regards\nRotterdam");
    }

    #[test]
    fn the_letter_renders_the_same_bytes_every_time_in_every_language() {
        for lang in i18n::LANGUAGES {
            let text = letter_text(lang, "0190", "P-K1", "AB12345", "Moved away.", "Council");
            let letter = civicpay_documents::Letter {
                branding: civicpay_documents::Branding {
                    council_name: "Council".into(),
                    primary_color: None,
                    contact: None,
                },
                recipient_name: "Mette Sørensen".into(),
                recipient_address: vec!["Nørrebrogade 1".into()],
                date: i18n::format_date(
                    chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default(),
                    lang,
                ),
                reference: text.reference,
                subject: text.subject,
                paragraphs: text.paragraphs,
                closing: text.closing,
            };
            let (Ok(first), Ok(second)) = (
                civicpay_documents::render_letter(&letter),
                civicpay_documents::render_letter(&letter),
            ) else {
                panic!("{lang}: the letter did not render");
            };
            assert!(first.starts_with(b"%PDF-"), "{lang}");
            assert_eq!(first, second, "{lang}");
        }
    }
}
