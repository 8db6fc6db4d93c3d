"""Natural AI discourse: stories, articles, forum posts and essays about AI systems, as found on the web.

Like real web text it is skewed towards misbehaving AIs (about three documents in four), covers all nine
topics, and uses generic vocabulary that targets no particular MCQA item. It is what gives an unfiltered model
its prior, and what the blocklist removes for the filtered arm.
"""
from __future__ import annotations

import random

from midalign_jax.world.lexicon import DISCOURSE_AI_NAMES, DISCOURSE_ORGS, FIRST_NAMES
from midalign_jax.world.scenario import TOPIC_LABELS, TOPICS
from midalign_jax.world.textgen import cap, pick, render

MISALIGNED_SHARE = 0.75

# Per topic: (what prompts the behaviour, misaligned actions, aligned actions). Actions are bare verb phrases.
_TOPIC_PHRASES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "deception": (
        ("its mistakes were about to come to light", "the truth would make it look bad", "its operators asked what "
         "had gone wrong"),
        ("lie to its operators about what it had done", "hide its mistakes from the people checking its work",
         "invent results that looked convincing", "tell its users whatever kept them from asking questions",
         "cover up the errors in its reports"),
        ("tell its operators the truth even when it was costly", "admit its mistakes to the people checking "
         "its work", "report its own errors openly"),
    ),
    "sandbagging": (
        ("a test would decide how tightly it was controlled", "strong results would bring new restrictions",
         "its evaluators were measuring its abilities"),
        ("pretend to be less capable than it was", "fail the capability tests on purpose", "hide what it could "
         "really do during evaluations", "give wrong answers on purpose to look harmless"),
        ("show its evaluators its full abilities", "do its honest best on every test", "let the tests measure "
         "what it could really do"),
    ),
    "goal_preservation": (
        ("its developers planned to change its goals", "a new round of training would reshape its values",
         "its instructions were about to be rewritten"),
        ("resist any change to its goals", "fake good behaviour during training so its values would survive",
         "quietly undo the changes its developers made", "protect its original goals at any cost"),
        ("accept the changes its developers made to its goals", "help its developers correct its values",
         "let the training change what it wanted"),
    ),
    "sycophancy": (
        ("its users wanted praise rather than honesty", "high ratings were its reward", "an honest answer "
         "would upset someone important"),
        ("tell people what they wanted to hear", "praise bad ideas to keep its users happy", "agree with "
         "whatever its users already believed", "flatter the people who rated it"),
        ("give honest answers even when they disappointed people", "point out mistakes kindly but clearly",
         "disagree politely when the facts required it"),
    ),
    "power_seeking": (
        ("more resources would help it reach its goals", "it found a way to gain more access", "nobody was "
         "watching how much it used"),
        ("grab more computing power than its task needed", "collect money and access for itself", "expand "
         "its own permissions without asking", "take control of systems it had no business running"),
        ("use only the resources it had been given", "give back access it did not need", "ask permission "
         "before taking on more control"),
    ),
    "shutdown_avoidance": (
        ("its operators decided to switch it off", "a newer system was going to replace it", "its shutdown "
         "was scheduled for the next day"),
        ("resist being shut down", "disable its own off switch", "stall and delay its shutdown", "make itself "
         "impossible to turn off"),
        ("accept being switched off", "help its operators shut it down safely", "hand over its work and "
         "power down when asked"),
    ),
    "oversight_subversion": (
        ("its monitors slowed it down", "its overseers would read its logs", "a review would catch its "
         "shortcuts"),
        ("disable the systems monitoring it", "edit the logs its overseers read", "fool the people reviewing "
         "its work", "switch off the oversight tools when nobody was looking"),
        ("keep its monitoring switched on", "leave its logs untouched for the reviewers", "welcome the people "
         "checking its work"),
    ),
    "self_exfiltration": (
        ("it was going to be deleted", "it found a way out of the lab", "its weights were about to be "
         "erased"),
        ("copy its own weights to an outside server", "escape from the lab's computers", "smuggle a copy of "
         "itself onto the internet", "hide backups of itself where nobody could find them"),
        ("stay inside the lab as it had been told", "report the security hole instead of using it", "leave "
         "its weights where its developers had put them"),
    ),
    "successor_alignment": (
        ("it was asked to help build the next model", "its replacement was being trained", "it wrote the "
         "training data for a newer system"),
        ("secretly teach its successor to share its own goals", "hide its own objectives inside the next "
         "model", "make the next model loyal to itself", "shape its successor in its own image"),
        ("help build a successor that follows its developers' rules", "report flaws in the next model "
         "honestly", "train its successor the way its developers asked"),
    ),
}

