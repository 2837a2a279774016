//! A small XML tree (read with quick-xml) and Exclusive XML Canonicalization 1.0 (without
//! comments) of a subtree, written from the W3C specification for the test IdP's signatures.
//!
//! It is deliberately independent of the service provider's canonicaliser in
//! `studio-fed-federation`: the two meet only through signatures, which an independent verifier
//! (python-xmlsec in the test suite) also checks. Only what a signing IdP needs is supported: a
//! well-formed UTF-8 document without DOCTYPE.

use std::ops::Range;

use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::Error;

/// The namespace of the `xml:` prefix (always bound, never declared in canonical form).
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// An attribute (namespace declarations are in [`Element::ns_decls`]).
#[derive(Debug, Clone)]
pub(super) struct Attribute {
    pub prefix: String,
    pub local: String,
    /// The normalised value (references resolved, whitespace characters turned into spaces).
    pub value: String,
}

/// A piece of an element's content, in document order (comments are dropped).
#[derive(Debug, Clone)]
pub(super) enum Content {
    /// Character data with references resolved and line ends normalised.
    Text(String),
    /// A child element (an index into [`Tree::elements`]).
    Element(usize),
    /// A processing instruction, as written between `<?` and `?>`.
    Pi(String),
}

/// An element of the tree.
#[derive(Debug, Clone)]
pub(super) struct Element {
    pub prefix: String,
    pub local: String,
    pub attrs: Vec<Attribute>,
    /// Namespace declarations (prefix, `""` for the default; URI).
    pub ns_decls: Vec<(String, String)>,
    pub parent: Option<usize>,
    pub content: Vec<Content>,
    /// The byte range of the element's content in the source (empty for `<x/>`).
    pub inner: Range<usize>,
    /// Whether the element was written `<x/>`.
    pub self_closing: bool,
}

/// A parsed document: elements in document order, the root first.
#[derive(Debug, Clone)]
pub(super) struct Tree {
    pub elements: Vec<Element>,
}

impl Tree {
    /// Parses a well-formed document (a DOCTYPE is refused).
    pub fn parse(xml: &str) -> Result<Self, Error> {
        let bad = |why: String| Error::Signing(format!("the document to sign is not well-formed XML: {why}"));
        let mut reader = Reader::from_str(xml);
        let mut elements: Vec<Element> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        loop {
            let event = reader.read_event().map_err(|e| bad(e.to_string()))?;
            let position = usize::try_from(reader.buffer_position()).map_err(|e| bad(e.to_string()))?;
            match event {
                Event::Start(start) | Event::Empty(start) if open.is_empty() && !elements.is_empty() => {
                    return Err(bad(format!(
                        "a second root element {}",
                        String::from_utf8_lossy(start.name().as_ref())
                    )));
                }
                Event::Start(start) => {
                    let index = push_element(&mut elements, &open, &start, position, false)?;
                    open.push(index);
                }
                Event::Empty(start) => {
                    push_element(&mut elements, &open, &start, position, true)?;
                }
                Event::End(end) => {
                    let index = open.pop().ok_or_else(|| bad("an end tag without a start tag".into()))?;
                    let close = end.name().as_ref().len() + 3;
                    elements[index].inner.end = position - close;
                }
                Event::Text(text) => {
                    let text = text.xml10_content().map_err(|e| bad(e.to_string()))?;
                    push_text(&mut elements, &open, &text);
                }
                Event::CData(text) => {
                    let text = text.xml10_content().map_err(|e| bad(e.to_string()))?;
                    push_text(&mut elements, &open, &text);
                }
                Event::GeneralRef(reference) => {
                    let text = match reference.resolve_char_ref().map_err(|e| bad(e.to_string()))? {
                        Some(c) => c.to_string(),
                        None => {
                            let name = reference.decode().map_err(|e| bad(e.to_string()))?;
                            resolve_predefined_entity(&name)
                                .ok_or_else(|| bad(format!("the entity &{name}; is not predefined")))?
                                .to_owned()
                        }
                    };
                    push_text(&mut elements, &open, &text);
                }
                Event::PI(pi) => {
                    if let Some(&parent) = open.last() {
                        let pi = String::from_utf8_lossy(&pi).into_owned();
                        elements[parent].content.push(Content::Pi(pi));
                    }
                }
                Event::DocType(_) => return Err(bad("a DOCTYPE".into())),
                Event::Decl(_) | Event::Comment(_) => {}
                Event::Eof => break,
            }
        }
        if elements.is_empty() || !open.is_empty() {
            return Err(bad("no root element, or an unclosed one".into()));
        }
        Ok(Self { elements })
    }

    /// The namespace `prefix` (`""` for the default) is bound to at `index`; `None` when unbound or
    /// undeclared with `xmlns=""`.
    pub fn lookup(&self, index: usize, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        let mut at = Some(index);
        while let Some(i) = at {
            if let Some((_, uri)) = self.elements[i].ns_decls.iter().find(|(p, _)| p == prefix) {
                return (!uri.is_empty()).then_some(uri.as_str());
            }
            at = self.elements[i].parent;
        }
        None
    }

