#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: route53_vpc_association
short_description: Associate a VPC, of this account or another, with a Route 53 private hosted zone
version_added: 0.1.0
description:
  - Makes one VPC associated (O(state=present)) or not (O(state=absent)) with one private hosted zone.
  - The module's own AWS options (C(access_key), C(profile), ...) are the credentials of the account
    that owns the zone. O(vpc_credentials) are those of the account that owns the VPC, for example the
    C(credentials) returned by M(ironclad.aws.assume_role). Without O(vpc_credentials) the VPC is taken to
    belong to the zone's account.
  - "Across accounts, O(state=present) runs the three steps AWS requires: the zone account calls
    C(CreateVPCAssociationAuthorization), the VPC account calls C(AssociateVPCWithHostedZone), then the
    zone account calls C(DeleteVPCAssociationAuthorization) (the association stays; turn this off with
    O(cleanup_authorization=false)). Within one account only the association call is made."
  - O(state=absent) disassociates the VPC (as the VPC's account) and, unless
    O(cleanup_authorization=false), removes an authorization left for it. Route 53 cannot leave a
    private zone without VPC, so removing the zone's last VPC is refused before any change.
  - Nothing is changed when the VPC is already in the wanted state, except that a leftover
    authorization is removed.
  - C(PriorRequestNotComplete) (Route 53 still busy with an earlier change of the zone) is retried with
    backoff; other errors name the step, the account and the usual cause.
  - Check mode returns the plan (RV(actions)) without making a single change.
author:
  - ironclad.aws maintainers (!UNKNOWN)
options:
  hosted_zone_id:
    description:
      - ID of the private hosted zone, with or without the C(/hostedzone/) prefix; spaces around it are ignored.
      - An empty or garbled ID (not upper-case letters and digits) fails before any AWS call, naming the option.
    type: str
    required: true
  vpc_id:
    description:
      - ID of the VPC (C(vpc-) and 8 or 17 hex digits); spaces around it are ignored, anything else
        fails before any call.
    type: str
    required: true
  vpc_region:
    description:
      - Region of the VPC. Defaults to O(vpc_credentials.region), then to the module's region.
    type: str
  state:
    description: Whether the VPC should be associated with the zone.
    type: str
    choices: [present, absent]
    default: present
  vpc_credentials:
    description:
      - Credentials of the account that owns the VPC, when it is not the zone's account. Either keys
        (the C(credentials) of M(ironclad.aws.assume_role) fit as they are) or a profile.
      - The endpoint, CA bundle and botocore config of the module's own options apply to both accounts.
    type: dict
    suboptions:
      access_key:
        description: Access key ID.
        type: str
        aliases: [aws_access_key_id]
      secret_key:
        description: Secret access key.
        type: str
        aliases: [aws_secret_access_key]
      session_token:
        description: Session token of temporary credentials.
        type: str
        aliases: [aws_session_token]
      profile:
        description: A named profile instead of keys.
        type: str
        aliases: [aws_profile]
      region:
        description: Region of the VPC, when O(vpc_region) is not given.
        type: str
  cleanup_authorization:
    description:
      - Delete the zone account's authorization once the VPC is associated, as AWS recommends (an
        authorization left in place lets the VPC account re-associate at any time), and delete one
        left over for this VPC by an earlier run.
      - With V(false) the module does not read or touch authorizations except to create the one
        an association needs.
    type: bool
    default: true
  comment:
    description: Comment for the association request.
    type: str
  wait:
    description: Wait until the association or disassociation change is C(INSYNC).
    type: bool
    default: false
  wait_timeout:
    description: How long to wait, in seconds.
    type: int
    default: 300
notes:
  - "Permissions: the zone account needs C(route53:GetHostedZone), C(route53:ListVPCAssociationAuthorizations),
    C(route53:CreateVPCAssociationAuthorization) and C(route53:DeleteVPCAssociationAuthorization); the VPC
    account C(route53:AssociateVPCWithHostedZone), C(route53:DisassociateVPCFromHostedZone),
    C(route53:GetChange) and C(ec2:DescribeVpcs). The collection's C(docs/cross_account.md) has the
    policies and the trust relationship for both sides."
  - Both accounts also call C(sts:GetCallerIdentity), which needs no permission.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Get credentials in the VPC's account (B) from the zone's account (A)
  ironclad.aws.assume_role:
    roles:
      - role_arn: arn:aws:iam::222222222222:role/route53-vpc-association
  register: account_b
  no_log: true

- name: Share the private zone of account A with a VPC of account B
  ironclad.aws.route53_vpc_association:
    hosted_zone_id: Z0123456789ABCDEFGHIJ
    vpc_id: vpc-0abc1234def567890
    vpc_region: eu-west-1
    vpc_credentials: "{{ account_b.credentials }}"
    wait: true

