"""DKIM (`delivery.dkim`): each reader's message is signed where its bytes are final, over SMTP (a real
aiosmtpd), a mail command, the outbox and SES's raw messages, and the signature verifies with dkimpy
against the public key, the DNS answered locally (its `dnsfunc`). Oversigned headers make an added one
fail; a bad key file is a config error naming the key."""
from __future__ import annotations

import base64
import email
import email.policy
import re
import shutil
import subprocess
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from mailserver import MailServer
from test_providers import Call, api, api_project, json_answer, ses_credentials  # noqa: F401 - api: the loopback API fixture
from test_readers import SECRET, smtp_readers
from test_send import DAY1, Project, command_project

from digest.delivery.dkim import SIGNED

SETTINGS = "  dkim: {domain: example.com, selector: s1, private_key_file: dkim.key}\n"


@pytest.fixture(autouse=True)
def unsubscribe_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_SECRET", SECRET)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def with_key(project: Project, key: rsa.RSAPrivateKey, form: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8) -> Project:
    """The project's delivery section gains delivery.dkim, with the key written beside the config."""
    (project.root / "dkim.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption()))
    text = project.config.read_text()
    project.config.write_text(re.sub(r"(?m)^delivery:\n", "delivery:\n" + SETTINGS, text, count=1))
    return project


def dns_for(key: rsa.RSAPrivateKey):
    """dkimpy's `dnsfunc`: the TXT record a domain would publish at s1._domainkey.example.com, and nothing else."""
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    asked: list[bytes] = []

    def txt(name: bytes, timeout: int = 5) -> bytes | None:
        asked.append(name)
        return record if name.rstrip(b".") == b"s1._domainkey.example.com" else None

    txt.asked = asked  # type: ignore[attr-defined]
    return txt


def signed_headers(message: bytes) -> list[str]:
    parsed = email.message_from_bytes(message, policy=email.policy.compat32)
    fields = dict(part.strip().split("=", 1) for part in re.sub(r"\s+", "", parsed["DKIM-Signature"]).split(";") if part)
    assert (fields["d"], fields["s"], fields["c"], fields["a"]) == ("example.com", "s1", "relaxed/relaxed", "rsa-sha256")
    return fields["h"].lower().split(":")


def assert_signed(message: bytes, key: rsa.RSAPrivateKey, *, edition: bool = True) -> None:
    """The signature verifies and oversigns every listed header; an edition's also covers its one-click header."""
    dns = dns_for(key)
    assert dkim.verify(message, dnsfunc=dns)
    assert dns.asked and all(name.rstrip(b".") == b"s1._domainkey.example.com" for name in dns.asked)
    h = signed_headers(message)
    parsed = email.message_from_bytes(message, policy=email.policy.compat32)
    for name in SIGNED:  # every one, once more than the message has it
        assert h.count(name.lower()) == len(parsed.get_all(name) or []) + 1, name
    if edition:
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and h.count("list-unsubscribe-post") == 2


def test_each_readers_message_over_smtp_verifies_and_a_change_or_an_added_header_breaks_it(
        tmp_path: Path, mail_server: MailServer, key: rsa.RSAPrivateKey) -> None:
    project = with_key(smtp_readers(tmp_path, mail_server), key, serialization.PrivateFormat.TraditionalOpenSSL)
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    assert len(mail_server.received) == 3
    for got in mail_server.received:
        assert_signed(got.data, key)
    data = mail_server.received[0].data
    dns = dns_for(key)
    head, body = data.split(b"\r\n\r\n", 1)
    assert not dkim.verify(re.sub(rb"/unsubscribe/[a-z2-7]+>", b"/unsubscribe/aaaaaaaaaaaaaaaaaaaaaaaa>", data), dnsfunc=dns)
    assert not dkim.verify(head + b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\n" + body, dnsfunc=dns)
    assert not dkim.verify(head + b"\r\nFrom: Someone Else <ceo@example.com>\r\n\r\n" + body, dnsfunc=dns)
    assert not dkim.verify(head + b"\r\n\r\n" + body.replace(b"e", b"E", 1), dnsfunc=dns)
    assert b"\r\nSubject: " in head
    assert dkim.verify(data.replace(b"\r\nSubject: ", b"\r\nSubject:   ", 1), dnsfunc=dns)  # relaxed: a relay's whitespace does not matter


def test_the_command_and_the_outbox_get_signed_messages_too(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    project, mailbox = command_project(tmp_path / "command")
    with_key(project, key)
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    (piped,) = list((mailbox / "new").iterdir())
    assert_signed(piped.read_bytes(), key)
    outbox = with_key(Project(_folder(tmp_path / "outbox"), "  method: outbox\n  outbox: outbox"), key)
    assert outbox.digest("send", "--date", str(DAY1)).exit_code == 0
    (written,) = list((tmp_path / "outbox" / "outbox").glob("*.eml"))
    assert_signed(written.read_bytes(), key)


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def test_ses_raw_messages_are_signed(tmp_path: Path, api,  # noqa: F811
                                      monkeypatch: pytest.MonkeyPatch, key: rsa.RSAPrivateKey) -> None:
    ses_credentials(monkeypatch)
    raws: list[bytes] = []

    def answer(call: Call):
        raws.append(base64.b64decode(call.json()["Content"]["Raw"]["Data"]))
        return json_answer(200, {"MessageId": f"ses-{len(raws)}"})

    project = with_key(api_project(tmp_path, "ses", api(answer).url), key)
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    assert len(raws) == 3
    for raw in raws:
        assert_signed(raw, key)


@pytest.mark.parametrize(("content", "said"), [
    (None, "cannot be read"),
    (b"not a key at all\n", "is not an RSA private key"),
    (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "is not an RSA private key"),
    ("short", "is a 512-bit key"),
])
def test_a_bad_key_file_is_a_config_error_naming_the_key(tmp_path: Path, content: bytes | str | None, said: str,
                                                         key: rsa.RSAPrivateKey) -> None:
    project = with_key(Project(tmp_path, "  method: outbox"), key)
    if content is None:
        (tmp_path / "dkim.key").unlink()
    elif content == "short":  # cryptography makes no key under 1024 bits; openssl still does
        if not shutil.which("openssl"):
            pytest.skip("no openssl command to make a short key")
        subprocess.run(["openssl", "genrsa", "-out", str(tmp_path / "dkim.key"), "512"], check=True, capture_output=True)
    else:
        assert isinstance(content, bytes)
        (tmp_path / "dkim.key").write_bytes(content)
    project.config.write_text(project.config.read_text() + 'serve: {base_url: "https://example.com/newsletter"}\n')
    for command, status in (("send", 2), ("serve", 2), ("check", 0)):  # check reports what send would refuse
        result = project.digest(command)
        assert result.exit_code == status, command
        assert "delivery.dkim.private_key_file" in result.stderr and str(tmp_path / "dkim.key") in result.stderr and said in result.stderr
        assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("outbox/*.eml"))


def test_check_warns_of_a_key_that_cannot_help(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    project = with_key(Project(tmp_path, "  method: outbox"), key)
    assert "delivery.dkim" not in project.digest("check").stderr  # example.com signs for daily@example.com
    project.config.write_text(project.config.read_text().replace("domain: example.com", "domain: mailer.example.net"))
    assert "delivery.dkim.domain: is mailer.example.net, From at example.com: DMARC's DKIM alignment fails" in project.digest("check").stderr
    project.config.write_text(project.config.read_text().replace("  method: outbox", "  method: api\n  api: {provider: postmark}"))
    assert "delivery.dkim: does nothing with postmark" in project.digest("check").stderr
