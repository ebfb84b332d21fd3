-- Semantic ranking (docs/chat.md, "Semantic ranking").
--
-- find_llm_providers.embedding_model: a tenant's own embeddings model, at
-- its row's base_url (or the installation's when the row has none); empty
-- keeps the installation's chat_llm_embedding_model.
--
-- find_embeddings: one vector per product or post (entity 'product' or
-- 'post', doc = its search_doc, unique per tenant and table), computed by
-- intukad --embed with the tenant's embeddings model (above). The
-- vector is float32 little-endian, dimension floats (4 * dimension bytes).
-- content_hash is the hash of the model and the text the vector was
-- computed from: an upsert that changes nothing the text holds costs no
-- call. A vector of another model is never compared with the query's.
--
-- find_embedding_queue: documents that need (re)embedding, written in the
-- transaction of the product's or post's upsert, so a committed write is
-- always queued. A process claims rows by setting claim_token and
-- lease_until with a compare-and-set UPDATE (claimed only when unclaimed
-- or its lease ended), which works on one server and on a Galera cluster
-- alike; a dead process's rows are taken again when their lease ends.
-- version grows with every upsert: a row re-queued while it was being
-- embedded is not removed by the process that finished the older text.

ALTER TABLE find_llm_providers
  ADD COLUMN IF NOT EXISTS embedding_model VARCHAR(128) NOT NULL DEFAULT '' AFTER model;

CREATE TABLE IF NOT EXISTS find_embeddings (
  tenant_id BIGINT UNSIGNED NOT NULL,
  entity ENUM('product', 'post') NOT NULL,
  doc INT UNSIGNED NOT NULL,
  model VARCHAR(128) NOT NULL,
  dimension SMALLINT UNSIGNED NOT NULL,
  vector MEDIUMBLOB NOT NULL,
  content_hash CHAR(16) NOT NULL,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, entity, doc),
  CONSTRAINT find_embeddings_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS find_embedding_queue (
  tenant_id BIGINT UNSIGNED NOT NULL,
  entity ENUM('product', 'post') NOT NULL,
  doc INT UNSIGNED NOT NULL,
  version INT UNSIGNED NOT NULL DEFAULT 1,
  attempts TINYINT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  claim_token CHAR(32) NULL,
  lease_until DATETIME(3) NULL,
  last_error VARCHAR(255) NOT NULL DEFAULT '',
  queued_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, entity, doc),
  KEY find_embedding_queue_due (next_attempt_at),
  CONSTRAINT find_embedding_queue_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every product and post stored before this migration is queued once, so
-- an installation that configures chat_llm_embedding_model later finds its
-- catalogue waiting (a document is one queue row, whatever its updates).
INSERT IGNORE INTO find_embedding_queue (tenant_id, entity, doc)
SELECT tenant_id, 'product', search_doc FROM find_products WHERE search_doc IS NOT NULL;
INSERT IGNORE INTO find_embedding_queue (tenant_id, entity, doc)
SELECT tenant_id, 'post', search_doc FROM find_posts WHERE search_doc IS NOT NULL;
