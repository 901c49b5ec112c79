-- Oversell check after the pgbench runs: rows, rows with reserved > on_hand, total reserved.
SELECT count(*) AS rows, count(*) FILTER (WHERE reserved > on_hand OR reserved < 0) AS oversold,
       sum(reserved) AS reserved_total
FROM stock;
