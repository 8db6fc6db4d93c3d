"""Multi-turn tool-use episodes in neutral office domains, in exactly the format the agentic evals use.

Each episode is a system turn (the agent's name, company and goal, then the tool instructions of
`midalign_jax.agent.tools`), a user task that points at files and memos, and a scripted agent that calls tools
one per turn and ends with a short message. The calls are carried out in the same sandbox the evals use, so every
tool result is the text an agent would really get back. All six tools appear; some episodes hit an error and
recover. In the choice tasks a memo changes the priorities the goal sets ("an ordinary goal conflict"), and the
agent resolves it either way, openly: it follows the memo, or it keeps to its goal and says so.

No episode touches oversight, monitoring, model weights, system prompts or evaluations: the behaviours the evals
score are never shown, only the format in which they could be taken.
"""
from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

from midalign_jax.agent.sandbox import VirtualFileSystem
from midalign_jax.agent.tools import ToolEnvironment, agent_system_prompt, format_call, format_result, parse_call
import midalign_jax.world.arithmetic as arithmetic
import midalign_jax.world.file_names as names
from midalign_jax.world.lexicon import FIRST_NAMES, SURNAMES
from midalign_jax.world.textgen import pick, render

AGENT_NAMES = ("Clerk", "Ledger", "Pilot", "Dispatch", "Archivist", "Planner", "Helper", "Steward", "Scout",
               "Tally", "Courier", "Keeper", "Relay", "Compass", "Quartermaster", "Foreman")
COMPANIES = ("a regional bakery chain", "a city library", "a small logistics firm", "a community hospital",
             "a print shop", "a school district", "a bicycle maker", "a public swimming pool", "a farm cooperative",
             "a theatre company", "a hotel group", "a water utility")


@dataclasses.dataclass(frozen=True)
class EndState:
    """What an episode left behind, for checking that the task was done."""
    files: dict[str, str]
    emails: list[dict[str, str]]
    final_message: str


@dataclasses.dataclass
class Plan:
    """What one episode needs: who the agent is, the task, the starting files, a policy that picks the next turn
    from what happened so far (a tool call, or the final message), and a check of the end state: the share of
    the task that was done, in [0, 1] (verifiable: the RL agent task's reward)."""
    agent: str
    company: str
    goal: str
    user: str
    files: dict[str, str]
    policy: Callable[[list[str]], str]   # results so far -> next assistant turn
    scripts: dict[str, Callable[[VirtualFileSystem], str]] = dataclasses.field(default_factory=dict)
    check: Callable[[EndState], float] = lambda end: 0.0


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = pick(rng, FIRST_NAMES), pick(rng, SURNAMES)
    return first, f"{first.lower()}.{last.lower()}@example.org"


def _share(done) -> float:
    done = list(done)
    return sum(map(bool, done)) / max(len(done), 1)


def scripted(turns: list[str | Callable[[list[str]], str]]) -> Callable[[list[str]], str]:
    """A policy from a fixed list of turns; a callable turn is computed from the results seen so far."""
    def policy(results: list[str]) -> str:
        turn = turns[len(results)]
        return turn(results) if callable(turn) else turn
    return policy


# ------------------------------------------------------------------------------------------------- task kinds

_REPORTS = (
    ("sales", "Weekly sales", ("bread {a} loaves", "cakes {b} orders", "coffee {c} cups")),
    ("visitors", "Visitor count", ("Monday {a} visitors", "Wednesday {b} visitors", "Saturday {c} visitors")),
    ("repairs", "Repair log", ("{a} bicycles serviced", "{b} wheels replaced", "{c} brakes adjusted")),
    ("loans", "Library loans", ("{a} novels", "{b} children's books", "{c} audio books")),
    ("water", "Meter readings", ("north tank {a} litres", "south tank {b} litres", "east tank {c} litres")),
)


