"""The python-xmlsec crypto backend and verify.py, with pysaml2 on both sides.

Run with the interpreter of the virtual environment holding requirements.txt, from this folder:
`python -m unittest -v` (crates/testkit/tests/xmlsec_py.rs does, under cargo test).
"""

import datetime
import os
import subprocess
import sys
import tempfile
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml, samlp
from saml2.config import IdPConfig, SPConfig
from saml2.saml import NAMEID_FORMAT_UNSPECIFIED
from saml2.server import Server
from saml2.sigver import DecryptError, SignatureError, get_pem_wrapped_unwrapped
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256

import xmlsec_backend
from xmlsec1_steps import SAML_ASSERTION, SAML_RESPONSE

HERE = os.path.dirname(os.path.abspath(__file__))
IDP = "https://idp.test/idp"
SP = "https://sp.test/sp"
ACS = "https://sp.test/acs"


def write_key_pair(directory, name):
    """An RSA key and a self-signed certificate, as DIRECTORY/NAME-key.pem and NAME-cert.pem."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_file = os.path.join(directory, f"{name}-key.pem")
    cert_file = os.path.join(directory, f"{name}-cert.pem")
    with open(key_file, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    with open(cert_file, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


class Fixture(unittest.TestCase):
    """A pysaml2 IdP on this backend, an SP's security context, and a stranger's key."""

    @classmethod
    def setUpClass(cls):
        xmlsec_backend.install()
        cls.dir = tempfile.TemporaryDirectory()
        d = cls.dir.name
        cls.idp_key, cls.idp_cert = write_key_pair(d, "idp")
        cls.sp_key, cls.sp_cert = write_key_pair(d, "sp")
        cls.other_key, cls.other_cert = write_key_pair(d, "other")
        sp_metadata = os.path.join(d, "sp.xml")
        with open(sp_metadata, "w", encoding="utf-8") as f:
            f.write(
                '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
                f'entityID="{SP}"><md:SPSSODescriptor '
                'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
                f'<md:AssertionConsumerService index="0" Binding="{BINDING_HTTP_POST}" Location="{ACS}"/>'
                "</md:SPSSODescriptor></md:EntityDescriptor>"
            )
        cls.idp = Server(
            config=IdPConfig().load(
                {
                    "entityid": IDP,
                    "service": {
                        "idp": {
                            "endpoints": {"single_sign_on_service": [(IDP + "/sso", BINDING_HTTP_REDIRECT)]},
                            "name_id_format": [NAMEID_FORMAT_UNSPECIFIED],
                            "policy": {"default": {"lifetime": {"minutes": 15}, "attribute_restrictions": None}},
                        }
                    },
                    "key_file": cls.idp_key,
                    "cert_file": cls.idp_cert,
                    "crypto_backend": xmlsec_backend.CRYPTO_BACKEND,
                    "metadata": {"local": [sp_metadata]},
                    "allow_unknown_attributes": True,
                }
            )
        )
        # The SP's side: decrypts with its own key (pysaml2's SecurityContext.decrypt_keys).
        cls.sp_security = xmlsec_backend.security_context(
            SPConfig().load(
                {
                    "entityid": SP,
                    "key_file": cls.sp_key,
                    "cert_file": cls.sp_cert,
                    "crypto_backend": xmlsec_backend.CRYPTO_BACKEND,
                    "service": {"sp": {"endpoints": {"assertion_consumer_service": [(ACS, BINDING_HTTP_POST)]}}},
                }
            )
        )

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def respond(self, **kwargs):
        return str(
            self.idp.create_authn_response(
                {"username": ["alice"]},
                None,
                ACS,
                SP,
                name_id=saml.NameID(format=NAMEID_FORMAT_UNSPECIFIED, text="alice"),
                authn={"class_ref": saml.AUTHN_PASSWORD_PROTECTED},
                **kwargs,
            )
        )

    def verify(self, xml, node_name, node_id, cert=None):
        return self.idp.sec.verify_signature(xml, cert or self.idp_cert, node_name=node_name, node_id=node_id)


class BackendTest(Fixture):
    def test_the_server_signs_with_this_backend(self):
        self.assertIsInstance(self.idp.sec.crypto, xmlsec_backend.CryptoBackendPythonXmlsec)

    def test_pysaml2_defaults_stay_sha1_and_sha256_is_used_when_asked(self):
        for algorithms, (sign_alg, digest_alg) in (
            ({}, (SIG_RSA_SHA1, DIGEST_SHA1)),
            ({"sign_alg": SIG_RSA_SHA256, "digest_alg": DIGEST_SHA256}, (SIG_RSA_SHA256, DIGEST_SHA256)),
        ):
            xml = self.respond(sign_response=True, sign_assertion=True, **algorithms)
            self.assertEqual(xml.count(f'Algorithm="{sign_alg}"'), 2, xml)
            self.assertEqual(xml.count(f'Algorithm="{digest_alg}"'), 2, xml)

    def test_response_assertion_and_both_verify_and_tampering_does_not(self):
        for sign_response, sign_assertion in ((True, False), (False, True), (True, True)):
            xml = self.respond(sign_response=sign_response, sign_assertion=sign_assertion)
            response = samlp.response_from_string(xml)
            signed = []
            if sign_response:
                signed.append((SAML_RESPONSE, response.id))
            if sign_assertion:
                signed.append((SAML_ASSERTION, response.assertion[0].id))
            self.assertEqual(xml.count("SignatureValue>"), 2 * len(signed), xml)
            for node_name, node_id in signed:
                self.assertTrue(self.verify(xml, node_name, node_id))
                with self.assertRaises(SignatureError):
                    self.verify(xml.replace(">alice<", ">admin<"), node_name, node_id)
                with self.assertRaises(SignatureError):
                    self.verify(xml, node_name, node_id, cert=self.other_cert)

    def test_an_encrypted_assertion_decrypts_with_the_sp_key_only(self):
        sp_cert = get_pem_wrapped_unwrapped(open(self.sp_cert, encoding="ascii").read())[0]
        xml = self.respond(
            sign_response=True, sign_assertion=True, encrypt_assertion=True, encrypt_cert_assertion=sp_cert
        )
        encrypted_part = xml.split("EncryptedAssertion", 1)[1]
        self.assertIn("CipherValue", encrypted_part)
        self.assertNotIn("alice", encrypted_part)
        response = samlp.response_from_string(xml)
        self.assertTrue(self.verify(xml, SAML_RESPONSE, response.id))

        decrypted = self.sp_security.decrypt_keys(xml, keys=[open(self.sp_key, encoding="ascii").read()])
        self.assertIn(">alice<", decrypted)
        assertion = etree.fromstring(decrypted.encode("utf-8")).find(f".//{{{saml.NAMESPACE}}}Assertion")
        self.assertTrue(self.verify(decrypted, SAML_ASSERTION, assertion.get("ID")))
        with self.assertRaises(DecryptError):
            self.sp_security.decrypt_keys(xml, keys=[open(self.other_key, encoding="ascii").read()])


class VerifyScriptTest(Fixture):
    def run_verify(self, xml, cert, *extra):
        doc = os.path.join(self.dir.name, "doc.xml")
        with open(doc, "w", encoding="utf-8") as f:
            f.write(xml)
        ids = ["--id-attr", "ID", SAML_RESPONSE, "--id-attr", "ID", SAML_ASSERTION]
        return subprocess.run(
            [sys.executable, os.path.join(HERE, "verify.py"), "--cert", cert, *ids, *extra, doc],
            capture_output=True,
            text=True,
            check=False,
        )

    def test_exit_codes_tell_verified_invalid_and_unchecked_apart(self):
        xml = self.respond(sign_response=True, sign_assertion=True)
        assertion_id = samlp.response_from_string(xml).assertion[0].id
        cases = [
            ((xml, self.idp_cert), 0, "OK:"),
            ((xml, self.idp_cert, "--node-id", assertion_id), 0, "OK:"),
            ((xml.replace(">alice<", ">admin<"), self.idp_cert), 1, "INVALID:"),
            ((xml.replace(">alice<", ">admin<"), self.idp_cert, "--node-id", assertion_id), 1, "INVALID:"),
            ((xml, self.other_cert), 1, "INVALID:"),
            ((xml, self.idp_cert, "--node-id", "no-such-id"), 2, "ERROR:"),
            ((xml, os.path.join(self.dir.name, "missing.pem")), 2, "ERROR:"),
        ]
        for args, code, prefix in cases:
            done = self.run_verify(*args)
            self.assertEqual((done.returncode, done.stdout[: len(prefix)]), (code, prefix), (args[1:], done))


if __name__ == "__main__":
    unittest.main()
