"""Make awscli-cwlogs resume after a restart without sending a batch twice.

CloudWatch Logs has ignored sequence tokens since 2023: it accepts every PutLogEvents
call and never answers DataAlreadyAcceptedException. awscli-cwlogs (last released in
2019) records a batch in its state file *before* sending it and, after a restart,
re-sends that batch with the old token, counting on that exception to drop it; today
the batch arrives twice. This edit records the state after the batch was accepted and
skips the replay. At-least-once delivery is kept: a crash between the send and the
state write re-sends that one batch.

Run with the agent's Python. Prints "patched", "already patched" (exit 0), or exits 2
naming the file when the code is not the one this edit was written for. --check
reports without writing.
"""

import importlib.util
import os
import sys

MARK = "# ironclad.aws:"
BEFORE = """\
        # A sequence token is from replay batch, or putLogEvents response
        if self.event_batch.is_replay:
            self.sequence_token = self.event_batch.sequence_token
        if self.publish_callback:
            self.publish_callback(self.event_batch, self.sequence_token)
"""
AFTER = """\
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


def main() -> int:
    # Located, not imported: the plugin only imports inside the AWS CLI, which provides
    # botocore (awscli 1.44+ vendors it).
    spec = importlib.util.find_spec("cwlogs")
    if spec is None:
        print("the awscli-cwlogs plugin is not installed in this Python", file=sys.stderr)
        return 2
    path = os.path.join(spec.submodule_search_locations[0], "push.py")
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    if AFTER in source and PUT_AFTER in source:
        print("already patched")
        return 0
    if source.count(BEFORE) != 1 or source.count(PUT_BEFORE) != 1:
        print(f"{path} is not the awscli-cwlogs 1.4.6 code this fix was written for", file=sys.stderr)
        return 2
    if "--check" not in sys.argv:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(source.replace(BEFORE, AFTER).replace(PUT_BEFORE, PUT_AFTER))
    print("patched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
