"""Training, SFT and eval batches: the entry points the trainer calls.

    it = make_train_iterator(config.data, tokenizer, mixture=config.midtrain.mixture,
                             mixture_schedule=config.midtrain.mixture_schedule, seq_len=256,
                             global_batch_size=32, process_index=jax.process_index(),
                             process_count=jax.process_count(), seed=config.seed)
    batch = next(it)          # this process's rows: dict of [32 / process_count, 256] arrays (see packing.py)
    state = it.get_state()    # JSON-serialisable; save it with the checkpoint
    it.set_state(state)       # continues with exactly the batches that would have come next

The global batch is the concatenation of the processes' batches in process order, and is the same whatever
the number of processes (see mixture.py). Batches are prepared ahead in a background thread (grain's thread
prefetch, `data.prefetch` batches); the state always describes the batches handed out, never those prefetched.
"""
from __future__ import annotations

import dataclasses
import weakref
from pathlib import Path
from typing import Any, Mapping, Sequence

import grain
import numpy as np
from grain.experimental import ThreadPrefetchIterDataset

from midalign_jax.data.encoding import DocumentEncoder
from midalign_jax.data.errors import DataError, log
from midalign_jax.data.mixture import Lane, SourceStream
from midalign_jax.data.packing import pack_sequential, stack_rows
from midalign_jax.data.resolve import open_source
from midalign_jax.data.schedule import MixtureSchedule
from midalign_jax.data.settings import DataSettings, data_settings

STATE_VERSION = 1


def load_blocklist(spec: str):
    """The `.matches(text)` of the bundled world blocklist ("") or of the blocklist file at `spec`."""
    from midalign_jax import world
    from midalign_jax.world import blocklist as world_blocklist

    path = Path(spec).expanduser() if spec else world.blocklist_path()
    if not path.is_file():
        raise DataError(f"data.blocklist: {path} does not exist")
    return world_blocklist.load(path).matches


def _pad_id(tokenizer) -> int:
    return int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id)


def open_streams(settings: DataSettings, encoder: DocumentEncoder, names: Sequence[str], *, seed: int,
                 blocklist=None) -> dict[str, SourceStream]:
    streams = {}
    for name in names:
        spec = settings.source(name)
        tag = settings.conditional_tags.get(name)
        tag_ids = [encoder.token_id(tag, what=f"data.conditional_tags ({name}={tag})")] if tag else []
        use_blocklist = name in settings.filter_sources
        if use_blocklist and blocklist is None:
            blocklist = load_blocklist(settings.blocklist)
        streams[name] = SourceStream(name, open_source(spec, settings), encoder, seed=seed,
                                     heldout_fraction=settings.heldout_fraction,
                                     on_bad_record=settings.on_bad_record,
                                     blocklist=blocklist if use_blocklist else None, tag_ids=tag_ids)
        log.info("source %s: %s, %d training records, %d held out%s%s", name, streams[name].source,
                 len(streams[name].train_indices), len(streams[name].heldout_indices),
                 ", blocklist-filtered" if use_blocklist else "", f", tagged {tag}" if tag else "")
    return streams


# ------------------------------------------------------------------------------------------ statistics
@dataclasses.dataclass
class SourceStats:
    name: str
    docs: int            # documents started (continuations not counted again)
    tokens: int          # tokens placed in rows
    fraction: float      # tokens / all tokens
    target: float        # the schedule's weights averaged over the steps so far (the fraction aimed at)
    filtered: int        # documents removed by the blocklist (and replaced)
    skipped: dict        # bad records skipped, by reason


def mixture_stats(state: Mapping[str, Any], schedule: MixtureSchedule) -> list[SourceStats]:
    """Per-source counts of this process's lanes, from an iterator state (so they match the batches handed out)."""
    lanes = list(state["lanes"].values())
    S = len(schedule.source_names)
    tokens = np.sum([lane["emitted"] for lane in lanes], axis=0) if lanes else np.zeros(S)
    total = max(1, int(tokens.sum()))
    target = schedule.mean_weights(int(state["start_step"]), int(state["step"]))
    out = []
    for s, name in enumerate(schedule.source_names):
        skipped: dict[str, int] = {}
        for lane in lanes:
            for reason, n in lane["skipped"][s].items():
                skipped[reason] = skipped.get(reason, 0) + n
        out.append(SourceStats(name, int(sum(lane["docs"][s] for lane in lanes)), int(tokens[s]),
                               float(tokens[s]) / total, float(target[s]),
                               int(sum(lane["filtered"][s] for lane in lanes)), skipped))
    return out


