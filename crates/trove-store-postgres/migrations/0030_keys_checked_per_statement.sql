-- The keys of the import's bulk tables checked once per statement instead of once per row.
--
-- A foreign key runs one index probe through SPI for every inserted row; an import of 1,000,000
-- tagged items makes about 4,000,000 of them (the import run of each item, the item and theme
-- of each tag), and they were 44% of the server's CPU during `trove bench import`. The three
-- foreign keys below become statement-level triggers that check the whole statement's keys
-- with one query each (PostgreSQL lets a table's owner create them; the per-row RI triggers
-- can only be switched off by a superuser, and a deferred constraint still checks row by row).
--
-- What stays guaranteed, as the foreign keys guaranteed it:
-- * a row naming a key its parent table lacks is refused (SQLSTATE 23503), whoever writes it;
-- * a parent row still named cannot be deleted, nor its key changed;
-- * under concurrency (READ COMMITTED, the store's isolation): the checking statement locks the
--   parent rows it names FOR KEY SHARE, as a foreign key does, so a concurrent delete waits for
--   it and then sees its rows. Parent rows this transaction wrote itself need no lock: no other
--   transaction can delete them before this one ends (an import's items and their tags).
-- Not checked: TRUNCATE of a parent (Trove never truncates; a foreign key refused it).

ALTER TABLE feedback DROP CONSTRAINT feedback_import_run_id_fkey;
ALTER TABLE feedback_themes DROP CONSTRAINT feedback_themes_feedback_id_fkey;
ALTER TABLE feedback_themes DROP CONSTRAINT feedback_themes_theme_id_fkey;

-- AFTER INSERT or UPDATE, per statement, with the statement's rows as `new_rows`. Arguments:
-- the column naming the parent, and the parent table (keyed by `id`). The named keys travel
-- as one array, so the parent is probed through its primary key whatever the planner guesses
-- of the statement's size.
CREATE FUNCTION trove_check_parents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    EXECUTE format(
        'WITH named AS MATERIALIZED (
            SELECT array_agg(DISTINCT %1$I) FILTER (WHERE %1$I IS NOT NULL) AS keys FROM new_rows),
         found AS MATERIALIZED (SELECT p.id, p.xmin = xid(pg_current_xact_id()) AS own
            FROM %2$I p, named WHERE p.id = ANY (named.keys)),
         locked AS (SELECT p.id FROM %2$I p
            WHERE p.id = ANY (ARRAY(SELECT id FROM found WHERE NOT own)) FOR KEY SHARE OF p)
         SELECT k::text FROM named, unnest(named.keys) AS k
         WHERE k NOT IN (SELECT id FROM found WHERE own UNION ALL SELECT id FROM locked) LIMIT 1',
        TG_ARGV[0], TG_ARGV[1])
    INTO missing;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "%" violates foreign key "%_%_fkey"',
                TG_TABLE_NAME, TG_TABLE_NAME, TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation',
                DETAIL = format('Key (%s)=(%s) is not present in table "%s".', TG_ARGV[0], missing, TG_ARGV[1]);
    END IF;
    RETURN NULL;
END
$$;

-- AFTER DELETE, per statement, with the deleted rows as `old_rows`. Arguments: the child table
-- and its column naming this table's `id`.
CREATE FUNCTION trove_check_children() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named text;
BEGIN
    EXECUTE format(
        'SELECT o.id::text FROM old_rows o WHERE EXISTS (SELECT 1 FROM %1$I c WHERE c.%2$I = o.id) LIMIT 1',
        TG_ARGV[0], TG_ARGV[1])
    INTO named;
    IF named IS NOT NULL THEN
        RAISE EXCEPTION 'update or delete on table "%" violates foreign key "%_%_fkey" on table "%"',
                TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1], TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation',
                DETAIL = format('Key (id)=(%s) is still referenced from table "%s".', named, TG_ARGV[0]);
    END IF;
    RETURN NULL;
END
$$;

-- BEFORE UPDATE OF id, per row: a parent's key never changes (nothing in Trove changes one).
CREATE FUNCTION trove_key_is_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the key of table "%" cannot change (% to %)', TG_TABLE_NAME, OLD.id, NEW.id
        USING ERRCODE = 'foreign_key_violation';
END
$$;

CREATE TRIGGER feedback_import_run_inserted AFTER INSERT ON feedback
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_check_parents('import_run_id', 'import_runs');
CREATE TRIGGER feedback_import_run_updated AFTER UPDATE ON feedback
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_check_parents('import_run_id', 'import_runs');
CREATE TRIGGER feedback_themes_item_inserted AFTER INSERT ON feedback_themes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_check_parents('feedback_id', 'feedback');
CREATE TRIGGER feedback_themes_item_updated AFTER UPDATE ON feedback_themes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_check_parents('feedback_id', 'feedback');
CREATE TRIGGER feedback_themes_theme_inserted AFTER INSERT ON feedback_themes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_check_parents('theme_id', 'themes');
CREATE TRIGGER feedback_themes_theme_updated AFTER UPDATE ON feedback_themes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_check_parents('theme_id', 'themes');

CREATE TRIGGER import_runs_items_deleted AFTER DELETE ON import_runs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_check_children('feedback', 'import_run_id');
CREATE TRIGGER feedback_tags_deleted AFTER DELETE ON feedback
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_check_children('feedback_themes', 'feedback_id');
CREATE TRIGGER themes_tags_deleted AFTER DELETE ON themes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION trove_check_children('feedback_themes', 'theme_id');

CREATE TRIGGER import_runs_key_fixed BEFORE UPDATE OF id ON import_runs
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION trove_key_is_fixed();
CREATE TRIGGER feedback_key_fixed BEFORE UPDATE OF id ON feedback
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION trove_key_is_fixed();
CREATE TRIGGER themes_key_fixed BEFORE UPDATE OF id ON themes
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION trove_key_is_fixed();
