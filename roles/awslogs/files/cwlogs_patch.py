"""Fix two faults of the pinned awscli-cwlogs 1.4.6 (2019) in place.

1. Replay after a restart. CloudWatch Logs has ignored sequence tokens since 2023: it
   accepts every PutLogEvents call and never answers DataAlreadyAcceptedException.
   The plugin records a batch in its state file *before* sending it and, after a
   restart, re-sends that batch with the old token, counting on that exception to drop
   it; today the batch arrives twice. The edit records the state after the batch was
   accepted and skips the replay. At-least-once delivery is kept: a crash between the
   send and the state write re-sends that one batch.
2. IMDSv2. The plugin asks for the instance id (for `{instance_id}` in group and stream
   names) with a plain GET on the metadata service. On an instance that requires
   session tokens (HttpTokens=required) that GET is refused, and the plugin names the
   stream after the host instead. The edit first asks for a token (PUT
   /latest/api/token with a TTL header) and sends it with the GET; only when the PUT
   gets no answer at all (an old metadata service, or a hop limit the answer does not
   survive) does it try the plain GET. The region comes from awscli.conf, never from
   the metadata service, so nothing else needs a token. (Credentials do too, but
   botocore already fetches them with a token.)

Run with the agent's Python. Prints one "patched: <edit>" line per edit it applied, or
"already patched" (exit 0); exits 2 naming the file when the code is neither the one
these edits were written for nor already edited. --check reports without writing.
"""

import importlib.util
import os
import sys

STATE_BEFORE = """\
        # A sequence token is from replay batch, or putLogEvents response
        if self.event_batch.is_replay:
            self.sequence_token = self.event_batch.sequence_token
        if self.publish_callback:
            self.publish_callback(self.event_batch, self.sequence_token)
"""
STATE_AFTER = """\
        # A sequence token is from replay batch, or putLogEvents response
        if self.event_batch.is_replay:
            # ironclad.aws: accepted before the restart (state is saved after the put).
            self.sequence_token = self.event_batch.sequence_token
            self.event_batch = None
            return
"""
PUT_BEFORE = """\
        self.sequence_token = self._put_log_events(self.event_batch)
        self.event_batch = None
"""
PUT_AFTER = """\
        self.sequence_token = self._put_log_events(self.event_batch)
        # ironclad.aws: the state file only ever names batches CloudWatch accepted.
        if self.publish_callback:
            self.publish_callback(self.event_batch, self.sequence_token)
        self.event_batch = None
"""
IMDS_BEFORE = """\
    def _instance_id(self):
        try:
            # Times out after 5 seconds
            response = requests.get(self.INSTANCE_ID_URL, timeout=5)
            if response.status_code == 200:
                return response.text
        except Exception:
            return None
"""
IMDS_AFTER = """\
    def _instance_id(self):
        # ironclad.aws: IMDSv2 first (a session token from a PUT, sent with the GET);
        # the plain IMDSv1 GET only when the PUT gets no answer at all.
        base = self.INSTANCE_ID_URL.split('/latest/', 1)[0]
        headers = {}
        try:
            answer = requests.put(base + '/latest/api/token', timeout=5, headers={
                'X-aws-ec2-metadata-token-ttl-seconds': '21600'})
        except Exception:
            answer = None
        if answer is not None:
            if answer.status_code != 200:
                logger.warning('The metadata service refused a session token (%s).',
                               answer.status_code)
                return None
            headers['X-aws-ec2-metadata-token'] = answer.text
        try:
            # Times out after 5 seconds
            response = requests.get(self.INSTANCE_ID_URL, timeout=5, headers=headers)
            if response.status_code == 200:
                return response.text
        except Exception:
            return None
"""

# (what it fixes, the code as released, the code as edited)
EDITS = [
    ("state saved after the put, no replay", STATE_BEFORE, STATE_AFTER),
    ("state saved after the put, no replay", PUT_BEFORE, PUT_AFTER),
    ("instance id with an IMDSv2 session token", IMDS_BEFORE, IMDS_AFTER),
]


class UnknownCode(Exception):
    """The plugin's code is neither the released 1.4.6 nor already edited."""


def patch(source):
    """Return (edited source, names of the edits applied now). Each edit is applied
    once: already edited code is left as it is, so hosts patched by an older version of
    this script get only the edits they lack."""
    applied = []
    for name, before, after in EDITS:
        if after in source:
            continue
        if source.count(before) != 1:
            raise UnknownCode(name)
        source = source.replace(before, after)
        if name not in applied:
            applied.append(name)
    return source, applied


def main():
    # Located, not imported: the plugin only imports inside the AWS CLI, which provides
    # botocore (awscli 1.44+ vendors it).
    spec = importlib.util.find_spec("cwlogs")
    if spec is None:
        print("the awscli-cwlogs plugin is not installed in this Python", file=sys.stderr)
        return 2
    path = os.path.join(spec.submodule_search_locations[0], "push.py")
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    try:
        edited, applied = patch(source)
    except UnknownCode as e:
        print(f"{path} is not the awscli-cwlogs 1.4.6 code the fix '{e}' was written for", file=sys.stderr)
        return 2
    if not applied:
        print("already patched")
        return 0
    if "--check" not in sys.argv:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(edited)
    for name in applied:
        print("patched: " + name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
