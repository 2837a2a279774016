"""A pysaml2 crypto backend on python-xmlsec, so pysaml2 needs no xmlsec1 command line.

pysaml2 7.5.5 ships two backends: "xmlsec1", which runs the xmlsec1 program for every signature,
and "XMLSecurity", which is pyXMLSecurity (another package that also calls itself `xmlsec`).
This module adds a third, `CryptoBackendPythonXmlsec`, on python-xmlsec: the bindings to the
same XML Security Library, whose manylinux wheels bundle libxmlsec1, libxml2 and OpenSSL. Each
method does what the xmlsec1 backend asks the program to do, with the same options:

    sign_statement      xmlsec1 --sign --privkey-pem KEY --id-attr:ID NODE [--node-id ID]
    validate_signature  xmlsec1 --verify --enabled-reference-uris empty,same-doc
                                --pubkey-cert-pem CERT --id-attr:ID NODE [--node-id ID]
    encrypt             xmlsec1 --encrypt --pubkey-cert-pem CERT --session-key TYPE
                                --xml-data DOC [--node-xpath XPATH] TEMPLATE
    encrypt_assertion   the same, on the Assertion pysaml2 moved into an EncryptedAssertion
    decrypt             xmlsec1 --decrypt --privkey-pem KEY --id-attr:Id EncryptedKey

so pysaml2's own choices stay as they are: the signature template it writes (its default rsa-sha1
and sha1 unless the caller asks for others), which elements it signs, and in which order.

pysaml2's configuration accepts only its own backend names, and every pysaml2 module that needs
one calls `saml2.sigver.security_context(config)`. `install()` puts a `security_context` in their
place that builds pysaml2's own SecurityContext around this backend when the configuration says
`"crypto_backend": CRYPTO_BACKEND`, and hands every other configuration to pysaml2's.
"""

import importlib

import xmlsec

from saml2 import SamlBase
from saml2 import sigver

import xmlsec1_steps as steps

#: The value of pysaml2's `crypto_backend` setting that selects this backend.
CRYPTO_BACKEND = "python-xmlsec"

_PYSAML2_SECURITY_CONTEXT = sigver.security_context
# The pysaml2 modules that import security_context by name.
_CALLERS = ("saml2.sigver", "saml2.entity", "saml2.metadata", "saml2.response", "saml2.mdstore")

# xmlsec1 --session-key: the key type's name and size in bits.
_SESSION_KEYS = {"des": xmlsec.constants.KeyDataDes, "aes": xmlsec.constants.KeyDataAes}
_CERT_FORMATS = {"pem": xmlsec.constants.KeyDataFormatCertPem, "der": xmlsec.constants.KeyDataFormatCertDer}


def _session_key(session_key_type):
    kind, _, bits = session_key_type.partition("-")
    if kind not in _SESSION_KEYS or not bits.isdigit():
        raise xmlsec.Error(f"unknown session key type {session_key_type!r}: use des-192 or aes-128/192/256")
    return xmlsec.Key.generate(_SESSION_KEYS[kind], int(bits), xmlsec.constants.KeyDataTypeSession)


def _template(template):
    """An encryption template: a file name (SecurityContext.template) or the XML itself.

    pysaml2's own template (template_enc.xml) has an empty <KeyName/> in its EncryptedKey. The
    xmlsec1 1.2 program skips it; libxmlsec1 1.3 refuses it ("invalid node content: KeyName").
    An empty KeyName names no key, so it is removed and the key is found as xmlsec1 1.2 finds it.
    """
    text = str(template)
    if text.lstrip().startswith("<"):
        root = steps.parse(text).getroot()
    else:
        with open(text, "rb") as f:
            root = steps.parse(f.read()).getroot()
    for key_name in list(root.iter(f"{{{xmlsec.constants.DSigNs}}}KeyName")):
        if not (key_name.text or "").strip() and len(key_name) == 0:
            key_name.getparent().remove(key_name)
    return root


