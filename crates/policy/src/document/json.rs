//! Reading policies from JSON values (with paths in errors) and writing their
//! canonical JSON.

use serde_json::{Map, Value};

use super::condition::{Condition, ConditionOperator, edit_distance};
use super::statement::{Actions, Effect, Principal, PrincipalKind, Principals, Resources, Statement};
use super::{PolicyDocument, Version};
use crate::error::Error;

const DOCUMENT_ELEMENTS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

pub(super) fn document_from_value(value: &Value) -> Result<PolicyDocument, Error> {
    let object = as_object(value, "(document)")?;
    check_elements(object, &DOCUMENT_ELEMENTS, "")?;
    let version = match object.get("Version") {
        None => None,
        Some(Value::String(v)) if v == "2012-10-17" => Some(Version::V2012_10_17),
        Some(Value::String(v)) if v == "2008-10-17" => Some(Version::V2008_10_17),
        Some(other) => {
            return Err(Error::invalid(
                "Version",
                format!("unknown version {other}; expected \"2012-10-17\" or \"2008-10-17\""),
            ));
        }
    };
    let id = object.get("Id").map(|v| as_string(v, "Id")).transpose()?;
    let statements = match object.get("Statement") {
        None => {
            return Err(Error::invalid(
                "Statement",
                "missing; a policy needs at least one statement",
            ));
        }
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| statement_from_value(item, &format!("Statement[{i}]")))
            .collect::<Result<Vec<_>, _>>()?,
        Some(single) => vec![statement_from_value(single, "Statement")?],
    };
    Ok(PolicyDocument {
        version,
        id,
        statements,
    })
}

fn statement_from_value(value: &Value, path: &str) -> Result<Statement, Error> {
    let object = as_object(value, path)?;
    check_elements(object, &STATEMENT_ELEMENTS, path)?;
    let at = |element: &str| format!("{path}.{element}");

    let sid = object.get("Sid").map(|v| as_string(v, &at("Sid"))).transpose()?;
    let effect = match object.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(Error::invalid(
                at("Effect"),
                format!("unknown effect {other}; expected \"Allow\" or \"Deny\""),
            ));
        }
        None => return Err(Error::invalid(at("Effect"), "missing; expected \"Allow\" or \"Deny\"")),
    };
    let principals = match exclusive(object, "Principal", "NotPrincipal", path)? {
        None => None,
        Some(("Principal", v)) => Some(Principals::Principal(principal_from_value(v, &at("Principal"))?)),
        Some((_, v)) => Some(Principals::NotPrincipal(principal_from_value(v, &at("NotPrincipal"))?)),
    };
    let actions = match exclusive(object, "Action", "NotAction", path)? {
        None => return Err(Error::invalid(path, "missing Action or NotAction")),
        Some(("Action", v)) => Actions::Action(string_list(v, &at("Action"))?),
        Some((_, v)) => Actions::NotAction(string_list(v, &at("NotAction"))?),
    };
    let resources = match exclusive(object, "Resource", "NotResource", path)? {
        None => None,
        Some(("Resource", v)) => Some(Resources::Resource(string_list(v, &at("Resource"))?)),
        Some((_, v)) => Some(Resources::NotResource(string_list(v, &at("NotResource"))?)),
    };
    let condition = match object.get("Condition") {
        None => Condition::new(),
        Some(v) => condition_from_value(v, &at("Condition"))?,
    };
    Ok(Statement {
        sid,
        effect,
        principals,
        actions,
        resources,
        condition,
    })
}

fn principal_from_value(value: &Value, path: &str) -> Result<Principal, Error> {
    match value {
        Value::String(s) if s == "*" => Ok(Principal::Any),
        Value::Object(map) => {
            let mut kinds = std::collections::BTreeMap::new();
            for (key, ids) in map {
                let kind = PrincipalKind::ALL
                    .into_iter()
                    .find(|k| k.name() == key)
                    .ok_or_else(|| {
                        Error::invalid(
                            format!("{path}.{key}"),
                            "unknown principal type; expected \"AWS\", \"Service\", \"Federated\" or \"CanonicalUser\"",
                        )
                    })?;
                kinds.insert(kind, string_list(ids, &format!("{path}.{key}"))?);
            }
            Ok(Principal::Map(kinds))
        }
        other => Err(Error::invalid(
            path,
            format!("expected \"*\" or an object such as {{\"AWS\": \"...\"}}, found {other}"),
        )),
    }
}

fn condition_from_value(value: &Value, path: &str) -> Result<Condition, Error> {
    let mut condition = Condition::new();
    for (name, block) in as_object(value, path)? {
        let block_path = format!("{path}.{name}");
        let operator: ConditionOperator = name.parse().map_err(|e| match e {
            Error::Invalid { message, .. } => Error::invalid(&block_path, message),
            other => other,
        })?;
        let keys = as_object(block, &block_path)?;
        if keys.is_empty() {
            return Err(Error::invalid(
                &block_path,
                "an operator needs at least one condition key",
            ));
        }
        for (key, values) in keys {
            let values = condition_values(values, &format!("{block_path}.{key}"))?;
            condition.insert(operator, key.clone(), values);
        }
    }
    Ok(condition)
}

