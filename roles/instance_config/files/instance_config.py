"""Write per-instance settings from EC2 user data and instance tags to an env file.

Golden images are baked without per-instance values (bucket names, regions, ...);
at boot this reads `IRONCLAD_*` assignments from the user data and from instance
tags (IMDSv2) and writes them to an EnvironmentFile that the collection's services
read. Unreachable metadata (not on EC2) leaves the existing file untouched.
"""

import argparse
import os
import re
import sys
import tempfile
import urllib.error
import urllib.request

KEY = re.compile(r"^(?:export\s+)?(IRONCLAD_[A-Z0-9_]+)=(.*)$")
TAG_KEY = re.compile(r"^IRONCLAD_[A-Z0-9_]+$")
# Values end up in a systemd EnvironmentFile: keep them to one line of plain text.
SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.,:/@+=-]*$")


def parse_assignments(text: str) -> dict[str, str]:
    """IRONCLAD_* assignments from user data (plain KEY=VALUE lines or a shell script)."""
    found = {}
    for line in text.splitlines():
        match = KEY.match(line.strip())
        if not match:
            continue
        key, value = match.groups()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        found[key] = value
    return found


def validate(settings: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Split settings into the usable ones and one message per refused value."""
    good, problems = {}, []
    for key, value in sorted(settings.items()):
        if SAFE_VALUE.match(value):
            good[key] = value
        else:
            problems.append(f"refused {key}: value has characters outside [A-Za-z0-9_.,:/@+=-]")
    return good, problems


def render(settings: dict[str, str]) -> str:
    lines = ["# Written at boot by ironclad-instance-config from EC2 user data and tags."]
    lines += [f"{key}={value}" for key, value in sorted(settings.items())]
    return "\n".join(lines) + "\n"


class Imds:
    def __init__(self, endpoint: str, timeout: float):
        if not endpoint.startswith(("http://", "https://")):
            raise ValueError(f"metadata endpoint must be an http(s) URL, not {endpoint!r}")
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.token = self._request("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})

    def _request(self, method, path, headers):
        # The scheme is checked in __init__: only http(s) reaches urlopen.
        req = urllib.request.Request(self.endpoint + path, method=method, headers=headers)  # noqa: S310
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
            return resp.read().decode()

    def get(self, path: str) -> str | None:
        try:
            return self._request("GET", path, {"X-aws-ec2-metadata-token": self.token})
        except urllib.error.HTTPError as err:
            if err.code == 404:  # no user data, or tags not exposed to IMDS
                return None
            raise


def collect(imds: Imds, sources: list[str]) -> dict[str, str]:
    settings: dict[str, str] = {}
    if "tags" in sources:
        keys = imds.get("/latest/meta-data/tags/instance") or ""
        for key in filter(TAG_KEY.match, keys.split()):
            settings[key] = (imds.get(f"/latest/meta-data/tags/instance/{key}") or "").strip()
    if "user_data" in sources:
        # User data wins over tags: it is what the operator set for this launch.
        settings.update(parse_assignments(imds.get("/latest/user-data") or ""))
    return settings


def write_atomically(path: str, content: str) -> None:
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o755, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".instance-env.")
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="http://169.254.169.254")
    parser.add_argument("--env-file", default="/etc/ironclad/instance.env")
    parser.add_argument("--sources", default="user_data,tags")
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args(argv)

    if not args.endpoint.startswith(("http://", "https://")):
        parser.error(f"--endpoint must be an http(s) URL, not {args.endpoint!r}")
    try:
        settings = collect(Imds(args.endpoint, args.timeout), args.sources.split(","))
    except (OSError, urllib.error.URLError) as err:
        print(f"instance metadata not reachable at {args.endpoint} ({err}); keeping {args.env_file}", file=sys.stderr)
        return 0
    good, problems = validate(settings)
    for problem in problems:
        print(problem, file=sys.stderr)
    write_atomically(args.env_file, render(good))
    print(f"wrote {len(good)} setting(s) to {args.env_file}: {', '.join(good) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
