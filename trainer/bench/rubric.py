"""How good and how fast the rubric judge is: ``uv run python -m trainer.bench rubric``.

Accuracy is measured on the measuring batches of the labelled corpus
(``tests/data/rubric/m1`` ... ``m10``, the recogniser copy ``m1-asr`` and the old corpus's
``<drill>-hNNN`` items), written by hands that never saw the judge. The shipped judge never
learned from m6-m10 and the ``-hNNN`` items; m1-m5 and m1-asr joined its training data once
their first scores were on record (sessions 10 and 12, ``tools/train_judge.py --retire``), so
on them a figure guards against regressions and is not an accuracy. Only
aggregates are printed (balanced accuracy per criterion and overall), never an item or a
mistake, so a measurement does not teach anyone where the judge fails. Feature or benefit is
measured on the same batches' statements. Speed: model load, a 250-word transcript never
scored before, 1,000 transcripts in one batch, and the memory the judge adds.

``--sets`` picks batches; ``--models DIR`` measures the two files a training run wrote
(``tools/train_judge.py --out DIR``) instead of the shipped ones, so a candidate is compared
on the same items before it replaces them; ``--uncalibrated`` leaves out a folder's
per-criterion offsets (``tools/calibrate_judge.py``; the shipped folder has none).
"""

from __future__ import annotations

import json
import platform
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.bench.evaluation import CORPUS_DIR, RUBRIC_DRILLS, Confusion
from trainer.rubric.drills import DrillLibrary, Scenario, parse_scenario
from trainer.rubric.judge import ENCODER_MODEL, HEAD_MODEL, LOWERCASE_WEIGHT, Judge

MEASURING = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10", "m1-asr",
             "corpus-h")
# Measuring batches the shipped judge was trained on after their first scores (sessions 10
# and 12, ``tools/train_judge.py --retire``; assets/README.md): its figures there are no
# accuracy.
RETIRED = ("m1", "m2", "m3", "m4", "m5", "m1-asr")


@dataclass(frozen=True)
class Labelled:
    drill: str
    transcript: str
    scenario: Scenario | None
    labels: dict[str, bool]


def batch_scenarios(folder: Path, library: DrillLibrary) -> dict[str, Scenario]:
    """The bundled scenarios, and a batch folder's own (its ``scenarios.jsonl``) by id."""
    known = {s.id: s for s in library.scenarios()}
    path = folder / "scenarios.jsonl"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                data = json.loads(line)
                known[data["id"]] = parse_scenario(data, path.name, data["id"])
    return known


def labelled(name: str, library: DrillLibrary, corpus: Path = CORPUS_DIR
             ) -> Iterator[Labelled]:
    """The transcripts of one batch: a folder name, or ``corpus-h`` (the old corpus's
    measuring-only items)."""
    folder = corpus if name == "corpus-h" else corpus / name
    scenarios = batch_scenarios(folder, library)
    for drill in RUBRIC_DRILLS:
        path = folder / f"{drill}.jsonl"
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            data = json.loads(line)
            if name == "corpus-h" and "-h" not in data["id"]:
                continue
            yield Labelled(drill, data["transcript"], scenarios.get(str(data.get("scenario"))),
                           {k: bool(v) for k, v in data["labels"].items()})


def statements(name: str, corpus: Path = CORPUS_DIR) -> list[tuple[str, bool]]:
    """(text, is a benefit) of one batch's feature-or-benefit statements."""
    path = corpus / name / "feature_benefit.jsonl"
    if name == "corpus-h" or not path.is_file():
        return []
    return [(d["text"], d["label"] == "benefit") for d in
            (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip())]


def measure_rubric(name: str, library: DrillLibrary, judge: Any = None
                   ) -> dict[tuple[str, str], Confusion]:
    from trainer.rubric.scoring import score_transcript

    per: dict[tuple[str, str], Confusion] = {}
    for item in labelled(name, library):
        card = score_transcript(library.drill(item.drill), item.transcript, item.scenario, judge)
        met = {c.id: c.met for c in card.criteria}
        for criterion, truth in item.labels.items():
            per.setdefault((item.drill, criterion), Confusion()).add(truth, met[criterion])
    return per


