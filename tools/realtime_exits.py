"""Run ``trainer score --realtime`` many times and count how each process ended.

Issue 14 saw 1 of 9 runs end in a segmentation fault after the scorecard was written (a model
pass still running while the interpreter tore down). This runs the real command N times, one
after another, and prints the exit codes and whether stderr held a crash report::

    uv run python tools/realtime_exits.py --runs 50 [--model base] [--audio FILE]

``--pythonpath DIR`` runs another copy of the code (e.g. an exported older commit) with this
environment, for before/after counts. Slow on purpose: each run plays the file at real speed.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRASH_MARKS = ("Segmentation fault", "Fatal Python error", "Traceback", "terminate called",
               "Aborted")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--model", default=None, help="default: the CLI's own default")
    parser.add_argument("--audio", type=Path,
                        default=ROOT / "tests" / "data" / "speech" / "agenda_weak.wav")
    parser.add_argument("--pythonpath", type=Path, help="run the trainer package found here")
    parser.add_argument("--log", type=Path, help="append one JSON line per run here")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.pythonpath:
        env["PYTHONPATH"] = str(args.pythonpath)
    command = [sys.executable, "-X", "faulthandler", "-m", "trainer", "score", "--drill",
               "agenda", "--scenario", "northwind-finance", "--audio", str(args.audio),
               "--realtime", "--json"]
    if args.model:
        command += ["--model", args.model]
    codes: collections.Counter[int] = collections.Counter()
    crashes = 0
    for n in range(1, args.runs + 1):
        started = time.monotonic()
        result = subprocess.run(command, capture_output=True, text=True, env=env,
                                cwd=args.pythonpath or ROOT, timeout=600)
        crashed = [m for m in CRASH_MARKS if m in result.stderr]
        wrote_card = result.stdout.strip().startswith("{")
        codes[result.returncode] += 1
        crashes += bool(crashed)
        record = {"run": n, "exit": result.returncode, "card": wrote_card, "crash": crashed,
                  "s": round(time.monotonic() - started, 1)}
        if crashed or result.returncode != 0:
            record["stderr_tail"] = result.stderr[-600:]
        line = json.dumps(record)
        print(line, flush=True)
        if args.log:
            with open(args.log, "a", encoding="utf-8") as log:
                log.write(line + "\n")
    print(f"exit codes over {args.runs} runs: {dict(sorted(codes.items()))}; "
          f"runs with a crash report on stderr: {crashes}", flush=True)
    return 0 if set(codes) == {0} and crashes == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
