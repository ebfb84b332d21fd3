-- Running a tenant without shell access.
--
-- tenants: why a tenant is suspended (status_reason, given by its operator)
-- and when its status last changed. A suspended tenant keeps its data; its
-- users and keys are refused with 403 TENANT_SUSPENDED.

ALTER TABLE tenants
  ADD COLUMN IF NOT EXISTS status_reason VARCHAR(200) NOT NULL DEFAULT '' AFTER status,
  ADD COLUMN IF NOT EXISTS status_changed_at DATETIME(3) NULL AFTER status_reason;

-- sessions: the device (the login's User-Agent, printable ASCII) and when
-- the session last got tokens (login or refresh), for GET /auth/sessions.
ALTER TABLE sessions
  ADD COLUMN IF NOT EXISTS user_agent VARCHAR(255) NOT NULL DEFAULT '' AFTER client_address,
  ADD COLUMN IF NOT EXISTS last_used_at DATETIME(3) NULL AFTER user_agent;

-- refresh_tokens: the pair a token was exchanged for, sealed with a key
-- that only the token's own text gives, so a second exchange of the same
-- token within refresh_reuse_grace_s answers the same pair (two tabs
-- refreshing together) while the database alone cannot open it.
ALTER TABLE refresh_tokens
  ADD COLUMN IF NOT EXISTS successor_sealed VARBINARY(2048) NULL AFTER retired_at;
