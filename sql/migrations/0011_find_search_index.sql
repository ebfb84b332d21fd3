-- The find search index (docs/search.md): postings the product owns, so a
-- search reads the top of its answer and a bounded count instead of every
-- match. Replaces the FULLTEXT indexes of find_products and find_posts and
-- their tenant-token columns (search_name, search_text).
--
-- Every product and post gets a search document number (search_doc): 32
-- bits, spread over the range like random numbers, unique per tenant and
-- table. A term's postings are cut into buckets by the top bits of that
-- number (find_search_postings); find_search_terms holds each term's
-- document count, highest impact and bucket bits, and is the tenant's
-- vocabulary for prefix and typo matching.
--
-- Existing rows get their numbers here; their postings are written by
-- `intuka-admin find-reindex` (docs/operations.md), which must run once
-- after this migration on a database that already holds products or posts.

CREATE TABLE IF NOT EXISTS find_search_terms (
  tenant_id      BIGINT UNSIGNED NOT NULL,
  entity         ENUM('product', 'post') NOT NULL,
  term           VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  -- the term's characters in reverse order: typo lookups by suffix
  term_reversed  VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  documents      INT UNSIGNED NOT NULL,
  max_impact     TINYINT UNSIGNED NOT NULL,
  bucket_bits    TINYINT UNSIGNED NOT NULL,
  PRIMARY KEY (tenant_id, entity, term),
  KEY find_search_terms_reversed (tenant_id, entity, term_reversed)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per bucket of a term: its documents packed (find_index.h), their
-- count and highest impact (block-max).
CREATE TABLE IF NOT EXISTS find_search_postings (
  tenant_id   BIGINT UNSIGNED NOT NULL,
  entity      ENUM('product', 'post') NOT NULL,
  term        VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  bucket      INT UNSIGNED NOT NULL,
  documents   SMALLINT UNSIGNED NOT NULL,
  max_impact  TINYINT UNSIGNED NOT NULL,
  postings    BLOB NOT NULL,
  PRIMARY KEY (tenant_id, entity, term, bucket)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE find_products
  ADD COLUMN IF NOT EXISTS search_doc INT UNSIGNED NULL AFTER product_id,
  DROP INDEX IF EXISTS find_products_search_name,
  DROP INDEX IF EXISTS find_products_search_text,
  DROP COLUMN IF EXISTS search_name,
  DROP COLUMN IF EXISTS search_text,
  ADD UNIQUE KEY IF NOT EXISTS find_products_search_doc (tenant_id, search_doc),
  ADD KEY IF NOT EXISTS find_products_sku (tenant_id, sku);

ALTER TABLE find_posts
  ADD COLUMN IF NOT EXISTS search_doc INT UNSIGNED NULL AFTER post_id,
  DROP INDEX IF EXISTS find_posts_search_name,
  DROP INDEX IF EXISTS find_posts_search_text,
  DROP COLUMN IF EXISTS search_name,
  DROP COLUMN IF EXISTS search_text,
  ADD UNIQUE KEY IF NOT EXISTS find_posts_search_doc (tenant_id, search_doc);

-- Numbers for the rows that have none: the n-th row of a tenant gets a
-- 32-bit mix of n (find_index_doc_number: xor-shifts and odd multipliers,
-- a bijection, so no two rows of a tenant share one). New rows draw a random
-- number when they are written.
UPDATE find_products e JOIN (
  SELECT tenant_id, workspace, product_id, x4 ^ (x4 >> 16) AS doc FROM (
    SELECT tenant_id, workspace, product_id, (x3 * 2221713035) & 4294967295 AS x4 FROM (
      SELECT tenant_id, workspace, product_id, x2 ^ (x2 >> 15) AS x3 FROM (
        SELECT tenant_id, workspace, product_id, (x1 * 2146121005) & 4294967295 AS x2 FROM (
          SELECT tenant_id, workspace, product_id, n ^ (n >> 16) AS x1 FROM (
            SELECT tenant_id, workspace, product_id,
                   CAST(ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY workspace, product_id) AS UNSIGNED) AS n
            FROM find_products) r) a) b) c) d) s
  ON e.tenant_id = s.tenant_id AND e.workspace = s.workspace AND e.product_id = s.product_id
SET e.search_doc = s.doc
WHERE e.search_doc IS NULL;

UPDATE find_posts e JOIN (
  SELECT tenant_id, workspace, post_id, x4 ^ (x4 >> 16) AS doc FROM (
    SELECT tenant_id, workspace, post_id, (x3 * 2221713035) & 4294967295 AS x4 FROM (
      SELECT tenant_id, workspace, post_id, x2 ^ (x2 >> 15) AS x3 FROM (
        SELECT tenant_id, workspace, post_id, (x1 * 2146121005) & 4294967295 AS x2 FROM (
          SELECT tenant_id, workspace, post_id, n ^ (n >> 16) AS x1 FROM (
            SELECT tenant_id, workspace, post_id,
                   CAST(ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY workspace, post_id) AS UNSIGNED) AS n
            FROM find_posts) r) a) b) c) d) s
  ON e.tenant_id = s.tenant_id AND e.workspace = s.workspace AND e.post_id = s.post_id
SET e.search_doc = s.doc
WHERE e.search_doc IS NULL;
