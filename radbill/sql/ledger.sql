-- The double-entry ledger's two rules (issue 4), enforced by the database whoever writes.
--
-- The rule that a ledger transaction's legs sum to zero is a deferred constraint trigger, so it
-- holds whoever writes (an ORM session, a bulk INSERT ... SELECT, or psql): it is checked at
-- commit, when every leg of the transaction is in.
--
-- Applied by `radbill db upgrade` after the migrations, every time: keep it re-appliable.
-- PostgreSQL has no CREATE OR REPLACE for constraint triggers, hence DROP IF EXISTS + CREATE.
-- `radbill db check` compares the database with this file.

CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tx bigint;
    total numeric;
BEGIN
    FOREACH tx IN ARRAY ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN OLD.transaction_id END,
                              CASE WHEN TG_OP <> 'DELETE' THEN NEW.transaction_id END] LOOP
        CONTINUE WHEN tx IS NULL;
        SELECT coalesce(sum(amount), 0) INTO total FROM ledger_entries WHERE transaction_id = tx;
        IF total <> 0 THEN
            RAISE EXCEPTION 'ledger transaction % is unbalanced: its legs sum to %', tx, total
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_balanced';
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS ledger_balanced ON ledger_entries;
CREATE CONSTRAINT TRIGGER ledger_balanced
    AFTER INSERT OR UPDATE OR DELETE ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

-- a posted leg is never edited: a correction is a reversing transaction
CREATE OR REPLACE FUNCTION ledger_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are never edited; post a reversing transaction'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_immutable';
END $$;
CREATE OR REPLACE TRIGGER ledger_immutable BEFORE UPDATE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_update();
