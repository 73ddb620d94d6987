# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decisions of the instance_metadata_options module, as plain functions: no AWS calls here.

Without a session token (IMDSv1) a plain GET on the metadata service returns the
instance profile's credentials to anything that can make the host fetch a URL. With
HttpTokens=required a PUT /latest/api/token (with a TTL header) must come first, which a
URL-fetching bug cannot send; a hop limit of 1 keeps the token's answer from reaching
containers behind the host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.ironclad.aws.plugins.module_utils.backup_plan import instance_filters

# Module option -> ModifyInstanceMetadataOptions / MetadataOptions key.
FIELDS = (
    ("http_tokens", "HttpTokens"),
    ("http_put_response_hop_limit", "HttpPutResponseHopLimit"),
    ("http_endpoint", "HttpEndpoint"),
    ("http_protocol_ipv6", "HttpProtocolIpv6"),
    ("instance_metadata_tags", "InstanceMetadataTags"),
)
HOP_LIMIT = (1, 64)
INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$")


def validate(params):
    """Every problem of the options at once; an empty list when they are fine."""
    problems = []
    if not (params.get("instance_ids") or params.get("tags") or params.get("filters")):
        problems.append(
            "choose the instances with instance_ids, tags or filters (to mean every instance, say so with "
            "filters: {instance-state-name: running})"
        )
    bad = [i for i in params.get("instance_ids") or [] if not INSTANCE_ID.match(i)]
    if bad:
        problems.append("not instance ids (i- and 8 or 17 hex digits): %s" % ", ".join(bad))
    hops = params.get("http_put_response_hop_limit")
    if hops is not None and not HOP_LIMIT[0] <= hops <= HOP_LIMIT[1]:
        problems.append("http_put_response_hop_limit must be 1 to 64 (got %s)" % hops)
    if params.get("http_endpoint") == "disabled" and params.get("instance_metadata_tags") == "enabled":
        problems.append("instance_metadata_tags cannot be enabled with http_endpoint disabled")
    return problems


def selection(params):
    """DescribeInstances keyword arguments for the chosen instances."""
    filters = instance_filters(params.get("tags") or {}, params["states"])
    for name in sorted(params.get("filters") or {}):
        value = params["filters"][name]
        filters.append({"Name": name, "Values": [str(v) for v in (value if isinstance(value, list) else [value])]})
    kwargs = {"Filters": filters}
    if params.get("instance_ids"):
        kwargs["InstanceIds"] = list(params["instance_ids"])
    return kwargs


def wanted(current, params):
    """The whole set of options an instance should end with: asked-for values over its current ones.

    The whole set is sent, not only what changes: EC2 keeps what a request leaves out, moto
    resets it, and sending everything gives the same result on both.
    """
    out = {}
    for option, key in FIELDS:
        value = params.get(option)
        out[key] = value if value is not None else current.get(key)
    return {k: v for k, v in out.items() if v is not None}


def changes(current, target):
    """{option: {before, after}} for what differs."""
    out = {}
    for option, key in FIELDS:
        if key in target and current.get(key) != target[key]:
            out[option] = {"before": current.get(key), "after": target[key]}
    return out


def name_of(instance):
    for tag in instance.get("Tags") or []:
        if tag.get("Key") == "Name":
            return tag.get("Value")
    return None


def plan(instances, params):
    """One entry per instance: its id, Name tag, what changes and the full request to send."""
    out = []
    for instance in sorted(instances, key=lambda i: i["InstanceId"]):
        current = instance.get("MetadataOptions") or {}
        target = wanted(current, params)
        out.append(
            {
                "instance_id": instance["InstanceId"],
                "name": name_of(instance),
                "changes": changes(current, target),
                "request": dict(target, InstanceId=instance["InstanceId"]),
            }
        )
    return out
