"""The TLS proxy's certificate in the compose deployment: at its first start, when there is none,
a self-signed one for KEP_TLS_HOSTNAMES (`python -m handoff.tls_cert /certs/kep.pem`), written
as HAProxy reads it (the certificate, then its key) and readable by its owner only. It is
made on the machine that runs it and never committed.

Browsers warn about a self-signed certificate: it keeps the traffic encrypted on a test
installation, not more. An operator puts the real certificate and key (e.g. Let's Encrypt's)
in the same file; an existing file is always left as it is.
"""
from __future__ import annotations

import ipaddress
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALID_DAYS = 365


def _names(hostnames: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hostnames:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def ensure_certificate(path: Path, hostnames: list[str], now: datetime | None = None) -> bool:
    """Write a new self-signed certificate to `path` unless a file is there; whether it did."""
    if path.exists():
        return False
    if not hostnames:
        raise ValueError("at least one host name is needed")
    now = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0][:64]),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "KEP Connect (self-signed)")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(_names(hostnames)), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    partial.replace(path)  # whole or not at all: HAProxy never reads half a file
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m handoff.tls_cert PEM-FILE  (host names in KEP_TLS_HOSTNAMES, comma-separated)",
              file=sys.stderr)
        return 2
    hostnames = [h.strip() for h in os.environ.get("KEP_TLS_HOSTNAMES", "localhost").split(",") if h.strip()]
    path = Path(argv[0])
    if ensure_certificate(path, hostnames):
        print(f"made a self-signed certificate for {', '.join(hostnames)} in {path}: browsers will warn; "
              "put a real certificate and key in that file for production")
    else:
        print(f"{path} exists: left as it is")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
