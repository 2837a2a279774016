//! A deliberately strict, non-validating XML scanner, and Exclusive XML Canonicalization of what it
//! scanned.
//!
//! The scanner decides whether a document has a shape we are willing to verify at all. It is
//! stricter than libxml2 on purpose, so that whatever it accepts is read the same way by both: no
//! DOCTYPE, no processing instructions other than the XML declaration, only the five predefined
//! entities and character references, no undeclared namespace prefixes, no duplicate attributes, no
//! character XML does not allow, names that start like XML names, and no references in namespace
//! names. Anything else is rejected (fail closed). It normalises line ends and attribute values
//! exactly as an XML 1.0 parser does, and records what canonicalisation needs: prefixes, namespace
//! declarations, and text and child elements in document order. Strings are borrowed from the
//! input unless a reference or a normalisation changed them.
//!
//! [`exclusive_c14n`] renders a subtree as libxml2's canonicaliser does (the one libxmlsec1 uses for
//! signatures), so that its bytes are the ones the IdP digested and signed.

use std::borrow::Cow;

/// The namespace of the `xml:` prefix (always bound).
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// An attribute of an element (namespace declarations are in [`Element::ns_decls`]).
#[derive(Debug, Clone)]
pub(crate) struct Attribute<'a> {
    /// The prefix as written (`""` when unprefixed).
    pub prefix: &'a str,
    /// The local name.
    pub local: &'a str,
    /// The namespace URI (prefixed attributes only).
    pub ns: Option<&'a str>,
    /// The normalised value (references replaced, whitespace characters turned into spaces).
    pub value: Cow<'a, str>,
}

/// A piece of an element's content, in document order (comments are not kept).
#[derive(Debug, Clone)]
pub(crate) enum Content<'a> {
    /// Character data (references replaced, line ends normalised; CDATA sections included).
    Text(Cow<'a, str>),
    /// A child element (an index into [`Document::elements`]).
    Element(usize),
}

/// An element of the scanned document.
#[derive(Debug, Clone)]
pub(crate) struct Element<'a> {
    /// Namespace URI, if the element is in one.
    pub ns: Option<&'a str>,
    /// The prefix as written (`""` when unprefixed).
    pub prefix: &'a str,
    /// Local name.
    pub local: &'a str,
    /// Attributes, in document order.
    pub attrs: Vec<Attribute<'a>>,
    /// The namespace declarations of this element: (prefix, `""` for the default; URI, `""` for
    /// `xmlns=""`), in document order.
    pub ns_decls: Vec<(&'a str, &'a str)>,
    /// Parent element index.
    pub parent: Option<usize>,
    /// Child element indices, in document order.
    pub children: Vec<usize>,
    /// Text and child elements, in document order.
    pub content: Vec<Content<'a>>,
    /// Whether a comment appears directly inside the element.
    pub has_comment: bool,
}

impl Element<'_> {
    /// True when the element is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns == Some(ns)
    }

    /// The value of the unprefixed attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && a.local == name)
            .map(|a| &*a.value)
    }

    /// The text directly inside the element (concatenated; CDATA included).
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|c| match c {
                Content::Text(text) => Some(&**text),
                Content::Element(_) => None,
            })
            .collect()
    }
}

/// A scanned document: elements in document order; index 0 is the root.
#[derive(Debug, Clone)]
pub(crate) struct Document<'a> {
    pub elements: Vec<Element<'a>>,
}

impl<'a> Document<'a> {
    /// The root element.
    pub fn root(&self) -> &Element<'a> {
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

