-- Chat with a language model (docs/chat.md).
--
-- find_llm_providers: a tenant's own OpenAI-compatible endpoint, in place
-- of the installation's (chat_llm_base_url). enabled = 0 turns the model
-- off for the tenant (chat answers by retrieval) whatever the installation
-- has. An empty base_url keeps the installation's endpoint and key, with
-- this row's model and timeout when they are set. A tenant's base_url is
-- held to the webhook address rule at every call (no loopback, private or
-- link-local address unless chat_llm_allow_private_targets = 1). api_key is
-- kept as given, like a webhook's secret, because every call needs it, and
-- is never returned.
--
-- find_llm_usage: model tokens (prompt + completion) a tenant used per
-- calendar month (UTC), counted against its plan's chat allowance times
-- chat_llm_tokens_per_chat.

CREATE TABLE IF NOT EXISTS find_llm_providers (
  tenant_id BIGINT UNSIGNED NOT NULL,
  enabled TINYINT(1) NOT NULL DEFAULT 1,
  base_url VARCHAR(1023) NOT NULL DEFAULT '',
  model VARCHAR(128) NOT NULL DEFAULT '',
  api_key VARCHAR(255) NOT NULL DEFAULT '',
  timeout_ms INT UNSIGNED NULL,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id),
  CONSTRAINT find_llm_providers_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS find_llm_usage (
  tenant_id BIGINT UNSIGNED NOT NULL,
  period CHAR(7) NOT NULL,
  tokens BIGINT UNSIGNED NOT NULL DEFAULT 0,
  calls INT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, period),
  CONSTRAINT find_llm_usage_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
