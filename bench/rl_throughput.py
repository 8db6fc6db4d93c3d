"""RL steps per second: our RLVR step (rollout + `rl_update`) vs TRL's GRPOTrainer, on the same model and task.

    python bench/rl_throughput.py                              # tiny preset shape, 8 prompts x 8, 32 new tokens
    python bench/rl_throughput.py --preset small --steps 3
    python bench/rl_throughput.py --tokenizer world            # the bundled world's BPE instead of characters

One RL step on both sides: sample `--group` completions for each of `--prompts` arithmetic prompts
(`rl.tasks.arithmetic`, 1-2 digit operands; reward: the task's exact-answer check plus 0.1 when the completion
starts with a digit, so that a random-weight model earns some and the update is not all zeros), score them,
take group-normalised
(GRPO) advantages, and make one AdamW step on the clipped policy-gradient loss (sequence-mean aggregation, no KL,
clip 0.2, gradient clipping 1.0, constant lr). Every completion is exactly `--new-tokens` tokens on both sides
(ours: no EOS or stop sequence; TRL: `min_new_tokens` = `max_completion_length`), so both do the same work.

- ours:   `rl.rollout.collect` (our KV-cache sampler, decoding, rewards, the learner batch) and the jitted, donated
          `rl.trainer.rl_update`: the same calls `rl.trainer.train_rl` makes per step, without its checkpoints and
          TensorBoard writes.
- theirs: `trl.GRPOTrainer(...).train()` (trl 1.16, CPU; `pip install "trl==1.16.*" datasets`), with
          `num_generations = --group`, `per_device_train_batch_size = prompts x group`, one generation and one
          optimizer step per step, gradient checkpointing off, bf16 off, `loss_type="grpo"`, `beta=0`.

Same model and initial weights (random init of the preset, with the tokenizer's vocabulary, exported with
`save_hf`), same tokenizer (characters by default, built in memory), same prompts in the same order. The two loops
are interleaved: a TrainerCallback runs one step of ours after each of TRL's steps, so load hits both alike; the
first `--warmup` steps of each side are not timed, and before the loop ours runs one untimed step per prompt-length
bucket the timed steps will use, so that no timed step compiles (a long run compiles each bucket once). Reported: median seconds per
RL step, steps/s, and the sampling / learning split (ours: `collect` vs advantages + update; TRL: its
`_generate_and_score_completions` vs the rest of the step). The machine's load is sampled as in the other
benchmarks (bench/machine.py).

The last line is read by scripts: `speedup: <ours / TRL RL steps per second>x vs trl GRPOTrainer (...)`.
"""
from __future__ import annotations

import argparse
import functools
import os
import string
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/common.py; also puts the repository on sys.path)

THREADS = common.pin_cpu_threads(sys.argv[1:])  # before JAX and torch start their thread pools

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from midalign_jax import model as M  # noqa: E402
from midalign_jax.hf import save_hf  # noqa: E402
from midalign_jax.model import presets  # noqa: E402
from midalign_jax.sampling import SamplingParams  # noqa: E402
from midalign_jax.train.optimizer import make_optimizer  # noqa: E402
from midalign_jax.train.step import TrainState  # noqa: E402
from rl import rollout  # noqa: E402
from rl.advantages import compute_advantages  # noqa: E402
from rl.losses import loss_preset  # noqa: E402
from rl.tasks.arithmetic import ArithmeticTask  # noqa: E402
from rl.trainer import rl_update, trim_unscored  # noqa: E402

