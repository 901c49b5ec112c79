-- PostgreSQL peer of scripts/bench: the stock table and the same data set as stockd's
-- (stockd-bench --setup --sku-width 12): 100,000 SKUs BENCH-000000000000 ..
-- BENCH-000000099999 at wh-central and store-berlin, on_hand 1,000,000, nothing reserved.
DROP TABLE IF EXISTS stock;
CREATE TABLE stock (
  sku      text,
  location text,
  on_hand  int,
  reserved int,
  PRIMARY KEY (sku, location)
);
INSERT INTO stock (sku, location, on_hand, reserved)
SELECT 'BENCH-' || lpad(i::text, 12, '0'), l.location, 1000000, 0
FROM generate_series(0, 99999) AS i,
     (VALUES ('wh-central'), ('store-berlin')) AS l(location)
ORDER BY 1, 2;
VACUUM (ANALYZE) stock;
CHECKPOINT;
