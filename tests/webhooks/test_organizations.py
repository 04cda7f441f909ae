"""Only the configured organizations, each with its own secret (and its previous one while rotating)."""

from __future__ import annotations

import pytest

from tap_zohobooks.webhooks.receiver import build_receiver
from tap_zohobooks.webhooks.spool import Spool
from tests.webhooks.conftest import SECRET, US_ORG
from tests.webhooks.test_receiver import invoice

EU_ORG, SHARED_ORG, STRANGER = "20001000001", "30001000001", "99999999999"
EU_SECRET, EU_OLD_SECRET = "euSecretNew0123456", "euSecretOld0123456"


@pytest.fixture
def receiver(make_receiver):
    return make_receiver(organization_ids=[US_ORG], webhook_organization_ids=[US_ORG, SHARED_ORG],
                         webhook_secrets={US_ORG: "usOwnSecret0123456", EU_ORG: [EU_SECRET, EU_OLD_SECRET]})


def test_a_signed_delivery_for_an_organization_not_configured_is_refused(receiver):
    response = receiver.post(invoice("1"), f"?organization_id={STRANGER}&event=invoice.updated")
    assert response.status_code == 403
    assert Spool(receiver.spool_path).count() == 0


def test_each_organization_accepts_only_its_own_secrets_and_rotation_works(receiver):
    def status(org: str, secret: str, doc: str) -> int:
        return receiver.post(invoice(doc), f"?organization_id={org}", secret=secret).status_code

    assert status(US_ORG, "usOwnSecret0123456", "1") == 200
    assert status(US_ORG, SECRET, "2") == 401  # the shared secret no longer serves an org with its own
    assert status(US_ORG, EU_SECRET, "3") == 401  # another organization's secret
    assert status(EU_ORG, EU_SECRET, "4") == 200  # allowed because it has a secret configured
    assert status(EU_ORG, EU_OLD_SECRET, "5") == 200  # the previous secret, while rotating
    assert status(EU_ORG, "usOwnSecret0123456", "6") == 401
    assert status(SHARED_ORG, SECRET, "7") == 200  # no own secret: the shared one
    assert status(SHARED_ORG, EU_SECRET, "8") == 401
    stored = {(e.organization_id, e.document_id) for e in Spool(receiver.spool_path).after(0)}
    assert stored == {(US_ORG, "1"), (EU_ORG, "4"), (EU_ORG, "5"), (SHARED_ORG, "7")}


def test_a_receiver_without_configured_organizations_refuses_to_start(tmp_path):
    with pytest.raises(ValueError, match="set organization_ids"):
        build_receiver({"webhook_spool_path": str(tmp_path / "s.db"), "webhook_secret": SECRET})
    with pytest.raises(ValueError, match="not a Zoho id"):
        build_receiver({"webhook_spool_path": str(tmp_path / "s.db"), "webhook_secrets": {"acme": SECRET}})
