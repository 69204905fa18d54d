"""Write the bundled text data: short support tickets, made up here from word lists.

Run from the repository root:  python resources/examples/make_text_data.py
The output is deterministic (a fixed seed, no clock), so rebuilding changes nothing unless this
script changes. It writes, next to this script:

- data/tickets.csv: title, body, tags, priority, department, difficulty (TICKETS rows). Tags
  are words separated by spaces (up to three of TAGS); priority is a number from 0 to 1 (how
  urgent the ticket reads); department is one of DEPARTMENTS; difficulty (easy, medium, hard)
  grows with the problems a ticket names and the kind of request.
- data/tickets_by_department/<department>/ticket_NNN.txt: the title and body of FOLDER_TICKETS
  other tickets, one text file each, one sub-folder per department (the layout of
  keras.utils.text_dataset_from_directory).

Every text is written by this script; see data/README.md for the licence.
"""

from __future__ import annotations

import csv
import io
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
TICKETS = 480
FOLDER_TICKETS = 240
SEED = 13

DEPARTMENTS = ("accounts", "billing", "shipping", "technical")
TAGS = ("bug", "billing", "login", "mobile", "web", "refund", "delivery", "api",
        "performance", "security", "feature", "question")  # fmt: skip

# What each department's tickets talk about: things, problems, wishes, and tags they carry.
TOPICS = {
    "accounts": {
        "things": [
            "password",
            "username",
            "profile",
            "email address",
            "account",
            "two-factor code",
            "team seat",
            "login page",
            "recovery email",
            "account settings",
            "sign-in link",
            "admin role",
        ],
        "problems": [
            "is locked",
            "cannot be changed",
            "was reset without my consent",
            "keeps asking me to verify",
            "shows the wrong name",
            "was deleted",
            "does not accept my new password",
            "sends no confirmation email",
        ],
        "wishes": [
            "unlock my account",
            "merge my two accounts",
            "change the owner of our team",
            "delete my personal data",
            "add a colleague as admin",
            "restore my profile",
        ],
        "tags": ["login", "security", "question", "web", "mobile"],
    },
    "billing": {
        "things": [
            "invoice",
            "credit card",
            "subscription",
            "refund",
            "receipt",
            "charge",
            "payment method",
            "annual plan",
            "discount code",
            "VAT number",
            "billing address",
            "trial",
        ],
        "problems": [
            "was charged twice",
            "shows the wrong amount",
            "was declined",
            "has not arrived",
            "renewed although I cancelled",
            "lacks our VAT number",
            "is missing from the portal",
            "did not apply the discount",
        ],
        "wishes": [
            "get a refund",
            "switch to monthly billing",
            "cancel my subscription",
            "update our card",
            "receive a corrected invoice",
            "pay by bank transfer",
        ],
        "tags": ["billing", "refund", "question", "web"],
    },
    "shipping": {
        "things": [
            "parcel",
            "package",
            "order",
            "delivery",
            "tracking number",
            "courier",
            "shipment",
            "return label",
            "replacement",
            "box",
            "pickup point",
            "customs form",
        ],
        "problems": [
            "has not arrived",
            "arrived damaged",
            "went to the wrong address",
            "is stuck at customs",
            "shows no tracking updates",
            "was left outside",
            "is missing an item",
            "was returned to the sender",
        ],
        "wishes": [
            "change the delivery address",
            "send a replacement",
            "get a return label",
            "know when it will arrive",
            "cancel the order",
            "arrange a new pickup",
        ],
        "tags": ["delivery", "refund", "question", "mobile"],
    },
    "technical": {
        "things": [
            "app",
            "dashboard",
            "API",
            "export",
            "sync",
            "search",
            "upload",
            "notification",
            "report",
            "integration",
            "webhook",
            "mobile app",
        ],
        "problems": [
            "crashes on start",
            "returns error 500",
            "is very slow",
            "times out",
            "shows a blank page",
            "loses my changes",
            "fails with a timeout",
            "stopped working after the update",
        ],
        "wishes": [
            "fix the crash",
            "speed up the reports",
            "restore the sync",
            "add dark mode",
            "support CSV export",
            "raise the API rate limit",
        ],
        "tags": ["bug", "api", "performance", "mobile", "web", "feature"],
    },
}
# Requests that take more than a reply: they make a ticket harder.
HARD_WISHES = {"merge my two accounts", "change the owner of our team", "delete my personal data",
               "receive a corrected invoice", "pay by bank transfer", "arrange a new pickup",
               "fix the crash", "restore the sync", "raise the API rate limit",
               "support CSV export"}  # fmt: skip
URGENT = ["urgent", "asap", "immediately", "critical", "blocking us", "right now", "emergency",
          "all our users are affected", "production is down", "we are losing money"]  # fmt: skip
