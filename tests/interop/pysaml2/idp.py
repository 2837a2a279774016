"""pysaml2 as a SAML 2.0 identity provider, for the gateway's interoperability tests.

Run by crates/access/tests/interop_pysaml2.rs with the interpreter of a virtual environment
holding requirements.txt. pysaml2 signs through xmlsec_backend.py, a pysaml2 crypto backend on
python-xmlsec (whose wheels bundle libxmlsec1): no xmlsec1 command line is needed.
The IdP's RSA key and self-signed certificate are made by the test, as DIR/key.pem and
DIR/cert.pem.

    idp.py metadata --dir DIR --entity-id E --sso-url URL [--want-signed-requests]
        writes DIR/idp-metadata.xml, the IdP metadata pysaml2 publishes for that key (with
        WantAuthnRequestsSigned="true" when asked)

    idp.py response --dir DIR --entity-id E --sso-url URL --sp-entity-id SP --acs ACS
                    --name-id N [--attribute NAME=VALUE ...] [--sign response|assertion|both]
                    [--algorithm default|sha256] [--authn-request QUERY]
                    [--want-signed-requests] [--sp-metadata FILE]
        prints the base64 SAMLResponse of the HTTP-POST binding: IdP-initiated, or an answer to
        the AuthnRequest in QUERY, the query of an HTTP-Redirect binding URL (SAMLRequest, and
        SigAlg and Signature when signed), parsed and checked by pysaml2 against the SP metadata
        it is given: a minimal one, or the SP's own (--sp-metadata). With --want-signed-requests
        pysaml2 verifies the request's signature with the certificate of the SP metadata and
        refuses an unsigned request.

`--algorithm default` keeps pysaml2's own defaults (rsa-sha1 signatures, sha1 digests);
`sha256` sets rsa-sha256 and sha256 explicitly.
"""

import argparse
import base64
import os
import sys
from urllib.parse import parse_qs
from xml.sax.saxutils import quoteattr

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_UNSPECIFIED
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

import xmlsec_backend


def sp_metadata(path, entity_id, acs):
    """A minimal SP metadata document, so pysaml2 knows the service provider."""
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f"entityID={quoteattr(entity_id)}>"
        '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:AssertionConsumerService index="0" isDefault="true" '
        f'Binding="{BINDING_HTTP_POST}" Location={quoteattr(acs)}/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>\n"
    )
    with open(path, "w", encoding="utf-8") as f:
        f.write(xml)


def config(args, metadata_files):
    key = os.path.join(args.dir, "key.pem")
    cert = os.path.join(args.dir, "cert.pem")
    for path in (key, cert):
        if not os.path.isfile(path):
            sys.exit(f"{path} is missing: the test writes the IdP's key and certificate there")
    return IdPConfig().load(
        {
            "entityid": args.entity_id,
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [
                            (args.sso_url, BINDING_HTTP_REDIRECT),
                            (args.sso_url, BINDING_HTTP_POST),
                        ]
                    },
                    "name_id_format": [NAMEID_FORMAT_UNSPECIFIED],
                    "want_authn_requests_signed": args.want_signed_requests,
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 15},
                            "attribute_restrictions": None,
                        }
                    },
                }
            },
            "key_file": key,
            "cert_file": cert,
            "crypto_backend": xmlsec_backend.CRYPTO_BACKEND,
            "metadata": {"local": metadata_files},
            "allow_unknown_attributes": True,
        }
    )


def write_metadata(args):
    text = create_metadata_string(None, config=config(args, []), sign=False)
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    with open(os.path.join(args.dir, "idp-metadata.xml"), "w", encoding="utf-8") as f:
        f.write(text)


def response(args):
    sp_file = args.sp_metadata
    if not sp_file:
        sp_file = os.path.join(args.dir, "sp-metadata.xml")
        sp_metadata(sp_file, args.sp_entity_id, args.acs)
    idp = Server(config=config(args, [sp_file]))

    if args.authn_request:
        query = {name: values[0] for name, values in parse_qs(args.authn_request).items()}
        if "SAMLRequest" not in query:
            sys.exit("--authn-request has no SAMLRequest parameter")
        request = idp.parse_authn_request(
            query["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        answer = idp.response_args(request.message, [BINDING_HTTP_POST])
        if answer["sp_entity_id"] != args.sp_entity_id or answer["destination"] != args.acs:
            sys.exit(
                f"the AuthnRequest names SP {answer['sp_entity_id']!r} and ACS "
                f"{answer['destination']!r}, not {args.sp_entity_id!r} and {args.acs!r}"
            )
        in_response_to = answer["in_response_to"]
    else:
        in_response_to = None

    identity = {}
    for pair in args.attribute:
        name, sep, value = pair.partition("=")
        if not sep:
            sys.exit(f"--attribute {pair!r} is not NAME=VALUE")
        identity.setdefault(name, []).append(value)

    algorithms = {}
    if args.algorithm == "sha256":
        algorithms = {"sign_alg": SIG_RSA_SHA256, "digest_alg": DIGEST_SHA256}

    authn_response = idp.create_authn_response(
        identity,
        in_response_to,
        args.acs,
        args.sp_entity_id,
        name_id=saml.NameID(format=NAMEID_FORMAT_UNSPECIFIED, text=args.name_id),
        authn={"class_ref": saml.AUTHN_PASSWORD_PROTECTED},
        sign_response=args.sign in ("response", "both"),
        sign_assertion=args.sign in ("assertion", "both"),
        **algorithms,
    )
    xml = str(authn_response)
    if args.print_xml:
        print(xml)
    else:
        print(base64.b64encode(xml.encode("utf-8")).decode("ascii"))


def main():
    xmlsec_backend.install()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["metadata", "response"])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--entity-id", required=True)
    parser.add_argument("--sso-url", required=True)
    parser.add_argument("--sp-entity-id")
    parser.add_argument("--acs")
    parser.add_argument("--name-id")
    parser.add_argument("--attribute", action="append", default=[])
    parser.add_argument("--sign", choices=["response", "assertion", "both"], default="both")
    parser.add_argument("--algorithm", choices=["default", "sha256"], default="sha256")
    parser.add_argument("--authn-request", help="the query of the HTTP-Redirect binding URL")
    parser.add_argument("--want-signed-requests", action="store_true")
    parser.add_argument("--sp-metadata", help="the SP's own metadata file, instead of a minimal one")
    parser.add_argument("--print-xml", action="store_true", help="print the XML instead of base64")
    args = parser.parse_args()
    if args.command == "metadata":
        write_metadata(args)
    else:
        for required in ("sp_entity_id", "acs", "name_id"):
            if getattr(args, required) is None:
                parser.error(f"response needs --{required.replace('_', '-')}")
        response(args)


if __name__ == "__main__":
    main()