class CryptoBackendPythonXmlsec(sigver.CryptoBackend):
    """pysaml2's CryptoBackend on python-xmlsec (see the module's documentation)."""

    @property
    def version(self):
        return ".".join(str(n) for n in xmlsec.get_libxmlsec_version())

    def sign_statement(self, statement, node_name, key_file, node_id):
        """Fills in the Signature template under the node_id element (or the document's first).

        :return: the signed document, as a str
        """
        try:
            tree = steps.parse(statement)
            ctx = xmlsec.SignatureContext()
            steps.register_ids(ctx, tree, "ID", node_name)
            signature = steps.find(steps.start_node(tree, node_id), "Signature", xmlsec.constants.DSigNs)
            ctx.key = xmlsec.Key.from_file(key_file, xmlsec.constants.KeyDataFormatPem)
            ctx.sign(signature)
        except steps.ERRORS as e:
            raise sigver.SignatureError(f"python-xmlsec could not sign {node_name} {node_id}: {e}") from e
        return steps.serialize(tree).decode("utf-8")

    def validate_signature(self, signedtext, cert_file, cert_type, node_name, node_id):
        """Verifies the first Signature under the node_id element with the certificate's key
        (xmlsec1_steps.verify).

        :return: True; an invalid signature raises SignatureError, as the xmlsec1 backend does
        """
        if cert_type not in _CERT_FORMATS:
            raise sigver.SignatureError(f"unknown certificate type {cert_type!r}: use pem or der")
        try:
            steps.verify(steps.parse(signedtext), cert_file, [node_name], node_id, _CERT_FORMATS[cert_type])
        except steps.ERRORS as e:
            raise sigver.SignatureError(f"the signature of {node_name} {node_id} does not verify: {e}") from e
        return True

    def encrypt(self, text, recv_key, template, session_key_type, xpath=""):
        """Encrypts the element xpath selects (the root without one) for the certificate recv_key.

        :return: the document with an EncryptedData in place of that element, as bytes
        """
        try:
            return steps.serialize(self._encrypt(steps.parse(text), recv_key, template, session_key_type, xpath))
        except steps.ERRORS as e:
            raise sigver.EncryptError(f"python-xmlsec could not encrypt: {e}") from e

    def encrypt_assertion(self, statement, enc_key, template, key_type="des-192", node_xpath=None, node_id=None):
        """Encrypts the Assertion of a Response whose Assertion sits in an EncryptedAssertion.

        :return: the Response with the EncryptedData in the EncryptedAssertion, as a str
        """
        if isinstance(statement, SamlBase):
            statement = sigver.pre_encrypt_assertion(statement)
        try:
            tree = steps.parse(statement)
            if node_id:
                ctx = xmlsec.SignatureContext()
                steps.register_ids(ctx, tree, "ID", steps.SAML_ASSERTION)
                node_xpath = tree.getpath(steps.start_node(tree, node_id))
            tree = self._encrypt(tree, enc_key, template, key_type, node_xpath or sigver.ASSERT_XPATH)
        except steps.ERRORS as e:
            raise sigver.EncryptError(f"python-xmlsec could not encrypt the assertion: {e}") from e
        return steps.serialize(tree).decode("utf-8")

    def _encrypt(self, tree, recv_key, template, session_key_type, xpath):
        if xpath:
            found = tree.xpath(xpath)
            if not found:
                raise xmlsec.Error(f"nothing in the document matches {xpath}")
            node = found[0]
        else:
            node = tree.getroot()
        manager = xmlsec.KeysManager()
        manager.add_key(xmlsec.Key.from_file(recv_key, xmlsec.constants.KeyDataFormatCertPem))
        ctx = xmlsec.EncryptionContext(manager)
        ctx.key = _session_key(session_key_type)
        encrypted = ctx.encrypt_xml(_template(template), node)
        return encrypted.getroottree()

    def decrypt(self, enctext, key_file):
        """Decrypts the document's first EncryptedData with the private key in key_file.

        :return: the document with the plaintext in place of the EncryptedData, as a str
        """
        try:
            tree = steps.parse(enctext)
            # An EncryptedKey outside the EncryptedData is found by its Id (a RetrievalMethod).
            steps.register_ids(xmlsec.SignatureContext(), tree, "Id", "EncryptedKey")
            encrypted = steps.find(tree.getroot(), "EncryptedData", xmlsec.constants.EncNs)
            manager = xmlsec.KeysManager()
            manager.add_key(xmlsec.Key.from_file(key_file, xmlsec.constants.KeyDataFormatPem))
            ctx = xmlsec.EncryptionContext(manager)
            decrypted = ctx.decrypt(encrypted)
        except steps.ERRORS as e:
            raise sigver.DecryptError(f"python-xmlsec could not decrypt: {e}") from e
        if isinstance(decrypted, bytes):
            # Encrypted content that is not an element: xmlsec1 prints the plaintext.
            return decrypted.decode("utf-8")
        return steps.serialize(decrypted.getroottree()).decode("utf-8")


def security_context(conf):
    """pysaml2's security_context, with this backend when conf.crypto_backend is CRYPTO_BACKEND."""
    if not conf or conf.crypto_backend != CRYPTO_BACKEND:
        return _PYSAML2_SECURITY_CONTEXT(conf)
    # What pysaml2 does for its xmlsec1 backend, less finding the program: keep an RSACrypto of
    # the signing key for the HTTP-Redirect binding's detached signatures.
    sec_backend = None
    key_file = conf.getattr("key_file", "")
    if key_file:
        sec_backend = sigver.RSACrypto(sigver.import_rsa_key_from_file(key_file))
    enc_key_files = [pair["key_file"] for pair in conf.encryption_keypairs or [] if "key_file" in pair]
    return sigver.SecurityContext(
        CryptoBackendPythonXmlsec(),
        conf.key_file,
        cert_file=conf.cert_file,
        metadata=getattr(conf, "metadata", None),
        only_use_keys_in_metadata=conf.only_use_keys_in_metadata,
        cert_handler_extra_class=conf.cert_handler_extra_class,
        generate_cert_info=conf.generate_cert_info,
        tmp_cert_file=conf.tmp_cert_file,
        tmp_key_file=conf.tmp_key_file,
        validate_certificate=conf.validate_certificate,
        enc_key_files=enc_key_files,
        encryption_keypairs=conf.encryption_keypairs,
        sec_backend=sec_backend,
        delete_tmpfiles=conf.delete_tmpfiles,
    )


def install():
    """Makes every pysaml2 module that builds a security context use ours (idempotent)."""
    for name in _CALLERS:
        module = importlib.import_module(name)
        if module.security_context is security_context:
            continue
        if module.security_context is not _PYSAML2_SECURITY_CONTEXT:
            raise RuntimeError(f"{name}.security_context is not pysaml2's: is this pysaml2 7.5.5?")
        module.security_context = security_context
