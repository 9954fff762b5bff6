"""Dashboard rollups: countable responses per survey, day and score (and per segment value),
kept exact by triggers on ``responses`` and filled from the existing rows; a partial index of
the flagged (suspected automated) responses for the survey list.

The triggers add a response's counts (+1) on insert, take them away (−1) on delete, and both on
an update of a column the rollups depend on, each with ``INSERT … ON CONFLICT DO UPDATE`` (safe
under concurrent answers on both databases). Suspected automated responses are not counted
(``responses.queries.countable``). A later SQLite batch migration that rebuilds ``responses``
drops its triggers: it must create them again (``sqlite_triggers()`` below).

Revision ID: d4a7c1e9b352
Revises: a7c3e5f19b24
Create Date: 2026-12-02 03:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd4a7c1e9b352'
down_revision = "a7c3e5f19b24"
branch_labels = None
depends_on = None

COUNTS = ('n', 'comments', 'negative', 'neutral', 'positive')
#: Columns a change of which moves a response's counts.
WATCHED = ('survey_id', 'submitted_dt', 'score', 'category', 'comment', 'sentiment_label',
           'segment', 'is_suspected_automated')
SCORE_KEY = 'survey_id, day, score, category'
SEGMENT_KEY = 'survey_id, attribute, day, value, score, category'
ADD = ', '.join(f'{c} = {{table}}.{c} + excluded.{c}' for c in COUNTS)


def _counts(row: str, sign: str) -> str:
    """The five counted values of ``row`` (``NEW``/``OLD`` or a parameter prefix) times ``sign``."""
    return (f"{sign}, CASE WHEN {row}comment IS NULL THEN 0 ELSE {sign} END, "
            + ", ".join(f"CASE WHEN {row}sentiment_label = '{label}' THEN {sign} ELSE 0 END"
                        for label in ('negative', 'neutral', 'positive')))


def _columns(table: str) -> str:
    key = SCORE_KEY if table == 'rollup_scores' else SEGMENT_KEY
    return f"{table} ({key}, {', '.join(COUNTS)})"


def _tables() -> None:
    op.create_table(
        'rollup_scores',
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('score', sa.SmallInteger(), nullable=False),
        sa.Column('category', sa.String(length=16), nullable=False),
        *[sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS],
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], ondelete='CASCADE',
                                name=op.f('fk_rollup_scores_survey_id_surveys')),
        sa.PrimaryKeyConstraint('survey_id', 'day', 'score', 'category',
                                name=op.f('pk_rollup_scores')),
    )
    op.create_table(
        'rollup_segment_scores',
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('attribute', sa.Text(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('score', sa.SmallInteger(), nullable=False),
        sa.Column('category', sa.String(length=16), nullable=False),
        *[sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS],
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], ondelete='CASCADE',
                                name=op.f('fk_rollup_segment_scores_survey_id_surveys')),
        sa.PrimaryKeyConstraint('survey_id', 'attribute', 'day', 'value', 'score', 'category',
                                name=op.f('pk_rollup_segment_scores')),
    )


# -- PostgreSQL: one PL/pgSQL trigger function ------------------------------------------------

PG_ADD = f"""
CREATE FUNCTION rollup_add(p_survey_id integer, p_submitted_dt timestamptz, p_score integer,
                           p_category varchar, p_comment text, p_sentiment_label varchar,
                           p_segment json, p_sign integer) RETURNS void
LANGUAGE sql AS $$
INSERT INTO {_columns('rollup_scores')}
VALUES (p_survey_id, (p_submitted_dt AT TIME ZONE 'UTC')::date, p_score, p_category,
        {_counts('p_', 'p_sign')})
ON CONFLICT ({SCORE_KEY}) DO UPDATE SET {ADD.format(table='rollup_scores')};
INSERT INTO {_columns('rollup_segment_scores')}
SELECT p_survey_id, e.key, (p_submitted_dt AT TIME ZONE 'UTC')::date, e.value, p_score,
       p_category, {_counts('p_', 'p_sign')}
FROM json_each_text(CASE WHEN json_typeof(p_segment) = 'object' THEN p_segment
                         ELSE '{{}}'::json END) AS e
WHERE e.value IS NOT NULL
ON CONFLICT ({SEGMENT_KEY}) DO UPDATE SET {ADD.format(table='rollup_segment_scores')};
$$
"""


def _pg_args(row: str, sign: str) -> str:
    return (f"{row}.survey_id, {row}.submitted_dt, {row}.score, {row}.category, {row}.comment, "
            f"{row}.sentiment_label, {row}.segment, {sign}")


def _pg_watched(row: str) -> str:
    return ', '.join(f'{row}.{c}::text' if c == 'segment' else f'{row}.{c}' for c in WATCHED)


PG_TRIGGER_FUNCTION = f"""
CREATE FUNCTION rollup_responses() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND ({_pg_watched('OLD')}) IS NOT DISTINCT FROM ({_pg_watched('NEW')})
    THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND NOT OLD.is_suspected_automated THEN
        PERFORM rollup_add({_pg_args('OLD', '-1')});
    END IF;
    IF TG_OP <> 'DELETE' AND NOT NEW.is_suspected_automated THEN
        PERFORM rollup_add({_pg_args('NEW', '1')});
    END IF;
    RETURN NULL;
