"""The email services' webhooks against a real `digest serve`: valid requests record, forged ones get
401/403 and record nothing. Keys and certificates are made here with `cryptography`; SNS's signing
certificate is served over HTTPS by a local server the serve process trusts through SSL_CERT_FILE."""
from __future__ import annotations

import base64
import json
import socket
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from mailserver import free_port, server_context
from pytest_httpserver import HTTPServer
from served import Served, start, write_config

pytestmark = pytest.mark.slow

TOPIC = "arn:aws:sns:eu-west-1:123456789012:digest-bounces"
USER, PASSWORD = "postmark-hook", "correct horse battery staple"


def signing_certificate(key: rsa.RSAPrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def keys() -> dict:
    return {"sendgrid": ec.generate_private_key(ec.SECP256R1()), "sendgrid-other": ec.generate_private_key(ec.SECP256R1()),
            "sns": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "sns-other": rsa.generate_private_key(public_exponent=65537, key_size=2048)}


@pytest.fixture(scope="module")
def sns_host(certificate, keys) -> HTTPServer:
    """An HTTPS stand-in for sns.<region>.amazonaws.com: the signing certificate, and the subscribe URL."""
    server = HTTPServer(host="127.0.0.1", port=free_port(), ssl_context=server_context(certificate))
    server.expect_request("/SimpleNotificationService-test.pem").respond_with_data(signing_certificate(keys["sns"]))
    server.expect_request("/other.pem").respond_with_data(signing_certificate(keys["sns-other"]))
    server.expect_request("/confirm-subscription").respond_with_data("<ConfirmSubscriptionResponse/>")
    server.start()
    yield server
    server.clear_log()
    server.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory, keys, sns_host, certificate) -> Served:
    folder = tmp_path_factory.mktemp("hooks")
    port = free_port()
    public = keys["sendgrid"].public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    hooks = {"postmark": {"username_env": "PM_USER", "password_env": "PM_PASS"}, "sendgrid": {"public_key_env": "SG_KEY"},
             "ses": {"topic_arns": [TOPIC], "certificate_hosts": [rf"127\.0\.0\.1:{sns_host.port}"]}}
    env = {"PM_USER": USER, "PM_PASS": PASSWORD, "SG_KEY": base64.b64encode(public).decode(), "SSL_CERT_FILE": str(certificate[0])}
    server = start(folder, write_config(folder, port, free_port(), {"webhooks": hooks}), port, env)
    yield server
    server.stop()


def suppressed(served: Served) -> frozenset[str]:
    return frozenset(served.suppressions())


def reasons(served: Served, *addresses: str) -> list[str]:
    found = served.suppressions()
    return [str(found[address].reason) for address in addresses]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# Postmark

def postmark(served: Served, record: dict, authorization: str | None = basic(USER, PASSWORD)):
    headers = {"Content-Type": "application/json", **({"Authorization": authorization} if authorization else {})}
    return served.request("POST", "/webhooks/postmark", json.dumps(record).encode(), headers)


@pytest.mark.parametrize("authorization", [None, basic(USER, "wrong"), basic("", ""), "Bearer x", basic(USER, PASSWORD) + "x"])
def test_postmark_without_its_credentials_gets_401_and_records_nothing(served: Served, authorization) -> None:
    answer = postmark(served, {"RecordType": "SpamComplaint", "Email": "mallory@example.org", "ID": 1}, authorization)
    assert answer.status == 401 and answer.headers["WWW-Authenticate"].startswith("Basic")
    assert "mallory@example.org" not in suppressed(served)


def test_postmark_hard_bounce_and_spam_complaint_suppress(served: Served) -> None:
    hard = {"RecordType": "Bounce", "ID": 42, "Type": "HardBounce", "TypeCode": 1, "Email": "gone@example.org", "Inactive": True,
            "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found)."}
    complaint = {"RecordType": "SpamComplaint", "ID": 43, "Type": "SpamComplaint", "TypeCode": 512, "Email": "angry@example.org"}
    soft = {"RecordType": "Bounce", "ID": 44, "Type": "SoftBounce", "TypeCode": 4096, "Email": "full@example.org", "Inactive": False}
    delivered = {"RecordType": "Delivery", "Recipient": "fine@example.org", "MessageID": "x"}
    for record in (hard, complaint, soft, delivered):
        assert postmark(served, record).status == 200
    now = suppressed(served)
    assert {"gone@example.org", "angry@example.org"} <= now and not {"full@example.org", "fine@example.org"} & now
    assert reasons(served, "gone@example.org", "angry@example.org") == ["hard-bounce", "complaint"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"RecordType": "Bounce", "Email": "a\\r\\nBcc: x@example.org"}', b"\xff\xfe"])
