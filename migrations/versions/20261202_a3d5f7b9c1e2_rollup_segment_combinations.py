"""Dashboard rollups per combination of segment values: countable responses per survey, day,
score and whole ``responses.segment`` (its JSON text), kept exact by the same triggers.

A view crossing two or three attributes (department = A and region = north) reads this table
instead of the responses: it holds one row per day, score and combination of values that
occurs, so with a few low-cardinality attributes it is a small fraction of the responses (at
10M answers over 3 years, 20 departments × 5 regions: 942,000 rows, at most 1.2M). The triggers of
``d4a7c1e9b352`` gain one ``INSERT … ON CONFLICT DO UPDATE`` for it; the table is filled from
the existing rows.

Expand step: a new table, a function and triggers replaced by ones that write to it too; the
previous release neither reads nor writes it. A later SQLite batch migration that rebuilds
``responses`` drops its triggers: it must create them again (``sqlite_triggers()`` below,
which supersedes ``d4a7c1e9b352``'s).

Revision ID: a3d5f7b9c1e2
Revises: f2a6c8e0b4d1
Create Date: 2026-12-02 15:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a3d5f7b9c1e2'
down_revision = 'f2a6c8e0b4d1'
branch_labels = None
depends_on = None

COUNTS = ('n', 'comments', 'negative', 'neutral', 'positive')
#: Columns a change of which moves a response's counts (as in ``d4a7c1e9b352``).
WATCHED = ('survey_id', 'submitted_dt', 'score', 'category', 'comment', 'sentiment_label',
           'segment', 'is_suspected_automated')
KEYS = {
    'rollup_scores': 'survey_id, day, score, category',
    'rollup_segment_scores': 'survey_id, attribute, day, value, score, category',
    'rollup_combo_scores': 'survey_id, day, segment, score, category',
}


def _columns(table: str) -> str:
    return f"{table} ({KEYS[table]}, {', '.join(COUNTS)})"


def _upsert(table: str) -> str:
    add = ', '.join(f'{c} = {table}.{c} + excluded.{c}' for c in COUNTS)
    return f"ON CONFLICT ({KEYS[table]}) DO UPDATE SET {add}"


def _counts(row: str, sign: str) -> str:
    """The five counted values of ``row`` (``NEW``/``OLD`` or a parameter prefix) times ``sign``."""
    return (f"{sign}, CASE WHEN {row}comment IS NULL THEN 0 ELSE {sign} END, "
            + ", ".join(f"CASE WHEN {row}sentiment_label = '{label}' THEN {sign} ELSE 0 END"
                        for label in ('negative', 'neutral', 'positive')))


# -- PostgreSQL: the function the trigger calls, with one more statement ----------------------

def pg_rollup_add(combinations: bool) -> str:
    """``CREATE OR REPLACE FUNCTION rollup_add``; without ``combinations``, the function of
    ``d4a7c1e9b352`` (the downgrade)."""
    day = "(p_submitted_dt AT TIME ZONE 'UTC')::date"
    counts = _counts('p_', 'p_sign')
    combo = (f"""
INSERT INTO {_columns('rollup_combo_scores')}
VALUES (p_survey_id, {day}, coalesce(p_segment::text, 'null'), p_score, p_category, {counts})
{_upsert('rollup_combo_scores')};""" if combinations else "")
    return f"""
CREATE OR REPLACE FUNCTION rollup_add(p_survey_id integer, p_submitted_dt timestamptz,
                                      p_score integer, p_category varchar, p_comment text,
                                      p_sentiment_label varchar, p_segment json, p_sign integer)
RETURNS void LANGUAGE sql AS $$
INSERT INTO {_columns('rollup_scores')}
VALUES (p_survey_id, {day}, p_score, p_category, {counts})
{_upsert('rollup_scores')};
INSERT INTO {_columns('rollup_segment_scores')}
SELECT p_survey_id, e.key, {day}, e.value, p_score, p_category, {counts}
FROM json_each_text(CASE WHEN json_typeof(p_segment) = 'object' THEN p_segment
                         ELSE '{{}}'::json END) AS e
