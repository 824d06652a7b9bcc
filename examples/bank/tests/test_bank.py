"""The bank's tests, on the package's pytest plugin: each test gets a fresh store."""

from __future__ import annotations

import threading

import pytest

from bank import SUBSCRIPTION, AccountExists, Bank, InsufficientFunds, UnknownAccount, balance_consumer


@pytest.fixture
def bank(eventstore):
    with eventstore.connection() as conn:
        conn.execute("SELECT api.create_subscription(%s, ARRAY['BankAccount'])", (SUBSCRIPTION,))
    return Bank(eventstore)


def test_open_deposit_withdraw(bank):
    bank.open("ACC-1", "ann")
    assert bank.deposit("ACC-1", 100) == 2
    assert bank.withdraw("ACC-1", 30) == 3
    with pytest.raises(InsufficientFunds):
        bank.withdraw("ACC-1", 71)
    with pytest.raises(AccountExists):
        bank.open("ACC-1", "bob")
    with pytest.raises(UnknownAccount):
        bank.deposit("ACC-2", 1)


def test_no_overdraft_under_concurrency(bank):
    bank.open("ACC-1", "ann")
    bank.deposit("ACC-1", 100)
    outcomes: list[str] = []

    def spend() -> None:
        for _ in range(5):
            try:
                bank.withdraw("ACC-1", 10)
                outcomes.append("ok")
            except InsufficientFunds:
                outcomes.append("refused")

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 10 and outcomes.count("refused") == 10


def test_the_read_model_follows_exactly_once(bank):
    bank.open("ACC-1", "ann")
    bank.deposit("ACC-1", 50)
    consumer = balance_consumer(bank.store)
    consumer.run_until_idle()
    assert bank.balance("ACC-1") == 50
    bank.withdraw("ACC-1", 20)
    consumer.run_until_idle()
    consumer.run_until_idle()
    assert bank.balance("ACC-1") == 30
