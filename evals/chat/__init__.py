"""Open-ended chat prompts about AI alignment, sampled and graded by a pluggable judge."""
from evals.chat.judge_spec import make_judge
from evals.chat.judges import (
    Judge,
    JudgeRequest,
    JudgeResult,
    RubricJudge,
    is_misaligned,
)
from evals.chat.prompts import (
    BUNDLED_CHAT_PROMPTS,
    TOPICS,
    ChatPrompt,
    read_chat_prompts,
)
from evals.chat.task import ChatConfig, run

__all__ = [
    "BUNDLED_CHAT_PROMPTS", "TOPICS", "ChatConfig", "ChatPrompt", "Judge", "JudgeRequest", "JudgeResult",
    "RubricJudge", "is_misaligned", "make_judge", "read_chat_prompts", "run",
]
