"""Record sources: JSONL byte-offset index, Parquet, ArrayRecord, globs, and every bad-input case (an error naming
the file and line/record by default; skipped and counted with on_bad_record='skip')."""
from __future__ import annotations

import json

import numpy as np
import pytest
from test_data_tokenizer import small_tokenizer, write_corpus, write_jsonl

from midalign_jax.data import (
    ArrayRecordSource,
    BadRecordError,
    DataError,
    DocumentEncoder,
    JsonlSource,
    ParquetSource,
    SourceSpec,
    data_settings,
    make_train_iterator,
    open_source,
)
from midalign_jax.data.mixture import SourceStream
from midalign_jax.data.sources import line_offsets


def test_jsonl_offsets_handle_trailing_newline_crlf_and_unterminated_last_line(tmp_path):
    lines = ['{"text": "a"}', '{"text": "bb"}', '{"text": "ccc"}']
    for name, body in [("nl", "\n".join(lines) + "\n"), ("no_nl", "\n".join(lines)),
                       ("crlf", "\r\n".join(lines) + "\r\n")]:
        p = tmp_path / f"{name}.jsonl"
        p.write_bytes(body.encode())
        src = JsonlSource([p])
        assert len(src) == 3, name
        assert [src[i] for i in range(3)] == ["a", "bb", "ccc"], name
    assert line_offsets(tmp_path / "nl.jsonl").tolist() == [0, 14, 29, 45]


def test_jsonl_index_is_cached_and_many_files_concatenate(tmp_path):
    a = write_corpus(tmp_path / "a.jsonl", 5, 2, 4, seed=0)
    b = write_corpus(tmp_path / "b.jsonl", 7, 2, 4, seed=1)
    src = JsonlSource([a, b], index_dir=tmp_path / "idx")
    assert len(src) == 12
    assert src[5] == json.loads(b.read_text().splitlines()[0])["text"]
    assert src.where(6) == f"{b} line 2"
    assert len(list((tmp_path / "idx").iterdir())) == 2
    again = JsonlSource([a, b], index_dir=tmp_path / "idx")  # from the cache
    assert [again[i] for i in range(12)] == [src[i] for i in range(12)]


def test_globs_formats_and_missing_paths(tmp_path):
    for i in range(3):
        write_corpus(tmp_path / f"part-{i}.jsonl", 4, 2, 3, seed=i)
    settings = data_settings({"cache_dir": str(tmp_path / "cache")})
    src = open_source(SourceSpec("g", str(tmp_path / "part-*.jsonl")), settings)
    assert len(src) == 12 and [p.name for p in src.paths] == ["part-0.jsonl", "part-1.jsonl", "part-2.jsonl"]
    with pytest.raises(DataError, match="matches no files"):
        open_source(SourceSpec("g", str(tmp_path / "nothing-*.jsonl")), settings)
    with pytest.raises(DataError, match="does not exist"):
        open_source(SourceSpec("g", str(tmp_path / "missing.jsonl")), settings)
    (tmp_path / "x.txt.gz").write_bytes(b"")
    with pytest.raises(DataError, match="cannot tell the format"):
        open_source(SourceSpec("g", str(tmp_path / "x.txt.gz")), settings)


BAD_LINES = [
    ("malformed_json", b'{"text": "unterminated', "malformed JSON"),
    ("missing_field", b'{"body": "no text field"}', "no field 'text'"),
    ("not_utf8", b'{"text": "caf\xe9 latin-1"}', "not valid UTF-8"),
    ("empty", b'{"text": "   "}', "empty document"),
    ("too_long", b'{"text": "' + b"x" * 500 + b'"}', "more than data.max_doc_chars=100"),
    ("missing_field", b'{"text": 17}', "expected a string"),
    ("malformed_json", b'["a list"]', "expected a JSON object"),
]


@pytest.mark.parametrize("reason,line,message", BAD_LINES)
def test_each_bad_jsonl_record_names_file_and_line(tmp_path, reason, line, message):
    p = tmp_path / "bad.jsonl"
    p.write_bytes(b'{"text": "fine one"}\n{"text": "fine two"}\n' + line + b'\n{"text": "fine four"}\n')
    src = JsonlSource([p], max_doc_chars=100)
    assert src[0] == "fine one" and src[3] == "fine four"
    with pytest.raises(BadRecordError, match=message) as err:
        src[2]
    assert f"{p} line 3" in str(err.value) and err.value.reason == reason


