//! A deliberately strict, non-validating XML scanner used for structural pre-checks.
//!
//! It never provides security data (that is read only from the signature-verified output of
//! libxmlsec1); it only decides whether a document has a shape we are willing to hand to the
//! verifier at all. It is stricter than libxml2 on purpose, so that whatever it accepts is read the
//! same way by both: no DOCTYPE, no processing instructions other than the XML declaration, only
//! the five predefined entities and character references, no undeclared namespace prefixes, no
//! duplicate attributes. Anything else is rejected (fail closed).

use std::collections::HashMap;

/// The namespace of the `xml:` prefix (always bound).
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// An element of the scanned document.
#[derive(Debug, Clone)]
pub(crate) struct Element {
    /// Namespace URI, if the element is in one.
    pub ns: Option<String>,
    /// Local name.
    pub local: String,
    /// Attributes: (namespace URI for prefixed attributes, local name, unescaped value).
    /// Namespace declarations are not included.
    pub attrs: Vec<(Option<String>, String, String)>,
    /// Parent element index.
    pub parent: Option<usize>,
    /// Child element indices, in document order.
    pub children: Vec<usize>,
    /// Whether a comment appears directly inside the element.
    pub has_comment: bool,
    /// Text content directly inside the element (concatenated, unescaped; CDATA included).
    pub text: String,
}

impl Element {
    /// True when the element is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns.as_deref() == Some(ns)
    }

    /// The value of the unprefixed attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(ns, local, _)| ns.is_none() && local == name)
            .map(|(_, _, value)| value.as_str())
    }
}

/// A scanned document: elements in document order; index 0 is the root.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    pub elements: Vec<Element>,
}

impl Document {
    /// The root element.
    pub fn root(&self) -> &Element {
        &self.elements[0]
    }

    /// Indices of every element `{ns}local`, in document order.
    pub fn find_all(&self, ns: &str, local: &str) -> Vec<usize> {
        (0..self.elements.len())
            .filter(|&i| self.elements[i].is(ns, local))
            .collect()
    }

    /// Child elements of `index` that are `{ns}local`.
    pub fn children_named(&self, index: usize, ns: &str, local: &str) -> Vec<usize> {
        self.elements[index]
            .children
            .iter()
            .copied()
            .filter(|&c| self.elements[c].is(ns, local))
            .collect()
    }
}

/// Why a document was refused by the scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// A `<!DOCTYPE` (or another markup declaration) is present.
    Doctype,
    /// The document is not well formed, or uses XML features we refuse.
    Malformed(&'static str),
    /// Too deeply nested.
    TooDeep,
}

const MAX_DEPTH: usize = 64;
const MAX_ELEMENTS: usize = 10_000;

/// Scans `input` into a [`Document`].
pub(crate) fn scan(input: &str) -> Result<Document, ScanError> {
    if contains_ignore_ascii_case(input, "<!DOCTYPE") || contains_ignore_ascii_case(input, "<!ENTITY") {
        return Err(ScanError::Doctype);
    }
    let mut scanner = Scanner {
        s: input,
        pos: 0,
        elements: Vec::new(),
        stack: Vec::new(),
        ns_stack: Vec::new(),
        root_closed: false,
    };
    scanner.run()?;
    if scanner.elements.is_empty() {
        return Err(ScanError::Malformed("no root element"));
    }
    Ok(Document {
        elements: scanner.elements,
    })
}

/// Whether `haystack` contains the markup declaration `needle` (`<!` then a keyword), ignoring ASCII
/// case. `<!` has no case, so only its occurrences (found with the fast substring search) are
/// compared, instead of every position of the document.
fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    let needle = needle.as_bytes();
    debug_assert!(needle.starts_with(b"<!"));
    haystack.match_indices("<!").any(|(at, _)| {
        haystack.as_bytes()[at..]
            .get(..needle.len())
            .is_some_and(|candidate| candidate.eq_ignore_ascii_case(needle))
    })
}

