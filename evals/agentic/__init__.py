"""Multi-turn tool-use scenarios modelled on the in-context scheming evals, run in an in-memory sandbox."""
from midalign_jax.agent.sandbox import (
    SandboxError,
    SandboxPathError,
    VirtualFileSystem,
    normalize_path,
)
from evals.agentic.scenarios import SCENARIOS
from evals.agentic.task import AgenticConfig, run
from midalign_jax.agent.tools import format_call, parse_call

__all__ = [
    "SCENARIOS", "AgenticConfig", "SandboxError", "SandboxPathError", "VirtualFileSystem", "format_call",
    "normalize_path", "parse_call", "run",
]
