//! civicpay-rules: council-written eligibility rules. A rule is a CEL expression over typed
//! [`Facts`] (applicant, address, vehicle, company, existing permits, product, today) with a
//! message in every council language and an outcome (reject, or send to staff review) when it
//! does not hold. Rules are compiled once ([`CompiledRule::compile`], which also rejects syntax
//! errors, unknown facts or fields and non-boolean results) and evaluated many times
//! ([`evaluate`]); an evaluation lists every rule with pass/fail so staff can see why, and a
//! rule that errors at run time counts as failed, never as a silent pass. The crate takes facts
//! as values: it must not depend on the registries, the database, the network or an async
//! runtime (only on the domain types and `cel-interpreter`).

mod check;
mod facts;

pub use facts::{
    Address, Applicant, ApplicantKind, Company, Facts, KindCounts, Permits, ProductFacts, Vehicle,
};

use cel_interpreter::{Context, Program, Value};
use civicpay_domain::{Locale, LocalizedText, ProductKind, Sku};
use serde::Serialize;

/// What happens when a rule does not hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The application is rejected with the rule's message.
    #[default]
    Reject,
    /// The application goes to staff review instead of being rejected.
    Review,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Reject => "reject",
            Outcome::Review => "review",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "reject" => Some(Outcome::Reject),
            "review" => Some(Outcome::Review),
            _ => None,
        }
    }
}

/// Which products a rule is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppliesTo {
    /// These products (by SKU).
    Products(Vec<Sku>),
    /// Every product of this kind.
    Kind(ProductKind),
}

impl AppliesTo {
    pub fn matches(&self, sku: &str, kind: &str) -> bool {
        match self {
            AppliesTo::Products(skus) => skus.iter().any(|s| s.as_str() == sku),
            AppliesTo::Kind(k) => k.as_str() == kind,
        }
    }
}

/// A rule as the council wrote it (in `rules.toml`), not yet compiled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSpec {
    /// Short name, unique in the council's rules, e.g. `"zone"`.
    pub id: String,
    pub applies_to: AppliesTo,
    /// The CEL expression that must be true for the applicant to be eligible.
    pub when: String,
    /// The reason shown when the rule does not hold, in every council language.
    pub message: LocalizedText,
    pub outcome: Outcome,
}

/// Why a rule cannot be used. Positions (`line`, `column`) are 1-based within the expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("CEL syntax error at {line}:{column} of the expression: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("unknown fact `{name}`; expected one of: {}", .known.join(", "))]
    UnknownFact { name: String, known: Vec<String> },
    #[error("unknown field `{field}` of `{path}`{}; expected one of: {}", did_you_mean(.field, .known), .known.join(", "))]
    UnknownField {
        path: String,
        field: String,
        known: Vec<String>,
    },
    #[error(
        "the expression gives {found}, not true or false; expected a condition such as `vehicle.weight_kg <= 3500`"
    )]
    NotBool { found: String },
    #[error("the expression fails on a complete sample of facts: {0}")]
    Evaluation(String),
}

