# Managed by Ansible (role ironclad.aws.egress_proxy).
"""What enforce mode would refuse: reads Squid's access log as the role writes it and
prints, per scheme, each name that passed only because the proxy runs in report mode,
with how many requests (HTTP) or connections (HTTPS) used it, most used first.

The access log's format is the role's logformat `egress`: space-separated fields
ending in key=value tokens. This script reads only the tokens named below; squid.conf
writes them (the annotation comes from its report-mode ACLs), and a unit test renders
squid.conf and checks it against these names."""

import argparse
import collections
import gzip
import sys

ACCESS_LOG = "/var/log/squid/access.log"
# The annotation report mode adds (Squid's %note{NOTE}), and its values.
NOTE = "egress_report"
REPORT_KEY = "report"  # logged as report=%note{egress_report}
SNI_KEY = "sni"  # logged as sni=%ssl::>sni
HOST_KEY = "host"  # logged as host=%>rd (the Host of an HTTP request)
SCHEMES = {"http": HOST_KEY, "https": SNI_KEY}


def tokens(line):
    """The key=value tokens of one access log line."""
    fields = {}
    for word in line.split():
        key, sep, value = word.partition("=")
        if sep:
            fields[key] = value
    return fields


def would_refuse(lines):
    """Counts (scheme, name) of the lines report mode let through."""
    counts = collections.Counter()
    for line in lines:
        fields = tokens(line)
        scheme = fields.get(REPORT_KEY)
        if scheme not in SCHEMES:
            continue
        name = fields.get(SCHEMES[scheme], "-").lower()
        counts[(scheme, name)] += 1
    return counts


def render(counts):
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    out = [f"{'count':>8}  {'scheme':<6} name"]
    out.extend(f"{count:>8}  {scheme:<6} {name}" for (scheme, name), count in rows)
    return "\n".join(out) + "\n"


def read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        yield from f


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="egress-proxy-report",
        description="Names the egress proxy let through in report mode that enforce mode would refuse.",
    )
    parser.add_argument(
        "logs", nargs="*", default=[ACCESS_LOG], help="access logs, rotated .gz ones too (default %(default)s)"
    )
    args = parser.parse_args(argv)
    counts = collections.Counter()
    for path in args.logs:
        try:
            counts.update(would_refuse(read(path)))
        except OSError as error:
            sys.stderr.write(f"egress-proxy-report: {path}: {error.strerror}\n")
            return 1
    sys.stdout.write(render(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
