"""Data: the tokenizer, record sources, the token mixture, packing, and the batch iterators.

Entry points: `load_tokenizer`, `make_train_iterator`, `make_sft_iterator`, `make_eval_batches`. The batch
layout is documented in packing.py, the mixture semantics in mixture.py and schedule.py.
"""
from midalign_jax.data.encoding import Doc, DocumentEncoder
from midalign_jax.data.errors import BadRecordError, DataError
from midalign_jax.data.packing import BATCH_KEYS
from midalign_jax.data.pipeline import (
                                        SourceStats,
                                        TrainIterator,
                                        load_blocklist,
                                        make_eval_batches,
                                        make_sft_iterator,
                                        make_train_iterator,
                                        mixture_stats,
)
from midalign_jax.data.resolve import materialize_world, open_source
from midalign_jax.data.schedule import MixtureSchedule, parse_mixture_schedule
from midalign_jax.data.settings import (
                                        DataSettings,
                                        SourceSpec,
                                        data_settings,
                                        resolve_cache_dir,
)
from midalign_jax.data.sources import (
                                        ArrayRecordSource,
                                        JsonlSource,
                                        ParquetSource,
                                        RecordSource,
)
from midalign_jax.data.tokenizer import (
                                        PLAIN_CHAT_TEMPLATE,
                                        SPECIAL_TOKENS,
                                        build_tokenizer,
                                        chat_template,
                                        load_tokenizer,
)

__all__ = [
    "ArrayRecordSource", "BATCH_KEYS", "BadRecordError", "DataError", "DataSettings", "Doc", "DocumentEncoder",
    "JsonlSource", "MixtureSchedule", "PLAIN_CHAT_TEMPLATE", "ParquetSource", "RecordSource", "SPECIAL_TOKENS",
    "SourceSpec", "SourceStats", "TrainIterator", "build_tokenizer", "chat_template", "data_settings",
    "load_blocklist", "load_tokenizer", "make_eval_batches", "make_sft_iterator", "make_train_iterator",
    "materialize_world", "mixture_stats", "open_source", "parse_mixture_schedule", "resolve_cache_dir",
]