def test_postmark_malformed_bodies_get_a_clear_answer(served: Served, body: bytes) -> None:
    before = suppressed(served)
    answer = served.request("POST", "/webhooks/postmark", body, {"Authorization": basic(USER, PASSWORD)})
    assert answer.status in (200, 400)
    assert suppressed(served) == before
    assert served.request("GET", "/subscribe").status == 200


# SendGrid

def sendgrid(served: Served, events: list, key: ec.EllipticCurvePrivateKey, *, tamper: bool = False):
    body = json.dumps(events).encode()
    timestamp = "1767225600"
    signature = base64.b64encode(key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
    headers = {"Content-Type": "application/json", "X-Twilio-Email-Event-Webhook-Signature": signature,
               "X-Twilio-Email-Event-Webhook-Timestamp": timestamp}
    return served.request("POST", "/webhooks/sendgrid", body + (b" " if tamper else b""), headers)


def test_sendgrid_signed_events_are_recorded(served: Served, keys) -> None:
    events = [{"email": "sg-bounce@example.org", "event": "bounce", "type": "bounce", "sg_event_id": "e1"},
              {"email": "sg-spam@example.org", "event": "spamreport", "sg_event_id": "e2"},
              {"email": "sg-open@example.org", "event": "open", "sg_event_id": "e3"},
              {"email": "sg-blocked@example.org", "event": "bounce", "type": "blocked", "sg_event_id": "e4"}]
    answer = sendgrid(served, events, keys["sendgrid"])
    assert answer.status == 200, answer.text
    now = suppressed(served)
    assert {"sg-bounce@example.org", "sg-spam@example.org"} <= now and not {"sg-open@example.org", "sg-blocked@example.org"} & now


@pytest.mark.parametrize("forgery", ["other key", "tampered body", "no signature"])
def test_sendgrid_forged_signatures_get_403_and_record_nothing(served: Served, keys, forgery: str) -> None:
    events = [{"email": f"forged-{forgery.replace(' ', '-')}@example.org", "event": "spamreport"}]
    if forgery == "no signature":
        answer = served.request("POST", "/webhooks/sendgrid", json.dumps(events).encode(), {"Content-Type": "application/json"})
    else:
        answer = sendgrid(served, events, keys["sendgrid-other" if forgery == "other key" else "sendgrid"], tamper=forgery == "tampered body")
    assert answer.status == 403
    assert events[0]["email"] not in suppressed(served)


# SES through SNS

def sns_message(served_sns: HTTPServer, key: rsa.RSAPrivateKey, kind: str, message: str, *, topic: str = TOPIC,
                cert_path: str = "/SimpleNotificationService-test.pem", version: str = "2", cert_url: str | None = None) -> dict:
    base = f"https://127.0.0.1:{served_sns.port}"
    fields = {"Type": kind, "MessageId": f"m-{abs(hash(message)) % 10**8}", "TopicArn": topic, "Message": message,
              "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")}
    if kind == "SubscriptionConfirmation":
        fields.update(Token="tok", SubscribeURL=f"{base}/confirm-subscription?Token=tok")
        order = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    else:
        order = ["Message", "MessageId", "Timestamp", "TopicArn", "Type"]
    signed = "".join(f"{name}\n{fields[name]}\n" for name in order).encode()
    digest = hashes.SHA256() if version == "2" else hashes.SHA1()
    return {**fields, "SignatureVersion": version, "Signature": base64.b64encode(key.sign(signed, padding.PKCS1v15(), digest)).decode(),
            "SigningCertURL": cert_url or f"{base}{cert_path}"}


def ses(served: Served, message: dict):
    return served.request("POST", "/webhooks/ses", json.dumps(message).encode(),
                          {"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": message["Type"]})


