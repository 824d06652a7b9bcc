"""Development harness: a throwaway PostgreSQL cluster for tests, benchmarks and the demo."""
