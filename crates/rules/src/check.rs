//! Static checks of a rule's expression: every fact and field it names exists in [`Facts`].
//!
//! Evaluating against sample facts alone would miss names in a branch that `&&`, `||` or `?:`
//! never reaches, so the syntax tree is walked as well. The known names come from serializing
//! a sample `Facts`, so they cannot drift from the Rust types.

use crate::{Facts, RuleError};
use cel_interpreter::Value;
use cel_interpreter::objects::Key;
use cel_parser::Parser;
use cel_parser::ast::{EntryExpr, Expr, IdedExpr, operators};

/// Reports the first unknown fact or field named in `source` (which parses: syntax errors are
/// reported by the compiler first).
pub(crate) fn names(source: &str) -> Result<(), RuleError> {
    let Ok(Ok(expr)) = std::panic::catch_unwind(|| Parser::default().parse(source)) else {
        return Ok(());
    };
    let root = cel_interpreter::to_value(Facts::sample())
        .map_err(|e| RuleError::Evaluation(format!("the facts cannot be given to CEL: {e}")))?;
    let mut bound = Vec::new();
    walk(&expr, &root, &mut bound)
}

/// The facts and their fields, sorted by name.
pub(crate) fn schema() -> Vec<(String, Vec<String>)> {
    let Ok(Value::Map(root)) = cel_interpreter::to_value(Facts::sample()) else {
        return Vec::new();
    };
    let mut facts: Vec<(String, Vec<String>)> = root
        .map
        .iter()
        .filter_map(|(key, value)| {
            let Key::String(name) = key else { return None };
            let fields = match value {
                Value::Map(_) => keys(value),
                _ => Vec::new(),
            };
            Some((name.to_string(), fields))
        })
        .collect();
    facts.sort();
    facts
}

fn keys(value: &Value) -> Vec<String> {
    let Value::Map(map) = value else {
        return Vec::new();
    };
    let mut keys: Vec<String> = map
        .map
        .keys()
        .filter_map(|k| match k {
            Key::String(s) => Some(s.to_string()),
            _ => None,
        })
        .collect();
    keys.sort();
    keys
}

fn get<'v>(value: &'v Value, field: &str) -> Option<&'v Value> {
    match value {
        Value::Map(map) => map.map.get(&Key::String(field.to_owned().into())),
        _ => None,
    }
}

/// The sample value an identifier/selection chain names, with its dotted path, when the chain
/// is rooted at a fact (not at a comprehension variable) and every step exists.
fn resolve<'v>(expr: &IdedExpr, root: &'v Value, bound: &[String]) -> Option<(String, &'v Value)> {
    match &expr.expr {
        Expr::Ident(name) if !bound.contains(name) => get(root, name).map(|v| (name.clone(), v)),
        Expr::Select(select) => {
            let (path, value) = resolve(&select.operand, root, bound)?;
            get(value, &select.field).map(|v| (format!("{path}.{}", select.field), v))
        }
        _ => None,
    }
}

fn walk(expr: &IdedExpr, root: &Value, bound: &mut Vec<String>) -> Result<(), RuleError> {
    match &expr.expr {
        Expr::Ident(name) => {
            if !bound.contains(name) && get(root, name).is_none() {
                return Err(RuleError::UnknownFact {
                    name: name.clone(),
                    known: keys(root),
                });
            }
        }
        Expr::Select(select) => {
            walk(&select.operand, root, bound)?;
            if let Some((path, value @ Value::Map(_))) = resolve(&select.operand, root, bound)
                && get(value, &select.field).is_none()
            {
                return Err(RuleError::UnknownField {
                    path,
                    field: select.field.clone(),
                    known: keys(value),
                });
            }
        }
        Expr::Call(call) => {
            if let Some(target) = &call.target {
                walk(target, root, bound)?;
            }
            for arg in &call.args {
                walk(arg, root, bound)?;
            }
            // `permits.active_of_kind["permit"]`: a literal key must exist.
            if call.func_name == operators::INDEX
                && let [map, key] = call.args.as_slice()
                && let Expr::Literal(cel_parser::reference::Val::String(key)) = &key.expr
                && let Some((path, value @ Value::Map(_))) = resolve(map, root, bound)
                && get(value, key).is_none()
            {
                return Err(RuleError::UnknownField {
                    path,
                    field: key.clone(),
                    known: keys(value),
                });
            }
        }
        Expr::Comprehension(c) => {
            walk(&c.iter_range, root, bound)?;
            walk(&c.accu_init, root, bound)?;
            let before = bound.len();
            bound.push(c.iter_var.clone());
            if let Some(var) = &c.iter_var2 {
                bound.push(var.clone());
            }
            bound.push(c.accu_var.clone());
            let inner = walk(&c.loop_cond, root, bound)
                .and_then(|()| walk(&c.loop_step, root, bound))
                .and_then(|()| walk(&c.result, root, bound));
            bound.truncate(before);
            inner?;
        }
        Expr::List(list) => {
            for element in &list.elements {
                walk(element, root, bound)?;
            }
        }
        Expr::Map(map) => {
            for entry in &map.entries {
                walk_entry(&entry.expr, root, bound)?;
            }
        }
        Expr::Struct(s) => {
            for entry in &s.entries {
                walk_entry(&entry.expr, root, bound)?;
            }
        }
        Expr::Literal(_) | Expr::Unspecified => {}
    }
    Ok(())
}

fn walk_entry(entry: &EntryExpr, root: &Value, bound: &mut Vec<String>) -> Result<(), RuleError> {
    match entry {
        EntryExpr::StructField(field) => walk(&field.value, root, bound),
        EntryExpr::MapEntry(entry) => {
            walk(&entry.key, root, bound)?;
            walk(&entry.value, root, bound)
        }
    }
}

/// The known name closest to a misspelt one, if close enough to be a typo.
pub(crate) fn closest<'a>(wrong: &str, known: &'a [String]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(wrong, k), k.as_str()))
        .filter(|(d, k)| *d <= (k.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len().saturating_add(1));
        current.push(i.saturating_add(1));
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous
                .get(j)
                .copied()
                .unwrap_or(0)
                .saturating_add(usize::from(ca != *cb));
            let insert = current.get(j).copied().unwrap_or(0).saturating_add(1);
            let delete = previous
                .get(j.saturating_add(1))
                .copied()
                .unwrap_or(0)
                .saturating_add(1);
            current.push(substitute.min(insert).min(delete));
        }
        previous = current;
    }
    previous.get(b.len()).copied().unwrap_or(0)
}
