"""Schema migrations, keyed on PRAGMA user_version: migration N brings the database to version N."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: feeds, headlines, stories, destinations, subscriptions, outbox.
    """
    CREATE TABLE feeds (
        name TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        title TEXT,
        etag TEXT,
        last_modified TEXT,
        body_hash TEXT,
        first_success_at TEXT,
        last_success_at TEXT,
        last_attempt_at TEXT,
        last_error TEXT,
        last_error_at TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        next_poll_at TEXT
    );

    CREATE TABLE stories (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        title TEXT NOT NULL,
        link TEXT NOT NULL,
        categories TEXT NOT NULL,
        signature TEXT NOT NULL,
        alerted_at TEXT
    );
    CREATE INDEX stories_created_at ON stories(created_at);

    CREATE TABLE headlines (
        id INTEGER PRIMARY KEY,
        feed TEXT NOT NULL,
        entry_key TEXT NOT NULL,
        link TEXT NOT NULL,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        outlet TEXT NOT NULL,
        published_at TEXT,
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        categories TEXT NOT NULL,
        evidence TEXT NOT NULL,
        decision TEXT NOT NULL,
        story_id INTEGER REFERENCES stories(id) ON DELETE SET NULL,
        UNIQUE (feed, entry_key)
    );
    CREATE INDEX headlines_link ON headlines(link) WHERE link != '';
    CREATE INDEX headlines_story ON headlines(story_id) WHERE story_id IS NOT NULL;
    CREATE INDEX headlines_first_seen ON headlines(first_seen_at);

    CREATE TABLE destinations (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        label TEXT NOT NULL,
        scope TEXT NOT NULL DEFAULT '',
        channel TEXT NOT NULL DEFAULT '',
        active INTEGER NOT NULL DEFAULT 1,
        broken_reason TEXT,
        broken_at TEXT,
        created_at TEXT NOT NULL
    );

    CREATE TABLE subscriptions (
        destination_id INTEGER NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
        category TEXT NOT NULL,
        mention TEXT,
        created_by TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        PRIMARY KEY (destination_id, category)
    );

    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        destination_id INTEGER NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
        dedupe_key TEXT NOT NULL,
        message TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        next_attempt_at TEXT NOT NULL,
        lease_until TEXT,
        last_error TEXT,
        sent_at TEXT,
        remote_id TEXT,
        UNIQUE (destination_id, dedupe_key)
    );
    CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
    """,
    # 2: self-hosting. last_parsed_at tells retention whether an entry has really left its feed
    # (a 304 says nothing about entries); failing_since dates a feed's current failure streak;
    # ops_notices remembers which ops notices went out, so a restart never repeats one.
    """
    ALTER TABLE feeds ADD COLUMN last_parsed_at TEXT;
    ALTER TABLE feeds ADD COLUMN failing_since TEXT;
    CREATE INDEX headlines_last_seen ON headlines(last_seen_at);
    CREATE INDEX outbox_sent_at ON outbox(sent_at) WHERE status = 'sent';

    CREATE TABLE ops_notices (
        subject TEXT PRIMARY KEY,
        detail TEXT NOT NULL,
        notified_at TEXT NOT NULL
    );
    """,
    # 3: who holds a send's lease, so a restarted process takes back the sends of one that died
    # at once instead of waiting for the lease to run out.
    """
    ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
    """,
    # 4: a webhook's address (a fingerprint of its platform and URL, never the URL), so a named
    # webhook whose URL or platform changes is tried again instead of staying broken.
    """
    ALTER TABLE destinations ADD COLUMN address TEXT;
    """,
    # 5: Westminster people as `people refresh` last read them from the Members API: current
    # MPs and peers, their party spells, and when and where the refresh read them. Each refresh
    # replaces all three in one transaction.
    """
    CREATE TABLE people (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        house TEXT NOT NULL,
        seat TEXT NOT NULL,
        party TEXT NOT NULL,
        membership_start TEXT NOT NULL
    );

    CREATE TABLE party_spells (
        person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        party TEXT NOT NULL,
        start_date TEXT NOT NULL,
        end_date TEXT NOT NULL,
        house TEXT NOT NULL
    );
    CREATE INDEX party_spells_person ON party_spells(person_id, start_date);

    CREATE TABLE people_refresh (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        refreshed_at TEXT NOT NULL,
        source TEXT NOT NULL
    );
    """,
    # 6: events. A story row is now an event: the reports that joined it (headlines.story_id,
    # with why each joined), its actors, when its last report came, what it continues and when
    # it became breaking; `revision` grows with every write, so a process reads only the events
    # written since it last looked (times would not do: two polls' clocks interleave). Outbox
    # rows gain a kind (alert, edit, reply, followup), the event they concern and how many of
    # its reports the destination has been shown; destinations say what later reports do for
    # them (edit, thread, off).
    """
    ALTER TABLE stories ADD COLUMN actors TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE stories ADD COLUMN last_report_at TEXT;
    ALTER TABLE stories ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE stories ADD COLUMN continues_id INTEGER REFERENCES stories(id) ON DELETE SET NULL;
    ALTER TABLE stories ADD COLUMN development TEXT;
    ALTER TABLE stories ADD COLUMN breaking_at TEXT;
    UPDATE stories SET last_report_at = created_at, revision = id;
    CREATE INDEX stories_revision ON stories(revision);

    ALTER TABLE headlines ADD COLUMN joined_on TEXT;

    ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'alert';
    ALTER TABLE outbox ADD COLUMN event_id INTEGER;
    ALTER TABLE outbox ADD COLUMN told_reports INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX outbox_event ON outbox(event_id) WHERE event_id IS NOT NULL;

    ALTER TABLE destinations ADD COLUMN updates TEXT NOT NULL DEFAULT 'edit';
    """,
    # 7: Confirmed by Parliament. A defection alert that names a sitting MP and the party they
    # joined is watched for up to 7 days: open until the Members API records the move
    # (confirmed, with the party and date Parliament gives) or the week is out (expired).
    """
    CREATE TABLE party_watches (
        event_id INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
        person_id INTEGER NOT NULL,
        person_name TEXT NOT NULL,
        party TEXT NOT NULL,
        first_report_at TEXT NOT NULL,
        until TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        confirmed_party TEXT,
        recorded_on TEXT,
        closed_at TEXT
    );
    CREATE INDEX party_watches_open ON party_watches(until) WHERE status = 'open';
    """,
    # 8: channel control. A destination's quiet hours, digest, watchlist, noise floor and mute
    # (JSON, validated where it enters); alert rows they hold wait as status 'held' until a
    # digest takes them ('digested') or they are released ('pending').
    """
    ALTER TABLE destinations ADD COLUMN control TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE outbox ADD COLUMN held TEXT;
    CREATE INDEX outbox_held ON outbox(destination_id, created_at) WHERE status = 'held';
""",
)

SCHEMA_VERSION = len(MIGRATIONS)
