"""Webhook addresses: resolved once, every address checked, the checked one connected to.

Delivery goes to real servers on 127.0.0.1 (plain HTTP, or TLS with a certificate from a
test CA made here). Where a DNS answer has to change between two lookups, the resolver
(``socket.getaddrinfo``, the stdlib's DNS client) answers from a script for one test name.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from checkout_links.cli.main import cli
from checkout_links.core.errors import ValidationFailed
from checkout_links.core.merchants.store import new_webhook_secret
from checkout_links.testing import add_merchant, make_app, memory_redis
from checkout_links.testing.webhook_receiver import Receiver
from checkout_links.web.extensions import services
from checkout_links.worker import webhook_request as webhooks

_real_getaddrinfo = socket.getaddrinfo


class ScriptedDNS:
    """Answers lookups of one name from a list (the last answer repeats); counts them."""

    def __init__(self, name: str, answers: list[str]) -> None:
        self.name, self.answers, self.lookups = name, answers, 0

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != self.name:
            return _real_getaddrinfo(host, port, *args, **kwargs)
        answer = self.answers[min(self.lookups, len(self.answers) - 1)]
        self.lookups += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, int(port or 0)))]


def _deliver(url: str, *, allow_private: bool, verify: Any = True) -> webhooks.Attempt:
    client = webhooks.http_client(1.0, verify=verify)
    try:
        return webhooks.deliver(
            client,
            url,
            event_id="evt_pin",
            body=b'{"id":"evt_pin"}',
            secrets=[new_webhook_secret()],
            allow_private=allow_private,
        )
    finally:
        client.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as rec:
        yield rec


LOOPBACK_SPELLINGS = [
    "https://2130706433/hook",
    "https://0x7f000001/hook",
    "https://127.1/hook",
    "https://0177.0.0.1/hook",
    "https://localhost./hook",
    "https://LOCALHOST/hook",
    "https://10.1/hook",
]


@pytest.mark.parametrize("url", LOOPBACK_SPELLINGS)
def test_saving_refuses_every_spelling_of_a_private_address(url: str) -> None:
    """A webhook URL that spells loopback or a private address in a resolver's legacy forms
    (one number, hex, short dotted, octal, trailing dot) is refused when it is saved."""
    with pytest.raises(ValidationFailed, match="webhook URL"):
        webhooks.validate_webhook_url(url, allow_private=False)


def test_saving_refuses_a_name_that_resolves_to_loopback() -> None:
    """A host name whose addresses are private (this machine's own name resolves to
    127.0.0.1 through /etc/hosts) is refused by ``merchant set-webhook-url``; a name that
    does not resolve yet and a public address are accepted."""
    name = socket.gethostname()
    assert not webhooks._public(
        webhooks.ipaddress.ip_address(_real_getaddrinfo(name, 443)[0][4][0])
    )
    app = make_app(memory_redis())
    add_merchant(app)
    with app.app_context():
        svc = services()
    runner = CliRunner()
    refused = runner.invoke(
        cli, ["merchant", "set-webhook-url", "acme", f"https://{name}/h"], obj=svc
    )
    assert refused.exit_code == 2, refused.output
    assert "private" in refused.output
    with app.app_context():
        assert services().merchants.get("acme").webhook_url is None
    for fine in ("https://hooks.not-yet.invalid/h", "https://93.184.215.14/h"):
        accepted = runner.invoke(cli, ["merchant", "set-webhook-url", "acme", fine], obj=svc)
        assert accepted.exit_code == 0, accepted.output


def test_a_changed_dns_answer_cannot_move_the_request(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the name resolves to a public address at the check and to loopback afterwards
    (DNS rebinding), the attempt resolves once, goes to the checked address, and never opens
    a connection to the loopback receiver."""
    dns = ScriptedDNS("rebind.test", ["93.184.215.14", "127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    attempt = _deliver(f"https://rebind.test:{receiver.port}/hook", allow_private=False)
    assert not attempt.ok
    assert dns.lookups == 1
    assert receiver.connections == 0


def test_the_pinned_address_keeps_the_host_name(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With private targets allowed, a name resolving first to the receiver's address and then
    elsewhere is delivered to the first answer, with the name in the Host header."""
    dns = ScriptedDNS("hooks.test", ["127.0.0.1", "127.0.0.2"])
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    attempt = _deliver(f"http://hooks.test:{receiver.port}/hook", allow_private=True)
    assert attempt.ok, attempt
    (request,) = receiver.received()
    assert request.headers["host"] == f"hooks.test:{receiver.port}"
    assert dns.lookups == 1


def _tls_material(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for ``name`` and a client context trusting its CA."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = tmp_path / f"{name}.pem"
    pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(pem)
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return server, client


@pytest.mark.parametrize(("cert_name", "ok"), [("hooks.test", True), ("other.test", False)])
def test_tls_to_the_pinned_address_checks_the_host_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cert_name: str, ok: bool
) -> None:
    """An https attempt to the pinned address sends the host name as SNI and verifies the
    certificate against it: a certificate for the name verifies, one for another name fails."""
    server_ctx, client_ctx = _tls_material(tmp_path, cert_name)
    seen_sni: list[str | None] = []
    server_ctx.sni_callback = lambda _sock, sni, _ctx: seen_sni.append(sni)  # type: ignore[assignment,misc,return-value]
    monkeypatch.setattr(socket, "getaddrinfo", ScriptedDNS("hooks.test", ["127.0.0.1"]))
    with Receiver() as rec:
        rec._server.socket = server_ctx.wrap_socket(rec._server.socket, server_side=True)
        attempt = _deliver(
            f"https://hooks.test:{rec.port}/hook", allow_private=True, verify=client_ctx
        )
        assert attempt.ok is ok, attempt
        assert seen_sni[:1] == ["hooks.test"]
        if ok:
            (request,) = rec.received()
            assert request.headers["host"] == f"hooks.test:{rec.port}"
