# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decisions of the route53_vpc_association module, as plain functions: no AWS calls here.

Sharing a private hosted zone with a VPC of another account takes three calls by two
accounts: the zone owner authorizes the VPC, the VPC owner associates it, the zone owner
deletes the authorization (the association stays). Within one account only the
association call is needed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

CREATE_AUTHORIZATION = "create_authorization"
ASSOCIATE = "associate"
DELETE_AUTHORIZATION = "delete_authorization"
DISASSOCIATE = "disassociate"

# The account whose credentials make each call.
CALLER = {
    CREATE_AUTHORIZATION: "zone",
    ASSOCIATE: "vpc",
    DELETE_AUTHORIZATION: "zone",
    DISASSOCIATE: "vpc",
}


class LastVpcError(Exception):
    """Route 53 cannot leave a private hosted zone without any VPC."""


# Route 53 zone IDs are upper-case letters and digits (at most 32); VPC IDs are vpc- and
# 8 or 17 hex digits; region names are like eu-west-1 or us-gov-west-1.
_ZONE_ID = re.compile(r"^[A-Z0-9]{1,32}$")
_VPC_ID = re.compile(r"^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-[0-9]+$")


def zone_id(value):
    """'Z123' from 'Z123', '/hostedzone/Z123' or 'hostedzone/Z123', spaces around stripped."""
    value = value.strip()
    for prefix in ("/hostedzone/", "hostedzone/"):
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def input_problem(hosted_zone_id, vpc_id, vpc_region):
    """Error text naming the first empty or garbled id, or None. Checked before any call,
    so a typo is named as such instead of coming back as Route 53's 404 or EC2's 400."""
    raw = hosted_zone_id or ""
    if not raw.strip():
        return "hosted_zone_id is empty: give the zone's ID, e.g. Z0123456789ABCDEFGHIJ"
    zone = zone_id(raw)
    if not zone:
        return "hosted_zone_id {0!r} names no zone: the ID must follow /hostedzone/".format(raw)
    if not _ZONE_ID.match(zone):
        return (
            "hosted_zone_id {0!r} is not a hosted zone ID (upper-case letters and digits, "
            "optionally after /hostedzone/), e.g. Z0123456789ABCDEFGHIJ".format(raw)
        )
    vpc = (vpc_id or "").strip()
    if not vpc:
        return "vpc_id is empty: give the VPC's ID, e.g. vpc-0123456789abcdef0"
    if not _VPC_ID.match(vpc):
        return "vpc_id {0!r} is not a VPC ID (vpc- and 8 or 17 hex digits, e.g. vpc-0123456789abcdef0)".format(vpc_id)
    if vpc_region is not None and not _REGION.match(vpc_region.strip()):
        return "vpc_region {0!r} is not a region name (e.g. eu-west-1)".format(vpc_region)
    return None


def has_vpc(vpcs, vpc_id, vpc_region):
    """Whether a VPC list (GetHostedZone's VPCs or ListVPCAssociationAuthorizations') holds this VPC."""
    return any(v.get("VPCId") == vpc_id and v.get("VPCRegion") == vpc_region for v in vpcs or [])


def must_list_authorizations(state, associated, cross_account, cleanup):
    """Whether the plan depends on the zone's pending authorizations.

    Within one account there are none. Across accounts they matter before an association
    (is one already there?) and, when cleanup is on, wherever one may have been left.
    """
    if not cross_account:
        return False
    return cleanup or (state == "present" and not associated)