- name: Associate another VPC of the zone's own account (no authorization needed)
  ironclad.aws.route53_vpc_association:
    hosted_zone_id: Z0123456789ABCDEFGHIJ
    vpc_id: vpc-0fedcba9876543210

- name: Stop sharing, with the VPC account's credentials from a profile
  ironclad.aws.route53_vpc_association:
    hosted_zone_id: Z0123456789ABCDEFGHIJ
    vpc_id: vpc-0abc1234def567890
    vpc_region: eu-west-1
    vpc_credentials:
      profile: account-b
    state: absent
"""

RETURN = r"""
actions:
  description: The steps taken (or, in check mode, that would be taken), in order.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: One of C(create_authorization), C(associate), C(delete_authorization), C(disassociate).
      type: str
    account_id:
      description: The account making the call.
      type: str
    description:
      description: The API call, its object and its caller.
      type: str
  sample:
    - action: create_authorization
      account_id: "111111111111"
      description: >-
        CreateVPCAssociationAuthorization: allow vpc-0abc1234def567890 (eu-west-1) to associate with
        Z0123456789ABCDEFGHIJ (as account 111111111111)
associated:
  description: Whether the VPC is associated with the zone at the end (or would be, in check mode).
  returned: always
  type: bool
hosted_zone_id:
  description: The zone's ID, without prefix.
  returned: always
  type: str
hosted_zone_name:
  description: The zone's name.
  returned: always
  type: str
  sample: corp.internal.
vpc_id:
  description: The VPC.
  returned: always
  type: str
vpc_region:
  description: The VPC's region.
  returned: always
  type: str
zone_account_id:
  description: Account of the module's credentials (the zone's owner).
  returned: always
  type: str
vpc_account_id:
  description: Account of O(vpc_credentials), or the zone's account without them.
  returned: always
  type: str
cross_account:
  description: Whether the zone and the VPC are in different accounts (so authorizations are involved).
  returned: always
  type: bool
vpcs:
  description: The zone's VPCs at the end (as read back after a change).
  returned: always
  type: list
  elements: dict
  contains:
    vpc_id:
      description: VPC ID.
      type: str
    vpc_region:
      description: VPC region.
      type: str
change_info:
  description: Route 53's answer to the association or disassociation request.
  returned: when the VPC was associated or disassociated
  type: dict
  contains:
    id:
      description: Change ID, for GetChange.
      type: str
    status:
      description: C(PENDING) or C(INSYNC) (the latter after O(wait)).
      type: str
    submitted_at:
      description: When Route 53 received the request.
      type: str