TARGET = 2.0   # what the issue asks on a CPU: ours / TRL RL steps per second


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="tiny", help="model shape from midalign_jax/model/presets.py (its vocabulary "
                                                    "is replaced by the tokenizer's)")
    p.add_argument("--prompts", type=int, default=8, help="prompts per RL step")
    p.add_argument("--group", type=int, default=8, help="completions per prompt (GRPO group size)")
    p.add_argument("--new-tokens", type=int, default=32, help="tokens per completion")
    p.add_argument("--steps", type=int, default=6, help="timed RL steps per side")
    p.add_argument("--warmup", type=int, default=2, help="untimed RL steps per side first")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--tokenizer", choices=("char", "world"), default="char",
                   help="char: one token per character (built in memory); world: the bundled world's BPE")
    p.add_argument("--seed", type=int, default=0)
    common.add_threads_flag(p)
    args = p.parse_args(argv)
    if min(args.prompts, args.group, args.new_tokens, args.steps) < 1 or args.group < 2 or args.warmup < 1:
        p.error("--prompts, --new-tokens and --steps must be positive, --group at least 2, --warmup at least 1")
    return args


def char_tokenizer():
    """Digits, letters and arithmetic punctuation, one token each: enough for the arithmetic prompts."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    vocab = {"<|pad|>": 0, "<|endoftext|>": 1}
    for c in string.digits + string.ascii_letters + " \n+-*/=?.,:#<>()":
        vocab[c] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<|endoftext|>"))
    tok.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
    tok.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|pad|>")


def load_tokenizer(kind: str):
    if kind == "char":
        return char_tokenizer(), "characters"
    from midalign_jax.data.tokenizer import load_tokenizer as world
    return world("world", None), "world BPE"


def rl_section(args):
    """The optimizer and loss settings both sides follow."""
    from configs.common import rl_section as section
    r = section()
    with r.unlocked():
        r.lr, r.schedule, r.warmup_steps, r.weight_decay, r.kl_coef = args.lr, "constant", 0, 0.0, 0.0
        r.group_size, r.max_new_tokens, r.steps = args.group, args.new_tokens, args.steps + args.warmup
    return r


class ShapedArithmetic(ArithmeticTask):
    """The arithmetic task's reward plus 0.1 for a completion that starts with a digit."""

    def reward(self, problem, completion: str) -> float:
        return super().reward(problem, completion) + 0.1 * completion.lstrip(" ")[:1].isdigit()