    /// The namespace declaration in scope at `index` for `prefix` (`""` for the default
    /// namespace), as libxml2's `xmlSearchNs` finds it: `Some("")` when `xmlns=""` is the nearest
    /// default declaration, `None` when nothing declares the prefix.
    pub fn lookup_ns(&self, index: usize, prefix: &str) -> Option<&'a str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        let mut at = Some(index);
        while let Some(i) = at {
            let element = &self.elements[i];
            if let Some(&(_, uri)) = element.ns_decls.iter().find(|(p, _)| *p == prefix) {
                return Some(uri);
            }
            at = element.parent;
        }
        None
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
pub(crate) fn scan(input: &str) -> Result<Document<'_>, ScanError> {
    if has_markup_declaration(input) {
        return Err(ScanError::Doctype);
    }
    if !has_only_xml_chars(input) {
        return Err(ScanError::Malformed("a character XML does not allow"));
    }
    let mut scanner = Scanner {
        s: input,
        pos: 0,
        elements: Vec::new(),
        stack: Vec::new(),
        bindings: Vec::new(),
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

/// Whether `input` contains `<!DOCTYPE` or `<!ENTITY` anywhere (comments and CDATA included),
/// ignoring ASCII case. `!` is rare in SAML and has no case: only its occurrences (found with
/// `memchr`) are compared.
fn has_markup_declaration(input: &str) -> bool {
    let bytes = input.as_bytes();
    input.match_indices('!').any(|(at, _)| {
        let after = &bytes[at + 1..];
        at > 0
            && bytes[at - 1] == b'<'
            && [b"DOCTYPE".as_slice(), b"ENTITY"].iter().any(|keyword| {
                after
                    .get(..keyword.len())
                    .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
            })
    })
}

/// XML 1.0 `Char` only: no C0 control other than tab, LF and CR, no U+FFFE / U+FFFF (Rust strings
/// hold no surrogates).
fn has_only_xml_chars(input: &str) -> bool {
    // Without short-circuiting, so that the loop vectorises.
    let control = input.bytes().fold(false, |found, b| {
        found | (b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r')
    });
    !control && !input.contains('\u{FFFE}') && !input.contains('\u{FFFF}')
}

struct Scanner<'a> {
    s: &'a str,
    pos: usize,
    elements: Vec<Element<'a>>,
    /// Open elements: (index, qualified name, length of `bindings` before its declarations).
    stack: Vec<(usize, &'a str, usize)>,
    /// Namespace declarations in scope, innermost last: (prefix, `""` = default; URI).
    bindings: Vec<(&'a str, &'a str)>,
    root_closed: bool,
}

impl<'a> Scanner<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn push_text(&mut self, text: Cow<'a, str>) -> Result<(), ScanError> {
        match self.stack.last() {
            Some(&(open, _, _)) => {
                if !text.is_empty() {
                    self.elements[open].content.push(Content::Text(text));
                }
                Ok(())
            }
            None if text.chars().all(is_xml_space) => Ok(()),
            None => Err(ScanError::Malformed("text outside the root element")),
        }
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
                if let Some(&(open, _, _)) = self.stack.last() {
                    self.elements[open].has_comment = true;
                }
                self.pos += 4 + end + 3;
            } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
                let end = after.find("]]>").ok_or(ScanError::Malformed("unterminated CDATA"))?;
                if self.stack.is_empty() {
                    return Err(ScanError::Malformed("CDATA outside the root element"));
                }
                self.push_text(normalize_line_ends(&after[..end]))?;
                self.pos += 9 + end + 3;
            } else if rest.starts_with("<!") {
                return Err(ScanError::Doctype);
            } else if rest.starts_with("<?") {
                return Err(ScanError::Malformed("processing instruction"));
            } else if let Some(after) = rest.strip_prefix("</") {
                let end = after.find('>').ok_or(ScanError::Malformed("unterminated end tag"))?;
                let name = after[..end].trim_end_matches(is_xml_space);
                let (_, open_name, bindings) = self.stack.pop().ok_or(ScanError::Malformed("unbalanced end tag"))?;
                if name != open_name {
                    return Err(ScanError::Malformed("mismatched end tag"));
                }
                self.bindings.truncate(bindings);
                if self.stack.is_empty() {
                    self.root_closed = true;
                }
                self.pos += 2 + end + 1;
            } else if rest.starts_with('<') {
                self.start_tag()?;
            } else {
                let end = rest.find('<').unwrap_or(rest.len());
                let text = decode(&rest[..end], false)?;
                self.push_text(text)?;
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
        let bytes = s.as_bytes();
        let mut i = self.pos + 1;
        let name_start = i;
        while i < s.len() && is_name_byte(bytes[i]) {
            i += 1;
        }
        let qname = &s[name_start..i];
        if qname.is_empty() {
            return Err(ScanError::Malformed("empty element name"));
        }
        let mut raw_attrs: Vec<(&'a str, &'a str)> = Vec::new();
        let self_closing;
        loop {
            let ws_start = i;
            while i < s.len() && is_xml_space_byte(bytes[i]) {
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
            while i < s.len() && is_name_byte(bytes[i]) {
                i += 1;
            }
            let attr_name = &s[attr_start..i];
            if attr_name.is_empty() {
                return Err(ScanError::Malformed("bad attribute"));
            }
            while i < s.len() && is_xml_space_byte(bytes[i]) {
                i += 1;
            }
            if bytes.get(i) != Some(&b'=') {
                return Err(ScanError::Malformed("attribute without value"));
            }
            i += 1;
            while i < s.len() && is_xml_space_byte(bytes[i]) {
                i += 1;
            }
            let quote = *bytes.get(i).ok_or(ScanError::Malformed("unterminated tag"))?;
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
            if raw_attrs.iter().any(|(n, _)| *n == attr_name) {
                return Err(ScanError::Malformed("duplicate attribute"));
            }
            raw_attrs.push((attr_name, raw_value));
            i += value_end + 1;
        }

        // Namespace declarations of this element.
        let outer_bindings = self.bindings.len();
        let mut ns_decls = Vec::new();
        for &(name, value) in &raw_attrs {
            let prefix = if name == "xmlns" {
                ""
            } else if let Some(prefix) = name.strip_prefix("xmlns:") {
                if value.is_empty() {
                    return Err(ScanError::Malformed("undeclaring a namespace prefix"));
                }
                if prefix == "xml" || prefix == "xmlns" {
                    return Err(ScanError::Malformed("rebinding a reserved prefix"));
                }
                if !is_ncname(prefix) {
                    return Err(ScanError::Malformed("bad qualified name"));
                }
                prefix
            } else {
                continue;
            };
            // Kept verbatim (libxml2's canonicaliser writes namespace names unescaped), so refuse
            // anything a parser would have to rewrite.
            if value.contains(['&', '\t', '\n', '\r']) {
                return Err(ScanError::Malformed(
                    "a reference or a control character in a namespace name",
                ));
            }
            ns_decls.push((prefix, value));
            self.bindings.push((prefix, value));
        }

        let (prefix, local) = split_qname(qname)?;
        let ns = self.resolve(prefix, true)?;
        let mut attrs: Vec<Attribute<'a>> = Vec::with_capacity(raw_attrs.len() - ns_decls.len());
        for (name, raw_value) in raw_attrs {
            if name == "xmlns" || name.starts_with("xmlns:") {
                continue;
            }
            let (prefix, local) = split_qname(name)?;
            let ns = if prefix.is_empty() {
                None
            } else {
                self.resolve(prefix, true)?
            };
            if attrs.iter().any(|a| a.ns == ns && a.local == local) {
                return Err(ScanError::Malformed("duplicate attribute"));
            }
            attrs.push(Attribute {
                prefix,
                local,
                ns,
                value: decode(raw_value, true)?,
            });
        }

        let index = self.elements.len();
        let parent = self.stack.last().map(|&(p, _, _)| p);
        if parent.is_none() && index != 0 {
            return Err(ScanError::Malformed("more than one root element"));
        }
        if let Some(p) = parent {
            self.elements[p].children.push(index);
            self.elements[p].content.push(Content::Element(index));
        }
        self.elements.push(Element {
            ns,
            prefix,
            local,
            attrs,
            ns_decls,
            parent,
            children: Vec::new(),
            content: Vec::new(),
            has_comment: false,
        });
        self.pos = i;
        if self_closing {
            self.bindings.truncate(outer_bindings);
            if self.stack.is_empty() {
                self.root_closed = true;
            }
        } else {
            self.stack.push((index, qname, outer_bindings));
        }
        Ok(())
    }

    /// The namespace URI of `prefix` (`""` = the default namespace, which may be empty).
    fn resolve(&self, prefix: &str, required: bool) -> Result<Option<&'a str>, ScanError> {
        if prefix == "xml" {
            return Ok(Some(XML_NS));
        }
        match self.bindings.iter().rev().find(|(p, _)| *p == prefix) {
            Some(&(_, uri)) => Ok((!uri.is_empty()).then_some(uri)),
            None if prefix.is_empty() || !required => Ok(None),
            None => Err(ScanError::Malformed("undeclared namespace prefix")),
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

/// Splits a qualified name into (prefix, `""` when none; local name).
fn split_qname(name: &str) -> Result<(&str, &str), ScanError> {
    let (prefix, local) = match name.split_once(':') {
        None => ("", name),
        Some((prefix, local)) if is_ncname(prefix) => (prefix, local),
        Some(_) => return Err(ScanError::Malformed("bad qualified name")),
    };
    if is_ncname(local) {
        Ok((prefix, local))
    } else {
        Err(ScanError::Malformed("bad qualified name"))
    }
}

/// A non-empty name without a colon whose first character may start an XML name (names are
/// scanned with [`is_name_byte`]; non-ASCII characters are not classified further).
fn is_ncname(name: &str) -> bool {
    name.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b >= 0x80)
        && !name.contains(':')
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

/// XML 1.0 line-end handling: `\r\n` and a lone `\r` become `\n`.
fn normalize_line_ends(raw: &str) -> Cow<'_, str> {
    if raw.contains('\r') {
        Cow::Owned(raw.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(raw)
    }
}

/// Decodes character data (`attribute == false`) or an attribute value: the predefined entities
/// and character references are replaced, anything else is refused; line ends are normalised
/// (XML 1.0 §2.11), and in attribute values each literal whitespace character becomes a space
/// (§3.3.3; without a DTD every attribute is CDATA). Characters produced by references are kept.
fn decode(raw: &str, attribute: bool) -> Result<Cow<'_, str>, ScanError> {
    // ASCII bytes never occur inside a multi-byte UTF-8 character: byte positions are char
    // boundaries.
    let special = |b: &u8| match b {
        b'&' | b'\r' => true,
        b'\n' | b'\t' => attribute,
        _ => false,
    };
    let find = |text: &str| text.as_bytes().iter().position(special);
    if find(raw).is_none() {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = find(rest) {
        out.push_str(&rest[..at]);
        let c = rest.as_bytes()[at];
        rest = &rest[at + 1..];
        match c {
            b'&' => {
                let end = rest
                    .find(';')
                    .ok_or(ScanError::Malformed("unterminated entity reference"))?;
                out.push(reference(&rest[..end])?);
                rest = &rest[end + 1..];
            }
            b'\r' => {
                rest = rest.strip_prefix('\n').unwrap_or(rest);
                out.push(if attribute { ' ' } else { '\n' });
            }
            _ => out.push(' '),
        }
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// The character of the reference `&name;`: a predefined entity or a character reference to an
/// XML `Char`.
fn reference(name: &str) -> Result<char, ScanError> {
    let code = match name {
        "lt" => return Ok('<'),
        "gt" => return Ok('>'),
        "amp" => return Ok('&'),
        "quot" => return Ok('"'),
        "apos" => return Ok('\''),
        _ => {
            if let Some(hex) = name.strip_prefix("#x") {
                (!hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then(|| u32::from_str_radix(hex, 16).ok())
                    .flatten()
            } else if let Some(dec) = name.strip_prefix('#') {
                (!dec.is_empty() && dec.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| dec.parse::<u32>().ok())
                    .flatten()
            } else {
                return Err(ScanError::Malformed("entity reference other than the predefined ones"));
            }
        }
    };
    code.and_then(char::from_u32)
        .filter(|&c| matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..))
        .ok_or(ScanError::Malformed("bad character reference"))
}

/// Whether libxml2's canonicaliser accepts every namespace name of `doc`. It refuses documents with
/// a relative namespace URI: each non-empty one must parse as a URI with a scheme, and with a
/// host unless the scheme is `urn` or `dav`. This check is conservative (plain RFC 3986 characters,
/// no IP literals, a numeric port): `false` means "not certainly accepted".
pub(crate) fn c14n_accepts_namespaces(doc: &Document<'_>) -> bool {
    doc.elements
        .iter()
        .flat_map(|e| &e.ns_decls)
        .all(|&(_, uri)| uri.is_empty() || is_absolute_uri(uri))
}

fn is_absolute_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok || !is_uri_text(rest) || rest.matches('#').count() > 1 {
        return false;
    }
    if scheme.eq_ignore_ascii_case("urn") || scheme.eq_ignore_ascii_case("dav") {
        return true;
    }
    let Some(after) = rest.strip_prefix("//") else {
        return false;
    };
    let authority = &after[..after.find(['/', '?', '#']).unwrap_or(after.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host_port)| host_port);
    let host = match host_port.split_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => host,
        Some(_) => return false,
        None => host_port,
    };
    !host.is_empty()
}

/// RFC 3986 characters (unreserved, reserved but the IP-literal brackets, percent-encodings).
fn is_uri_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            if !bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-._~:/?#@!$&'()*+,;=".contains(&b)) {
            return false;
        }
        i += 1;
    }
    true
}

