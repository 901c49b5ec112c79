-- pgbench script: reserve 1 unit of a uniformly random SKU at wh-central, only if free.
-- One statement = one transaction (autocommit), committed with synchronous_commit on.
\set i random(0, 99999)
UPDATE stock SET reserved = reserved + 1
 WHERE sku = 'BENCH-' || lpad(:i::text, 12, '0') AND location = 'wh-central'
   AND on_hand - reserved >= 1;