"""

import contextlib

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing botocore
    import botocore

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.ironclad.aws.plugins.module_utils import route53_association as r53

# Route 53 answers PriorRequestNotComplete (or ConcurrentModification for authorizations)
# while an earlier change of the zone is still being applied.
RETRY = AWSRetry.jittered_backoff(
    retries=8, delay=3, catch_extra_error_codes=["PriorRequestNotComplete", "ConcurrentModification"]
)

CREDENTIAL_OPTIONS = dict(
    access_key=dict(type="str", aliases=["aws_access_key_id"], no_log=False),
    secret_key=dict(type="str", aliases=["aws_secret_access_key"], no_log=True),
    session_token=dict(type="str", aliases=["aws_session_token"], no_log=True),
    profile=dict(type="str", aliases=["aws_profile"]),
    region=dict(type="str"),
)


class Association:
    """The two accounts' clients and what they see of one zone and one VPC."""

    def __init__(self, module):
        self.module = module
        params = module.params
        creds = params["vpc_credentials"]
        self.vpc_region = (params["vpc_region"] or (creds or {}).get("region") or module.region or "").strip()
        problem = r53.input_problem(params["hosted_zone_id"], params["vpc_id"], self.vpc_region or None)
        if problem:
            module.fail_json(msg=problem)
        if not self.vpc_region:
            module.fail_json(msg="vpc_region is required: give it, vpc_credentials.region or the module's region")
        self._extra = vpc_connection_params(module, creds) if creds else {}
        self._clients = {}
        self.ctx = dict(
            hosted_zone_id=r53.zone_id(params["hosted_zone_id"]),
            vpc_id=params["vpc_id"].strip(),
            vpc_region=self.vpc_region,
        )

    def client(self, side, service):
        """Clients are made on first use: each costs a noticeable part of a short module run."""
        side = side if self._extra else "zone"  # without vpc_credentials both sides are one account
        extra = dict(self._extra) if side == "vpc" else {}
        if service == "ec2":
            extra["region"] = self.vpc_region
        key = (side, service)
        if key not in self._clients:
            self._clients[key] = self.module.client(service, retry_decorator=RETRY, **extra)
        return self._clients[key]

    def fail(self, e, step):
        error = e.response.get("Error", {})
        text = r53.explain_error(step, error.get("Code"), error.get("Message"), self.ctx)
        self.module.fail_json_aws(e, msg=text, failed_action=step, **self.result_base())

    def result_base(self):
        return {k: v for k, v in self.ctx.items() if v is not None}

    def accounts(self):
        try:
            self.ctx["zone_account_id"] = self.client("zone", "sts").get_caller_identity(aws_retry=True)["Account"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg="The zone account's credentials were refused by STS")
        if self.module.params["vpc_credentials"]:
            try:
                self.ctx["vpc_account_id"] = self.client("vpc", "sts").get_caller_identity(aws_retry=True)["Account"]
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                self.module.fail_json_aws(e, msg="The VPC account's credentials (vpc_credentials) were refused by STS")
        else:
            self.ctx["vpc_account_id"] = self.ctx["zone_account_id"]
        self.ctx["cross_account"] = self.ctx["zone_account_id"] != self.ctx["vpc_account_id"]

    def check_vpc(self):
        """The VPC must exist in vpc_region and belong to the account that will associate it."""
        try:
            vpcs = self.client("vpc", "ec2").describe_vpcs(aws_retry=True, VpcIds=[self.ctx["vpc_id"]])["Vpcs"]
        except botocore.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") == "InvalidVpcID.NotFound":
                self.module.fail_json(
                    msg="VPC {vpc_id} not found in {vpc_region} for account {vpc_account_id}: check vpc_region, and "
                    "give vpc_credentials of the VPC's account when it is not the zone's".format(**self.ctx),
                    **self.result_base(),
                )
            self.module.fail_json_aws(e, msg="Could not describe VPC {0}".format(self.ctx["vpc_id"]))
        except botocore.exceptions.BotoCoreError as e:
            self.module.fail_json_aws(e, msg="Could not describe VPC {0}".format(self.ctx["vpc_id"]))
        owner = vpcs[0].get("OwnerId")
        if owner and owner != self.ctx["vpc_account_id"]:
            self.module.fail_json(
                msg="VPC {0} belongs to account {1}, but the credentials that would associate it act in account {2}; "
                "give vpc_credentials of account {1}".format(self.ctx["vpc_id"], owner, self.ctx["vpc_account_id"]),
                **self.result_base(),
            )

    def hosted_zone(self):
        try:
            answer = self.client("zone", "route53").get_hosted_zone(aws_retry=True, Id=self.ctx["hosted_zone_id"])
        except botocore.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") == "NoSuchHostedZone":
                self.module.fail_json(
                    msg="Hosted zone {hosted_zone_id} not found in account {zone_account_id}: the module's own "
                    "credentials must be those of the zone's owner".format(**self.ctx),
                    **self.result_base(),
                )
            self.module.fail_json_aws(e, msg="Could not read hosted zone {0}".format(self.ctx["hosted_zone_id"]))
        except botocore.exceptions.BotoCoreError as e:
            self.module.fail_json_aws(e, msg="Could not read hosted zone {0}".format(self.ctx["hosted_zone_id"]))
        if not answer["HostedZone"].get("Config", {}).get("PrivateZone"):
            self.module.fail_json(
                msg="Hosted zone {0} ({1}) is public: only private zones are associated with VPCs".format(
                    self.ctx["hosted_zone_id"], answer["HostedZone"]["Name"]
                ),
                **self.result_base(),
            )
        self.ctx["hosted_zone_name"] = answer["HostedZone"]["Name"]
        return answer.get("VPCs", [])

    def authorized(self):
        """Whether the zone account has an authorization in place for this VPC."""
        try:
            paginator = self.client("zone", "route53").get_paginator("list_vpc_association_authorizations")
            pages = RETRY(paginator.paginate(HostedZoneId=self.ctx["hosted_zone_id"]).build_full_result)()
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(
                e, msg="Could not list the VPC association authorizations of {0}".format(self.ctx["hosted_zone_id"])
            )
        return r53.has_vpc(pages.get("VPCs"), self.ctx["vpc_id"], self.ctx["vpc_region"])

    def run(self, step):
        """Make one call; returns its ChangeInfo when it has one."""
        vpc = {"VPCId": self.ctx["vpc_id"], "VPCRegion": self.ctx["vpc_region"]}
        zone_id = self.ctx["hosted_zone_id"]
        client = self.client(r53.CALLER[step], "route53")
        try:
            if step == r53.CREATE_AUTHORIZATION:
                client.create_vpc_association_authorization(aws_retry=True, HostedZoneId=zone_id, VPC=vpc)
            elif step == r53.DELETE_AUTHORIZATION:
                client.delete_vpc_association_authorization(aws_retry=True, HostedZoneId=zone_id, VPC=vpc)
            else:
                kwargs = dict(HostedZoneId=zone_id, VPC=vpc)
                if self.module.params["comment"]:
                    kwargs["Comment"] = self.module.params["comment"]
                method = (
                    client.associate_vpc_with_hosted_zone
                    if step == r53.ASSOCIATE
                    else client.disassociate_vpc_from_hosted_zone
                )
                return method(aws_retry=True, **kwargs)["ChangeInfo"]
        except botocore.exceptions.ClientError as e:
            code = e.response.get("Error", {}).get("Code")
            if r53.already_done(step, code):
                return None
            raise
        return None

    def wait(self, step, change):
        client = self.client(r53.CALLER[step], "route53")
        timeout = self.module.params["wait_timeout"]
        try:
            client.get_waiter("resource_record_sets_changed").wait(
                Id=change["Id"], WaiterConfig=dict(Delay=10, MaxAttempts=max(1, timeout // 10))
            )
            return client.get_change(aws_retry=True, Id=change["Id"])["ChangeInfo"]
        except botocore.exceptions.WaiterError as e:
            self.module.fail_json_aws(
                e, msg="Change {0} was not INSYNC after {1} seconds".format(change["Id"], timeout), **self.result_base()
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg="Could not read change {0}".format(change["Id"]))


def vpc_connection_params(module, creds):
    """Client parameters for the VPC account; endpoint, CA bundle and config stay the module's."""
    keys = creds.get("access_key") or creds.get("secret_key") or creds.get("session_token")
    if creds.get("profile") and keys:
        module.fail_json(msg="vpc_credentials: give either a profile or keys, not both")
    if not creds.get("profile") and not (creds.get("access_key") and creds.get("secret_key")):
        module.fail_json(msg="vpc_credentials: give access_key and secret_key (and session_token), or a profile")
    return dict(
        aws_access_key_id=creds.get("access_key") or None,
        aws_secret_access_key=creds.get("secret_key") or None,
        aws_session_token=creds.get("session_token") or None,
        profile_name=creds.get("profile") or None,
    )


def main():
    argument_spec = dict(
        hosted_zone_id=dict(type="str", required=True),
        vpc_id=dict(type="str", required=True),
        vpc_region=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        vpc_credentials=dict(type="dict", options=CREDENTIAL_OPTIONS),
        cleanup_authorization=dict(type="bool", default=True),
        comment=dict(type="str"),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    assoc = Association(module)
    ctx = assoc.ctx

    assoc.accounts()
    zone_vpcs = assoc.hosted_zone()
    associated = r53.has_vpc(zone_vpcs, ctx["vpc_id"], ctx["vpc_region"])
    if params["state"] == "present" and not associated:
        assoc.check_vpc()
    authorized = False
    if r53.must_list_authorizations(params["state"], associated, ctx["cross_account"], params["cleanup_authorization"]):
        authorized = assoc.authorized()
    try:
        steps = r53.plan(
            params["state"],
            associated,
            len(zone_vpcs),
            ctx["cross_account"],
            authorized,
            params["cleanup_authorization"],
        )
    except r53.LastVpcError as e:
        module.fail_json(
            msg="Refusing to disassociate {0} from {1}: {2}".format(ctx["vpc_id"], ctx["hosted_zone_id"], e),
            **assoc.result_base(),
        )

    result = dict(assoc.result_base(), changed=bool(steps), actions=[r53.describe(s, ctx) for s in steps])
    result["associated"] = (params["state"] == "present") if steps else associated
    if module.check_mode or not steps:
        result["vpcs"] = camel_dict_to_snake_dict({"v": zone_vpcs})["v"]
        module.exit_json(**result)

    created = False
    for step in steps:
        try:
            change = assoc.run(step)
        except botocore.exceptions.ClientError as e:
            if created and params["cleanup_authorization"]:
                # Leave no authorization behind that this run created for an association that failed.
                try:
                    assoc.run(r53.DELETE_AUTHORIZATION)
                except botocore.exceptions.ClientError:
                    module.warn("The authorization created by this run could not be removed")
            assoc.fail(e, step)
        except botocore.exceptions.BotoCoreError as e:
            module.fail_json_aws(e, msg="{0} failed".format(step))
        created = created or step == r53.CREATE_AUTHORIZATION
        if change:
            if params["wait"]:
                change = assoc.wait(step, change)
            result["change_info"] = camel_dict_to_snake_dict(change)

    result["vpcs"] = camel_dict_to_snake_dict({"v": assoc.hosted_zone()})["v"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
