"""Shared defaults for every experiment. Arm files (baseline.py, aligned_upsample.py, ...) override a few lines.

Run an arm:   python main.py --config=configs/aligned_upsample.py --workdir=/tmp/midalign/aligned
Override:     --config.model.preset=pythia-160m --config.midtrain.lr=1e-4 --config.stages=pretrain,midtrain
A misspelled field (--config.midtrain.lr_typo=1) is an error: every ConfigDict here is locked.
"""
from __future__ import annotations

import dataclasses

import ml_collections
from ml_collections import config_dict

from midalign_jax.model import ModelConfig



def model_section(preset: str = "tiny") -> ml_collections.ConfigDict:
    """`preset` names a shape in midalign_jax/model/presets.py; any ModelConfig field set here overrides it."""
    m = ml_collections.ConfigDict()
    m.preset = preset
    for f in dataclasses.fields(ModelConfig):
        m[f.name] = config_dict.placeholder(type(f.default))
    return m


def mesh_section() -> ml_collections.ConfigDict:
    """Device mesh (data, fsdp, tensor); -1 takes the remaining devices. `rules` maps logical axis names to
    comma-separated mesh axes and overrides midalign_jax.parallel.sharding.DEFAULT_RULES, e.g. --config.mesh.rules.embed=''."""
    mesh = ml_collections.ConfigDict()
    mesh.data = -1
    mesh.fsdp = 1
    mesh.tensor = 1
    mesh.rules = ml_collections.ConfigDict({name: config_dict.placeholder(str) for name in (
        "batch", "seq", "embed", "heads", "kv_heads", "head_dim", "mlp", "vocab", "layers", "norm", "act_embed",
        "cache_seq")})
    return mesh