struct Scanner<'a> {
    s: &'a str,
    pos: usize,
    elements: Vec<Element>,
    /// Open elements: (index, qualified name).
    stack: Vec<(usize, &'a str)>,
    /// Namespace bindings per open element: prefix ("" = default) → URI.
    ns_stack: Vec<HashMap<&'a str, String>>,
    root_closed: bool,
}

impl<'a> Scanner<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn run(&mut self) -> Result<(), ScanError> {
        // Optional XML declaration, only at the very start.
        if self.rest().starts_with("<?xml") {
            let end = self
                .rest()
                .find("?>")
                .ok_or(ScanError::Malformed("unterminated XML declaration"))?;
            let decl = &self.rest()[..end];
            check_declaration(decl)?;
            self.pos += end + 2;
        }
        while self.pos < self.s.len() {
            let rest = self.rest();
            if let Some(after) = rest.strip_prefix("<!--") {
                let end = after.find("-->").ok_or(ScanError::Malformed("unterminated comment"))?;
                if after[..end].contains("--") {
                    return Err(ScanError::Malformed("`--` inside a comment"));
                }
                if let Some(&(open, _)) = self.stack.last() {
                    self.elements[open].has_comment = true;
                }
                self.pos += 4 + end + 3;
            } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
                let end = after.find("]]>").ok_or(ScanError::Malformed("unterminated CDATA"))?;
                let &(open, _) = self
                    .stack
                    .last()
                    .ok_or(ScanError::Malformed("CDATA outside the root element"))?;
                self.elements[open].text.push_str(&after[..end]);
                self.pos += 9 + end + 3;
            } else if rest.starts_with("<!") {
                return Err(ScanError::Doctype);
            } else if rest.starts_with("<?") {
                return Err(ScanError::Malformed("processing instruction"));
            } else if let Some(after) = rest.strip_prefix("</") {
                let end = after.find('>').ok_or(ScanError::Malformed("unterminated end tag"))?;
                let name = after[..end].trim_end();
                let (open, open_name) = self.stack.pop().ok_or(ScanError::Malformed("unbalanced end tag"))?;
                if name != open_name {
                    return Err(ScanError::Malformed("mismatched end tag"));
                }
                let _ = open;
                self.ns_stack.pop();
                if self.stack.is_empty() {
                    self.root_closed = true;
                }
                self.pos += 2 + end + 1;
            } else if rest.starts_with('<') {
                self.start_tag()?;
            } else {
                let end = rest.find('<').unwrap_or(rest.len());
                let raw = &rest[..end];
                match self.stack.last() {
                    Some(&(open, _)) => unescape_into(raw, &mut self.elements[open].text)?,
                    None => {
                        if !raw.chars().all(is_xml_space) {
                            return Err(ScanError::Malformed("text outside the root element"));
                        }
                    }
                }
                self.pos += end;
            }
        }
        if !self.stack.is_empty() || !self.root_closed {
            return Err(ScanError::Malformed("unclosed element"));
        }
        Ok(())
    }

    fn start_tag(&mut self) -> Result<(), ScanError> {
        if self.root_closed {
            return Err(ScanError::Malformed("content after the root element"));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(ScanError::TooDeep);
        }
        if self.elements.len() >= MAX_ELEMENTS {
            return Err(ScanError::Malformed("too many elements"));
        }
        let s = self.s;
        let mut i = self.pos + 1;
        let name_start = i;
        while i < s.len() && is_name_byte(s.as_bytes()[i]) {
            i += 1;
        }
        let qname = &s[name_start..i];
        if qname.is_empty() {
            return Err(ScanError::Malformed("empty element name"));
        }
        let mut raw_attrs: Vec<(&'a str, String)> = Vec::new();
        let self_closing;
        loop {
            let ws_start = i;
            while i < s.len() && is_xml_space_byte(s.as_bytes()[i]) {
                i += 1;
            }
            let rest = &s[i..];
            if rest.starts_with("/>") {
                self_closing = true;
                i += 2;
                break;
            }
            if rest.starts_with('>') {
                self_closing = false;
                i += 1;
                break;
            }
            if i == ws_start {
                return Err(ScanError::Malformed("missing whitespace between attributes"));
            }
            let attr_start = i;
            while i < s.len() && is_name_byte(s.as_bytes()[i]) {
                i += 1;
            }
            let attr_name = &s[attr_start..i];
            if attr_name.is_empty() {
                return Err(ScanError::Malformed("bad attribute"));
            }
            while i < s.len() && is_xml_space_byte(s.as_bytes()[i]) {
                i += 1;
            }
            if s.as_bytes().get(i) != Some(&b'=') {
                return Err(ScanError::Malformed("attribute without value"));
            }
            i += 1;
            while i < s.len() && is_xml_space_byte(s.as_bytes()[i]) {
                i += 1;
            }
            let quote = *s.as_bytes().get(i).ok_or(ScanError::Malformed("unterminated tag"))?;
            if quote != b'"' && quote != b'\'' {
                return Err(ScanError::Malformed("unquoted attribute value"));
            }
            i += 1;
            let value_end = s[i..]
                .find(char::from(quote))
                .ok_or(ScanError::Malformed("unterminated attribute value"))?;
            let raw_value = &s[i..i + value_end];
            if raw_value.contains('<') {
                return Err(ScanError::Malformed("`<` in an attribute value"));
            }
            let value = unescape(raw_value)?;
            if raw_attrs.iter().any(|(n, _)| *n == attr_name) {
                return Err(ScanError::Malformed("duplicate attribute"));
            }
            raw_attrs.push((attr_name, value));
            i += value_end + 1;
        }

        // Namespace declarations of this element.
        let mut bindings: HashMap<&'a str, String> = HashMap::new();
        for (name, value) in &raw_attrs {
            if *name == "xmlns" {
                bindings.insert("", value.clone());
            } else if let Some(prefix) = name.strip_prefix("xmlns:") {
                if value.is_empty() {
                    return Err(ScanError::Malformed("undeclaring a namespace prefix"));
                }
                if prefix == "xml" || prefix == "xmlns" {
                    return Err(ScanError::Malformed("rebinding a reserved prefix"));
                }
                bindings.insert(prefix, value.clone());
            }
        }
        self.ns_stack.push(bindings);

        let (prefix, local) = split_qname(qname)?;
        let ns = self.resolve(prefix.unwrap_or(""), prefix.is_some())?;
        let mut attrs = Vec::new();
        for (name, value) in raw_attrs {
            if name == "xmlns" || name.starts_with("xmlns:") {
                continue;
            }
            let (prefix, local) = split_qname(name)?;
            let ns = match prefix {
                Some(p) => self.resolve(p, true)?,
                None => None,
            };
            if attrs.iter().any(|(n, l, _)| *n == ns && l == local) {
                return Err(ScanError::Malformed("duplicate attribute"));
            }
            attrs.push((ns, local.to_owned(), value));
        }

        let index = self.elements.len();
        let parent = self.stack.last().map(|&(p, _)| p);
        if parent.is_none() && index != 0 {
            return Err(ScanError::Malformed("more than one root element"));
        }
        if let Some(p) = parent {
            self.elements[p].children.push(index);
        }
        self.elements.push(Element {
            ns,
            local: local.to_owned(),
            attrs,
            parent,
            children: Vec::new(),
            has_comment: false,
            text: String::new(),
        });
        self.pos = i;
        if self_closing {
            self.ns_stack.pop();
            if self.stack.is_empty() {
                self.root_closed = true;
            }
        } else {
            self.stack.push((index, qname));
        }
        Ok(())
    }

    fn resolve(&self, prefix: &str, prefixed: bool) -> Result<Option<String>, ScanError> {
        if prefix == "xml" {
            return Ok(Some(XML_NS.to_owned()));
        }
        for scope in self.ns_stack.iter().rev() {
            if let Some(uri) = scope.get(prefix) {
                return Ok(if uri.is_empty() { None } else { Some(uri.clone()) });
            }
        }
        if prefixed {
            Err(ScanError::Malformed("undeclared namespace prefix"))
        } else {
            Ok(None)
        }
    }
}

