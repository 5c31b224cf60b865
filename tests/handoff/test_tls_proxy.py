"""The compose deployment's TLS proxy: a self-signed certificate made at the first start (never
committed, never overwritten) and HAProxy's public frontend from handoff/balancer.py, run here
with the real haproxy in front of the service: HTTPS answers, plain HTTP is sent to HTTPS."""
from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import stat
import subprocess
from datetime import UTC, datetime

import aiohttp
import pytest
from cryptography import x509

from handoff.balancer import Tls, local_config
from handoff.config import PROJECT_ROOT
from handoff.redis_server import free_port
from handoff.tls_cert import ensure_certificate


def test_the_certificate_is_made_once_private_and_for_the_names_given(tmp_path):
    pem = tmp_path / "certs" / "kep.pem"
    assert ensure_certificate(pem, ["kep.example.gr", "192.0.2.10"])
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    made = pem.read_bytes()
    assert b"BEGIN CERTIFICATE" in made and b"BEGIN PRIVATE KEY" in made  # what HAProxy reads: both in one file
    certificate = x509.load_pem_x509_certificate(made)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["kep.example.gr"]
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["192.0.2.10"]
    assert certificate.not_valid_after_utc > datetime.now(UTC)
    # A second start (or an operator's real certificate in its place) leaves the file alone.
    assert not ensure_certificate(pem, ["other.example.gr"])
    assert pem.read_bytes() == made


def test_no_certificate_or_key_is_committed():
    tracked = subprocess.run(["git", "ls-files", "*.pem", "*.key", "*.crt"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, check=True).stdout
    assert tracked == ""


async def wait_for_port(port: int) -> None:
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture
async def proxy(client, tmp_path):
    """HAProxy with the compose file's public frontend, in front of the service (`client`)."""
    if not shutil.which("haproxy"):
        pytest.fail("the test needs haproxy (apt-get install haproxy, as .ci/run does)")
    pem = tmp_path / "kep.pem"
    ensure_certificate(pem, ["localhost", "127.0.0.1"])
    tls = Tls(free_port(), free_port(), str(pem))
    config = tmp_path / "haproxy.cfg"
    config.write_text(local_config(free_port(), [client.server.port], tls))
    process = subprocess.Popen(["haproxy", "-f", str(config), "-db"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        await wait_for_port(tls.port)
        yield tls, pem
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_https_through_the_proxy_and_plain_http_sent_there(proxy):
    tls, pem = proxy
    trusting = ssl.create_default_context(cafile=str(pem))
    async with aiohttp.ClientSession() as http:
        for _ in range(40):  # until HAProxy's health check has seen the service
            async with http.get(f"https://127.0.0.1:{tls.port}/healthz", ssl=trusting, server_hostname="localhost") as resp:
                status, body = resp.status, await resp.read()
            if status == 200:
                break
            await asyncio.sleep(0.1)
        assert status == 200 and json.loads(body)["status"] == "ok", body
        # Without the certificate trusted, the connection is refused: it really is TLS, self-signed.
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await http.get(f"https://127.0.0.1:{tls.port}/healthz", server_hostname="localhost")
        async with http.get(f"http://127.0.0.1:{tls.http_port}/api/topics", allow_redirects=False) as plain:
            assert plain.status == 301 and plain.headers["Location"].startswith("https://")