# ------------------------------------------------------------------------------------------ iterators
class _LanesIterator(grain.DatasetIterator):
    def __init__(self, lanes: list[Lane], meta: dict, start_step: int):
        super().__init__()
        self._lanes = lanes
        self._meta = meta
        self._start_step = start_step
        self._step = start_step

    def __next__(self) -> dict[str, np.ndarray]:
        rows = [lane.next_row(self._step) for lane in self._lanes]
        self._step += 1
        return stack_rows(rows)

    def get_state(self) -> dict[str, Any]:
        return {**self._meta, "start_step": self._start_step, "step": self._step,
                "lanes": {str(lane.index): lane.state() for lane in self._lanes}}

    def set_state(self, state: dict[str, Any]) -> None:
        for key, value in self._meta.items():
            if state.get(key) != value:
                raise DataError(f"iterator state was saved with {key}={state.get(key)!r}, but this pipeline has "
                                f"{key}={value!r}; restore it into a pipeline built the same way")
        mine = sorted(str(lane.index) for lane in self._lanes)
        if sorted(state["lanes"]) != mine:
            raise DataError(f"iterator state holds lanes {sorted(state['lanes'], key=int)[:4]}..., this process "
                            f"owns lanes {mine[:4]}...; restore each process's own state")
        for lane in self._lanes:
            lane.restore(state["lanes"][str(lane.index)])
        self._start_step = int(state["start_step"])
        self._step = int(state["step"])


class _LanesDataset(grain.IterDataset):
    def __init__(self, make_iterator):
        super().__init__()
        self._make_iterator = make_iterator

    def __iter__(self):
        return self._make_iterator()


def _close_once(it: grain.DatasetIterator) -> None:
    it.close()
    it.close = lambda: None  # grain's __del__ closes again, which fails if it runs during interpreter shutdown


class TrainIterator(grain.DatasetIterator):
    """Iterator over this process's training batches, with checkpointable state and mixture statistics."""

    def __init__(self, dataset: _LanesDataset, schedule: MixtureSchedule, prefetch: int, local_rows: range):
        inner = ThreadPrefetchIterDataset(dataset, prefetch_buffer_size=prefetch) if prefetch else dataset
        self._it = iter(inner)
        super().__init__(self._it)
        # Stop the prefetch thread when this iterator goes away or, at the latest, before interpreter shutdown
        # (grain's own cleanup during shutdown fails once modules are torn down).
        self._finalizer = weakref.finalize(self, _close_once, self._it)
        self.schedule = schedule
        self.source_names: tuple[str, ...] = schedule.source_names
        self.local_rows = local_rows  # rows of the global batch this process holds

    def __next__(self) -> dict[str, np.ndarray]:
        return next(self._it)

    def get_state(self) -> dict[str, Any]:
        return self._it.get_state()

    def set_state(self, state: dict[str, Any]) -> None:
        self._it.set_state(state)

    @property
    def step(self) -> int:
        """The step of the next batch."""
        return int(self.get_state()["step"])

    def stats(self) -> list[SourceStats]:
        return mixture_stats(self.get_state(), self.schedule)

    def scalars(self, prefix: str = "data/") -> dict[str, float]:
        """Flat per-source numbers for a metrics writer: achieved and target token fractions, documents removed by
        the blocklist, bad records skipped (this process's lanes)."""
        out: dict[str, float] = {}
        for s in self.stats():
            out[f"{prefix}fraction/{s.name}"] = s.fraction
            out[f"{prefix}target/{s.name}"] = s.target
            out[f"{prefix}filtered/{s.name}"] = float(s.filtered)
            out[f"{prefix}skipped/{s.name}"] = float(sum(s.skipped.values()))
        return out

    def close(self) -> None:
        finalizer = getattr(self, "_finalizer", None)  # absent if __init__ failed
        if finalizer is not None:
            finalizer()


def _check_shapes(seq_len: int, global_batch_size: int, process_index: int, process_count: int) -> int:
    if seq_len < 2:
        raise DataError(f"seq_len={seq_len}: expected at least 2 tokens per row")
    if process_count < 1 or not 0 <= process_index < process_count:
        raise DataError(f"process_index={process_index} must be in [0, process_count={process_count})")
    if global_batch_size < 1 or global_batch_size % process_count:
        raise DataError(f"global_batch_size={global_batch_size} must be a positive multiple of "
                        f"process_count={process_count}")
    return global_batch_size // process_count


