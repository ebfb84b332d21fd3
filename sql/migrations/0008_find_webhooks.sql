-- Find API webhooks: the subscriptions a tenant registers and the outbox of
-- deliveries the delivery process (intukad --deliver-webhooks) sends.
--
-- Outbox design: find_events_emit (src/find/events.c) runs inside the
-- writer's transaction and inserts one delivery row per active webhook of
-- the tenant subscribed to the event, with the complete JSON body (event
-- id, type, time, workspace, data). The row commits or rolls back with the
-- change it describes, so no event is announced for a write that did not
-- happen and none is lost for one that did. Copying the body per webhook
-- costs a little space (a plan allows a handful of webhooks) and keeps each
-- delivery independent: its own attempts, lease and outcome.

CREATE TABLE IF NOT EXISTS find_webhooks (
  tenant_id             BIGINT UNSIGNED NOT NULL,
  webhook_id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name                  VARCHAR(200) NOT NULL,
  url                   VARCHAR(2048) NOT NULL,
  description           VARCHAR(1000) NOT NULL DEFAULT '',
  -- HMAC key of the signatures; kept as given because signing needs it.
  -- Never returned after creation.
  secret                VARCHAR(256) NOT NULL,
  -- suspended: set by the delivery process after too many failed
  -- deliveries in a row; only a PUT with status active resumes it.
  status                ENUM('active', 'inactive', 'suspended') NOT NULL DEFAULT 'active',
  -- comma-separated event names (FIND_IN_SET), e.g. "product.upsert,post.delete"
  events                VARCHAR(1000) NOT NULL,
  max_attempts          TINYINT UNSIGNED NOT NULL DEFAULT 5,
  backoff               ENUM('fixed', 'exponential') NOT NULL DEFAULT 'exponential',
  initial_delay_ms      INT UNSIGNED NOT NULL DEFAULT 1000,
  timeout_ms            INT UNSIGNED NOT NULL DEFAULT 10000,
  headers               TEXT NOT NULL, -- JSON object of extra headers, '{}' when none
  -- counters kept by the delivery process, so stats read one row
  consecutive_failures  INT UNSIGNED NOT NULL DEFAULT 0,
  total_deliveries      BIGINT UNSIGNED NOT NULL DEFAULT 0,
  successful_deliveries BIGINT UNSIGNED NOT NULL DEFAULT 0,
  failed_deliveries     BIGINT UNSIGNED NOT NULL DEFAULT 0,
  timed_responses       BIGINT UNSIGNED NOT NULL DEFAULT 0,
  total_response_ms     BIGINT UNSIGNED NOT NULL DEFAULT 0,
  last_delivery_at      DATETIME(3) NULL,
  last_success_at       DATETIME(3) NULL,
  last_failure_at       DATETIME(3) NULL,
  created_at            DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at            DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, webhook_id),
  -- the emit's lookup: active webhooks of one tenant
  KEY find_webhooks_status (tenant_id, status),
  KEY find_webhooks_id (webhook_id),
  CONSTRAINT find_webhooks_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per (event, webhook). A pending row is due when next_attempt_at
-- has passed. Claiming a row pushes next_attempt_at forward by the lease
-- and stamps claim_token: the lease and the retry time are the same column,
-- so a row whose deliverer died becomes due again by itself when the lease
-- runs out, and one index serves new, retried and abandoned rows alike.
-- attempts counts finished attempts (a crash mid-attempt does not use one).
CREATE TABLE IF NOT EXISTS find_webhook_deliveries (
  tenant_id         BIGINT UNSIGNED NOT NULL,
  delivery_id       BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  webhook_id        BIGINT UNSIGNED NOT NULL,
  event_id          CHAR(36) NOT NULL,
  event             VARCHAR(32) NOT NULL,
  body              MEDIUMTEXT NOT NULL,
  status            ENUM('pending', 'succeeded', 'failed') NOT NULL DEFAULT 'pending',
  attempts          TINYINT UNSIGNED NOT NULL DEFAULT 0,
  -- pending: due time (or lease end while claimed); otherwise: when it ended
  next_attempt_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  claim_token       CHAR(32) NULL,
  last_status_code  SMALLINT UNSIGNED NULL,
  last_error        VARCHAR(255) NOT NULL DEFAULT '',
  last_response_ms  INT UNSIGNED NULL,
  created_at        DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, delivery_id),
  KEY find_webhook_deliveries_webhook (tenant_id, webhook_id, status),
  -- The delivery process claims due rows of every tenant: the one key not
  -- led by tenant_id, read only by the claim and the retention purge.
  KEY find_webhook_deliveries_due (status, next_attempt_at),
  KEY find_webhook_deliveries_id (delivery_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
