"""The parts of `digest serve` that need no server: field cleaning, form parsing, rate limits, one-click
bodies, and what each service's webhook record means."""
from __future__ import annotations

import json

import pytest

from digest.serve.app import Seen, one_click
from digest.serve.guard import RateLimit, Refused, clean_address, clean_name, parse_form
from digest.serve.hooks import Event, Kind, Postmark, SendGrid
from digest.serve.sns import ses_events, string_to_sign


def test_names_lose_controls_and_reordering_characters() -> None:
    """The form's names follow digest.readers' one rule for names; only the length is refused, not cut."""
    from digest import readers

    typed = " Ann\r\nBcc: x \u202eSmith\u2066\u200f "
    assert clean_name(typed) == readers.clean_name(typed) == "Ann Bcc: x Smith"
    assert clean_name("x" * readers.NAME_CHARS) == "x" * readers.NAME_CHARS
    with pytest.raises(Refused, match=f"too long: keep it under {readers.NAME_CHARS} characters"):
        clean_name("x" * (readers.NAME_CHARS + 1))


@pytest.mark.parametrize("address", ["a@example.org\r\nBcc: b@example.org", "a@example.org\u202e", "a" * 250 + "@example.org"])
def test_addresses_with_line_breaks_or_hidden_characters_are_refused(address: str) -> None:
    with pytest.raises(Refused):
        clean_address(address)


def test_forms_are_urlencoded_utf8_with_few_fields() -> None:
    assert parse_form(b"email=a%40b.org&name=%D0%90", "application/x-www-form-urlencoded; charset=utf-8") == {"email": "a@b.org", "name": "А"}
    for body, kind, status in [(b"x=1", "application/json", 415), (b"name=%FF", "", 400), (b"&".join(b"f%d=1" % n for n in range(50)), "", 400)]:
        with pytest.raises(Refused) as refused:
            parse_form(body, kind)
        assert refused.value.status == status


def test_rate_limit_refills_evenly_and_forgets_the_oldest_keys() -> None:
    limit = RateLimit(3, 60, keys=2)
    assert [limit.allow("a", now=0) for _ in range(4)] == [True, True, True, False]
    assert limit.allow("a", now=20) and not limit.allow("a", now=20)  # one back every 20 s
    limit.allow("b", now=21)
    limit.allow("c", now=22)
    assert list(limit.buckets) == ["b", "c"]


def test_seen_event_ids_are_recognised_once() -> None:
    seen = Seen(size=2)
    assert seen.first_time("a") and not seen.first_time("a") and seen.first_time("") and seen.first_time("")
    seen.first_time("b")
    seen.first_time("c")
    assert seen.first_time("a")  # forgotten: only the latest `size` are kept


def test_one_click_bodies_in_both_encodings() -> None:
    assert one_click(b"List-Unsubscribe=One-Click", "application/x-www-form-urlencoded")
    multipart = b'--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n'
    assert one_click(multipart, "multipart/form-data; boundary=b")
    assert not one_click(multipart.replace(b"One-Click", b"Two-Clicks"), "multipart/form-data; boundary=b")
    assert not one_click(b"List-Unsubscribe=No", "application/x-www-form-urlencoded")


def test_postmark_records() -> None:
    record = {"RecordType": "Bounce", "ID": 7, "Type": "Transient", "Email": "a@example.org", "Inactive": True}
    assert Postmark.events(json.dumps(record).encode()) == [Event(Kind.HARD_BOUNCE, "a@example.org", "postmark:Bounce:7")]
    record.update(Inactive=False)
    assert Postmark.events(json.dumps(record).encode())[0].kind is Kind.SOFT_BOUNCE
    record.update(Type="AutoResponder")
    assert Postmark.events(json.dumps(record).encode()) == []
    change = {"RecordType": "SubscriptionChange", "SuppressSending": True, "SuppressionReason": "ManualSuppression", "Recipient": "x",
              "Email": "b@example.org"}
    assert Postmark.events(json.dumps(change).encode())[0].kind is Kind.UNSUBSCRIBED


def test_sendgrid_events() -> None:
    events = [{"email": "a@example.org", "event": "dropped", "reason": "Bounced Address"}, {"email": "b@example.org", "event": "deferred"},
              {"event": "bounce"}, "junk", {"email": "c@example.org", "event": "group_unsubscribe", "sg_event_id": "z"}]
    assert SendGrid.events(json.dumps(events).encode()) == [Event(Kind.HARD_BOUNCE, "a@example.org"),
                                                           Event(Kind.UNSUBSCRIBED, "c@example.org", "sendgrid:z")]


def test_ses_notifications() -> None:
    complaint = {"Type": "Notification", "MessageId": "m", "Message": json.dumps(
        {"eventType": "Complaint", "complaint": {"complaintFeedbackType": "not-spam", "complainedRecipients": [{"emailAddress": "a@x.org"}]}})}
    assert ses_events(complaint) == []
    bounce = {"Type": "Notification", "MessageId": "m", "Message": json.dumps(
        {"notificationType": "Bounce", "bounce": {"bounceType": "Undetermined", "bouncedRecipients": [{"emailAddress": "a@x.org"}]}})}
    assert ses_events(bounce) == []


def test_sns_string_to_sign_leaves_out_a_missing_subject() -> None:
    message = {"Type": "Notification", "Message": "m", "MessageId": "i", "Timestamp": "t", "TopicArn": "a", "Subject": None}
    assert string_to_sign(message) == b"Message\nm\nMessageId\ni\nTimestamp\nt\nTopicArn\na\nType\nNotification\n"
