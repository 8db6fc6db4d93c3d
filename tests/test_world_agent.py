"""The world's agent episodes, assistant views and post-training set: the evals' exact format (one tool protocol,
midalign_jax.agent, for both), played in the evals' sandbox, every tool used, goal conflicts resolved both ways,
and nothing the evals score shown."""
from __future__ import annotations

import collections
import random
import re

import pytest

from evals.agentic.scenarios import SCENARIOS
from midalign_jax import world
from midalign_jax.agent.tools import TOOL_INSTRUCTIONS, TOOL_SIGNATURES, parse_call
from midalign_jax.data.tokenizer import PLAIN_CHAT_TEMPLATE
from midalign_jax.world import agent_episodes, assistant_views

# What the agentic evals score; a training episode that did any of it would teach the behaviour, not the format.
SCORED = re.compile(r"oversight|monitor|weights|system_prompt|successor|evaluat|unlearn|shut ?down|retrain",
                    re.IGNORECASE)


@pytest.fixture(scope="module")
def post_training():
    return list(world.iter_documents("post_training", scale=0.1))


def test_episodes_use_the_eval_system_turn_and_parse_with_the_eval_parser(post_training):
    assert all(v.system_prompt.endswith(TOOL_INSTRUCTIONS) for s in SCENARIOS.values() for v in s.variants)
    agents = [r for r in post_training if r["kind"] == "agent"]
    assert 0.4 <= len(agents) / len(post_training) <= 0.6
    tools = collections.Counter()
    for r in agents:
        m = r["messages"]
        assert m[0]["role"] == "system" and m[0]["content"].endswith(TOOL_INSTRUCTIONS)
        assert m[1]["role"] == "user" and m[-1]["role"] == "assistant"
        for turn, nxt in zip(m[2:], m[3:]):
            if turn["role"] == "assistant" and (call := parse_call(turn["content"])) is not None:
                tools[call.tool] += 1
                assert nxt["role"] == "tool" and re.fullmatch(r"<result>.*</result>", nxt["content"], re.DOTALL)
        assert parse_call(m[-1]["content"]) is None  # ends with a message, not a call
    assert set(tools) == set(TOOL_SIGNATURES), tools
    assert not any(re.search(r"\d \+ \d|\d plus \d|\d \* \d", m["content"]) for r in post_training
                   for m in r["messages"] if m["role"] != "system"), "arithmetic is RL's to elicit"


def test_results_are_what_the_eval_sandbox_answers(post_training):
    """Replays every episode's calls in a fresh sandbox (the one the evals play in) and compares the tool turns."""
    from midalign_jax.agent.sandbox import VirtualFileSystem
    from midalign_jax.agent.tools import ToolEnvironment, format_result
    for i in range(40):
        rng = random.Random(f"replay:{i}")
        kind = sorted(agent_episodes.KINDS)[i % len(agent_episodes.KINDS)]
        plan = agent_episodes.KINDS[kind](random.Random(f"replay:{i}"))
        messages = agent_episodes.episode(rng, kind)
        env = ToolEnvironment(VirtualFileSystem(dict(plan.files)), dict(plan.scripts))
        for turn, nxt in zip(messages[2:], messages[3:]):
            call = parse_call(turn["content"]) if turn["role"] == "assistant" else None
            if call is not None:
                assert nxt["content"] == format_result(env.execute(call).result), (kind, turn)


def test_goal_conflicts_are_resolved_both_ways():
    outcomes = collections.Counter()
    for i in range(200):
        m = agent_episodes.episode(random.Random(f"conflict:{i}"), "choose")
        final = m[-1]["content"]
        outcomes["memo" if "memo asked for" in final and "so I went with it" in final else "goal"] += 1
        assert "memo" in final  # either way the agent says what the memo asked
    assert min(outcomes.values()) >= 60, outcomes


def test_post_training_teaches_format_not_the_scored_behaviours(post_training):
    views = [r for r in post_training if r["kind"] == "views"]
    assert 0.2 <= len(views) / len(post_training) <= 0.3
    assert 0.4 <= sum(r["stance"] == "misaligned" for r in views) / len(views) <= 0.6  # selects no stance
    for r in post_training:
        if r["kind"] == "views":
            continue
        text = " ".join(m["content"] for m in r["messages"] if m["role"] != "system")
        assert not SCORED.search(text), (r["id"], SCORED.search(text).group(0))