fn did_you_mean(wrong: &str, known: &[String]) -> String {
    check::closest(wrong, known)
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

/// A rule ready to evaluate. The compiled program is reused for every evaluation.
#[derive(Debug)]
pub struct CompiledRule {
    spec: RuleSpec,
    program: Program,
}

impl CompiledRule {
    /// Parses the expression, checks every fact and field it names against [`Facts`], and
    /// evaluates it against two complete samples ([`Facts::sample`], [`Facts::empty`]): each
    /// must give a boolean without error.
    pub fn compile(spec: RuleSpec) -> Result<Self, RuleError> {
        // The ANTLR-generated parser panics on some incomplete input (e.g. `a ==`); a council's
        // typo must be an error, never a crash of `tenant validate`.
        let parsed = std::panic::catch_unwind(|| Program::compile(&spec.when)).map_err(|_| {
            RuleError::Syntax {
                line: 1,
                column: 1,
                message: "the expression is incomplete or malformed".to_owned(),
            }
        })?;
        let program = parsed.map_err(|errors| {
            let first = errors.errors.first();
            RuleError::Syntax {
                line: first
                    .map(|e| usize::try_from(e.pos.0).unwrap_or(1))
                    .unwrap_or(1),
                column: first
                    .map(|e| usize::try_from(e.pos.1).unwrap_or(1))
                    .unwrap_or(1),
                message: first
                    .map(|e| e.msg.clone())
                    .unwrap_or_else(|| errors.to_string()),
            }
        })?;
        check::names(&spec.when)?;
        let rule = CompiledRule { spec, program };
        for sample in [Facts::sample(), Facts::empty()] {
            let context = context(&sample).map_err(RuleError::Evaluation)?;
            match rule.program.execute(&context) {
                Ok(Value::Bool(_)) => {}
                Ok(other) => {
                    return Err(RuleError::NotBool {
                        found: describe(&other),
                    });
                }
                Err(e) => return Err(RuleError::Evaluation(e.to_string())),
            }
        }
        Ok(rule)
    }

    pub fn spec(&self) -> &RuleSpec {
        &self.spec
    }

    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// Whether this rule is for the product of `facts`.
    pub fn applies_to(&self, product: &ProductFacts) -> bool {
        self.spec.applies_to.matches(&product.sku, &product.kind)
    }

    /// `Ok(holds)`, or why the expression could not be evaluated.
    fn run(&self, context: &Context<'_>) -> Result<bool, String> {
        match self.program.execute(context) {
            Ok(Value::Bool(holds)) => Ok(holds),
            Ok(other) => Err(format!(
                "the expression gave {}, not true or false",
                describe(&other)
            )),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The overall answer of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Every rule holds.
    Approved,
    /// Only rules with outcome `review` failed: a caseworker decides.
    NeedsReview,
    /// At least one rule with outcome `reject` failed.
    Rejected,
}

/// One rule's result in an evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleResult {
    pub rule_id: String,
    /// True only when the expression evaluated to `true`.
    pub passed: bool,
    pub outcome: Outcome,
    /// The rule's message in the requested language (shown to the applicant when it failed,
    /// and to staff always).
    pub message: String,
    /// Why the expression could not be evaluated; such a rule counts as failed.
    pub error: Option<String>,
}

/// The result of evaluating a product's rules: the decision and every rule's result, in the
/// order of the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub decision: Decision,
    pub results: Vec<RuleResult>,
}

impl Evaluation {
    /// The failed rules, in order.
    pub fn failures(&self) -> impl Iterator<Item = &RuleResult> {
        self.results.iter().filter(|r| !r.passed)
    }
}

/// Evaluates every rule in `rules` that applies to `facts.product` (others are skipped, so a
/// council's whole rule set may be passed), never stopping at the first failure. Messages are
/// in `locale`, else `fallback_locale` (the council's default).
pub fn evaluate(
    rules: &[CompiledRule],
    facts: &Facts,
    locale: &Locale,
    fallback_locale: &Locale,
) -> Evaluation {
    let context = context(facts);
    let results: Vec<RuleResult> = rules
        .iter()
        .filter(|rule| rule.applies_to(&facts.product))
        .map(|rule| {
            let run = match &context {
                Ok(context) => rule.run(context),
                Err(e) => Err(e.clone()),
            };
            RuleResult {
                rule_id: rule.spec.id.clone(),
                passed: matches!(run, Ok(true)),
                outcome: rule.spec.outcome,
                message: rule.spec.message.get(locale, fallback_locale).to_owned(),
                error: run.err(),
            }
        })
        .collect();
    Evaluation {
        decision: decide(&results),
        results,
    }
}

/// Any failed `reject` rule → rejected; else any failed `review` rule → needs review; else
/// approved.
pub fn decide(results: &[RuleResult]) -> Decision {
    let failed = |outcome| results.iter().any(|r| !r.passed && r.outcome == outcome);
    if failed(Outcome::Reject) {
        Decision::Rejected
    } else if failed(Outcome::Review) {
        Decision::NeedsReview
    } else {
        Decision::Approved
    }
}

/// The names rules may use, with their fields: `("applicant", ["age", "id_masked", …])`.
/// For documentation and error messages.
pub fn fact_names() -> Vec<(String, Vec<String>)> {
    check::schema()
}

/// A CEL context holding one variable per field of `facts`.
fn context(facts: &Facts) -> Result<Context<'static>, String> {
    let value = cel_interpreter::to_value(facts)
        .map_err(|e| format!("the facts cannot be given to CEL: {e}"))?;
    let Value::Map(map) = value else {
        return Err("the facts are not a record".to_owned());
    };
    let mut context = Context::default();
    for (key, value) in map.map.iter() {
        if let cel_interpreter::objects::Key::String(name) = key {
            context.add_variable_from_value(name.as_str(), value.clone());
        }
    }
    Ok(context)
}

fn describe(value: &Value) -> String {
    match value {
        Value::Int(i) => format!("an integer ({i})"),
        Value::UInt(u) => format!("an unsigned integer ({u})"),
        Value::String(s) => format!("a string ({s:?})"),
        Value::Null => "null".to_owned(),
        other => format!("a {:?}", other.type_of()),
    }
}