def measure_feature_benefit(name: str, judge: Any = None) -> Confusion:
    """Benefit is the positive class: its recall is ``tp / (tp + fn)``."""
    from trainer.rubric.classify import FeatureBenefitJudge

    fb = FeatureBenefitJudge(judge)
    confusion = Confusion()
    for text, benefit in statements(name):
        confusion.add(benefit, fb.classify(text).label == "benefit")
    return confusion


def _recall(c: Confusion) -> float:
    return c.tp / (c.tp + c.fn) if c.tp + c.fn else 1.0


def heading(name: str, models: Path | None) -> str:
    """A batch's name as the report gives it: the shipped judge's training batches say so."""
    if models is None and name in RETIRED:
        return f"{name} (the shipped judge was trained on it: a regression guard, not accuracy)"
    return name


@dataclass(frozen=True)
class JudgeChoice:
    """Which judge a benchmark measures.

    Attributes:
        models: a training run's folder (``tools/train_judge.py --out``); the shipped models
            when None.
        lowercase_weight: the share of each verdict from the heard reading; the app's when
            None.
        calibrated: add the folder's per-criterion offsets (``judge-calibration.json``), as
            the app does; False measures the head's own lines.
    """

    models: Path | None = None
    lowercase_weight: float | None = None
    calibrated: bool = True

    @property
    def as_the_app(self) -> bool:
        return self.models is None and self.lowercase_weight is None and self.calibrated


AS_THE_APP = JudgeChoice()


def bench_judge(choice: JudgeChoice = AS_THE_APP, fresh: bool = False) -> Judge:
    """The judge a benchmark measures: the app's own (unless ``fresh``, so loading is
    measured) or the one ``choice`` describes."""
    from trainer.rubric.calibration import Calibration
    from trainer.rubric.scoring import default_judge

    weight = LOWERCASE_WEIGHT if choice.lowercase_weight is None else choice.lowercase_weight
    if choice.models:
        return Judge.from_folder(choice.models, weight, choice.calibrated)
    if fresh or not choice.as_the_app:
        return Judge(lowercase_weight=weight,
                     calibration=None if choice.calibrated else Calibration.none())
    return default_judge()


def describe(judge: Judge, choice: JudgeChoice) -> str:
    """Which models and which reading a report is about."""
    source = f"models from {choice.models}" if choice.models else "the shipped models"
    offsets = len(judge.calibration.offsets())
    calibration = (f"{offsets} criteria calibrated" if offsets else "no calibration")
    if judge.lowercase_weight:
        return (f"{source}, read as written and as heard (lowercase weight "
                f"{judge.lowercase_weight:g}), {calibration}")
    return f"{source}, read as written, {calibration}"


def report_accuracy(sets: tuple[str, ...] = MEASURING, choice: JudgeChoice = AS_THE_APP
                    ) -> None:
    library = DrillLibrary()
    judge = bench_judge(choice)
    print(describe(judge, choice))
    print(f"rubric judge on the measuring batches ({platform.machine()}, "
          f"{platform.python_version()}); aggregates only")
    for name in sets:
        per = measure_rubric(name, library, judge)
        if not per:
            continue
        total = Confusion()
        for confusion in per.values():
            total.merge(confusion)
        values = {k: c.balanced_accuracy for k, c in per.items()}
        worst = min(values, key=lambda k: values[k])
        print(f"\n{heading(name, choice.models)}: balanced accuracy {total.balanced_accuracy:.3f} "
              f"over {total.total} judgements; mean over criteria "
              f"{statistics.mean(values.values()):.3f}; lowest {worst[0]}/{worst[1]} "
              f"{values[worst]:.3f}")
        for (drill, criterion), value in sorted(values.items()):
            print(f"  {drill:16} {criterion:20} n={per[(drill, criterion)].total:4d} "
                  f"balanced {value:.3f}")
        fb = measure_feature_benefit(name, judge)
        if fb.total:
            print(f"  feature/benefit: balanced accuracy {fb.balanced_accuracy:.3f} over "
                  f"{fb.total} statements, benefit recall {_recall(fb):.3f}")


