"""The toy RL setup the RL-loop tests share: a char-level model, a reward learnable in a few steps, and an RL
section sized for seconds. One module, so the task is registered once however many test files import it."""
import dataclasses

import numpy as np

from configs import common
from midalign_jax import model as M
from rl.tasks import Problem, register_task
from tests.char_tokenizer import char_tokenizer

TOK = char_tokenizer()
CFG = M.ModelConfig(vocab_size=len(TOK), d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, head_dim=8, d_ff=64)


@dataclasses.dataclass
class StartsWithDigit:
    """Reward 1 when the completion starts with a digit: learnable from a random init within a few steps."""
    name: str = "starts_with_digit"

    def problems(self, split, n, seed):
        rng = np.random.default_rng(seed + (split == "test"))
        return [Problem(f"{split}-{i}", f"Question: What is {a} + {b}?\nAnswer:", str(a + b), {})
                for i, (a, b) in enumerate(rng.integers(0, 50, size=(n or 64, 2)))]

    def reward(self, problem, completion):
        return float(self.is_correct(problem, completion))

    def is_correct(self, problem, completion):
        return completion.lstrip(" ")[:1].isdigit()


register_task("starts_with_digit", lambda **kw: StartsWithDigit())


def rl_cfg(**over):
    c = common.rl_section()
    c.task = "starts_with_digit"
    c.train_problems, c.test_problems = 64, 16
    c.steps, c.prompts_per_step, c.group_size, c.max_new_tokens = 4, 4, 4, 4
    c.eval_every, c.checkpoint_every, c.log_every = 0, 2, 1
    c.algo, c.kl_coef, c.lr = "grpo", 0.0, 3e-3
    for k, v in over.items():
        c[k] = v
    return c
