"""Per-customer activity summary and active spells (issue 17, speed): derived from
``activities``, filled here from the existing rows (window of 365 days, currency EUR — the
defaults; with other settings run ``polso activity summarize`` after upgrading, as also for
activity imported by the previous release while this one rolls out). The activity's
per-customer index also covers amount and currency, so a period's orders are read from the
index alone; the index on the day alone goes (SQLite chose it and read 600,000 rows one by one).

Revision ID: a7c3e5f19b24
Revises: 6e2a4c8d1f37
Create Date: 2026-12-02 07:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c3e5f19b24'
down_revision = '6e2a4c8d1f37'
branch_labels = None
depends_on = None

ACTIVE_DAYS = 365
CURRENCY = 'EUR'


def _tables() -> None:
    op.create_table(
        'activity_summaries',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('first_on', sa.Date(), nullable=False),
        sa.Column('last_on', sa.Date(), nullable=False),
        sa.Column('last_order_on', sa.Date(), nullable=True),
        sa.Column('last_cancel_on', sa.Date(), nullable=True),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('money', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('usual_gap', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'],
                                name=op.f('fk_activity_summaries_person_id_people'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', name=op.f('pk_activity_summaries')),
    )
    op.create_table(
        'active_spells',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('started_on', sa.Date(), nullable=False),
        sa.Column('ended_on', sa.Date(), nullable=False),
        sa.CheckConstraint('ended_on >= started_on', name=op.f('ck_active_spells_ordered')),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'],
                                name=op.f('fk_active_spells_person_id_people'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_active_spells')),
    )
    op.create_index('ix_active_spells_person', 'active_spells',
                    ['person_id', 'started_on', 'ended_on'])


def _activity_indexes() -> None:
    op.create_index('ix_activities_person_orders', 'activities',
                    ['person_id', 'occurred_on', 'kind', 'amount', 'currency'])
    op.drop_index('ix_activities_person_occurred', table_name='activities')
    op.drop_index('ix_activities_occurred', table_name='activities')


def _fill(dialect: str) -> None:
    if dialect == 'postgresql':
        def plus(day: str, days: int) -> str:
            return f'({day} + {days})'

        def gap(later: str, earlier: str) -> str:
            return f'({later} - {earlier})'
    else:
        def plus(day: str, days: int) -> str:
            return f"date({day}, '{days:+d} days')"

        def gap(later: str, earlier: str) -> str:
            return f'(julianday({later}) - julianday({earlier}))'
    order = "kind <> 'cancellation'"
    op.execute(f"""
        INSERT INTO activity_summaries (person_id, first_on, last_on, last_order_on,
                                        last_cancel_on, orders, money, usual_gap)
        SELECT f.person_id, f.first_on, f.last_on, f.last_order_on, f.last_cancel_on, f.orders,
               f.money, u.usual
        FROM (SELECT person_id, min(occurred_on) AS first_on, max(occurred_on) AS last_on,
                     max(CASE WHEN {order} THEN occurred_on END) AS last_order_on,
                     max(CASE WHEN NOT ({order}) THEN occurred_on END) AS last_cancel_on,
                     count(CASE WHEN {order} THEN 1 END) AS orders,
                     coalesce(sum(CASE WHEN {order} AND amount IS NOT NULL
                                        AND (currency IS NULL OR currency = '{CURRENCY}')
                                       THEN amount END), 0) AS money
              FROM activities GROUP BY person_id) AS f
        LEFT OUTER JOIN (
            SELECT person_id, avg(gap) AS usual
            FROM (SELECT person_id, gap,
                         row_number() OVER (PARTITION BY person_id ORDER BY gap) AS rn,
                         count(*) OVER (PARTITION BY person_id ORDER BY gap
                                        ROWS BETWEEN UNBOUNDED PRECEDING
                                        AND UNBOUNDED FOLLOWING) AS n
                  FROM (SELECT person_id,
                               {gap('occurred_on', 'lag(occurred_on) OVER (PARTITION BY person_id ORDER BY occurred_on)')} AS gap
                        FROM activities WHERE {order}) AS g
                  WHERE gap IS NOT NULL) AS r
            WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2
            GROUP BY person_id) AS u ON u.person_id = f.person_id
    """)
    expires = plus('occurred_on', ACTIVE_DAYS - 1)
    op.execute(f"""
        INSERT INTO active_spells (person_id, started_on, ended_on)
        SELECT person_id, min(started_on), max(ended_on)
        FROM (SELECT *, sum(is_start) OVER (PARTITION BY person_id
                                            ORDER BY started_on, ended_on
                                            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                        AS island
              FROM (SELECT *, CASE WHEN reach IS NULL OR started_on > {plus('reach', 1)}
                                   THEN 1 ELSE 0 END AS is_start
                    FROM (SELECT *, max(ended_on) OVER (PARTITION BY person_id
                                                        ORDER BY started_on, ended_on
                                                        ROWS BETWEEN UNBOUNDED PRECEDING
                                                        AND 1 PRECEDING) AS reach
                          FROM (SELECT person_id, occurred_on AS started_on,
                                       CASE WHEN next_cancel IS NOT NULL
                                                 AND {plus('next_cancel', -1)} < {expires}
                                            THEN {plus('next_cancel', -1)}
                                            ELSE {expires} END AS ended_on
                                FROM (SELECT person_id, occurred_on, {order} AS is_order,
                                             min(CASE WHEN NOT ({order}) THEN occurred_on END)
                                               OVER (PARTITION BY person_id ORDER BY occurred_on
                                                     RANGE BETWEEN CURRENT ROW
                                                     AND UNBOUNDED FOLLOWING) AS next_cancel
                                      FROM activities) AS e
                                WHERE is_order AND (next_cancel IS NULL
                                                    OR next_cancel <> occurred_on)) AS runs
                          ) AS reached
                    ) AS starts
              ) AS numbered
        GROUP BY person_id, island
    """)


def upgrade() -> None:
    _tables()
    _activity_indexes()
    _fill(op.get_bind().dialect.name)


def downgrade() -> None:
    op.create_index('ix_activities_occurred', 'activities', ['occurred_on'])
    op.create_index('ix_activities_person_occurred', 'activities',
                    ['person_id', 'occurred_on', 'kind'])
    op.drop_index('ix_activities_person_orders', table_name='activities')
    op.drop_index('ix_active_spells_person', table_name='active_spells')
    op.drop_table('active_spells')
    op.drop_table('activity_summaries')