fn check_declaration(decl: &str) -> Result<(), ScanError> {
    // Only UTF-8 documents: libxml2 would otherwise transcode, and the two readers could differ.
    if let Some(at) = decl.find("encoding") {
        let value = decl[at + "encoding".len()..]
            .trim_start()
            .trim_start_matches('=')
            .trim_start()
            .trim_start_matches(['"', '\'']);
        let end = value.find(['"', '\'']).unwrap_or(value.len());
        if !value[..end].eq_ignore_ascii_case("utf-8") {
            return Err(ScanError::Malformed(
                "the XML declaration names an encoding other than UTF-8",
            ));
        }
    }
    Ok(())
}

fn split_qname(name: &str) -> Result<(Option<&str>, &str), ScanError> {
    match name.split_once(':') {
        None => Ok((None, name)),
        Some((prefix, local)) if !prefix.is_empty() && !local.is_empty() && !local.contains(':') => {
            Ok((Some(prefix), local))
        }
        Some(_) => Err(ScanError::Malformed("bad qualified name")),
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':') || b >= 0x80
}

fn is_xml_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Replaces the predefined entities and character references; anything else is refused.
fn unescape(raw: &str) -> Result<String, ScanError> {
    let mut out = String::with_capacity(raw.len());
    unescape_into(raw, &mut out)?;
    Ok(out)
}

