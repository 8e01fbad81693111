"""Bucket settings as forms: Object Lock default retention, default encryption, tags and the
public access block (quotas: this server has none, and the page says so).

Each panel reads its configuration with the S3 GET of that subresource and saves with the
PUT (or DELETE to clear it), signed as the user; the form only builds the XML document.
Whether the values are valid is the server's call, and its error code and message are shown
in the panel, next to what the user entered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from rucket.console.client import Reply, content_md5
from rucket.console.context import Ctx
from rucket.core.paths import ADMIN
from rucket.s3.auth.client import object_path

XMLNS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
LOCK_UNITS = ("Days", "Years")
ALGORITHMS = {"": "None", "AES256": "SSE-S3 (AES256)", "aws:kms": "SSE-KMS"}
MAX_TAGS = 50  # S3's limit on bucket tags



def _read_lock(reply: Reply) -> dict[str, Any]:
    root = reply.xml()
    default = root.find("Rule/DefaultRetention")
    unit = next((u for u in LOCK_UNITS if default is not None and default.findtext(u)), "Days")
    return {"enabled": root.findtext("ObjectLockEnabled") == "Enabled",
            "mode": default.findtext("Mode") if default is not None else "",
            "amount": default.findtext(unit) if default is not None else "", "unit": unit}


def _read_encryption(reply: Reply) -> dict[str, Any]:
    default = reply.xml().find("Rule/ApplyServerSideEncryptionByDefault")
    return {"algorithm": default.findtext("SSEAlgorithm") or "" if default is not None else "",
            "kms_key": default.findtext("KMSMasterKeyID") or "" if default is not None else ""}


def _read_tags(reply: Reply) -> dict[str, Any]:
    return {"tags": [(t.findtext("Key") or "", t.findtext("Value") or "") for t in reply.xml().iter("Tag")]}


def _read_pab(reply: Reply) -> dict[str, Any]:
    root = reply.xml()
    return {"flags": {f: root.findtext(f) == "true" for f in PAB_FLAGS}}


def lock_xml(form: Mapping[str, str]) -> bytes:
    mode, amount, unit = form.get("mode", ""), form.get("amount", "").strip(), form.get("unit", "Days")
    rule = ""
    if mode:  # the server checks the mode, the number and the unit: the form passes them as typed
        tag = unit if unit in LOCK_UNITS else "Days"
        rule = f"<Rule><DefaultRetention><Mode>{escape(mode)}</Mode><{tag}>{escape(amount)}</{tag}>" \
               "</DefaultRetention></Rule>"
    return f"<ObjectLockConfiguration {XMLNS}><ObjectLockEnabled>Enabled</ObjectLockEnabled>{rule}" \
           "</ObjectLockConfiguration>".encode()


def encryption_xml(form: Mapping[str, str]) -> bytes | None:
    algorithm, key = form.get("algorithm", ""), form.get("kms_key", "").strip()
    if not algorithm:
        return None
    kms = f"<KMSMasterKeyID>{escape(key)}</KMSMasterKeyID>" if algorithm == "aws:kms" and key else ""
    return (f"<ServerSideEncryptionConfiguration {XMLNS}><Rule><ApplyServerSideEncryptionByDefault>"
            f"<SSEAlgorithm>{escape(algorithm)}</SSEAlgorithm>{kms}</ApplyServerSideEncryptionByDefault>"
            "</Rule></ServerSideEncryptionConfiguration>").encode()


def form_tags(form: Mapping[str, str]) -> list[tuple[str, str]]:
    rows = [(form.get(f"tag_key_{i}", "").strip(), form.get(f"tag_value_{i}", "")) for i in range(MAX_TAGS + 5)]
    return [(k, v) for k, v in rows if k]


def tags_xml(form: Mapping[str, str]) -> bytes | None:
    tags = form_tags(form)
    if not tags:
        return None
    items = "".join(f"<Tag><Key>{escape(k)}</Key><Value>{escape(v)}</Value></Tag>" for k, v in tags)
    return f"<Tagging {XMLNS}><TagSet>{items}</TagSet></Tagging>".encode()


def pab_xml(form: Mapping[str, str]) -> bytes:
    flags = "".join(f"<{f}>{'true' if form.get(f) == 'on' else 'false'}</{f}>" for f in PAB_FLAGS)
    return f"<PublicAccessBlockConfiguration {XMLNS}>{flags}</PublicAccessBlockConfiguration>".encode()


def _typed_lock(form: Mapping[str, str]) -> dict[str, Any]:
    return {"enabled": True, "mode": form.get("mode", ""), "amount": form.get("amount", ""),
            "unit": form.get("unit", "Days")}


@dataclass(frozen=True)
class Panel:
    subresource: str
    missing: tuple[str, ...]  # error codes that mean "not configured"
    empty: dict[str, Any]  # the state shown when not configured
    read: Callable[[Reply], dict[str, Any]]
    build: Callable[[Mapping[str, str]], bytes | None]  # None: delete the configuration
    typed: Callable[[Mapping[str, str]], dict[str, Any]]  # the form as state, shown again on an error


PANELS: dict[str, Panel] = {
    "object-lock": Panel("object-lock", ("ObjectLockConfigurationNotFoundError",),
                         {"enabled": False, "mode": "", "amount": "", "unit": "Days"}, _read_lock, lock_xml,
                         _typed_lock),
    "encryption": Panel("encryption", ("ServerSideEncryptionConfigurationNotFoundError",),
                        {"algorithm": "", "kms_key": ""}, _read_encryption, encryption_xml,
                        lambda f: {"algorithm": f.get("algorithm", ""), "kms_key": f.get("kms_key", "")}),
    "tagging": Panel("tagging", ("NoSuchTagSet",), {"tags": []}, _read_tags, tags_xml,
                     lambda f: {"tags": form_tags(f)}),
    "public-access-block": Panel("publicAccessBlock", ("NoSuchPublicAccessBlockConfiguration",),
                                 {"flags": dict.fromkeys(PAB_FLAGS, False)}, _read_pab, pab_xml,
                                 lambda f: {"flags": {k: f.get(k) == "on" for k in PAB_FLAGS}}),
}


async def current(ctx: Ctx, bucket: str, panel: Panel) -> dict[str, Any]:
    reply = await ctx.s3("GET", object_path(bucket), [(panel.subresource, "")])
    if reply.ok:
        return {**panel.read(reply), "error": "", "readable": True}
    if reply.code() in panel.missing:
        return {**panel.empty, "error": "", "readable": True}
    return {**panel.empty, "error": reply.error(), "readable": False}


async def kms_keys(ctx: Ctx) -> list[dict[str, Any]]:
    """KMS keys to choose from (the root user can list them; others type a key id)."""
    if not ctx.user.is_root:
        return []
    reply = await ctx.admin("GET", f"{ADMIN}/kms/keys")
    return list(reply.json().get("keys", [])) if reply.ok else []


async def save(ctx: Ctx, bucket: str, panel: Panel, form: Mapping[str, str]) -> Reply:
    body = panel.build(form)
    if body is None:
        return await ctx.s3("DELETE", object_path(bucket), [(panel.subresource, "")])
    return await ctx.s3("PUT", object_path(bucket), [(panel.subresource, "")], body, content_md5(body))