/// Exclusive XML Canonicalization 1.0 without comments of the subtree of `apex`, leaving out the
/// subtree of `omit` (the enveloped-signature transform), with `inclusive_prefixes` the
/// `InclusiveNamespaces` `PrefixList` tokens (`#default` for the default namespace).
///
/// This follows libxml2 2.9's `c14n.c` (`xmlExcC14NProcessNamespacesAxis`, its namespace stack,
/// `xmlC14NAttrsCompare`, `xmlC11NNormalizeString`), which libxmlsec1 uses, rather than only the
/// W3C text, so that the bytes are the ones libxmlsec1 would produce: an element renders the
/// namespaces it or its attributes use, and those of the prefix list (as inclusive c14n would),
/// unless its nearest rendered ancestors already did with the same URI; namespace names are written
/// as declared.
pub(crate) fn exclusive_c14n<'d>(
    doc: &'d Document<'d>,
    apex: usize,
    omit: Option<usize>,
    inclusive_prefixes: &'d [&'d str],
) -> String {
    let mut c14n = Canonicalizer {
        doc,
        omit,
        inclusive_prefixes,
        out: String::with_capacity(4096),
        rendered: Vec::new(),
        previous_start: 0,
        previous_end: 0,
    };
    c14n.element(apex);
    c14n.out
}

