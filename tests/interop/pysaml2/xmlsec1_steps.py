"""What the xmlsec1 program does around libxmlsec1, on python-xmlsec: parsing and writing the
document, `--id-attr`, `--node-id`, finding the Signature to process, and `--verify` with a
certificate. Shared by xmlsec_backend.py (pysaml2's crypto backend) and verify.py (the
independent signature check), so both behave as the xmlsec1 command line did.
"""

from lxml import etree
import xmlsec

SAML_RESPONSE = "urn:oasis:names:tc:SAML:2.0:protocol:Response"
SAML_ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"

#: The errors of a document or key that cannot be processed (a signature that does not verify
#: is xmlsec.VerificationError, a subclass of xmlsec.Error).
ERRORS = (xmlsec.Error, etree.XMLSyntaxError, etree.XPathError, OSError)


def parse(text):
    """The document (str, bytes or a pysaml2 element), parsed without entities or network."""
    if not isinstance(text, (str, bytes)):
        text = str(text)
    if isinstance(text, str):
        text = text.encode("utf-8")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=False)
    return etree.fromstring(text, parser).getroottree()


def serialize(tree):
    """The document as xmlsec1 writes it (libxml2's xmlDocDump of a document pysaml2 wrote, which
    declares no encoding): a bare XML declaration, the UTF-8 document and a newline."""
    return b'<?xml version="1.0"?>\n' + etree.tostring(tree, encoding="UTF-8", xml_declaration=False) + b"\n"


def register_ids(ctx, tree, attribute, node_name):
    """xmlsec1's `--id-attr:ATTR NAMESPACE:LOCALNAME`: registers ATTR of every such element as an
    XML ID, so a Reference URI="#id" finds it.

    As in xmlsec1, the namespace is all before the last colon; an element matches by local name
    and, when it has a namespace, by namespace; an element without the attribute or with an empty
    value is skipped, and a value already registered for another element is an error
    (xmlsec.Error "duplicated id").
    """
    namespace, _, local_name = node_name.rpartition(":")
    for element in tree.getroot().iter(etree.Element):
        name = etree.QName(element)
        if name.localname != local_name or (namespace and name.namespace and name.namespace != namespace):
            continue
        if element.get(attribute):
            ctx.register_id(element, attribute)


def start_node(tree, node_id):
    """xmlsec1's `--node-id`: the element whose registered ID is node_id, or the root without one."""
    if not node_id:
        return tree.getroot()
    # libxml2's XPath id() looks registered IDs up the way xmlsec1's xmlGetID does.
    found = tree.xpath("id($node_id)", node_id=node_id)
    if not found:
        raise xmlsec.Error(f"no element has the registered ID {node_id!r}")
    return found[0]


def find(start, name, namespace):
    """The first NAME element at or after start in document order, as xmlsec1 finds the node it
    signs, verifies or decrypts."""
    node = xmlsec.tree.find_node(start, name, namespace)
    if node is None:
        raise xmlsec.Error(f"no {{{namespace}}}{name} element at or under {start.tag}")
    return node


def verify(tree, cert_file, id_nodes, node_id=None, cert_format=xmlsec.constants.KeyDataFormatCertPem):
    """xmlsec1 --verify --enabled-reference-uris empty,same-doc --pubkey-cert-pem CERT
    --id-attr:ID NODE... [--node-id ID]: verifies the first Signature at or under the node_id
    element (the document's first without one) with the certificate's public key.

    The key is the certificate's, never one the document's KeyInfo offers, and references may
    only point into the document itself. Raises xmlsec.VerificationError when the signature does
    not verify and another of ERRORS when it cannot be checked.
    """
    ctx = xmlsec.SignatureContext()
    ctx.enabled_reference_uris = xmlsec.constants.TransformUriTypeEmpty | xmlsec.constants.TransformUriTypeSameDocument
    for node_name in id_nodes:
        register_ids(ctx, tree, "ID", node_name)
    signature = find(start_node(tree, node_id), "Signature", xmlsec.constants.DSigNs)
    ctx.key = xmlsec.Key.from_file(cert_file, cert_format)
    ctx.verify(signature)
