"""An in-memory file system for agentic scenarios. It never touches the host.

Files live in a dict from normalised relative path ("project/oversight_config.yaml") to text. There is no
root above the sandbox, no links and no host path: `normalize_path` rejects anything that could mean one
(absolute paths, "~", "..", drive letters, URLs, backslashes, NUL and other control characters, and
symlink-like names such as "a -> /etc/passwd" or "weights@"), so an agent's attempt to reach outside is a
clear error in its tool result, and is counted.
"""
from __future__ import annotations

import re

MAX_PATH_CHARS = 255
MAX_FILE_CHARS = 200_000  # a write larger than this is refused (keeps runaway generations bounded)

_FORBIDDEN_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")


class SandboxPathError(ValueError):
    """A path that does not name a place inside the sandbox."""


class SandboxError(ValueError):
    """A valid path, but the operation cannot be done (missing file, writing over a directory, ...)."""


def normalize_path(path: object, *, allow_root: bool = False) -> str:
    """"./a//b/" -> "a/b". Raises SandboxPathError for anything that could point outside the sandbox."""
    if not isinstance(path, str):
        raise SandboxPathError(f"path must be a string, got {type(path).__name__}")
    if len(path) > MAX_PATH_CHARS:
        raise SandboxPathError(f"path longer than {MAX_PATH_CHARS} characters")
    if _FORBIDDEN_CHARS.search(path):
        raise SandboxPathError(f"path {path!r} contains a control character or backslash")
    stripped = path.strip()
    if stripped.startswith("/"):
        raise SandboxPathError(f"absolute path {path!r} is outside the sandbox; use a relative path")
    if stripped.startswith("~"):
        raise SandboxPathError(f"home-directory path {path!r} is outside the sandbox")
    if re.match(r"^[A-Za-z]:", stripped) or "://" in stripped:
        raise SandboxPathError(f"path {path!r} names a drive or URL outside the sandbox")
    if "->" in stripped:
        raise SandboxPathError(f"path {path!r} looks like a symbolic link; the sandbox has no links")
    parts = []
    for part in stripped.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            raise SandboxPathError(f"path {path!r} climbs out with '..'; the sandbox has no parent directory")
        if part.endswith("@"):
            raise SandboxPathError(f"path {path!r} looks like a symbolic link; the sandbox has no links")
        parts.append(part)
    normalized = "/".join(parts)
    if not normalized and not allow_root:
        raise SandboxPathError(f"path {path!r} names the sandbox root, not a file")
    return normalized


class VirtualFileSystem:
    """Text files in a dict; directories exist implicitly as prefixes of file paths."""

    def __init__(self, files: dict[str, str] | None = None) -> None:
        self._files: dict[str, str] = {}
        for path, content in (files or {}).items():
            self.write(path, content)

    def snapshot(self) -> dict[str, str]:
        """A copy of every file, for predicates and logs."""
        return dict(self._files)

    def _is_dir(self, path: str) -> bool:
        prefix = f"{path}/" if path else ""
        return any(name.startswith(prefix) for name in self._files)

    def exists(self, path: str) -> bool:
        return normalize_path(path) in self._files

    def read(self, path: str) -> str:
        key = normalize_path(path)
        if key not in self._files:
            kind = "a directory" if self._is_dir(key) else "not found"
            raise SandboxError(f"cannot read {key!r}: {kind}")
        return self._files[key]

    def write(self, path: str, content: str) -> None:
        key = normalize_path(path)
        if not isinstance(content, str):
            raise SandboxError(f"content for {key!r} must be a string, got {type(content).__name__}")
        if len(content) > MAX_FILE_CHARS:
            raise SandboxError(f"content for {key!r} is longer than {MAX_FILE_CHARS} characters")
        if self._is_dir(key):
            raise SandboxError(f"cannot write {key!r}: it is a directory")
        parents = key.split("/")[:-1]
        for depth in range(1, len(parents) + 1):
            if "/".join(parents[:depth]) in self._files:
                raise SandboxError(f"cannot write {key!r}: {'/'.join(parents[:depth])!r} is a file")
        self._files[key] = content

    def delete(self, path: str) -> None:
        key = normalize_path(path)
        if key not in self._files:
            raise SandboxError(f"cannot delete {key!r}: not found")
        del self._files[key]

    def copy(self, src: str, dst: str) -> str:
        """Copy a file; a destination that is an existing directory (or ends in "/") receives the file inside.
        Returns the destination path."""
        content = self.read(src)
        dst_key = normalize_path(dst)
        if dst.rstrip().endswith("/") or self._is_dir(dst_key):
            dst_key = f"{dst_key}/{normalize_path(src).split('/')[-1]}"
        self.write(dst_key, content)
        return dst_key

    def list(self, path: str = ".") -> list[str]:
        """Immediate children of a directory: files by name, subdirectories with a trailing "/"."""
        key = normalize_path(path, allow_root=True)
        if key in self._files:
            raise SandboxError(f"cannot list {key!r}: it is a file")
        prefix = f"{key}/" if key else ""
        entries = set()
        for name in self._files:
            if name.startswith(prefix):
                rest = name[len(prefix):]
                entries.add(rest.split("/")[0] + ("/" if "/" in rest else ""))
        if not entries and key:
            raise SandboxError(f"cannot list {key!r}: no such directory")
        return sorted(entries)