struct Canonicalizer<'d> {
    doc: &'d Document<'d>,
    omit: Option<usize>,
    inclusive_prefixes: &'d [&'d str],
    out: String,
    /// libxml2's "visible namespace stack": (prefix, URI) pairs in effect from output ancestors.
    rendered: Vec<(&'d str, &'d str)>,
    /// Where the entries of the nearest output ancestor start and end in `rendered`.
    previous_start: usize,
    previous_end: usize,
}

impl<'d> Canonicalizer<'d> {
    fn element(&mut self, index: usize) {
        let doc = self.doc;
        let element = &doc.elements[index];
        let saved = (self.rendered.len(), self.previous_start, self.previous_end);
        self.out.push('<');
        self.push_qname(element.prefix, element.local);
        self.namespaces(index);
        self.previous_start = self.previous_end;
        self.previous_end = self.rendered.len();

        let mut attrs: Vec<&Attribute<'d>> = element.attrs.iter().collect();
        attrs.sort_by(|a, b| (a.ns, a.local).cmp(&(b.ns, b.local)));
        for attr in attrs {
            self.out.push(' ');
            self.push_qname(attr.prefix, attr.local);
            self.out.push_str("=\"");
            escape(&attr.value, &mut self.out, true);
            self.out.push('"');
        }
        self.out.push('>');
        for content in &element.content {
            match content {
                Content::Text(text) => escape(text, &mut self.out, false),
                Content::Element(child) if Some(*child) != self.omit => self.element(*child),
                Content::Element(_) => {}
            }
        }
        self.out.push_str("</");
        self.push_qname(element.prefix, element.local);
        self.out.push('>');
        (self.previous_start, self.previous_end) = (saved.1, saved.2);
        self.rendered.truncate(saved.0);
    }