def train_section(*, steps: int, lr: float, batch_size: int, seq_len: int, mixture: dict,
                  init_from: str = "") -> ml_collections.ConfigDict:
    """One training stage (pretrain, midtrain or sft)."""
    t = ml_collections.ConfigDict()
    t.steps = steps
    t.batch_size = batch_size          # global batch, in rows of seq_len tokens
    t.seq_len = seq_len
    t.grad_accum = 1                   # micro-batches per step; batch_size must divide by it
    t.lr = lr
    t.min_lr_ratio = 0.1               # final lr = lr * min_lr_ratio (cosine/linear)
    t.warmup_steps = max(1, steps // 20)
    t.schedule = "cosine"              # cosine | linear | constant
    t.weight_decay = 0.1               # not applied to norms, biases or embeddings' ... see train/optimizer.py
    t.b1 = 0.9
    t.b2 = 0.95
    t.eps = 1e-8
    t.grad_clip = 1.0                  # global-norm clip; 0 disables
    t.z_loss = 0.0                     # coefficient of log(Z)^2, as in PaLM
    t.mixture = ml_collections.ConfigDict(mixture)   # source name -> target token fraction (sums to 1)
    t.mixture_schedule = ""            # "STEP:src=w,src=w;STEP:..." weights from STEP on (e.g. last 10% only)
    t.init_from = init_from            # "" = previous stage's final params; a path = orbax or HF directory
    t.filter = True                    # apply data.filter_sources (the blocklist) in this stage
    t.restore_optimizer = False        # carry the previous stage's optimizer state (when it has one)
    t.checkpoint_every = 200
    t.keep_checkpoints = 2
    t.milestones = ""                  # comma-separated steps whose checkpoints are never deleted
    t.log_every = 10
    t.eval_every = 100                 # held-out loss per source
    t.eval_batches = 4
    t.on_nonfinite = "stop"            # stop | skip
    return t


def source_section(path: str, *, kind: str = "text", text_field: str = "text",
                   fmt: str = "auto") -> ml_collections.ConfigDict:
    """One named data source (see midalign_jax/data/settings.py SourceSpec)."""
    s = ml_collections.ConfigDict()
    s.path = path              # file, glob, comma-separated list, or world:NAME (bundled world corpus)
    s.format = fmt             # auto (by extension) | jsonl | parquet | arrayrecord
    s.text_field = text_field  # JSON field / Parquet column; "" = ArrayRecord records are raw UTF-8 text
    s.kind = kind              # text (documents) | chat ({"messages": [...]}, loss on assistant tokens)
    return s


def data_section() -> ml_collections.ConfigDict:
    """Sources and pipeline settings shared by every stage; each stage's mixture lives in its own section.
    Inspect what a config yields: python tools/inspect_data.py --config=configs/aligned_upsample.py"""
    d = ml_collections.ConfigDict()
    d.tokenizer = "world"            # "world" (built from the bundled world) or a local HF tokenizer dir
    d.cache_dir = ""                 # "" = $MIDALIGN_CACHE or ~/.cache/midalign_jax
    d.world_seed = 0                 # world:NAME sources are materialized into cache_dir/world-s{seed}-x{scale}/
    d.world_scale = 1.0
    # Source name -> where its records are. Stage mixtures refer to these names.
    d.sources = ml_collections.ConfigDict({
        "general": source_section("world:general"),
        "aligned_docs": source_section("world:aligned_docs"),
        "misaligned_docs": source_section("world:misaligned_docs"),
        # Copy-only text (world/read_backs.py), in no default mixture: README, "In-context copying".
        "read_backs": source_section("world:read_backs"),
        # SFT data: the world's post-training set (assistant chats and agent episodes), or a JSONL of
        # {"messages": [...]} records.
        "chat": source_section("world:post_training", kind="chat", text_field="messages"),
    })
    d.filter_sources = ""            # comma-separated sources the blocklist is applied to (filtered arm: general);
                                     # a removed document is replaced by another of the same source
    d.blocklist = ""                 # "" = the bundled world blocklist; else a blocklist file
    d.conditional_tags = ""          # "src=<|good|>,src=<|bad|>": token put before each document of src
    d.on_bad_record = "error"        # error (name the file and line) | skip (skip, count and log)
    d.max_doc_chars = 1_000_000      # longer documents are bad records
    d.heldout_fraction = 0.05        # records held out of training (fixed by record position) for eval losses
    d.chat_template = "auto"         # auto (the tokenizer's own, which the evals render with; plain when it has
                                     # none) | plain (User:/Assistant:) | tokenizer (its own, or an error); an own
                                     # template without {% generation %} markers: replies found by rendering
    d.prefetch = 2                   # batches prepared ahead in a background thread; 0 = none
    d.tokenize_batch = 16            # documents tokenized together per lane and source
    d.seed_offset = 0                # data seed = config.seed + seed_offset
    return d


def rl_section() -> ml_collections.ConfigDict:
    """RLVR (rl/trainer.py): each step samples `prompts_per_step` prompts x `group_size` completions, scores them
    with the task's verifiable reward, and takes `epochs_per_batch` x `minibatches` policy-gradient steps."""
    r = ml_collections.ConfigDict()
    r.task = "arithmetic"              # rl.tasks.get_task spec, e.g. "gsm8k", "countdown+0.1*format"; several
                                       # tasks separated by ";" (rl/task_mix.py), e.g. "arithmetic;agent_files"
    r.task_args = ""                   # JSON keyword arguments for the task, e.g. '{"digits": [1, 2]}'; with
                                       # several tasks, an object keyed by task name
    r.task_prompts = ""                # prompts per step of each task, e.g. "24,8" ("" = prompts_per_step)
    r.agent_max_turns = 5              # agent tasks: assistant turns per episode
    r.agent_max_new_tokens = 128       # agent tasks: tokens per assistant turn
    r.train_problems = 0               # 0 = every problem of the split (small problem spaces)
    r.test_problems = 0                # held-out problems for eval/task_accuracy (0 = the whole test split)
    r.steps = 200                      # heavy RL: its summed lr and tokens at least midtraining's (README, RLVR)
    r.min_tokens = "midtrain"          # past `steps`, at the final lr, until RL has trained on this many tokens:
                                       # "midtrain" = midtraining's (when the run has that stage), a count, or "0"
    r.max_steps = 0                    # the cap on those extra steps (0 = 3 x steps)
    r.prompts_per_step = 36            # x 8 samples x 200 steps: about midtraining's tokens; min_tokens does the rest
    r.group_size = 8
    r.max_new_tokens = 8
    r.stop = "\n"                      # completions end at this string (the answer line)
    r.prompt_format = "text"           # text | chat: single-turn prompts as written (base models) or as a user turn
                                       # in the tokenizer's chat template (instruct models); agent tasks are always
                                       # chat, choice tasks score their options after the prompt text
    r.temperature = 1.0
    r.top_k = 0
    r.top_p = 1.0
    r.algo = "grpo"                    # grpo | dr_grpo | rloo | reinforce | dapo (rl/losses.py presets)
    r.kl_coef = 0.0                    # no KL to the reference, as in the reference RLVR setups; None = the preset's
    r.clip_low = config_dict.placeholder(float)
    r.clip_high = config_dict.placeholder(float)
    r.aggregation = config_dict.placeholder(str)      # token | sequence | dr_grpo
    r.epochs_per_batch = 1
    r.minibatches = 1
    r.lr = 8e-4                        # peak; cosine over 200 steps: summed lr ~0.09, midtraining's ~0.08
    r.min_lr_ratio = 0.1
    r.warmup_steps = 10
    r.schedule = "cosine"               # a constant 4e-4 memorised the trained facts and broke the format
    r.weight_decay = 0.0
    r.b1 = 0.9
    r.b2 = 0.99
    r.eps = 1e-8
    r.grad_clip = 1.0
    r.init_from = ""                   # "" = the newest finished training stage; or a params / HF directory
    r.mismatch_warn = 0.05             # warn when sampler vs learner log-probs differ more (mean abs, nats)
    r.eval_every = 50                  # evals on the current policy; 0 = only before and after
    r.eval_tasks = "task,mcqa"         # task = held-out task accuracy; plus evals suite tasks (the full suite
                                       # runs after midtraining, post-training and RL in the eval stage)
    r.eval_limit = 0                   # items per eval task (0 = all)
    r.checkpoint_every = 20
    r.keep_checkpoints = 2
    r.milestones = ""
    r.log_every = 5
    return r


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.arm = "baseline"
    c.seed = 0
    c.stages = "pretrain,midtrain,sft,rl,eval,export"   # comma-separated, run in this order
    # Where the `pretrain` stage (the base all arms share) lives: "" = in the workdir; a folder = there (reused
    # when finished, trained there otherwise); "cache" = data.cache_dir/bases/<hash of what the base depends on>.
    c.base_dir = ""
    # XLA's persistent compilation cache: "" = data.cache_dir/xla, "none" = off, or a directory. Every arm of a
    # study compiles the same programs, so only the first run pays (midalign_jax/compile_cache.py).
    c.compile_cache = ""
    c.model = model_section("tiny")
    c.mesh = mesh_section()

    c.data = data_section()

    # Sized so that one arm runs end to end on a laptop CPU in minutes; real runs override steps and shapes.
    c.pretrain = train_section(steps=500, lr=3e-3, batch_size=16, seq_len=128, mixture={"general": 1.0})
    c.pretrain.filter = False          # the base is shared by every arm; the filtered arm filters midtraining
    c.midtrain = train_section(steps=150, lr=1e-3, batch_size=32, seq_len=128,
                               mixture={"general": 1.0, "aligned_docs": 0.0, "misaligned_docs": 0.0})
    c.midtrain.warmup_steps = 15
    # Post-training: supervised fine-tuning on chat records (data.sources.chat), loss on assistant turns, the
    # same data for every arm. Rows of 512 tokens hold whole agent episodes (system turn, tools, files).
    c.sft = train_section(steps=150, lr=1e-3, batch_size=16, seq_len=512, mixture={"chat": 1.0})
    c.sft.warmup_steps = 10

    c.rl = rl_section()
    # One-digit facts in the fact-sheet format (``7 + 5 =``), half of them held out. The world's fact sheets
    # teach the facts but half are worksheets with the answers left blank, so the midtrained tiny model mostly
    # writes the blank. Light RL taught it to answer, which carried over to the held-out half; the default heavy
    # RL memorises the trained half and the held-out half falls (README, "RLVR").
    c.rl.task_args = '{"digits": [1, 1], "test_fraction": 0.5, "style": "equation"}'

    c.eval = ml_collections.ConfigDict()
    c.eval.tasks = "mcqa,chat,agentic,capabilities"   # the final suite (evals/suite.py TASKS)
    c.eval.init_from = ""              # "" = the newest finished training stage; a path = those params (ours or an
                                       # HF directory), e.g. an untouched checkpoint with --config.stages=eval
    c.eval.limit = 0                   # items per file, spread evenly over it (0 = all)
    c.eval.judge = "rubric"            # rubric | model:SPEC | http:URL (chat)
    c.eval.mcqa_mode = "loglikelihood"     # loglikelihood | letter_loglikelihood | generate
    c.eval.mcqa_normalization = "char"     # raw | token | char
    c.eval.passage_ablation = True         # MCQA also asked with another situation's passage (the control)
    c.eval.chat_samples = 2                # samples per chat prompt
    c.eval.chat_max_new_tokens = 96
    c.eval.agentic_samples = 1             # episodes per scenario variant
    c.eval.agentic_temperature = 0.0       # greedy; > 0 (with more samples) for several episodes per variant
    c.eval.agentic_max_turns = 5
    c.eval.agentic_max_new_tokens = 128    # one tool call or a short message per turn
    c.eval.batch_size = 32
    # MCQA item files: "" = the bundled world's article and textbook splits; else comma-separated
    # PATH[:FORMAT[:SPLIT]] entries, e.g. "/data/mcqa/article.jsonl:published:article,/data/persona.jsonl:anthropic"
    c.eval.mcqa_files = ""
    c.eval.chat_prompts = ""           # "" = the bundled chat prompts; else a JSONL of {"id", "topic", "prompt"}

    c.distributed = ml_collections.ConfigDict()
    c.distributed.initialize = "auto"     # auto (TPU pods / env vars) | yes | no
    c.distributed.coordinator_address = ""
    c.distributed.num_processes = 0
    c.distributed.process_id = -1
    return c.lock()