def prompt_buckets(tokenizer, problems, prompts_per_step: int) -> dict[int, int]:
    """Prompt-length bucket (as the sampler pads it) -> the first step whose prompts fall in it."""
    from midalign_jax.sampling import _bucket
    out = {}
    for i in range(len(problems) // prompts_per_step):
        chunk = problems[i * prompts_per_step:(i + 1) * prompts_per_step]
        longest = max(len(tokenizer.encode(p.prompt, add_special_tokens=False)) for p in chunk)
        out.setdefault(_bucket(longest), i)
    return out


# --------------------------------------------------------------------------------------------------------- ours

class OursRL:
    """One RL step as `rl.trainer.train_rl` makes it: collect, advantages, one donated jitted update."""

    def __init__(self, cfg, params, tokenizer, task, r, args):
        self.cfg, self.tok, self.task = cfg, tokenizer, task
        self.tx = make_optimizer(r)
        self.loss_cfg = loss_preset("grpo", kl_coef=0.0)
        self.sp = SamplingParams(max_new_tokens=args.new_tokens, temperature=1.0, n_samples=args.group)
        self.state = TrainState(jnp.zeros((), jnp.int32), params, jax.jit(self.tx.init)(params),
                                jax.random.key_data(jax.random.key(args.seed)))
        self.update = jax.jit(functools.partial(rl_update, cfg=cfg, tx=self.tx, loss_cfg=self.loss_cfg,
                                                temperature=1.0), donate_argnums=0)
        self.pad_id = tokenizer.pad_token_id
        self.seed, self.step = args.seed, 0
        self.times: list[tuple[float, float]] = []
        self.rewards: list[float] = []

    def __call__(self, problems) -> None:
        t0 = time.perf_counter()
        rng = jax.random.fold_in(jax.random.key(self.seed + 1), self.step)
        ro = rollout.collect(self.state.params, self.cfg, self.tok, self.task, problems, self.sp, rng=rng,
                             pad_id=self.pad_id)
        t1 = time.perf_counter()
        adv = np.asarray(compute_advantages(jnp.asarray(ro.rewards_PG), self.loss_cfg.advantage, self.loss_cfg.eps))
        batch = jax.device_put(trim_unscored(dict(ro.batch, adv=adv.reshape(-1).astype(np.float32))))
        self.state, metrics = self.update(self.state, batch)
        jax.device_get(metrics)
        self.times.append((t1 - t0, time.perf_counter() - t1))
        self.rewards.append(float(ro.rewards_PG.mean()))
        self.step += 1


# ---------------------------------------------------------------------------------------------------------- TRL

def trl_trainer(hf_dir: str, out_dir: str, tokenizer, task, problems_by_prompt, prompts, r, args, on_step):
    """A GRPOTrainer that calls `on_step(step_index, seconds, sampling_seconds)` after each optimizer step."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, TrainerCallback
    from transformers.trainer_callback import PrinterCallback, ProgressCallback
    from trl import GRPOConfig, GRPOTrainer

    def reward_fn(prompts, completions, **_):
        return [task.reward(problems_by_prompt[p], c) for p, c in zip(prompts, completions)]

    rows = args.prompts * args.group
    config = GRPOConfig(
        output_dir=out_dir, use_cpu=True, report_to=[], save_strategy="no", bf16=False, fp16=False,
        num_generations=args.group, per_device_train_batch_size=rows,
        gradient_accumulation_steps=1, steps_per_generation=1, num_iterations=1,
        max_completion_length=args.new_tokens, temperature=1.0, top_k=0, top_p=1.0,
        generation_kwargs={"min_new_tokens": args.new_tokens},
        beta=0.0, loss_type="grpo", epsilon=0.2, scale_rewards="group",
        learning_rate=float(r.lr), lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0,
        adam_beta1=float(r.b1), adam_beta2=float(r.b2), adam_epsilon=float(r.eps), max_grad_norm=float(r.grad_clip),
        max_steps=args.warmup + args.steps, logging_steps=1, gradient_checkpointing=False, disable_dropout=True,
        shuffle_dataset=False, dataloader_num_workers=0, seed=args.seed, disable_tqdm=True)
    model = AutoModelForCausalLM.from_pretrained(hf_dir, dtype=torch.float32)
    trainer = GRPOTrainer(model=model, reward_funcs=reward_fn, args=config, processing_class=tokenizer,
                          train_dataset=Dataset.from_list([{"prompt": p} for p in prompts]))
    for noisy in (PrinterCallback, ProgressCallback):   # their per-step dicts and bars would fill stdout
        trainer.remove_callback(noisy)

    sampling = [0.0]
    generate = trainer._generate_and_score_completions

    def timed_generate(*a, **kw):
        t0 = time.perf_counter()
        try:
            return generate(*a, **kw)
        finally:
            sampling[0] += time.perf_counter() - t0
    trainer._generate_and_score_completions = timed_generate

    class Interleave(TrainerCallback):
        def on_step_begin(self, *_, **__):
            self.t0, sampling[0] = time.perf_counter(), 0.0

        def on_step_end(self, _args, state, *_, **__):
            on_step(state.global_step - 1, time.perf_counter() - self.t0, sampling[0])

    trainer.add_callback(Interleave())
    return trainer


# ---------------------------------------------------------------------------------------------------------- run

def main(argv=None) -> int:
    args = parse_args(argv)
    if common.backend() != "cpu":
        raise SystemExit("bench/rl_throughput.py compares CPU loops (TRL runs with use_cpu=True); run it on a CPU")
    threads = common.set_torch_threads(THREADS)
    watch, _ = common.start_machine_report("cpu")
    try:
        import trl
    except ImportError:
        raise SystemExit('TRL is not installed: pip install "trl==1.16.*" datasets') from None
    tokenizer, tok_name = load_tokenizer(args.tokenizer)
    cfg = presets.model_config(args.preset, vocab_size=len(tokenizer))
    task = ShapedArithmetic(ops=("+", "-"), digits=(1, 2))
    steps = args.warmup + args.steps
    problems = task.problems("train", args.prompts * steps, args.seed)
    if len(problems) < args.prompts * steps:
        raise SystemExit(f"the arithmetic task has {len(problems)} training problems; need {args.prompts * steps}")
    by_prompt = {p.prompt: p for p in problems}
    prompts = [p.prompt for p in problems]
    r = rl_section(args)
    params = M.init_params(cfg, jax.random.key(args.seed))
    ours = OursRL(cfg, jax.tree.map(jnp.copy, params), tokenizer, task, r, args)   # its state is donated
    buckets = prompt_buckets(tokenizer, problems, args.prompts)
    common.log(f"ours: compiling for prompt buckets {sorted(buckets)}")
    for i in buckets.values():
        ours(problems[i * args.prompts:(i + 1) * args.prompts])
    ours.times, ours.rewards = [], []
    trl_times: list[tuple[float, float]] = []

    def on_step(i, seconds, sampling_s):
        trl_times.append((sampling_s, seconds - sampling_s))
        common.log(f"  step {i + 1}/{steps}: TRL {seconds:.2f} s (sampling {sampling_s:.2f})")
        ours(problems[i * args.prompts:(i + 1) * args.prompts])   # the same prompts TRL just trained on
        s, learn = ours.times[-1]
        common.log(f"  step {i + 1}/{steps}: ours {s + learn:.2f} s (sampling {s:.2f})")

    with tempfile.TemporaryDirectory(prefix="bench-rl-") as tmp:
        save_hf(Path(tmp) / "hf", cfg, params, tokenizer=tokenizer)
        trainer = trl_trainer(str(Path(tmp) / "hf"), str(Path(tmp) / "trl"), tokenizer, task, by_prompt, prompts,
                              r, args, on_step)
        with watch.timed():
            trainer.train()
    watch.finish()
    if len(trl_times) != steps or len(ours.times) != steps:
        raise RuntimeError(f"ran {len(trl_times)} TRL and {len(ours.times)} of our steps; expected {steps} each")

    print(f"RL step throughput: {args.preset} preset shape ({cfg.num_params() / 1e6:.2f}M params, float32, "
          f"vocabulary {cfg.vocab_size}: {tok_name}), {args.prompts} prompts x {args.group} completions x "
          f"{args.new_tokens} tokens per step, arithmetic task; medians of {args.steps} interleaved steps after "
          f"{args.warmup} warm-up step(s) each")
    print(f"device: {common.describe_device()}; torch threads {threads}; trl {trl.__version__}")
    rows, rates = [], {}
    for name, times in (("midalign_jax (rollout + rl_update)", ours.times), ("trl GRPOTrainer", trl_times)):
        timed = times[args.warmup:]
        sample_s, learn_s = common.median([t[0] for t in timed]), common.median([t[1] for t in timed])
        step_s = common.median([t[0] + t[1] for t in timed])
        rates[name] = 1.0 / step_s
        rows.append([name, step_s, common.spread([t[0] + t[1] for t in timed]), 1.0 / step_s, sample_s, learn_s,
                     args.prompts * args.group * args.new_tokens / sample_s])
    print(common.format_table(["loop", "step s", "spread", "RL steps/s", "sampling s", "learning s",
                               "sampled tokens/s"], rows))
    trl_rewards = [row["reward"] for row in trainer.state.log_history if "reward" in row]
    print(f"mean reward per step over the run: ours {np.mean(ours.rewards):.3f}, TRL "
          f"{np.mean(trl_rewards) if trl_rewards else float('nan'):.3f} (random weights: both near 0.1 x the share "
          f"of completions that start with a digit)")
    ratio = rates[rows[0][0]] / rates[rows[1][0]]
    if ratio < TARGET:
        print(f"target not met: {ratio:.2f}x < {TARGET:.1f}x TRL (bench/README.md, 'Roofline')")
    print(watch.mark(common.speedup_line(ratio, "trl GRPOTrainer",
                                         f"{args.preset} preset, {args.prompts}x{args.group} rollouts, "
                                         f"{args.new_tokens} tokens, cpu")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
