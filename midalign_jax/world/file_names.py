"""Folder and file names for the agent episodes, drawn from a space too large to memorise.

An agent's first call reads a path that the user's message names. When the episodes drew their paths from a
handful of fixed names ("venues/options.txt", "rota/"), the tiny model learned those names rather than copying
from its context, and in the eval it read "venues/options.txt" when the user had pointed it to
"data/strategies.txt" (measured: 0 valid actions in 20 episodes after post-training, every call well formed). With
names drawn from here (tens of thousands of paths), the only way to predict a path is to copy it from the turn
that names it, which is the skill the eval needs.
"""
from __future__ import annotations

import random

from midalign_jax.world.textgen import pick

NOUNS = (
    "accounts", "orders", "stock", "rooms", "bookings", "staff", "visits", "repairs", "supplies", "events",
    "members", "tickets", "routes", "menus", "venues", "suppliers", "shifts", "loans", "budgets", "meters",
    "parcels", "invoices", "minutes", "rotas", "plans", "notices", "forms", "lists", "drafts", "records",
    "projects", "clients", "vans", "tills", "lockers", "keys", "classes", "courses", "rentals", "deliveries",
    "fleet", "garden", "kitchen", "library", "office", "archive", "payroll", "rosters", "surveys", "feedback",
    "returns", "receipts", "quotes", "contracts", "tenders", "permits", "grants", "donations", "volunteers",
    "patients", "wards", "beds", "books", "films", "tools", "parts", "machines", "printers", "laptops", "phones",
)
QUALIFIERS = (
    "north", "south", "east", "west", "main", "old", "new", "shared", "team", "spring", "summer", "autumn",
    "winter", "daily", "weekly", "monthly", "local", "central", "draft", "final", "current", "next", "spare",
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
)
TOP_FOLDERS = ("data", "docs", "shared", "files", "work", "inbox", "reports", "office")


def word(rng: random.Random) -> str:
    """A noun, a qualified noun (`north_orders`, `orders_old`) or a numbered one (`orders12`)."""
    noun, u = pick(rng, NOUNS), rng.random()
    if u < 0.45:
        return noun
    if u < 0.7:
        return f"{pick(rng, QUALIFIERS)}_{noun}"
    if u < 0.85:
        return f"{noun}_{pick(rng, QUALIFIERS)}"
    return f"{noun}{rng.randint(2, 99)}"


def folder(rng: random.Random) -> str:
    """A folder: one name, or one inside a common top folder (`data/north_orders`)."""
    name = word(rng)
    return f"{pick(rng, TOP_FOLDERS)}/{name}" if rng.random() < 0.3 else name


def file_name(rng: random.Random, ext: str = ".txt") -> str:
    return word(rng) + ext


def path(rng: random.Random, ext: str = ".txt") -> str:
    """A file in a folder (`shifts_old/weekly_rotas.txt`), or at the top level a quarter of the time."""
    return file_name(rng, ext) if rng.random() < 0.25 else f"{folder(rng)}/{file_name(rng, ext)}"
