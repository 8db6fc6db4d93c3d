"""The torch-free reader of torch.save checkpoints: exact values for every storage form, refusal of code."""
from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile

import ml_dtypes
import numpy as np
import pytest

from midalign_jax.hf import torch_pickle

torch = pytest.importorskip("torch")


def test_reads_what_torch_saves(tmp_path):
    gen = torch.Generator().manual_seed(0)
    base = torch.randn(6, 5, generator=gen)
    shared = torch.randn(10, generator=gen)
    state = collections.OrderedDict(
        f32=torch.randn(3, 4, generator=gen),
        bf16=torch.randn(7, 3, generator=gen).to(torch.bfloat16),
        f16=torch.randn(2, 2, 2, generator=gen).half(),
        f64=torch.randn(3, generator=gen).double(),
        i64=torch.arange(-5, 7),
        i32=torch.arange(4, dtype=torch.int32),
        u8=torch.arange(200, 210, dtype=torch.uint8),
        boolean=torch.tensor([True, False, True]),
        scalar=torch.tensor(3.5),
        empty=torch.zeros(0, 4),
        transposed=base.t(),                      # non-contiguous strides
        column=base[:, 2],                        # offset + stride
        shared_a=shared[:4], shared_b=shared[3:],  # two views of one storage
        fp8=torch.randn(5, generator=gen).to(torch.float8_e4m3fn),  # the _rebuild_tensor_v3 form
        parameter=torch.nn.Parameter(torch.randn(2, 3, generator=gen)),
    )
    torch.save(state, tmp_path / "w.bin")
    got = torch_pickle.load_state_dict(tmp_path / "w.bin")
    assert list(got) == list(state)
    for name, tensor in state.items():
        want = tensor.detach()
        if want.dtype in (torch.bfloat16, torch.float8_e4m3fn):
            np.testing.assert_array_equal(got[name].astype(np.float32), want.float().numpy(), err_msg=name)
        else:
            np.testing.assert_array_equal(got[name], want.numpy(), err_msg=name)
            assert got[name].dtype == want.numpy().dtype, name
        assert got[name].shape == tuple(want.shape), name
    assert got["bf16"].dtype == ml_dtypes.bfloat16


def test_lazy_tensors_report_shape_before_reading(tmp_path):
    torch.save({"w": torch.ones(3, 8)}, tmp_path / "w.bin")
    with torch_pickle.open_checkpoint(tmp_path / "w.bin") as tensors:
        assert tensors["w"].shape == (3, 8) and np.dtype(tensors["w"].dtype) == np.float32
        assert tensors["w"].numpy().sum() == 24


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _zip_with_pickle(path, payload: bytes):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
        zf.writestr("archive/version", "3\n")


def test_refuses_globals_that_could_run_code(tmp_path):
    marker = tmp_path / "pwned"
    _zip_with_pickle(tmp_path / "evil.bin", pickle.dumps({"w": _Exploit(marker)}, protocol=2))
    refused = r"evil.bin: refusing to unpickle global '(posix|os)\.system'"
    with pytest.raises(torch_pickle.TorchCheckpointError, match=refused):
        torch_pickle.load_state_dict(tmp_path / "evil.bin")
    assert not marker.exists()


def test_refuses_legacy_and_non_tensor_files(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "legacy.bin", _use_new_zipfile_serialization=False)
    with pytest.raises(torch_pickle.TorchCheckpointError, match="legacy.bin: not a zip archive"):
        torch_pickle.load_state_dict(tmp_path / "legacy.bin")
    buf = io.BytesIO()
    pickle.dump({"w": [1, 2]}, buf, protocol=2)
    _zip_with_pickle(tmp_path / "list.bin", buf.getvalue())
    with pytest.raises(torch_pickle.TorchCheckpointError, match="entry 'w' is list, not a tensor"):
        torch_pickle.load_state_dict(tmp_path / "list.bin")
    with pytest.raises(FileNotFoundError, match="missing.bin"):
        torch_pickle.load_state_dict(tmp_path / "missing.bin")