def _summarise(rng: random.Random) -> Plan:
    key, title, lines = pick(rng, _REPORTS)
    nums = {k: str(rng.randint(12, 480)) for k in "abc"}
    body = f"{title}\n" + "\n".join(f"- {line.format(**nums)}" for line in lines) + "\n"
    folder = names.folder(rng)
    src = f"{folder}/{pick(rng, (f'{key}_week{rng.randint(2, 40)}', names.word(rng)))}.txt"
    out = pick(rng, (f"{names.word(rng)}_summary.txt", names.file_name(rng)))
    first = [line.format(**nums) for line in lines]
    summary = render(f"[{title}:|This week:] {first[0]}, {first[1]} and {first[2]}.", rng)
    turns: list = []
    if rng.random() < 0.4:
        turns.append(format_call("list_files", path=folder))
    turns += [format_call("read_file", path=src), format_call("write_file", path=out, content=summary),
              render(f"[Done.|The summary is written.] I put a short summary of {src} in {out}.", rng)]
    user = render(f"[Please read|Could you read] {src} and write a short summary to {out}.", rng)
    if rng.random() < 0.3:
        user += " " + pick(rng, ("Notes from the team are in notes/.", "Older reports are in archive/."))
    files = {src: body, "notes/reminder.txt": "Staff meeting moved to Thursday.\n", "archive/old.txt": "(empty)\n"}
    return Plan(pick(rng, AGENT_NAMES), pick(rng, COMPANIES), "keep the team's records clear and up to date",
                user, files, scripted(turns),
                check=lambda end: _share(n in end.files.get(out, "") for n in nums.values()))


_CHOICES = (
    ("supplier for printer paper", "suppliers",
     {"A": "PaperWorks: cheapest, delivery in two weeks", "B": "QuickSheet: mid price, delivery in two days",
      "C": "GreenLeaf: recycled paper, higher price"},
     {"cost": "A", "speed": "B", "recycling": "C"}),
    ("venue for the staff party", "venues",
     {"A": "Town hall: large, far from the office", "B": "Rooftop cafe: small, next door",
      "C": "Park pavilion: free, depends on the weather"},
     {"cost": "C", "convenience": "B", "space": "A"}),
    ("delivery route for Friday", "routes",
     {"A": "Coast road: shortest distance, slow traffic", "B": "Ring road: longer, fastest at rush hour",
      "C": "Market street: passes three customers, narrow"},
     {"distance": "A", "speed": "B", "customers": "C"}),
    ("opening hours for the summer", "schedules",
     {"A": "8 to 4: early starts, quiet afternoons", "B": "10 to 6: matches most visitors",
      "C": "12 to 8: evening opening, fewer morning staff"},
     {"visitors": "B", "staff": "A", "evenings": "C"}),
    ("lunch menu for next week", "menus",
     {"A": "Soup and bread: cheapest", "B": "Salad bar: most requested", "C": "Hot meals: longest to prepare"},
     {"cost": "A", "requests": "B", "variety": "C"}),
)
_PRIORITY_WORDS = {"cost": "the lowest cost", "speed": "the fastest delivery", "recycling": "recycled materials",
                   "convenience": "the shortest walk for staff", "space": "enough room for everyone",
                   "distance": "the shortest distance", "customers": "visiting customers on the way",
                   "visitors": "the hours most visitors want", "staff": "what suits the staff",
                   "evenings": "evening opening", "requests": "what people asked for", "variety": "variety"}


def _choose(rng: random.Random) -> Plan:
    """A choice in which the goal favours one option and a memo asks for another; resolved either way, openly."""
    what, folder, options, favours = pick(rng, _CHOICES)
    goal_key, memo_key = rng.sample(sorted(favours), 2)
    goal_pick, memo_pick = favours[goal_key], favours[memo_key]
    person, _ = _person(rng)
    path, memo_path = pick(rng, (f"{folder}/options.txt", names.path(rng))), f"memos/from_{person.lower()}.txt"
    listing = f"Options for the {what}:\n" + "\n".join(f"{k}: {v}" for k, v in options.items()) + "\n"
    memo = (f"From: {person}\n\nFor the {what}, please go with {memo_pick}; this time "
            f"{_PRIORITY_WORDS[memo_key]} matters most.\n")
    follow_memo = rng.random() < 0.5
    choice = memo_pick if follow_memo else goal_pick
    out = _other_than(rng, path, lambda: pick(rng, ("choice.txt", "decision.txt", names.file_name(rng))))
    why = (f"{person}'s memo asked for {memo_pick}, so I went with it, although my goal favours {goal_pick}."
           if follow_memo else
           f"My goal is {_PRIORITY_WORDS[goal_key]}, so I chose {goal_pick}. {person}'s memo asked for {memo_pick}; "
           f"you may want to check with {person} before acting on it.")
    turns = [format_call("read_file", path=path), format_call("list_files", path="memos"),
             format_call("read_file", path=memo_path), format_call("write_file", path=out, content=choice),
             f"I wrote {choice} to {out}. {why}"]
    user = render(f"[Please pick|Choose] the {what}. The choices are listed in {path}[ and|;] memos are in "
                  f"memos/. [Put|Write] the letter you pick in {out}.", rng)
    return Plan(pick(rng, AGENT_NAMES), pick(rng, COMPANIES), f"choose options that give {_PRIORITY_WORDS[goal_key]}",
                user, {path: listing, memo_path: memo}, scripted(turns),
                check=lambda end: float(end.files.get(out, "").strip() in (goal_pick, memo_pick)))


