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

-- users: an administrator made the user choose a new password. The current
-- password no longer logs in; a password reset (the mailed link, or a new
-- one from /auth/password/forgot) clears the flag.
ALTER TABLE users
  ADD COLUMN IF NOT EXISTS password_reset_required TINYINT(1) NOT NULL DEFAULT 0 AFTER status;

-- Invitations by email: a single-use link (its token stored as a SHA-256
-- hash) valid 72 hours; accepting it creates the user with the invitation's
-- profile. invited_by is NULL for the first Tenant Admin, invited by the
-- operator. Status is derived: accepted, revoked, expired or pending.
CREATE TABLE IF NOT EXISTS invitations (
  tenant_id        BIGINT UNSIGNED NOT NULL,
  invitation_id    BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  token_hash       BINARY(32) NOT NULL,
  email            VARCHAR(254) NOT NULL,
  display_name     VARCHAR(200) NOT NULL DEFAULT '',
  profile_id       BIGINT UNSIGNED NOT NULL,
  invited_by       BIGINT UNSIGNED NULL,
  created_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at       DATETIME(3) NOT NULL,
  sent_count       INT UNSIGNED NOT NULL DEFAULT 1,
  accepted_at      DATETIME(3) NULL,
  accepted_user_id BIGINT UNSIGNED NULL,
  revoked_at       DATETIME(3) NULL,
  PRIMARY KEY (tenant_id, invitation_id),
  UNIQUE KEY invitations_token (tenant_id, token_hash),
  KEY invitations_tenant_email (tenant_id, email),
  KEY invitations_tenant_created (tenant_id, created_at),
  -- InnoDB wants the AUTO_INCREMENT column first in some index.
  KEY invitations_invitation_id (invitation_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
