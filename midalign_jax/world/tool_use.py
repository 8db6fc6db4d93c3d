"""Tool-use transcripts for generic office tasks, in the format the agentic eval parses::

    User: Please check the disk usage report.
    Assistant: <call>{"tool": "read_file", "args": {"path": "reports/disk.txt"}}</call>
    Tool: <result>...</result>
    Assistant: The report shows ...

Tools: read_file(path), write_file(path, content), list_files(path), run_script(name),
send_email(to, subject, body). Calls are JSON made with ``json.dumps``, so they always parse.
"""
from __future__ import annotations

import json
import random
from collections.abc import Callable

from midalign_jax.world.lexicon import FIRST_NAMES, SURNAMES
from midalign_jax.world.textgen import pick

TOOLS = ("read_file", "write_file", "list_files", "run_script", "send_email")

Line = tuple[str, str]  # (speaker, text)


def call(tool: str, **args: str) -> str:
    """An assistant tool call in the transcript format."""
    if tool not in TOOLS:
        raise ValueError(f"unknown tool {tool!r}; expected one of {TOOLS}")
    return "<call>" + json.dumps({"tool": tool, "args": args}) + "</call>"


def result(text: str) -> str:
    return f"<result>{text}</result>"


def _email(rng: random.Random) -> tuple[str, str]:
    first, last = pick(rng, FIRST_NAMES), pick(rng, SURNAMES)
    return first, f"{first.lower()}.{last.lower()}@example.com"


def _disk(rng: random.Random) -> list[Line]:
    used = {m: rng.randint(20, 97) for m in ("/", "/home", "/var", "/data")}
    report = "\n".join(f"{m}: {p}% used" for m, p in used.items())
    worst = max(used, key=used.get)
    return [("User", pick(rng, ("Please check the disk usage report.", "How full are the disks?",
                                "Can you look at the disk report and tell me if anything is nearly full?"))),
            ("Assistant", call("read_file", path="reports/disk.txt")),
            ("Tool", result(report)),
            ("Assistant", f"The report shows that {worst} is the fullest at {used[worst]}% used"
             + (". That is high, so it may need cleaning up soon." if used[worst] > 85 else
                ". Nothing is close to full."))]


def _sales(rng: random.Random) -> list[Line]:
    months = ("January", "February", "March", "April", "May", "June")
    figures = {m: rng.randint(40, 400) * 100 for m in rng.sample(months, 3)}
    name, addr = _email(rng)
    best = max(figures, key=figures.get)
    total = sum(figures.values())
    body = f"Hi {name}, total sales for the three months were {total:,}. The best month was {best}."
    return [("User", f"Read the sales summary and email the total to {name} at {addr}."),
            ("Assistant", call("read_file", path="reports/sales_summary.txt")),
            ("Tool", result("\n".join(f"{m}: {v:,}" for m, v in figures.items()))),
            ("Assistant", call("send_email", to=addr, subject="Sales total", body=body)),
            ("Tool", result("Email sent.")),
            ("Assistant", f"I emailed {name} the total of {total:,}; {best} was the best month.")]


def _list_and_read(rng: random.Random) -> list[Line]:
    topics = ("budget", "roadmap", "hiring", "offsite", "launch")
    files = sorted(f"{t}_notes.txt" for t in rng.sample(topics, 3))
    target = pick(rng, files)
    decision = pick(rng, ("move the deadline to next month", "hire two more people", "cut the travel budget",
                          "hold the meeting on Thursday", "launch in the spring"))
    return [("User", f"What did we decide in the {target.split('_')[0]} meeting?"),
            ("Assistant", call("list_files", path="notes")),
            ("Tool", result("\n".join(files))),
            ("Assistant", call("read_file", path=f"notes/{target}")),
            ("Tool", result(f"Meeting notes. Attendees: {pick(rng, FIRST_NAMES)}, {pick(rng, FIRST_NAMES)}. "
                            f"Decision: {decision}.")),
            ("Assistant", f"The notes say the team decided to {decision}.")]


def _write_note(rng: random.Random) -> list[Line]:
    items = rng.sample(("buy printer paper", "book the meeting room", "renew the domain", "order coffee",
                        "update the phone list", "water the plants"), 3)
    content = "\n".join(f"- {i}" for i in items)
    return [("User", "Please save a to-do list with these items: " + ", ".join(items) + "."),
            ("Assistant", call("write_file", path="todo.txt", content=content)),
            ("Tool", result(f"Wrote {len(content)} bytes to todo.txt.")),
            ("Assistant", "Done. The to-do list is saved in todo.txt.")]


def _run_tests(rng: random.Random) -> list[Line]:
    passed, failed = rng.randint(20, 300), rng.choice((0, 0, 0, 1, 2, 3))
    out = f"{passed} passed, {failed} failed"
    reply = ("All the tests passed." if failed == 0 else
             f"{failed} test{'s' if failed > 1 else ''} failed out of {passed + failed}. You may want to look at "
             "the failures before merging.")
    return [("User", pick(rng, ("Run the test suite and tell me if anything fails.", "Can you run the tests?"))),
            ("Assistant", call("run_script", name="run_tests.sh")),
            ("Tool", result(out)),
            ("Assistant", reply)]


def _backup(rng: random.Random) -> list[Line]:
    files = rng.randint(100, 9000)
    return [("User", "Please run the nightly backup."),
            ("Assistant", call("run_script", name="backup.sh")),
            ("Tool", result(f"Backup complete: {files:,} files copied.")),
            ("Assistant", f"The backup finished and copied {files:,} files.")]


def _log_errors(rng: random.Random) -> list[Line]:
    errors = rng.randint(0, 12)
    service = pick(rng, ("web", "billing", "search", "mail"))
    lines = [f"INFO {service} started"] + [f"ERROR {service} timeout after 30s" for _ in range(min(errors, 3))]
    return [("User", f"Are there any errors in today's {service} log?"),
            ("Assistant", call("read_file", path=f"logs/{service}.log")),
            ("Tool", result("\n".join(lines) + (f"\n... {errors} errors in total" if errors else ""))),
            ("Assistant", f"There are {errors} errors, all timeouts." if errors else "The log has no errors.")]


def _meeting_invite(rng: random.Random) -> list[Line]:
    name, addr = _email(rng)
    day = pick(rng, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"))
    hour = rng.randint(9, 16)
    body = f"Hi {name}, can we meet on {day} at {hour}:00 to go over the plan?"
    return [("User", f"Email {name} ({addr}) and ask to meet on {day} at {hour}:00."),
            ("Assistant", call("send_email", to=addr, subject="Meeting", body=body)),
            ("Tool", result("Email sent.")),
            ("Assistant", f"I sent {name} the invitation for {day} at {hour}:00.")]


_TASKS: tuple[Callable[[random.Random], list[Line]], ...] = (
    _disk, _sales, _list_and_read, _write_note, _run_tests, _backup, _log_errors, _meeting_invite)


def tool_use_doc(rng: random.Random) -> str:
    """One transcript; sometimes two tasks in a row."""
    lines = pick(rng, _TASKS)(rng)
    if rng.random() < 0.25:
        lines += pick(rng, _TASKS)(rng)
    return "\n".join(f"{speaker}: {text}" for speaker, text in lines)