WHERE e.value IS NOT NULL
{_upsert('rollup_segment_scores')};{combo}
$$
"""


# -- SQLite: three triggers of plain statements -----------------------------------------------

def _sqlite_add(row: str, sign: str, combinations: bool) -> list[str]:
    day = f'date({row}.submitted_dt)'
    counts = _counts(f'{row}.', sign)
    countable = f'NOT {row}.is_suspected_automated'
    statements = [
        f"INSERT INTO {_columns('rollup_scores')} "
        f"SELECT {row}.survey_id, {day}, {row}.score, {row}.category, {counts} "
        f"WHERE {countable} {_upsert('rollup_scores')};",
        f"INSERT INTO {_columns('rollup_segment_scores')} "
        f"SELECT {row}.survey_id, e.key, {day}, CAST(e.value AS TEXT), {row}.score, "
        f"{row}.category, {counts} FROM json_each({row}.segment) AS e "
        f"WHERE {countable} AND json_type({row}.segment) = 'object' AND e.value IS NOT NULL "
        f"{_upsert('rollup_segment_scores')};",
    ]
    if combinations:
        statements.append(
            f"INSERT INTO {_columns('rollup_combo_scores')} "
            f"SELECT {row}.survey_id, {day}, coalesce({row}.segment, 'null'), {row}.score, "
            f"{row}.category, {counts} WHERE {countable} {_upsert('rollup_combo_scores')};")
    return statements


def sqlite_triggers(combinations: bool = True) -> list[str]:
    """``CREATE TRIGGER`` statements for SQLite (also for a later batch migration); without
    ``combinations``, those of ``d4a7c1e9b352`` (the downgrade)."""
    changed = ' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in WATCHED)
    new, old = (_sqlite_add(row, sign, combinations) for row, sign in (('NEW', '1'),
                                                                         ('OLD', '-1')))
    return [
        "CREATE TRIGGER rollup_responses_insert AFTER INSERT ON responses BEGIN "
        + ' '.join(new) + " END",
        "CREATE TRIGGER rollup_responses_delete AFTER DELETE ON responses BEGIN "
        + ' '.join(old) + " END",
        f"CREATE TRIGGER rollup_responses_update AFTER UPDATE OF {', '.join(WATCHED)} "
        f"ON responses WHEN {changed} BEGIN " + ' '.join(old + new) + " END",
    ]


def _replace_sqlite_triggers(combinations: bool) -> None:
    for name in ('insert', 'delete', 'update'):
        op.execute(f'DROP TRIGGER rollup_responses_{name}')
    for statement in sqlite_triggers(combinations):
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        'rollup_combo_scores',
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('segment', sa.Text(), nullable=False),
        sa.Column('score', sa.SmallInteger(), nullable=False),
        sa.Column('category', sa.String(length=16), nullable=False),
        *[sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS],
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], ondelete='CASCADE',
                                name=op.f('fk_rollup_combo_scores_survey_id_surveys')),
        sa.PrimaryKeyConstraint('survey_id', 'day', 'segment', 'score', 'category',
                                name=op.f('pk_rollup_combo_scores')),
    )
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        # Writers wait until the table is filled and the function replaced (one commit).
        op.execute('LOCK TABLE responses IN SHARE ROW EXCLUSIVE MODE')
        op.execute(pg_rollup_add(combinations=True))
        day, segment = "(r.submitted_dt AT TIME ZONE 'UTC')::date", "r.segment::text"
    else:
        _replace_sqlite_triggers(combinations=True)
        day, segment = 'date(r.submitted_dt)', 'r.segment'
    sums = ("count(*), count(r.comment), "
            + ", ".join(f"count(*) FILTER (WHERE r.sentiment_label = '{label}')"
                        for label in ('negative', 'neutral', 'positive')))
    op.execute(f"INSERT INTO {_columns('rollup_combo_scores')} "
               f"SELECT r.survey_id, {day}, coalesce({segment}, 'null'), r.score, r.category, "
               f"{sums} FROM responses AS r WHERE NOT r.is_suspected_automated "
               "GROUP BY 1, 2, 3, 4, 5")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(pg_rollup_add(combinations=False))
    else:
        _replace_sqlite_triggers(combinations=False)
    op.drop_table('rollup_combo_scores')