/// Condition values may be strings, numbers or booleans, alone or in an array.
fn condition_values(value: &Value, path: &str) -> Result<Vec<String>, Error> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(Error::invalid(
            path,
            format!("expected a string, number or boolean, found {other}"),
        )),
    };
    match value {
        Value::Array(items) => items.iter().map(scalar).collect(),
        single => Ok(vec![scalar(single)?]),
    }
}

fn exclusive<'a>(
    object: &'a Map<String, Value>,
    positive: &'static str,
    negative: &'static str,
    path: &str,
) -> Result<Option<(&'static str, &'a Value)>, Error> {
    match (object.get(positive), object.get(negative)) {
        (Some(_), Some(_)) => Err(Error::invalid(
            path,
            format!("{positive} and {negative} cannot both be present; keep one"),
        )),
        (Some(v), None) => Ok(Some((positive, v))),
        (None, Some(v)) => Ok(Some((negative, v))),
        (None, None) => Ok(None),
    }
}

fn check_elements(object: &Map<String, Value>, known: &[&str], path: &str) -> Result<(), Error> {
    for key in object.keys() {
        if !known.contains(&key.as_str()) {
            let mut message = format!("unknown element {key:?}");
            if let Some(close) = known
                .iter()
                .filter(|k| edit_distance(&key.to_ascii_lowercase(), &k.to_ascii_lowercase()) <= 2)
                .min_by_key(|k| edit_distance(key, k))
            {
                message.push_str(&format!("; did you mean {close:?}?"));
            }
            let place = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            return Err(Error::invalid(place, message));
        }
    }
    Ok(())
}

fn as_object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Error> {
    value
        .as_object()
        .ok_or_else(|| Error::invalid(path, format!("expected a JSON object, found {value}")))
}

fn as_string(value: &Value, path: &str) -> Result<String, Error> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::invalid(path, format!("expected a string, found {value}")))
}

fn string_list(value: &Value, path: &str) -> Result<Vec<String>, Error> {
    let item = |v: &Value, p: &str| match v {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        Value::String(_) => Err(Error::invalid(p, "empty string")),
        other => Err(Error::invalid(p, format!("expected a string, found {other}"))),
    };
    match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| item(v, &format!("{path}[{i}]")))
            .collect(),
        single => Ok(vec![item(single, path)?]),
    }
}

pub(super) fn document_to_value(document: &PolicyDocument) -> Value {
    let mut object = Map::new();
    if let Some(version) = document.version {
        object.insert("Version".into(), version.as_str().into());
    }
    if let Some(id) = &document.id {
        object.insert("Id".into(), id.as_str().into());
    }
    let statements = document.statements.iter().map(statement_to_value).collect();
    object.insert("Statement".into(), Value::Array(statements));
    Value::Object(object)
}

fn statement_to_value(statement: &Statement) -> Value {
    let mut object = Map::new();
    if let Some(sid) = &statement.sid {
        object.insert("Sid".into(), sid.as_str().into());
    }
    object.insert("Effect".into(), statement.effect.to_string().into());
    match &statement.principals {
        Some(Principals::Principal(p)) => {
            object.insert("Principal".into(), principal_to_value(p));
        }
        Some(Principals::NotPrincipal(p)) => {
            object.insert("NotPrincipal".into(), principal_to_value(p));
        }
        None => {}
    }
    let (name, list) = match &statement.actions {
        Actions::Action(list) => ("Action", list),
        Actions::NotAction(list) => ("NotAction", list),
    };
    object.insert(name.into(), one_or_many(list));
    match &statement.resources {
        Some(Resources::Resource(list)) => {
            object.insert("Resource".into(), one_or_many(list));
        }
        Some(Resources::NotResource(list)) => {
            object.insert("NotResource".into(), one_or_many(list));
        }
        None => {}
    }
    if !statement.condition.is_empty() {
        let blocks = statement
            .condition
            .iter()
            .map(|(operator, keys)| {
                let keys = keys.iter().map(|(k, v)| (k.clone(), one_or_many(v))).collect();
                (operator.to_string(), Value::Object(keys))
            })
            .collect();
        object.insert("Condition".into(), Value::Object(blocks));
    }
    Value::Object(object)
}

fn principal_to_value(principal: &Principal) -> Value {
    match principal {
        Principal::Any => "*".into(),
        Principal::Map(kinds) => Value::Object(
            kinds
                .iter()
                .map(|(kind, ids)| (kind.name().to_owned(), one_or_many(ids)))
                .collect(),
        ),
    }
}

fn one_or_many(values: &[String]) -> Value {
    match values {
        [single] => single.as_str().into(),
        many => many.iter().map(|s| Value::from(s.as_str())).collect(),
    }
}