END
$$
"""

PG_TRIGGER = f"""
CREATE TRIGGER rollup_responses
AFTER INSERT OR DELETE OR UPDATE OF {', '.join(WATCHED)} ON responses
FOR EACH ROW EXECUTE FUNCTION rollup_responses()
"""


# -- SQLite: three triggers of plain statements -----------------------------------------------

def _sqlite_add(row: str, sign: str) -> list[str]:
    day = f'date({row}.submitted_dt)'
    counts = _counts(f'{row}.', sign)
    countable = f'NOT {row}.is_suspected_automated'
    return [
        f"INSERT INTO {_columns('rollup_scores')} "
        f"SELECT {row}.survey_id, {day}, {row}.score, {row}.category, {counts} "
        f"WHERE {countable} "
        f"ON CONFLICT ({SCORE_KEY}) DO UPDATE SET {ADD.format(table='rollup_scores')};",
        f"INSERT INTO {_columns('rollup_segment_scores')} "
        f"SELECT {row}.survey_id, e.key, {day}, CAST(e.value AS TEXT), {row}.score, "
        f"{row}.category, {counts} FROM json_each({row}.segment) AS e "
        f"WHERE {countable} AND json_type({row}.segment) = 'object' AND e.value IS NOT NULL "
        f"ON CONFLICT ({SEGMENT_KEY}) DO UPDATE "
        f"SET {ADD.format(table='rollup_segment_scores')};",
    ]


def sqlite_triggers() -> list[str]:
    """``CREATE TRIGGER`` statements for SQLite (also for a later batch migration)."""
    changed = ' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in WATCHED)
    return [
        "CREATE TRIGGER rollup_responses_insert AFTER INSERT ON responses BEGIN "
        + ' '.join(_sqlite_add('NEW', '1')) + " END",
        "CREATE TRIGGER rollup_responses_delete AFTER DELETE ON responses BEGIN "
        + ' '.join(_sqlite_add('OLD', '-1')) + " END",
        f"CREATE TRIGGER rollup_responses_update AFTER UPDATE OF {', '.join(WATCHED)} "
        f"ON responses WHEN {changed} BEGIN "
        + ' '.join(_sqlite_add('OLD', '-1') + _sqlite_add('NEW', '1')) + " END",
    ]


# -- filling from the existing rows -----------------------------------------------------------

def _fill(dialect: str) -> None:
    day = ("(r.submitted_dt AT TIME ZONE 'UTC')::date" if dialect == 'postgresql'
           else 'date(r.submitted_dt)')
    sums = ("count(*), count(r.comment), "
            + ", ".join(f"count(*) FILTER (WHERE r.sentiment_label = '{label}')"
                        for label in ('negative', 'neutral', 'positive')))
    op.execute(f"INSERT INTO {_columns('rollup_scores')} "
               f"SELECT r.survey_id, {day}, r.score, r.category, {sums} FROM responses AS r "
               "WHERE NOT r.is_suspected_automated GROUP BY 1, 2, 3, 4")
    if dialect == 'postgresql':
        each = ("json_each_text(CASE WHEN json_typeof(r.segment) = 'object' THEN r.segment "
                "ELSE '{}'::json END) AS e")
        value = 'e.value'
        objects = 'true'
    else:
        each, value, objects = 'json_each(r.segment) AS e', 'CAST(e.value AS TEXT)', \
            "json_type(r.segment) = 'object'"
    op.execute(f"INSERT INTO {_columns('rollup_segment_scores')} "
               f"SELECT r.survey_id, e.key, {day}, {value}, r.score, r.category, {sums} "
               f"FROM responses AS r, {each} "
               f"WHERE NOT r.is_suspected_automated AND {objects} AND e.value IS NOT NULL "
               "GROUP BY 1, 2, 3, 4, 5, 6")


def upgrade() -> None:
    _tables()
    # The survey list counts flagged answers apart (its other counts come from the rollups).
    op.create_index('ix_responses_survey_suspected', 'responses', ['survey_id'],
                    postgresql_where=sa.text('is_suspected_automated'),
                    sqlite_where=sa.text('is_suspected_automated = 1'))
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        # Writers wait until the rollups are filled and the trigger is in place (one commit).
        op.execute('LOCK TABLE responses IN SHARE ROW EXCLUSIVE MODE')
        for statement in (PG_ADD, PG_TRIGGER_FUNCTION, PG_TRIGGER):
            op.execute(statement)
    else:
        for statement in sqlite_triggers():
            op.execute(statement)
    _fill(dialect)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER rollup_responses ON responses')
        op.execute('DROP FUNCTION rollup_responses()')
        op.execute('DROP FUNCTION rollup_add(integer, timestamptz, integer, varchar, text, '
                   'varchar, json, integer)')
    else:
        for name in ('insert', 'delete', 'update'):
            op.execute(f'DROP TRIGGER rollup_responses_{name}')
    op.drop_index('ix_responses_survey_suspected', table_name='responses')
    op.drop_table('rollup_segment_scores')
    op.drop_table('rollup_scores')
