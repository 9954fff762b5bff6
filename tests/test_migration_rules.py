"""Expand/contract (docs/upgrading.md): a migration's ``upgrade()`` must not break the code of the
previous release, which keeps running until web and workers restart.

So a migration only adds (all of them so far do): tables, nullable columns or NOT NULL ones
with a server default, indexes. Removing or renaming a table or column, or making a column
NOT NULL without a server default, is a *contract* step: it comes a release after the code
stopped using the old shape, and its file says so in a module constant
``CONTRACT_STEP = "<why old code is unaffected>"``.
"""

from __future__ import annotations

import ast
import re

import pytest

from survey_app.config import ROOT

VERSIONS = ROOT / "migrations" / "versions"
_REMOVING = {"drop_table", "drop_column", "rename_table"}
_RAW_REMOVAL = re.compile(r"\b(DROP\s+(TABLE|COLUMN)|RENAME\s+(TO|COLUMN))\b", re.IGNORECASE)


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _tightens(call: ast.Call) -> bool:
    """NOT NULL without a server default: rows written by the old code would be refused."""
    return _is_false(_keyword(call, "nullable")) and _keyword(call, "server_default") is None


def contract_steps(source: str) -> list[str]:
    """What ``upgrade()`` in a migration's ``source`` does that old code may not survive."""
    module = ast.parse(source)
    upgrade = next(n for n in module.body if isinstance(n, ast.FunctionDef)
                   and n.name == "upgrade")
    found = []
    for node in ast.walk(upgrade):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and _RAW_REMOVAL.search(node.value):
            found.append(f"line {node.lineno}: SQL {node.value[:60]!r}")
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        if name in _REMOVING:
            found.append(f"line {node.lineno}: {name}")
        elif name == "alter_column" and (_tightens(node) or _keyword(node, "new_column_name")):
            found.append(f"line {node.lineno}: alter_column (NOT NULL without server default "
                         "or a rename)")
        elif name == "add_column" and any(isinstance(a, ast.Call) and _tightens(a)
                                           for a in node.args):
            found.append(f"line {node.lineno}: add_column NOT NULL without server default")
    return found


def declared_contract(source: str) -> str:
    """The ``CONTRACT_STEP`` reason of a migration, or ``""``."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "CONTRACT_STEP"
                                                for t in node.targets):
            return str(ast.literal_eval(node.value)).strip()
    return ""


@pytest.mark.parametrize("path", sorted(VERSIONS.glob("*.py")), ids=lambda p: p.name)
def test_new_migrations_expand_or_declare_a_contract_step(path):
    source = path.read_text()
    steps = contract_steps(source)
    assert not steps or declared_contract(source), (
        f"{path.name} would break the running previous release ({'; '.join(steps)}): split it "
        "(expand now, contract in a later release) or, if the old code no longer uses what it "
        "removes, say why in CONTRACT_STEP = '…' (docs/upgrading.md)")


EXPAND = '''
def upgrade():
    op.create_table("notes", sa.Column("id", sa.Integer(), nullable=False))
    with op.batch_alter_table("surveys") as batch_op:
        batch_op.add_column(sa.Column("texts", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("motto", sa.String(), nullable=True))
        batch_op.alter_column("title", nullable=True)

def downgrade():
    op.drop_table("notes")
    op.drop_column("surveys", "texts")
'''


@pytest.mark.parametrize("statement", [
    'op.drop_column("surveys", "motto")',
    'op.drop_table("notes")',
    'op.rename_table("notes", "remarks")',
    'op.execute("ALTER TABLE surveys DROP COLUMN motto")',
    'batch_op.alter_column("motto", nullable=False)',
    'batch_op.alter_column("motto", new_column_name="slogan")',
    'batch_op.add_column(sa.Column("motto", sa.String(), nullable=False))',
])
def test_the_rule_catches_each_contract_step(statement):
    assert contract_steps(EXPAND) == []
    source = EXPAND.replace("def downgrade", f"    {statement}\n\ndef downgrade", 1)
    assert contract_steps(source) != []
    assert declared_contract(source) == ""
    declared = f'CONTRACT_STEP = "0.3 stopped reading surveys.motto"\n{source}'
    assert declared_contract(declared) == "0.3 stopped reading surveys.motto"