CALM = ["when you have time", "no rush", "just a question", "low priority", "at some point",
        "not urgent", "whenever possible", "for next month"]  # fmt: skip
OPENERS = ["Hello", "Hi team", "Good morning", "Dear support", "Hey", "Hi there", "Hello again",
           "Greetings"]  # fmt: skip
CLOSERS = ["Thanks", "Thank you", "Best regards", "Cheers", "Kind regards", "Many thanks",
           "Regards"]  # fmt: skip
TITLE_FORMS = ["{thing} {problem}", "My {thing} {problem}", "Please {wish}", "Need to {wish}",
               "{Thing} issue", "Question about my {thing}", "{Thing} {problem} again",
               "Help: {thing} {problem}"]  # fmt: skip
BODY_FORMS = [
    "{opener}, my {thing} {problem}. {detail} Could you {wish}? {mood}. {closer}",
    "{opener}. Since {when} the {thing} {problem}. {detail} I would like to {wish}. {mood}.",
    "{opener}, I want to {wish}. The {thing} {problem} and {other} {problem2}. {mood}. {closer}",
    "The {thing} {problem}. {detail} {mood}. Please {wish}. {closer}",
]
WHEN = ["yesterday", "this morning", "last week", "Monday", "the last update", "two days ago",
        "the start of the month", "we moved office"]  # fmt: skip
DETAILS = ["I tried twice already.", "My colleague sees the same.", "I attached a screenshot.",
           "Order and account numbers are in my profile.", "This happened before.",
           "I use the latest version.", "Nothing in the help pages covers this.", ""]  # fmt: skip


def ticket(rng: random.Random, department: str) -> dict[str, str]:
    """One made-up ticket of `department`: title, body, tags, priority (0..1), department."""
    topic = TOPICS[department]
    # One ticket in ten borrows a word from another department, as real tickets do.
    if rng.random() < 0.1:
        topic = {**topic, "things": topic["things"] + [rng.choice(_others(department))]}
    thing, other = rng.sample(topic["things"], 2)
    problem, problem2 = rng.sample(topic["problems"], 2)
    wish = rng.choice(topic["wishes"])
    urgency = rng.random()
    mood = rng.choice(URGENT if urgency > 0.6 else CALM if urgency < 0.35 else ["Please help"])
    mood = mood[0].upper() + mood[1:]
    words = {"thing": thing, "Thing": thing[0].upper() + thing[1:], "problem": problem,
             "problem2": problem2, "wish": wish, "other": other}  # fmt: skip
    title = rng.choice(TITLE_FORMS).format(**words)
    if urgency > 0.8:
        title = f"URGENT: {title}"
    form = rng.choice(BODY_FORMS)
    body = form.format(
        **words, opener=rng.choice(OPENERS), closer=rng.choice(CLOSERS), mood=mood,
        when=rng.choice(WHEN), detail=rng.choice(DETAILS),
    )  # fmt: skip
    body = body[0].upper() + body[1:]
    tags = sorted(set(rng.sample(topic["tags"], rng.randint(1, min(3, len(topic["tags"]))))))
    priority = min(1.0, max(0.0, 0.15 + 0.8 * urgency + rng.uniform(-0.08, 0.08)))
    effort = ("{problem2}" in form) + (department == "technical") + (wish in HARD_WISHES)
    difficulty = ("easy", "medium", "hard", "hard")[effort]
    return {
        "title": title,
        "body": " ".join(body.split()),
        "tags": " ".join(tags),
        "priority": f"{priority:.2f}",
        "department": department,
        "difficulty": difficulty,
    }


def _others(department: str) -> list[str]:
    return [t for d, topic in TOPICS.items() if d != department for t in topic["things"]]


def tickets(rng: random.Random, count: int) -> list[dict[str, str]]:
    """`count` tickets, the departments in turn then shuffled."""
    rows = [ticket(rng, DEPARTMENTS[i % len(DEPARTMENTS)]) for i in range(count)]
    rng.shuffle(rows)
    return rows


def write_if_changed(path: Path, text: str) -> bool:
    """Write `text` (UTF-8, \\n line ends) unless the file holds it already; True if written."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return True


def main() -> int:
    rng = random.Random(SEED)
    out = io.StringIO()
    columns = ["title", "body", "tags", "priority", "department", "difficulty"]
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(tickets(rng, TICKETS))
    write_if_changed(DATA / "tickets.csv", out.getvalue())
    folder = DATA / "tickets_by_department"
    for i, row in enumerate(tickets(rng, FOLDER_TICKETS)):
        text = f"{row['title']}\n\n{row['body']}\n"
        write_if_changed(folder / row["department"] / f"ticket_{i:03d}.txt", text)
    print(f"wrote {TICKETS} tickets to data/tickets.csv and {FOLDER_TICKETS} to {folder.name}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