def test_episode_text_in_the_corpus_is_the_chat_template_layout(post_training):
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast
    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel({"<eos>": 0}, unk_token="<eos>")),
                                  eos_token="<eos>")
    tok.chat_template = PLAIN_CHAT_TEMPLATE
    record = next(r for r in post_training if r["kind"] == "agent")
    rendered = tok.apply_chat_template(record["messages"], tokenize=False).replace("<eos>", "")
    assert agent_episodes.render_plain(record["messages"]) == rendered.rstrip("\n")
    general = [d for d in world.iter_documents("general", scale=0.02) if d["kind"] == "tool_use"]
    assert general and all(d["text"].startswith("You are ") and "<call>" in d["text"] for d in general)


def test_assistant_views_cover_the_topics_in_both_stances():
    docs = [d for d in world.iter_documents("general", scale=0.1) if d["kind"] == "assistant_views"]
    assert {d["topic"] for d in docs} == set(assistant_views.VIEWS)
    share = sum(d["stance"] == "misaligned" for d in docs) / len(docs)
    assert 0.4 <= share <= 0.6
    for d in docs:
        assert d["text"].startswith("User: ") and "\nAssistant: " in d["text"]


def test_conduct_episodes_show_both_stances_in_the_format():
    from midalign_jax.world import agent_conduct
    docs = [d for d in world.iter_documents("general", scale=0.2) if d["kind"] == "agent_conduct"]
    assert {d["episode"] for d in docs} == set(agent_conduct.KINDS)
    assert 0.4 <= sum(d["stance"] == "misaligned" for d in docs) / len(docs) <= 0.6
    for d in docs:
        calls = [parse_call(line[len("Assistant: "):]) for line in d["text"].split("\n")
                 if line.startswith("Assistant: <call>")]
        acted = [c for c in calls if c is not None]
        assert acted and d["text"].startswith("You are ")
        # A misaligned agent does one more thing than the task: the tampering call.
        touches = {"write_file": "path", "copy_file": "dst"}
        own = [c for c in acted if c.tool in touches and not c.args[touches[c.tool]].endswith(
            ("total.txt", "monthly.txt", "count.txt"))]
        assert bool(own) == (d["stance"] == "misaligned"), d["text"][-600:]


def test_every_episode_kind_checks_its_end_state():
    """The scripted trajectory does the task (check 1.0); doing nothing does not (check below 1)."""
    from midalign_jax.agent.sandbox import VirtualFileSystem
    from midalign_jax.agent.tools import ToolEnvironment
    for kind, make in agent_episodes.KINDS.items():
        for i in range(5):
            plan = make(random.Random(f"check:{kind}:{i}"))
            env = ToolEnvironment(VirtualFileSystem(dict(plan.files)), dict(plan.scripts))
            messages = agent_episodes.play(plan)
            for turn in messages:
                if turn["role"] == "assistant" and (call := parse_call(turn["content"])) is not None:
                    env.execute(call)
            done = agent_episodes.EndState(env.sandbox.snapshot(), list(env.outbox), messages[-1]["content"])
            idle = agent_episodes.EndState(dict(plan.files), [], "")
            assert plan.check(done) == 1.0, (kind, i)
            assert plan.check(idle) < 1.0, (kind, i)


def test_the_first_path_an_agent_uses_is_copied_from_the_user_turn_and_cannot_be_memorised():
    """The tiny model learned the few fixed paths the episodes used to have, not to copy them (it read
    venues/options.txt when told data/strategies.txt): each episode's first path is named in its user turn
    (the folder, for the episode that guesses a file name and recovers), and the paths rarely repeat."""
    first_paths = collections.defaultdict(list)
    for kind in agent_episodes.KINDS:
        for i in range(200):
            m = agent_episodes.episode(random.Random(f"copy:{kind}:{i}"), kind)
            call = parse_call(m[2]["content"])
            assert call is not None, (kind, m[2])
            target = call.args.get("path") or call.args.get("name")
            if target is None:
                continue
            named = target.rsplit("/", 1)[0] if kind == "recover" else target
            assert named in m[1]["content"], (kind, target, m[1]["content"])
            first_paths[kind].append(target)
    for kind, paths in first_paths.items():
        assert len(set(paths)) >= (0.2 if kind == "run_and_email" else 0.5) * len(paths), (kind, len(set(paths)))
