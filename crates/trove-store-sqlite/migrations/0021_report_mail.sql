-- The monthly review by e-mail: who receives each business unit's report (a person of Trove
-- or a plain address; business_unit '*' means every unit), one row per unit and address, and
-- the day of the following month from which a closed month's reports are sent.

CREATE TABLE report_recipients (
    business_unit TEXT NOT NULL,      -- a unit's name, or '*' for every unit
    address       TEXT NOT NULL,      -- lowercase
    name          TEXT,               -- the person's name, when known
    added_at      INTEGER NOT NULL,   -- unix seconds
    added_by      TEXT NOT NULL,
    PRIMARY KEY (business_unit, address)
);

CREATE TABLE report_mail_settings (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    send_day INTEGER NOT NULL CHECK (send_day BETWEEN 1 AND 28)
);