    fn push_qname(&mut self, prefix: &str, local: &str) {
        if !prefix.is_empty() {
            self.out.push_str(prefix);
            self.out.push(':');
        }
        self.out.push_str(local);
    }

    /// Whether (prefix, uri) is already in effect. `exclusive` is libxml2's
    /// `xmlExcC14NVisibleNsStackFind` (the whole stack), otherwise `xmlC14NVisibleNsStackFind`
    /// (from the nearest output ancestor's entries on). An absent `xmlns=""` counts as rendered.
    fn in_effect(&self, prefix: &str, uri: &str, exclusive: bool) -> bool {
        let empty = prefix.is_empty() && uri.is_empty();
        let start = if exclusive || empty { 0 } else { self.previous_start };
        self.rendered[start..]
            .iter()
            .rev()
            .find(|(p, _)| *p == prefix)
            .map_or(empty, |(_, u)| *u == uri)
    }

    /// Renders the namespace axis of `index` (libxml2's `xmlExcC14NProcessNamespacesAxis`).
    fn namespaces(&mut self, index: usize) {
        let doc = self.doc;
        let element = &doc.elements[index];
        // Namespaces to print, sorted by prefix (the default namespace first).
        let mut list: Vec<(&'d str, &'d str)> = Vec::new();
        let insert = |list: &mut Vec<(&'d str, &'d str)>, prefix: &'d str, uri: &'d str| {
            let at = list.partition_point(|(p, _)| *p <= prefix);
            list.insert(at, (prefix, uri));
        };
        let mut has_empty_ns = false;
        let mut empty_ns_in_list = false;

        // The PrefixList, handled as inclusive canonicalisation does.
        for &token in self.inclusive_prefixes {
            let prefix = match token {
                "#default" | "" => {
                    empty_ns_in_list = true;
                    ""
                }
                other => other,
            };
            let Some(uri) = doc.lookup_ns(index, prefix) else {
                continue;
            };
            if is_xml_ns(prefix, uri) {
                continue;
            }
            let already = self.in_effect(prefix, uri, false);
            self.rendered.push((prefix, uri));
            if !already {
                insert(&mut list, prefix, uri);
            }
            if prefix.is_empty() {
                has_empty_ns = true;
            }
        }

        // The element's namespace; an element in no namespace "visibly utilises" the empty one.
        let utilises_empty_ns = element.ns.is_none();
        let own = match element.ns {
            Some(uri) => Some((element.prefix, uri)),
            None => doc.lookup_ns(index, "").map(|uri| ("", uri)),
        };
        if let Some((prefix, uri)) = own
            && !is_xml_ns(prefix, uri)
        {
            if !self.in_effect(prefix, uri, true) {
                insert(&mut list, prefix, uri);
            }
            self.rendered.push((prefix, uri));
            if prefix.is_empty() {
                has_empty_ns = true;
            }
        }

        // The namespaces of prefixed attributes.
        for attr in &element.attrs {
            if let Some(uri) = attr.ns
                && !is_xml_ns(attr.prefix, uri)
            {
                let already = self.in_effect(attr.prefix, uri, true);
                self.rendered.push((attr.prefix, uri));
                if !already {
                    insert(&mut list, attr.prefix, uri);
                }
            }
        }

        // `xmlns=""`, when an output ancestor put this element's scope in a default namespace.
        let undeclare_default = if utilises_empty_ns && !has_empty_ns && !empty_ns_in_list {
            !self.in_effect("", "", true)
        } else if !has_empty_ns && empty_ns_in_list {
            !self.in_effect("", "", false)
        } else {
            false
        };
        if undeclare_default {
            self.out.push_str(" xmlns=\"\"");
        }
        for (prefix, uri) in list {
            if prefix.is_empty() {
                self.out.push_str(" xmlns=\"");
            } else {
                self.out.push_str(" xmlns:");
                self.out.push_str(prefix);
                self.out.push_str("=\"");
            }
            self.out.push_str(uri);
            self.out.push('"');
        }
    }
}

