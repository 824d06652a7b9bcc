-- pgTAP: change store_generations
BEGIN;
SELECT plan(8);

SELECT has_table('data'::name, 'store_generations'::name);
SELECT col_is_pk('data'::name, 'store_generations'::name, 'generation'::name, 'primary key of data.store_generations');
SELECT has_function('private', 'writer_generation', ARRAY[]::text[]);

SELECT is(private.writer_generation(), 1, 'a fresh store writes generation 1');
SELECT is((SELECT system_identifier FROM data.store_generations WHERE generation = 1),
          (SELECT system_identifier FROM pg_control_system()), 'generation 1 is this cluster');

-- As after a restore of data written by another cluster: its generation is the newest.
INSERT INTO data.store_generations (generation, system_identifier) VALUES (2, 42);
SELECT is(private.writer_generation(), 3, 'the first write in this cluster starts a new generation');
SELECT is(private.writer_generation(), 3, 'and keeps writing it');
SELECT results_eq('SELECT generation, system_identifier = (SELECT system_identifier FROM pg_control_system())
                   FROM data.store_generations ORDER BY generation',
                  $$VALUES (1, true), (2, false), (3, true)$$, 'one row per cluster lifetime');

SELECT * FROM finish();
ROLLBACK;
