-- The three rates, kept as counts per unit, region and category, per local day (UTC+8)
-- and per month. Every transition that changes them adds its entries
-- (src/domain/rates_ledger.rs) to both tables in the transaction that records its event,
-- so GetRates sums a few rows instead of scanning tickets, and whole months come from the
-- monthly table. `hotline rates rebuild` recomputes both from ticket_events.

CREATE TABLE rate_counts (
    day                 BIGINT NOT NULL, -- yyyymmdd of the local day
    unit                TEXT   NOT NULL,
    region              TEXT   NOT NULL,
    category            TEXT   NOT NULL,
    dispatched          BIGINT NOT NULL DEFAULT 0,
    responded_in_time   BIGINT NOT NULL DEFAULT 0,
    callbacks           BIGINT NOT NULL DEFAULT 0,
    declined            BIGINT NOT NULL DEFAULT 0,
    resolved            BIGINT NOT NULL DEFAULT 0,
    satisfied           BIGINT NOT NULL DEFAULT 0,
    basically_satisfied BIGINT NOT NULL DEFAULT 0,
    dissatisfied        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, unit, region, category)
);

CREATE TABLE rate_counts_monthly (
    month               BIGINT NOT NULL, -- yyyymm
    unit                TEXT   NOT NULL,
    region              TEXT   NOT NULL,
    category            TEXT   NOT NULL,
    dispatched          BIGINT NOT NULL DEFAULT 0,
    responded_in_time   BIGINT NOT NULL DEFAULT 0,
    callbacks           BIGINT NOT NULL DEFAULT 0,
    declined            BIGINT NOT NULL DEFAULT 0,
    resolved            BIGINT NOT NULL DEFAULT 0,
    satisfied           BIGINT NOT NULL DEFAULT 0,
    basically_satisfied BIGINT NOT NULL DEFAULT 0,
    dissatisfied        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, unit, region, category)
);

-- One unit's rates over a period (the per-unit gauges, a unit's own report).
CREATE INDEX rate_counts_unit_day ON rate_counts (unit, day);
CREATE INDEX rate_counts_monthly_unit ON rate_counts_monthly (unit, month);

-- The rates no longer scan tickets by these instants.
DROP INDEX tickets_dispatched_at;
DROP INDEX tickets_callback_at;
