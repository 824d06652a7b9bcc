-- The bank example's own read model: balances kept by a subscription consumer (bank.py).
CREATE SCHEMA IF NOT EXISTS bank;
CREATE TABLE IF NOT EXISTS bank.balances (
    account_id uuid PRIMARY KEY,
    owner      text NOT NULL,
    balance    bigint NOT NULL,
    version    integer NOT NULL  -- the last event applied (the consumer applies each once)
);
GRANT USAGE ON SCHEMA bank TO eventstore_reader;
GRANT SELECT ON bank.balances TO eventstore_reader;
GRANT INSERT, UPDATE ON bank.balances TO eventstore_projector;