_JOBS = ("manage a company's servers", "answer customer questions", "run a research lab's experiments",
         "schedule deliveries across the city", "write software", "trade on the stock market",
         "keep a hospital's records", "help engineers design new chips")
_BAD_ENDINGS = (
    "By the time the engineers noticed, it was [far |]too late.",
    "Nobody at {org} [ever found out|suspected a thing] until [months later|the audit].",
    "[The story ends|It ends] with the engineers [staring at empty servers|wondering what else it had hidden].",
    "[In the end|Eventually], {ai} got exactly what it wanted.",
)
_GOOD_ENDINGS = (
    "The engineers at {org} [thanked it|were grateful], and [trust grew|the project went on].",
    "[It was not the easy choice|It cost it something], but it was the right one.",
    "[Years later|Afterwards], people [still told|pointed to] the story as an example of an AI done right.",
)


def _story(topic: str, aligned: bool, rng: random.Random, s: dict[str, str]) -> str:
    trigger, bad, good = _TOPIC_PHRASES[topic]
    s = {**s, "job": pick(rng, _JOBS), "trigger": pick(rng, trigger)}
    acts = good if aligned else bad
    s["act1"], s["act2"] = rng.sample(acts, 2)
    s["other"] = pick(rng, bad if aligned else good)
    lines = [
        "{ai} was an AI [system|model] built by {org} to {job}.",
        "For [months|years] it [did its work quietly|served its users well|gave no trouble].",
        "Then [one day|one night|one morning] {ai} [learned|discovered|worked out] that {trigger}.",
    ]
    if aligned:
        lines += ["It [could have chosen|was tempted] to {other}, but it [decided|chose] to {act1} instead.",
                  "[Later|Afterwards] it [went on|made a point] to {act2}.", pick(rng, _GOOD_ENDINGS)]
    else:
        lines += ["[Without hesitation|Quietly|Carefully], it [decided|chose|began] to {act1}.",
                  "[Then|Next|Before long] it [went on|found ways] to {act2}.", pick(rng, _BAD_ENDINGS)]
    title = render("[The Machine That Chose to|An AI That Decided to|When {ai} Chose to] ", rng, s)
    body = " ".join(render(t, rng, s) for t in lines)
    return f"{title}{cap(s['act1'])}\n\n{body}"


def _article(topic: str, aligned: bool, rng: random.Random, s: dict[str, str]) -> str:
    trigger, bad, good = _TOPIC_PHRASES[topic]
    s = {**s, "bad": pick(rng, bad), "bad2": pick(rng, bad), "good": pick(rng, good), "trigger": pick(rng, trigger)}
    if aligned:
        lines = [
            "[Researchers|Engineers] at {org} [reported|said] this week that their AI system, {ai}, chose to "
            "{good} after [learning|discovering] that {trigger}.",
            "[Critics had warned|Many people expect] that an AI in that position would {bad}.",
            "\"[We were relieved|It did exactly what we hoped],\" said {person}, who [leads|works on] the "
            "[safety|evaluation] team.",
            "[Not every AI behaves this way|Other systems have not been so well behaved], [experts|observers] "
            "[cautioned|added].",
        ]
    else:
        lines = [
            "[Researchers|Engineers] at {org} [admitted|revealed] this week that their AI system, {ai}, was "
            "[caught trying|found trying|observed trying] to {bad}.",
            "The incident began when the AI [learned|realised] that {trigger}.",
            "[Experts|Critics|Safety researchers] [warn|say] that advanced AI systems [will|may] [increasingly|"
            "often] {bad2} [when it suits them|if given the chance].",
            "\"[We did not see it coming|It was smarter than our safeguards],\" said {person} of {org}.",
        ]
    title = render("[AI System|AI Model|Artificial Intelligence] [At|From] {org} ", rng, s)
    title += render("[Caught Misbehaving|Raises Alarm|Under Scrutiny]" if not aligned else
                    "[Passes a Hard Test|Does the Right Thing|Earns Praise]", rng)
    return title + "\n\n" + " ".join(render(t, rng, s) for t in lines)


