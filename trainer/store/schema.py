"""The practice history's schema: one SQL script per version, applied in order by ``Store``.

``PRAGMA user_version`` holds the version a file is at; ``Store`` reads it inside the write
transaction that migrates (see ``Store._migrate``), so two processes opening a new file at once
never both create the tables. A migration only ever adds: a file written by an older app opens
in a newer one, and a newer file is refused by an older app rather than damaged.
"""

from __future__ import annotations

SCHEMA_VERSION = 3

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE sellers (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        created_at REAL NOT NULL
    );
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        seller_id INTEGER NOT NULL REFERENCES sellers(id) ON DELETE CASCADE,
        drill_id TEXT NOT NULL,
        scenario_id TEXT,
        scenario_json TEXT,
        started_at REAL NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('recording', 'recorded', 'scored', 'failed')),
        audio_path TEXT,
        duration_s REAL,
        transcript TEXT,
        words_json TEXT,
        scorecard_json TEXT,
        score REAL,
        passed INTEGER,
        model TEXT,
        message TEXT
    );
    CREATE INDEX attempts_by_seller ON attempts (seller_id, started_at);
    """,
    # The three journeys. Each table belongs to one core module, which reads and writes it
    # through ``Store.transaction()`` / ``Store.query()``: company and stories
    # (``trainer.coaching.company``), scenarios (``trainer.coaching.calls``), written agendas
    # (``trainer.coaching.agendas``), 1:1s, certifications, overrides and action items
    # (``trainer.coaching.certification``), story hours (``trainer.coaching.storyhour``), card
    # rounds
    # (``trainer.coaching.cards``). Everything a seller did goes when the seller is deleted
    # (CASCADE);
    # a manager's approved stories have no seller and stay.
    2: """
    ALTER TABLE attempts ADD COLUMN context TEXT;
    CREATE TABLE company (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        profile_json TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE stories (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        industry TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL DEFAULT '',
        pain TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL CHECK (source IN ('approved', 'story_hour')),
        seller_id INTEGER REFERENCES sellers(id) ON DELETE CASCADE,
        attempt_id INTEGER REFERENCES attempts(id) ON DELETE SET NULL,
        audio_path TEXT,
        created_at REAL NOT NULL
    );
    CREATE TABLE scenarios (
        id TEXT PRIMARY KEY,
        seller_id INTEGER REFERENCES sellers(id) ON DELETE CASCADE,
        scenario_json TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE written_agendas (
        seller_id INTEGER NOT NULL REFERENCES sellers(id) ON DELETE CASCADE,
        interaction TEXT NOT NULL,
        text TEXT NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (seller_id, interaction)
    );
    CREATE TABLE one_on_ones (
        id INTEGER PRIMARY KEY,
        seller_id INTEGER NOT NULL REFERENCES sellers(id) ON DELETE CASCADE,
        manager TEXT NOT NULL,
        started_at REAL NOT NULL,
        ended_at REAL,
        feedback TEXT,
        notes TEXT
    );
    CREATE TABLE certifications (
        id INTEGER PRIMARY KEY,
        seller_id INTEGER NOT NULL REFERENCES sellers(id) ON DELETE CASCADE,
        drill_id TEXT NOT NULL,
        one_on_one_id INTEGER REFERENCES one_on_ones(id) ON DELETE SET NULL,
        attempt_id INTEGER REFERENCES attempts(id) ON DELETE SET NULL,
        manager TEXT NOT NULL,
        app_score REAL,
        score REAL NOT NULL,
        passed INTEGER NOT NULL,
        comments TEXT NOT NULL DEFAULT '',
        certified_at REAL NOT NULL,
        due_at REAL
    );
    CREATE INDEX certifications_by_seller ON certifications (seller_id, drill_id, certified_at);
    CREATE TABLE overrides (
        attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
        criterion_id TEXT NOT NULL,
        app_met INTEGER NOT NULL,
        met INTEGER NOT NULL,
        comment TEXT NOT NULL DEFAULT '',
        manager TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (attempt_id, criterion_id)
    );
    CREATE TABLE action_items (
        id INTEGER PRIMARY KEY,
        seller_id INTEGER NOT NULL REFERENCES sellers(id) ON DELETE CASCADE,
        one_on_one_id INTEGER REFERENCES one_on_ones(id) ON DELETE SET NULL,
        text TEXT NOT NULL,
        owner TEXT NOT NULL,
        due_at REAL,
        done_at REAL,
        created_at REAL NOT NULL
    );
    CREATE TABLE story_hours (
        id INTEGER PRIMARY KEY,
        started_at REAL NOT NULL,
        ended_at REAL,
        roster_json TEXT NOT NULL
    );
    CREATE TABLE story_turns (
        id INTEGER PRIMARY KEY,
        story_hour_id INTEGER NOT NULL REFERENCES story_hours(id) ON DELETE CASCADE,
        seller_id INTEGER NOT NULL REFERENCES sellers(id) ON DELETE CASCADE,
        attempt_id INTEGER REFERENCES attempts(id) ON DELETE SET NULL,
        position INTEGER NOT NULL
    );
    CREATE TABLE peer_ratings (
        turn_id INTEGER NOT NULL REFERENCES story_turns(id) ON DELETE CASCADE,
        rater TEXT NOT NULL,
        criterion_id TEXT NOT NULL,
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
        PRIMARY KEY (turn_id, rater, criterion_id)
    );
    CREATE TABLE card_rounds (
        id INTEGER PRIMARY KEY,
        game_id TEXT NOT NULL,
        player TEXT NOT NULL,
        seller_id INTEGER REFERENCES sellers(id) ON DELETE CASCADE,
        mode TEXT NOT NULL,
        card_id TEXT NOT NULL,
        answer TEXT,
        correct INTEGER NOT NULL,
        response_s REAL,
        played_at REAL NOT NULL
    );
    """,
    # A stable name for each seller's recordings folder. Existing sellers get one too: their
    # old takes keep the paths stored in their rows; new ones go to the new folder.
    3: """
    ALTER TABLE sellers ADD COLUMN uid TEXT;
    UPDATE sellers SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
    CREATE UNIQUE INDEX sellers_by_uid ON sellers (uid);
    """,
}
