"""Keep ten times more of the chunks' words in the planner's statistics, so that a question whose
words are rare or absent in a collection is searched through the GIN index.

The full-text search takes the first 200 chunks holding any word of the question (``LIMIT``). The
planner estimates how many chunks match from the most common words ANALYZE keeps of ``tsv``; a
word not among them is priced at half the rarest one's frequency. With the default target (100:
1,000 words) a collection of 100k chunks filled that list with words each in ~3% of its chunks, so
a question of words the collection hardly holds ("Who won the 2018 FIFA World Cup final?") was
estimated at thousands of matches: the planner read the table in order to stop at the 200th, found
fewer, and read all 100,784 chunks (130-180 ms, most of PostgreSQL's CPU per question). With 1,000
(up to 10,000 words, down to ~40 occurrences) the same questions are estimated at tens of matches
and served by the GIN index (4-5 ms); PostgreSQL's CPU per statement fell from 13.7-15.7 to
7.1-7.4 ms over the 36 development questions (bench/README.md, issue 19).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

FULL_TEXT_STATISTICS = 1000


def upgrade() -> None:
    op.execute(f'ALTER TABLE "index".chunks ALTER COLUMN tsv SET STATISTICS {FULL_TEXT_STATISTICS}')
    # The statistics now, not at autovacuum's next analyze of the table.
    op.execute('ANALYZE "index".chunks')
