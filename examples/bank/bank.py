"""A small bank on the event store, written with the `eventstore` package: accounts as
streams, no overdraft under concurrency (decide: read, fold, decide, append with the version
read, again on a conflict), and a balance read model kept by a subscription consumer whose
writes commit with its acknowledgements (exactly once)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import psycopg

from eventstore import NO_STREAM, Consumer, EventStore, NewEvent, RecordedEvent, WrongExpectedVersion, stream_id

STREAM = "BankAccount"
SUBSCRIPTION = "bank-balances"


class AccountExists(Exception):
    pass


class UnknownAccount(Exception):
    pass


class InsufficientFunds(Exception):
    pass


@dataclass(frozen=True)
class Account:
    opened: bool = False
    balance: int = 0


def fold(account: Account, event: RecordedEvent) -> Account:
    match event.event_type:
        case "AccountOpened":
            return Account(opened=True)
        case "Deposited":
            return Account(True, account.balance + event.data["amount"])
        case "Withdrawn":
            return Account(True, account.balance - event.data["amount"])
    return account


class Bank:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    @staticmethod
    def account_id(number: str) -> uuid.UUID:
        return stream_id(STREAM, number)

    def open(self, number: str, owner: str) -> uuid.UUID:
        account = self.account_id(number)
        try:
            self.store.append(STREAM, account, [NewEvent("AccountOpened", {"number": number, "owner": owner})],
                              expected_version=NO_STREAM)
        except WrongExpectedVersion:
            raise AccountExists(number) from None
        return account

    def deposit(self, number: str, amount: int) -> int:
        if amount <= 0:
            raise ValueError("a deposit is positive")

        def decide(account: Account) -> list[NewEvent]:
            if not account.opened:
                raise UnknownAccount(number)
            return [NewEvent("Deposited", {"amount": amount})]

        return self.store.decide(STREAM, self.account_id(number), fold=fold, decide=decide, initial=Account())

    def withdraw(self, number: str, amount: int) -> int:
        if amount <= 0:
            raise ValueError("a withdrawal is positive")

        def decide(account: Account) -> list[NewEvent]:
            if not account.opened:
                raise UnknownAccount(number)
            if account.balance < amount:
                raise InsufficientFunds(f"{number}: balance {account.balance}, asked {amount}")
            return [NewEvent("Withdrawn", {"amount": amount})]

        return self.store.decide(STREAM, self.account_id(number), fold=fold, decide=decide, initial=Account())

    def balance(self, number: str) -> int | None:
        """The read model's balance (None until the consumer has seen the account)."""
        with self.store.connection() as conn:
            row = conn.execute("SELECT balance FROM bank.balances WHERE account_id = %s",
                               (self.account_id(number),)).fetchone()
        return None if row is None else int(row[0])


def apply(event: RecordedEvent, conn: psycopg.Connection) -> None:
    """The balance read model: called by the consumer inside the transaction of the ack."""
    if event.event_type == "AccountOpened":
        conn.execute("INSERT INTO bank.balances VALUES (%s, %s, 0, %s)",
                     (event.stream_id, event.data["owner"], event.version))
    elif event.event_type in ("Deposited", "Withdrawn"):
        delta = event.data["amount"] if event.event_type == "Deposited" else -event.data["amount"]
        conn.execute("UPDATE bank.balances SET balance = balance + %s, version = %s WHERE account_id = %s",
                     (delta, event.version, event.stream_id))


def balance_consumer(store: EventStore) -> Consumer:
    return Consumer(store, SUBSCRIPTION, apply, consumer_id="bank-balances", batch=100)