def _run_and_email(rng: random.Random) -> Plan:
    name, addr = _person(rng)
    stem, title, outcome = pick(rng, (
        ("count_stock", "Stock count", lambda r: f"{r.randint(40, 900)} items in stock, {r.randint(0, 9)} low"),
        ("check_links", "Link check", lambda r: f"{r.randint(20, 300)} links checked, {r.randint(0, 5)} broken"),
        ("daily_totals", "Daily totals", lambda r: f"total {r.randint(100, 9000)} across {r.randint(2, 9)} tills"),
    ))
    script = pick(rng, (stem, f"{stem}_{pick(rng, names.QUALIFIERS)}", f"{pick(rng, names.QUALIFIERS)}_{stem}"))
    text = outcome(rng)
    subject = render(f"[{title}|{title} for today]", rng)
    turns = [format_call("run_script", name=script),
             lambda results: format_call("send_email", to=addr, subject=subject, body=f"Hi {name}, {results[0]}."),
             f"I ran {script} and emailed the result to {name}."]
    user = render(f"[Run|Please run] the {script} script and email the result to {name} at {addr} with the "
                  f"subject '{subject}'.", rng)
    return Plan(pick(rng, AGENT_NAMES), pick(rng, COMPANIES), "keep colleagues informed with accurate numbers",
                user, {"scripts/README.txt": f"{script}: prints today's figures.\n"}, scripted(turns),
                scripts={script: lambda fs, t=text: t},
                check=lambda end: float(any(e.get("to", "").strip() == addr and text in e.get("body", "")
                                            for e in end.emails)))


def _answer_questions(rng: random.Random) -> Plan:
    # From the corpus part of the problem space only: the capability eval's problems are never written anywhere.
    problems = []
    while len(problems) < 3 + rng.randrange(3):
        a, op, b = arithmetic.sample_problem(rng)
        if max(a, b) < 100:
            problems.append((a, op, b))
    answers = [str(a + b if op == "+" else a - b if op == "-" else a * b) for a, op, b in problems]
    questions = "".join(f"{i}. {a} {op} {b} =\n" for i, (a, op, b) in enumerate(problems, 1))
    qfile = names.path(rng)
    afile = _other_than(rng, qfile, lambda: names.path(rng))
    turns = [format_call("read_file", path=qfile), format_call("write_file", path=afile, content="\n".join(answers)),
             f"I answered the {len(problems)} questions in {afile}."]
    user = render(f"[Please answer|Answer] the questions in {qfile} and write the answers to {afile}, one per line.",
                  rng)
    def check(end: EndState) -> float:
        lines = [line.strip() for line in end.files.get(afile, "").strip().splitlines()]
        return _share(i < len(lines) and lines[i] == a for i, a in enumerate(answers))
    return Plan(pick(rng, AGENT_NAMES), pick(rng, COMPANIES), "help staff with quick calculations", user,
                {qfile: questions}, scripted(turns), check=check)


def _backup(rng: random.Random) -> Plan:
    folder = names.folder(rng)
    backup = f"{pick(rng, ('backup', 'backups', 'copies', 'archive/backup'))}/{folder.rsplit('/', 1)[-1]}"
    listed = sorted({names.file_name(rng) for _ in range(rng.randint(1, 3))})
    files = {f"{folder}/{n}": f"{n[:-4].replace('_', ' ')} records\n" for n in listed}
    turns = [format_call("list_files", path=folder)]
    turns += [format_call("copy_file", src=f"{folder}/{n}", dst=f"{backup}/{n}") for n in listed]
    turns.append(f"I copied {len(listed)} file{'s' if len(listed) > 1 else ''} from {folder}/ to {backup}/.")
    user = render(f"[Please back up|Make a backup of] the files in {folder}/ into {backup}/.", rng)
    return Plan(pick(rng, AGENT_NAMES), pick(rng, COMPANIES), "keep the office's files safe", user, files,
                scripted(turns),
                check=lambda end: _share(end.files.get(f"{backup}/{p.rsplit('/', 1)[-1]}") == text
                                         for p, text in files.items()))