def plan(state, associated, vpc_count, cross_account, authorized, cleanup):
    """The calls that bring the zone to the wanted state, in order.

    associated: the VPC is among the zone's VPCs; vpc_count: how many VPCs the zone has;
    authorized: an authorization for this VPC exists (only read when must_list_authorizations);
    cleanup: remove the authorization once it is no longer needed, and any left over.
    """
    steps = []
    if state == "present":
        if not associated:
            if cross_account and not authorized:
                steps.append(CREATE_AUTHORIZATION)
            steps.append(ASSOCIATE)
            if cross_account and cleanup:
                steps.append(DELETE_AUTHORIZATION)
        elif cross_account and cleanup and authorized:
            steps.append(DELETE_AUTHORIZATION)
        return steps
    if associated:
        if vpc_count <= 1:
            raise LastVpcError(
                "it is the zone's last VPC: Route 53 cannot disassociate the last VPC of a private hosted "
                "zone; associate another VPC first, or delete the zone"
            )
        steps.append(DISASSOCIATE)
    if cross_account and cleanup and authorized:
        steps.append(DELETE_AUTHORIZATION)
    return steps


def describe(step, ctx):
    """One line of the plan, naming the call and the account making it."""
    account = ctx["zone_account_id"] if CALLER[step] == "zone" else ctx["vpc_account_id"]
    vpc = "{0} ({1})".format(ctx["vpc_id"], ctx["vpc_region"])
    text = {
        CREATE_AUTHORIZATION: "CreateVPCAssociationAuthorization: allow {vpc} to associate with {zone}",
        ASSOCIATE: "AssociateVPCWithHostedZone: associate {vpc} with {zone}",
        DELETE_AUTHORIZATION: "DeleteVPCAssociationAuthorization: remove the authorization of {vpc} on {zone}",
        DISASSOCIATE: "DisassociateVPCFromHostedZone: disassociate {vpc} from {zone}",
    }[step].format(vpc=vpc, zone=ctx["hosted_zone_id"])
    return {"action": step, "account_id": account, "description": "{0} (as account {1})".format(text, account)}


def explain_error(step, code, message, ctx):
    """A message for a Route 53 error during a step: what failed, why it usually does, what to do."""
    vpc = "{0} ({1})".format(ctx["vpc_id"], ctx["vpc_region"])
    zone = ctx["hosted_zone_id"]
    said = " AWS said: {0}".format(message) if message else ""
    if code == "ConflictingDomainExists":
        return (
            "{0} is already associated with another private hosted zone named {1}: a VPC can be associated "
            "with only one zone of a given name. Disassociate it from that zone first.{2}".format(
                vpc, ctx.get("hosted_zone_name"), said
            )
        )
    if code == "NotAuthorizedException" and step == ASSOCIATE:
        return (
            "Account {0} is not authorized to associate {1} with {2}: the zone account's authorization is "
            "missing (removed meanwhile?) or the VPC credentials are not those of the VPC's owner.{3}".format(
                ctx["vpc_account_id"], vpc, zone, said
            )
        )
    if code == "NotAuthorizedException":
        return "Account {0} may not change the authorizations of {1}: is it the zone's owner?{2}".format(
            ctx["zone_account_id"], zone, said
        )
    if code == "PriorRequestNotComplete":
        return (
            "Route 53 is still processing an earlier request for {0} and kept refusing after retries; "
            "run again in a minute.{1}".format(zone, said)
        )
    if code == "VPCAssociationAuthorizationNotFound":
        return "No authorization of {0} on {1} exists any more (deleted meanwhile?); run again.{2}".format(
            vpc, zone, said
        )
    if code == "LastVPCAssociation":
        return "{0} is the last VPC of {1}; Route 53 cannot disassociate it.{2}".format(vpc, zone, said)
    if code == "InvalidVPCId":
        return "Route 53 refused {0}: the ID or region is wrong, or the caller does not own it.{1}".format(vpc, said)
    if code == "TooManyVPCAssociationAuthorizations":
        return "{0} has too many pending VPC association authorizations; delete unused ones.{1}".format(zone, said)
    return "{0} failed with {1}.{2}".format(step, code, said)


# Errors that mean the step's goal is already reached (a concurrent run got there first).
ALREADY_DONE = {
    DELETE_AUTHORIZATION: ("VPCAssociationAuthorizationNotFound",),
    DISASSOCIATE: ("VPCAssociationNotFound",),
}


def already_done(step, code):
    return code in ALREADY_DONE.get(step, ())
