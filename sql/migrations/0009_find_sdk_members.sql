-- Members of the Intufind SDK v2 that had no column yet.
--
-- find_search_log.search_context: the searchContext a client sent with a
-- search ('widget', 'native', 'chat', 'api', 'internal', 'unknown'; NULL
-- when it sent none). /analytics/search?source= filters on it.
--
-- find_webhooks: how the receiver wants deliveries authenticated
-- (auth_type; auth_config holds the credentials as JSON and, like the
-- secret, is kept as given because every delivery needs it, and is never
-- returned), the client's metadata object, and who created the webhook
-- ("user:<id>" or "key:<id>").

ALTER TABLE find_search_log
  ADD COLUMN IF NOT EXISTS search_context VARCHAR(16) NULL AFTER source;

ALTER TABLE find_webhooks
  ADD COLUMN IF NOT EXISTS auth_type ENUM('none', 'bearer', 'basic', 'api_key') NOT NULL DEFAULT 'none' AFTER headers,
  ADD COLUMN IF NOT EXISTS auth_config TEXT NULL AFTER auth_type,
  ADD COLUMN IF NOT EXISTS metadata TEXT NULL AFTER auth_config,
  ADD COLUMN IF NOT EXISTS created_by VARCHAR(64) NOT NULL DEFAULT '' AFTER metadata;