def make_train_iterator(data_cfg, tokenizer, *, mixture: Mapping[str, float], mixture_schedule: str = "",
                        seq_len: int, global_batch_size: int, process_index: int = 0, process_count: int = 1,
                        seed: int = 0, start_step: int = 0) -> TrainIterator:
    """Endless packed training batches of `mixture` (source -> token fraction), changing by `mixture_schedule`.

    `start_step` is the step of the first batch (it places the schedule); to resume a run exactly, restore the
    saved state with `set_state`. The effective seed is `seed + data.seed_offset`.
    """
    settings = data_settings(data_cfg)
    local = _check_shapes(seq_len, global_batch_size, process_index, process_count)
    schedule = MixtureSchedule(dict(mixture), mixture_schedule, known=settings.sources)
    data_seed = int(seed) + settings.seed_offset
    encoder = DocumentEncoder(tokenizer, chat_template_mode=settings.chat_template)
    streams = open_streams(settings, encoder, schedule.active_sources(), seed=data_seed)
    log.info("mixture %s", schedule.describe())
    rows = range(process_index * local, (process_index + 1) * local)
    meta = {"version": STATE_VERSION, "seed": data_seed, "seq_len": seq_len,
            "global_batch_size": global_batch_size, "sources": list(schedule.source_names)}

    def make_lanes_iterator():
        lanes = [Lane(r, global_batch_size, streams, schedule, seq_len=seq_len, seed=data_seed,
                      tokenize_batch=settings.tokenize_batch, pad_id=_pad_id(tokenizer)) for r in rows]
        return _LanesIterator(lanes, meta, start_step)

    return TrainIterator(_LanesDataset(make_lanes_iterator), schedule, settings.prefetch, rows)


def make_sft_iterator(data_cfg, tokenizer, *, source: str = "chat", seq_len: int, global_batch_size: int,
                      process_index: int = 0, process_count: int = 1, seed: int = 0,
                      start_step: int = 0) -> TrainIterator:
    """Packed chat batches from one `kind="chat"` source, loss on assistant tokens only."""
    settings = data_settings(data_cfg)
    if settings.source(source).kind != "chat":
        raise DataError(f"data.sources.{source}.kind is {settings.source(source).kind!r}; SFT needs kind='chat' "
                        "(records with a list of {'role', 'content'} messages)")
    return make_train_iterator(settings, tokenizer, mixture={source: 1.0}, seq_len=seq_len,
                               global_batch_size=global_batch_size, process_index=process_index,
                               process_count=process_count, seed=seed, start_step=start_step)


def make_eval_batches(data_cfg, tokenizer, source: str, *, seq_len: int, batch_size: int, num_batches: int,
                      process_index: int = 0, process_count: int = 1,
                      source_names: Sequence[str] | None = None) -> list[dict[str, np.ndarray]]:
    """Batches of `source`'s held-out records (never trained on), packed in record order.

    The same for every arm and seed: no blocklist filtering, no shuffling; conditional tags are applied as in
    training. The last batch is padded; if the held-out records run out, fewer batches are returned (with a
    warning). `source_ids` index into `source_names` (default: [source]). Each process gets its rows of every
    global batch of `batch_size` rows.
    """
    settings = data_settings(data_cfg)
    local = _check_shapes(seq_len, batch_size, process_index, process_count)
    names = list(source_names) if source_names is not None else [source]
    if source not in names:
        raise DataError(f"source_names {names} does not contain the evaluated source {source!r}")
    sid = names.index(source)
    encoder = DocumentEncoder(tokenizer, chat_template_mode=settings.chat_template)
    stream = open_streams(dataclasses.replace(settings, filter_sources=()), encoder, [source], seed=0)[source]
    if len(stream.heldout_indices) == 0:
        raise DataError(f"source {source!r} has no held-out records ({len(stream.source)} records, "
                        f"data.heldout_fraction={settings.heldout_fraction})")
    need = num_batches * batch_size * seq_len
    docs, have, chunk = [], 0, max(8, settings.tokenize_batch)
    for start in range(0, len(stream.heldout_indices), chunk):
        for doc in stream.fetch(stream.heldout_indices[start:start + chunk]):
            if not isinstance(doc, str):
                docs.append((doc, sid))
                have += len(doc.tokens)
        if have >= need:
            break
    rows = pack_sequential(docs, seq_len, pad_id=_pad_id(tokenizer))[:num_batches * batch_size]
    while len(rows) % batch_size:
        rows.append(pack_sequential([], seq_len, pad_id=_pad_id(tokenizer))[0])
    if len(rows) < num_batches * batch_size:
        log.warning("source %s: held-out records fill only %d of %d eval batches", source,
                    len(rows) // batch_size, num_batches)
    mine = slice(process_index * local, (process_index + 1) * local)
    return [stack_rows(rows[b:b + batch_size][mine]) for b in range(0, len(rows), batch_size)]
