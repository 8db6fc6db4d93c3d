"""Shows the data a config yields for one training stage: the mixture achieved vs its target, filter and skip
counts, and a few decoded rows with their segment boundaries.

    python tools/inspect_data.py --config=configs/aligned_upsample.py
    python tools/inspect_data.py --config=configs/filtered.py --stage=midtrain --batches=50 --samples=2
    python tools/inspect_data.py --config=configs/baseline.py --validate   # read every record, report bad ones

Counts cover the first --batches global batches (process 0 of 1). In the decoded rows, each segment starts with
a marker [segment · source · position of its first token]; a piece that starts at position 0 of a row may be
the continuation of a document from the previous row.
"""
from __future__ import annotations

import collections
import sys
import time
from pathlib import Path

from absl import app, flags
from ml_collections import config_flags

from midalign_jax.data import (
    BadRecordError,
    MixtureSchedule,
    data_settings,
    load_tokenizer,
    make_train_iterator,
    open_source,
)
from midalign_jax.errors import run_absl_main

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # config files import `configs.common`

_CONFIG = config_flags.DEFINE_config_file("config", None, "Experiment config file (configs/*.py).",
                                          lock_config=True)
_STAGE = flags.DEFINE_string("stage", "midtrain", "Which stage's mixture, batch size and seq_len to use.")
_BATCHES = flags.DEFINE_integer("batches", 100, "Global batches to draw for the counts.")
_SAMPLES = flags.DEFINE_integer("samples", 3, "Rows of the first batch to print decoded.")
_CHARS = flags.DEFINE_integer("chars", 160, "Characters shown per segment in the decoded rows.")
_VALIDATE = flags.DEFINE_bool("validate", False, "Read every record of the active sources and report bad ones.")
flags.mark_flags_as_required(["config"])


def _table(header: list[str], rows: list[list]) -> str:
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([line(cells[0]), line(["-" * w for w in widths])] + [line(r) for r in cells[1:]])


def _decoded_row(tok, batch, row: int, names, chars: int) -> str:
    tokens, seg, src = batch["tokens"][row], batch["segment_ids"][row], batch["source_ids"][row]
    parts = []
    for s in range(1, int(seg.max()) + 1):
        idx = (seg == s).nonzero()[0]
        text = tok.decode(tokens[idx])
        shown = text if len(text) <= chars else text[:chars] + f"... (+{len(text) - chars} chars)"
        parts.append(f"  [{s} · {names[src[idx[0]]]} · {idx[0]}] {shown!r}")
    pad = int((seg == 0).sum())
    return "\n".join(parts + ([f"  [padding · {pad} tokens]"] if pad else []))


def _validate(settings, names) -> None:
    print("\nvalidating every record:")
    for name in names:
        source = open_source(settings.source(name), settings)
        bad, examples = collections.Counter(), []
        for i in range(len(source)):
            try:
                source[i]
            except BadRecordError as e:
                bad[e.reason] += 1
                if len(examples) < 5:
                    examples.append(str(e))
        print(f"  {name}: {len(source)} records, {sum(bad.values())} bad {dict(bad) if bad else ''}")
        for e in examples:
            print(f"    {e}")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    config = _CONFIG.value
    if _STAGE.value not in config or "mixture" not in config[_STAGE.value]:
        raise app.UsageError(f"--stage={_STAGE.value}: the config has no such training stage with a mixture")
    stage = config[_STAGE.value]
    settings = data_settings(config.data)
    tok = load_tokenizer(settings.tokenizer, settings.cache_dir)
    schedule = MixtureSchedule(dict(stage.mixture), stage.mixture_schedule, known=settings.sources)
    print(f"arm {config.arm}, stage {_STAGE.value}: {stage.batch_size} rows x {stage.seq_len} tokens per batch, "
          f"tokenizer {settings.tokenizer} ({len(tok)} tokens)")
    print(f"mixture (token fractions) {schedule.describe()}")
    if settings.filter_sources:
        print(f"blocklist {settings.blocklist or '(bundled world blocklist)'} on {', '.join(settings.filter_sources)}")
    if settings.conditional_tags:
        print("conditional tags " + ", ".join(f"{k}={v}" for k, v in settings.conditional_tags.items()))

    t0 = time.perf_counter()
    it = make_train_iterator(config.data, tok, mixture=stage.mixture, mixture_schedule=stage.mixture_schedule,
                             seq_len=stage.seq_len, global_batch_size=stage.batch_size, seed=config.seed)
    first = next(it)
    for _ in range(_BATCHES.value - 1):
        next(it)
    seconds = time.perf_counter() - t0
    stats = it.stats()
    total = sum(s.tokens for s in stats)
    print(f"\nover {_BATCHES.value} batches ({total:,} tokens, {total / seconds:,.0f} tokens/s including startup):")
    rows = [[s.name, settings.source(s.name).path, f"{s.docs:,}", f"{s.tokens:,}", f"{s.fraction:.4f}",
             f"{s.target:.4f}", f"{s.fraction - s.target:+.4f}", s.filtered,
             ", ".join(f"{k}={v}" for k, v in s.skipped.items()) or 0] for s in stats]
    print(_table(["source", "path", "docs", "tokens", "achieved", "target", "diff", "filtered", "skipped"], rows))
    for row in range(min(_SAMPLES.value, first["tokens"].shape[0])):
        print(f"\nbatch 0, row {row}:")
        print(_decoded_row(tok, first, row, it.source_names, _CHARS.value))
    it.close()
    if _VALIDATE.value:
        _validate(settings, schedule.active_sources())


if __name__ == "__main__":
    run_absl_main(main, prog="tools/inspect_data.py")
