# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decisions of the ssm_association module, as plain functions: no AWS calls here.

A State Manager association is found by its AssociationName. UpdateAssociation resets
every optional field a request leaves out, so an update sends what the module manages as
wanted and, for the fields it does not manage, the association's current values.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Patterns of SSM's own service model, checked here so bad input fails before any call.
ASSOCIATION_NAME = re.compile(r"^[a-zA-Z0-9_\-.]{3,128}$")
DOCUMENT_NAME = re.compile(r"^[a-zA-Z0-9_\-.:/]{3,128}$")
DOCUMENT_VERSION = re.compile(r"^(\$LATEST|\$DEFAULT|[1-9][0-9]*)$")
MAX_CONCURRENCY = re.compile(r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$")
MAX_ERRORS = re.compile(r"^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$")
TARGET_KEY = re.compile(r"^[\w.:/=\-@ ]{1,163}$", re.UNICODE)
RATE = re.compile(r"^rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)$")
CRON = re.compile(r"^(cron|at)\(.+\)$")
MAX_TARGETS, MAX_TARGET_VALUES = 5, 50

# Module option -> request key, for what the module manages.
MANAGED = (
    ("document_name", "Name"),
    ("document_version", "DocumentVersion"),
    ("parameters", "Parameters"),
    ("targets", "Targets"),
    ("schedule_expression", "ScheduleExpression"),
    ("max_concurrency", "MaxConcurrency"),
    ("max_errors", "MaxErrors"),
    ("compliance_severity", "ComplianceSeverity"),
    ("apply_only_at_cron_interval", "ApplyOnlyAtCronInterval"),
    ("output_location", "OutputLocation"),
)
# Fields UpdateAssociation would reset if left out, kept as they are.
UNMANAGED = (
    "AutomationTargetParameterName",
    "SyncCompliance",
    "CalendarNames",
    "TargetLocations",
    "ScheduleOffset",
    "Duration",
    "TargetMaps",
    "AlarmConfiguration",
    "AssociationDispatchAssumeRole",
)
# What SSM reports for a field the request did not set: the same as leaving it out.
UNSET = {"DocumentVersion": "$DEFAULT", "ComplianceSeverity": "UNSPECIFIED", "ApplyOnlyAtCronInterval": False}


def targets_of(params):
    """Targets from `targets` and `target_tags` (tag:KEY), in the API's shape."""
    out = [{"Key": t["key"], "Values": [str(v) for v in t["values"]]} for t in params.get("targets") or []]
    for key in sorted(params.get("target_tags") or {}):
        value = params["target_tags"][key]
        out.append({"Key": "tag:%s" % key, "Values": [str(v) for v in (value if isinstance(value, list) else [value])]})
    return out


def validate(params):
    """Every problem of the options at once; an empty list when they are fine."""
    problems = []
    if not ASSOCIATION_NAME.match(params.get("name") or ""):
        problems.append("name must be 3 to 128 letters, digits, '_', '-' or '.' (got %r)" % params.get("name"))
    if params.get("state") == "absent":
        return problems
    if not DOCUMENT_NAME.match(params.get("document_name") or ""):
        problems.append("document_name must name an SSM document (got %r)" % params.get("document_name"))
    if params.get("document_version") and not DOCUMENT_VERSION.match(params["document_version"]):
        problems.append("document_version must be $DEFAULT, $LATEST or a number (got %r)" % params["document_version"])
    targets = targets_of(params)
    if not targets:
        problems.append("give targets or target_tags: an association needs instances to run on")
    if len(targets) > MAX_TARGETS:
        problems.append("at most %d targets (got %d)" % (MAX_TARGETS, len(targets)))
    for target in targets:
        if not TARGET_KEY.match(target["Key"]):
            problems.append("target key %r is not valid" % target["Key"])
        if not target["Values"] or len(target["Values"]) > MAX_TARGET_VALUES:
            problems.append("target %s needs 1 to %d values" % (target["Key"], MAX_TARGET_VALUES))
    problems.extend(schedule_problems(params.get("schedule_expression")))
    for option, pattern, example in (
        ("max_concurrency", MAX_CONCURRENCY, "10 or 10%"),
        ("max_errors", MAX_ERRORS, "0, 1 or 5%"),
    ):
        if params.get(option) and not pattern.match(params[option]):
            problems.append(
                "%s must be a count or a percentage such as %s (got %r)" % (option, example, params[option])
            )
    location = params.get("output_location") or {}
    if location and not location.get("s3_bucket_name"):
        problems.append("output_location needs s3_bucket_name")
    return problems


def schedule_problems(expression):
    if not expression:
        return []
    rate = RATE.match(expression)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2)
        if unit.startswith("minute") and count < 30:
            return ["State Manager runs associations at most every 30 minutes (got %r)" % expression]
        return []
    if CRON.match(expression):
        return []
    return ["schedule_expression must be cron(...), rate(N minutes|hours|days) or at(...) (got %r)" % expression]


def wanted(params):
    """The managed fields of the association as the request carries them (unset ones left out)."""
    out = {
        "Name": params["document_name"],
        "DocumentVersion": params.get("document_version"),
        "Targets": targets_of(params),
        "ScheduleExpression": params.get("schedule_expression"),
        "MaxConcurrency": params.get("max_concurrency"),
        "MaxErrors": params.get("max_errors"),
        "ComplianceSeverity": params.get("compliance_severity"),
        "ApplyOnlyAtCronInterval": params.get("apply_only_at_cron_interval"),
    }
    if params.get("parameters"):
        out["Parameters"] = {
            k: [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in sorted(params["parameters"].items())
        }
    location = params.get("output_location")
    if location:
        s3 = {"OutputS3BucketName": location["s3_bucket_name"]}
        if location.get("s3_key_prefix"):
            s3["OutputS3KeyPrefix"] = location["s3_key_prefix"]
        if location.get("s3_region"):
            s3["OutputS3Region"] = location["s3_region"]
        out["OutputLocation"] = {"S3Location": s3}
    return {k: v for k, v in out.items() if v is not None}


def comparable(fields):
    """The managed fields with order and SSM's defaults taken out, for comparison."""
    out = {}
    for _option, key in MANAGED:
        value = fields.get(key)
        if key == "Targets" and value:
            value = sorted((t["Key"], tuple(sorted(t.get("Values") or []))) for t in value)
        elif key == "Parameters" and value:
            value = {k: list(v) for k, v in value.items()}
        if value in (None, {}, []) or UNSET.get(key) == value:
            continue
        out[key] = value
    return out


def differences(current, target):
    """[(field, before, after)] between an association (DescribeAssociation) and the wanted fields."""
    before, after = comparable(current), comparable(target)
    return [(k, before.get(k), after.get(k)) for _option, k in MANAGED if before.get(k) != after.get(k)]


def update_request(current, target, association_name):
    """UpdateAssociation's arguments: the wanted fields, and the current ones the module leaves alone."""
    request = dict(target, AssociationId=current["AssociationId"], AssociationName=association_name)
    if current.get("AssociationVersion"):
        request["AssociationVersion"] = current["AssociationVersion"]
    for key in UNMANAGED:
        if current.get(key) not in (None, [], {}):
            request[key] = current[key]
    return request