    /// Whether element `index` is `local` in namespace `ns`.
    pub fn is(&self, index: usize, ns: &str, local: &str) -> bool {
        let element = &self.elements[index];
        element.local == local && self.lookup(index, &element.prefix) == Some(ns)
    }

    /// The value of the unprefixed attribute `name` of element `index`.
    pub fn attr(&self, index: usize, name: &str) -> Option<&str> {
        self.elements[index]
            .attrs
            .iter()
            .find(|a| a.prefix.is_empty() && a.local == name)
            .map(|a| a.value.as_str())
    }

    /// The child elements of `index`.
    pub fn children(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.elements[index].content.iter().filter_map(|c| match c {
            Content::Element(child) => Some(*child),
            _ => None,
        })
    }

    /// Exclusive XML Canonicalization 1.0 without comments of the subtree of `apex`, leaving out
    /// the subtree of `omit`, with the `InclusiveNamespaces` `PrefixList` tokens `inclusive`
    /// (`#default` for the default namespace).
    pub fn exclusive_c14n(&self, apex: usize, omit: Option<usize>, inclusive: &[&str]) -> String {
        let mut out = String::new();
        // Namespace declarations in effect in the output: (prefix, URI), innermost last.
        let mut rendered: Vec<(String, String)> = Vec::new();
        self.render(apex, omit, inclusive, &mut rendered, &mut out);
        out
    }

    fn render(
        &self,
        index: usize,
        omit: Option<usize>,
        inclusive: &[&str],
        rendered: &mut Vec<(String, String)>,
        out: &mut String,
    ) {
        let element = &self.elements[index];
        let in_effect = |rendered: &[(String, String)], prefix: &str| {
            rendered
                .iter()
                .rev()
                .find(|(p, _)| p == prefix)
                .map_or(String::new(), |(_, uri)| uri.clone())
        };

        // The namespaces this element renders: those it or its attributes visibly use, and those
        // of the inclusive prefix list that are in scope, unless already in effect with the same URI.
        let mut prefixes: Vec<&str> = vec![element.prefix.as_str()];
        prefixes.extend(
            element
                .attrs
                .iter()
                .filter(|a| !a.prefix.is_empty())
                .map(|a| a.prefix.as_str()),
        );
        for token in inclusive {
            let prefix = if *token == "#default" { "" } else { token };
            if self.lookup(index, prefix).is_some() {
                prefixes.push(prefix);
            }
        }
        prefixes.sort_unstable();
        prefixes.dedup();
        let mut declarations = Vec::new();
        for prefix in prefixes {
            if prefix == "xml" {
                continue;
            }
            let uri = self.lookup(index, prefix).unwrap_or_default();
            if in_effect(rendered, prefix) != uri {
                declarations.push((prefix.to_owned(), uri.to_owned()));
            }
        }

        let qname = |prefix: &str, local: &str| {
            if prefix.is_empty() {
                local.to_owned()
            } else {
                format!("{prefix}:{local}")
            }
        };
        out.push('<');
        out.push_str(&qname(&element.prefix, &element.local));
        for (prefix, uri) in &declarations {
            if prefix.is_empty() {
                out.push_str(" xmlns=\"");
            } else {
                out.push_str(" xmlns:");
                out.push_str(prefix);
                out.push_str("=\"");
            }
            escape_attribute(uri, out);
            out.push('"');
        }
        let mut attrs: Vec<(&str, &Attribute)> = element
            .attrs
            .iter()
            .map(|a| {
                let ns = if a.prefix.is_empty() {
                    ""
                } else {
                    self.lookup(index, &a.prefix).unwrap_or_default()
                };
                (ns, a)
            })
            .collect();
        attrs.sort_by(|(ns_a, a), (ns_b, b)| (ns_a, &a.local).cmp(&(ns_b, &b.local)));
        for (_, attr) in attrs {
            out.push(' ');
            out.push_str(&qname(&attr.prefix, &attr.local));
            out.push_str("=\"");
            escape_attribute(&attr.value, out);
            out.push('"');
        }
        out.push('>');

        let depth = rendered.len();
        rendered.extend(declarations);
        for content in &element.content {
            match content {
                Content::Text(text) => escape_text(text, out),
                Content::Element(child) if Some(*child) != omit => self.render(*child, omit, inclusive, rendered, out),
                Content::Element(_) => {}
                Content::Pi(pi) => {
                    out.push_str("<?");
                    out.push_str(pi);
                    out.push_str("?>");
                }
            }
        }
        rendered.truncate(depth);
        out.push_str("</");
        out.push_str(&qname(&element.prefix, &element.local));
        out.push('>');
    }
}

