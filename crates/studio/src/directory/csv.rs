//! The CSV shape of a directory (see the module docs of [`super`]): a small
//! RFC 4180 reader (quoted fields, doubled quotes, line breaks in quotes,
//! CRLF, a UTF-8 BOM) and the mapping of rows to users and groups.

use std::collections::BTreeMap;

use super::{Directory, DirectoryGroup, DirectoryUser, Error, Member, MemberKind};

const REQUIRED: [&str; 5] = [
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "groupDisplayName",
];

/// A record: the line it starts on and its fields.
struct Record {
    line: usize,
    fields: Vec<String>,
}

fn error(line: usize, field: &str, reason: impl Into<String>) -> Error {
    Error::Parse {
        format: "CSV",
        location: format!("line {line}"),
        field: field.to_owned(),
        reason: reason.into(),
    }
}

fn records(text: &str) -> Result<Vec<Record>, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut start = 1;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            '"' => {
                return Err(error(
                    line,
                    "-",
                    "a quote inside an unquoted field; quote the whole field",
                ));
            }
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                records.push(Record {
                    line: start,
                    fields: std::mem::take(&mut fields),
                });
                line += 1;
                start = line;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(error(start, "-", "a quoted field is not closed"));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push(Record { line: start, fields });
    }
    records.retain(|r| !(r.fields.len() == 1 && r.fields[0].trim().is_empty()));
    Ok(records)
}

/// Parses the combined CSV into a directory (not yet validated).
pub(super) fn parse(text: &str) -> Result<Directory, Error> {
    let mut records = records(text)?.into_iter();
    let header = records
        .next()
        .ok_or_else(|| error(1, "-", "the file is empty; expected a header row"))?;
    let columns: BTreeMap<&str, usize> = header
        .fields
        .iter()
        .enumerate()
        .map(|(i, name)| (name.trim(), i))
        .collect();
    for name in REQUIRED {
        if !columns.contains_key(name) {
            return Err(error(
                header.line,
                name,
                "the header has no such column; it is required",
            ));
        }
    }
    let mut users: Vec<DirectoryUser> = Vec::new();
    let mut user_lines: BTreeMap<String, (usize, usize)> = BTreeMap::new(); // upn -> (index, first line)
    let mut groups: Vec<DirectoryGroup> = Vec::new();
    let mut group_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut group_of = |name: &str, groups: &mut Vec<DirectoryGroup>| -> usize {
        *group_index.entry(name.to_owned()).or_insert_with(|| {
            groups.push(DirectoryGroup {
                id: name.to_owned(),
                display_name: name.to_owned(),
                description: None,
                members: Vec::new(),
            });
            groups.len() - 1
        })
    };
    for record in records {
        let line = record.line;
        if record.fields.len() != header.fields.len() {
            return Err(error(
                line,
                "-",
                format!(
                    "{} fields, but the header has {}",
                    record.fields.len(),
                    header.fields.len()
                ),
            ));
        }
        let get = |name: &str| -> String {
            columns
                .get(name)
                .and_then(|i| record.fields.get(*i))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let required = |name: &str| -> Result<String, Error> {
            let value = get(name);
            if value.is_empty() {
                Err(error(line, name, "empty; it is required for this row"))
            } else {
                Ok(value)
            }
        };
        let parent = get("groupDisplayName");
        let parent_index = (!parent.is_empty()).then(|| group_of(&parent, &mut groups));
        let description = get("groupDescription");
        if let Some(p) = parent_index
            && !description.is_empty()
        {
            match &groups[p].description {
                Some(existing) if *existing != description => {
                    return Err(error(
                        line,
                        "groupDescription",
                        format!("{description:?} differs from {existing:?} on an earlier row of group {parent:?}"),
                    ));
                }
                _ => groups[p].description = Some(description),
            }
        }
        let member = match get("objectType").to_ascii_lowercase().as_str() {
            "" | "user" => {
                let upn = required("userPrincipalName")?;
                let id = match get("id") {
                    id if id.is_empty() => upn.clone(),
                    id => id,
                };
                let mail = get("mail");
                let user = DirectoryUser {
                    id,
                    user_principal_name: upn.clone(),
                    display_name: required("displayName")?,
                    given_name: required("givenName")?,
                    surname: required("surname")?,
                    mail: (!mail.is_empty()).then_some(mail),
                };
                match user_lines.get(&upn) {
                    Some((index, first)) => {
                        let earlier = &users[*index];
                        let differs = [
                            ("id", &earlier.id, &user.id),
                            ("displayName", &earlier.display_name, &user.display_name),
                            ("givenName", &earlier.given_name, &user.given_name),
                            ("surname", &earlier.surname, &user.surname),
                        ]
                        .into_iter()
                        .find(|(_, a, b)| a != b)
                        .map(|(f, a, b)| (f, a.clone(), b.clone()))
                        .or_else(|| {
                            (earlier.mail != user.mail).then(|| {
                                (
                                    "mail",
                                    earlier.mail.clone().unwrap_or_default(),
                                    user.mail.clone().unwrap_or_default(),
                                )
                            })
                        });
                        if let Some((field, a, b)) = differs {
                            return Err(error(
                                line,
                                field,
                                format!("{b:?} differs from {a:?} on line {first} for the same user {upn:?}"),
                            ));
                        }
                    }
                    None => {
                        user_lines.insert(upn, (users.len(), line));
                        users.push(user.clone());
                    }
                }
                Member {
                    kind: MemberKind::User,
                    id: user.id,
                }
            }
            "group" => {
                let name = required("displayName")?;
                group_of(&name, &mut groups);
                Member {
                    kind: MemberKind::Group,
                    id: name,
                }
            }
            other => {
                return Err(error(line, "objectType", format!("{other:?} is not `User` or `Group`")));
            }
        };
        if let Some(p) = parent_index
            && !groups[p].members.contains(&member)
        {
            groups[p].members.push(member);
        }
    }
    Ok(Directory { users, groups })
}
