"""CHECKOUT_SMTP_URL and CHECKOUT_MAIL_FROM: parsed, checked, and the password kept secret."""

from __future__ import annotations

import pytest

from checkout_links.core.config import load_settings
from checkout_links.core.errors import ConfigError
from checkout_links.testing import SECRET_A

BASE = {"secret_keys": SECRET_A}
PASSWORD = "s3cr%t/p@ss"


@pytest.mark.parametrize(
    ("url", "security", "port"),
    [
        ("smtp://mail.example", "plain", 25),
        ("smtps://mail.example", "tls", 465),
        ("smtp+starttls://mail.example", "starttls", 587),
        ("smtp+starttls://mail.example:2525", "starttls", 2525),
    ],
)
def test_each_scheme_has_its_security_and_default_port(url: str, security: str, port: int) -> None:
    """smtp:// is plain on 25, smtps:// implicit TLS on 465, smtp+starttls:// STARTTLS on 587."""
    smtp = load_settings({**BASE, "smtp_url": url, "mail_from": "r@pay.example.com"}).smtp
    assert smtp is not None
    assert (smtp.security, smtp.host, smtp.port, smtp.username) == (
        security,
        "mail.example",
        port,
        None,
    )


def test_user_and_password_are_percent_decoded_and_never_shown() -> None:
    """The URL's user and password are percent-decoded; neither the settings' repr nor the
    parsed server's shows the password."""
    url = "smtp+starttls://shop%40ruiz.example:s3cr%25t%2Fp%40ss@mail.example"
    settings = load_settings({**BASE, "smtp_url": url, "mail_from": "r@pay.example.com"})
    smtp = settings.smtp
    assert smtp is not None
    assert smtp.password is not None
    assert smtp.username == "shop@ruiz.example"
    assert smtp.password.get_secret_value() == PASSWORD
    for shown in (repr(settings), str(settings), repr(smtp)):
        assert "s3cr" not in shown


@pytest.mark.parametrize(
    "url",
    [
        "http://user:hunter2hunter2@mail.example",
        "smtp://user:hunter2hunter2@",
        "smtp://user:hunter2hunter2@mail.example:99999",
        "smtp://user:hunter2hunter2@mail.example/path",
    ],
)
def test_a_bad_url_is_a_config_error_that_does_not_repeat_it(url: str) -> None:
    """A wrong scheme, no host, a bad port or a path stops start-up naming CHECKOUT_SMTP_URL,
    without the password in the message."""
    with pytest.raises(ConfigError) as caught:
        load_settings({**BASE, "smtp_url": url, "mail_from": "r@pay.example.com"})
    assert str(caught.value).startswith("CHECKOUT_SMTP_URL: ")
    assert "hunter2" not in str(caught.value)


def test_mail_from_is_required_with_an_smtp_url_and_checked() -> None:
    """CHECKOUT_SMTP_URL without CHECKOUT_MAIL_FROM, or with an invalid one, is a config error
    naming CHECKOUT_MAIL_FROM; without either, receipts are off."""
    with pytest.raises(ConfigError, match=r"^CHECKOUT_MAIL_FROM: required"):
        load_settings({**BASE, "smtp_url": "smtp://mail.example"})
    with pytest.raises(ConfigError, match=r"^CHECKOUT_MAIL_FROM: "):
        load_settings({**BASE, "smtp_url": "smtp://mail.example", "mail_from": "not an address"})
    assert load_settings(BASE).smtp is None
