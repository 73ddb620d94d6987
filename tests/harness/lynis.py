"""Reading a lynis run: its report file (hardening index, warnings, suggestions) and its
log, where each test's hardening points are written as it goes. One parser for the
host_hardening scenario's test and benchmarks/bench_lynis.py."""

import re
from collections import Counter
from dataclasses import dataclass, field

REPORT = "/tmp/ironclad-lynis-report.dat"
LOG = "/tmp/ironclad-lynis.log"
# lynis audit system --quick, with its report and log where the caller reads them.
COMMAND = f"lynis audit system --quick --no-colors --report-file {REPORT} --log-file {LOG}"

_TEST = re.compile(r"Performing test ID (\S+)")
_FULL = re.compile(r"Hardening: assigned maximum number of hardening points for this item \((\d+)\)")
_PARTIAL = re.compile(r"Hardening: assigned partial number of hardening points \((\d+) of (\d+)\)")


@dataclass
class LynisRun:
    index: int
    warnings: list[str]
    suggestions: list[str]
    points: Counter = field(default_factory=Counter)
    max_points: Counter = field(default_factory=Counter)

    def lost(self) -> dict[str, int]:
        """Points each test id did not get, largest first."""
        lost = {t: self.max_points[t] - self.points[t] for t in self.max_points}
        return dict(sorted(((t, n) for t, n in lost.items() if n), key=lambda item: (-item[1], item[0])))


def parse(report: str, log: str = "") -> LynisRun:
    values, warnings, suggestions = {}, [], []
    for line in report.splitlines():
        key, _, value = line.partition("=")
        if key == "warning[]":
            warnings.append(value.split("|")[0])
        elif key == "suggestion[]":
            suggestions.append(value.split("|")[0])
        elif value:
            values[key] = value
    run = LynisRun(int(values.get("hardening_index", "0")), warnings, suggestions)
    test = "(none)"
    for line in log.splitlines():
        if match := _TEST.search(line):
            test = match.group(1)
        elif match := _FULL.search(line):
            run.points[test] += int(match.group(1))
            run.max_points[test] += int(match.group(1))
        elif match := _PARTIAL.search(line):
            run.points[test] += int(match.group(1))
            run.max_points[test] += int(match.group(2))
    return run


def summary(run: LynisRun) -> str:
    lost = ", ".join(f"{t} -{n}" for t, n in run.lost().items())
    return (
        f"hardening index {run.index} ({sum(run.points.values())} of {sum(run.max_points.values())} points),"
        f" warnings {run.warnings or 0}; points not given: {lost or 'none'}"
    )
