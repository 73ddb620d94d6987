"""A playbook around the given tasks whose modules (amazon.aws and this collection,
through their action groups) all talk to the test's moto server."""

PLAY = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/amazon.aws.aws: &moto
      endpoint_url: "{{{{ lookup('env', 'MOTO_URL') }}}}"
      region: us-east-1
    group/ironclad.aws.aws: *moto
  tasks:
{tasks}
"""


def play(tasks: str) -> str:
    return PLAY.format(tasks=tasks)