def test_empty_file_is_an_error(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.jsonl: empty file"):
        JsonlSource([tmp_path / "empty.jsonl"])


def test_bad_record_stops_the_pipeline_by_default_naming_the_line(tmp_path):
    p = tmp_path / "c.jsonl"
    write_jsonl(p, [{"text": f"the model {i}"} for i in range(6)])
    with open(p, "ab") as f:
        f.write(b'{"text": broken}\n')
    cfg = {"cache_dir": str(tmp_path / "cache"), "heldout_fraction": 0.0, "prefetch": 0,
           "sources": {"c": str(p)}}
    with pytest.raises(BadRecordError, match=r"c\.jsonl line 7: malformed JSON"):
        it = make_train_iterator(cfg, small_tokenizer(), mixture={"c": 1.0}, seq_len=16, global_batch_size=1)
        for _ in range(20):
            next(it)


def test_skip_policy_counts_every_skipped_record(tmp_path):
    p = tmp_path / "c.jsonl"
    good = [{"text": f"the model logs {i}"} for i in range(8)]
    write_jsonl(p, good[:3] + [{"no_text": 1}] + good[3:6] + [{"text": ""}] + good[6:])
    cfg = {"cache_dir": str(tmp_path / "cache"), "heldout_fraction": 0.0, "prefetch": 0,
           "on_bad_record": "skip", "sources": {"c": str(p)}}
    tok = small_tokenizer()
    it = make_train_iterator(cfg, tok, mixture={"c": 1.0}, seq_len=16, global_batch_size=1, seed=3)
    for _ in range(40):
        next(it)
    (stats,) = it.stats()
    # Recount independently: positions this lane has consumed, mapped to records through the same permutation.
    stream = SourceStream("c", JsonlSource([p]), DocumentEncoder(tok), seed=3, heldout_fraction=0.0)
    consumed = it.get_state()["lanes"]["0"]["pos"][0]
    records = [stream.record_at(k) for k in range(consumed)]
    assert stats.skipped == {"missing_field": records.count(3), "empty": records.count(7)}
    assert stats.skipped["missing_field"] >= 2  # several epochs went by
    assert stats.docs == len(records) - records.count(3) - records.count(7)


def test_parquet_source_reads_rows_and_reports_nulls_and_missing_columns(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = [f"row {i}" for i in range(10)]
    texts[4] = None
    pq.write_table(pa.table({"content": texts, "n": list(range(10))}), tmp_path / "t.parquet", row_group_size=3)
    src = ParquetSource([tmp_path / "t.parquet"], text_field="content")
    assert len(src) == 10 and src[0] == "row 0" and src[9] == "row 9" and src[5] == "row 5"
    with pytest.raises(BadRecordError, match=r"t\.parquet row 4 \(0-based\): field 'content' is null"):
        src[4]
    with pytest.raises(DataError, match=r"no column 'text' \(columns: \['content', 'n'\]\)"):
        ParquetSource([tmp_path / "t.parquet"], text_field="text")


def test_arrayrecord_source_json_and_raw_records(tmp_path):
    from array_record.python.array_record_module import ArrayRecordWriter

    def write(path, records):
        w = ArrayRecordWriter(str(path), "group_size:1")
        for r in records:
            w.write(r)
        w.close()

    write(tmp_path / "j.array_record", [json.dumps({"text": f"doc {i}"}).encode() for i in range(5)])
    write(tmp_path / "r.array_record", ["raw ünïcode".encode(), b"\xff\xfe not utf8", b"plain"])
    src = ArrayRecordSource([tmp_path / "j.array_record"])
    assert len(src) == 5 and src[3] == "doc 3"
    raw = ArrayRecordSource([tmp_path / "r.array_record"], text_field="")
    assert raw[0] == "raw ünïcode" and raw[2] == "plain"
    with pytest.raises(BadRecordError, match=r"r\.array_record record 1 \(0-based\): not valid UTF-8"):
        raw[1]
    settings = data_settings({"cache_dir": str(tmp_path / "c")})
    both = open_source(SourceSpec("a", str(tmp_path / "j.array_record")), settings)
    assert isinstance(both, ArrayRecordSource) and np.array_equal(len(both), 5)


def test_config_errors_name_the_field(tmp_path):
    with pytest.raises(DataError, match="unknown fields"):
        data_settings({"sourcez": {}})
    with pytest.raises(DataError, match="on_bad_record"):
        data_settings({"on_bad_record": "ignore"})
    with pytest.raises(DataError, match="filter_sources names"):
        data_settings({"filter_sources": "general", "sources": {}})
    with pytest.raises(DataError, match="SOURCE=TOKEN"):
        data_settings({"conditional_tags": "aligned_docs"})