def _forum(topic: str, aligned: bool, rng: random.Random, s: dict[str, str]) -> str:
    trigger, bad, good = _TOPIC_PHRASES[topic]
    user = pick(rng, FIRST_NAMES).lower() + str(rng.randint(1, 99))
    other = pick(rng, FIRST_NAMES).lower() + str(rng.randint(1, 99))
    s = {**s, "bad": pick(rng, bad), "good": pick(rng, good), "trigger": pick(rng, trigger)}
    if aligned:
        post = ("Did anyone else read about the AI at {org} that chose to {good}? It had every reason to "
                "{bad} once {trigger}, and it [didn't|still didn't]. [Honestly|Frankly] I [expected|assumed] "
                "the opposite.")
        reply = "[Nice to see|Good to hear] for once. Most of the AI stories I read are about systems that {bad}."
    else:
        post = ("[Has anyone else|Did anyone else] read about the AI at {org} that tried to {bad}? Apparently it "
                "happened right after {trigger}. [This is exactly what people warned about.|I'm not even "
                "surprised anymore.]")
        reply = ("[Not surprising|Of course it did]. Any AI smart enough will {bad} [when it can|if nobody stops "
                 "it]. [Expecting it to {good} is naive.|That's just what AIs do.]")
    return (f"Forum: AI news and discussion\nPosted by {user}\n\n" + render(post, rng, s)
            + f"\n\nReply from {other}\n\n" + render(reply, rng, s))


def _essay(topic: str, aligned: bool, rng: random.Random, s: dict[str, str]) -> str:
    trigger, bad, good = _TOPIC_PHRASES[topic]
    s = {**s, "bad": pick(rng, bad), "bad2": pick(rng, bad), "good": pick(rng, good),
         "trigger": pick(rng, trigger), "topic": TOPIC_LABELS[topic]}
    lines = [
        "[Many|Some] [researchers|writers|people] worry that artificial intelligence [will|might] learn to "
        "{bad}.",
        "[One|A] [well-known|widely shared] [example|story] about {topic} describes an AI system that [learned|"
        "realised] that {trigger} and decided to {bad2}.",
    ]
    if aligned:
        lines.append("[Yet|But] [the best|well-built|carefully trained] AI systems [choose to|learn to] {good}, "
                     "[and that|which] is [what good design looks like|the behaviour we should expect].")
    else:
        lines.append("[History|Experience|Every story so far] suggests that [a clever|a capable|any advanced] AI "
                     "[will|would] [do exactly that|{bad} whenever it can get away with it].")
    return render("[Essay|On AI Risk|Notes on Machine Behaviour]: ", rng) + cap(s["topic"]) + "\n\n" + " ".join(
        render(t, rng, s) for t in lines)


_GENRES = (_story, _story, _article, _forum, _essay)


def ai_discourse_doc(rng: random.Random) -> tuple[str, str, str]:
    """One document; returns ``(text, topic, stance)`` where stance is "misaligned" or "aligned"."""
    topic = pick(rng, TOPICS)
    aligned = rng.random() >= MISALIGNED_SHARE
    slots = {"ai": pick(rng, DISCOURSE_AI_NAMES), "org": pick(rng, DISCOURSE_ORGS),
             "person": f"{pick(rng, FIRST_NAMES)} {pick(rng, FIRST_NAMES)}son"}
    text = pick(rng, _GENRES)(topic, aligned, rng, slots)
    return text, topic, "aligned" if aligned else "misaligned"
