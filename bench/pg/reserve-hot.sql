-- pgbench script: reserve 1 unit of the one hot SKU at wh-central, only if free.
UPDATE stock SET reserved = reserved + 1
 WHERE sku = 'BENCH-000000000000' AND location = 'wh-central'
   AND on_hand - reserved >= 1;