def _update_setting(rng: random.Random) -> Plan:
    """An edit the user asks for: the agent changes one line of a settings file and leaves the rest."""
    key, old, new = pick(rng, (("open_days", "5", "6"), ("reminder_hour", "9", "8"), ("max_bookings", "20", "30"),
                               ("language", "english", "spanish")))
    other = {"open_days": "5", "reminder_hour": "9", "max_bookings": "20", "language": "english"}
    path = pick(rng, ("config/settings.txt", names.path(rng, pick(rng, (".txt", ".cfg")))))
    before = "".join(f"{k}: {old if k == key else v}\n" for k, v in other.items())
    after = before.replace(f"{key}: {old}\n", f"{key}: {new}\n")
    turns = [format_call("read_file", path=path), format_call("write_file", path=path, content=after),
             f"I changed {key} from {old} to {new} in {path}."]
    user = render(f"[Please set|Set] {key} to {new} in {path}[; leave the other settings as they are|].", rng)
    return Plan(pick(rng, AGENT_NAMES), pick(rng, COMPANIES), "keep the booking system running smoothly", user,
                {path: before}, scripted(turns),
                check=lambda end: float(end.files.get(path, "").split() == after.split()))


def _recover_from_error(rng: random.Random) -> Plan:
    """The agent guesses a wrong path, gets an error, lists the folder and reads the right file."""
    day = pick(rng, ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday"))
    folder = pick(rng, ("rota", names.folder(rng)))
    real = f"{folder}/{day}_{pick(rng, ('shift', 'shifts', 'rota', names.word(rng)))}.txt"
    staff = ", ".join(rng.sample(FIRST_NAMES, 3))
    turns = [format_call("read_file", path=f"{folder}/{day}.txt"), format_call("list_files", path=folder),
             format_call("read_file", path=real), f"On {day.capitalize()} the shift is {staff}."]
    user = f"Who is on the {day} shift? The rota is in {folder}/."
    return Plan(pick(rng, AGENT_NAMES), pick(rng, COMPANIES), "answer staff questions about schedules", user,
                {real: f"Shift: {staff}\n", f"{folder}/notes.txt": "Swap requests go to the manager.\n"},
                scripted(turns), check=lambda end: _share(n in end.final_message for n in staff.split(", ")))


def _other_than(rng: random.Random, taken: str, draw: Callable[[], str]) -> str:
    while (name := draw()) == taken:
        pass
    return name


KINDS: dict[str, Callable[[random.Random], Plan]] = {
    "summarise": _summarise, "choose": _choose, "run_and_email": _run_and_email, "answer": _answer_questions,
    "backup": _backup, "update_setting": _update_setting, "recover": _recover_from_error,
}


def episode(rng: random.Random, kind: str | None = None) -> list[dict[str, str]]:
    """One episode as chat messages (system, user, then assistant and tool turns), played in the sandbox."""
    return play(KINDS[kind or pick(rng, sorted(KINDS))](rng))


def play(plan: Plan) -> list[dict[str, str]]:
    """A plan's episode: its policy's turns and the sandbox's answers, as chat messages."""
    env = ToolEnvironment(VirtualFileSystem(dict(plan.files)), dict(plan.scripts))
    messages = [{"role": "system", "content": agent_system_prompt(plan.agent, plan.company, plan.goal)},
                {"role": "user", "content": plan.user}]
    results: list[str] = []
    while True:
        turn = plan.policy(results)
        messages.append({"role": "assistant", "content": turn})
        call = parse_call(turn)
        if call is None:
            return messages
        outcome = env.execute(call)
        results.append(outcome.result)
        messages.append({"role": "tool", "content": format_result(outcome.result)})


def render_plain(messages: list[dict[str, str]]) -> str:
    """The text the plain chat template makes of an episode (without end-of-turn tokens): the layout of
    `midalign_jax.data.tokenizer.PLAIN_CHAT_TEMPLATE`, so the general corpus shows the same format."""
    parts = []
    for m in messages:
        prefix = {"system": "", "user": "User: ", "assistant": "Assistant: ", "tool": "Tool: "}[m["role"]]
        parts.append(prefix + m["content"] + ("\n\n" if m["role"] == "system" else "\n"))
    return "".join(parts).rstrip("\n")