def _texts(count: int, words: int = 250) -> list[str]:
    """``count`` different ``words``-word texts from the training transcripts, in order (each
    new to the judge's cache, as a new take is)."""
    pool: list[str] = []
    for folder in sorted(p for p in CORPUS_DIR.iterdir() if p.is_dir() and p.name[0] == "t"):
        for drill in RUBRIC_DRILLS:
            path = folder / f"{drill}.jsonl"
            if path.is_file():
                pool += [w for line in path.read_text(encoding="utf-8").splitlines()
                         if line.strip() for w in json.loads(line)["transcript"].split()]
    return [" ".join(pool[i * words:(i + 1) * words]) for i in range(count)
            if (i + 1) * words <= len(pool)]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report_speed(batch_size: int = 1000, choice: JudgeChoice = AS_THE_APP) -> None:
    from trainer.rubric.judge import split_windows
    from trainer.rubric.scoring import normalise, score_transcript

    library = DrillLibrary()
    drill = library.drill("value_prop")
    scenario = library.scenario("northwind-finance")
    before = _rss_mb()
    judge = bench_judge(choice, fresh=True)
    load_s = judge.load()
    texts = _texts(60)
    times = []
    for text in texts[:30]:
        started = time.perf_counter()
        score_transcript(drill, text, scenario, judge)
        times.append((time.perf_counter() - started) * 1000)
    # Stop in the app: the take's windows were embedded while the seller spoke (LiveTake's
    # prefetch); only the last sentence is new when the scorecard is made.
    stop_times = []
    for text in texts[30:60]:
        judge.encoder.embed([w.plain for w in split_windows(normalise(text))
                             + judge.heard_windows(normalise(text))])
        finished = text + " And that is what we would change for you."
        started = time.perf_counter()
        score_transcript(drill, finished, scenario, judge)
        stop_times.append((time.perf_counter() - started) * 1000)
    batch = [item for name in ("t1", "t2", "t3", "t4") for item in labelled(name, library)]
    batch = batch[:batch_size]
    words = statistics.mean(len(item.transcript.split()) for item in batch)
    started = time.perf_counter()
    for item in batch:
        score_transcript(library.drill(item.drill), item.transcript, item.scenario, judge)
    batch_s = time.perf_counter() - started
    print(f"\nspeed ({platform.machine()}; {describe(judge, choice)}): judge load "
          f"{load_s:.2f} s; a 250-word transcript never scored before: median "
          f"{statistics.median(times):.0f} ms, max "
          f"{max(times):.0f} ms ({len(times)} transcripts); after Stop (windows embedded while "
          f"speaking): median {statistics.median(stop_times):.0f} ms; {len(batch)} "
          f"transcripts (mean {words:.0f} words) in {batch_s:.1f} s; peak memory "
          f"+{_rss_mb() - before:.0f} MB")


def bad_request(sets: tuple[str, ...], choice: JudgeChoice) -> str | None:
    """One sentence on what is wrong with the batches, the model folder or the reading asked
    for."""
    models, lowercase_weight = choice.models, choice.lowercase_weight
    if lowercase_weight is not None and not 0.0 <= lowercase_weight <= 1.0:
        return (f"--lowercase-weight is a share from 0 to 1 (0 reads the words as written "
                f"only), not {lowercase_weight:g}.")
    unknown = [name for name in sets
               if name != "corpus-h" and not (CORPUS_DIR / name).is_dir()]
    if unknown:
        known = sorted(p.name for p in CORPUS_DIR.iterdir() if p.is_dir())
        return (f"There is no batch {', '.join(unknown)} under {CORPUS_DIR}; the batches are "
                f"{', '.join(known)} and corpus-h.")
    if models is not None:
        missing = [name for name in (ENCODER_MODEL.name, HEAD_MODEL.name)
                   if not (models / name).is_file()]
        if missing:
            return (f"{models} has no {' or '.join(missing)}: give the folder a training run "
                    "wrote (tools/train_judge.py --out).")
    return None


def main(speed_only: bool = False, accuracy_only: bool = False,
         sets: tuple[str, ...] = MEASURING, choice: JudgeChoice = AS_THE_APP) -> int:
    problem = bad_request(sets, choice)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if not speed_only:
        report_accuracy(sets, choice)
    if not accuracy_only:
        report_speed(choice=choice)
    return 0