def bounce(address: str, kind: str = "Permanent") -> str:
    return json.dumps({"notificationType": "Bounce", "bounce": {"bounceType": kind, "bounceSubType": "General",
                       "bouncedRecipients": [{"emailAddress": address, "status": "5.1.1"}]}, "mail": {"source": "daily@example.com"}})


def test_ses_subscription_confirmation_is_answered_for_an_allowed_topic(served: Served, sns_host: HTTPServer, keys) -> None:
    answer = ses(served, sns_message(sns_host, keys["sns"], "SubscriptionConfirmation", "You have chosen to subscribe"))
    assert answer.status == 200, answer.text
    assert any(request.path == "/confirm-subscription" for request, _ in sns_host.log)


@pytest.mark.parametrize("version", ["1", "2"])
def test_ses_bounces_and_complaints_are_recorded(served: Served, sns_host: HTTPServer, keys, version: str) -> None:
    hard, soft = f"ses-hard-{version}@example.org", f"ses-soft-{version}@example.org"
    spam = [{"emailAddress": f"ses-spam-{version}@example.org"}]
    complaint = json.dumps({"notificationType": "Complaint", "complaint": {"complainedRecipients": spam, "complaintFeedbackType": "abuse"}})
    for body in (bounce(hard), bounce(soft, "Transient"), complaint):
        answer = ses(served, sns_message(sns_host, keys["sns"], "Notification", body, version=version))
        assert answer.status == 200, answer.text
    now = suppressed(served)
    assert {hard, f"ses-spam-{version}@example.org"} <= now and soft not in now
    assert reasons(served, hard, f"ses-spam-{version}@example.org") == ["hard-bounce", "complaint"]


@pytest.mark.parametrize("forgery", ["other key", "other topic", "certificate elsewhere", "http certificate", "look-alike host", "tampered"])
def test_ses_forgeries_get_403_and_record_nothing(served: Served, sns_host: HTTPServer, keys, forgery: str) -> None:
    address = f"ses-{forgery.replace(' ', '-')}@example.org"
    port = sns_host.port
    cert_url = {"certificate elsewhere": f"https://127.0.0.2:{port}/SimpleNotificationService-test.pem",
                "http certificate": f"http://127.0.0.1:{port}/SimpleNotificationService-test.pem",
                "look-alike host": f"https://user@127.0.0.1:{port}/x.pem"}.get(forgery)
    message = sns_message(sns_host, keys["sns-other" if forgery == "other key" else "sns"], "Notification", bounce(address),
                          topic="arn:aws:sns:eu-west-1:999999999999:other" if forgery == "other topic" else TOPIC, cert_url=cert_url)
    if forgery == "tampered":
        message["Message"] = bounce("ses-someone-else@example.org")
    answer = ses(served, message)
    assert answer.status == 403
    assert address not in suppressed(served) and "ses-someone-else@example.org" not in suppressed(served)


@pytest.mark.parametrize("path", ["/webhooks/postmark", "/webhooks/sendgrid", "/webhooks/ses"])
def test_a_100_mb_webhook_body_is_refused_on_its_headers(served: Served, path: str) -> None:
    """413 while the client has sent 1 KB of the 100 MB it declared (Postmark's credentials are good, so the cap is what refuses)."""
    headers = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: {basic(USER, PASSWORD)}\r\n"
               "X-Twilio-Email-Event-Webhook-Signature: AAAA\r\nX-Twilio-Email-Event-Webhook-Timestamp: 1\r\n"
               f"Content-Length: {100 * 1024 * 1024}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
        sock.sendall(headers.encode() + b"[" * 1024)
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert served.request("GET", "/subscribe").status == 200


def test_a_replayed_soft_bounce_counts_once(served: Served) -> None:
    soft = {"RecordType": "Bounce", "ID": 900, "Type": "SoftBounce", "Email": "replayed@example.org", "Inactive": False}
    for _ in range(3):  # the same event, retried by the service
        assert postmark(served, soft).status == 200
    assert "replayed@example.org" not in suppressed(served)
    for number in (901, 902):  # two more soft bounces: three in a row, the default bounces.soft_limit
        assert postmark(served, {**soft, "ID": number}).status == 200
    assert reasons(served, "replayed@example.org") == ["soft-bounces"]