/// [`unescape`], appending to `out` (no intermediate string).
fn unescape_into(raw: &str, out: &mut String) -> Result<(), ScanError> {
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after
            .find(';')
            .ok_or(ScanError::Malformed("unterminated entity reference"))?;
        let name = &after[..end];
        match name {
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "amp" => out.push('&'),
            "quot" => out.push('"'),
            "apos" => out.push('\''),
            _ => {
                let code = if let Some(hex) = name.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = name.strip_prefix('#') {
                    dec.parse::<u32>().ok()
                } else {
                    return Err(ScanError::Malformed("entity reference other than the predefined ones"));
                };
                let c = code
                    .and_then(char::from_u32)
                    .ok_or(ScanError::Malformed("bad character reference"))?;
                out.push(c);
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_namespaces_text_and_comments() {
        let doc = scan(
            r#"<?xml version="1.0" encoding="UTF-8"?><a:r xmlns:a="urn:a" xmlns="urn:d" ID="x"><c>t&amp;<!--c-->u<![CDATA[<v>]]></c><a:e/></a:r>"#,
        )
        .unwrap();
        assert_eq!(doc.elements.len(), 3);
        assert!(doc.root().is("urn:a", "r"));
        assert_eq!(doc.root().attr("ID"), Some("x"));
        assert!(doc.elements[1].is("urn:d", "c"));
        assert_eq!(doc.elements[1].text, "t&u<v>");
        assert!(doc.elements[1].has_comment);
        assert!(doc.elements[2].is("urn:a", "e"));
    }

    #[test]
    fn refuses_what_libxml_might_read_differently() {
        assert_eq!(scan("<!DOCTYPE r><r/>").unwrap_err(), ScanError::Doctype);
        assert_eq!(
            scan("<r>&xxe;</r>").unwrap_err(),
            ScanError::Malformed("entity reference other than the predefined ones")
        );
        assert!(scan("<r><?pi x?></r>").is_err());
        assert!(scan("<p:r/>").is_err());
        assert!(scan("<r a='1' a='2'/>").is_err());
        assert!(scan("<r/><r/>").is_err());
        assert!(scan(r#"<?xml version="1.0" encoding="ISO-8859-1"?><r/>"#).is_err());
        assert!(scan("<r><a></r></a>").is_err());
    }
}
