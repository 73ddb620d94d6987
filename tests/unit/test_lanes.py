"""scripts/lanes.py: which lane runs the steps that belong to none."""

import importlib.util
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("lanes", ROOT / "scripts/lanes.py")
lanes = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lanes)


def test_steps_after_any_belong_to_no_lane():
    assert lanes.split_args(["a b", "c", "--any", "d e"]) == ([["a", "b"], ["c"]], ["d", "e"])
    assert lanes.split_args(["a", " "]) == ([["a"]], [])


def run(monkeypatch, lane_steps, shared, seconds, failing=()):
    """The lanes side by side with steps that sleep; {step: lane index} of who ran what."""
    ran = {}

    def fake_step(step):
        time.sleep(seconds[step])
        return seconds[step], 1 if step in failing else 0

    monkeypatch.setattr(lanes, "run_step", fake_step)
    results = [[] for _ in lane_steps]
    threads = [
        threading.Thread(target=lanes.run_lane, args=(steps, out, shared))
        for steps, out in zip(lane_steps, results, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, out in enumerate(results):
        for step, _seconds, _rc in out:
            ran[step] = index
    return ran, results


def test_the_first_lane_done_takes_the_shared_step(monkeypatch):
    seconds = {"long": 0.4, "short": 0.05, "lab": 0.01}
    ran, _ = run(monkeypatch, [["long"], ["short"]], ["lab"], seconds)
    assert ran == {"long": 0, "short": 1, "lab": 1}
    # The same lanes when the other one is the long one (a cold build cache).
    seconds.update(long=0.05, short=0.4)
    ran, _ = run(monkeypatch, [["long"], ["short"]], ["lab"], seconds)
    assert ran["lab"] == 0


def test_each_shared_step_runs_once_and_a_failed_lane_still_takes_them(monkeypatch):
    seconds = {"bad": 0.01, "next": 0.01, "slow": 0.3, "x": 0.01, "y": 0.01}
    ran, results = run(monkeypatch, [["bad", "next"], ["slow"]], ["x", "y"], seconds, failing={"bad"})
    assert ran["x"] == ran["y"] == 0
    assert ("next", 0, "skipped") in results[0]
    steps = [step for out in results for step, _s, _rc in out]
    assert sorted(steps) == ["bad", "next", "slow", "x", "y"]