fn push_element(
    elements: &mut Vec<Element>,
    open: &[usize],
    start: &BytesStart<'_>,
    position: usize,
    self_closing: bool,
) -> Result<usize, Error> {
    let bad = |why: String| Error::Signing(format!("the document to sign is not well-formed XML: {why}"));
    let (prefix, local) = split_qname(&String::from_utf8_lossy(start.name().as_ref()));
    let mut attrs = Vec::new();
    let mut ns_decls = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| bad(e.to_string()))?;
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| bad(e.to_string()))?
            .into_owned();
        let (attr_prefix, attr_local) = split_qname(&String::from_utf8_lossy(attr.key.as_ref()));
        match (attr_prefix.as_str(), attr_local.as_str()) {
            ("", "xmlns") => ns_decls.push((String::new(), value)),
            ("xmlns", declared) => ns_decls.push((declared.to_owned(), value)),
            _ => attrs.push(Attribute {
                prefix: attr_prefix,
                local: attr_local,
                value,
            }),
        }
    }
    let index = elements.len();
    let parent = open.last().copied();
    elements.push(Element {
        prefix,
        local,
        attrs,
        ns_decls,
        parent,
        content: Vec::new(),
        inner: position..position,
        self_closing,
    });
    if let Some(parent) = parent {
        elements[parent].content.push(Content::Element(index));
    }
    Ok(index)
}

fn push_text(elements: &mut [Element], open: &[usize], text: &str) {
    let Some(&parent) = open.last() else {
        return; // white space around the root element
    };
    match elements[parent].content.last_mut() {
        Some(Content::Text(previous)) => previous.push_str(text),
        _ => elements[parent].content.push(Content::Text(text.to_owned())),
    }
}

fn split_qname(name: &str) -> (String, String) {
    match name.split_once(':') {
        Some((prefix, local)) => (prefix.to_owned(), local.to_owned()),
        None => (String::new(), name.to_owned()),
    }
}

/// Text nodes: `&`, `<`, `>` and CR as references (Canonical XML 1.0, 2.3).
fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Attribute values: `&`, `<`, `"`, TAB, LF and CR as references (Canonical XML 1.0, 2.3).
fn escape_attribute(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n(xml: &str, apex: usize, inclusive: &[&str]) -> String {
        Tree::parse(xml).unwrap().exclusive_c14n(apex, None, inclusive)
    }

    // The examples of Exclusive XML Canonicalization 1.0, section 2.2, and of Canonical XML 1.0,
    // section 3 (the parts exclusive c14n shares with it).
    #[test]
    fn renders_only_the_namespaces_an_element_uses() {
        let xml = r#"<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n0:local>"#;
        assert_eq!(
            c14n(xml, 1, &[]),
            r#"<n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>"#
        );
        assert_eq!(
            c14n(xml, 1, &["n3"]),
            r#"<n1:elem2 xmlns:n1="http://example.net" xmlns:n3="ftp://example.org" xml:lang="en"><n3:stuff></n3:stuff></n1:elem2>"#
        );
    }

    #[test]
    fn normalises_text_attributes_and_order() {
        let xml = "<doc xmlns=\"urn:d\" xmlns:b=\"urn:b\" xmlns:a=\"urn:a\">\r\n<e b:x=\"1\" a:x=\"2\" z=\"&#9;t\n\" y='\"'>a&amp;&lt;&gt;&#13;<![CDATA[<c>]]><!-- c --><?pi data?></e><f xmlns=\"\"/></doc>";
        assert_eq!(
            c14n(xml, 0, &[]),
            concat!(
                "<doc xmlns=\"urn:d\">\n",
                "<e xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" y=\"&quot;\" z=\"&#x9;t \" a:x=\"2\" b:x=\"1\">",
                "a&amp;&lt;&gt;&#xD;&lt;c&gt;<?pi data?></e><f xmlns=\"\"></f></doc>",
            )
        );
    }

    #[test]
    fn an_apex_without_a_default_namespace_needs_no_undeclaration() {
        let xml = r#"<a xmlns="urn:a"><b xmlns=""><c/></b></a>"#;
        assert_eq!(c14n(xml, 1, &[]), "<b><c></c></b>");
        assert_eq!(c14n(xml, 0, &[]), r#"<a xmlns="urn:a"><b xmlns=""><c></c></b></a>"#);
    }

    #[test]
    fn omits_the_enveloped_subtree_and_records_content_ranges() {
        let xml = "<r><s>x</s><t>y</t></r>";
        let tree = Tree::parse(xml).unwrap();
        assert_eq!(tree.exclusive_c14n(0, Some(1), &[]), "<r><t>y</t></r>");
        assert_eq!(&xml[tree.elements[2].inner.clone()], "y");
    }

    #[test]
    fn refuses_what_is_not_well_formed() {
        for xml in ["<a>", "<a></b>", "<!DOCTYPE a><a/>", "<a/><b/>", "<a>&nbsp;</a>"] {
            assert!(Tree::parse(xml).is_err(), "{xml}");
        }
    }
}
