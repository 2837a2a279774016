"""An independent check of an XML signature, as `xmlsec1 --verify` does it, on python-xmlsec.

Run by studio-fed-testkit's `xmlsec_py` module (crates/testkit/src/xmlsec_py.rs) with the
interpreter of the virtual environment holding requirements.txt, to cross-check the signatures
of the test SAML IdP with the XML Security Library rather than with studio-fed's own code.

    verify.py --cert CERT.pem [--id-attr ATTR NODE ...] [--node-id ID] DOC

verifies the first Signature at or under the element whose registered ID is ID (the
document's first Signature without --node-id) with the public key of the certificate CERT.pem,
never with a key the document's KeyInfo carries. `--id-attr ID
urn:oasis:names:tc:SAML:2.0:protocol:Response` registers the ID attribute of every such element,
as xmlsec1's `--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response` does; references may
only point into the document.

Prints one line and exits with:
    0   "OK: ..."        the signature verifies
    1   "INVALID: ..."   the signature does not verify (a digest or the signature value differs)
    2   "ERROR: ..."     it cannot be checked (unreadable files, no such node or Signature,
                         duplicated IDs, an unresolvable reference, a bad certificate)
"""

import argparse
import sys

import xmlsec

import xmlsec1_steps as steps

VERIFIED, INVALID, ERROR = 0, 1, 2


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cert", required=True, help="the signer's certificate, PEM")
    parser.add_argument(
        "--id-attr",
        nargs=2,
        action="append",
        default=[],
        metavar=("ATTR", "NODE"),
        help="register ATTR of every NODE (NAMESPACE:LOCALNAME) element as an XML ID",
    )
    parser.add_argument("--node-id", help="verify the Signature under the element with this ID")
    parser.add_argument("doc", help="the signed XML document")
    args = parser.parse_args()
    if any(attr != "ID" for attr, _ in args.id_attr):
        parser.error("--id-attr: only the SAML attribute ID is supported")
    where = f"under {args.node_id}" if args.node_id else "first in the document"
    try:
        with open(args.doc, "rb") as f:
            tree = steps.parse(f.read())
        steps.verify(tree, args.cert, [node for _, node in args.id_attr], args.node_id)
    except xmlsec.VerificationError as e:
        print(f"INVALID: the Signature {where} does not verify with {args.cert}: {e}")
        return INVALID
    except steps.ERRORS as e:
        print(f"ERROR: cannot check the Signature {where}: {e}")
        return ERROR
    print(f"OK: the Signature {where} verifies with {args.cert}")
    return VERIFIED


if __name__ == "__main__":
    sys.exit(main())