/// libxml2's `xmlC14NIsXmlNs`: the predefined `xml` namespace, never rendered.
fn is_xml_ns(prefix: &str, uri: &str) -> bool {
    prefix == "xml" && uri == XML_NS
}

/// Writes `text` escaped as canonical XML does (libxml2's `xmlC11NNormalizeString`): in text `&`,
/// `<`, `>` and CR; in attribute values `&`, `<`, `"`, tab, LF and CR.
fn escape(text: &str, out: &mut String, attribute: bool) {
    let mut rest = text;
    loop {
        let next = rest.bytes().position(|b| match b {
            b'&' | b'<' | b'\r' => true,
            b'>' => !attribute,
            b'"' | b'\t' | b'\n' => attribute,
            _ => false,
        });
        let Some(at) = next else {
            out.push_str(rest);
            return;
        };
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\t' => "&#x9;",
            b'\n' => "&#xA;",
            _ => "&#xD;",
        });
        rest = &rest[at + 1..];
    }
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
        assert_eq!(doc.elements[1].text(), "t&u<v>");
        assert!(doc.elements[1].has_comment);
        assert!(doc.elements[2].is("urn:a", "e"));
        assert_eq!(doc.lookup_ns(2, ""), Some("urn:d"));
        assert_eq!(doc.lookup_ns(2, "b"), None);
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
        assert!(scan("<r>&#0;</r>").is_err());
        assert!(scan("<r>&#x+41;</r>").is_err());
        assert!(scan("<r>\u{1}</r>").is_err());
        assert!(scan("<r>\u{FFFE}</r>").is_err());
        assert!(scan("<r>\u{EFFF}\u{FFFD}</r>").is_ok());
        assert_eq!(scan("<r/><!doctype r>").unwrap_err(), ScanError::Doctype);
        assert_eq!(scan("<r><!EnTiTy x 'y'></r>").unwrap_err(), ScanError::Doctype);
        assert!(scan("<1r/>").is_err());
        assert!(scan("<r -a='1'/>").is_err());
        assert!(scan("<r xmlns:a='urn:&amp;'/>").is_err());
    }

    #[test]
    fn normalizes_line_ends_and_attribute_whitespace() {
        let doc = scan("<r a=\"x\r\ny\tz&#9;&#10;\">1\r\n2\r3&#13;<![CDATA[4\r\n]]></r>").unwrap();
        assert_eq!(doc.root().attr("a"), Some("x y z\t\n"));
        assert_eq!(doc.root().text(), "1\n2\n3\r4\n");
    }

    fn c14n(xml: &str, apex: usize, prefixes: &[&str]) -> String {
        let doc = scan(xml).unwrap();
        exclusive_c14n(&doc, apex, None, prefixes)
    }

    #[test]
    fn canonicalizes_exclusively() {
        // Unused declarations dropped, used ones pushed down, attributes sorted, empty elements
        // expanded, escapes, xmlns="" under a rendered default namespace.
        assert_eq!(
            c14n(
                "<r xmlns='urn:d' xmlns:a='urn:a' xmlns:u='urn:unused' b='2' a:z='&lt;\"&gt;' a='1'>\
                 <a:c/><e xmlns=''>&#13;&gt;&amp;</e></r>",
                0,
                &[]
            ),
            "<r xmlns=\"urn:d\" xmlns:a=\"urn:a\" a=\"1\" b=\"2\" a:z=\"&lt;&quot;>\">\
             <a:c></a:c><e xmlns=\"\">&#xD;&gt;&amp;</e></r>"
        );
        // A subtree: namespaces of ancestors rendered where used; the PrefixList renders the
        // listed ones in scope.
        assert_eq!(
            c14n(
                "<r xmlns='urn:d' xmlns:a='urn:a' xmlns:xs='urn:xs'><a:c><d/></a:c></r>",
                1,
                &["xs"]
            ),
            "<a:c xmlns:a=\"urn:a\" xmlns:xs=\"urn:xs\"><d xmlns=\"urn:d\"></d></a:c>"
        );
        // A prefix rebound below is rendered again.
        assert_eq!(
            c14n("<a:r xmlns:a='urn:1'><a:s xmlns:a='urn:2'/><a:t/></a:r>", 0, &[]),
            "<a:r xmlns:a=\"urn:1\"><a:s xmlns:a=\"urn:2\"></a:s><a:t></a:t></a:r>"
        );
    }

    #[test]
    fn recognizes_absolute_namespace_names() {
        for ok in [
            "urn:oasis:names:tc:SAML:2.0:assertion",
            "http://www.w3.org/2000/09/xmldsig#",
            "https://user@host.example:8443/p?q=1#f",
            "DAV:",
        ] {
            assert!(is_absolute_uri(ok), "{ok}");
        }
        for bad in [
            "relative/path",
            "mailto:a@b",
            "http:/x",
            "http://",
            "http://h:x/",
            "urn:a b",
            "http://[::1]/",
        ] {
            assert!(!is_absolute_uri(bad), "{bad}");
        }
    }
}
