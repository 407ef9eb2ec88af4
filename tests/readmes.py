"""The two READMEs, English and Russian, whose output blocks and figures the tests keep true:
the same blocks in both, found by language-neutral markers or by each one's own heading."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READMES = ("README.md", "README.ru.md")
MANY_SEEDS = {"README.md": "## Many seeds", "README.ru.md": "## Много зёрен"}  # the section's heading


def text(readme: str) -> str:
    return (ROOT / readme).read_text(encoding="utf-8")


def many_seeds_section(readme: str) -> str:
    return text(readme).split(MANY_SEEDS[readme], 1)[1]


def output_block(readme: str, command: str) -> tuple[dict[str, str], list[str]]:
    """The block after `<!-- output: [NAME=value ...] COMMAND -->`: the environment the marker
    sets (e.g. LSTMLAB_LANG=ru) and the block's lines."""
    pattern = r"<!-- output: ((?:[A-Z_]+=\S+ )*)" + re.escape(command) + r" -->\n(.*?)<!-- end output -->"
    found = re.search(pattern, text(readme), re.DOTALL)
    assert found, f"{readme} has no output block for {command!r}"
    env = dict(assignment.split("=", 1) for assignment in found.group(1).split())
    block = found.group(2).strip().removeprefix("```text").removesuffix("```").strip()
    return env, block.splitlines()
